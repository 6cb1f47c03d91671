//! `wick train --save-steps` and `--resume-from-checkpoint` as a user runs them, on the tiny
//! BERT of `tests/reference/tiny_bert` (dropout on) and rows of the real MRPC: a resumed run
//! logs the uninterrupted run's losses, `latest` and `--save-total-limit` do what
//! transformers' do, and another run or a broken checkpoint is a clear error, never a panic.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::*;

/// A small MRPC in GLUE's TSV layout, in a folder named after the task: the first 64 rows of
/// the real train split and 16 of validation, so each run tokenizes and evaluates little.
fn small_mrpc(dir: &Path) -> String {
    let dir = dir.join("MRPC");
    std::fs::create_dir_all(&dir).unwrap();
    for (split, file, rows) in [("train", "train.tsv", 64), ("validation", "dev.tsv", 16)] {
        let mut tsv = String::from("Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n");
        for (i, (s1, s2, label)) in wick_engine::testing::mrpc_rows(split, rows)
            .iter()
            .enumerate()
        {
            tsv += &format!("{label}\t{i}\t{i}\t{s1}\t{s2}\n");
        }
        std::fs::write(dir.join(file), tsv).unwrap();
    }
    dir.display().to_string()
}

/// A model folder for `--model`: the tiny BERT (vocabulary 512, 128 positions) with a
/// character-level WordPiece tokenizer that fits its vocabulary, inputs cut to 64 tokens.
fn tiny_model(dir: &Path) -> String {
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference/tiny_bert");
    std::fs::create_dir_all(dir).unwrap();
    for name in ["config.json", "model.safetensors"] {
        std::fs::copy(reference.join(name), dir.join(name)).unwrap();
    }
    let mut vocab = serde_json::Map::new();
    for token in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] {
        vocab.insert(token.into(), vocab.len().into());
    }
    let chars: Vec<char> = ('a'..='z').chain('0'..='9').collect();
    for c in &chars {
        vocab.insert(c.to_string(), vocab.len().into());
        vocab.insert(format!("##{c}"), vocab.len().into());
    }
    for c in ".,'\"-()$%&;:?!/".chars() {
        vocab.insert(c.to_string(), vocab.len().into());
    }
    let tokenizer = serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                       "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
        "decoder": null,
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    });
    std::fs::write(dir.join("tokenizer.json"), tokenizer.to_string()).unwrap();
    std::fs::write(
        dir.join("tokenizer_config.json"),
        r#"{"model_max_length": 64}"#,
    )
    .unwrap();
    dir.display().to_string()
}

/// The error `wick` stops with (it must stop with one, not a panic).
fn wick_fails(args: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "wick {args:?} succeeded");
    assert!(
        stderr.contains("wick: error:") && !stderr.contains("panicked"),
        "{stderr}"
    );
    stderr
}

/// `wick train` on the tiny model for `steps` steps, logging every step, no evaluation.
fn train(model: &str, data: &str, out: &Path, steps: &str, extra: &[&str]) -> Output {
    let out = out.display().to_string();
    let mut args = vec![
        "train",
        "--model",
        model,
        "--data",
        data,
        "--max-steps",
        steps,
        "--logging-steps",
        "1",
        "--eval-strategy",
        "no",
        "--lr",
        "1e-3",
        "--output-dir",
        &out,
    ];
    args.extend_from_slice(extra);
    wick(&args)
}

/// (step, loss) of every log record in a `--log-json` file.
fn losses(path: &Path) -> Vec<(u64, f64)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event"] == "log")
        .map(|e| (e["step"].as_u64().unwrap(), e["loss"].as_f64().unwrap()))
        .collect()
}

fn checkpoints(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("checkpoint-"))
        .collect();
    names.sort();
    names
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// `tests/reference/check_checkpoint.py` on a checkpoint folder: transformers' `TrainerState`
/// reads it, the optimizer file has both moments of every parameter. Skipped when python3
/// lacks transformers or safetensors, unless `WICK_REQUIRE_PYTHON` is set.
fn check_with_python(folder: &Path) {
    let has = Command::new("python3")
        .args(["-c", "import transformers, safetensors, numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        assert!(
            std::env::var_os("WICK_REQUIRE_PYTHON").is_none(),
            "WICK_REQUIRE_PYTHON: python3 lacks transformers/safetensors/numpy"
        );
        eprintln!("skipped the Python check of the checkpoint: python3 lacks transformers");
        return;
    }
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference/check_checkpoint.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(folder)
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("checkpoint OK"),
        "check_checkpoint.py:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_resumed_run_logs_the_uninterrupted_losses() {
    let tmp = tempfile::tempdir().unwrap();
    let (model, data) = (
        tiny_model(&tmp.path().join("model")),
        small_mrpc(tmp.path()),
    );
    let (out1, log1) = (tmp.path().join("out1"), tmp.path().join("log1.jsonl"));
    let log1_s = log1.display().to_string();
    train(
        &model,
        &data,
        &out1,
        "6",
        &["--save-steps", "2", "--log-json", &log1_s],
    );
    assert_eq!(
        checkpoints(&out1),
        ["checkpoint-2", "checkpoint-4", "checkpoint-6"]
    );
    let ck2 = out1.join("checkpoint-2");
    for name in [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "optimizer.safetensors",
        "scheduler.json",
        "trainer_state.json",
        "rng_state.json",
        "training_args.json",
    ] {
        assert!(ck2.join(name).is_file(), "{name} not in checkpoint-2");
    }
    let state: Value =
        serde_json::from_slice(&std::fs::read(ck2.join("trainer_state.json")).unwrap()).unwrap();
    assert_eq!(
        (state["global_step"].as_u64(), state["max_steps"].as_u64()),
        (Some(2), Some(6))
    );
    assert_eq!(state["log_history"].as_array().unwrap().len(), 2);

    // A fresh output folder holding only checkpoint-2: `latest` is it, and the run goes on.
    let (out2, log2) = (tmp.path().join("out2"), tmp.path().join("log2.jsonl"));
    copy_dir(&ck2, &out2.join("checkpoint-2"));
    let log2_s = log2.display().to_string();
    let resumed = train(
        &model,
        &data,
        &out2,
        "6",
        &[
            "--save-steps",
            "2",
            "--log-json",
            &log2_s,
            "--resume-from-checkpoint",
            "latest",
        ],
    );
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(
        stderr.contains("resuming from") && stderr.contains("at step 2"),
        "{stderr}"
    );
    let whole = losses(&log1);
    let after2: Vec<(u64, f64)> = whole.iter().copied().filter(|l| l.0 > 2).collect();
    let got = losses(&log2);
    assert_eq!(got.iter().map(|l| l.0).collect::<Vec<_>>(), [3, 4, 5, 6]);
    for ((step, want), (_, loss)) in after2.iter().zip(&got) {
        assert!((want - loss).abs() < 1e-6, "step {step}: {loss} vs {want}");
    }
    // Dropout is on and the model learns: the losses are not all one number.
    assert!(
        whole.windows(2).any(|w| (w[0].1 - w[1].1).abs() > 1e-4),
        "{whole:?}"
    );
    assert_eq!(
        checkpoints(&out2),
        ["checkpoint-2", "checkpoint-4", "checkpoint-6"]
    );
    check_with_python(&out1.join("checkpoint-4"));
    // The saved model of a checkpoint is a model folder: `wick evaluate` reads it.
    let eval = wick(&[
        "--json",
        "evaluate",
        "--model",
        &out2.join("checkpoint-6").display().to_string(),
        "--data",
        &data,
    ]);
    let metrics: Value = serde_json::from_slice(&eval.stdout).unwrap();
    assert!(metrics["eval_accuracy"].as_f64().is_some(), "{metrics}");
}

#[test]
fn save_total_limit_keeps_the_newest() {
    let tmp = tempfile::tempdir().unwrap();
    let (model, data) = (
        tiny_model(&tmp.path().join("model")),
        small_mrpc(tmp.path()),
    );
    let out = tmp.path().join("out");
    train(
        &model,
        &data,
        &out,
        "5",
        &["--save-steps", "1", "--save-total-limit", "2"],
    );
    assert_eq!(checkpoints(&out), ["checkpoint-4", "checkpoint-5"]);
    // No leftover temporary folders either.
    let hidden = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    assert_eq!(hidden, 0);
}

#[test]
fn another_run_or_a_broken_checkpoint_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (model, data) = (
        tiny_model(&tmp.path().join("model")),
        small_mrpc(tmp.path()),
    );
    let out = tmp.path().join("out");
    let out_s = out.display().to_string();
    let resume = |dir: &Path, extra: &[&str]| {
        let dir = dir.display().to_string();
        let mut args = vec![
            "train",
            "--model",
            &model,
            "--data",
            &data,
            "--max-steps",
            "2",
            "--logging-steps",
            "1",
            "--eval-strategy",
            "no",
            "--output-dir",
            &out_s,
            "--resume-from-checkpoint",
            &dir,
        ];
        let lr = ["--lr", "1e-3"];
        if !extra.contains(&"--lr") {
            args.extend_from_slice(&lr);
        }
        args.extend_from_slice(extra);
        wick_fails(&args)
    };

    // Nothing to resume yet.
    let err = resume(Path::new("latest"), &[]);
    assert!(err.contains("no checkpoint-N folder"), "{err}");

    train(&model, &data, &out, "2", &["--save-steps", "1"]);
    let ck: PathBuf = out.join("checkpoint-1");
    let err = resume(&ck, &["--lr", "2e-3"]);
    assert!(
        err.contains("learning_rate") && err.contains("0.002") && err.contains("0.001"),
        "{err}"
    );
    let err = resume(&ck, &["--batch-size", "4"]);
    assert!(err.contains("per_device_train_batch_size"), "{err}");

    std::fs::remove_file(ck.join("optimizer.safetensors")).unwrap();
    let err = resume(&ck, &[]);
    assert!(
        err.contains("checkpoint-1/optimizer.safetensors") && err.contains("missing"),
        "{err}"
    );

    let ck2 = out.join("checkpoint-2");
    std::fs::write(ck2.join("trainer_state.json"), "{\"global_step\": 2,").unwrap();
    let err = resume(&ck2, &[]);
    assert!(err.contains("checkpoint-2/trainer_state.json"), "{err}");

    let err = resume(&tmp.path().join("nowhere"), &[]);
    assert!(
        err.contains("nowhere") && err.contains("no such checkpoint folder"),
        "{err}"
    );
}

/// A checkpoint written on the CPU goes on on WebGPU (lavapipe in CI): the same run, to the
/// backends' agreement (1e-5). `WICK_SKIP_GPU=1` skips it, as the other GPU tests.
#[test]
fn a_cpu_checkpoint_goes_on_on_webgpu() {
    if std::env::var("WICK_SKIP_GPU").is_ok_and(|v| v == "1") {
        eprintln!("WICK_SKIP_GPU=1: skipping a GPU test");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (model, data) = (
        tiny_model(&tmp.path().join("model")),
        small_mrpc(tmp.path()),
    );
    let (out1, log1) = (tmp.path().join("out1"), tmp.path().join("log1.jsonl"));
    let log1_s = log1.display().to_string();
    train(
        &model,
        &data,
        &out1,
        "3",
        &["--save-steps", "1", "--log-json", &log1_s],
    );
    let (out2, log2) = (tmp.path().join("out2"), tmp.path().join("log2.jsonl"));
    let (ck, log2_s) = (out1.join("checkpoint-1"), log2.display().to_string());
    let ck_s = ck.display().to_string();
    let extra = [
        "--log-json",
        &log2_s,
        "--resume-from-checkpoint",
        &ck_s,
        "--backend",
        "webgpu",
    ];
    train(&model, &data, &out2, "3", &extra);
    let want: Vec<(u64, f64)> = losses(&log1).into_iter().filter(|l| l.0 > 1).collect();
    let got = losses(&log2);
    assert_eq!(got.len(), 2);
    for ((step, want), (_, loss)) in want.iter().zip(&got) {
        assert!(
            (want - loss).abs() < 1e-5,
            "step {step}: {loss} on WebGPU vs {want} on the CPU"
        );
    }
}
