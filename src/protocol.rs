//! The messages between the page (Leptos, main thread) and the worker (the engine).
//!
//! Both directions are plain serde enums sent as JSON strings through `postMessage`. Bulk
//! bytes never go through JSON: files the user picked travel next to a command as `File`
//! objects, and exported files come back next to an event as `Blob`s (see `app::link` and
//! `worker::post`).
//!
//! The events carry *views*: what a panel draws (strings, numbers, small tables), not engine
//! types, so the UI does not change when the engine's internals do.

use serde::{Deserialize, Serialize};

/// Rows per page of the row browser (the worker sends the first page with the data set).
pub const ROWS_PER_PAGE: usize = 10;

/// Where the Hub lives: `https://huggingface.co`, a mirror, or `wick hub serve`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HubSettings {
    pub endpoint: String,
    /// `Authorization: Bearer` token for gated or private repositories.
    pub token: Option<String>,
}

/// transformers' `TrainingArguments` as the form edits them (the same names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainForm {
    pub learning_rate: f64,
    pub num_train_epochs: f64,
    /// Stop after this many optimizer steps when > 0 (overrides the epochs).
    pub max_steps: i64,
    pub per_device_train_batch_size: usize,
    pub per_device_eval_batch_size: usize,
    pub gradient_accumulation_steps: usize,
    pub weight_decay: f64,
    pub warmup_steps: usize,
    pub max_grad_norm: f64,
    pub logging_steps: usize,
    /// "no", "steps" or "epoch".
    pub eval_strategy: String,
    pub eval_steps: usize,
    pub seed: u64,
    /// Use only the first rows of the train split (0 = all): a quick run in a class.
    pub train_rows: usize,
    /// "auto" (WebGPU where the browser has an adapter, the CPU otherwise), "cpu" or "webgpu".
    pub backend: String,
    /// On WebGPU with `shader-f16`: matmul tiles in f16 (faster, about 1e-3 less exact).
    pub webgpu_f16: bool,
}

impl Default for TrainForm {
    fn default() -> Self {
        TrainForm {
            learning_rate: 5e-5,
            num_train_epochs: 3.0,
            max_steps: -1,
            per_device_train_batch_size: 8,
            per_device_eval_batch_size: 8,
            gradient_accumulation_steps: 1,
            weight_decay: 0.0,
            warmup_steps: 0,
            max_grad_norm: 1.0,
            logging_steps: 500,
            eval_strategy: "epoch".into(),
            eval_steps: 500,
            seed: 42,
            train_rows: 0,
            backend: "auto".into(),
            webgpu_f16: false,
        }
    }
}

/// Which columns of a user's own data set hold the texts and the label.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub text_a: String,
    /// Empty for single-sentence tasks.
    pub text_b: String,
    pub label: String,
}

/// Page -> worker.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "cmd")]
pub enum Command {
    /// Download (or take from the Cache API) a checkpoint's files and load it.
    /// `ignore_mismatched_sizes`: draw afresh the tensors of another shape (a head trained for
    /// another number of labels), as transformers' `from_pretrained` option.
    LoadModel {
        hub: HubSettings,
        repo: String,
        revision: String,
        #[serde(default)]
        ignore_mismatched_sizes: bool,
    },
    /// Load a checkpoint from files the user picked; the `File`s travel with the message.
    LoadModelFiles {
        names: Vec<String>,
        #[serde(default)]
        ignore_mismatched_sizes: bool,
    },
    /// A GLUE task from the Hub (`nyu-mll/glue`, parquet).
    LoadGlue {
        hub: HubSettings,
        task: String,
    },
    /// The user's own CSV/TSV/JSONL/parquet files (one per split; `File`s attached).
    LoadDatasetFiles {
        splits: Vec<String>,
        names: Vec<String>,
        mapping: ColumnMapping,
    },
    /// Rows for the browser, as strings.
    Rows {
        split: String,
        offset: usize,
        count: usize,
    },
    /// Tokenize one pair (or one sentence when `b` is empty).
    TokenizePair {
        a: String,
        b: String,
    },
    /// `dataset.map(tokenize_function, batched=True)` over every split.
    MapDataset,
    /// Draw `count` padded batches of the train split's first rows.
    ShowBatches {
        batch_size: usize,
        count: usize,
    },
    Train {
        form: TrainForm,
    },
    Pause,
    Resume,
    Stop,
    /// Destroy the GPU device of the run in progress, as a driver reset would (`?debug=1`): the
    /// run must go on on the CPU.
    LoseGpu,
    /// `trainer.predict(split)`.
    Predict {
        split: String,
    },
    /// The trained (or loaded) model on the user's own pair.
    TryPair {
        a: String,
        b: String,
    },
    /// `save_pretrained` files and the log history; they come back as `Blob`s.
    Export,
    /// "Run it on a GPU server": the run (these settings, the loaded checkpoint and data, the
    /// weights trained here if any) as a transformers + accelerate project, zipped.
    ExportProject {
        form: TrainForm,
        /// Copy the user's own data into the project only up to this many bytes; over it the
        /// worker asks (`Event::ProjectDataTooLarge`) instead.
        max_data_bytes: u64,
    },
    /// Empty the Cache API store of Hub downloads.
    ClearCache,
    /// Panic in the worker (`?debug=1`): the page must survive it and start a new worker.
    Crash,
}

/// A file download in progress (or taken from the cache).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Download {
    /// Which panel shows it: "checkpoint" or "dataset".
    pub panel: String,
    pub url: String,
    pub done: u64,
    pub total: Option<u64>,
    /// Bytes per second since the download started.
    pub rate: f64,
    pub cached: bool,
    pub finished: bool,
}

/// What the checkpoint panel shows about a model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    pub name: String,
    pub model_type: String,
    pub layers: usize,
    pub hidden_size: usize,
    pub heads: usize,
    pub intermediate_size: usize,
    pub vocab_size: usize,
    pub max_positions: usize,
    pub parameters: u64,
    pub bytes: u64,
    /// False for DistilBERT-like models (no `token_type_ids`).
    pub uses_token_types: bool,
    /// The class loaded (`BertForSequenceClassification`).
    pub architecture: String,
    /// The load report: tensors created fresh (the head), checkpoint tensors not used.
    pub newly_initialized: Vec<String>,
    pub unused: Vec<String>,
    pub missing: Vec<String>,
    /// Tensors drawn afresh under `ignore_mismatched_sizes`: name, checkpoint shape, model shape.
    #[serde(default)]
    pub mismatched: Vec<(String, Vec<usize>, Vec<usize>)>,
    /// How conflicting labels were settled (config.json against itself, then the data set).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The checkpoint has no tokenizer.json: its tokenizer was built from vocab.txt.
    #[serde(default)]
    pub tokenizer_from_vocab: bool,
}

/// A split's name and size.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SplitInfo {
    pub name: String,
    pub rows: usize,
}

/// A feature (column) and its type, as `datasets` prints it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureInfo {
    pub name: String,
    pub dtype: String,
    /// Label names for a `ClassLabel`.
    pub names: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetView {
    pub name: String,
    pub splits: Vec<SplitInfo>,
    pub features: Vec<FeatureInfo>,
    pub label_names: Vec<String>,
    /// The GLUE metric names ("accuracy", "f1", ...).
    pub metrics: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RowsView {
    pub split: String,
    pub offset: usize,
    pub total: usize,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One encoded pair: one entry per token.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TokensView {
    pub tokens: Vec<String>,
    pub input_ids: Vec<u32>,
    /// Empty for models without segments.
    pub token_type_ids: Vec<u32>,
    pub attention_mask: Vec<u32>,
}

/// Counts of sequence lengths in bins of `bin_width` starting at 0.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub bin_width: usize,
    pub counts: Vec<usize>,
    pub max: usize,
    pub mean: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MappedView {
    pub splits: Vec<SplitInfo>,
    pub columns: Vec<String>,
    pub lengths: Histogram,
    pub millis: f64,
}

/// A padded batch as the grid draws it (`tokens[row][position]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchView {
    pub tokens: Vec<Vec<String>>,
    pub input_ids: Vec<Vec<u32>>,
    pub attention_mask: Vec<Vec<u32>>,
    pub token_type_ids: Vec<Vec<u32>>,
    pub labels: Vec<f32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchesView {
    pub batches: Vec<BatchView>,
    /// Tokens (incl. padding) when every batch of the train split is padded to its own
    /// longest row, against padding every row to the split's longest.
    pub dynamic_tokens: usize,
    pub fixed_tokens: usize,
    pub real_tokens: usize,
}

/// One entry of `trainer.state.log_history`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub step: u64,
    pub epoch: f64,
    /// Training loss (averaged since the last log) and learning rate, on training logs.
    pub loss: Option<f64>,
    pub learning_rate: Option<f64>,
    pub grad_norm: Option<f64>,
    /// The trainer's speed over the steps since the last log (to the device's completion).
    #[serde(default)]
    pub examples_per_second: Option<f64>,
    /// `eval_loss`, `eval_accuracy`, ... on evaluation logs.
    pub eval: Vec<(String, f64)>,
    /// Seconds of the run so far by the worker's wall clock (pauses excluded), when it was
    /// logged: the tests check the logged speed against it.
    #[serde(default)]
    pub wall_s: f64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunState {
    #[default]
    Idle,
    Running,
    Paused,
    Stopped,
    Finished,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub step: u64,
    pub total_steps: u64,
    pub epoch: f64,
    pub elapsed_s: f64,
    pub examples_per_s: f64,
    /// The learning rate of the step just taken.
    pub learning_rate: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PredictionRow {
    pub text: String,
    pub logits: Vec<f32>,
    pub probs: Vec<f32>,
    pub pred: usize,
    pub gold: Option<usize>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PredictionsView {
    pub split: String,
    pub label_names: Vec<String>,
    pub rows: Vec<PredictionRow>,
    pub metrics: Vec<(String, f64)>,
    /// `confusion[gold][pred]`.
    pub confusion: Vec<Vec<usize>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PairResult {
    pub label_names: Vec<String>,
    pub logits: Vec<f32>,
    pub probs: Vec<f32>,
    pub pred: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExportedFile {
    pub name: String,
    pub bytes: u64,
}

/// Worker -> page.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "event")]
pub enum Event {
    /// The worker is up; messages sent earlier would have been lost.
    Ready,
    Download(Download),
    ModelLoaded(ModelCard),
    DatasetLoaded(DatasetView),
    Rows(RowsView),
    Tokens(TokensView),
    MapProgress {
        split: String,
        done: usize,
        total: usize,
    },
    Mapped(MappedView),
    Batches(BatchesView),
    TrainState {
        state: RunState,
        total_steps: u64,
    },
    /// Which backend the run trains on, and why (the adapter; or why not WebGPU).
    Backend {
        name: String,
        detail: String,
    },
    Progress(Progress),
    Log(LogEntry),
    Predictions(PredictionsView),
    Pair(PairResult),
    /// The files come as `Blob`s beside the message, in this order.
    Exported {
        files: Vec<ExportedFile>,
    },
    /// The project zip (one `Blob` beside the message), what it holds, and the lines that run it.
    ProjectExported {
        zip: ExportedFile,
        files: Vec<ExportedFile>,
        launch: Vec<String>,
    },
    /// The own data files are larger than the page allowed: it asks before copying them in.
    ProjectDataTooLarge {
        bytes: u64,
        limit: u64,
    },
    CacheCleared {
        entries: usize,
    },
    /// A command failed; `during` names it. The worker and what it holds are intact.
    Error {
        during: String,
        message: String,
    },
    /// The worker panicked: it is gone, and the page starts a new one.
    Panic {
        message: String,
    },
}
