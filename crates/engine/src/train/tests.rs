//! Trainer semantics on a small but real backend: a bag-of-embeddings classifier with
//! hand-written gradients, dropout from `rng`, clipping and AdamW. It is not the model (that is
//! `model::cpu`, tested against PyTorch); it is enough to hold the trainer's bookkeeping to
//! transformers' rules: stepwise = uninterrupted, accumulation = a bigger batch, the number of
//! evaluations, what a log record holds.

use super::*;
use crate::backend::{Backend, NamedTensor, OptimizerState, TrainStats};
use crate::collate::{Batch, DataCollatorWithPadding};
use crate::optim::AdamWConfig;
use crate::tokenize::TokenizedSplit;
use crate::{rng, Error, Result};

const VOCAB: usize = 16;
const DIM: usize = 4;
const LABELS: usize = 2;

/// logits = dropout(mean of the row's embeddings) · W + b
#[derive(Clone)]
struct BagOfWords {
    params: Vec<Vec<f32>>, // embeddings [VOCAB, DIM], W [DIM, LABELS], b [LABELS]
    grads: Vec<Vec<f32>>,
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
    steps: i32,
    dropout: f32,
    loss_sum: f32,
    loss_batches: u32,
    grad_norm: f32,
}

impl BagOfWords {
    fn new(dropout: f32) -> Self {
        let init = |stream, n| {
            (0..n)
                .map(|i| 0.5 * rng::normal(7, stream, i as u32))
                .collect::<Vec<f32>>()
        };
        let params = vec![
            init(1, VOCAB * DIM),
            init(2, DIM * LABELS),
            vec![0.0; LABELS],
        ];
        let zeros: Vec<Vec<f32>> = params.iter().map(|p| vec![0.0; p.len()]).collect();
        BagOfWords {
            params,
            grads: zeros.clone(),
            m: zeros.clone(),
            v: zeros,
            steps: 0,
            dropout,
            loss_sum: 0.0,
            loss_batches: 0,
            grad_norm: 0.0,
        }
    }

    /// Per row: the kept-feature vector and the number of tokens (padding excluded).
    fn features(&self, batch: &Batch, seed: Option<u32>) -> Vec<([f32; DIM], [f32; DIM], f32)> {
        (0..batch.batch_size)
            .map(|r| {
                let mut h = [0.0; DIM];
                let mut n = 0.0;
                for t in 0..batch.seq_len {
                    let i = r * batch.seq_len + t;
                    if batch.attention_mask[i] == 1 {
                        let id = batch.input_ids[i] as usize % VOCAB;
                        for j in 0..DIM {
                            h[j] += self.params[0][id * DIM + j];
                        }
                        n += 1.0;
                    }
                }
                let mut scale = [1.0; DIM];
                for j in 0..DIM {
                    if let Some(seed) = seed {
                        let keep = rng::keep(seed, 0, (r * DIM + j) as u32, self.dropout);
                        scale[j] = if keep {
                            1.0 / (1.0 - self.dropout)
                        } else {
                            0.0
                        };
                    }
                    h[j] = h[j] / n * scale[j];
                }
                (h, scale, n)
            })
            .collect()
    }

    fn row_logits(&self, h: &[f32; DIM]) -> [f32; LABELS] {
        let mut z = [0.0; LABELS];
        for (k, zk) in z.iter_mut().enumerate() {
            *zk = self.params[2][k]
                + (0..DIM)
                    .map(|j| h[j] * self.params[1][j * LABELS + k])
                    .sum::<f32>();
        }
        z
    }
}

impl Backend for BagOfWords {
    fn name(&self) -> &'static str {
        "bag-of-words"
    }

    fn accumulate(&mut self, batch: &Batch, accumulation: usize, seed: Option<u32>) -> Result<()> {
        let rows = self.features(batch, seed);
        let scale = 1.0 / (batch.batch_size * accumulation) as f32;
        let mut loss = 0.0;
        for (r, (h, keep, n)) in rows.iter().enumerate() {
            let z = self.row_logits(h);
            let max = z.iter().cloned().fold(f32::MIN, f32::max);
            let sum: f32 = z.iter().map(|v| (v - max).exp()).sum();
            let label = batch.labels[r] as usize;
            loss += sum.ln() + max - z[label];
            for k in 0..LABELS {
                let dz = ((z[k] - max).exp() / sum - if k == label { 1.0 } else { 0.0 }) * scale;
                self.grads[2][k] += dz;
                for j in 0..DIM {
                    self.grads[1][j * LABELS + k] += dz * h[j];
                    let dh = dz * self.params[1][j * LABELS + k] * keep[j] / n;
                    for t in 0..batch.seq_len {
                        let i = r * batch.seq_len + t;
                        if batch.attention_mask[i] == 1 {
                            self.grads[0][(batch.input_ids[i] as usize % VOCAB) * DIM + j] += dh;
                        }
                    }
                }
            }
        }
        self.loss_sum += loss / batch.batch_size as f32;
        self.loss_batches += 1;
        Ok(())
    }

    fn step(&mut self, lr: f64, cfg: &AdamWConfig) -> Result<()> {
        let norm = self
            .grads
            .iter()
            .flatten()
            .map(|g| g * g)
            .sum::<f32>()
            .sqrt();
        self.grad_norm = norm;
        let clip = if cfg.max_grad_norm > 0.0 && norm as f64 > cfg.max_grad_norm {
            (cfg.max_grad_norm / (norm as f64 + 1e-6)) as f32
        } else {
            1.0
        };
        self.steps += 1;
        let (b1, b2, lr) = (cfg.beta1 as f32, cfg.beta2 as f32, lr as f32);
        for p in 0..self.params.len() {
            for i in 0..self.params[p].len() {
                let g = self.grads[p][i] * clip;
                self.m[p][i] = b1 * self.m[p][i] + (1.0 - b1) * g;
                self.v[p][i] = b2 * self.v[p][i] + (1.0 - b2) * g * g;
                let m_hat = self.m[p][i] / (1.0 - b1.powi(self.steps));
                let v_hat = self.v[p][i] / (1.0 - b2.powi(self.steps));
                self.params[p][i] -= lr * m_hat / (v_hat.sqrt() + cfg.eps as f32);
                self.grads[p][i] = 0.0;
            }
        }
        Ok(())
    }

    async fn logits(&mut self, batch: &Batch) -> Result<Vec<f32>> {
        Ok(self
            .features(batch, None)
            .iter()
            .flat_map(|(h, _, _)| self.row_logits(h))
            .collect())
    }

    async fn take_stats(&mut self) -> Result<TrainStats> {
        let stats = TrainStats {
            loss: self.loss_sum / self.loss_batches.max(1) as f32,
            grad_norm: self.grad_norm,
            batches: self.loss_batches,
        };
        (self.loss_sum, self.loss_batches) = (0.0, 0);
        Ok(stats)
    }

    async fn weights(&mut self) -> Result<Vec<NamedTensor>> {
        Ok(named(&self.params))
    }

    async fn optimizer_state(&mut self) -> Result<OptimizerState> {
        Ok(OptimizerState {
            step: self.steps as u64,
            m: named(&self.m),
            v: named(&self.v),
        })
    }

    fn load_optimizer_state(&mut self, state: &OptimizerState) -> Result<()> {
        let specs = named(&self.params);
        let moments =
            state.moments_for(specs.iter().map(|t| (t.name.as_str(), t.shape.as_slice())))?;
        for (p, (m, v)) in moments.into_iter().enumerate() {
            (self.m[p], self.v[p]) = (m.to_vec(), v.to_vec());
        }
        self.steps = state.step as i32;
        Ok(())
    }
}

/// The bag of words' three tensors (or their moments) under names.
fn named(tensors: &[Vec<f32>]) -> Vec<NamedTensor> {
    let names = ["embeddings", "classifier.weight", "classifier.bias"];
    let shapes = [vec![VOCAB, DIM], vec![DIM, LABELS], vec![LABELS]];
    (0..3)
        .map(|p| NamedTensor {
            name: names[p].into(),
            shape: shapes[p].clone(),
            data: tensors[p].clone(),
        })
        .collect()
}

/// `n` rows of 3..9 tokens; the label says whether token 5 outnumbers token 6.
fn split(n: usize, seed: u32) -> TokenizedSplit {
    let mut input_ids = Vec::new();
    let mut labels = Vec::new();
    for r in 0..n as u32 {
        let len = 3 + (rng::hash32(seed ^ r) % 7) as usize;
        let row: Vec<u32> = (0..len as u32)
            .map(|t| 1 + rng::hash32(seed ^ (r * 64 + t)) % 15)
            .collect();
        let count = |id| row.iter().filter(|&&x| x == id).count();
        labels.push(if count(5) > count(6) { 1.0 } else { 0.0 });
        input_ids.push(row);
    }
    TokenizedSplit {
        input_ids,
        token_type_ids: None,
        labels,
    }
}

fn trainer(args: TrainingArguments, dropout: f32) -> Trainer<BagOfWords> {
    let inputs = TrainerInputs {
        train_dataset: Some(split(50, 1)),
        eval_dataset: Some(split(20, 2)),
        data_collator: DataCollatorWithPadding::new(0),
        task: Some("mrpc".into()),
    };
    Trainer::new(BagOfWords::new(dropout), args, inputs).unwrap()
}

fn args(f: impl FnOnce(&mut TrainingArguments)) -> TrainingArguments {
    let mut a = TrainingArguments {
        learning_rate: 1e-2,
        logging_steps: 1,
        ..Default::default()
    };
    f(&mut a);
    a
}

fn run(t: &mut Trainer<BagOfWords>) -> Vec<Event> {
    let mut events = Vec::new();
    pollster::block_on(t.train(|e| events.push(e.clone()))).unwrap();
    events
}

fn logs(events: &[Event]) -> Vec<LogRecord> {
    events
        .iter()
        .filter_map(|e| {
            if let Event::Log(r) = e {
                Some(r.clone())
            } else {
                None
            }
        })
        .collect()
}

fn evals(events: &[Event]) -> Vec<EvalRecord> {
    events
        .iter()
        .filter_map(|e| {
            if let Event::Evaluation(r) = e {
                Some(r.clone())
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn stepwise_with_pauses_equals_an_uninterrupted_run() {
    let a = args(|a| a.eval_strategy = IntervalStrategy::Epoch);
    let mut whole = trainer(a.clone(), 0.1);
    let expected = run(&mut whole);

    let mut paused = trainer(a, 0.1);
    let mut events = Vec::new();
    let eval_split = split(20, 2);
    while let Some(step_events) = pollster::block_on(paused.step()).unwrap() {
        events.extend(step_events);
        // Between steps a UI may predict, evaluate, or inspect the state: none of it may
        // disturb the run.
        if paused.state().global_step % 3 == 0 {
            pollster::block_on(paused.predict(&eval_split)).unwrap();
            pollster::block_on(paused.evaluate()).unwrap();
            serde_json::to_string(paused.state()).unwrap();
        }
    }
    assert!(
        pollster::block_on(paused.step()).unwrap().is_none(),
        "stays finished"
    );
    let losses = |ev: &[Event]| {
        logs(ev)
            .iter()
            .map(|r| (r.step, r.loss, r.grad_norm))
            .collect::<Vec<_>>()
    };
    assert_eq!(losses(&events), losses(&expected));
    assert_eq!(
        logs(&events).len(),
        21,
        "50 rows / 8 = 7 steps an epoch, 3 epochs"
    );
    let w1 = pollster::block_on(whole.backend.weights()).unwrap();
    let w2 = pollster::block_on(paused.backend.weights()).unwrap();
    assert_eq!(w1, w2);
    // Dropout is on: another seed gives other losses.
    let mut other = trainer(
        args(|a| (a.seed, a.eval_strategy) = (7, IntervalStrategy::Epoch)),
        0.1,
    );
    assert_ne!(losses(&run(&mut other)), losses(&expected));
}

#[test]
fn restoring_an_earlier_state_continues_the_run_exactly() {
    let a = args(|a| a.eval_strategy = IntervalStrategy::Epoch);
    let mut whole = trainer(a.clone(), 0.1);
    let expected = run(&mut whole);

    // Save at step 9 (an epoch is 7 steps), run on to 12, then go back and finish from 9 with
    // the backend of that moment: what follows step 9 is the uninterrupted run's.
    let mut t = trainer(a, 0.1);
    let mut events = Vec::new();
    while t.state().global_step < 9 {
        events.extend(pollster::block_on(t.step()).unwrap().unwrap());
    }
    let (state, backend) = (t.state().clone(), t.backend.clone());
    while t.state().global_step < 12 {
        pollster::block_on(t.step()).unwrap();
    }
    t.restore(state);
    t.backend = backend;
    while let Some(step_events) = pollster::block_on(t.step()).unwrap() {
        events.extend(step_events);
    }
    let losses = |ev: &[Event]| {
        logs(ev)
            .iter()
            .map(|r| (r.step, r.loss))
            .collect::<Vec<_>>()
    };
    assert_eq!(losses(&events), losses(&expected));
    // Evaluations agree too (their runtimes aside).
    let scores = |ev: &[Event]| {
        evals(ev)
            .iter()
            .map(|r| (r.step, r.metrics["eval_loss"], r.metrics["eval_accuracy"]))
            .collect::<Vec<_>>()
    };
    assert_eq!(scores(&events), scores(&expected));
    assert_eq!(
        pollster::block_on(t.backend.weights()).unwrap(),
        pollster::block_on(whole.backend.weights()).unwrap()
    );
    assert_eq!(t.state().log_history.len(), whole.state().log_history.len());
}

#[test]
fn gradient_accumulation_equals_the_bigger_batch() {
    // 50 rows: batches of 8 (6 x 8 + 2) vs micro-batches of 4 accumulated by 2 (12 x 4 + 2,
    // the last step of each epoch has one micro-batch of 2): the same rows per step.
    let mut big = trainer(args(|a| a.per_device_train_batch_size = 8), 0.0);
    let mut acc = trainer(
        args(|a| (a.per_device_train_batch_size, a.gradient_accumulation_steps) = (4, 2)),
        0.0,
    );
    assert_eq!(big.plan().max_steps, 21);
    assert_eq!(acc.plan().max_steps, 21);
    let (eb, ea) = (run(&mut big), run(&mut acc));
    for (b, a) in logs(&eb).iter().zip(logs(&ea)) {
        assert_eq!(b.step, a.step);
        assert!(
            (b.loss - a.loss).abs() < 1e-5,
            "step {}: {} vs {}",
            b.step,
            b.loss,
            a.loss
        );
        assert!((b.grad_norm - a.grad_norm).abs() < 1e-5);
    }
    let wb = pollster::block_on(big.backend.weights()).unwrap();
    let wa = pollster::block_on(acc.backend.weights()).unwrap();
    for (x, y) in wb.iter().zip(&wa) {
        for (p, q) in x.data.iter().zip(&y.data) {
            assert!((p - q).abs() < 1e-5, "{}: {p} vs {q}", x.name);
        }
    }
}

#[test]
fn evaluations_follow_the_strategy() {
    let steps_of = |a: TrainingArguments| {
        evals(&run(&mut trainer(a, 0.1)))
            .iter()
            .map(|r| r.step)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        steps_of(args(|a| a.eval_strategy = IntervalStrategy::Epoch)),
        [7, 14, 21]
    );
    assert_eq!(steps_of(args(|_| {})), Vec::<usize>::new());
    // Every 2 steps, and once more after the last step (5 is not a multiple of 2).
    let every2 = args(|a| {
        (a.eval_strategy, a.eval_steps, a.max_steps) = (IntervalStrategy::Steps, Some(2), 5)
    });
    assert_eq!(steps_of(every2), [2, 4, 5]);
    // eval_steps defaults to logging_steps.
    let by_log =
        args(|a| (a.eval_strategy, a.logging_steps, a.max_steps) = (IntervalStrategy::Steps, 3, 6));
    assert_eq!(steps_of(by_log), [3, 6]);
    // max_steps in the middle of an epoch still ends the epoch with an evaluation.
    assert_eq!(
        steps_of(args(
            |a| (a.eval_strategy, a.max_steps) = (IntervalStrategy::Epoch, 10)
        )),
        [7, 10]
    );

    let events = run(&mut trainer(
        args(|a| a.eval_strategy = IntervalStrategy::Epoch),
        0.1,
    ));
    let first = &evals(&events)[0];
    let keys: Vec<&str> = first.metrics.keys().map(String::as_str).collect();
    for key in [
        "epoch",
        "eval_accuracy",
        "eval_f1",
        "eval_loss",
        "eval_runtime",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert_eq!((first.epoch, first.metrics["epoch"]), (1.0, 1.0));
}

#[test]
fn log_records_follow_transformers() {
    let mut every = trainer(args(|a| (a.warmup_steps, a.max_steps) = (2, 12)), 0.1);
    let mut third = trainer(
        args(|a| (a.warmup_steps, a.max_steps, a.logging_steps) = (2, 12, 3)),
        0.1,
    );
    let (e1, e3) = (run(&mut every), run(&mut third));
    let (l1, l3) = (logs(&e1), logs(&e3));
    assert_eq!(l3.iter().map(|r| r.step).collect::<Vec<_>>(), [3, 6, 9, 12]);
    // The loss of a record is the mean of the step losses since the previous record.
    let mean3 = (l1[3].loss + l1[4].loss + l1[5].loss) / 3.0;
    assert!(
        (l3[1].loss - mean3).abs() < 1e-6,
        "{} vs {mean3}",
        l3[1].loss
    );
    // The rate shown is the one the step used: warmup 0, 0.5, then linear decay over 10.
    let s = every.schedule();
    assert_eq!(
        (
            l1[0].learning_rate,
            l1[1].learning_rate,
            l1[2].learning_rate
        ),
        (0.0, 0.005, 0.01)
    );
    assert_eq!(l1[11].learning_rate, s.lr(11));
    // Fractional epochs: 7 batches an epoch.
    assert_eq!(l1[0].epoch, 1.0 / 7.0);
    assert_eq!(l1[9].epoch, 1.0 + 3.0 / 7.0);
    assert!(l1
        .iter()
        .all(|r| r.examples_per_second > 0.0 && r.tokens_per_second > r.examples_per_second));
    // The summary's loss is the mean over all steps.
    let Some(Event::TrainEnd(end)) = e1.last() else {
        panic!("no TrainEnd")
    };
    let mean: f64 = l1.iter().map(|r| r.loss).sum::<f64>() / 12.0;
    assert!((end.train_loss - mean).abs() < 1e-6 && end.step == 12);
    let Some(Event::TrainEnd(end3)) = e3.last() else {
        panic!("no TrainEnd")
    };
    assert!((end3.train_loss - mean).abs() < 1e-6);
    // The history keeps every event.
    assert_eq!(every.state().log_history, e1);
}

#[test]
fn training_learns_and_predict_reports_like_transformers() {
    let mut t = trainer(args(|a| a.num_train_epochs = 10.0), 0.0);
    let eval_split = split(20, 2);
    let before = pollster::block_on(t.predict(&eval_split)).unwrap();
    run(&mut t);
    let after = pollster::block_on(t.predict(&eval_split)).unwrap();
    assert_eq!((after.predictions.len(), after.num_labels), (40, 2));
    assert_eq!(after.label_ids, eval_split.labels);
    assert!(after.metrics["test_loss"] < before.metrics["test_loss"]);
    let loss = mean_loss(&after.predictions, 2, &after.label_ids).unwrap();
    assert_eq!(after.metrics["test_loss"], loss);
    let accuracy = crate::metrics::glue_metrics("mrpc", &after.predictions, 2, &after.label_ids)
        .unwrap()["accuracy"];
    assert_eq!(after.metrics["test_accuracy"], accuracy);
}

#[test]
fn mean_loss_by_hand() {
    // CE of logits (0, ln 3) with label 1: -ln(3/4); MSE of 1.5 vs 1 and 0 vs 1: (0.25 + 1) / 2.
    let ce = mean_loss(&[0.0, 3f32.ln()], 2, &[1.0]).unwrap();
    assert!((ce - (4.0f64 / 3.0).ln()).abs() < 1e-6);
    assert!((mean_loss(&[1.5, 0.0], 1, &[1.0, 1.0]).unwrap() - 0.625).abs() < 1e-12);
    assert!(mean_loss(&[0.0], 2, &[1.0]).is_err());
}

#[test]
fn misuse_is_an_error() {
    let no_eval = TrainerInputs {
        train_dataset: Some(split(10, 1)),
        eval_dataset: None,
        data_collator: DataCollatorWithPadding::new(0),
        task: None,
    };
    let a = args(|a| a.eval_strategy = IntervalStrategy::Epoch);
    let err = Trainer::new(BagOfWords::new(0.0), a, no_eval)
        .err()
        .unwrap();
    assert!(err.to_string().contains("eval_dataset"), "{err}");
    let only_eval = TrainerInputs {
        train_dataset: None,
        eval_dataset: Some(split(10, 1)),
        data_collator: DataCollatorWithPadding::new(0),
        task: None,
    };
    let mut t = Trainer::new(BagOfWords::new(0.0), args(|_| {}), only_eval).unwrap();
    assert!(matches!(
        pollster::block_on(t.step()),
        Err(Error::Invalid(_))
    ));
    let m = pollster::block_on(t.evaluate()).unwrap();
    assert!(
        m.contains_key("eval_loss") && !m.contains_key("eval_accuracy"),
        "no task, loss only"
    );
    let bad = args(|a| a.learning_rate = f64::NAN);
    let inputs = TrainerInputs {
        train_dataset: Some(split(10, 1)),
        eval_dataset: None,
        data_collator: DataCollatorWithPadding::new(0),
        task: None,
    };
    assert!(Trainer::new(BagOfWords::new(0.0), bad, inputs)
        .err()
        .unwrap()
        .to_string()
        .contains("learning_rate"));
}

/// A device-like backend: `step` only queues work, which takes `WORK` to run; `wait_idle`
/// runs it. The trainer must wait once per step, inside the step's timing, so its logged
/// speeds count the device's work and not the encoding (a lower bound: sleep never ends early).
struct Queued {
    inner: BagOfWords,
    queued: usize,
    waits: usize,
}

const WORK: std::time::Duration = std::time::Duration::from_millis(20);

impl Backend for Queued {
    fn name(&self) -> &'static str {
        "queued"
    }
    fn accumulate(&mut self, batch: &Batch, accumulation: usize, seed: Option<u32>) -> Result<()> {
        assert_eq!(
            self.queued, 0,
            "a step was encoded while the last one was still queued"
        );
        self.inner.accumulate(batch, accumulation, seed)
    }
    fn step(&mut self, lr: f64, cfg: &AdamWConfig) -> Result<()> {
        self.queued += 1;
        self.inner.step(lr, cfg)
    }
    async fn logits(&mut self, batch: &Batch) -> Result<Vec<f32>> {
        self.inner.logits(batch).await
    }
    async fn take_stats(&mut self) -> Result<TrainStats> {
        self.inner.take_stats().await
    }
    async fn weights(&mut self) -> Result<Vec<NamedTensor>> {
        self.inner.weights().await
    }
    async fn optimizer_state(&mut self) -> Result<OptimizerState> {
        self.inner.optimizer_state().await
    }
    fn load_optimizer_state(&mut self, state: &OptimizerState) -> Result<()> {
        self.inner.load_optimizer_state(state)
    }
    async fn wait_idle(&mut self) -> Result<()> {
        std::thread::sleep(WORK * self.queued as u32);
        self.queued = 0;
        self.waits += 1;
        Ok(())
    }
}

#[test]
fn logged_speeds_count_the_device_work_of_every_step() {
    let args = args(|a| {
        a.max_steps = 6;
        a.logging_steps = 3;
        a.per_device_train_batch_size = 4;
    });
    let inputs = TrainerInputs {
        train_dataset: Some(split(50, 1)),
        eval_dataset: None,
        data_collator: DataCollatorWithPadding::new(0),
        task: None,
    };
    let backend = Queued {
        inner: BagOfWords::new(0.0),
        queued: 0,
        waits: 0,
    };
    let mut t = Trainer::new(backend, args, inputs).unwrap();
    let mut events = Vec::new();
    pollster::block_on(t.train(|e| events.push(e.clone()))).unwrap();
    assert_eq!(t.backend.waits, 6, "one wait per step");
    let logs = logs(&events);
    assert_eq!(logs.len(), 2);
    // 3 steps of 4 examples between logs took at least 3 x WORK.
    let most = 12.0 / (3.0 * WORK.as_secs_f64());
    for r in &logs {
        assert!(
            r.examples_per_second > 0.0 && r.examples_per_second <= most,
            "{} examples/s: more than the device can do ({most})",
            r.examples_per_second
        );
    }
}
