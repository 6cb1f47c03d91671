//! `TrainingArguments`: transformers' names and defaults, so a Python user reads them as they
//! are, and a JSON file of arguments means the same thing on both sides.

use crate::optim::AdamWConfig;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// When to evaluate (transformers' `IntervalStrategy`; `"no"`, `"steps"`, `"epoch"` in JSON).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntervalStrategy {
    #[default]
    No,
    Steps,
    Epoch,
}

impl std::str::FromStr for IntervalStrategy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "no" => Ok(Self::No),
            "steps" => Ok(Self::Steps),
            "epoch" => Ok(Self::Epoch),
            _ => Err(Error::Invalid(format!(
                "eval_strategy: {s:?} is not one of no, steps, epoch"
            ))),
        }
    }
}

/// The learning-rate schedule (transformers' `SchedulerType` names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchedulerType {
    #[default]
    Linear,
    Cosine,
    Constant,
    ConstantWithWarmup,
}

impl std::str::FromStr for SchedulerType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "linear" => Ok(Self::Linear),
            "cosine" => Ok(Self::Cosine),
            "constant" => Ok(Self::Constant),
            "constant_with_warmup" => Ok(Self::ConstantWithWarmup),
            _ => Err(Error::Invalid(format!(
                "lr_scheduler_type: {s:?} is not one of linear, cosine, constant, constant_with_warmup"
            ))),
        }
    }
}

/// The arguments of a training run. Field names and defaults are transformers'
/// (`TrainingArguments`), except `save_final_model`, which stands for the course's
/// `trainer.save_model()` after training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainingArguments {
    /// Where the CLI writes the final model (`save_pretrained` layout).
    pub output_dir: String,
    pub learning_rate: f64,
    pub per_device_train_batch_size: usize,
    pub per_device_eval_batch_size: usize,
    pub gradient_accumulation_steps: usize,
    /// Fractional epochs are allowed, as in transformers.
    pub num_train_epochs: f64,
    /// Total optimizer steps; overrides `num_train_epochs` when > 0. -1: unset.
    pub max_steps: i64,
    pub weight_decay: f64,
    pub adam_beta1: f64,
    pub adam_beta2: f64,
    pub adam_epsilon: f64,
    /// Clip gradients to this global L2 norm; 0 turns clipping off.
    pub max_grad_norm: f64,
    pub lr_scheduler_type: SchedulerType,
    /// Warmup as a fraction of the total steps (rounded up); used when `warmup_steps` is 0.
    pub warmup_ratio: f64,
    pub warmup_steps: usize,
    /// Log (loss, learning rate, grad norm, speed) every this many optimizer steps.
    pub logging_steps: usize,
    /// Also log after the first optimizer step.
    pub logging_first_step: bool,
    pub eval_strategy: IntervalStrategy,
    /// With `eval_strategy = steps`: evaluate every this many steps (default `logging_steps`).
    pub eval_steps: Option<usize>,
    pub seed: u64,
    /// When to write a run checkpoint (`output_dir/checkpoint-{step}`, see
    /// `train::checkpoint`): every `save_steps` optimizer steps and after the last one
    /// ("steps"), at the end of every epoch ("epoch"), or never ("no"). transformers'
    /// `SaveStrategy` also has "best", which Wick does not.
    pub save_strategy: IntervalStrategy,
    /// With `save_strategy = steps`: every this many optimizer steps (transformers also takes
    /// a fraction of the run here; Wick takes whole steps).
    pub save_steps: usize,
    /// Keep at most this many checkpoints in `output_dir`, deleting the oldest (the newest is
    /// always kept). `None`: keep them all.
    pub save_total_limit: Option<usize>,
    /// Save the model to `output_dir` when training ends.
    pub save_final_model: bool,
}

impl Default for TrainingArguments {
    fn default() -> Self {
        let adam = AdamWConfig::default();
        TrainingArguments {
            output_dir: "trainer_output".into(),
            learning_rate: 5e-5,
            per_device_train_batch_size: 8,
            per_device_eval_batch_size: 8,
            gradient_accumulation_steps: 1,
            num_train_epochs: 3.0,
            max_steps: -1,
            weight_decay: 0.0,
            adam_beta1: adam.beta1,
            adam_beta2: adam.beta2,
            adam_epsilon: adam.eps,
            max_grad_norm: adam.max_grad_norm,
            lr_scheduler_type: SchedulerType::Linear,
            warmup_ratio: 0.0,
            warmup_steps: 0,
            logging_steps: 500,
            logging_first_step: false,
            eval_strategy: IntervalStrategy::No,
            eval_steps: None,
            seed: 42,
            save_strategy: IntervalStrategy::Steps,
            save_steps: 500,
            save_total_limit: None,
            save_final_model: true,
        }
    }
}

impl TrainingArguments {
    /// Reject values that make no sense, naming the argument.
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &str, why: &str| Err(Error::Invalid(format!("{name}: {why}")));
        let finite_nonneg = |v: f64| v.is_finite() && v >= 0.0;
        if !finite_nonneg(self.learning_rate) {
            return bad(
                "learning_rate",
                &format!("{} must be a finite number >= 0", self.learning_rate),
            );
        }
        for (name, v) in [
            (
                "per_device_train_batch_size",
                self.per_device_train_batch_size,
            ),
            (
                "per_device_eval_batch_size",
                self.per_device_eval_batch_size,
            ),
            (
                "gradient_accumulation_steps",
                self.gradient_accumulation_steps,
            ),
            ("logging_steps", self.logging_steps),
        ] {
            if v == 0 {
                return bad(name, "must be at least 1");
            }
        }
        if self.max_steps == 0 || self.max_steps < -1 {
            return bad(
                "max_steps",
                &format!(
                    "{} must be -1 (use num_train_epochs) or > 0",
                    self.max_steps
                ),
            );
        }
        if self.max_steps == -1
            && !(self.num_train_epochs.is_finite() && self.num_train_epochs > 0.0)
        {
            return bad(
                "num_train_epochs",
                &format!("{} must be > 0", self.num_train_epochs),
            );
        }
        if !finite_nonneg(self.weight_decay) {
            return bad(
                "weight_decay",
                &format!("{} must be >= 0", self.weight_decay),
            );
        }
        for (name, v) in [
            ("adam_beta1", self.adam_beta1),
            ("adam_beta2", self.adam_beta2),
        ] {
            if !(0.0..1.0).contains(&v) {
                return bad(name, &format!("{v} must be in [0, 1)"));
            }
        }
        if !(self.adam_epsilon.is_finite() && self.adam_epsilon > 0.0) {
            return bad(
                "adam_epsilon",
                &format!("{} must be > 0", self.adam_epsilon),
            );
        }
        if !finite_nonneg(self.max_grad_norm) {
            return bad(
                "max_grad_norm",
                &format!("{} must be >= 0 (0: no clipping)", self.max_grad_norm),
            );
        }
        if !(0.0..=1.0).contains(&self.warmup_ratio) {
            return bad(
                "warmup_ratio",
                &format!("{} must be in [0, 1]", self.warmup_ratio),
            );
        }
        if self.eval_steps == Some(0) {
            return bad("eval_steps", "must be at least 1");
        }
        if self.save_strategy == IntervalStrategy::Steps && self.save_steps == 0 {
            return bad(
                "save_steps",
                "must be at least 1 with save_strategy \"steps\"",
            );
        }
        if self.save_total_limit == Some(0) {
            return bad(
                "save_total_limit",
                "must be at least 1 (leave it unset to keep every checkpoint)",
            );
        }
        Ok(())
    }

    /// The optimizer's hyper-parameters.
    pub fn adamw(&self) -> AdamWConfig {
        AdamWConfig {
            beta1: self.adam_beta1,
            beta2: self.adam_beta2,
            eps: self.adam_epsilon,
            weight_decay: self.weight_decay,
            max_grad_norm: self.max_grad_norm,
        }
    }

    /// `eval_steps`, defaulting to `logging_steps` as transformers does.
    pub fn eval_interval(&self) -> usize {
        self.eval_steps.unwrap_or(self.logging_steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_transformers_and_round_trip_through_json() {
        let args = TrainingArguments::default();
        assert_eq!(args.learning_rate, 5e-5);
        assert_eq!(
            (
                args.per_device_train_batch_size,
                args.num_train_epochs,
                args.seed
            ),
            (8, 3.0, 42)
        );
        assert_eq!(
            (args.save_strategy, args.save_steps, args.save_total_limit),
            (IntervalStrategy::Steps, 500, None)
        );
        let json = serde_json::to_string(&args).unwrap();
        assert!(
            json.contains("\"eval_strategy\":\"no\"")
                && json.contains("\"lr_scheduler_type\":\"linear\"")
        );
        assert_eq!(
            serde_json::from_str::<TrainingArguments>(&json).unwrap(),
            args
        );
        // Missing fields take the defaults, like `TrainingArguments(output_dir=...)`.
        let partial: TrainingArguments =
            serde_json::from_str(r#"{"learning_rate": 2e-5, "eval_strategy": "epoch"}"#).unwrap();
        assert_eq!(partial.learning_rate, 2e-5);
        assert_eq!(partial.eval_strategy, IntervalStrategy::Epoch);
        assert_eq!(partial.per_device_eval_batch_size, 8);
        args.validate().unwrap();
    }

    #[test]
    fn nonsense_is_rejected_by_name() {
        let cases: Vec<(&str, Box<dyn Fn(&mut TrainingArguments)>)> = vec![
            ("learning_rate", Box::new(|a| a.learning_rate = -1.0)),
            (
                "per_device_train_batch_size",
                Box::new(|a| a.per_device_train_batch_size = 0),
            ),
            (
                "gradient_accumulation_steps",
                Box::new(|a| a.gradient_accumulation_steps = 0),
            ),
            ("num_train_epochs", Box::new(|a| a.num_train_epochs = 0.0)),
            ("max_steps", Box::new(|a| a.max_steps = 0)),
            ("adam_beta2", Box::new(|a| a.adam_beta2 = 1.0)),
            ("adam_epsilon", Box::new(|a| a.adam_epsilon = 0.0)),
            ("warmup_ratio", Box::new(|a| a.warmup_ratio = 1.5)),
            ("max_grad_norm", Box::new(|a| a.max_grad_norm = f64::NAN)),
            ("eval_steps", Box::new(|a| a.eval_steps = Some(0))),
            ("logging_steps", Box::new(|a| a.logging_steps = 0)),
            ("save_steps", Box::new(|a| a.save_steps = 0)),
            (
                "save_total_limit",
                Box::new(|a| a.save_total_limit = Some(0)),
            ),
        ];
        for (name, break_it) in cases {
            let mut args = TrainingArguments::default();
            break_it(&mut args);
            let err = args.validate().unwrap_err().to_string();
            assert!(err.contains(name), "{name}: {err}");
        }
        // max_steps makes num_train_epochs irrelevant.
        let args = TrainingArguments {
            num_train_epochs: 0.0,
            max_steps: 3,
            ..Default::default()
        };
        args.validate().unwrap();
        assert!("often"
            .parse::<IntervalStrategy>()
            .unwrap_err()
            .to_string()
            .contains("eval_strategy"));
    }
}
