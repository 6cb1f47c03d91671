//! Checkpoints a course reader swaps in, through the `wick` binary as a user runs it: an older
//! repo with `vocab.txt` and no `tokenizer.json`, a classifier fine-tuned for another number of
//! labels (`--ignore-mismatched-sizes`), and regression labels printed as the data set holds them.

use serde_json::Value;
use std::path::Path;
use std::process::Output;

mod common;
use common::*;
use wick_engine::model::weights::{load_checkpoint, to_safetensors};
use wick_engine::model::ModelConfig;

const COURSE_1: &str = "I've been waiting for a HuggingFace course my whole life.";
const COURSE_2: &str = "This course is amazing!";

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "wick failed: {stderr}");
    stderr
}

/// A checkpoint folder holding all-MiniLM-L6-v2's config.json, `weights` and the given files.
fn checkpoint(dir: &Path, config: &str, weights: &[u8], files: &[(&str, &str)]) {
    std::fs::write(dir.join("config.json"), config).unwrap();
    std::fs::write(dir.join("model.safetensors"), weights).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn minilm(file: &str) -> Vec<u8> {
    std::fs::read(wick_engine::testing::minilm_dir().join(file)).unwrap()
}

/// A small data set of the user's own (train and validation CSV files).
fn own_data(dir: &Path, labels: &[&str]) {
    let mut csv = String::from("sentence1,sentence2,label\n");
    for (i, label) in labels.iter().enumerate() {
        csv += &format!("The cat sat on mat {i}.,A cat was sitting on mat {i}.,{label}\n");
    }
    std::fs::write(dir.join("train.csv"), &csv).unwrap();
    std::fs::write(dir.join("validation.csv"), &csv).unwrap();
}

#[test]
fn a_vocab_txt_checkpoint_tokenizes_like_transformers() {
    let tmp = tempfile::tempdir().unwrap();
    let vocab =
        std::fs::read_to_string(repo_root().join("tests/reference/wordpiece/vocab-uncased.txt"))
            .unwrap();
    let config = String::from_utf8(minilm("config.json")).unwrap();
    checkpoint(
        tmp.path(),
        &config,
        b"unused",
        &[
            ("vocab.txt", &vocab),
            ("tokenizer_config.json", r#"{"do_lower_case": true}"#),
        ],
    );
    assert!(!tmp.path().join("tokenizer.json").exists());
    let model = tmp.path().display().to_string();
    let out = run(&["--json", "tokenize", "--model", &model, COURSE_1, COURSE_2]);
    ok(&out);
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The same vocabulary as all-MiniLM-L6-v2's tokenizer.json, so the same ids as Python's
    // AutoTokenizer gave for the course's pair (tests/reference/make_tokens.py).
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("tests/reference/tokens_minilm.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(got, reference["course_pair"]["encoding"]);

    // Neither file: an error naming both, not a panic.
    std::fs::remove_file(tmp.path().join("vocab.txt")).unwrap();
    let out = run(&["tokenize", "--model", &model, COURSE_1]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tokenizer.json") && stderr.contains("vocab.txt"),
        "{stderr}"
    );
}

#[test]
fn a_head_for_three_labels_trains_on_two_with_ignore_mismatched_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    let (ckpt, data, out_dir) = (
        tmp.path().join("ckpt"),
        tmp.path().join("data"),
        tmp.path().join("out"),
    );
    for d in [&ckpt, &data] {
        std::fs::create_dir(d).unwrap();
    }
    // A classifier fine-tuned with 3 labels (MNLI-like): MiniLM's body and a 3-row head.
    let config = r#"{"model_type": "bert", "hidden_size": 384, "num_hidden_layers": 6,
        "num_attention_heads": 12, "intermediate_size": 1536, "max_position_embeddings": 512,
        "id2label": {"0": "entailment", "1": "neutral", "2": "contradiction"}}"#;
    let parsed = ModelConfig::from_json(config, "config.json").unwrap();
    let (params, _) = load_checkpoint(&parsed, &minilm("model.safetensors"), 1, false).unwrap();
    let tokenizer = String::from_utf8(minilm("tokenizer.json")).unwrap();
    checkpoint(
        &ckpt,
        config,
        &to_safetensors(&params).unwrap(),
        &[("tokenizer.json", &tokenizer)],
    );
    own_data(&data, &["0", "1", "1", "0", "1", "0", "0", "1"]);
    let (ckpt, data, out_dir) = (
        ckpt.display().to_string(),
        data.display().to_string(),
        out_dir.display().to_string(),
    );
    let train = [
        "train",
        "--model",
        &ckpt,
        "--data",
        &data,
        "--max-steps",
        "1",
        "--output-dir",
        &out_dir,
    ];

    let out = run(&train);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && !stderr.contains("panicked"),
        "{stderr}"
    );
    for expected in [
        "size mismatch for classifier.weight: the checkpoint has shape [3, 384], the model [2, 384]",
        "size mismatch for classifier.bias: the checkpoint has shape [3], the model [2]",
        "--ignore-mismatched-sizes",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }

    let out = run(&[&train[..], &["--ignore-mismatched-sizes"]].concat());
    let stderr = ok(&out);
    for expected in [
        "because the shapes did not match",
        "- classifier.weight: found shape [3, 384] in the checkpoint and [2, 384] in the model instantiated",
        "- classifier.bias: found shape [3] in the checkpoint and [2] in the model instantiated",
        // The data set's labels win over the checkpoint's, and the report says so.
        "config.json has 3 labels (entailment, neutral, contradiction), the data set 2",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
    let saved: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&out_dir).join("config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(saved["id2label"].as_object().unwrap().len(), 2, "{saved}");
}

#[test]
fn regression_labels_print_as_the_data_set_holds_them() {
    let tmp = tempfile::tempdir().unwrap();
    own_data(tmp.path(), &["4.4", "0.2", "3.8", "5.0"]);
    let model = wick_engine::testing::minilm_dir().display().to_string();
    let data = tmp.path().display().to_string();
    let out = run(&[
        "--json",
        "batches",
        "--model",
        &model,
        "--data",
        &data,
        "--batch-size",
        "4",
        "--count",
        "1",
    ]);
    ok(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let labels = serde_json::to_string(&json["batches"][0]["labels"]).unwrap();
    assert_eq!(labels, "[4.4,0.2,3.8,5.0]", "{text}");
    assert!(!text.contains("4.400000"), "{text}");
}
