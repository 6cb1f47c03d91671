//! Train, Evaluate, Try it, Export: the `Trainer` on the CPU or the WebGPU backend
//! (`backend.rs`), one optimizer step at a time with a yield between steps, so Pause / Resume /
//! Stop (and the page) stay live.

use super::backend;
use super::pipeline::mapped;
use super::session::{Model, Session};
use super::{load::now_s, post};
use crate::protocol::{self, *};
use crate::web::{blob, yield_now};
use serde_json::{json, Map, Value};
use wick_engine::backend::{Backend, NamedTensor};
use wick_engine::collate::DataCollatorWithPadding;
use wick_engine::data::DatasetDict;
use wick_engine::export::{save_pretrained, ExportFile, ExportInputs};
use wick_engine::hub::ModelFiles;
use wick_engine::metrics::{argmax_rows, class_ids, confusion_matrix, glue_metrics};
use wick_engine::model::{load_checkpoint, CpuBackend, LoadReport, ModelConfig};
use wick_engine::tokenize::TokenizedSplit;
use wick_engine::train::{
    mean_loss, Event as TrainEvent, IntervalStrategy, Trainer, TrainerInputs, TrainingArguments,
};
use wick_webgpu::{AnyBackend, GpuOptions};

fn err(e: wick_engine::Error) -> String {
    e.to_string()
}

/// Labels of the loaded data set: how many, and their names (MRPC's two by default, as the
/// course's `num_labels=2`).
fn labels_of(data: Option<&DatasetDict>) -> (usize, Option<Vec<String>>) {
    match data.and_then(|d| Some((d.num_labels()?, d.label_names()))) {
        Some((n, names)) => (n, names),
        None => (2, None),
    }
}

/// The task whose GLUE metric evaluations report ("custom": accuracy and F1).
fn task_of(data: &DatasetDict) -> String {
    data.task.clone().unwrap_or_else(|| "custom".into())
}

/// A model built from the checkpoint and a trainer around it, with nothing to train on:
/// what Evaluate and Try it use before any training. Returns the load report.
pub fn fresh_model(s: &Session) -> Result<LoadReport, String> {
    let files = s.files()?;
    let tokenizer = s.tokenizer()?;
    let data = s.data.borrow().clone();
    let (num_labels, names) = labels_of(data.as_deref());
    let args = TrainingArguments {
        save_final_model: false,
        ..TrainingArguments::default()
    };
    let (config, weights, report) = checkpoint(s, &files, num_labels, names, args.seed)?;
    let backend = CpuBackend::new(config, weights).map_err(err)?;
    let inputs = TrainerInputs {
        train_dataset: None,
        eval_dataset: None,
        data_collator: DataCollatorWithPadding::new(tokenizer.pad_token_id().map_err(err)?),
        task: data.as_deref().map(task_of),
    };
    let trainer = Trainer::new(AnyBackend::Cpu(backend), args, inputs).map_err(err)?;
    *s.model_mut()? = Some(Model {
        trainer,
        trained: false,
        snapshot: None,
    });
    Ok(report)
}

/// The checkpoint's config with the data set's labels, and its weights with a new head drawn
/// from `seed` (the same on either backend), tensors of another shape drawn afresh where the
/// user asked for `ignore_mismatched_sizes`.
fn checkpoint(
    s: &Session,
    files: &ModelFiles,
    num_labels: usize,
    names: Option<Vec<String>>,
    seed: u64,
) -> Result<(ModelConfig, Vec<NamedTensor>, LoadReport), String> {
    let config = ModelConfig::from_json(&files.config_json, "config.json")
        .and_then(|c| c.with_labels(num_labels, names))
        .map_err(err)?;
    let ignore = s.ignore_mismatched_sizes()?;
    let (weights, report) =
        load_checkpoint(&config, &files.weights, seed as u32, ignore).map_err(err)?;
    Ok((config, weights, report))
}

pub fn training_arguments(f: &TrainForm) -> Result<TrainingArguments, String> {
    let eval_strategy: IntervalStrategy = f.eval_strategy.parse().map_err(err)?;
    let args = TrainingArguments {
        output_dir: "wick-browser".into(),
        learning_rate: f.learning_rate,
        per_device_train_batch_size: f.per_device_train_batch_size,
        per_device_eval_batch_size: f.per_device_eval_batch_size,
        gradient_accumulation_steps: f.gradient_accumulation_steps,
        num_train_epochs: f.num_train_epochs,
        max_steps: f.max_steps,
        weight_decay: f.weight_decay,
        warmup_steps: f.warmup_steps,
        max_grad_norm: f.max_grad_norm,
        logging_steps: f.logging_steps,
        eval_strategy,
        eval_steps: Some(f.eval_steps),
        seed: f.seed,
        save_final_model: false,
        ..TrainingArguments::default()
    };
    args.validate().map_err(err)?;
    Ok(args)
}

fn split<'a>(mapped: &'a [(String, TokenizedSplit)], name: &str) -> Option<&'a TokenizedSplit> {
    mapped.iter().find(|(n, _)| n == name).map(|(_, t)| t)
}

/// The first `rows` rows of a split (all when 0).
fn head(split: &TokenizedSplit, rows: usize) -> TokenizedSplit {
    if rows == 0 || rows >= split.len() {
        return split.clone();
    }
    TokenizedSplit {
        input_ids: split.input_ids[..rows].to_vec(),
        token_type_ids: split.token_type_ids.as_ref().map(|t| t[..rows].to_vec()),
        labels: split
            .labels
            .get(..rows)
            .map(<[f32]>::to_vec)
            .unwrap_or_default(),
    }
}

/// `trainer.train()`, a step at a time.
pub async fn train(s: &Session, form: &TrainForm) -> Result<(), String> {
    if s.control.running.get() {
        return Err("a run is in progress: stop it first".into());
    }
    let args = training_arguments(form)?;
    let files = s.files()?;
    let tokenizer = s.tokenizer()?;
    let data = s.data()?;
    let mapped = mapped(s)?;
    let train = split(&mapped, "train").ok_or("the data set has no train split")?;
    let train = head(train, form.train_rows);
    let eval_name = data
        .splits
        .iter()
        .map(|(n, _)| n.as_str())
        .find(|n| n.starts_with("validation"));
    let eval = eval_name.and_then(|n| split(&mapped, n)).cloned();
    let (num_labels, names) = labels_of(Some(&data));
    let (config, weights, _) = checkpoint(s, &files, num_labels, names, args.seed)?;
    let gpu = GpuOptions {
        allow_f16: form.webgpu_f16,
        ..GpuOptions::default()
    };
    let (backend, detail, snapshot) = backend::choose(&form.backend, &gpu, config, weights).await?;
    let backend_name = backend.name();
    let inputs = TrainerInputs {
        train_dataset: Some(train),
        eval_dataset: eval,
        data_collator: DataCollatorWithPadding::new(tokenizer.pad_token_id().map_err(err)?),
        task: Some(task_of(&data)),
    };
    let examples_per_step = args.per_device_train_batch_size * args.gradient_accumulation_steps;
    let trainer = Trainer::new(backend, args, inputs).map_err(err)?;
    let total_steps = trainer.plan().max_steps as u64;
    *s.model_mut()? = Some(Model {
        trainer,
        trained: true,
        snapshot,
    });
    post(
        &Event::Backend {
            name: backend_name.into(),
            detail,
        },
        &[],
    );

    s.control.running.set(true);
    s.control.stop.set(false);
    s.control.paused.set(false);
    s.control.lose_gpu.set(false);
    let result = run_steps(s, total_steps, examples_per_step).await;
    s.control.running.set(false);
    let state = match &result {
        Ok(true) => RunState::Finished,
        _ => RunState::Stopped,
    };
    post(&Event::TrainState { state, total_steps }, &[]);
    result.map(|_| ())
}

/// Steps until the end (`Ok(true)`) or Stop (`Ok(false)`). An error stops the run; the model
/// keeps what it learned so far.
async fn run_steps(
    s: &Session,
    total_steps: u64,
    examples_per_step: usize,
) -> Result<bool, String> {
    post(
        &Event::TrainState {
            state: RunState::Running,
            total_steps,
        },
        &[],
    );
    let mut busy_seconds = 0.0;
    let mut was_paused = false;
    loop {
        if s.control.stop.get() {
            return Ok(false);
        }
        if s.control.paused.get() {
            if !was_paused {
                post(
                    &Event::TrainState {
                        state: RunState::Paused,
                        total_steps,
                    },
                    &[],
                );
                was_paused = true;
            }
            crate::web::sleep_ms(100).await;
            continue;
        }
        if was_paused {
            post(
                &Event::TrainState {
                    state: RunState::Running,
                    total_steps,
                },
                &[],
            );
            was_paused = false;
        }
        let start = now_s();
        // The one place a borrow of the model spans an await (a GPU step, a readback): other
        // commands use `try_borrow` and report "busy" instead of waiting.
        let mut guard = s.model_mut()?;
        let model = guard.as_mut().ok_or("no model")?;
        if s.control.lose_gpu.take() {
            model.trainer.backend.lose_device();
        }
        let events = match backend::step(model).await {
            Ok(Some(events)) => events,
            Ok(None) => return Ok(true),
            Err(e) => {
                let detail = backend::fall_back(model, &e)?;
                let name = model.trainer.backend.name().into();
                post(&Event::Backend { name, detail }, &[]);
                continue;
            }
        };
        let state = model.trainer.state();
        let (step, epoch) = (state.global_step as u64, state.epoch);
        let learning_rate = model
            .trainer
            .schedule()
            .lr(state.global_step.saturating_sub(1));
        drop(guard);
        busy_seconds += now_s() - start;
        post(
            &Event::Progress(protocol::Progress {
                step,
                total_steps,
                epoch,
                elapsed_s: busy_seconds,
                examples_per_s: (step as usize * examples_per_step) as f64 / busy_seconds.max(1e-9),
                learning_rate,
            }),
            &[],
        );
        for e in &events {
            if let Some(entry) = log_entry(e, busy_seconds) {
                post(&Event::Log(entry), &[]);
            }
        }
        if events.iter().any(|e| matches!(e, TrainEvent::TrainEnd(_))) {
            return Ok(true);
        }
        yield_now().await;
    }
}

fn log_entry(e: &TrainEvent, wall_s: f64) -> Option<LogEntry> {
    match e {
        TrainEvent::Log(r) => Some(LogEntry {
            step: r.step as u64,
            epoch: r.epoch,
            loss: Some(r.loss),
            learning_rate: Some(r.learning_rate),
            grad_norm: Some(r.grad_norm),
            examples_per_second: Some(r.examples_per_second),
            eval: Vec::new(),
            wall_s,
        }),
        TrainEvent::Evaluation(r) => Some(LogEntry {
            step: r.step as u64,
            epoch: r.epoch,
            eval: r.metrics.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            wall_s,
            ..LogEntry::default()
        }),
        TrainEvent::TrainEnd(_) => None,
    }
}

fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let exps: Vec<f32> = logits.iter().map(|&v| (v - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

/// `trainer.predict(split)`: logits, softmax, argmax against the gold labels, the metric.
pub async fn predict(s: &Session, name: &str) -> Result<(), String> {
    let data = s.data()?;
    let mapped = mapped(s)?;
    let tokenized = split(&mapped, name).ok_or_else(|| format!("no split `{name}`"))?;
    let raw = data
        .split(name)
        .ok_or_else(|| format!("no split `{name}`"))?;
    let out = {
        let mut guard = s.model_mut()?;
        let model = guard.as_mut().ok_or("load a checkpoint first (panel 1)")?;
        model.trainer.predict(tokenized).await.map_err(err)?
    };
    let n = out.num_labels;
    let preds = argmax_rows(&out.predictions, n);
    let labelled = !out.label_ids.is_empty() && n > 1;
    let gold = if labelled {
        class_ids(&out.label_ids, n).map_err(err)?
    } else {
        Vec::new()
    };
    let mut metrics = Vec::new();
    let mut confusion = Vec::new();
    if !out.label_ids.is_empty() {
        metrics.push((
            "loss".to_string(),
            mean_loss(&out.predictions, n, &out.label_ids).map_err(err)?,
        ));
        let m = glue_metrics(&task_of(&data), &out.predictions, n, &out.label_ids).map_err(err)?;
        metrics.extend(m);
    }
    if labelled {
        confusion = confusion_matrix(&preds, &gold, n)
            .map_err(err)?
            .into_iter()
            .map(|r| r.into_iter().map(|c| c as usize).collect())
            .collect();
    }
    let columns = wick_engine::tokenize::text_columns(&data).map_err(err)?;
    let text = |r: usize| {
        let parts: Vec<&str> = columns
            .iter()
            .filter_map(|c| raw.text(c)?.get(r).map(String::as_str))
            .collect();
        parts.join("  ‖  ")
    };
    let rows = (0..tokenized.len())
        .map(|r| {
            let logits = out.predictions[r * n..(r + 1) * n].to_vec();
            PredictionRow {
                text: text(r),
                probs: if n > 1 { softmax(&logits) } else { Vec::new() },
                logits,
                pred: preds[r],
                gold: gold.get(r).copied(),
            }
        })
        .collect();
    let label_names = data.label_names().unwrap_or_default();
    post(
        &Event::Predictions(PredictionsView {
            split: name.to_string(),
            label_names,
            rows,
            metrics,
            confusion,
        }),
        &[],
    );
    Ok(())
}

/// The model on one pair of the user's.
pub async fn try_pair(s: &Session, a: &str, b: &str) -> Result<(), String> {
    let tokenizer = s.tokenizer()?;
    let e = tokenizer
        .encode(a, Some(b).filter(|b| !b.trim().is_empty()))
        .map_err(err)?;
    let row = TokenizedSplit {
        input_ids: vec![e.input_ids],
        token_type_ids: e.token_type_ids.map(|t| vec![t]),
        labels: Vec::new(),
    };
    let batch = DataCollatorWithPadding::new(tokenizer.pad_token_id().map_err(err)?)
        .collate(&row, &[0])
        .map_err(err)?;
    let (logits, label_names) = {
        let mut guard = s.model_mut()?;
        let model = guard.as_mut().ok_or("load a checkpoint first (panel 1)")?;
        let names = model.trainer.backend.config().id2label.clone();
        (
            model.trainer.backend.logits(&batch).await.map_err(err)?,
            names,
        )
    };
    let pred = argmax_rows(&logits, logits.len())
        .first()
        .copied()
        .unwrap_or(0);
    let probs = if logits.len() > 1 {
        softmax(&logits)
    } else {
        Vec::new()
    };
    post(
        &Event::Pair(PairResult {
            label_names,
            logits,
            probs,
            pred,
        }),
        &[],
    );
    Ok(())
}

/// The session's model in `save_pretrained` layout, and whether a run trained it.
pub async fn saved_model(s: &Session) -> Result<(Vec<ExportFile>, bool), String> {
    let files = s.files()?;
    let tokenizer = s.tokenizer()?;
    let (weights, config, trained) = {
        let mut guard = s.model_mut()?;
        let model = guard.as_mut().ok_or("load a checkpoint first (panel 1)")?;
        let weights = model.trainer.backend.weights().await.map_err(err)?;
        (
            weights,
            model.trainer.backend.config().clone(),
            model.trained,
        )
    };
    let inputs = ExportInputs::from_checkpoint(&config, &weights, &files, &tokenizer);
    Ok((save_pretrained(&inputs).map_err(err)?, trained))
}

/// `trainer.save_model()` files and `trainer_state.json` (the log history), as Blobs.
pub async fn export(s: &Session) -> Result<(), String> {
    let (mut out, _) = saved_model(s).await?;
    let (history, step, epoch) = {
        let guard = s.model_mut()?;
        let model = guard.as_ref().ok_or("load a checkpoint first (panel 1)")?;
        let state = model.trainer.state();
        let history: Vec<Value> = state.log_history.iter().map(history_entry).collect();
        (history, state.global_step, state.epoch)
    };
    let state = json!({ "global_step": step, "epoch": epoch, "log_history": history });
    let state = serde_json::to_vec_pretty(&state).map_err(|e| e.to_string())?;
    out.push(("trainer_state.json".into(), state));
    let mut blobs = Vec::new();
    let mut list = Vec::new();
    for (name, bytes) in &out {
        let mime = if name.ends_with(".json") {
            "application/json"
        } else {
            "application/octet-stream"
        };
        blobs.push(blob(bytes, mime)?);
        list.push(ExportedFile {
            name: name.clone(),
            bytes: bytes.len() as u64,
        });
    }
    post(&Event::Exported { files: list }, &blobs);
    Ok(())
}

/// A log-history entry as transformers writes it in `trainer_state.json`: flat keys.
fn history_entry(e: &TrainEvent) -> Value {
    let mut map = Map::new();
    match e {
        TrainEvent::Log(r) => {
            map.insert("loss".into(), json!(r.loss));
            map.insert("grad_norm".into(), json!(r.grad_norm));
            map.insert("learning_rate".into(), json!(r.learning_rate));
        }
        TrainEvent::Evaluation(r) => {
            for (k, v) in &r.metrics {
                map.insert(k.clone(), json!(v));
            }
        }
        TrainEvent::TrainEnd(r) => {
            map.insert("train_runtime".into(), json!(r.train_runtime));
            map.insert(
                "train_samples_per_second".into(),
                json!(r.train_samples_per_second),
            );
            map.insert(
                "train_steps_per_second".into(),
                json!(r.train_steps_per_second),
            );
            map.insert("train_loss".into(), json!(r.train_loss));
        }
    }
    let (step, epoch) = match e {
        TrainEvent::Log(r) => (r.step, r.epoch),
        TrainEvent::Evaluation(r) => (r.step, r.epoch),
        TrainEvent::TrainEnd(r) => (r.step, r.epoch),
    };
    map.insert("epoch".into(), json!(epoch));
    map.insert("step".into(), json!(step));
    Value::Object(map)
}
