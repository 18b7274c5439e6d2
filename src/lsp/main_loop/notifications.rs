//! Notifications: applied at once to the workspace the loop owns (documents, watched files,
//! settings), and the rebuilds and re-reads they start.
//!
//! Must not block: disk reads and rebuilds go to workers or the background thread.

use super::requests::cancel_target;
use super::*;

impl MainLoop {
    pub(super) fn on_notification(&mut self, method: &str, params: Option<Box<RawValue>>) {
        if method == "exit" {
            self.exit = Some(if self.phase == Phase::ShutDown { 0 } else { 1 });
            return;
        }
        if method == "$/cancelRequest" {
            match cancel_target(params.as_deref()) {
                Some(id) => self.cancel(id),
                None => tracing::warn!("ignoring a $/cancelRequest without a valid id"),
            }
            return;
        }
        if self.phase != Phase::Running {
            tracing::debug!("ignoring {method}: the server is not running");
            return;
        }
        match method {
            "initialized" => {
                if self.client.dynamic_watchers {
                    self.ask(Asked::Watchers, "client/registerCapability", &caps::watchers());
                }
                for p in self.client.settings_problems.clone() {
                    self.show_message(MessageType::WARNING, format!("kg-ls: {p}"));
                }
            }
            "textDocument/didOpen" => {
                if let Some(p) = self.notification_params::<DidOpenTextDocumentParams>(method, params) {
                    let path = convert::path(&p.text_document.uri);
                    let key = p.text_document.uri.to_string();
                    self.ws
                        .documents
                        .open(key.clone(), Document::new(p.text_document.text, p.text_document.version, path.clone()));
                    self.checks_opened(&key);
                    if let Some(path) = path {
                        self.ws.document_changed(&path);
                        self.document_edited(&path);
                    }
                }
            }
            "textDocument/didChange" => {
                if let Some(p) = self.notification_params::<DidChangeTextDocumentParams>(method, params) {
                    self.did_change(p);
                }
            }
            "textDocument/didClose" => {
                if let Some(p) = self.notification_params::<DidCloseTextDocumentParams>(method, params) {
                    let key = p.text_document.uri.as_str();
                    self.checks_closed(key);
                    if let Some(path) = self.ws.documents.close(key).and_then(|d| d.path) {
                        self.ws.document_changed(&path);
                        self.document_edited(&path);
                        // The index goes back to what the disk says.
                        self.text_files_changed([path]);
                    }
                }
            }
            "textDocument/didSave" => {
                if let Some(p) = self.notification_params::<DidSaveTextDocumentParams>(method, params) {
                    self.reread(&p.text_document.uri);
                }
            }
            "workspace/didChangeWatchedFiles" => {
                if let Some(p) = self.notification_params::<DidChangeWatchedFilesParams>(method, params) {
                    let config_changed = p.changes.iter().any(|c| {
                        convert::path(&c.uri)
                            .is_some_and(|p| p.file_name().is_some_and(|n| n == workspace::CONFIG_FILE))
                    });
                    if config_changed {
                        tracing::info!("{} changed; reloading", workspace::CONFIG_FILE);
                        self.start_load();
                    } else {
                        for change in &p.changes {
                            self.reread(&change.uri);
                        }
                    }
                }
            }
            "workspace/didChangeConfiguration" => {
                if let Some(p) = self.notification_params::<DidChangeConfigurationParams>(method, params) {
                    self.did_change_configuration(p.settings);
                }
            }
            m if m.starts_with("$/") => {}
            other => tracing::debug!("ignoring the notification {other}"),
        }
    }

    pub(super) fn notification_params<P: DeserializeOwned>(
        &self,
        method: &str,
        params: Option<Box<RawValue>>,
    ) -> Option<P> {
        match parse::<P>(params.as_deref()) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!("ignoring a malformed {method}: {}", e.message);
                None
            }
        }
    }

    pub(super) fn did_change(&mut self, p: DidChangeTextDocumentParams) {
        let enc = self.client.encoding;
        let key = p.text_document.uri.to_string();
        let Some(doc) = self.ws.documents.get_mut(&key) else {
            tracing::warn!("didChange for a document that is not open: {key}");
            return;
        };
        for change in &p.content_changes {
            let range = change.range.map(|r| {
                let start = convert::offset(&doc.text, &doc.line_index, r.start, enc);
                let end = convert::offset(&doc.text, &doc.line_index, r.end, enc);
                start.min(end)..end.max(start)
            });
            doc.edit(range, &change.text);
        }
        doc.version = p.text_document.version;
        let path = doc.path.clone();
        self.check_after_edit(&key);
        if let Some(path) = path {
            self.ws.document_changed(&path);
            self.document_edited(&path);
            self.text_document_edited(&path);
        }
    }

    /// After an open document changed: running searches that read it are stale, and edits
    /// to the knowledge graph schedule a rebuild.
    pub(super) fn document_edited(&mut self, path: &Path) {
        let affects_search = self.ws.config.as_ref().is_some_and(|c| c.roots.iter().any(|r| path.starts_with(r)))
            || self.ws.is_kg_path(path);
        if affects_search {
            let stale: Vec<Id> = self.pending.iter().filter(|(_, p)| p.search).map(|(id, _)| id.clone()).collect();
            for id in stale {
                if let Some(p) = self.pending.get(&id) {
                    p.cancel.cancel();
                    let (method, start) = (p.method.clone(), p.start);
                    self.search.count_stopped(true);
                    self.queued.retain(|q| q.id != id);
                    self.reply(&id, &method, start, Err(search::content_modified()));
                }
            }
        }
        self.after_kg_edit();
    }

    /// After an edit, a save or a change on disk: a change to the knowledge graph moves the
    /// full rebuild that folds it in (see [`super::timers::Fold`]).
    pub(super) fn after_kg_edit(&mut self) {
        let generation = self.ws.kg_generation();
        if std::mem::replace(&mut self.fold_seen, generation) != generation {
            self.fold.changed(Instant::now());
        }
        self.schedule_fold();
    }

    pub(super) fn did_change_configuration(&mut self, settings: serde_json::Value) {
        // Clients send either {"kg-ls": {...}} (VS Code's configurationSection) or the object.
        let value = settings.get("kg-ls").cloned().unwrap_or(settings);
        if value.is_null() || value.as_object().is_some_and(|o| o.is_empty()) {
            return;
        }
        let (settings, problems) = workspace::settings_from_json(&value);
        for p in problems {
            self.show_message(MessageType::WARNING, format!("kg-ls: {p}"));
        }
        if Some(&settings) != self.settings().as_ref() {
            tracing::info!("settings changed; reloading the knowledge graph");
            self.settings_override = Some(settings);
            self.start_load();
        }
    }

    /// Re-reads a file that changed on disk on a worker; the result is applied here.
    pub(super) fn reread(&mut self, uri: &Uri) {
        let Some(path) = convert::path(uri) else { return };
        self.text_files_changed([path.clone()]);
        self.mentions_files_changed([path.clone()]);
        let (kg, doc) = (self.ws.is_kg_path(&path), self.ws.is_doc_path(&path));
        if !kg && !doc {
            return;
        }
        self.reads += 1;
        let seq = self.reads;
        self.last_read.insert(path.clone(), seq);
        let (tx, fs) = (self.tx.clone(), self.ws.disk());
        self.tasks.spawn_blocking(move || {
            let read = workspace::read_from_disk(&*fs, &path, kg, doc);
            let _ = tx.send(Event::Reread { path, seq, read });
        });
    }
}
