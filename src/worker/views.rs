//! Engine values as the panels draw them (`protocol` views).

use crate::protocol::*;
use serde_json::Value;
use wick_engine::data::{DatasetDict, Feature, GlueTask};
use wick_engine::hub::ModelFiles;
use wick_engine::model::LoadReport;

/// The model card: the architecture from `config.json`, the size from the safetensors header.
pub fn model_card(
    name: &str,
    files: &ModelFiles,
    report: &LoadReport,
    uses_token_types: bool,
) -> Result<ModelCard, String> {
    let config: Value =
        serde_json::from_str(&files.config_json).map_err(|e| format!("config.json: {e}"))?;
    let int = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| config.get(*k)?.as_u64())
            .unwrap_or(0) as usize
    };
    let model_type = config
        .get("model_type")
        .and_then(Value::as_str)
        .unwrap_or("bert")
        .to_string();
    let parameters = safetensors_parameters(&files.weights)?;
    Ok(ModelCard {
        name: name.to_string(),
        uses_token_types,
        model_type,
        layers: int(&["num_hidden_layers", "n_layers"]),
        hidden_size: int(&["hidden_size", "dim"]),
        heads: int(&["num_attention_heads", "n_heads"]),
        intermediate_size: int(&["intermediate_size", "hidden_dim"]),
        vocab_size: int(&["vocab_size"]),
        max_positions: int(&["max_position_embeddings"]),
        parameters,
        bytes: files.weights.len() as u64,
        architecture: report.architecture.clone(),
        newly_initialized: report.newly_initialized.clone(),
        unused: report.unused.clone(),
        missing: report.missing.clone(),
        mismatched: report
            .mismatched
            .iter()
            .map(|m| (m.name.clone(), m.checkpoint.clone(), m.model.clone()))
            .collect(),
        notes: report.notes.clone(),
        tokenizer_from_vocab: files.tokenizer_from_vocab,
    })
}

/// Parameters in a safetensors file, from its header alone.
fn safetensors_parameters(bytes: &[u8]) -> Result<u64, String> {
    let bad = |why: &str| format!("model.safetensors: {why}");
    let n = bytes
        .get(..8)
        .ok_or_else(|| bad("shorter than its header"))?;
    let n = u64::from_le_bytes(n.try_into().map_err(|_| bad("header"))?) as usize;
    let header = bytes
        .get(8..8 + n)
        .ok_or_else(|| bad("header longer than the file"))?;
    let header: serde_json::Map<String, Value> =
        serde_json::from_slice(header).map_err(|e| bad(&e.to_string()))?;
    let mut count = 0u64;
    for (name, info) in header {
        if name == "__metadata__" {
            continue;
        }
        let shape = info
            .get("shape")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(&format!("{name}: no shape")))?;
        count += shape
            .iter()
            .map(|d| d.as_u64().unwrap_or(0))
            .product::<u64>();
    }
    Ok(count)
}

fn dtype(feature: &Feature) -> (String, Vec<String>) {
    match feature {
        Feature::Value { dtype } => (dtype.clone(), Vec::new()),
        Feature::ClassLabel { names } => ("ClassLabel".into(), names.clone()),
    }
}

pub fn dataset(name: &str, data: &DatasetDict) -> DatasetView {
    let features = data
        .features()
        .0
        .iter()
        .map(|(n, f)| {
            let (dtype, names) = dtype(f);
            FeatureInfo {
                name: n.clone(),
                dtype,
                names,
            }
        })
        .collect();
    let task = data.task.as_deref().and_then(GlueTask::get);
    DatasetView {
        name: name.to_string(),
        splits: data
            .splits
            .iter()
            .map(|(n, d)| SplitInfo {
                name: n.clone(),
                rows: d.num_rows(),
            })
            .collect(),
        features,
        label_names: data.label_names().unwrap_or_default(),
        metrics: task
            .map(|t| t.metrics.iter().map(|m| m.to_string()).collect())
            .unwrap_or_default(),
    }
}

/// `count` rows of a split from `offset`, as strings; a class label shows its name.
pub fn rows(
    data: &DatasetDict,
    split: &str,
    offset: usize,
    count: usize,
) -> Result<RowsView, String> {
    let d = data
        .split(split)
        .ok_or_else(|| format!("no split `{split}`"))?;
    let names = d.label_names().map(|n| n.to_vec()).unwrap_or_default();
    let columns: Vec<String> = d.columns.iter().map(|c| c.name.clone()).collect();
    let end = (offset + count).min(d.num_rows());
    let rows = (offset.min(end)..end)
        .filter_map(|i| d.row(i))
        .map(|row| {
            columns
                .iter()
                .map(|c| match (&row[c.as_str()], c == "label") {
                    (Value::String(s), _) => s.clone(),
                    (Value::Number(n), true) => {
                        match n.as_i64().and_then(|i| names.get(usize::try_from(i).ok()?)) {
                            Some(name) => format!("{n} ({name})"),
                            None => n.to_string(),
                        }
                    }
                    (v, _) => v.to_string(),
                })
                .collect()
        })
        .collect();
    Ok(RowsView {
        split: split.to_string(),
        offset,
        total: d.num_rows(),
        columns,
        rows,
    })
}
