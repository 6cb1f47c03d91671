//! The Trainer on the real all-MiniLM-L6-v2 and MRPC rows, and the export round trip: the
//! exported folder loads back into the engine with no missing or unused weights and the same
//! logits, and Python's `AutoModelForSequenceClassification` loads it with no missing or
//! unexpected keys and the same logits (`tests/reference/check_export.py`, when Python has
//! torch and transformers; set `WICK_REQUIRE_PYTHON=1` to make their absence a failure).

use std::path::Path;
use wick_engine::backend::Backend;
use wick_engine::collate::DataCollatorWithPadding;
use wick_engine::export::{self, ExportInputs};
use wick_engine::model::{CpuBackend, ModelConfig};
use wick_engine::tokenize::{TokenizedSplit, Tokenizer};
use wick_engine::train::{Event, IntervalStrategy, Trainer, TrainerInputs, TrainingArguments};

use wick_engine::testing::{minilm_dir, mrpc_rows};

struct Model {
    config_json: String,
    weights: Vec<u8>,
    tokenizer_json: Vec<u8>,
    tokenizer_config: Option<Vec<u8>>,
    tokenizer: Tokenizer,
}

fn minilm() -> Model {
    let dir = minilm_dir();
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let config_json = String::from_utf8(read("config.json")).unwrap();
    let tokenizer_json = read("tokenizer.json");
    let tokenizer_config = std::fs::read(dir.join("tokenizer_config.json")).ok();
    let tokenizer = Tokenizer::from_model_files(
        &tokenizer_json,
        config_json.as_bytes(),
        tokenizer_config.as_deref(),
    )
    .unwrap();
    Model {
        weights: read("model.safetensors"),
        config_json,
        tokenizer_json,
        tokenizer_config,
        tokenizer,
    }
}

fn encode(tokenizer: &Tokenizer, rows: &[(String, String, f32)]) -> TokenizedSplit {
    let first: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let second: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let labels = rows.iter().map(|r| r.2).collect();
    tokenizer
        .encode_split(&first, Some(&second), labels, &mut |_, _| {})
        .unwrap()
}

#[test]
fn trains_minilm_on_mrpc_and_exports_a_folder_transformers_loads() {
    let m = minilm();
    let names = vec!["not_equivalent".to_string(), "equivalent".to_string()];
    let (backend, report) =
        CpuBackend::load(&m.config_json, &m.weights, 2, Some(names), 42).unwrap();
    let mut new = report.newly_initialized.clone();
    new.sort();
    assert_eq!(new, ["classifier.bias", "classifier.weight"]);
    let config = backend.config().clone();
    let dev_rows = mrpc_rows("validation", 12);
    let dev = encode(&m.tokenizer, &dev_rows);
    let collator = DataCollatorWithPadding::new(m.tokenizer.pad_token_id().unwrap());
    let args = TrainingArguments {
        max_steps: 2,
        logging_steps: 1,
        eval_strategy: IntervalStrategy::Steps,
        eval_steps: Some(2),
        ..Default::default()
    };
    let inputs = TrainerInputs {
        train_dataset: Some(encode(&m.tokenizer, &mrpc_rows("train", 24))),
        eval_dataset: Some(dev.clone()),
        data_collator: collator,
        task: Some("mrpc".into()),
    };
    let mut trainer = Trainer::new(backend, args, inputs).unwrap();
    let mut events = Vec::new();
    pollster::block_on(trainer.train(|e| events.push(e.clone()))).unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            Event::Log(r) => {
                assert!(
                    r.loss > 0.3 && r.loss < 1.2,
                    "a fresh head's loss is near ln 2: {}",
                    r.loss
                );
                assert!(r.grad_norm > 0.0 && r.learning_rate > 0.0);
                "log"
            }
            Event::Evaluation(r) => {
                assert!(r.metrics["eval_accuracy"] >= 0.0 && r.metrics["eval_loss"] > 0.0);
                "evaluation"
            }
            Event::TrainEnd(_) => "end",
        })
        .collect();
    assert_eq!(kinds, ["log", "log", "evaluation", "end"]);
    let trained = pollster::block_on(trainer.predict(&dev)).unwrap();

    // Export, then load the folder back into the engine: no new or unused weights, same logits.
    let weights = pollster::block_on(trainer.backend.weights()).unwrap();
    let files = export::save_pretrained(&ExportInputs {
        config: &config,
        base_config: Some(m.config_json.as_bytes()),
        weights: &weights,
        tokenizer_json: Some(&m.tokenizer_json),
        tokenizer_config: m.tokenizer_config.as_deref(),
        model_max_length: m.tokenizer.max_length(),
    })
    .unwrap();
    let file = |name: &str| &files.iter().find(|f| f.0 == name).unwrap().1;
    let config_json = std::str::from_utf8(file("config.json")).unwrap();
    let reloaded_config = ModelConfig::from_json(config_json, "exported config.json").unwrap();
    assert_eq!(reloaded_config, config);
    let (reloaded, report) =
        CpuBackend::from_checkpoint(reloaded_config, file("model.safetensors"), 0).unwrap();
    assert!(
        report.newly_initialized.is_empty()
            && report.missing.is_empty()
            && report.unused.is_empty(),
        "{report}"
    );
    let reloaded_tok = Tokenizer::from_model_files(
        file("tokenizer.json"),
        config_json.as_bytes(),
        Some(file("tokenizer_config.json").as_slice()),
    )
    .unwrap();
    assert_eq!(encode(&reloaded_tok, &dev_rows), dev);
    let inputs = TrainerInputs {
        train_dataset: None,
        eval_dataset: None,
        data_collator: collator,
        task: None,
    };
    let mut again = Trainer::new(reloaded, TrainingArguments::default(), inputs).unwrap();
    let out = pollster::block_on(again.predict(&dev)).unwrap();
    assert_eq!(
        out.predictions, trained.predictions,
        "the exported weights are the trained ones"
    );

    check_with_python(&files, &collator, &dev, &dev_rows, &mut trainer.backend);
}

/// Run `tests/reference/check_export.py` on the exported folder, when Python can.
fn check_with_python(
    files: &[export::ExportFile],
    collator: &DataCollatorWithPadding,
    dev: &TokenizedSplit,
    rows: &[(String, String, f32)],
    backend: &mut CpuBackend,
) {
    let has_transformers = std::process::Command::new("python3")
        .args(["-c", "import torch, transformers"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_transformers {
        assert!(
            std::env::var_os("WICK_REQUIRE_PYTHON").is_none(),
            "WICK_REQUIRE_PYTHON: python3 lacks torch/transformers"
        );
        eprintln!("skipped the Python check of the export: python3 lacks torch/transformers");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    export::write_files(dir, files).unwrap();
    let all: Vec<usize> = (0..dev.len()).collect();
    let batch = collator.collate(dev, &all).unwrap();
    let logits = pollster::block_on(backend.logits(&batch)).unwrap();
    let rows_of = |v: &[u32]| {
        v.chunks(batch.seq_len)
            .map(<[u32]>::to_vec)
            .collect::<Vec<_>>()
    };
    let reference = serde_json::json!({
        "input_ids": rows_of(&batch.input_ids),
        "token_type_ids": rows_of(&batch.token_type_ids),
        "attention_mask": rows_of(&batch.attention_mask),
        "logits": logits.chunks(2).collect::<Vec<_>>(),
        "pairs": rows.iter().map(|r| [&r.0, &r.1]).collect::<Vec<_>>(),
    });
    let logits_path = dir.join("wick_logits.json");
    std::fs::write(&logits_path, reference.to_string()).unwrap();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference/check_export.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(dir)
        .arg(&logits_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "check_export.py:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("export OK"), "{stdout}");
}
