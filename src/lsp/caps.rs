//! `initialize`: what the client can take ([`ClientInfo`]) and what the server offers.
//!
//! Owns the reading of client capabilities and the server's capability list; decides nothing
//! about features beyond which shape of an answer a client understands.

use std::path::PathBuf;

use ls_types::*;

use super::convert;
use crate::text::Encoding;
use crate::workspace::Settings;

/// The command a completion item carries, so that accepting it feeds the ranking.
pub const ACCEPT_COMMAND: &str = "kg-ls.completionAccepted";
/// The command that returns the performance monitor's figures as JSON.
pub const STATS_COMMAND: &str = "kg-ls.stats";
/// Rebuilds the full-text index from scratch.
pub const REBUILD_TEXT_COMMAND: &str = "kg-ls.rebuildTextIndex";

/// What the client told us in `initialize`.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    pub roots: Vec<PathBuf>,
    pub settings: Option<Settings>,
    /// Problems with the initialization options, shown once the server is initialized.
    pub settings_problems: Vec<String>,
    pub encoding: Encoding,
    /// Hover contents as markdown; `None`: the client declared no format at all (an old
    /// client that expects a plain string).
    pub hover_markdown: Option<bool>,
    /// Completion documentation as markdown; `None`: no format declared (a plain string).
    pub completion_markdown: Option<bool>,
    /// The client takes `itemDefaults.editRange` on completion lists.
    pub completion_edit_range_default: bool,
    /// The client takes insert-or-replace edits on completion items.
    pub completion_insert_replace: bool,
    /// The client shows `labelDetails` on completion items.
    pub completion_label_details: bool,
    pub work_done_progress: bool,
    /// The client can register file watchers at run time.
    pub dynamic_watchers: bool,
    /// The client's process, watched so that the server ends with it.
    pub process_id: Option<u32>,
    /// The client pulls diagnostics (`textDocument/diagnostic`): none are pushed to it.
    pub pull_diagnostics: bool,
    /// The client takes `workspace/diagnostic/refresh`.
    pub diagnostic_refresh: bool,
    /// The client takes code actions as literals (else it gets none).
    pub code_action_literals: bool,
    /// Workspace edits may create files (`documentChanges` with the `create` operation).
    pub create_files: bool,
    /// Workspace edits may be `documentChanges` (versioned edits and file operations).
    pub document_changes: bool,
    /// Workspace edits may rename files (the `rename` resource operation).
    pub rename_files: bool,
    /// Workspace edits may carry change annotations (`changeAnnotationSupport`).
    pub change_annotations: bool,
    /// What the client takes of semantic tokens; `None`: none (no provider is offered).
    pub semantic_tokens: Option<SemanticTokensSupport>,
    /// The client declares `textDocument/inlayHint`.
    pub inlay_hints: bool,
    /// The client takes `workspace/semanticTokens/refresh` and `workspace/inlayHint/refresh`.
    pub semantic_tokens_refresh: bool,
    pub inlay_hint_refresh: bool,
    /// The client takes document symbols as a tree (else as flat symbol information).
    pub hierarchical_symbols: bool,
}

/// The semantic-token requests and legend entries a client declares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SemanticTokensSupport {
    pub range: bool,
    pub delta: bool,
    /// The client knows the standard `deprecated` modifier (every client does; it is offered
    /// only when declared).
    pub deprecated: bool,
}

impl SemanticTokensSupport {
    /// The legend's modifiers: kg-ls's own, which no client can declare in advance (VS Code
    /// takes them from the extension's `semanticTokenModifiers`, Neovim makes `@lsp.mod.*`
    /// groups of any name), then `deprecated` when declared.
    pub fn modifiers(&self) -> &'static [&'static str] {
        let all = crate::navigate::tokens::TOKEN_MODIFIERS;
        if self.deprecated { all } else { &all[..all.len() - 1] }
    }

    /// The modifier bits the legend has.
    pub fn mask(&self) -> u32 {
        (1 << self.modifiers().len()) - 1
    }
}

/// What `caps` declares of semantic tokens: `None` unless it takes full or range requests and
/// every token type kg-ls uses.
fn semantic_tokens_support(caps: &SemanticTokensClientCapabilities) -> Option<SemanticTokensSupport> {
    let full = match &caps.requests.full {
        Some(SemanticTokensFullOptions::Bool(b)) => (*b, false),
        Some(SemanticTokensFullOptions::Delta { delta }) => (true, delta.unwrap_or(false)),
        None => (false, false),
    };
    let range = caps.requests.range.unwrap_or(false);
    let types = crate::navigate::tokens::TOKEN_TYPES.iter().all(|t| caps.token_types.iter().any(|c| c.as_str() == *t));
    if !(full.0 || range) || !types {
        return None;
    }
    Some(SemanticTokensSupport {
        range,
        delta: full.1,
        deprecated: caps.token_modifiers.iter().any(|m| m.as_str() == "deprecated"),
    })
}

impl ClientInfo {
    /// Reads `params`; `settings` is what the core made of the initialization options.
    pub fn new(params: &InitializeParams, settings: Option<Settings>, settings_problems: Vec<String>) -> ClientInfo {
        let caps = &params.capabilities;
        let utf8 = caps
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|encs| encs.contains(&PositionEncodingKind::UTF8));
        let hover_markdown = caps
            .text_document
            .as_ref()
            .and_then(|t| t.hover.as_ref())
            .and_then(|h| h.content_format.as_ref())
            .map(|f| f.first() == Some(&MarkupKind::Markdown) || f.contains(&MarkupKind::Markdown));
        let completion = caps.text_document.as_ref().and_then(|t| t.completion.as_ref());
        let item = completion.and_then(|c| c.completion_item.as_ref());
        let completion_markdown =
            item.and_then(|i| i.documentation_format.as_ref()).map(|f| f.contains(&MarkupKind::Markdown));
        let completion_edit_range_default = completion
            .and_then(|c| c.completion_list.as_ref())
            .and_then(|l| l.item_defaults.as_ref())
            .is_some_and(|d| d.iter().any(|p| p == "editRange"));
        let completion_insert_replace = item.and_then(|i| i.insert_replace_support).unwrap_or(false);
        let completion_label_details = item.and_then(|i| i.label_details_support).unwrap_or(false);
        let work_done_progress = caps.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false);
        let dynamic_watchers = caps
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        let pull_diagnostics = caps.text_document.as_ref().is_some_and(|t| t.diagnostic.is_some());
        let diagnostic_refresh = caps
            .workspace
            .as_ref()
            .and_then(|w| w.diagnostics.as_ref())
            .and_then(|d| d.refresh_support)
            .unwrap_or(false);
        let code_action_literals = caps
            .text_document
            .as_ref()
            .and_then(|t| t.code_action.as_ref())
            .is_some_and(|c| c.code_action_literal_support.is_some());
        let workspace_edit = caps.workspace.as_ref().and_then(|w| w.workspace_edit.as_ref());
        // Resource operations exist only inside `documentChanges`: a client that declares the
        // `create` one takes them (Neovim declares it and not `documentChanges` itself).
        let create_files = workspace_edit.is_some_and(|e| {
            e.resource_operations.as_ref().is_some_and(|ops| ops.contains(&ResourceOperationKind::Create))
        });
        let document_changes = workspace_edit.and_then(|e| e.document_changes).unwrap_or(false);
        let rename_files = workspace_edit.is_some_and(|e| {
            e.resource_operations.as_ref().is_some_and(|ops| ops.contains(&ResourceOperationKind::Rename))
        });
        let change_annotations = workspace_edit.is_some_and(|e| e.change_annotation_support.is_some());

        let text_document = caps.text_document.as_ref();
        let semantic_tokens = text_document.and_then(|t| t.semantic_tokens.as_ref()).and_then(semantic_tokens_support);
        let inlay_hints = text_document.is_some_and(|t| t.inlay_hint.is_some());
        let workspace = caps.workspace.as_ref();
        let semantic_tokens_refresh =
            workspace.and_then(|w| w.semantic_tokens.as_ref()).and_then(|s| s.refresh_support).unwrap_or(false);
        let inlay_hint_refresh =
            workspace.and_then(|w| w.inlay_hint.as_ref()).and_then(|s| s.refresh_support).unwrap_or(false);
        let hierarchical_symbols = caps
            .text_document
            .as_ref()
            .and_then(|t| t.document_symbol.as_ref())
            .and_then(|d| d.hierarchical_document_symbol_support)
            .unwrap_or(false);

        let mut roots: Vec<PathBuf> =
            params.workspace_folders.iter().flatten().filter_map(|f| convert::path(&f.uri)).collect();
        #[allow(deprecated)]
        if roots.is_empty() {
            roots.extend(params.root_uri.as_ref().and_then(convert::path));
            if roots.is_empty() {
                roots.extend(params.root_path.as_ref().map(PathBuf::from));
            }
        }
        ClientInfo {
            roots,
            settings,
            settings_problems,
            encoding: if utf8 { Encoding::Utf8 } else { Encoding::Utf16 },
            hover_markdown,
            completion_markdown,
            completion_edit_range_default,
            completion_insert_replace,
            completion_label_details,
            work_done_progress,
            dynamic_watchers,
            process_id: params.process_id,
            pull_diagnostics,
            diagnostic_refresh,
            code_action_literals,
            create_files,
            document_changes,
            rename_files,
            change_annotations,
            semantic_tokens,
            inlay_hints,
            semantic_tokens_refresh,
            inlay_hint_refresh,
            hierarchical_symbols,
        }
    }
}

/// The answer to `initialize`.
pub fn initialize_result(client: &ClientInfo) -> InitializeResult {
    let capabilities = ServerCapabilities {
        position_encoding: Some(match client.encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            ..Default::default()
        })),
        completion_provider: Some(CompletionOptions {
            resolve_provider: Some(true),
            // `[[` starts a wiki link: completion opens without a key chord (a lone `[` gets
            // an empty list).
            trigger_characters: Some(vec!["[".to_string()]),
            ..Default::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        references_provider: Some(OneOf::Left(true)),
        document_highlight_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        call_hierarchy_provider: Some(CallHierarchyServerCapability::Simple(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_link_provider: Some(DocumentLinkOptions {
            resolve_provider: Some(false),
            work_done_progress_options: Default::default(),
        }),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::from(super::diagnostics::FIX_ALL),
                CodeActionKind::from(super::diagnostics::CREATE),
                CodeActionKind::from(super::diagnostics::ADD_SYNONYM),
            ]),
            ..Default::default()
        })),
        diagnostic_provider: Some(DiagnosticServerCapabilities::Options(DiagnosticOptions {
            identifier: Some("kg-ls".to_string()),
            // A document's findings depend on the graph, which other files make.
            inter_file_dependencies: true,
            workspace_diagnostics: true,
            ..Default::default()
        })),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![ACCEPT_COMMAND.to_string(), STATS_COMMAND.to_string(), REBUILD_TEXT_COMMAND.to_string()],
            ..Default::default()
        }),
        semantic_tokens_provider: client.semantic_tokens.map(|s| {
            SemanticTokensServerCapabilities::SemanticTokensOptions(SemanticTokensOptions {
                legend: SemanticTokensLegend {
                    token_types: crate::navigate::tokens::TOKEN_TYPES
                        .iter()
                        .map(|t| SemanticTokenType::from(t.to_string()))
                        .collect(),
                    token_modifiers: s.modifiers().iter().map(|m| SemanticTokenModifier::from(m.to_string())).collect(),
                },
                range: Some(s.range),
                full: Some(if s.delta {
                    SemanticTokensFullOptions::Delta { delta: Some(true) }
                } else {
                    SemanticTokensFullOptions::Bool(true)
                }),
                ..Default::default()
            })
        }),
        inlay_hint_provider: client.inlay_hints.then_some(OneOf::Left(true)),
        ..Default::default()
    };
    InitializeResult {
        capabilities,
        server_info: Some(ServerInfo {
            name: "kg-ls".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
        offset_encoding: None,
    }
}

/// The registration of file watchers for knowledge-graph files, documents and the
/// configuration file.
pub fn watchers() -> RegistrationParams {
    let options = serde_json::json!({"watchers": [
        {"globPattern": "**/*.{md,markdown,json}"},
        {"globPattern": "**/.kg-ls.toml"},
    ]});
    RegistrationParams {
        registrations: vec![Registration {
            id: "kg-ls-watchers".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: Some(options),
        }],
    }
}
