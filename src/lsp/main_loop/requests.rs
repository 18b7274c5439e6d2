//! Requests: parsing, queueing until what they need is loaded, dispatch with a snapshot onto
//! a worker, cancellation, and the one place that answers them.
//!
//! Must not compute features: the work a request runs is one handler call.

use super::*;

/// How many messages [`MainLoop::take_ahead`] looks at past the one being handled.
const TAKE_AHEAD: usize = 256;

/// The id a `$/cancelRequest` names: any id a request may have (not only the i32 that
/// `CancelParams` takes).
pub(super) fn cancel_target(params: Option<&RawValue>) -> Option<Id> {
    let params = serde_json::from_str::<serde_json::Value>(params?.get()).ok()?;
    Id::from_value(params.get("id")?)
}

impl MainLoop {
    pub(super) fn on_request(&mut self, id: Id, method: String, params: Option<Box<RawValue>>) {
        let start = Instant::now();
        self.stop_warmer();
        match self.phase {
            Phase::Uninitialized if method != "initialize" => {
                return self.reply(
                    &id,
                    &method,
                    start,
                    Err(ResponseError::new(code::SERVER_NOT_INITIALIZED, "the server is not initialized yet")),
                );
            }
            Phase::ShutDown => {
                return self.reply(
                    &id,
                    &method,
                    start,
                    Err(ResponseError::new(code::INVALID_REQUEST, "the server is shut down: only exit is accepted")),
                );
            }
            _ => {}
        }
        if self.pending.contains_key(&id) {
            let e = ResponseError::new(code::INVALID_REQUEST, format!("request id {id} is already in use"));
            return self.out.send(transport::error_response(Some(&id), e.code, &e.message));
        }
        match method.as_str() {
            "initialize" => {
                let answer = if self.phase == Phase::Running {
                    Err(ResponseError::new(code::INVALID_REQUEST, "the server is initialized already"))
                } else {
                    match parse::<InitializeParams>(params.as_deref()) {
                        Ok(p) => self.initialize(p),
                        Err(e) => Err(e),
                    }
                };
                let initialized = answer.is_ok() && self.phase == Phase::Running && !self.load.running;
                self.reply(&id, &method, start, answer);
                // Loading starts now, not at `initialized`: a request sent in between is
                // answered once the graph is there, and the load starts sooner.
                if initialized && !self.load.ready {
                    self.start_sampler(MonitorSettings::default());
                    self.start_load();
                }
            }
            "shutdown" => {
                let summary = self.monitor.summary();
                tracing::info!("shutting down: {summary}");
                self.log_message(MessageType::INFO, format!("kg-ls: {summary}"));
                self.phase = Phase::ShutDown;
                // Nothing is answered after shutdown's answer: what still waits or runs is
                // cancelled now.
                let open: Vec<Id> = self.pending.keys().cloned().collect();
                for id in open {
                    self.cancel(id);
                }
                self.stop_warmer();
                self.search.flush();
                self.reply(&id, &method, start, Ok(b"null".to_vec()));
            }
            "textDocument/completion" => self.request(
                Req { id, method, start, params },
                Need::Completion,
                |p: &CompletionParams| Some(&p.text_document_position.text_document.uri),
                |s, p, c, _| completion::reply(&s, p, c),
            ),
            "completionItem/resolve" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |_: &CompletionItem| None,
                |s, p, c, _| handlers::resolve(&s, p, c),
            ),
            "textDocument/hover" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &HoverParams| Some(&p.text_document_position_params.text_document.uri),
                |s, p, c, _| handlers::hover(&s, p, c),
            ),
            "textDocument/definition" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &GotoDefinitionParams| Some(&p.text_document_position_params.text_document.uri),
                |s, p, c, _| handlers::definition(&s, p, c),
            ),
            "textDocument/references" => self.request(
                Req { id, method, start, params },
                Need::Mentions,
                |p: &ReferenceParams| Some(&p.text_document_position.text_document.uri),
                |s, p, c, _| navigation::references(&s, p, c),
            ),
            "textDocument/documentHighlight" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &DocumentHighlightParams| Some(&p.text_document_position_params.text_document.uri),
                |s, p, c, _| navigation::document_highlight(&s, p, c),
            ),
            "textDocument/documentLink" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &DocumentLinkParams| Some(&p.text_document.uri),
                |s, p, c, _| links::document_link(&s, p, c),
            ),
            "textDocument/documentSymbol" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &DocumentSymbolParams| Some(&p.text_document.uri),
                |s, p, c, _| outline::document_symbol(&s, p, c),
            ),
            "textDocument/prepareRename" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &TextDocumentPositionParams| Some(&p.text_document.uri),
                |s, p, c, _| rename::prepare(&s, p, c),
            ),
            "textDocument/rename" => self.request(
                Req { id, method, start, params },
                Need::Mentions,
                |p: &RenameParams| Some(&p.text_document_position.text_document.uri),
                |s, p, c, _| rename::rename(&s, p, c),
            ),
            "textDocument/diagnostic" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &DocumentDiagnosticParams| Some(&p.text_document.uri),
                |s, p, c, _| diagnostics::document_diagnostic(&s, p, c),
            ),
            "workspace/diagnostic" => self.workspace_diagnostic(id, method, start, params),
            "textDocument/codeAction" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &CodeActionParams| Some(&p.text_document.uri),
                |s, p, c, _| diagnostics::code_action(&s, p, c),
            ),
            "kg-ls/graph" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &graph::GraphParams| p.text_document.as_ref().map(|t| &t.uri),
                |s, p, c, _| graph::graph(&s, p, c),
            ),
            "textDocument/prepareCallHierarchy" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &CallHierarchyPrepareParams| Some(&p.text_document_position_params.text_document.uri),
                |s, p, c, _| graph::prepare_call_hierarchy(&s, p, c),
            ),
            "callHierarchy/incomingCalls" => self.request(
                Req { id, method, start, params },
                Need::Mentions,
                |_: &CallHierarchyIncomingCallsParams| None,
                |s, p, c, _| graph::incoming_calls(&s, p, c),
            ),
            "callHierarchy/outgoingCalls" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |_: &CallHierarchyOutgoingCallsParams| None,
                |s, p, c, _| graph::outgoing_calls(&s, p, c),
            ),
            "textDocument/semanticTokens/full" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &SemanticTokensParams| Some(&p.text_document.uri),
                |s, p, c, _| tokens::full(&s, p, c),
            ),
            "textDocument/semanticTokens/full/delta" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &SemanticTokensDeltaParams| Some(&p.text_document.uri),
                |s, p, c, _| tokens::delta(&s, p, c),
            ),
            "textDocument/semanticTokens/range" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &SemanticTokensRangeParams| Some(&p.text_document.uri),
                |s, p, c, _| tokens::range(&s, p, c),
            ),
            "textDocument/inlayHint" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &InlayHintParams| Some(&p.text_document.uri),
                |s, p, c, _| tokens::inlay_hints(&s, p, c),
            ),
            "workspace/symbol" => self.workspace_symbol(id, method, start, params),
            "kg-ls/search" => self.knowledge_search(Req { id, method, start, params }),
            "workspace/executeCommand" => {
                let answer = parse::<ExecuteCommandParams>(params.as_deref()).and_then(|p| self.execute_command(p));
                self.reply(&id, &method, start, answer);
            }
            "kg-ls/searchStats" => {
                let answer = handlers::json(&self.search.stats());
                self.reply(&id, &method, start, answer);
            }
            _ => {
                let e = ResponseError::new(code::METHOD_NOT_FOUND, format!("kg-ls does not handle {method}"));
                self.reply(&id, &method, start, Err(e));
            }
        }
    }

    /// Parses a request, takes its document now, and runs `work` on a worker once what it
    /// needs is loaded.
    pub(super) fn request<P: DeserializeOwned + Send + 'static>(
        &mut self,
        Req { id, method, start, params }: Req,
        need: Need,
        uri: fn(&P) -> Option<&Uri>,
        work: fn(Snapshot, P, &Cancel, &Notifier) -> Answer,
    ) {
        let params: P = match parse(params.as_deref()) {
            Ok(p) => p,
            Err(e) => return self.reply(&id, &method, start, Err(e)),
        };
        let doc = uri(&params).and_then(|u| self.ws.documents.get(u.as_str()).cloned());
        let work: Work = Box::new(move |snap, cancel, notify| work(snap, params, cancel, notify));
        self.pending
            .insert(id.clone(), Pending { method, start, cancel: Cancel::new(), search: false, snapshot: false });
        self.queue(Queued { id, need, doc, work });
    }

    pub(super) fn queue(&mut self, q: Queued) {
        if self.can_serve(q.need) { self.dispatch(q) } else { self.queued.push(q) }
    }

    pub(super) fn can_serve(&mut self, need: Need) -> bool {
        if need == Need::Mentions {
            return self.load.ready && self.mentions_ready();
        }
        self.load.ready
            || match need {
                Need::Completion => self.load.early.is_some(),
                Need::Search => self.serves_early_search(),
                Need::Graph | Need::Mentions => false,
            }
    }

    /// Runs a request on a worker with a snapshot taken now.
    pub(super) fn dispatch(&mut self, q: Queued) {
        let Some(pending) = self.pending.get(&q.id) else { return }; // Cancelled while queued.
        let cancel = pending.cancel.clone();
        let (method, snapshot, fresh_headings) = (pending.method.clone(), pending.snapshot, pending.search);
        // A search reads the analysis of its own snapshot (a workspace search with fresh
        // headings).
        let search = snapshot.then(|| self.search_snapshot(fresh_headings));
        let analysis = match (&search, q.need, self.load.ready) {
            (Some(s), _, _) => s.analysis.clone(),
            (None, Need::Completion, false) => self.load.early.clone().unwrap_or_default(),
            (None, Need::Completion, true) => self.ws.completion_analysis(),
            (None, Need::Graph | Need::Search | Need::Mentions, _) => self.ws.analysis(false),
        };
        let completion_limit =
            self.ws.config.as_ref().map_or(workspace::DEFAULT_COMPLETION_LIMIT, |c| c.completion_limit);
        let later = handlers::Later::default();
        let snap_doc = q.doc;
        let snap = Snapshot {
            analysis,
            doc: snap_doc.clone(),
            // Completion reads no file; the open buffers over the disk cost a map of every
            // open document, taken only for the requests that read files.
            files: if q.need == Need::Completion { self.ws.disk() } else { self.ws.files() },
            client: self.client.clone(),
            completion_limit,
            search,
            later: later.clone(),
            checks: self.check_context(snap_doc.as_ref()),
            mentions: self.mentions.index.clone(),
            open: if q.need == Need::Completion { Vec::new() } else { self.open_documents() },
            versions: if q.need == Need::Mentions { self.open_versions() } else { Vec::new() },
            occurrences: self.ws.occurrences(),
            tokens: self.tokens.clone(),
            navigation: self.navigation(),
        };
        let notify = Notifier { id: q.id.clone(), tx: self.tx.clone() };
        let tx = self.tx.clone();
        let id = q.id;
        let work = q.work;
        self.tasks.spawn_blocking(move || {
            let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(snap, &cancel, &notify)))
                .unwrap_or_else(|panic| {
                    let message = format!("kg-ls failed on {method}: {}", panic_message(&*panic));
                    tracing::error!("{message}");
                    Err(ResponseError::new(code::INTERNAL_ERROR, message))
                });
            let _ = tx.send(Event::Done { id, answer });
            for f in later.take() {
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err() {
                    tracing::error!("kg-ls failed finishing {method} after its answer");
                }
            }
        });
    }

    /// The open documents that have a file, with their text now.
    fn open_documents(&self) -> Vec<(Arc<Path>, Arc<String>)> {
        self.ws.documents.iter().filter_map(|(_, d)| Some((Arc::from(d.path.as_deref()?), d.text.clone()))).collect()
    }

    /// The versions of the open documents that have a file.
    fn open_versions(&self) -> Vec<(Arc<Path>, i32)> {
        self.ws.documents.iter().filter_map(|(_, d)| Some((Arc::from(d.path.as_deref()?), d.version))).collect()
    }

    pub(super) fn workspace_symbol(&mut self, id: Id, method: String, start: Instant, params: Option<Box<RawValue>>) {
        let params: WorkspaceSymbolParams = match parse(params.as_deref()) {
            Ok(p) => p,
            Err(e) => return self.reply(&id, &method, start, Err(e)),
        };
        let host = self.search.clone();
        let work: Work = Box::new(move |snap, cancel, notify| match snap.search {
            Some(s) => search::workspace_symbol(&host, s, params, cancel, notify),
            None => Err(ResponseError::new(code::INTERNAL_ERROR, "a search without its snapshot")),
        });
        self.pending.insert(id.clone(), Pending { method, start, cancel: Cancel::new(), search: true, snapshot: true });
        self.queue(Queued { id, need: Need::Search, doc: None, work });
    }

    /// `kg-ls/search`: reads a search snapshot, and is not stopped by edits (a search of the
    /// knowledge base, not of the document being typed in).
    pub(super) fn knowledge_search(&mut self, Req { id, method, start, params }: Req) {
        let params: search::KbParams = match parse(params.as_deref()) {
            Ok(p) => p,
            Err(e) => return self.reply(&id, &method, start, Err(e)),
        };
        let work: Work = Box::new(move |snap, cancel, notify| search::knowledge_search(&snap, params, cancel, notify));
        self.pending
            .insert(id.clone(), Pending { method, start, cancel: Cancel::new(), search: false, snapshot: true });
        self.queue(Queued { id, need: Need::Graph, doc: None, work });
    }

    pub(super) fn on_done(&mut self, id: Id, answer: Answer) {
        let Some(p) = self.pending.get(&id) else { return }; // Answered already (cancelled).
        let (method, start, search) = (p.method.clone(), p.start, p.search);
        if search && answer.is_ok() {
            self.warm_due = Some(Instant::now() + search::IDLE);
        }
        self.reply(&id, &method, start, answer);
    }

    /// Answers request `id` and records its latency.
    pub(super) fn reply(&mut self, id: &Id, method: &str, start: Instant, answer: Answer) {
        self.pending.remove(id);
        let outcome = match &answer {
            Ok(_) => Outcome::Ok,
            Err(e) if e.code == code::REQUEST_CANCELLED || e.code == code::CONTENT_MODIFIED => Outcome::Cancelled,
            Err(_) => Outcome::Error,
        };
        // What each request got, for whoever reads a log of a failure in an editor.
        if tracing::enabled!(tracing::Level::DEBUG) {
            let what = match &answer {
                Ok(r) if r.len() <= 16 => String::from_utf8_lossy(r).into_owned(),
                Ok(r) => format!("{} bytes", r.len()),
                Err(e) => format!("error {}: {}", e.code, e.message),
            };
            tracing::debug!("{method} {}: {what} after {:?}", id.json(), start.elapsed());
        }
        let body = match answer {
            Ok(result) => transport::response(id, &result),
            Err(e) => transport::error_response(Some(id), e.code, &e.message),
        };
        self.out.send(body);
        if self.phase != Phase::Uninitialized || method == "initialize" {
            self.monitor.record(method, start.elapsed(), outcome);
        }
    }

    /// Takes the messages that have arrived meanwhile and answers at once each
    /// `$/cancelRequest` among them whose request is already running, instead of behind the
    /// requests read before it (a typing storm). Everything else stays in wire order; a
    /// cancel for a request still in the inbox waits for it.
    pub(super) fn take_ahead(&mut self, rx: &mut UnboundedReceiver<Event>) {
        while self.inbox.len() < TAKE_AHEAD {
            match rx.try_recv() {
                Ok(e) => self.inbox.push_back(e),
                Err(_) => break,
            }
        }
        let mut early = Vec::new();
        self.inbox.retain(|e| match e {
            Event::Message(Incoming::Notification { method, params }) if method == "$/cancelRequest" => {
                match cancel_target(params.as_deref()).filter(|id| self.pending.contains_key(id)) {
                    Some(id) => {
                        early.push(id);
                        false
                    }
                    None => true,
                }
            }
            _ => true,
        });
        for id in early {
            self.cancel(id);
        }
    }

    pub(super) fn cancel(&mut self, id: Id) {
        let Some(p) = self.pending.get(&id) else { return };
        p.cancel.cancel();
        if p.search {
            self.search.count_stopped(false);
        }
        let (method, start) = (p.method.clone(), p.start);
        self.queued.retain(|q| q.id != id);
        self.reply(&id, &method, start, Err(ResponseError::cancelled()));
    }
}
