//! `wick train`, `evaluate`, `predict` and `bench` end to end on the real all-MiniLM-L6-v2 and
//! MRPC: three training steps, the saved folder evaluated and queried again.

use serde_json::Value;
use std::path::Path;

mod common;
use common::*;

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn train_three_steps_then_evaluate_and_predict_the_saved_model() {
    let (model, data) = (model_dir(), mrpc_dir());
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    let out_dir = tmp.join("out");
    let log = tmp.join("log.jsonl");
    let (out_s, log_s) = (out_dir.display().to_string(), log.display().to_string());
    let run = wick(&[
        "train",
        "--model",
        &model,
        "--data",
        &data,
        "--max-steps",
        "3",
        "--logging-steps",
        "1",
        "--output-dir",
        &out_s,
        "--log-json",
        &log_s,
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("eval_accuracy") && stdout.contains("eval_f1"),
        "{stdout}"
    );

    // The log history: three log records, the end-of-epoch evaluation (max_steps stops in the
    // middle of the first epoch), the end.
    let events = lines(&log);
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["log", "log", "log", "evaluation", "train_end"]);
    assert_eq!(events[2]["step"], 3);
    assert!(events[0]["loss"].as_f64().unwrap() > 0.3 && events[0]["learning_rate"] == 5e-5);
    let eval = &events[3]["metrics"];
    let accuracy = eval["eval_accuracy"].as_f64().unwrap();
    for name in [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    ] {
        assert!(out_dir.join(name).exists(), "{name} not saved");
    }
    let config: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["architectures"][0], "BertForSequenceClassification");
    assert_eq!(config["id2label"]["1"], "equivalent");

    // The saved model on the same split gives the same accuracy.
    let preds = tmp.join("predictions.jsonl");
    let metrics = wick(&[
        "--json",
        "evaluate",
        "--model",
        &out_s,
        "--data",
        &data,
        "--predictions",
        &preds.display().to_string(),
    ]);
    let metrics: Value = serde_json::from_slice(&metrics.stdout).unwrap();
    assert_eq!(metrics["eval_accuracy"].as_f64().unwrap(), accuracy);
    assert_eq!(lines(&preds).len(), 408);

    let p = wick(&[
        "--json",
        "predict",
        "--model",
        &out_s,
        "The cat sat on the mat.",
        "A cat was sitting on the mat.",
    ]);
    let p: Value = serde_json::from_slice(&p.stdout).unwrap();
    let probabilities: Vec<f64> = serde_json::from_value(p["probabilities"].clone()).unwrap();
    assert_eq!(probabilities.len(), 2);
    assert!((probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(["equivalent", "not_equivalent"].contains(&p["label"].as_str().unwrap()));
}

#[test]
fn bench_reports_speed_and_reads_torch_numbers() {
    let model = model_dir();
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("torch.json");
    // Numbers as bench_torch.py prints them (here made up: only the ratio's arithmetic is tested).
    std::fs::write(
        &tmp,
        r#"{"engine": "torch", "model": "m", "batch_size": 2, "seq_len": 16, "steps": 1, "seconds": 1.0, "examples_per_second": 2.0, "tokens_per_second": 32.0, "threads": 2}"#,
    )
    .unwrap();
    let out = wick(&[
        "--json",
        "bench",
        "--model",
        &model,
        "--batch-size",
        "2",
        "--seq-len",
        "16",
        "--steps",
        "2",
        "--warmup",
        "1",
        "--torch-json",
        &tmp.display().to_string(),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let wick_eps = report["wick"]["examples_per_second"].as_f64().unwrap();
    assert!(wick_eps > 0.0);
    assert!(
        (report["wick"]["tokens_per_second"].as_f64().unwrap() - 16.0 * wick_eps).abs()
            < 1e-6 * wick_eps
    );
    assert!((report["ratio"].as_f64().unwrap() - wick_eps / 2.0).abs() < 1e-9);
}
