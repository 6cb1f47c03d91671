//! What the worker holds between commands, and which handler runs each command.
//!
//! Handlers are async (downloads, readbacks, yielding between training steps), so several may
//! interleave: each takes what it needs out of the session's cells for a moment. Only the
//! training loop keeps the model borrowed during a step; the others ask with `try_borrow`
//! and answer "busy" rather than wait.

use super::post;
use crate::protocol::*;
use crate::web;
use std::cell::{Cell, RefCell, RefMut};
use std::rc::Rc;
use web_sys::File;
use wick_engine::backend::NamedTensor;
use wick_engine::data::DatasetDict;
use wick_engine::hub::{ModelFiles, Repo};
use wick_engine::tokenize::{TokenizedSplit, Tokenizer};
use wick_engine::train::{Trainer, TrainerState};
use wick_webgpu::AnyBackend;

/// Flags the training loop reads between steps.
#[derive(Default)]
pub struct Control {
    pub paused: Cell<bool>,
    pub stop: Cell<bool>,
    pub running: Cell<bool>,
    /// Destroy the GPU device before the next step (`Command::LoseGpu`).
    pub lose_gpu: Cell<bool>,
}

/// A loaded checkpoint: its files (a fresh model is built from them for each run), its
/// tokenizer, and the Hub repo it came from (`None`: the user's files).
pub struct Checkpoint {
    pub files: Rc<ModelFiles>,
    pub tokenizer: Rc<Tokenizer>,
    pub hub: Option<Repo>,
    /// Tensors of another shape are drawn afresh (the Checkpoint panel's box).
    pub ignore_mismatched_sizes: bool,
}

/// The model the Evaluate, Try it and Export panels use: the checkpoint with a fresh head
/// until a run trains it, then the trained one (also after Stop, or an error mid-run).
pub struct Model {
    pub trainer: Trainer<AnyBackend>,
    pub trained: bool,
    /// On WebGPU, the run as of the last log (the trainer's state, the weights on the CPU): what
    /// it goes on from if the GPU fails (its memory is gone with the device).
    pub snapshot: Option<Snapshot>,
}

pub struct Snapshot {
    pub state: TrainerState,
    pub weights: Vec<NamedTensor>,
}

#[derive(Default)]
pub struct Session {
    pub control: Control,
    pub checkpoint: RefCell<Option<Checkpoint>>,
    pub data: RefCell<Option<Rc<DatasetDict>>>,
    /// The Hub repo and config the data set came from (`None`: the user's files).
    pub data_hub: RefCell<Option<(Repo, Option<String>)>>,
    /// `raw_datasets.map(tokenize_function, batched=True)`: every split, tokenized.
    pub mapped: RefCell<Option<Rc<Vec<(String, TokenizedSplit)>>>>,
    pub model: RefCell<Option<Model>>,
}

impl Session {
    /// Run a command. Pause/Resume/Stop act at once (the training loop reads the flags
    /// between steps); the others run as tasks that report their own errors.
    pub fn dispatch(this: &Rc<Self>, cmd: Command, files: Vec<File>) {
        match cmd {
            Command::Pause => this.control.paused.set(true),
            Command::Resume => this.control.paused.set(false),
            Command::Stop => this.control.stop.set(true),
            Command::LoseGpu => this.control.lose_gpu.set(true),
            Command::Crash => panic!("the page asked the worker to crash (debug)"),
            cmd => {
                let this = this.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let during = label(&cmd);
                    if let Err(message) = this.run(cmd, files).await {
                        post(&Event::Error { during, message }, &[]);
                    }
                });
            }
        }
    }

    async fn run(&self, cmd: Command, files: Vec<File>) -> Result<(), String> {
        use super::{load, pipeline, training};
        match cmd {
            Command::LoadModel {
                hub,
                repo,
                revision,
                ignore_mismatched_sizes,
            } => load::model_from_hub(self, &hub, &repo, &revision, ignore_mismatched_sizes).await,
            Command::LoadModelFiles {
                names,
                ignore_mismatched_sizes,
            } => load::model_from_files(self, names, files, ignore_mismatched_sizes).await,
            Command::LoadGlue { hub, task } => load::glue(self, &hub, &task).await,
            Command::LoadDatasetFiles {
                splits,
                names,
                mapping,
            } => load::dataset_files(self, splits, names, files, &mapping).await,
            Command::Rows {
                split,
                offset,
                count,
            } => {
                let data = self.data()?;
                post(
                    &Event::Rows(super::views::rows(&data, &split, offset, count)?),
                    &[],
                );
                Ok(())
            }
            Command::TokenizePair { a, b } => pipeline::tokenize_pair(self, &a, &b),
            Command::MapDataset => pipeline::map(self).map(|_| ()),
            Command::ShowBatches { batch_size, count } => {
                pipeline::batches(self, batch_size, count)
            }
            Command::Train { form } => training::train(self, &form).await,
            Command::Predict { split } => training::predict(self, &split).await,
            Command::TryPair { a, b } => training::try_pair(self, &a, &b).await,
            Command::Export => training::export(self).await,
            Command::ExportProject {
                form,
                max_data_bytes,
            } => super::project::export(self, &form, max_data_bytes).await,
            Command::ClearCache => {
                let entries = web::fetch::clear_cache().await?;
                post(&Event::CacheCleared { entries }, &[]);
                Ok(())
            }
            Command::Pause
            | Command::Resume
            | Command::Stop
            | Command::LoseGpu
            | Command::Crash => Ok(()),
        }
    }

    pub fn data(&self) -> Result<Rc<DatasetDict>, String> {
        self.data
            .borrow()
            .clone()
            .ok_or_else(|| "load a data set first (panel 2)".to_string())
    }

    pub fn files(&self) -> Result<Rc<ModelFiles>, String> {
        self.with_checkpoint(|c| c.files.clone())
    }

    pub fn tokenizer(&self) -> Result<Rc<Tokenizer>, String> {
        self.with_checkpoint(|c| c.tokenizer.clone())
    }

    pub fn ignore_mismatched_sizes(&self) -> Result<bool, String> {
        self.with_checkpoint(|c| c.ignore_mismatched_sizes)
    }

    fn with_checkpoint<T>(&self, get: impl FnOnce(&Checkpoint) -> T) -> Result<T, String> {
        let checkpoint = self.checkpoint.borrow();
        checkpoint
            .as_ref()
            .map(get)
            .ok_or_else(|| "load a checkpoint first (panel 1)".to_string())
    }

    /// The model, unless a training step holds it right now.
    pub fn model_mut(&self) -> Result<RefMut<'_, Option<Model>>, String> {
        self.model
            .try_borrow_mut()
            .map_err(|_| "the model is busy with a training step; try again".to_string())
    }
}

/// What a command is doing, for error messages ("loading the checkpoint: ...").
fn label(cmd: &Command) -> String {
    match cmd {
        Command::LoadModel { repo, .. } => format!("loading the checkpoint {repo}"),
        Command::LoadModelFiles { .. } => "loading the checkpoint files".into(),
        Command::LoadGlue { task, .. } => format!("loading GLUE {task}"),
        Command::LoadDatasetFiles { .. } => "loading the data set files".into(),
        Command::Rows { .. } => "reading rows".into(),
        Command::TokenizePair { .. } => "tokenizing".into(),
        Command::MapDataset => "tokenizing the data set".into(),
        Command::ShowBatches { .. } => "drawing batches".into(),
        Command::Train { .. } => "training".into(),
        Command::Predict { split } => format!("predicting on {split}"),
        Command::TryPair { .. } => "classifying the pair".into(),
        Command::Export => "exporting".into(),
        Command::ExportProject { .. } => "exporting the project".into(),
        Command::ClearCache => "clearing the cache".into(),
        Command::Pause | Command::Resume | Command::Stop | Command::LoseGpu => {
            "controlling the run".into()
        }
        Command::Crash => "crashing".into(),
    }
}
