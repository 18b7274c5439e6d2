//! Talking to the client: the server's own requests and their answers, the lifecycle
//! requests (initialize, commands, stats) and messages shown to the user.
//!
//! Must not compute features.

use super::*;

impl MainLoop {
    pub(super) fn on_response(&mut self, id: Id, result: Result<Option<Box<RawValue>>, Box<RawValue>>) {
        let Some((asked, _)) = self.asked.remove(&id) else {
            tracing::debug!("a response to no request of ours: {id}");
            return;
        };
        match (asked, result) {
            (Asked::Progress, Ok(_)) => match std::mem::take(&mut self.progress) {
                Progress::Creating { end } => {
                    let begin = WorkDoneProgressBegin {
                        title: "kg-ls: indexing".to_string(),
                        percentage: Some(0),
                        message: self.load.last_report.as_ref().map(|(m, _)| m.clone()),
                        ..Default::default()
                    };
                    self.send_progress(WorkDoneProgress::Begin(begin));
                    self.progress = Progress::Active;
                    if let Some(summary) = end {
                        self.end_progress(summary);
                    }
                }
                other => self.progress = other,
            },
            (Asked::Progress, Err(e)) => {
                tracing::debug!("the client refused a progress token: {}", e.get());
                self.progress = Progress::Off;
            }
            (Asked::TextProgress, answer) => self.on_text_progress_created(answer.is_ok()),
            (Asked::Watchers, Err(e)) => tracing::debug!("the client refused file watchers: {}", e.get()),
            (Asked::Watchers, Ok(_)) => {}
            (Asked::DiagnosticRefresh | Asked::TermsRefresh, _) => {}
        }
    }

    pub(super) fn initialize(&mut self, params: InitializeParams) -> Answer {
        let (settings, problems) = match &params.initialization_options {
            None | Some(serde_json::Value::Null) => (None, Vec::new()),
            Some(v) => {
                let (s, problems) = workspace::settings_from_json(v);
                let problems: Vec<String> = problems.into_iter().map(|p| p.to_string()).collect();
                (Some(s), problems)
            }
        };
        let client = ClientInfo::new(&params, settings, problems);
        self.parent_check = client.process_id.map(|_| Instant::now() + PARENT_CHECK);
        let result = caps::initialize_result(&client);
        self.client = Arc::new(client);
        self.phase = Phase::Running;
        handlers::json(&result)
    }

    pub(super) fn settings(&self) -> Option<Settings> {
        self.settings_override.clone().or_else(|| self.client.settings.clone())
    }

    pub(super) fn execute_command(&mut self, params: ExecuteCommandParams) -> Answer {
        match params.command.as_str() {
            ACCEPT_COMMAND => {
                let args: Vec<&str> = params.arguments.iter().filter_map(|a| a.as_str()).collect();
                let [term, concept] = args[..] else {
                    return Err(ResponseError::new(code::INVALID_PARAMS, "expected [term, concept]"));
                };
                self.ws.feedback().accept(term, concept);
                handlers::json(&None::<()>)
            }
            STATS_COMMAND => handlers::json(&self.stats()),
            REBUILD_TEXT_COMMAND => match self.rebuild_text_index() {
                true => handlers::json(&None::<()>),
                false => Err(ResponseError::new(
                    code::REQUEST_FAILED,
                    "full-text search is off (search.full_text = false) or nothing is loaded yet",
                )),
            },
            other => Err(ResponseError::new(code::INVALID_PARAMS, format!("unknown command {other}"))),
        }
    }

    /// `kg-ls.stats`: the monitor's figures, what runs in the background, the workspace's
    /// counts, and every cache level's hits and misses.
    pub(super) fn stats(&mut self) -> serde_json::Value {
        let mut value = serde_json::to_value(self.monitor.stats()).unwrap_or_default();
        let Some(obj) = value.as_object_mut() else { return value };
        obj.insert(
            "background".to_string(),
            serde_json::json!({
                "loading": self.load.running,
                "rebuilding": self.rebuilding || self.rebuild_due.is_some(),
                "running": self.tasks.len(),
            }),
        );
        if self.ws.loaded() {
            let ws = self.ws.stats();
            obj.insert(
                "workspace".to_string(),
                serde_json::json!({
                    "kgFiles": ws.kg_files, "concepts": ws.concepts, "terms": ws.terms,
                    "documents": ws.documents, "headings": ws.headings,
                }),
            );
        }
        obj.insert("fullText".to_string(), self.text_stats());
        let render = self.ws.completion_analysis().renderer.stats();
        let rate = |hits: u64, misses: u64| if hits + misses == 0 { 0.0 } else { hits as f64 / (hits + misses) as f64 };
        obj.insert(
            "caches".to_string(),
            serde_json::json!({
                "search": self.search.stats(),
                "render": {
                    "blocks": {"hits": render.block_hits, "misses": render.block_misses,
                               "hitRate": rate(render.block_hits, render.block_misses)},
                    "hovers": {"hits": render.hover_hits, "misses": render.hover_misses,
                               "hitRate": rate(render.hover_hits, render.hover_misses)},
                },
            }),
        );
        value
    }

    pub(super) fn ask(&mut self, asked: Asked, method: &str, params: &impl serde::Serialize) {
        self.next_ask += 1;
        let id = Id::from_value(&serde_json::Value::String(format!("kg-ls/{}", self.next_ask))).expect("a string id");
        self.out.send(transport::outgoing(Some(&id), method, params));
        self.asked.insert(id, (asked, Instant::now()));
    }

    pub(super) fn log_message(&self, typ: MessageType, message: String) {
        self.out.send(transport::outgoing(None, "window/logMessage", &LogMessageParams { typ, message }));
    }

    pub(super) fn show_message(&self, typ: MessageType, message: String) {
        self.out.send(transport::outgoing(None, "window/showMessage", &ShowMessageParams { typ, message }));
    }

    pub(super) fn show_problems(&self, problems: &[Problem]) {
        for p in problems {
            tracing::warn!("{p}");
            self.log_message(MessageType::WARNING, p.to_string());
        }
        for p in problems.iter().take(MAX_SHOWN_PROBLEMS) {
            self.show_message(MessageType::WARNING, format!("kg-ls: {p}"));
        }
        if problems.len() > MAX_SHOWN_PROBLEMS {
            let more = problems.len() - MAX_SHOWN_PROBLEMS;
            self.show_message(MessageType::WARNING, format!("kg-ls: {more} more problems; see the kg-ls output log"));
        }
    }
}
