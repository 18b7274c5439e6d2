//! Loading the workspace and its progress: the load task, its events, requests queued until
//! it ends, and the search snapshots taken from what it loaded.
//!
//! Must not block the loop: the load runs on a worker and reports through events.

use super::*;

impl MainLoop {
    /// Loads (or reloads) the configuration, the knowledge graph and the documents on a
    /// worker, with progress; a load still running is superseded (its result is dropped).
    pub(super) fn start_load(&mut self) {
        self.load.generation += 1;
        self.load.running = true;
        let generation = self.load.generation;
        if self.client.work_done_progress && self.progress == Progress::Off {
            self.progress = Progress::Creating { end: None };
            let token = NumberOrString::String(INDEXING.to_string());
            self.ask(Asked::Progress, "window/workDoneProgress/create", &WorkDoneProgressCreateParams { token });
        } else if let Progress::Creating { end } = &mut self.progress {
            *end = None;
        }
        let roots = self.client.roots.clone();
        let settings = self.settings();
        let first_load = !self.load.ready;
        let feedback = self.ws.feedback();
        let disk = self.ws.disk();
        let tx = self.tx.clone();
        let send = move |e: LoadEvent| {
            let _ = tx.send(Event::Load(generation, e));
        };
        self.tasks.spawn_blocking(move || {
            let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // Serve completion from the persisted index while the sources load.
                let persisted = workspace::open_persisted(&*disk, &roots, settings.as_ref());
                let index_file = persisted.file.clone();
                let early_index = persisted.index.filter(|_| first_load).map(|index| {
                    let completion: Arc<crate::index::LayeredIndex> = Arc::new(index.into());
                    let early =
                        Analysis { completion: completion.clone(), feedback: feedback.clone(), ..Analysis::default() };
                    send(LoadEvent::Early(early));
                    completion
                });
                if early_index.is_none()
                    && let Some(why) = persisted.refused
                {
                    tracing::info!("persisted index not used ({why}); rebuilding");
                }
                let mut last = u32::MAX;
                let mut report = |phase: &str, done: usize, total: usize| {
                    let base = if phase == "documents" { 50 } else { 0 };
                    let pct = base + (done * 50 / total.max(1)) as u32;
                    if pct != last {
                        last = pct;
                        send(LoadEvent::Progress(format!("{phase} {done}/{total}"), pct));
                    }
                };
                // Without a persisted index, completion is served as soon as the graph is
                // indexed, built on a thread of its own while the documents (which only refine
                // the ranking) are read.
                let serve_early = {
                    let (send, feedback) = (send.clone(), feedback.clone());
                    move |graph: Arc<crate::kg::Graph>| {
                        if let Some(early) = workspace::early_analysis(&graph, feedback) {
                            send(LoadEvent::Early(early));
                        }
                    }
                };
                // The graph saved by the last run answers workspace symbols while the sources are
                // statted; its files that did not change are not read again.
                let early_config = persisted.config;
                let early_search =
                    |graph: &Arc<crate::kg::Graph>, terms: &Arc<crate::index::TermIndex>, headings, generation| {
                        if first_load {
                            let (graph, terms) = (graph.clone(), terms.clone());
                            let analysis = Analysis { graph, terms, headings, ..Analysis::default() };
                            send(LoadEvent::EarlySearch(Box::new((analysis, generation, early_config.clone()))));
                        }
                    };
                let (saved, keys) = std::thread::scope(|scope| {
                    // The persisted index's keys are checked beside opening the saved graph, now
                    // that completion no longer waits for the walk.
                    let keys = early_index.as_ref().map(|c| scope.spawn(|| c.main.check_keys()));
                    let opening = std::time::Instant::now();
                    let saved = index_file.as_ref().and_then(|f| match workspace::open_graph(&*disk, &f.graph) {
                        Ok(state) => {
                            tracing::debug!(
                                "saved graph: {} files opened in {:?}",
                                state.files.len(),
                                opening.elapsed()
                            );
                            // Concepts answer first; headings once they are indexed too.
                            // (A small graph's headings are indexed in moments: it waits for them.)
                            let mut terms_ready = |graph: &Arc<crate::kg::Graph>, terms: &Arc<_>, generation| {
                                if graph.term_count() >= workspace::EARLY_SERVE_MIN_TERMS {
                                    early_search(graph, terms, Arc::default(), generation)
                                }
                            };
                            Some(workspace::SavedGraph::build(state, &mut terms_ready))
                        }
                        Err(e) => {
                            tracing::info!("saved graph not used ({}: {e}); reading every source", f.graph.display());
                            None
                        }
                    });
                    if let Some(s) = &saved {
                        early_search(&s.graph, &s.terms, s.headings.clone(), s.generation);
                    }
                    (saved, keys.map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))))
                });
                // A bad key withdraws the persisted index: completion comes from the graph once
                // it is indexed.
                let served_early = match keys {
                    Some(Ok(())) => {
                        tracing::info!("completion served from the persisted index while loading");
                        true
                    }
                    Some(Err(e)) => {
                        tracing::warn!("persisted index withdrawn ({e}); rebuilding");
                        send(LoadEvent::Early(Analysis { feedback: feedback.clone(), ..Analysis::default() }));
                        false
                    }
                    None => false,
                };
                let (config, mut loaded) = std::thread::scope(|scope| {
                    let mut early_completion = None;
                    let mut built = |graph: &Arc<crate::kg::Graph>,
                                     terms: &Arc<crate::index::TermIndex>,
                                     files: &[Arc<crate::kg::KgFile>]| {
                        // Symbols from the new graph at once, with the headings of the last run
                        // (if any) until the documents are read. Not when the saved graph, which
                        // answers already, has the same terms.
                        // A small graph's documents are read in moments: it waits for them.
                        if graph.term_count() >= workspace::EARLY_SERVE_MIN_TERMS
                            && saved.as_ref().is_none_or(|s| !Arc::ptr_eq(&s.terms, terms))
                        {
                            let headings = saved.as_ref().map(|s| s.headings.clone()).unwrap_or_default();
                            let docs = saved.as_ref().map_or(&[][..], |s| &s.docs[..]);
                            let generation = workspace::content_generation(files.iter().map(|f| &**f), docs);
                            early_search(graph, terms, headings, generation);
                        }
                        if first_load && !served_early {
                            let (graph, serve) = (graph.clone(), serve_early.clone());
                            early_completion = Some(scope.spawn(move || serve(graph)));
                        }
                    };
                    let (config, mut loaded) = workspace::load_graph_reusing(
                        &roots,
                        settings.as_ref(),
                        saved.as_ref(),
                        &mut report,
                        &mut built,
                    );
                    workspace::add_documents(&config, &mut loaded, &mut report);
                    if let Some(Err(panic)) = early_completion.map(|h| h.join()) {
                        std::panic::resume_unwind(panic);
                    }
                    (config, loaded)
                });
                // Dropped here: the saved graph is not kept beside the loaded one.
                loaded.changed |= saved.is_none_or(|s| s.docs != loaded.docs);
                // What is loaded answers workspace symbols while it is indexed for the rest.
                // The headings are the workspace's too once installed: built here, off the loop.
                let headings = Arc::new(crate::index::HeadingIndex::build(&loaded.docs));
                loaded.headings = Some(headings.clone());
                if let Some((graph, terms)) = &loaded.built {
                    let generation = workspace::content_generation(loaded.kg_files.iter().map(|f| &**f), &loaded.docs);
                    early_search(graph, terms, headings, generation);
                }
                workspace::index_loaded(&mut loaded, feedback.clone());
                (config, loaded, index_file)
            }));
            match loaded {
                Ok(done) => send(LoadEvent::Done(Box::new(done))),
                Err(panic) => send(LoadEvent::Failed(panic_message(&*panic))),
            }
        });
    }

    pub(super) fn on_load(&mut self, generation: u64, event: LoadEvent) {
        if generation != self.load.generation {
            return; // A superseded load.
        }
        match event {
            LoadEvent::Progress(message, pct) => {
                if self.progress == Progress::Active {
                    let report = WorkDoneProgressReport {
                        message: Some(message.clone()),
                        percentage: Some(pct),
                        ..Default::default()
                    };
                    self.send_progress(WorkDoneProgress::Report(report));
                }
                self.load.last_report = Some((message, pct));
            }
            LoadEvent::Early(analysis) => {
                if !self.load.ready {
                    self.load.early = Some(analysis);
                    self.dispatch_queued();
                }
            }
            LoadEvent::EarlySearch(early) => {
                if !self.load.ready {
                    tracing::debug!("workspace symbols served from the graph loaded so far");
                    self.load.early_search = Some(*early);
                    self.load.early_matches = None;
                    self.dispatch_queued();
                }
            }
            LoadEvent::Failed(message) => {
                tracing::error!("loading failed: {message}");
                self.show_message(MessageType::ERROR, format!("kg-ls: loading the knowledge graph failed: {message}"));
                self.load.running = false;
                self.load.ready = true;
                self.end_progress("failed".to_string());
                self.dispatch_queued();
            }
            LoadEvent::Done(done) => {
                let (config, loaded, index_file) = *done;
                self.load.running = false;
                let problems = loaded.problems.clone();
                let monitor_settings = config.monitor.clone();
                let graph_to_save = loaded.changed.then(|| {
                    let terms = loaded.built.as_ref().map(|(_, terms)| terms.clone());
                    (loaded.kg_files.clone(), loaded.stamps.clone(), loaded.docs.clone(), terms)
                });
                let fingerprint = loaded.fingerprint();
                let kept = (loaded.reused > 0).then(|| {
                    format!(" ({} of {} sources kept from the last run)", loaded.reused, loaded.kg_files.len())
                });
                self.ws.set_loaded(config, loaded);
                let stats = self.ws.stats();
                let index = self.ws.completion_analysis().completion.main.clone();
                self.load.ready = true;
                self.load.early = None;
                self.load.early_search = None;
                self.start_sampler(monitor_settings);
                self.monitor.set_gauge("index.concepts", stats.concepts as f64);
                self.monitor.set_gauge("index.terms", stats.terms as f64);
                self.monitor.set_gauge("index.headings", stats.headings as f64);
                self.monitor.set_gauge("index.completion_fst_bytes", index.fst_bytes() as f64);
                if let Some(file) = index_file {
                    let disk = self.ws.disk();
                    self.background.run(move || {
                        if let Err(e) = workspace::save_persisted(&*disk, &index, &file, fingerprint) {
                            tracing::warn!("cannot save the completion index: {e}");
                        }
                        if let Some((files, stamps, docs, terms)) = graph_to_save {
                            let saved =
                                workspace::save_graph(&*disk, &file.graph, &files, &stamps, &docs, terms.as_deref());
                            if let Err(e) = saved {
                                tracing::warn!("cannot save the parsed graph: {e}");
                            }
                        }
                    });
                }
                let summary = format!(
                    "{} concepts ({} terms), {} headings in {} documents",
                    stats.concepts, stats.terms, stats.headings, stats.documents
                );
                let kept = kept.unwrap_or_default();
                tracing::info!("indexed {summary}{kept}");
                self.log_message(MessageType::INFO, format!("kg-ls: indexed {summary}{kept}"));
                self.end_progress(summary);
                self.show_problems(&problems);
                if stats.concepts == 0 {
                    self.show_message(
                        MessageType::WARNING,
                        "kg-ls: the knowledge graph is empty: no concepts were loaded".to_string(),
                    );
                }
                // Before the queued requests: those that read mentions wait for the index.
                self.mentions_after_load();
                self.dispatch_queued();
                self.prepare_search();
                self.text_after_load();
            }
        }
    }

    pub(super) fn dispatch_queued(&mut self) {
        let queued = std::mem::take(&mut self.queued);
        for q in queued {
            self.queue(q);
        }
    }

    pub(super) fn end_progress(&mut self, summary: String) {
        match &mut self.progress {
            Progress::Active => {
                self.send_progress(WorkDoneProgress::End(WorkDoneProgressEnd { message: Some(summary) }));
                self.progress = Progress::Off;
            }
            Progress::Creating { end } => *end = Some(summary),
            Progress::Off => {}
        }
    }

    pub(super) fn send_progress(&self, value: WorkDoneProgress) {
        let params = ProgressParams {
            token: NumberOrString::String(INDEXING.to_string()),
            value: ProgressParamsValue::WorkDone(value),
        };
        self.out.send(transport::outgoing(None, notification::Progress::METHOD, &params));
    }

    /// Whether workspace symbols are answered from what the first load has so far: only while
    /// every open buffer says what that snapshot holds for its file. Otherwise they wait for
    /// the load, which has the buffers.
    pub(super) fn serves_early_search(&mut self) -> bool {
        let Some((early, ..)) = self.load.early_search.as_ref().filter(|_| !self.load.ready) else { return false };
        let generation = self.ws.generation();
        if let Some((at, matches)) = self.load.early_matches
            && at == generation
        {
            return matches;
        }
        let buffers = self.ws.documents.iter().filter_map(|(_, d)| Some((d.path.as_deref()?, d.text.as_str())));
        let matches = workspace::buffers_match(early, buffers);
        if !matches {
            tracing::debug!("an open buffer differs from the graph loaded so far: symbols wait for the load");
        }
        self.load.early_matches = Some((generation, matches));
        matches
    }

    /// What a workspace search reads. `fresh_headings` rebuilds the heading index first if
    /// open documents changed it.
    pub(super) fn search_snapshot(&mut self, fresh_headings: bool) -> search::Snapshot {
        // Until the first load ends, what it has so far: the saved graph and headings, then the
        // loaded ones, each under the generation of its contents.
        if self.serves_early_search()
            && let Some((analysis, generation, config)) = self.load.early_search.as_ref()
        {
            let (roots, config, limit) = config.as_ref().map_or_else(
                || (self.client.roots.clone(), workspace::SearchConfig::default(), workspace::DEFAULT_SYMBOL_LIMIT),
                |c| (c.roots.clone(), c.search.clone(), c.symbol_limit),
            );
            let (analysis, generation) = (analysis.clone(), *generation);
            return search::Snapshot { analysis, generation, roots, files: self.ws.files(), config, limit, text: None };
        }
        let analysis = self.ws.analysis(fresh_headings);
        let (roots, config, limit) = self.ws.config.as_ref().map_or_else(
            || (Vec::new(), workspace::SearchConfig::default(), workspace::DEFAULT_SYMBOL_LIMIT),
            |c| (c.roots.clone(), c.search.clone(), c.symbol_limit),
        );
        let (generation, files, text) = (self.ws.generation(), self.ws.files(), self.text.index.clone());
        search::Snapshot { analysis, generation, roots, files, config, limit, text }
    }

    /// Builds the search dictionaries of the current snapshot on a worker, ahead of the first
    /// search, then returns the memory the builds used to the system.
    pub(super) fn prepare_search(&mut self) {
        // Not the headings: rebuilding them stalls the loop (they are rebuilt on the next
        // workspace/symbol).
        let snap = self.search_snapshot(false);
        let host = self.search.clone();
        self.background.run(move || {
            host.prepare(&snap);
            drop(snap);
            crate::perf::process::release_free_memory();
        });
    }
}
