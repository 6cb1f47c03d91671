//! Training: `TrainingArguments` (transformers' names and defaults), the learning-rate
//! schedule, the `Trainer` (stepwise, so a browser worker can pause between steps) and the
//! events it emits for a UI or a JSON-lines log, and run checkpoints to stop and go on.

pub mod args;
pub mod checkpoint;
pub mod events;
pub mod schedule;
pub mod trainer;

pub use args::{IntervalStrategy, SchedulerType, TrainingArguments};
pub use checkpoint::Checkpoint;
pub use events::{EvalRecord, Event, LogRecord, TrainSummary};
pub use schedule::{Schedule, StepPlan};
pub use trainer::{mean_loss, PredictionOutput, Trainer, TrainerInputs, TrainerState};

#[cfg(test)]
mod tests;
