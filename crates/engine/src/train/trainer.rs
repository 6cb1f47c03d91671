//! The `Trainer`: transformers' training loop, one optimizer step per call.
//!
//! The browser worker calls `step()` and can pause, resume or stop between any two calls
//! without losing state (the trainer owns the sampler position, the accumulated log values
//! and the backend); the CLI uses the `train()` loop. What happens at each step follows
//! transformers' `Trainer._inner_training_loop`:
//! - an epoch is one pass of the seeded, shuffled train batches (`collate::BatchSampler`);
//! - an optimizer step accumulates `gradient_accumulation_steps` micro-batches (fewer at the
//!   end of an epoch), each loss divided by the number of micro-batches of that step;
//! - the learning rate of step k (0-based) is `schedule.lr(k)`, and a log record shows the
//!   rate of the step just taken (transformers 5 reads it before `scheduler.step()`);
//! - every `logging_steps` steps: a `Log` event with the mean loss since the last log;
//! - evaluation per `eval_strategy`, after the log of the same step;
//! - at the end, a `TrainEnd` event with the mean loss over all steps and the speeds;
//! - `should_save()` after the step, per `save_strategy` (after the log and the evaluation,
//!   as transformers saves): the caller then writes `checkpoint()`; `resume` goes on from one.

use super::args::{IntervalStrategy, TrainingArguments};
use super::checkpoint::{self, Checkpoint};
use super::events::{EvalRecord, Event, LogRecord, TrainSummary};
use super::schedule::{Schedule, StepPlan};
use crate::backend::Backend;
use crate::collate::{Batch, BatchSampler, DataCollatorWithPadding};
use crate::metrics::{self, Metrics};
use crate::optim::AdamWConfig;
use crate::tokenize::TokenizedSplit;
use crate::{rng, Error, Result};
use serde::{Deserialize, Serialize};
use web_time::Instant;

/// What the trainer trains and evaluates on (the Python `Trainer`'s constructor arguments
/// besides the model and the arguments).
pub struct TrainerInputs {
    pub train_dataset: Option<TokenizedSplit>,
    pub eval_dataset: Option<TokenizedSplit>,
    pub data_collator: DataCollatorWithPadding,
    /// The GLUE task whose metric `evaluate` computes (`metrics::glue_metrics`; an unknown
    /// name gets accuracy and F1). `None`: the loss only, as without `compute_metrics`.
    pub task: Option<String>,
}

/// Where a run is: everything needed to continue it, and its log history.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainerState {
    /// Optimizer steps done.
    pub global_step: usize,
    /// The epoch in progress (0-based) and the micro-batches of it already consumed.
    pub epoch_index: usize,
    pub batches_in_epoch: usize,
    /// Micro-batches done in the whole run (seeds the dropout masks).
    pub micro_batches: u64,
    /// Fractional epoch, as transformers reports it.
    pub epoch: f64,
    pub log_history: Vec<Event>,
    pub finished: bool,
    /// Loss sum (one mean per optimizer step) over all steps, and since the last log.
    total_loss: f64,
    logged_loss: f64,
    /// Steps whose loss the backend has not reported yet (read back at log time).
    unread_steps: usize,
    last_logged_step: usize,
    /// Seconds spent inside `step` (pauses excluded), and the training part since the last log.
    train_seconds: f64,
    seconds_since_log: f64,
    examples: usize,
    tokens: usize,
    examples_since_log: usize,
    tokens_since_log: usize,
}

/// What `predict` returns (transformers' `PredictionOutput`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PredictionOutput {
    /// Logits, row-major `[n, num_labels]`.
    pub predictions: Vec<f32>,
    pub num_labels: usize,
    /// The split's labels (empty when it has none).
    pub label_ids: Vec<f32>,
    /// `{prefix}_loss` (when labelled), the task metric, `{prefix}_runtime`, speeds.
    pub metrics: Metrics,
}

/// transformers' `Trainer` over a training backend.
pub struct Trainer<B: Backend> {
    pub backend: B,
    pub args: TrainingArguments,
    inputs: TrainerInputs,
    sampler: Option<BatchSampler>,
    plan: StepPlan,
    schedule: Schedule,
    adamw: AdamWConfig,
    /// Row indices of the batches of `state.epoch_index` (recomputed from the seed).
    epoch_batches: Vec<Vec<usize>>,
    state: TrainerState,
    /// The last step asks for a checkpoint (`save_strategy`).
    save_now: bool,
}

impl<B: Backend> Trainer<B> {
    pub fn new(backend: B, args: TrainingArguments, inputs: TrainerInputs) -> Result<Self> {
        args.validate()?;
        let train_rows = inputs.train_dataset.as_ref().map_or(0, TokenizedSplit::len);
        if inputs.train_dataset.is_some() && train_rows == 0 {
            return Err(Error::Invalid("train_dataset: no rows".into()));
        }
        if args.eval_strategy != IntervalStrategy::No && inputs.eval_dataset.is_none() {
            return Err(Error::Invalid(format!(
                "eval_strategy: {:?} needs an eval_dataset",
                args.eval_strategy
            )));
        }
        let sampler = match &inputs.train_dataset {
            Some(split) => Some(BatchSampler::train(
                split.len(),
                args.per_device_train_batch_size,
                args.seed,
            )?),
            None => None,
        };
        let plan = StepPlan::new(&args, train_rows);
        let schedule = Schedule::new(&args, &plan);
        let adamw = args.adamw();
        Ok(Trainer {
            backend,
            args,
            inputs,
            sampler,
            plan,
            schedule,
            adamw,
            epoch_batches: Vec::new(),
            state: TrainerState::default(),
            save_now: false,
        })
    }

    pub fn state(&self) -> &TrainerState {
        &self.state
    }

    /// Steps, epochs and warmup of the run.
    pub fn plan(&self) -> &StepPlan {
        &self.plan
    }

    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    pub fn is_finished(&self) -> bool {
        self.state.finished
    }

    /// Go back to `state`, an earlier `state()` of this run, with a backend holding the weights
    /// of that moment (the browser does this when the GPU fails: the CPU goes on from the last
    /// log). The next step is the one after it: same batches, dropout seeds and learning rate.
    pub fn restore(&mut self, state: TrainerState) {
        self.state = state;
        self.epoch_batches.clear();
    }

    /// Whether the step just taken calls for a checkpoint, as transformers' `save_strategy`:
    /// "steps" every `save_steps` steps and after the last, "epoch" at the end of each epoch.
    pub fn should_save(&self) -> bool {
        self.save_now
    }

    /// The run as it is now, between two steps: the arguments, the state, the weights and
    /// AdamW's state (read back from the backend). The loss the backend holds for steps not
    /// logged yet is accounted to the state first, so the state is whole.
    pub async fn checkpoint(&mut self) -> Result<Checkpoint> {
        if self.state.unread_steps > 0 {
            self.read_loss().await?;
        }
        Ok(Checkpoint {
            args: self.args.clone(),
            state: self.state.clone(),
            plan: self.plan,
            schedule: self.schedule,
            weights: self.backend.weights().await?,
            optimizer: self.backend.optimizer_state().await?,
        })
    }

    /// Go on with the run `saved` was taken of: AdamW's state into the backend, the trainer's
    /// state, so the next step is the one that followed it (same batches, dropout masks,
    /// learning rate). The backend must already hold `saved.weights` (built from them).
    /// Refuses, changing nothing, another run: arguments that shape it (see
    /// `checkpoint::check_same_run`), or other training data (another step plan).
    pub fn resume(&mut self, saved: Checkpoint) -> Result<()> {
        checkpoint::check_same_run(&saved.args, &self.args)?;
        // The schedule follows from the arguments and the plan.
        if saved.plan != self.plan {
            return Err(Error::Invalid(format!(
                "resume_from_checkpoint: the checkpoint's run has {} batches an epoch and {} steps, \
                 this one {} and {}: the training data differ",
                saved.plan.batches_per_epoch,
                saved.plan.max_steps,
                self.plan.batches_per_epoch,
                self.plan.max_steps
            )));
        }
        self.backend.load_optimizer_state(&saved.optimizer)?;
        self.restore(saved.state);
        Ok(())
    }

    /// One optimizer step, with what it triggered (log records, evaluations, the end).
    /// `Ok(None)` once training is over. An error leaves the state as it was before the
    /// step's micro-batches (the backend may hold partial gradients).
    pub async fn step(&mut self) -> Result<Option<Vec<Event>>> {
        self.save_now = false;
        if self.state.finished {
            return Ok(None);
        }
        let (Some(sampler), Some(train)) = (&self.sampler, &self.inputs.train_dataset) else {
            return Err(Error::Invalid(
                "train: the Trainer has no train_dataset".into(),
            ));
        };
        let start = Instant::now();
        if self.state.batches_in_epoch == 0 || self.epoch_batches.is_empty() {
            self.epoch_batches = sampler.epoch(self.state.epoch_index as u64);
        }
        let first = self.state.batches_in_epoch;
        let count = self
            .args
            .gradient_accumulation_steps
            .min(self.epoch_batches.len() - first);
        let (mut examples, mut tokens) = (0, 0);
        for (i, rows) in self.epoch_batches[first..first + count].iter().enumerate() {
            let batch = self.inputs.data_collator.collate(train, rows)?;
            examples += batch.batch_size;
            tokens += batch
                .attention_mask
                .iter()
                .map(|&m| m as usize)
                .sum::<usize>();
            // One dropout seed per micro-batch, so accumulated micro-batches differ.
            let seed = rng::step_seed(self.args.seed, self.state.micro_batches + i as u64);
            self.backend.accumulate(&batch, count, Some(seed))?;
        }
        let lr = self.schedule.lr(self.state.global_step);
        self.backend.step(lr, &self.adamw)?;
        // On a device the calls above only queued the work: the step takes until it is done.
        self.backend.wait_idle().await?;

        let s = &mut self.state;
        s.global_step += 1;
        s.micro_batches += count as u64;
        s.batches_in_epoch += count;
        s.unread_steps += 1;
        s.epoch =
            s.epoch_index as f64 + s.batches_in_epoch as f64 / self.epoch_batches.len() as f64;
        s.examples += examples;
        s.tokens += tokens;
        s.examples_since_log += examples;
        s.tokens_since_log += tokens;
        let seconds = start.elapsed().as_secs_f64();
        s.train_seconds += seconds;
        s.seconds_since_log += seconds;

        let step = s.global_step;
        let end_of_epoch = s.batches_in_epoch == self.epoch_batches.len();
        let done = step >= self.plan.max_steps;
        let mut events = Vec::new();
        let log_now =
            step % self.args.logging_steps == 0 || (self.args.logging_first_step && step == 1);
        if log_now {
            events.push(self.log().await?);
        }
        let evaluate_now = match self.args.eval_strategy {
            IntervalStrategy::No => false,
            // transformers also evaluates after the last step when it is not a multiple.
            IntervalStrategy::Steps => step % self.args.eval_interval() == 0 || done,
            IntervalStrategy::Epoch => end_of_epoch || done,
        };
        if evaluate_now {
            let eval_start = Instant::now();
            let metrics = self.evaluate().await?;
            self.state.train_seconds += eval_start.elapsed().as_secs_f64();
            let record = EvalRecord {
                step,
                epoch: self.state.epoch,
                metrics,
            };
            events.push(Event::Evaluation(record));
        }
        if end_of_epoch {
            self.state.epoch_index += 1;
            self.state.batches_in_epoch = 0;
        }
        self.save_now = match self.args.save_strategy {
            IntervalStrategy::No => false,
            IntervalStrategy::Steps => step.is_multiple_of(self.args.save_steps.max(1)) || done,
            IntervalStrategy::Epoch => end_of_epoch || done,
        };
        if done {
            events.push(self.finish().await?);
        }
        self.state.log_history.extend(events.iter().cloned());
        Ok(Some(events))
    }

    /// Read the backend's loss back and account it to the steps since the last read.
    async fn read_loss(&mut self) -> Result<f32> {
        let stats = self.backend.take_stats().await?;
        let s = &mut self.state;
        // The backend averages over micro-batches; with full accumulation groups that is the
        // mean of the per-step losses transformers sums up.
        let sum = stats.loss as f64 * s.unread_steps as f64;
        s.total_loss += sum;
        s.logged_loss += sum;
        s.unread_steps = 0;
        Ok(stats.grad_norm)
    }

    async fn log(&mut self) -> Result<Event> {
        // The readback is part of the steps' time, as whatever the device still had queued.
        let start = Instant::now();
        let grad_norm = self.read_loss().await?;
        let s = &mut self.state;
        let waited = start.elapsed().as_secs_f64();
        s.train_seconds += waited;
        s.seconds_since_log += waited;
        let steps = (s.global_step - s.last_logged_step).max(1) as f64;
        let per_second = |n: usize| {
            if s.seconds_since_log > 0.0 {
                n as f64 / s.seconds_since_log
            } else {
                0.0
            }
        };
        let record = LogRecord {
            step: s.global_step,
            epoch: s.epoch,
            loss: s.logged_loss / steps,
            learning_rate: self.schedule.lr(s.global_step - 1),
            grad_norm: grad_norm as f64,
            examples_per_second: per_second(s.examples_since_log),
            tokens_per_second: per_second(s.tokens_since_log),
        };
        s.logged_loss = 0.0;
        s.last_logged_step = s.global_step;
        s.seconds_since_log = 0.0;
        s.examples_since_log = 0;
        s.tokens_since_log = 0;
        Ok(Event::Log(record))
    }

    async fn finish(&mut self) -> Result<Event> {
        if self.state.unread_steps > 0 {
            self.read_loss().await?;
        }
        let s = &mut self.state;
        s.finished = true;
        let per_second = |n: f64| {
            if s.train_seconds > 0.0 {
                n / s.train_seconds
            } else {
                0.0
            }
        };
        Ok(Event::TrainEnd(TrainSummary {
            step: s.global_step,
            epoch: s.epoch,
            train_loss: s.total_loss / s.global_step.max(1) as f64,
            train_runtime: s.train_seconds,
            train_samples_per_second: per_second(s.examples as f64),
            train_steps_per_second: per_second(s.global_step as f64),
            train_tokens_per_second: per_second(s.tokens as f64),
        }))
    }

    /// Run to the end, handing every event to `on_event` (the blocking CLI wraps this in
    /// `pollster::block_on`). Returns the end-of-training summary.
    pub async fn train(&mut self, mut on_event: impl FnMut(&Event)) -> Result<TrainSummary> {
        let mut summary = None;
        while let Some(events) = self.step().await? {
            for event in &events {
                on_event(event);
                if let Event::TrainEnd(s) = event {
                    summary = Some(s.clone());
                }
            }
        }
        summary.ok_or_else(|| Error::Invalid("train: training had already finished".into()))
    }

    /// Evaluate on the eval dataset: metrics prefixed `eval_` (transformers' `evaluate`).
    pub async fn evaluate(&mut self) -> Result<Metrics> {
        let Some(split) = self.inputs.eval_dataset.take() else {
            return Err(Error::Invalid(
                "evaluate: the Trainer has no eval_dataset".into(),
            ));
        };
        let out = self.predict_with_prefix(&split, "eval").await;
        self.inputs.eval_dataset = Some(split);
        let mut metrics = out?.metrics;
        metrics.insert("epoch".into(), self.state.epoch);
        Ok(metrics)
    }

    /// Logits, labels and metrics (prefixed `test_`, as transformers' `predict`) for `split`.
    pub async fn predict(&mut self, split: &TokenizedSplit) -> Result<PredictionOutput> {
        self.predict_with_prefix(split, "test").await
    }

    /// Dropout-off logits over `split` in order, batches of `per_device_eval_batch_size`.
    pub async fn predict_with_prefix(
        &mut self,
        split: &TokenizedSplit,
        prefix: &str,
    ) -> Result<PredictionOutput> {
        if split.is_empty() {
            return Err(Error::Invalid(format!(
                "{prefix}: the data set has no rows"
            )));
        }
        let start = Instant::now();
        let sampler = BatchSampler::eval(split.len(), self.args.per_device_eval_batch_size)?;
        let batches = sampler.epoch(0);
        let mut predictions = Vec::new();
        let mut num_labels = 0;
        for rows in &batches {
            let batch = self.inputs.data_collator.collate(split, rows)?;
            let logits = self.backend.logits(&batch).await?;
            num_labels = check_logits(&batch, &logits)?;
            predictions.extend(logits);
        }
        let mut metrics = Metrics::new();
        let labelled = !split.labels.is_empty();
        if labelled {
            let loss = mean_loss(&predictions, num_labels, &split.labels)?;
            metrics.insert(format!("{prefix}_loss"), loss);
            if let Some(task) = &self.inputs.task {
                for (name, value) in
                    metrics::glue_metrics(task, &predictions, num_labels, &split.labels)?
                {
                    metrics.insert(format!("{prefix}_{name}"), value);
                }
            }
        }
        let runtime = start.elapsed().as_secs_f64();
        metrics.insert(format!("{prefix}_runtime"), runtime);
        if runtime > 0.0 {
            metrics.insert(
                format!("{prefix}_samples_per_second"),
                split.len() as f64 / runtime,
            );
            metrics.insert(
                format!("{prefix}_steps_per_second"),
                batches.len() as f64 / runtime,
            );
        }
        Ok(PredictionOutput {
            predictions,
            num_labels,
            label_ids: split.labels.clone(),
            metrics,
        })
    }
}

/// The number of labels the logits of `batch` imply.
fn check_logits(batch: &Batch, logits: &[f32]) -> Result<usize> {
    if batch.batch_size == 0 || logits.is_empty() || logits.len() % batch.batch_size != 0 {
        return Err(Error::Invalid(format!(
            "logits: {} values for a batch of {}",
            logits.len(),
            batch.batch_size
        )));
    }
    Ok(logits.len() / batch.batch_size)
}

/// Mean loss over examples, as the model computes it: cross-entropy for classification,
/// MSE for regression (`num_labels == 1`).
pub fn mean_loss(logits: &[f32], num_labels: usize, labels: &[f32]) -> Result<f64> {
    if logits.len() != labels.len() * num_labels || labels.is_empty() {
        return Err(Error::Invalid(format!(
            "loss: {} logits for {} labels of {num_labels} classes",
            logits.len(),
            labels.len()
        )));
    }
    let mut total = 0.0;
    if num_labels == 1 {
        for (&x, &y) in logits.iter().zip(labels) {
            total += (x as f64 - y as f64).powi(2);
        }
    } else {
        let ids = metrics::class_ids(labels, num_labels)?;
        for (row, &id) in logits.chunks(num_labels).zip(&ids) {
            let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) as f64;
            let log_sum: f64 = row
                .iter()
                .map(|&v| (v as f64 - max).exp())
                .sum::<f64>()
                .ln()
                + max;
            total += log_sum - row[id] as f64;
        }
    }
    Ok(total / labels.len() as f64)
}
