//! The learning-rate schedule and the step arithmetic of a run, as transformers computes them
//! (`get_scheduler`, `Trainer.set_initial_training_values`).

use super::args::{SchedulerType, TrainingArguments};
use serde::{Deserialize, Serialize};

/// How many optimizer steps a run takes and how they fall into epochs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepPlan {
    /// Micro-batches per epoch: `ceil(num_examples / batch_size)` (the last one may be short).
    pub batches_per_epoch: usize,
    /// Optimizer steps per epoch: `ceil(batches_per_epoch / gradient_accumulation_steps)`; the
    /// last step of an epoch accumulates the leftover micro-batches.
    pub steps_per_epoch: usize,
    /// Total optimizer steps: `max_steps`, else `ceil(num_train_epochs * steps_per_epoch)`.
    pub max_steps: usize,
    /// Epochs started (the last one may stop early at `max_steps`).
    pub num_epochs: usize,
    pub warmup_steps: usize,
}

impl StepPlan {
    pub fn new(args: &TrainingArguments, num_examples: usize) -> StepPlan {
        let batches_per_epoch = num_examples
            .div_ceil(args.per_device_train_batch_size)
            .max(1);
        let steps_per_epoch = batches_per_epoch
            .div_ceil(args.gradient_accumulation_steps)
            .max(1);
        let max_steps = if args.max_steps > 0 {
            args.max_steps as usize
        } else {
            (args.num_train_epochs * steps_per_epoch as f64).ceil() as usize
        };
        let num_epochs = max_steps.div_ceil(steps_per_epoch);
        let warmup_steps = if args.warmup_steps > 0 {
            args.warmup_steps
        } else {
            (args.warmup_ratio * max_steps as f64).ceil() as usize
        };
        StepPlan {
            batches_per_epoch,
            steps_per_epoch,
            max_steps,
            num_epochs,
            warmup_steps,
        }
    }
}

/// The learning rate of every optimizer step: `lr(k)` is the rate the (k+1)-th step uses,
/// i.e. PyTorch's `LambdaLR` after `k` calls to `scheduler.step()`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub kind: SchedulerType,
    pub base_lr: f64,
    pub warmup_steps: usize,
    pub total_steps: usize,
}

impl Schedule {
    pub fn new(args: &TrainingArguments, plan: &StepPlan) -> Schedule {
        Schedule {
            kind: args.lr_scheduler_type,
            base_lr: args.learning_rate,
            warmup_steps: plan.warmup_steps,
            total_steps: plan.max_steps,
        }
    }

    /// The multiplier of the base rate after `step` optimizer steps (transformers' `lr_lambda`).
    pub fn factor(&self, step: usize) -> f64 {
        let (k, warmup, total) = (
            step as f64,
            self.warmup_steps as f64,
            self.total_steps as f64,
        );
        let warming_up = step < self.warmup_steps;
        let warmup_factor = k / warmup.max(1.0);
        match self.kind {
            SchedulerType::Constant => 1.0,
            SchedulerType::ConstantWithWarmup if warming_up => warmup_factor,
            SchedulerType::ConstantWithWarmup => 1.0,
            _ if warming_up => warmup_factor,
            SchedulerType::Linear => ((total - k) / (total - warmup).max(1.0)).max(0.0),
            SchedulerType::Cosine => {
                // num_cycles = 0.5: half a cosine from 1 down to 0.
                let progress = (k - warmup) / (total - warmup).max(1.0);
                (0.5 * (1.0 + (std::f64::consts::PI * progress).cos())).max(0.0)
            }
        }
    }

    /// The learning rate after `step` optimizer steps.
    pub fn lr(&self, step: usize) -> f64 {
        self.base_lr * self.factor(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(f: impl FnOnce(&mut TrainingArguments)) -> TrainingArguments {
        let mut a = TrainingArguments::default();
        f(&mut a);
        a
    }

    #[test]
    fn mrpc_defaults_plan() {
        // MRPC train: 3668 rows / 8 = 458.5 -> 459 batches, 3 epochs -> 1377 steps.
        let plan = StepPlan::new(&TrainingArguments::default(), 3668);
        assert_eq!((plan.batches_per_epoch, plan.steps_per_epoch), (459, 459));
        assert_eq!(
            (plan.max_steps, plan.num_epochs, plan.warmup_steps),
            (1377, 3, 0)
        );
        // Accumulating 4: ceil(459 / 4) = 115 steps an epoch, the last one with 3 batches.
        let plan = StepPlan::new(&args(|a| a.gradient_accumulation_steps = 4), 3668);
        assert_eq!((plan.steps_per_epoch, plan.max_steps), (115, 345));
        // max_steps wins over epochs; fractional epochs round the steps up.
        let plan = StepPlan::new(&args(|a| a.max_steps = 500), 3668);
        assert_eq!((plan.max_steps, plan.num_epochs), (500, 2));
        let plan = StepPlan::new(&args(|a| a.num_train_epochs = 0.5), 3668);
        assert_eq!((plan.max_steps, plan.num_epochs), (230, 1));
        // warmup_ratio rounds up (math.ceil); warmup_steps wins when set.
        let plan = StepPlan::new(&args(|a| a.warmup_ratio = 0.1), 3668);
        assert_eq!(plan.warmup_steps, 138);
        let plan = StepPlan::new(&args(|a| (a.warmup_ratio, a.warmup_steps) = (0.1, 7)), 3668);
        assert_eq!(plan.warmup_steps, 7);
    }

    #[test]
    fn linear_with_warmup_matches_transformers_lambda() {
        // get_linear_schedule_with_warmup(opt, num_warmup_steps=2, num_training_steps=10), lr 1:
        // steps 0..=10 -> 0, .5, 1, 7/8, 6/8, 5/8, 4/8, 3/8, 2/8, 1/8, 0.
        let s = Schedule {
            kind: SchedulerType::Linear,
            base_lr: 1.0,
            warmup_steps: 2,
            total_steps: 10,
        };
        let expected = [
            0.0, 0.5, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0.0,
        ];
        for (k, e) in expected.iter().enumerate() {
            assert!((s.lr(k) - e).abs() < 1e-15, "step {k}: {} vs {e}", s.lr(k));
        }
        assert_eq!(s.lr(11), 0.0, "clamped at 0 past the end");
        // No warmup: the first step runs at the full rate, MRPC's 1377 steps end at 5e-5/1377.
        let s = Schedule {
            kind: SchedulerType::Linear,
            base_lr: 5e-5,
            warmup_steps: 0,
            total_steps: 1377,
        };
        assert_eq!(s.lr(0), 5e-5);
        assert!((s.lr(1376) - 5e-5 / 1377.0).abs() < 1e-20);
    }

    #[test]
    fn other_schedules() {
        let s = |kind| Schedule {
            kind,
            base_lr: 1.0,
            warmup_steps: 2,
            total_steps: 10,
        };
        let cosine = s(SchedulerType::Cosine);
        assert_eq!((cosine.lr(1), cosine.lr(2)), (0.5, 1.0));
        assert!((cosine.lr(6) - 0.5).abs() < 1e-15 && cosine.lr(10).abs() < 1e-15);
        assert_eq!(s(SchedulerType::Constant).lr(0), 1.0);
        let cw = s(SchedulerType::ConstantWithWarmup);
        assert_eq!((cw.lr(1), cw.lr(9)), (0.5, 1.0));
    }
}
