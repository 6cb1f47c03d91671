//! What the trainer reports: one event per log record and per evaluation, plain serde values so
//! a browser UI (through worker messages) and a JSON-lines log file can follow a run.
//! The fields are those of transformers' `trainer.state.log_history`.

use crate::metrics::Metrics;
use serde::{Deserialize, Serialize};

/// One entry of the log history. In JSON: `{"event": "log", "step": 10, "loss": ...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Every `logging_steps` optimizer steps.
    Log(LogRecord),
    /// After an evaluation (every epoch or every `eval_steps`, per `eval_strategy`).
    Evaluation(EvalRecord),
    /// Once, when the last step is done: what `trainer.train()` returns.
    TrainEnd(TrainSummary),
}

/// Training progress since the previous log record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogRecord {
    /// Optimizer steps done.
    pub step: usize,
    /// Fractional epoch: `epoch + micro-batches done / micro-batches per epoch`.
    pub epoch: f64,
    /// Mean training loss over the optimizer steps since the previous record.
    pub loss: f64,
    /// The learning rate of the last step (transformers 5 logs it before `scheduler.step()`).
    pub learning_rate: f64,
    /// Global gradient norm before clipping, at the last step.
    pub grad_norm: f64,
    /// Training examples and (unpadded) tokens per second since the previous record.
    pub examples_per_second: f64,
    pub tokens_per_second: f64,
}

/// Metrics of one evaluation, named as transformers names them (`eval_loss`,
/// `eval_accuracy`, `eval_f1`, `eval_runtime`, `eval_samples_per_second`, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalRecord {
    pub step: usize,
    pub epoch: f64,
    pub metrics: Metrics,
}

/// The end of training (`TrainOutput.metrics`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSummary {
    pub step: usize,
    pub epoch: f64,
    /// Mean training loss over all optimizer steps.
    pub train_loss: f64,
    /// Seconds spent in training steps (pauses between steps are not counted).
    pub train_runtime: f64,
    pub train_samples_per_second: f64,
    pub train_steps_per_second: f64,
    pub train_tokens_per_second: f64,
}

impl Event {
    pub fn step(&self) -> usize {
        match self {
            Event::Log(r) => r.step,
            Event::Evaluation(r) => r.step,
            Event::TrainEnd(r) => r.step,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_json_lines() {
        let e = Event::Log(LogRecord {
            step: 10,
            epoch: 0.02,
            loss: 0.69,
            learning_rate: 4.9e-5,
            grad_norm: 3.5,
            examples_per_second: 20.0,
            tokens_per_second: 1000.0,
        });
        let line = serde_json::to_string(&e).unwrap();
        assert!(
            line.starts_with(r#"{"event":"log","step":10,"epoch":0.02,"loss":0.69"#),
            "{line}"
        );
        assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), e);
        let mut metrics = Metrics::new();
        metrics.insert("eval_accuracy".into(), 0.8);
        let e = Event::Evaluation(EvalRecord {
            step: 459,
            epoch: 1.0,
            metrics,
        });
        let line = serde_json::to_string(&e).unwrap();
        assert!(
            line.contains(r#""event":"evaluation""#) && line.contains(r#""eval_accuracy":0.8"#)
        );
        assert_eq!(serde_json::from_str::<Event>(&line).unwrap().step(), 459);
    }
}
