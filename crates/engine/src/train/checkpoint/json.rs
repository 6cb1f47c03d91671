//! The JSON files of a checkpoint: `trainer_state.json` in transformers' shape (so Python's
//! `TrainerState.load_from_json` and tools that plot `log_history` read it), `scheduler.json`
//! and `rng_state.json`. Readers return what is wrong as a sentence; the caller names the file.

use super::Checkpoint;
use crate::train::args::{IntervalStrategy, TrainingArguments};
use crate::train::events::Event;
use crate::train::schedule::{Schedule, StepPlan};
use crate::train::trainer::TrainerState;
use crate::{Error, Result};
use serde_json::{json, Value};

/// Where Wick keeps its own state inside `trainer_state.json`. transformers' `TrainerState`
/// takes no fields but its own (`cls(**json)` fails on any other), but `stateful_callbacks`
/// holds any callback's state by class name, and transformers skips names it does not know.
const WICK_KEY: &str = "WickTrainer";

/// transformers' `TrainerState` fields, keys sorted at every level as its `save_to_json`
/// (`sort_keys=True`) writes them.
/// `total_flos` is left out (transformers counts the model's floating-point operations; Wick
/// does not, and transformers reads the field as 0 when it is missing).
pub fn trainer_state(c: &Checkpoint) -> Result<Value> {
    let (a, s) = (&c.args, &c.state);
    // transformers sets `eval_steps` to `logging_steps` only for eval_strategy "steps"; else
    // the state keeps its default, 500.
    let eval_steps = match a.eval_strategy {
        IntervalStrategy::Steps => a.eval_interval(),
        _ => a.eval_steps.unwrap_or(500),
    };
    let wick = json!({
        "state": serde_json::to_value(s).map_err(|e| Error::Invalid(e.to_string()))?,
        "plan": serde_json::to_value(c.plan).map_err(|e| Error::Invalid(e.to_string()))?,
    });
    Ok(sorted(json!({
        "best_global_step": null,
        "best_metric": null,
        "best_model_checkpoint": null,
        "epoch": s.epoch,
        "eval_steps": eval_steps,
        "global_step": s.global_step,
        "is_hyper_param_search": false,
        "is_local_process_zero": true,
        "is_world_process_zero": true,
        "log_history": s.log_history.iter().map(log_entry).collect::<Vec<_>>(),
        "logging_steps": a.logging_steps,
        "max_steps": c.plan.max_steps,
        "num_input_tokens_seen": 0,
        "num_train_epochs": c.plan.num_epochs,
        "save_steps": a.save_steps,
        "stateful_callbacks": {
            "TrainerControl": {
                "args": {
                    "should_epoch_stop": false,
                    "should_evaluate": false,
                    "should_log": false,
                    "should_save": true,
                    "should_training_stop": s.finished,
                },
                "attributes": {},
            },
            WICK_KEY: wick,
        },
        "train_batch_size": a.per_device_train_batch_size,
        "trial_name": null,
        "trial_params": null,
    })))
}

/// `value` with the keys of every object in order.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// One `log_history` entry as transformers' `Trainer.log` appends it: the logged values, then
/// `epoch` and `step` (an evaluation's metrics flat, not under a key).
fn log_entry(event: &Event) -> Value {
    let mut entry = match event {
        Event::Log(r) => json!({
            "loss": r.loss,
            "grad_norm": r.grad_norm,
            "learning_rate": r.learning_rate,
        }),
        Event::Evaluation(r) => Value::Object(
            r.metrics
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect(),
        ),
        Event::TrainEnd(t) => json!({
            "train_runtime": t.train_runtime,
            "train_samples_per_second": t.train_samples_per_second,
            "train_steps_per_second": t.train_steps_per_second,
            "train_loss": t.train_loss,
        }),
    };
    let (epoch, step) = match event {
        Event::Log(r) => (r.epoch, r.step),
        Event::Evaluation(r) => (r.epoch, r.step),
        Event::TrainEnd(t) => (t.epoch, t.step),
    };
    if let Value::Object(map) = &mut entry {
        map.insert("epoch".into(), json!(epoch));
        map.insert("step".into(), json!(step));
    }
    entry
}

/// Wick's state and step plan from a `trainer_state.json`, checked against its own
/// `global_step`.
pub fn read_trainer_state(value: &Value) -> Result<(TrainerState, StepPlan), String> {
    let wick = value
        .pointer(&format!("/stateful_callbacks/{WICK_KEY}"))
        .ok_or_else(|| {
            format!("no stateful_callbacks.{WICK_KEY}: not written by Wick, so the run cannot go on exactly")
        })?;
    let state: TrainerState = serde_json::from_value(wick["state"].clone())
        .map_err(|e| format!("stateful_callbacks.{WICK_KEY}.state: {e}"))?;
    let plan: StepPlan = serde_json::from_value(wick["plan"].clone())
        .map_err(|e| format!("stateful_callbacks.{WICK_KEY}.plan: {e}"))?;
    let global_step = value.get("global_step").and_then(Value::as_u64);
    if global_step != Some(state.global_step as u64) {
        return Err(format!(
            "global_step {global_step:?} disagrees with Wick's state (step {})",
            state.global_step
        ));
    }
    Ok((state, plan))
}

/// `scheduler.json`: the schedule (`Schedule`'s fields) and, in `torch.optim.LambdaLR`'s
/// `state_dict()` names, how far it has gone: `last_epoch` (optimizer steps taken) and
/// `_last_lr` (the rate of the next step). transformers pickles that dict as `scheduler.pt`.
pub fn scheduler(c: &Checkpoint) -> Value {
    let s = &c.schedule;
    json!({
        "kind": s.kind,
        "base_lr": s.base_lr,
        "warmup_steps": s.warmup_steps,
        "total_steps": s.total_steps,
        "last_epoch": c.state.global_step,
        "_last_lr": [s.lr(c.state.global_step)],
    })
}

pub fn read_scheduler(value: &Value, state: &TrainerState) -> Result<Schedule, String> {
    let schedule: Schedule = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    let last = value.get("last_epoch").and_then(Value::as_u64);
    if last != Some(state.global_step as u64) {
        return Err(format!(
            "last_epoch {last:?} disagrees with trainer_state.json (step {})",
            state.global_step
        ));
    }
    Ok(schedule)
}

/// `rng_state.json`. transformers saves the Python, NumPy and torch generators' states
/// (`rng_state.pth`). Wick has no generator state: every random number is a hash of the seed
/// and a counter (`crate::rng`): dropout masks of micro-batch `k` from `step_seed(seed, k)`,
/// the shuffle of epoch `e` from `(seed, e)`. So the seed and those two counters are the whole
/// state; they are also in the trainer state, and must agree with it.
pub fn rng_state(c: &Checkpoint) -> Value {
    json!({
        "generator": "wick_engine::rng: counter-based, every number a hash of (seed, counter)",
        "seed": c.args.seed,
        "dropout_micro_batches": c.state.micro_batches,
        "sampler_epoch": c.state.epoch_index,
    })
}

pub fn check_rng_state(
    value: &Value,
    args: &TrainingArguments,
    state: &TrainerState,
) -> Result<(), String> {
    let field = |name: &str| value.get(name).and_then(Value::as_u64);
    let expected = [
        ("seed", args.seed, "training_args.json"),
        (
            "dropout_micro_batches",
            state.micro_batches,
            "trainer_state.json",
        ),
        (
            "sampler_epoch",
            state.epoch_index as u64,
            "trainer_state.json",
        ),
    ];
    for (name, want, other) in expected {
        let got = field(name);
        if got != Some(want) {
            return Err(format!("{name} is {got:?}, {other} says {want}"));
        }
    }
    Ok(())
}
