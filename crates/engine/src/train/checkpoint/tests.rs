//! Checkpoints on the CPU backend with a tiny BERT (dropout on): the files round-trip, a run
//! resumed from them gives the uninterrupted run's losses, and what is not the same run, or
//! not a whole checkpoint, is refused with the field or file named.

use super::*;
use crate::backend::Backend;
use crate::collate::DataCollatorWithPadding;
use crate::model::weights::{init_parameter, parameter_specs};
use crate::model::{CpuBackend, ModelType};
use crate::rng;
use crate::tokenize::TokenizedSplit;
use crate::train::{Event, IntervalStrategy, Trainer, TrainerInputs};

fn tiny_config() -> ModelConfig {
    ModelConfig {
        model_type: ModelType::Bert,
        vocab_size: 30,
        hidden_size: 8,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        intermediate_size: 16,
        max_position_embeddings: 16,
        type_vocab_size: 2,
        layer_norm_eps: 1e-12,
        hidden_dropout_prob: 0.1,
        attention_probs_dropout_prob: 0.1,
        classifier_dropout: 0.1,
        initializer_range: 0.2,
        pad_token_id: 0,
        num_labels: 2,
        id2label: vec!["no".into(), "yes".into()],
        label_notes: Vec::new(),
    }
}

fn backend() -> CpuBackend {
    let config = tiny_config();
    let weights = parameter_specs(&config)
        .iter()
        .map(|s| init_parameter(s, config.initializer_range, 3))
        .collect();
    CpuBackend::new(config, weights).unwrap()
}

/// `n` rows of 3..10 tokens; the label says whether token 5 outnumbers token 6.
fn split(n: u32) -> TokenizedSplit {
    let mut input_ids = Vec::new();
    let mut labels = Vec::new();
    for r in 0..n {
        let len = 3 + rng::hash32(r) % 8;
        let row: Vec<u32> = (0..len).map(|t| 1 + rng::hash32(r * 64 + t) % 29).collect();
        let count = |id| row.iter().filter(|&&x| x == id).count();
        labels.push((count(5) > count(6)) as u32 as f32);
        input_ids.push(row);
    }
    TokenizedSplit {
        input_ids,
        token_type_ids: None,
        labels,
    }
}

fn args() -> TrainingArguments {
    TrainingArguments {
        learning_rate: 1e-2,
        per_device_train_batch_size: 4,
        gradient_accumulation_steps: 2,
        num_train_epochs: 2.0,
        warmup_steps: 2,
        weight_decay: 0.01,
        logging_steps: 3,
        save_steps: 4,
        eval_strategy: IntervalStrategy::Epoch,
        ..TrainingArguments::default()
    }
}

fn trainer(backend: CpuBackend, args: TrainingArguments) -> Trainer<CpuBackend> {
    let inputs = TrainerInputs {
        train_dataset: Some(split(30)),
        eval_dataset: Some(split(8)),
        data_collator: DataCollatorWithPadding::new(0),
        task: Some("mrpc".into()),
    };
    Trainer::new(backend, args, inputs).unwrap()
}

/// The folder's files in memory, read back.
fn round_trip(c: &Checkpoint) -> Result<Checkpoint> {
    let config = tiny_config();
    let model = ExportInputs {
        config: &config,
        base_config: None,
        weights: &c.weights,
        tokenizer_json: None,
        tokenizer_config: None,
        model_max_length: 16,
    };
    let files: HashMap<String, Vec<u8>> = c.to_files(&model)?.into_iter().collect();
    Checkpoint::from_files("checkpoint-x", &config, |name| {
        files
            .get(name)
            .cloned()
            .ok_or_else(|| Error::io(name, "missing"))
    })
}

fn losses(events: &[Event]) -> Vec<(usize, f64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Log(r) => Some((r.step, r.loss)),
            _ => None,
        })
        .collect()
}

/// Train to the end, keeping every event and the checkpoints `should_save` asks for.
fn run(t: &mut Trainer<CpuBackend>) -> (Vec<Event>, Vec<Checkpoint>) {
    let (mut events, mut saved) = (Vec::new(), Vec::new());
    while let Some(step_events) = pollster::block_on(t.step()).unwrap() {
        events.extend(step_events);
        if t.should_save() {
            saved.push(pollster::block_on(t.checkpoint()).unwrap());
        }
    }
    (events, saved)
}

#[test]
fn a_run_resumed_from_its_checkpoint_files_gives_the_uninterrupted_losses() {
    // 30 rows in micro-batches of 4, 2 per step: 8 micro-batches, 4 steps an epoch; 8 steps.
    let mut whole = trainer(backend(), args());
    let (expected, saved) = run(&mut whole);
    let steps: Vec<usize> = saved.iter().map(|c| c.state.global_step).collect();
    assert_eq!(steps, [4, 8], "every save_steps and after the last step");

    // Step 4 is no logging step (3, 6): the loss of step 4 is in the state, not the backend.
    let at4 = round_trip(&saved[0]).unwrap();
    assert_eq!(at4.weights, saved[0].weights);
    assert_eq!(at4.optimizer, saved[0].optimizer);
    assert_eq!(
        (at4.args.clone(), at4.plan),
        (saved[0].args.clone(), saved[0].plan)
    );
    assert_eq!(
        at4.state.log_history.len(),
        saved[0].state.log_history.len()
    );
    assert_eq!(at4.optimizer.step, 4);

    let mut resumed = trainer(
        CpuBackend::new(tiny_config(), at4.weights.clone()).unwrap(),
        args(),
    );
    resumed.resume(at4).unwrap();
    let (events, _) = run(&mut resumed);
    let after4: Vec<(usize, f64)> = losses(&expected).into_iter().filter(|l| l.0 > 4).collect();
    let got = losses(&events);
    assert_eq!(got.iter().map(|l| l.0).collect::<Vec<_>>(), [6]);
    for ((step, want), (_, loss)) in after4.iter().zip(&got) {
        assert!((want - loss).abs() < 1e-6, "step {step}: {loss} vs {want}");
    }
    // The mean over all 8 steps needs the loss of steps 1..=4, which came in the checkpoint.
    let train_loss = |ev: &[Event]| match ev.last() {
        Some(Event::TrainEnd(end)) => end.train_loss,
        other => panic!("no TrainEnd but {other:?}"),
    };
    let (want, loss) = (train_loss(&expected), train_loss(&events));
    assert!((want - loss).abs() < 1e-6, "train_loss {loss} vs {want}");
    // The history of the resumed run is the whole run's.
    assert_eq!(
        resumed.state().log_history.len(),
        whole.state().log_history.len()
    );
    assert_eq!(
        pollster::block_on(resumed.backend.weights()).unwrap(),
        pollster::block_on(whole.backend.weights()).unwrap()
    );
}

#[test]
fn saves_follow_save_strategy() {
    let saves = |f: fn(&mut TrainingArguments)| {
        let mut a = args();
        f(&mut a);
        let mut t = trainer(backend(), a);
        let mut steps = Vec::new();
        while pollster::block_on(t.step()).unwrap().is_some() {
            if t.should_save() {
                steps.push(t.state().global_step);
            }
        }
        steps
    };
    // Every 3 steps and after the last (8 steps, 4 an epoch); every epoch; never.
    assert_eq!(saves(|a| a.save_steps = 3), [3, 6, 8]);
    assert_eq!(saves(|a| a.save_strategy = IntervalStrategy::Epoch), [4, 8]);
    assert_eq!(
        saves(|a| a.save_strategy = IntervalStrategy::No),
        Vec::<usize>::new()
    );
}

#[test]
fn another_run_is_refused_by_name_and_logging_may_change() {
    let mut t = trainer(backend(), args());
    while t.state().global_step < 4 {
        pollster::block_on(t.step()).unwrap();
    }
    let c = pollster::block_on(t.checkpoint()).unwrap();
    let fresh = || CpuBackend::new(tiny_config(), c.weights.clone()).unwrap();
    let changed = TrainingArguments {
        learning_rate: 2e-2,
        ..args()
    };
    let err = trainer(fresh(), changed)
        .resume(c.clone())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("learning_rate") && err.contains("0.02") && err.contains("0.01"),
        "{err}"
    );
    let err = trainer(fresh(), TrainingArguments { seed: 7, ..args() })
        .resume(c.clone())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("seed") && err.contains('7') && err.contains("42"),
        "{err}"
    );
    let relogged = TrainingArguments {
        logging_steps: 1,
        output_dir: "elsewhere".into(),
        save_total_limit: Some(2),
        ..args()
    };
    trainer(fresh(), relogged).resume(c.clone()).unwrap();
    // Other training data: another plan.
    let inputs = TrainerInputs {
        train_dataset: Some(split(50)),
        eval_dataset: Some(split(8)),
        data_collator: DataCollatorWithPadding::new(0),
        task: None,
    };
    let mut other = Trainer::new(fresh(), args(), inputs).unwrap();
    let err = other.resume(c).unwrap_err().to_string();
    assert!(err.contains("training data differ"), "{err}");
}

#[test]
fn trainer_state_json_is_transformers_with_wicks_state_inside() {
    let mut t = trainer(backend(), args());
    let (_, saved) = run(&mut t);
    let c = &saved[0];
    let v = json::trainer_state(c).unwrap();
    for (key, want) in [
        ("global_step", 4.0),
        ("max_steps", 8.0),
        ("logging_steps", 3.0),
        ("save_steps", 4.0),
        ("train_batch_size", 4.0),
        ("num_train_epochs", 2.0),
        ("epoch", 1.0),
        ("eval_steps", 500.0),
    ] {
        assert_eq!(v[key].as_f64(), Some(want), "{key}");
    }
    assert!(v["best_metric"].is_null() && v["best_model_checkpoint"].is_null());
    // log_history entries as transformers' Trainer.log makes them: a log at step 3, then the
    // evaluation at the end of epoch 1 with its metrics flat.
    let history = v["log_history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["step"], 3);
    assert!(history[0]["loss"].is_f64() && history[0]["learning_rate"].is_f64());
    assert!(history[1]["eval_loss"].is_f64() && history[1]["step"] == 4);
    let keys: Vec<&String> = history[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["epoch", "grad_norm", "learning_rate", "loss", "step"]
    );
    let (state, plan) = json::read_trainer_state(&v).unwrap();
    assert_eq!(
        (state.global_step, state.micro_batches, plan),
        (4, 8, c.plan)
    );
    assert_eq!((state.epoch_index, state.batches_in_epoch), (1, 0));

    let mut broken = v.clone();
    broken["global_step"] = 5.into();
    assert!(json::read_trainer_state(&broken)
        .unwrap_err()
        .contains("global_step"));
    let mut python = v;
    python["stateful_callbacks"] = serde_json::json!({});
    assert!(json::read_trainer_state(&python)
        .unwrap_err()
        .contains("WickTrainer"));
}

#[test]
fn bad_files_are_errors_that_name_them() {
    let mut t = trainer(backend(), args());
    while t.state().global_step < 2 {
        pollster::block_on(t.step()).unwrap();
    }
    let c = pollster::block_on(t.checkpoint()).unwrap();
    let config = tiny_config();
    let model = ExportInputs {
        config: &config,
        base_config: None,
        weights: &c.weights,
        tokenizer_json: None,
        tokenizer_config: None,
        model_max_length: 16,
    };
    let files: HashMap<String, Vec<u8>> = c.to_files(&model).unwrap().into_iter().collect();
    let read_with = |name: &str, bytes: Option<&[u8]>| {
        Checkpoint::from_files("ck", &config, |n| match (n == name, bytes) {
            (true, Some(b)) => Ok(b.to_vec()),
            (true, None) => Err(Error::io(format!("ck/{n}"), "missing")),
            (false, _) => Ok(files[n].clone()),
        })
        .unwrap_err()
        .to_string()
    };
    for name in REQUIRED_FILES {
        let err = read_with(name, None);
        assert!(err.contains(&format!("ck/{name}")), "{name}: {err}");
        let err = read_with(name, Some(b"{not json"));
        assert!(err.contains(&format!("ck/{name}")), "{name}: {err}");
    }
    // A cut optimizer file, a model without its head.
    let cut = &files[OPTIMIZER_FILE][..100];
    assert!(read_with(OPTIMIZER_FILE, Some(cut)).contains("ck/optimizer.safetensors"));
    let headless: Vec<NamedTensor> = c
        .weights
        .iter()
        .filter(|w| !w.name.starts_with("classifier"))
        .cloned()
        .collect();
    let bytes = export::safetensors_bytes(&headless).unwrap();
    let err = read_with(MODEL_FILE, Some(&bytes));
    assert!(
        err.contains("ck/model.safetensors") && err.contains("classifier.weight"),
        "{err}"
    );
}

#[test]
fn cpu_optimizer_state_round_trips_and_is_checked() {
    let mut t = trainer(backend(), args());
    while t.state().global_step < 3 {
        pollster::block_on(t.step()).unwrap();
    }
    let state = pollster::block_on(t.backend.optimizer_state()).unwrap();
    assert_eq!(state.step, 3);
    assert!(state.m.iter().any(|m| m.data.iter().any(|&x| x != 0.0)));
    let mut other = backend();
    other.load_optimizer_state(&state).unwrap();
    assert_eq!(pollster::block_on(other.optimizer_state()).unwrap(), state);

    let mut wrong = state.clone();
    wrong.v[1].shape = vec![1];
    let err = other.load_optimizer_state(&wrong).unwrap_err().to_string();
    assert!(
        err.contains(&state.v[1].name) && err.contains("exp_avg_sq"),
        "{err}"
    );
    let mut missing = state.clone();
    missing.m.pop();
    let err = other
        .load_optimizer_state(&missing)
        .unwrap_err()
        .to_string();
    assert!(err.contains("classifier.bias"), "{err}");
    let mut extra = state;
    extra.m[0].name = "nonsense".into();
    assert!(other.load_optimizer_state(&extra).is_err());
}

#[test]
fn folders_are_written_whole_listed_by_step_and_rotated() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    assert!(latest_checkpoint(out)
        .unwrap_err()
        .to_string()
        .contains("no checkpoint-N folder"));
    for step in [10, 2, 30] {
        let files = vec![("a.json".to_string(), format!("{step}").into_bytes())];
        write_checkpoint(out, step, &files).unwrap();
    }
    // A leftover temporary folder and a look-alike are never checkpoints.
    std::fs::create_dir(out.join(".checkpoint-40.tmp")).unwrap();
    std::fs::create_dir(out.join("checkpoint-4x")).unwrap();
    let steps: Vec<usize> = list_checkpoints(out).unwrap().iter().map(|c| c.0).collect();
    assert_eq!(steps, [2, 10, 30]);
    assert_eq!(latest_checkpoint(out).unwrap(), out.join("checkpoint-30"));
    // Writing the same step again replaces it whole.
    write_checkpoint(out, 10, &[("b.json".into(), b"new".to_vec())]).unwrap();
    assert!(!out.join("checkpoint-10/a.json").exists());
    assert_eq!(
        std::fs::read(out.join("checkpoint-10/b.json")).unwrap(),
        b"new"
    );
    let deleted = rotate_checkpoints(out, Some(2)).unwrap();
    assert_eq!(deleted, [out.join("checkpoint-2")]);
    assert!(rotate_checkpoints(out, None).unwrap().is_empty());
    let err = read_checkpoint(&out.join("checkpoint-10"), &tiny_config())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("training_args.json") && err.contains("missing"),
        "{err}"
    );
}
