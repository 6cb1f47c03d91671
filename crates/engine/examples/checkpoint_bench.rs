//! A run checkpoint's size on disk and write time, for the closing notes of issue 11:
//!
//!   cargo run --release -p wick-engine --example checkpoint_bench -- minilm     # all-MiniLM-L6-v2
//!   cargo run --release -p wick-engine --example checkpoint_bench -- bert-base  # random weights
//!   (an optional second argument: the folder to write into; default a temporary one)
//!
//! One training step on the CPU backend (so AdamW's moments are real), then
//! `Trainer::checkpoint` (read back from the backend), `Checkpoint::to_files` (serialise) and
//! `checkpoint::write_checkpoint` (write, fsync, rename), each timed, and the files' sizes.

use std::time::Instant;
use wick_engine::collate::DataCollatorWithPadding;
use wick_engine::export::ExportInputs;
use wick_engine::model::weights::{init_parameter, parameter_specs};
use wick_engine::model::{CpuBackend, ModelConfig};
use wick_engine::tokenize::TokenizedSplit;
use wick_engine::train::{checkpoint, Trainer, TrainerInputs, TrainingArguments};
use wick_engine::{rng, testing};

/// bert-base-uncased's shape: 12 layers, hidden 768, 12 heads, FFN 3072, vocabulary 30522.
const BERT_BASE: &str = r#"{"model_type": "bert", "vocab_size": 30522, "hidden_size": 768,
  "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072,
  "max_position_embeddings": 512, "type_vocab_size": 2, "hidden_act": "gelu",
  "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "layer_norm_eps": 1e-12,
  "initializer_range": 0.02, "pad_token_id": 0}"#;

fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "minilm".into());
    let (config_json, safetensors) = match which.as_str() {
        "minilm" => {
            let dir = testing::minilm_dir();
            let read = |name: &str| std::fs::read(dir.join(name)).expect("all-MiniLM-L6-v2");
            (
                String::from_utf8(read("config.json")).unwrap(),
                Some(read("model.safetensors")),
            )
        }
        "bert-base" => (BERT_BASE.to_string(), None),
        _ => {
            eprintln!("usage: checkpoint_bench minilm|bert-base [DIR]");
            std::process::exit(2)
        }
    };
    let config = ModelConfig::from_json(&config_json, "config.json")
        .and_then(|c| c.with_labels(2, None))
        .unwrap();
    let backend = match &safetensors {
        Some(bytes) => {
            CpuBackend::from_checkpoint(config.clone(), bytes, 42)
                .unwrap()
                .0
        }
        None => {
            let specs = parameter_specs(&config);
            let weights = specs.iter().map(|s| init_parameter(s, 0.02, 42)).collect();
            CpuBackend::new(config.clone(), weights).unwrap()
        }
    };
    let params: usize = parameter_specs(&config)
        .iter()
        .map(|s| s.shape.iter().product::<usize>())
        .sum();

    // Two rows of 16 tokens: one step, so the moments are there.
    let rows: Vec<Vec<u32>> = (0..2u32)
        .map(|r| {
            (0..16)
                .map(|t| 1000 + rng::hash32(r * 16 + t) % 20000)
                .collect()
        })
        .collect();
    let train = TokenizedSplit {
        input_ids: rows,
        token_type_ids: None,
        labels: vec![0.0, 1.0],
    };
    let args = TrainingArguments {
        max_steps: 1,
        per_device_train_batch_size: 2,
        save_steps: 1,
        ..TrainingArguments::default()
    };
    let inputs = TrainerInputs {
        train_dataset: Some(train),
        eval_dataset: None,
        data_collator: DataCollatorWithPadding::new(0),
        task: None,
    };
    let mut trainer = Trainer::new(backend, args, inputs).unwrap();
    pollster::block_on(trainer.step()).unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let out = std::env::args()
        .nth(2)
        .map_or_else(|| tmp.path().to_path_buf(), std::path::PathBuf::from);
    let t0 = Instant::now();
    let saved = pollster::block_on(trainer.checkpoint()).unwrap();
    let t1 = Instant::now();
    let model = ExportInputs {
        config: &config,
        base_config: Some(config_json.as_bytes()),
        weights: &saved.weights,
        tokenizer_json: None,
        tokenizer_config: None,
        model_max_length: 512,
    };
    let files = saved.to_files(&model).unwrap();
    let t2 = Instant::now();
    let dir = checkpoint::write_checkpoint(&out, saved.state.global_step, &files).unwrap();
    let t3 = Instant::now();

    println!("{which}: {params} parameters, checkpoint {}", dir.display());
    let mut total = 0;
    for (name, _) in &files {
        let on_disk = std::fs::metadata(dir.join(name)).unwrap().len();
        total += on_disk;
        println!("  {name:24} {:>10.1} MB", on_disk as f64 / 1e6);
    }
    println!("  {:24} {:>10.1} MB", "total", total as f64 / 1e6);
    let s = |a: Instant, b: Instant| (b - a).as_secs_f64();
    println!(
        "  read back {:.2} s, serialise {:.2} s, write + fsync + rename {:.2} s: {:.2} s in all",
        s(t0, t1),
        s(t1, t2),
        s(t2, t3),
        s(t0, t3)
    );
}
