//! What the page knows, as signals: one small struct per panel, all `Copy`, and `apply`, the
//! one place where worker events become state.

use crate::protocol::*;
use leptos::prelude::*;
use web_sys::Blob;

/// A message in the banner: errors stay until dismissed.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub id: u64,
    pub kind: &'static str,
    pub text: String,
}

#[derive(Clone, Copy)]
pub struct Settings {
    pub hub: RwSignal<String>,
    pub token: RwSignal<String>,
    /// `?debug=1`: show test controls (simulate a lost GPU).
    pub debug: bool,
    /// Every setting a class link can carry, as the page started (`class_link`).
    pub defaults: StoredValue<Vec<(String, String)>>,
}

impl Settings {
    pub fn hub(&self) -> HubSettings {
        let token = self.token.get_untracked();
        HubSettings {
            endpoint: self.hub.get_untracked().trim_end_matches('/').to_string(),
            token: (!token.trim().is_empty()).then(|| token.trim().to_string()),
        }
    }
}

#[derive(Clone, Copy)]
pub struct ModelState {
    /// The Hub repository and revision to load.
    pub repo: RwSignal<String>,
    pub revision: RwSignal<String>,
    /// Draw afresh the checkpoint tensors of another shape (transformers' option of that name).
    pub ignore_mismatched_sizes: RwSignal<bool>,
    pub downloads: RwSignal<Vec<Download>>,
    pub card: RwSignal<Option<ModelCard>>,
    pub busy: RwSignal<bool>,
}

#[derive(Clone, Copy)]
pub struct DataState {
    /// The GLUE task to load, or the user's own files (with `mapping`) when `own_files`.
    pub task: RwSignal<String>,
    pub own_files: RwSignal<bool>,
    pub mapping: RwSignal<ColumnMapping>,
    pub downloads: RwSignal<Vec<Download>>,
    pub view: RwSignal<Option<DatasetView>>,
    pub rows: RwSignal<Option<RowsView>>,
    pub busy: RwSignal<bool>,
}

#[derive(Clone, Copy)]
pub struct TokState {
    pub pair: RwSignal<Option<TokensView>>,
    pub map_progress: RwSignal<Vec<(String, usize, usize)>>,
    pub mapped: RwSignal<Option<MappedView>>,
}

#[derive(Clone, Copy)]
pub struct TrainState {
    /// The Train panel's `TrainingArguments` form: what Start trains with, what a class link
    /// carries and what the project export takes.
    pub form: RwSignal<TrainForm>,
    pub run: RwSignal<RunState>,
    pub total_steps: RwSignal<u64>,
    pub progress: RwSignal<Option<Progress>>,
    /// (step, learning rate) of every optimizer step.
    pub steps: RwSignal<Vec<(u64, f64)>>,
    pub log: RwSignal<Vec<LogEntry>>,
    /// The backend of the run, and why: ("webgpu", "WebGPU: SwiftShader ...").
    pub backend: RwSignal<Option<(String, String)>>,
}

#[derive(Clone, Copy)]
pub struct ExportState {
    pub files: RwSignal<Vec<(ExportedFile, String)>>,
    /// The project zip (its object URL), what it holds, and the launch lines.
    pub project: RwSignal<Option<ProjectZip>>,
    /// Own data over the limit: (bytes, limit), until the user decides.
    pub project_ask: RwSignal<Option<(u64, u64)>>,
    pub project_busy: RwSignal<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProjectZip {
    pub zip: ExportedFile,
    pub url: String,
    pub files: Vec<ExportedFile>,
    pub launch: Vec<String>,
}

/// Everything, provided as context by the app.
#[derive(Clone, Copy)]
pub struct AppState {
    pub settings: Settings,
    pub notices: RwSignal<Vec<Notice>>,
    pub worker_ready: RwSignal<bool>,
    pub model: ModelState,
    pub data: DataState,
    pub tok: TokState,
    pub batches: RwSignal<Option<BatchesView>>,
    pub train: TrainState,
    pub predictions: RwSignal<Option<PredictionsView>>,
    pub pair: RwSignal<Option<PairResult>>,
    pub export: ExportState,
}

impl AppState {
    pub fn new(hub: String, debug: bool) -> Self {
        AppState {
            settings: Settings {
                hub: RwSignal::new(hub),
                token: RwSignal::new(String::new()),
                debug,
                defaults: StoredValue::new(Vec::new()),
            },
            notices: RwSignal::new(Vec::new()),
            worker_ready: RwSignal::new(false),
            model: ModelState {
                repo: RwSignal::new(crate::panels::checkpoint::QUICK_PICKS[0].0.to_string()),
                revision: RwSignal::new("main".to_string()),
                ignore_mismatched_sizes: RwSignal::new(false),
                downloads: RwSignal::new(Vec::new()),
                card: RwSignal::new(None),
                busy: RwSignal::new(false),
            },
            data: DataState {
                task: RwSignal::new("mrpc".to_string()),
                own_files: RwSignal::new(false),
                mapping: RwSignal::new(ColumnMapping {
                    text_a: "sentence1".into(),
                    text_b: "sentence2".into(),
                    label: "label".into(),
                }),
                downloads: RwSignal::new(Vec::new()),
                view: RwSignal::new(None),
                rows: RwSignal::new(None),
                busy: RwSignal::new(false),
            },
            tok: TokState {
                pair: RwSignal::new(None),
                map_progress: RwSignal::new(Vec::new()),
                mapped: RwSignal::new(None),
            },
            batches: RwSignal::new(None),
            train: TrainState {
                form: RwSignal::new(TrainForm::default()),
                run: RwSignal::new(RunState::Idle),
                total_steps: RwSignal::new(0),
                progress: RwSignal::new(None),
                steps: RwSignal::new(Vec::new()),
                log: RwSignal::new(Vec::new()),
                backend: RwSignal::new(None),
            },
            predictions: RwSignal::new(None),
            pair: RwSignal::new(None),
            export: ExportState {
                files: RwSignal::new(Vec::new()),
                project: RwSignal::new(None),
                project_ask: RwSignal::new(None),
                project_busy: RwSignal::new(false),
            },
        }
    }

    pub fn notify(&self, kind: &'static str, text: String) {
        self.notices.update(|n| {
            let id = n.last().map_or(0, |l| l.id + 1);
            n.push(Notice { id, kind, text });
        });
    }

    /// Turn one worker event into state.
    pub fn apply(&self, event: Event, blobs: Vec<Blob>) {
        match event {
            Event::Ready => self.worker_ready.set(true),
            Event::Download(d) => {
                let list = if d.panel == "dataset" {
                    self.data.downloads
                } else {
                    self.model.downloads
                };
                list.update(|all| match all.iter_mut().find(|x| x.url == d.url) {
                    Some(x) => *x = d,
                    None => all.push(d),
                })
            }
            Event::ModelLoaded(card) => {
                self.model.busy.set(false);
                self.model.card.set(Some(card));
                // Another tokenizer: the worker dropped the mapped splits, and the tokens
                // shown came from the old one.
                self.tok.pair.set(None);
                self.tok.mapped.set(None);
                self.tok.map_progress.set(Vec::new());
            }
            Event::DatasetLoaded(view) => {
                self.data.busy.set(false);
                self.tok.mapped.set(None);
                self.tok.map_progress.set(Vec::new());
                self.data.rows.set(None);
                self.data.view.set(Some(view));
            }
            Event::Rows(rows) => self.data.rows.set(Some(rows)),
            Event::Tokens(t) => self.tok.pair.set(Some(t)),
            Event::MapProgress { split, done, total } => self.tok.map_progress.update(|p| match p
                .iter_mut()
                .find(|x| x.0 == split)
            {
                Some(x) => *x = (split, done, total),
                None => p.push((split, done, total)),
            }),
            Event::Mapped(m) => self.tok.mapped.set(Some(m)),
            Event::Batches(b) => self.batches.set(Some(b)),
            Event::TrainState { state, total_steps } => {
                if state == RunState::Running && self.train.run.get_untracked() == RunState::Idle {
                    self.train.steps.set(Vec::new());
                    self.train.log.set(Vec::new());
                    self.train.progress.set(None);
                }
                self.train.run.set(state);
                self.train.total_steps.set(total_steps);
            }
            Event::Backend { name, detail } => {
                // A change of backend mid-run is the fall back from a failed GPU: say so.
                if self.train.backend.get_untracked().is_some() {
                    self.notify("info", detail.clone());
                }
                self.train.backend.set(Some((name, detail)));
            }
            Event::Progress(p) => {
                self.train
                    .steps
                    .update(|l| l.push((p.step, p.learning_rate)));
                self.train.progress.set(Some(p));
            }
            Event::Log(entry) => self.train.log.update(|l| l.push(entry)),
            Event::Predictions(p) => self.predictions.set(Some(p)),
            Event::Pair(p) => self.pair.set(Some(p)),
            Event::Exported { files } => {
                let old = self.export.files.get_untracked();
                for (_, url) in old {
                    let _ = web_sys::Url::revoke_object_url(&url);
                }
                let urls = blobs
                    .iter()
                    .map(|b| web_sys::Url::create_object_url_with_blob(b).unwrap_or_default());
                self.export.files.set(files.into_iter().zip(urls).collect());
            }
            Event::ProjectExported { zip, files, launch } => {
                if let Some(old) = self.export.project.get_untracked() {
                    let _ = web_sys::Url::revoke_object_url(&old.url);
                }
                let url = blobs
                    .first()
                    .and_then(|b| web_sys::Url::create_object_url_with_blob(b).ok())
                    .unwrap_or_default();
                self.export.project_busy.set(false);
                self.export.project_ask.set(None);
                self.export.project.set(Some(ProjectZip {
                    zip,
                    url,
                    files,
                    launch,
                }));
            }
            Event::ProjectDataTooLarge { bytes, limit } => {
                self.export.project_busy.set(false);
                self.export.project_ask.set(Some((bytes, limit)));
            }
            Event::CacheCleared { entries } => {
                self.notify("info", format!("Cleared {entries} cached downloads."))
            }
            Event::Error { during, message } => {
                self.model.busy.set(false);
                self.data.busy.set(false);
                self.export.project_busy.set(false);
                self.notify("error", format!("{during}: {message}"));
            }
            Event::Panic { message } => {
                self.model.busy.set(false);
                self.data.busy.set(false);
                self.export.project_busy.set(false);
                self.worker_ready.set(false);
                if matches!(
                    self.train.run.get_untracked(),
                    RunState::Running | RunState::Paused
                ) {
                    self.train.run.set(RunState::Stopped);
                }
                self.notify(
                    "error",
                    format!(
                        "The worker crashed ({message}). A new worker is starting; load the \
                         checkpoint and the data set again to continue."
                    ),
                );
            }
        }
    }
}
