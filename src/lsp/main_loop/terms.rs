//! When the client is asked to fetch semantic tokens and inlay hints again: once the graph or
//! the `[navigation]` settings change under the open documents (a rebuild, a changed
//! `.kg-ls.toml`, `workspace/didChangeConfiguration`), with `workspace/semanticTokens/refresh`
//! and `workspace/inlayHint/refresh` to the clients that declare them.
//!
//! Must not compute tokens: the client asks again and the handlers answer.

use super::*;

impl MainLoop {
    /// The `[navigation]` settings now.
    pub(super) fn navigation(&self) -> workspace::NavigationConfig {
        self.ws.config.as_ref().map(|c| c.navigation).unwrap_or_default()
    }

    /// Asks for tokens and hints again when the graph or the settings changed since the last
    /// turn (not after the first load: the client has asked for none yet that could be stale).
    pub(super) fn terms_timers(&mut self) {
        if !self.load.ready || self.phase != Phase::Running {
            return;
        }
        let current = (self.ws.graph_stamp(), self.navigation());
        if self.shown_terms == Some(current) {
            return;
        }
        let first = self.shown_terms.is_none();
        self.shown_terms = Some(current);
        if first {
            return;
        }
        if self.client.semantic_tokens.is_some() && self.client.semantic_tokens_refresh {
            self.ask(Asked::TermsRefresh, "workspace/semanticTokens/refresh", &());
        }
        if self.client.inlay_hints && self.client.inlay_hint_refresh {
            self.ask(Asked::TermsRefresh, "workspace/inlayHint/refresh", &());
        }
    }
}
