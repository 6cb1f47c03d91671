//! Checkpoints with `vocab.txt` and no `tokenizer.json` tokenize as Python transformers does.
//!
//! `tests/reference/tokens_wordpiece.json` (from `tests/reference/make_wordpiece.py`) holds, for
//! each variant (uncased, cased, multilingual-style, DistilBERT, model_input_names, ...), the
//! checkpoint's files and `AutoTokenizer`'s encodings of the same strings. Each test lays the
//! variant out as a folder, loads it as a user's checkpoint is loaded (`ModelFiles::load`, then
//! `Tokenizer::from_model_files`) and compares every id.

use serde_json::Value;
use std::path::{Path, PathBuf};
use wick_engine::hub::{Fetch, Hub, MemoryStore, Progress, Source};
use wick_engine::tokenize::Tokenizer;
use wick_engine::Result;

struct NoNetwork;
impl Fetch for NoNetwork {
    async fn get(
        &self,
        url: &str,
        _: Option<&str>,
        _: &mut dyn FnMut(&Progress),
    ) -> Result<Vec<u8>> {
        panic!("a local checkpoint must not download {url}")
    }
}

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference")
}

fn reference() -> Value {
    let text = std::fs::read_to_string(reference_dir().join("tokens_wordpiece.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The variant's checkpoint folder: vocab.txt, config.json, the optional JSON files and a
/// stand-in model.safetensors (the tokenizer does not read it).
fn lay_out(dir: &Path, variant: &Value) {
    let vocab = reference_dir()
        .join("wordpiece")
        .join(variant["vocab"].as_str().unwrap());
    std::fs::copy(vocab, dir.join("vocab.txt")).unwrap();
    for (file, key) in [
        ("config.json", "config"),
        ("tokenizer_config.json", "tokenizer_config"),
        ("special_tokens_map.json", "special_tokens_map"),
    ] {
        if !variant[key].is_null() {
            std::fs::write(dir.join(file), variant[key].to_string()).unwrap();
        }
    }
    std::fs::write(dir.join("model.safetensors"), [0u8; 8]).unwrap();
}

fn check_variant(name: &str) {
    let reference = reference();
    let variant = &reference["variants"][name];
    assert!(
        variant.is_object(),
        "no variant {name} in tokens_wordpiece.json"
    );
    let tmp = tempfile::tempdir().unwrap();
    lay_out(tmp.path(), variant);
    let hub = Hub::new(NoNetwork, MemoryStore::new(), "http://unused", None);
    let source = Source::Local(tmp.path().to_path_buf());
    let files = pollster::block_on(wick_engine::hub::ModelFiles::load(
        &hub,
        &source,
        &mut |_| {},
    ))
    .unwrap();
    assert!(files.tokenizer_from_vocab);
    let tokenizer = Tokenizer::from_model_files(
        files.tokenizer_json.as_bytes(),
        files.config_json.as_bytes(),
        files.tokenizer_config_json.as_deref().map(str::as_bytes),
    )
    .unwrap();
    let wants_types = variant["model_input_names"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "token_type_ids");
    assert_eq!(tokenizer.uses_token_type_ids(), wants_types, "{name}");

    let cases = reference["cases"].as_array().unwrap();
    let encodings = variant["encodings"].as_array().unwrap();
    assert!(cases.len() >= 20 && cases.len() == encodings.len());
    let mut wrong = Vec::new();
    for (case, want) in cases.iter().zip(encodings) {
        let first = case["first"].as_str().unwrap();
        let second = case["second"].as_str();
        let got = serde_json::to_value(tokenizer.encode(first, second).unwrap()).unwrap();
        for key in ["input_ids", "token_type_ids", "attention_mask", "tokens"] {
            if got.get(key) != want.get(key) {
                wrong.push(format!(
                    "{first:?} / {second:?}: {key}\n  wick   {}\n  python {}",
                    got.get(key).unwrap_or(&Value::Null),
                    want.get(key).unwrap_or(&Value::Null)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{name}: {} differences:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn uncased() {
    check_variant("uncased");
}

#[test]
fn uncased_without_tokenizer_config() {
    check_variant("uncased-no-config");
}

#[test]
fn cased_with_special_tokens_map() {
    check_variant("cased");
}

#[test]
fn cased_with_accents_stripped() {
    check_variant("cased-strip-accents");
}

#[test]
fn multilingual() {
    check_variant("multilingual");
}

#[test]
fn multilingual_without_chinese_splitting() {
    check_variant("multilingual-cjk-unsplit");
}

#[test]
fn distilbert_returns_no_token_type_ids() {
    check_variant("distilbert");
}

#[test]
fn model_input_names_and_truncation_from_tokenizer_config() {
    check_variant("input-names-truncated");
}

#[test]
fn every_reference_variant_is_tested() {
    let reference = reference();
    let names: Vec<&String> = reference["variants"].as_object().unwrap().keys().collect();
    assert_eq!(
        names.len(),
        8,
        "a new variant in tokens_wordpiece.json needs a test: {names:?}"
    );
}

#[test]
fn no_tokenizer_json_and_no_vocab_names_both() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("config.json"), r#"{"model_type": "bert"}"#).unwrap();
    std::fs::write(tmp.path().join("model.safetensors"), [0u8; 8]).unwrap();
    let hub = Hub::new(NoNetwork, MemoryStore::new(), "http://unused", None);
    let source = Source::Local(tmp.path().to_path_buf());
    let err = pollster::block_on(wick_engine::hub::ModelFiles::load(
        &hub,
        &source,
        &mut |_| {},
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("tokenizer.json") && err.contains("vocab.txt"),
        "{err}"
    );
}
