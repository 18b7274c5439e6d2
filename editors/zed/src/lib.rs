//! The kg-ls extension for Zed: declares the `kg-ls` language server for Markdown and Plain
//! Text (see `extension.toml`) and tells Zed how to start it.
//!
//! The server is the `kg-ls` binary the user installed (`cargo install --path .` in a kg-ls
//! checkout), found on the worktree's shell `PATH`, unless `lsp.kg-ls.binary.path` is set in
//! Zed's settings. `lsp.kg-ls.initialization_options` (e.g. `{"kg": {"paths": ["kg"]}}`) are
//! passed as the server's initialization options and `lsp.kg-ls.settings` as its workspace
//! configuration. Nothing is downloaded.

use zed_extension_api::{self as zed, LanguageServerId, Result, Worktree, serde_json, settings::LspSettings};

/// The name of the server binary on `PATH`.
const BINARY: &str = "kg-ls";

/// What to tell the user when the binary cannot be found.
const MISSING: &str = "kg-ls: the `kg-ls` binary is not on PATH. Install it with `cargo install --path .` \
     in a kg-ls checkout (it goes to ~/.cargo/bin), or set \"lsp\": {\"kg-ls\": {\"binary\": {\"path\": \"/path/to/kg-ls\"}}} \
     in Zed's settings.json.";

struct KgLs;

/// Chooses the command: the configured path, else what `which` found on `PATH`.
fn choose_command(configured: Option<String>, on_path: impl FnOnce() -> Option<String>) -> Result<String> {
    configured.filter(|p| !p.trim().is_empty()).or_else(on_path).ok_or_else(|| MISSING.to_string())
}

impl zed::Extension for KgLs {
    fn new() -> Self {
        KgLs
    }

    fn language_server_command(&mut self, id: &LanguageServerId, worktree: &Worktree) -> Result<zed::Command> {
        let binary = LspSettings::for_worktree(id.as_ref(), worktree).ok().and_then(|s| s.binary);
        let (path, args, extra_env) = match binary {
            Some(b) => (b.path, b.arguments, b.env),
            None => (None, None, None),
        };
        let command = choose_command(path, || worktree.which(BINARY))?;
        let mut env = worktree.shell_env();
        env.extend(extra_env.into_iter().flatten());
        Ok(zed::Command { command, args: args.unwrap_or_default(), env })
    }

    fn language_server_initialization_options(
        &mut self,
        id: &LanguageServerId,
        worktree: &Worktree,
    ) -> Result<Option<serde_json::Value>> {
        Ok(LspSettings::for_worktree(id.as_ref(), worktree).ok().and_then(|s| s.initialization_options))
    }

    fn language_server_workspace_configuration(
        &mut self,
        id: &LanguageServerId,
        worktree: &Worktree,
    ) -> Result<Option<serde_json::Value>> {
        Ok(LspSettings::for_worktree(id.as_ref(), worktree).ok().and_then(|s| s.settings))
    }
}

zed::register_extension!(KgLs);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_path_wins_over_path() {
        let found = choose_command(Some("/opt/kg-ls".into()), || Some("/usr/bin/kg-ls".into()));
        assert_eq!(found, Ok("/opt/kg-ls".to_string()));
    }

    #[test]
    fn path_is_searched_when_nothing_is_configured() {
        assert_eq!(choose_command(None, || Some("/usr/bin/kg-ls".into())), Ok("/usr/bin/kg-ls".to_string()));
        assert_eq!(
            choose_command(Some(" ".into()), || Some("/usr/bin/kg-ls".into())),
            Ok("/usr/bin/kg-ls".to_string())
        );
    }

    #[test]
    fn a_missing_binary_says_how_to_install_it() {
        let err = choose_command(None, || None).unwrap_err();
        assert!(err.contains("cargo install --path ."), "{err}");
    }
}
