//! The `wick` binary on the real MRPC and the real all-MiniLM-L6-v2, against references that
//! Python wrote (`tests/reference/make_tokens.py`, `tests/reference/make_inspect.py`).

use serde_json::Value;
mod common;
use common::*;

const COURSE_1: &str = "I've been waiting for a HuggingFace course my whole life.";
const COURSE_2: &str = "This course is amazing!";

fn reference(name: &str) -> Value {
    let path = repo_root().join("tests/reference").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Run, expect success, parse stdout as JSON.
fn wick_json(args: &[&str]) -> Value {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "wick {args:?} failed: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("wick {args:?}: not JSON ({e})"))
}

/// Run, expect failure with one clear line on stderr (no panic, no backtrace).
fn wick_error(args: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert!(!out.status.success(), "wick {args:?} succeeded");
    assert_eq!(stderr.lines().count(), 1, "wick {args:?} stderr: {stderr}");
    assert!(
        stderr.starts_with("wick: error: ") && !stderr.contains("panicked"),
        "{stderr}"
    );
    stderr
}

#[test]
fn tokenize_json_is_the_dict_transformers_returns() {
    let model = model_dir();
    let tokens = reference("tokens_minilm.json");
    let out = run(&["tokenize", "--model", &model, COURSE_1, COURSE_2, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json, tokens["course_pair"]["encoding"]);
    // Keys in transformers' order.
    let at = |k: &str| text.find(k).unwrap();
    assert!(at("input_ids") < at("token_type_ids") && at("token_type_ids") < at("attention_mask"));

    let single = wick_json(&["--json", "tokenize", "--model", &model, COURSE_1]);
    assert_eq!(single, tokens["course_single"]);
}

#[test]
fn tokenize_table_shows_each_token_with_its_ids() {
    let model = model_dir();
    let out = run(&["tokenize", "--model", &model, COURSE_1, COURSE_2]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("22 tokens (maximum 512)"), "{text}");
    let row = text.lines().find(|l| l.contains("##face")).unwrap();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        ["9", "##face", "12172", "0", "1"]
    );
    let last = text.lines().last().unwrap();
    assert_eq!(
        last.split_whitespace().collect::<Vec<_>>(),
        ["21", "[SEP]", "102", "1", "1"]
    );
}

#[test]
fn inspect_json_matches_datasets() {
    let json = wick_json(&["inspect", &mrpc_dir(), "--json"]);
    assert_eq!(json, reference("inspect_mrpc.json"));
}

#[test]
fn inspect_table_names_splits_rows_and_labels() {
    let out = run(&["inspect", &mrpc_dir()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "train",
        "3668",
        "validation",
        "408",
        "not_equivalent",
        "equivalent",
        "Amrozi accused",
    ] {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    }
}

#[test]
fn batches_json_matches_data_collator_with_padding() {
    let model = model_dir();
    let expected = &reference("tokens_minilm.json")["mrpc_train_batches"];
    let json = wick_json(&[
        "batches",
        "--model",
        &model,
        "--data",
        &mrpc_dir(),
        "--json",
    ]);
    assert_eq!(json["split"], "train");
    assert_eq!(json["batch_size"], 8);
    let batches = json["batches"].as_array().unwrap();
    let want = expected["batches"].as_array().unwrap();
    assert_eq!(batches.len(), want.len());
    for (got, want) in batches.iter().zip(want) {
        for key in ["input_ids", "token_type_ids", "attention_mask", "labels"] {
            assert_eq!(got[key], want[key], "{key}");
        }
        let rows = want["input_ids"].as_array().unwrap();
        assert_eq!(
            got["shape"],
            serde_json::json!([rows.len(), rows[0].as_array().unwrap().len()])
        );
    }
    for (key, value) in expected["padding"].as_object().unwrap() {
        assert_eq!(&json["padding"][key], value, "padding.{key}");
    }
}

#[test]
fn batches_shuffle_by_seed_and_pad_to_a_multiple_of_8() {
    let model = model_dir();
    let mrpc = mrpc_dir();
    let args = [
        "batches",
        "--model",
        &model,
        "--data",
        &mrpc,
        "--json",
        "--batch-size",
        "16",
        "--count",
        "2",
    ];
    let in_order = wick_json(&args);
    let seeded: Vec<&str> = args.iter().copied().chain(["--seed", "42"]).collect();
    let shuffled = wick_json(&seeded);
    assert_eq!(
        shuffled,
        wick_json(&seeded),
        "the same seed gives the same batches"
    );
    assert_ne!(shuffled["batches"], in_order["batches"]);
    assert_eq!(shuffled["batches"].as_array().unwrap().len(), 2);
    assert_eq!(
        shuffled["padding"]["real_tokens"],
        in_order["padding"]["real_tokens"]
    );
    assert_eq!(shuffled["batches"][0]["shape"][0], 16);

    let by8: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--pad-to-multiple-of", "8"])
        .collect();
    let by8 = wick_json(&by8);
    for batch in by8["batches"].as_array().unwrap() {
        assert_eq!(batch["shape"][1].as_u64().unwrap() % 8, 0);
    }
    let (d, p) = (
        &by8["padding"]["dynamic_tokens"],
        &by8["padding"]["padded_to_longest_tokens"],
    );
    assert_eq!(
        p.as_u64().unwrap(),
        3668 * 104,
        "the longest row (103) rounds up to 104"
    );
    assert!(d.as_u64().unwrap() >= in_order["padding"]["dynamic_tokens"].as_u64().unwrap());
}

#[test]
fn batches_table_shows_shapes_and_padding_saved() {
    let model = model_dir();
    let out = run(&[
        "batches",
        "--model",
        &model,
        "--data",
        &mrpc_dir(),
        "--count",
        "1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in ["[8, 67]", "264156", "377804", "195290"] {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    }
}

#[test]
fn errors_are_one_line_and_a_failing_exit() {
    let missing = "/nonexistent/wick-model";
    let e = wick_error(&["tokenize", "--model", missing, "hello"]);
    assert!(e.contains(missing), "{e}");
    let e = wick_error(&["inspect", "./no-such-data"]);
    assert!(e.contains("no-such-data"), "{e}");
    // Nothing listens on port 9: the URL is named.
    let e = wick_error(&[
        "--hub-endpoint",
        "http://127.0.0.1:9",
        "tokenize",
        "--model",
        "someone/some-model",
        "hi",
    ]);
    assert!(
        e.contains("http://127.0.0.1:9/someone/some-model/resolve/main/"),
        "{e}"
    );
    let e = wick_error(&[
        "batches",
        "--model",
        &model_dir(),
        "--data",
        &mrpc_dir(),
        "--batch-size",
        "0",
    ]);
    assert!(e.contains("batch"), "{e}");
    // A data folder is no model: the first file a model must have is missing (as transformers,
    // which asks for config.json first).
    let e = wick_error(&["batches", "--model", &mrpc_dir(), "--data", &mrpc_dir()]);
    assert!(e.contains("config.json"), "{e}");
}
