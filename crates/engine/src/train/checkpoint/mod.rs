//! Run checkpoints in transformers' layout, so a run can stop and go on as if it never had.
//!
//! `Trainer::checkpoint` takes one between two steps; `Checkpoint::to_files` makes the folder
//! `checkpoint-{global_step}` that transformers' `Trainer._save_checkpoint` writes:
//!
//! | file | what | transformers |
//! | --- | --- | --- |
//! | `config.json`, `model.safetensors`, `tokenizer*.json` | the model, as `export::save_pretrained` | the same |
//! | `optimizer.safetensors` | AdamW's `exp_avg` / `exp_avg_sq` per parameter, the step | `optimizer.pt` (a pickle, which Wick cannot write) |
//! | `scheduler.json` | the schedule and how far it has gone | `scheduler.pt` (a pickle) |
//! | `trainer_state.json` | transformers' `TrainerState`, with Wick's own state inside | the same |
//! | `rng_state.json` | the seed and counters Wick's random numbers come from | `rng_state.pth` |
//! | `training_args.json` | the run's `TrainingArguments` | `training_args.bin` (a pickle) |
//!
//! `Trainer::resume` goes on from one, refusing arguments that would make it another run
//! (`check_same_run`). The native side (writing a folder whole or not at all, the newest
//! folder, `save_total_limit`) is in `native`.

mod json;
#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(test)]
mod tests;

#[cfg(not(target_arch = "wasm32"))]
pub use native::{
    folder_name, latest_checkpoint, list_checkpoints, read_checkpoint, rotate_checkpoints,
    write_checkpoint,
};

use super::args::TrainingArguments;
use super::schedule::{Schedule, StepPlan};
use super::trainer::TrainerState;
use crate::backend::{NamedTensor, OptimizerState};
use crate::export::{self, ExportFile, ExportInputs};
use crate::model::{weights, ModelConfig};
use crate::{Error, Result};
use serde_json::Value;
use std::collections::HashMap;

pub const OPTIMIZER_FILE: &str = "optimizer.safetensors";
pub const SCHEDULER_FILE: &str = "scheduler.json";
pub const TRAINER_STATE_FILE: &str = "trainer_state.json";
pub const RNG_STATE_FILE: &str = "rng_state.json";
pub const TRAINING_ARGS_FILE: &str = "training_args.json";
pub const MODEL_FILE: &str = "model.safetensors";

/// Every file a checkpoint folder must have to resume from.
pub const REQUIRED_FILES: [&str; 6] = [
    MODEL_FILE,
    OPTIMIZER_FILE,
    SCHEDULER_FILE,
    TRAINER_STATE_FILE,
    RNG_STATE_FILE,
    TRAINING_ARGS_FILE,
];

/// A run between two steps: everything needed to go on with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    pub args: TrainingArguments,
    pub state: TrainerState,
    /// Steps and epochs of the run (it depends on the number of training rows, so a resume on
    /// other data is caught).
    pub plan: StepPlan,
    pub schedule: Schedule,
    /// Every trainable parameter, transformers' names (`Backend::weights`).
    pub weights: Vec<NamedTensor>,
    pub optimizer: OptimizerState,
}

impl Checkpoint {
    /// The folder's files: the model as `export::save_pretrained` writes it from `model`
    /// (whose `weights` must be this checkpoint's), then the optimizer, scheduler, trainer
    /// state, RNG state and arguments.
    pub fn to_files(&self, model: &ExportInputs) -> Result<Vec<ExportFile>> {
        let mut files = export::save_pretrained(model)?;
        files.push((OPTIMIZER_FILE.into(), optimizer_bytes(&self.optimizer)?));
        files.push((
            SCHEDULER_FILE.into(),
            export::pretty(&json::scheduler(self))?,
        ));
        files.push((
            TRAINER_STATE_FILE.into(),
            export::pretty(&json::trainer_state(self)?)?,
        ));
        files.push((
            RNG_STATE_FILE.into(),
            export::pretty(&json::rng_state(self))?,
        ));
        let args = serde_json::to_value(&self.args).map_err(|e| Error::Invalid(e.to_string()))?;
        files.push((TRAINING_ARGS_FILE.into(), export::pretty(&args)?));
        Ok(files)
    }

    /// Read a checkpoint back. `read(name)` gives a file's bytes; `dir` names the folder in
    /// errors; `config` is the model's (labels set), which `model.safetensors` must hold whole.
    /// Errors name the file: missing, unreadable, or disagreeing with the others.
    pub fn from_files(
        dir: &str,
        config: &ModelConfig,
        mut read: impl FnMut(&str) -> Result<Vec<u8>>,
    ) -> Result<Checkpoint> {
        let path = |name: &str| format!("{dir}/{name}");
        let parse = |name: &str, bytes: &[u8]| -> Result<Value> {
            serde_json::from_slice(bytes)
                .map_err(|e| Error::io(path(name), format!("not valid JSON: {e}")))
        };
        let args: TrainingArguments = {
            let value = parse(TRAINING_ARGS_FILE, &read(TRAINING_ARGS_FILE)?)?;
            serde_json::from_value(value).map_err(|e| {
                Error::io(
                    path(TRAINING_ARGS_FILE),
                    format!("not TrainingArguments: {e}"),
                )
            })?
        };
        let state_value = parse(TRAINER_STATE_FILE, &read(TRAINER_STATE_FILE)?)?;
        let (state, plan) = json::read_trainer_state(&state_value)
            .map_err(|e| Error::io(path(TRAINER_STATE_FILE), e))?;
        let scheduler = parse(SCHEDULER_FILE, &read(SCHEDULER_FILE)?)?;
        let schedule = json::read_scheduler(&scheduler, &state)
            .map_err(|e| Error::io(path(SCHEDULER_FILE), e))?;
        let rng = parse(RNG_STATE_FILE, &read(RNG_STATE_FILE)?)?;
        json::check_rng_state(&rng, &args, &state)
            .map_err(|e| Error::io(path(RNG_STATE_FILE), e))?;

        let model = read(MODEL_FILE)?;
        let (weights, report) = weights::load_checkpoint(config, &model, 0, false)
            .map_err(|e| Error::io(path(MODEL_FILE), e))?;
        let lacking: Vec<&String> = report
            .newly_initialized
            .iter()
            .chain(&report.missing)
            .collect();
        if !lacking.is_empty() {
            return Err(Error::io(
                path(MODEL_FILE),
                format!("lacks {lacking:?}: a checkpoint holds every parameter of the model"),
            ));
        }
        let mut optimizer = read_optimizer(&read(OPTIMIZER_FILE)?)
            .map_err(|e| Error::io(path(OPTIMIZER_FILE), e))?;
        // In the parameters' order, as `Backend::optimizer_state` gives them.
        let order: HashMap<&str, usize> = weights
            .iter()
            .enumerate()
            .map(|(i, w)| (w.name.as_str(), i))
            .collect();
        for list in [&mut optimizer.m, &mut optimizer.v] {
            list.sort_by_key(|t| order.get(t.name.as_str()).copied().unwrap_or(usize::MAX));
        }
        if optimizer.step != state.global_step as u64 {
            return Err(Error::io(
                path(OPTIMIZER_FILE),
                format!(
                    "AdamW is at step {}, but {TRAINER_STATE_FILE} at step {}",
                    optimizer.step, state.global_step
                ),
            ));
        }
        Ok(Checkpoint {
            args,
            state,
            plan,
            schedule,
            weights,
            optimizer,
        })
    }
}

/// Arguments that may differ between a run and its resumption: where and how often it logs,
/// evaluates and saves. Every other argument shapes the run (its batches, dropout masks,
/// learning rates, updates), so a change there would make the losses another run's.
const MAY_DIFFER: [&str; 10] = [
    "output_dir",
    "logging_steps",
    "logging_first_step",
    "eval_strategy",
    "eval_steps",
    "per_device_eval_batch_size",
    "save_strategy",
    "save_steps",
    "save_total_limit",
    "save_final_model",
];

/// Refuse to resume a run with arguments that would make it another run: the error names the
/// first such field and both values. Numbers compare to 1e-12 (relative), as JSON need not
/// give back the last bit of a float.
pub fn check_same_run(saved: &TrainingArguments, now: &TrainingArguments) -> Result<()> {
    let to_map = |a: &TrainingArguments| match serde_json::to_value(a) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Error::Invalid(
            "TrainingArguments: not a JSON object".into(),
        )),
    };
    let (saved, now) = (to_map(saved)?, to_map(now)?);
    for (field, value) in &now {
        if MAY_DIFFER.contains(&field.as_str()) {
            continue;
        }
        let before = saved.get(field).unwrap_or(&Value::Null);
        let same = match (before.as_f64(), value.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * a.abs().max(b.abs()),
            _ => before == value,
        };
        if !same {
            return Err(Error::Invalid(format!(
                "resume_from_checkpoint: {field} is {value} here but {before} in the checkpoint's \
                 {TRAINING_ARGS_FILE}; a resumed run keeps the arguments that shape it (start a \
                 new run to change it)"
            )));
        }
    }
    Ok(())
}

/// `optimizer.safetensors`: `{name}.exp_avg` and `{name}.exp_avg_sq` for every parameter (the
/// keys of torch's `AdamW.state[param]`), the step in the metadata. transformers writes
/// `optimizer.pt`, a pickle of `optimizer.state_dict()`, which only Python can write or read.
fn optimizer_bytes(state: &OptimizerState) -> Result<Vec<u8>> {
    let mut tensors = Vec::with_capacity(state.m.len() * 2);
    for (m, v) in state.m.iter().zip(&state.v) {
        tensors.push((format!("{}.exp_avg", m.name), m));
        tensors.push((format!("{}.exp_avg_sq", v.name), v));
    }
    let metadata = HashMap::from([
        ("optimizer".to_string(), "AdamW".to_string()),
        ("step".to_string(), state.step.to_string()),
    ]);
    export::safetensors_file(&tensors, metadata, OPTIMIZER_FILE)
}

fn read_optimizer(bytes: &[u8]) -> Result<OptimizerState> {
    let (tensors, metadata) = weights::read_safetensors(bytes, OPTIMIZER_FILE)?;
    let step = metadata
        .get("step")
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| Error::Model("no \"step\" in the metadata".into()))?;
    let mut state = OptimizerState {
        step,
        ..OptimizerState::default()
    };
    for mut t in tensors {
        if let Some(name) = t.name.strip_suffix(".exp_avg_sq") {
            t.name = name.to_string();
            state.v.push(t);
        } else if let Some(name) = t.name.strip_suffix(".exp_avg") {
            t.name = name.to_string();
            state.m.push(t);
        } else {
            return Err(Error::Model(format!(
                "tensor {} is neither an exp_avg nor an exp_avg_sq",
                t.name
            )));
        }
    }
    Ok(state)
}
