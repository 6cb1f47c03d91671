//! Shared by the model tests: the reference files of `tests/reference/make_model_refs.py`,
//! where the checkpoints are, and error measures.
#![allow(dead_code)]

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use wick_engine::collate::Batch;

pub fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference")
}

/// The files of a checkpoint folder: config.json's text and model.safetensors' bytes.
pub fn checkpoint(dir: &std::path::Path) -> (String, Vec<u8>) {
    let config = std::fs::read_to_string(dir.join("config.json")).expect("config.json");
    let weights = std::fs::read(dir.join("model.safetensors")).expect("model.safetensors");
    (config, weights)
}

#[derive(Deserialize)]
pub struct RefBatch {
    pub batch_size: usize,
    pub seq_len: usize,
    pub input_ids: Vec<u32>,
    pub token_type_ids: Vec<u32>,
    pub attention_mask: Vec<u32>,
    pub labels: Vec<f32>,
}

impl RefBatch {
    pub fn batch(&self) -> Batch {
        Batch {
            batch_size: self.batch_size,
            seq_len: self.seq_len,
            input_ids: self.input_ids.clone(),
            token_type_ids: self.token_type_ids.clone(),
            attention_mask: self.attention_mask.clone(),
            labels: self.labels.clone(),
        }
    }
}

/// A tensor stored whole (`index` null) or as its norm and a few elements.
#[derive(Deserialize)]
pub struct Summary {
    pub shape: Vec<usize>,
    pub norm: f64,
    pub index: Option<Vec<usize>>,
    pub values: Vec<f32>,
}

#[derive(Deserialize)]
pub struct TransformersReport {
    pub newly_initialized: Vec<String>,
    pub unused: Vec<String>,
}

#[derive(Deserialize)]
pub struct Train {
    pub lr: Vec<f64>,
    pub weight_decay: f64,
    pub max_grad_norm: f64,
    pub losses: Vec<f32>,
    pub grad_norms: Vec<f32>,
    pub params: BTreeMap<String, Summary>,
}

#[derive(Deserialize)]
pub struct Reference {
    pub model: String,
    pub seed: u64,
    pub num_labels: usize,
    pub batch: RefBatch,
    pub transformers_report: TransformersReport,
    pub head: BTreeMap<String, Vec<f32>>,
    pub decay: Vec<String>,
    pub logits: Vec<f32>,
    pub loss: f32,
    pub grads: BTreeMap<String, Summary>,
    pub train: Train,
}

pub fn reference(name: &str) -> Reference {
    let path = reference_dir().join(format!("model_ref_{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Largest absolute difference.
pub fn max_abs(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).abs())
        .fold(0.0, f64::max)
}

pub fn norm(a: &[f32]) -> f64 {
    a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt()
}

/// Compare `data` (a whole tensor) against a reference summary: the largest element error
/// relative to the reference tensor's norm, and the relative error of the norm.
pub fn relative_error(data: &[f32], want: &Summary) -> (f64, f64) {
    let scale = want.norm.max(1e-30);
    let got: Vec<f32> = match &want.index {
        None => data.to_vec(),
        Some(index) => index.iter().map(|&i| data[i]).collect(),
    };
    let elem = max_abs(&got, &want.values) / scale;
    let norm_err = (norm(data) - want.norm).abs() / scale;
    (elem, norm_err)
}
