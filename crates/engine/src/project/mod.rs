//! "Run it on a GPU server": a run set up in Wick as a folder that trains with transformers'
//! `Trainer` on one GPU, many (`accelerate launch`, `torchrun`) or the CPU, and needs nothing
//! of Wick's. The CLI (`wick export-project`) writes it to disk, the browser as a zip; both get
//! their files from [`generate`].
//!
//! The folder: `train.py` (the course's chapter 3 with the run's settings, from the template
//! `train.py` beside this file), `requirements.txt`, `README.md` (the launch lines), the settings
//! as JSON (`wick_run.json`), and where needed `data/` (the user's own data, as Wick loaded and
//! mapped it), `checkpoint/` (a checkpoint that is not on the Hub) and `wick_model/` (the weights
//! trained in Wick, for `train.py --from-wick-weights`).

mod python;
mod readme;
mod write;

pub use python::TRAIN_PY;
pub use write::to_zip;
#[cfg(not(target_arch = "wasm32"))]
pub use write::write_project;

use crate::data::{DatasetDict, GlueTask};
use crate::export::ExportFile;
use crate::hub::{ModelFiles, Repo};
use crate::train::{IntervalStrategy, TrainingArguments};
use crate::{Error, Result};
use python::{keyword_dict, literal, Setting};
use serde_json::{json, Value};

/// The pinned packages (the versions the tests run the exported project with).
pub const REQUIREMENTS_TXT: &str = include_str!("requirements.txt");

/// The processes the printed launch lines start (README.md also has 4 and 8).
pub const EXAMPLE_PROCESSES: usize = 2;

/// Where the checkpoint comes from.
pub enum ModelOrigin<'a> {
    /// `from_pretrained("owner/name", revision=...)` on the GPU server.
    Hub(&'a Repo),
    /// Files Wick read from a local folder or an upload: shipped in `checkpoint/`.
    Files(&'a ModelFiles),
}

/// Where the data comes from.
pub enum DataOrigin {
    /// `load_dataset(id, config, revision=...)` on the GPU server.
    Hub { repo: Repo, config: Option<String> },
    /// The data as Wick holds it (after the column mapping): shipped as `data/{split}.jsonl`
    /// (from [`own_data_files`]).
    Own(Vec<ExportFile>),
}

/// A run to export: what Wick trained (or would train) on, and how.
pub struct ProjectSpec<'a> {
    pub model: ModelOrigin<'a>,
    pub data: DataOrigin,
    /// The data set as loaded: its columns, labels and splits.
    pub dataset: &'a DatasetDict,
    /// The split evaluations run on (`validation`, MNLI's `validation_matched`).
    pub eval_split: &'a str,
    /// The GLUE task whose metric is reported, or `custom`.
    pub task: &'a str,
    pub args: &'a TrainingArguments,
    /// Train on the first rows of the train split only (0: all of them).
    pub train_rows: usize,
    /// Truncation length in tokens, special tokens included (`Tokenizer::max_length`).
    pub max_length: usize,
    /// The trained model in `save_pretrained` layout (`export::save_pretrained`, or the files
    /// of a `wick train` output folder): shipped in `wick_model/`.
    pub wick_model: Option<&'a [ExportFile]>,
    /// Who wrote the folder, for `wick_run.json` (`wick export-project`, `the Wick page`).
    pub exported_from: &'a str,
    /// The checkpoint was loaded with `ignore_mismatched_sizes` (a head of another size):
    /// train.py passes it to `from_pretrained` too.
    pub ignore_mismatched_sizes: bool,
}

/// The folder's files, and the launch lines to show.
pub struct Project {
    pub files: Vec<ExportFile>,
    pub launch: Vec<String>,
}

/// Every file of the folder, in a fixed order: README.md, train.py, requirements.txt,
/// wick_run.json, then data/, checkpoint/ and wick_model/ where the run needs them.
/// Errors: no train split or no `eval_split`, labels that do not agree with `wick_model`.
pub fn generate(spec: &ProjectSpec) -> Result<Project> {
    let labels = label_names(spec)?;
    for split in ["train", spec.eval_split] {
        if spec.dataset.split(split).is_none() {
            return Err(Error::Invalid(format!(
                "the data set has no `{split}` split (it has {})",
                spec.dataset.split_names().join(", ")
            )));
        }
    }
    if let Some(files) = spec.wick_model {
        check_wick_model(files, &labels)?;
    }
    let text_columns = crate::tokenize::text_columns(spec.dataset)?;
    let train_py = python::render(&settings(spec, &labels, &text_columns))?;
    let launch = launch_lines(spec.args, spec.wick_model.is_some());

    let mut files = vec![
        (
            "README.md".to_string(),
            readme::render(spec, &labels, &launch)?.into_bytes(),
        ),
        ("train.py".to_string(), train_py.into_bytes()),
        (
            "requirements.txt".to_string(),
            REQUIREMENTS_TXT.as_bytes().to_vec(),
        ),
        (
            "wick_run.json".to_string(),
            wick_run_json(spec, &labels, &text_columns)?,
        ),
    ];
    if let DataOrigin::Own(data) = &spec.data {
        files.extend(data.iter().cloned());
    }
    if let ModelOrigin::Files(model) = &spec.model {
        files.extend(in_folder("checkpoint", &model_folder(model)));
    }
    if let Some(model) = spec.wick_model {
        files.extend(in_folder("wick_model", model));
    }
    Ok(Project { files, launch })
}

/// The splits train.py reads (`train` and the evaluation split) as JSON lines, one object per
/// row with the columns Wick holds (after the column mapping): `data/train.jsonl`, ...
pub fn own_data_files(dataset: &DatasetDict, eval_split: &str) -> Result<Vec<ExportFile>> {
    let mut out = Vec::new();
    for name in ["train", eval_split] {
        let Some(split) = dataset.split(name) else {
            continue;
        };
        let mut bytes = Vec::new();
        for i in 0..split.num_rows() {
            let row = split.row(i).unwrap_or(Value::Null);
            serde_json::to_writer(&mut bytes, &row)
                .map_err(|e| Error::Invalid(format!("{name}, row {i}: {e}")))?;
            bytes.push(b'\n');
        }
        out.push((format!("data/{name}.jsonl"), bytes));
    }
    Ok(out)
}

/// The size of `files` in bytes.
pub fn data_bytes(files: &[ExportFile]) -> u64 {
    files.iter().map(|(_, b)| b.len() as u64).sum()
}

/// Own data larger than `limit` bytes is not copied in without asking: the error says how
/// large it is and how to allow it.
pub fn check_data_size(files: &[ExportFile], limit: u64) -> Result<()> {
    let bytes = data_bytes(files);
    if bytes > limit {
        return Err(Error::Invalid(format!(
            "the data files are {:.1} MB, over the {:.1} MB limit for copying data into the project; \
             allow more (--max-data-mb) to copy them in",
            bytes as f64 / 1e6,
            limit as f64 / 1e6
        )));
    }
    Ok(())
}

/// The files of a model folder (`save_pretrained` layout) from what Wick loaded.
pub fn model_folder(files: &ModelFiles) -> Vec<ExportFile> {
    let mut out = vec![
        (
            "config.json".to_string(),
            files.config_json.as_bytes().to_vec(),
        ),
        ("model.safetensors".to_string(), files.weights.clone()),
        (
            "tokenizer.json".to_string(),
            files.tokenizer_json.as_bytes().to_vec(),
        ),
    ];
    if let Some(config) = &files.tokenizer_config_json {
        out.push((
            "tokenizer_config.json".to_string(),
            config.as_bytes().to_vec(),
        ));
    }
    out
}

fn in_folder(folder: &str, files: &[ExportFile]) -> Vec<ExportFile> {
    files
        .iter()
        .map(|(name, bytes)| (format!("{folder}/{name}"), bytes.clone()))
        .collect()
}

/// The class names in id order (`LABEL_i` where the data has none); empty for regression.
fn label_names(spec: &ProjectSpec) -> Result<Vec<String>> {
    if let Some(task) = spec.dataset.glue_task() {
        return Ok(task.label_names.iter().map(|s| s.to_string()).collect());
    }
    if let Some(names) = spec.dataset.label_names() {
        return Ok(names);
    }
    match spec.dataset.num_labels() {
        Some(1) => Ok(Vec::new()),
        Some(n) => Ok((0..n).map(|i| format!("LABEL_{i}")).collect()),
        None => Err(Error::Invalid(
            "cannot tell how many labels the data set has (no `label` column)".into(),
        )),
    }
}

/// The trained head must predict as many classes as the data set has.
fn check_wick_model(files: &[ExportFile], labels: &[String]) -> Result<()> {
    let config = files
        .iter()
        .find(|(n, _)| n == "config.json")
        .ok_or_else(|| Error::Model("the trained model has no config.json".into()))?;
    let config: Value = serde_json::from_slice(&config.1)
        .map_err(|e| Error::Model(format!("the trained model's config.json: {e}")))?;
    let count = config
        .get("id2label")
        .and_then(Value::as_object)
        .map_or(0, |m| m.len());
    let expected = labels.len().max(1);
    if count != expected {
        return Err(Error::Model(format!(
            "the trained model predicts {count} labels, the data set has {expected}: \
             export it with the data it was trained on"
        )));
    }
    Ok(())
}

/// The `training_arguments` of train.py: Wick's settings in transformers' names.
fn training_arguments(args: &TrainingArguments) -> Vec<(&'static str, Value)> {
    // transformers 5 takes a warmup ratio as a float < 1 in `warmup_steps` (rounded up, as Wick).
    let warmup = if args.warmup_steps > 0 || args.warmup_ratio == 0.0 {
        json!(args.warmup_steps)
    } else {
        json!(args.warmup_ratio)
    };
    let mut out = vec![
        ("learning_rate", json!(args.learning_rate)),
        ("lr_scheduler_type", json!(args.lr_scheduler_type)),
        ("warmup_steps", warmup),
        ("weight_decay", json!(args.weight_decay)),
        ("adam_beta1", json!(args.adam_beta1)),
        ("adam_beta2", json!(args.adam_beta2)),
        ("adam_epsilon", json!(args.adam_epsilon)),
        ("max_grad_norm", json!(args.max_grad_norm)),
        (
            "per_device_train_batch_size",
            json!(args.per_device_train_batch_size),
        ),
        (
            "per_device_eval_batch_size",
            json!(args.per_device_eval_batch_size),
        ),
        (
            "gradient_accumulation_steps",
            json!(args.gradient_accumulation_steps),
        ),
        ("num_train_epochs", json!(args.num_train_epochs)),
        ("max_steps", json!(args.max_steps)),
        ("eval_strategy", json!(args.eval_strategy)),
    ];
    if args.eval_strategy == IntervalStrategy::Steps {
        out.push(("eval_steps", json!(args.eval_interval())));
    }
    out.extend([
        ("logging_steps", json!(args.logging_steps)),
        ("logging_first_step", json!(args.logging_first_step)),
        ("seed", json!(args.seed)),
    ]);
    out
}

/// The settings block of train.py, in the template's order.
fn settings(spec: &ProjectSpec, labels: &[String], text_columns: &[String]) -> Vec<Setting> {
    let s = |v: Value| literal(&v);
    let shipped = |folder: &str| format!("os.path.join(HERE, {})", s(json!(folder)));
    let (checkpoint, revision) = match &spec.model {
        ModelOrigin::Hub(repo) => (s(json!(repo.id)), s(json!(repo.revision))),
        ModelOrigin::Files(_) => (shipped("checkpoint"), s(Value::Null)),
    };
    let (dataset_id, dataset_config, dataset_revision, data_files) = match &spec.data {
        DataOrigin::Hub { repo, config } => (
            json!(repo.id),
            json!(config),
            json!(repo.revision),
            Value::Null,
        ),
        DataOrigin::Own(files) => {
            let map: serde_json::Map<String, Value> = files
                .iter()
                .map(|(name, _)| {
                    let split = name.trim_start_matches("data/").trim_end_matches(".jsonl");
                    (split.to_string(), json!(name))
                })
                .collect();
            (Value::Null, Value::Null, Value::Null, Value::Object(map))
        }
    };
    let glue_task = GlueTask::get(spec.task).map(|t| t.name);
    let train_rows = (spec.train_rows > 0).then_some(spec.train_rows);
    let wick_weights = match spec.wick_model {
        Some(_) => shipped("wick_model"),
        None => s(Value::Null),
    };
    vec![
        ("checkpoint", checkpoint),
        ("revision", revision),
        ("dataset_id", s(dataset_id)),
        ("dataset_config", s(dataset_config)),
        ("dataset_revision", s(dataset_revision)),
        ("data_files", s(data_files)),
        ("text_columns", s(json!(text_columns))),
        ("label_names", s(json!(labels))),
        ("glue_task", s(json!(glue_task))),
        ("max_length", s(json!(spec.max_length))),
        ("train_rows", s(json!(train_rows))),
        ("eval_split", s(json!(spec.eval_split))),
        ("wick_weights", wick_weights),
        (
            "ignore_mismatched_sizes",
            s(json!(spec.ignore_mismatched_sizes)),
        ),
        (
            "training_arguments",
            keyword_dict(&training_arguments(spec.args)),
        ),
    ]
}

/// `wick_run.json`: the same settings, and where they came from.
fn wick_run_json(
    spec: &ProjectSpec,
    labels: &[String],
    text_columns: &[String],
) -> Result<Vec<u8>> {
    let checkpoint = match &spec.model {
        ModelOrigin::Hub(repo) => {
            json!({"hub": repo.id, "revision": repo.revision, "endpoint": repo.endpoint})
        }
        ModelOrigin::Files(_) => json!({"folder": "checkpoint/"}),
    };
    let data = match &spec.data {
        DataOrigin::Hub { repo, config } => json!({
            "hub": repo.id, "config": config, "revision": repo.revision, "endpoint": repo.endpoint
        }),
        DataOrigin::Own(files) => {
            json!({"files": files.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>()})
        }
    };
    let value = json!({
        "exported_from": spec.exported_from,
        "wick_version": env!("CARGO_PKG_VERSION"),
        "checkpoint": checkpoint,
        "data": data,
        "task": spec.task,
        "text_columns": text_columns,
        "label_names": labels,
        "max_length": spec.max_length,
        "train_rows": (spec.train_rows > 0).then_some(spec.train_rows),
        "eval_split": spec.eval_split,
        "wick_weights": spec.wick_model.map(|_| "wick_model/"),
        "ignore_mismatched_sizes": spec.ignore_mismatched_sizes,
        "training_arguments": spec.args,
    });
    let mut bytes =
        serde_json::to_vec_pretty(&value).map_err(|e| Error::Invalid(format!("json: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// A per-device batch and an accumulation that give `processes` processes the effective batch
/// of one process with `batch` rows and `accumulation` steps (`batch * accumulation` rows per
/// optimizer step): the largest per-device batch up to `batch` that divides the rows each
/// process must see. `None` when the rows do not split evenly over the processes.
pub fn same_effective_batch(
    batch: usize,
    accumulation: usize,
    processes: usize,
) -> Option<(usize, usize)> {
    let total = batch * accumulation;
    if processes == 0 || !total.is_multiple_of(processes) {
        return None;
    }
    let per_process = total / processes;
    let per_device = (1..=batch.min(per_process))
        .rev()
        .find(|&b| per_process.is_multiple_of(b))?;
    Some((per_device, per_process / per_device))
}

/// The train.py flags that keep Wick's effective batch on `processes` processes (empty where
/// Wick's own settings do; `None` where no setting does).
fn batch_flags(args: &TrainingArguments, processes: usize) -> Option<String> {
    let (b, a) = (
        args.per_device_train_batch_size,
        args.gradient_accumulation_steps,
    );
    let (pb, pa) = same_effective_batch(b, a, processes)?;
    let mut flags = String::new();
    if pb != b {
        flags += &format!(" --per-device-train-batch-size {pb}");
    }
    if pa != a {
        flags += &format!(" --gradient-accumulation-steps {pa}");
    }
    Some(flags)
}

/// The commands to run the folder: install, one process, [`EXAMPLE_PROCESSES`] with accelerate
/// and with torchrun (keeping Wick's effective batch where it divides), and with Wick's
/// weights when the folder has them.
pub fn launch_lines(args: &TrainingArguments, wick_weights: bool) -> Vec<String> {
    let n = EXAMPLE_PROCESSES;
    let flags = batch_flags(args, n).unwrap_or_default();
    let mut lines = vec![
        "pip install -r requirements.txt".to_string(),
        "python train.py".to_string(),
        format!("accelerate launch --multi_gpu --num_processes {n} train.py{flags}"),
        format!("torchrun --nproc_per_node {n} train.py{flags}"),
    ];
    if wick_weights {
        lines.push("python train.py --from-wick-weights".to_string());
    }
    lines
}

#[cfg(test)]
mod tests;
