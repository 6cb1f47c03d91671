//! The parameters of the sequence classifiers under transformers' names, and loading them from
//! real checkpoints whatever their naming, with a load report like transformers'.
//!
//! Checkpoints come as `bert.`-prefixed (`BertForPreTraining`, `BertForMaskedLM`) or bare
//! (`BertModel` exports such as MiniLM), with `LayerNorm.gamma/beta` (bert-base-uncased) or
//! `.weight/.bias`, with buffers (`embeddings.position_ids`) and pretraining heads (`cls.*`,
//! DistilBERT's `vocab_*`). Every key is mapped to the one canonical name the model uses, which
//! is also the name `save_pretrained` writes. The loader is backend-agnostic: it returns plain
//! `NamedTensor`s that the CPU and WebGPU backends upload as they like.

use super::config::{ModelConfig, ModelType};
use crate::backend::NamedTensor;
use crate::{rng, Error, Result};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::fmt;

/// What loading a checkpoint did, as transformers reports it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadReport {
    /// The architecture's class name (`BertForSequenceClassification`).
    pub architecture: String,
    /// Head weights the checkpoint lacks, freshly initialised (expected: train them).
    pub newly_initialized: Vec<String>,
    /// Checkpoint tensors the model does not use (pretraining heads, duplicates).
    pub unused: Vec<String>,
    /// Body weights the checkpoint lacks, freshly initialised (unexpected: a wrong checkpoint?).
    pub missing: Vec<String>,
    /// Tensors whose shape differs from the model's, freshly initialised because the load
    /// asked for `ignore_mismatched_sizes` (a head trained for another number of labels).
    pub mismatched: Vec<Mismatch>,
    /// The config's label decisions (`ModelConfig::label_notes`).
    pub notes: Vec<String>,
}

/// A checkpoint tensor of another shape than the model's (transformers' `mismatched_keys`).
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// The model's name for it (`classifier.weight`).
    pub name: String,
    pub checkpoint: Vec<usize>,
    pub model: Vec<usize>,
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arch = &self.architecture;
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        if !self.unused.is_empty() {
            writeln!(
                f,
                "Some weights of the model checkpoint were not used when initializing {arch}: {:?}",
                self.unused
            )?;
        }
        if !self.missing.is_empty() {
            writeln!(
                f,
                "Some weights of {arch} were missing from the model checkpoint and are newly initialized: {:?}",
                self.missing
            )?;
        }
        if !self.newly_initialized.is_empty() {
            writeln!(
                f,
                "Some weights of {arch} were not initialized from the model checkpoint and are newly initialized: {:?}\n\
                 You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.",
                self.newly_initialized
            )?;
        }
        if !self.mismatched.is_empty() {
            writeln!(
                f,
                "Some weights of {arch} were not initialized from the model checkpoint and are newly initialized because the shapes did not match:"
            )?;
            for m in &self.mismatched {
                writeln!(
                    f,
                    "- {}: found shape {:?} in the checkpoint and {:?} in the model instantiated",
                    m.name, m.checkpoint, m.model
                )?;
            }
            writeln!(f, "You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.")?;
        }
        Ok(())
    }
}

/// One parameter of the model: its transformers name and shape.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSpec {
    pub name: String,
    pub shape: Vec<usize>,
    /// Part of the classification head (new when fine-tuning a pretrained body).
    pub head: bool,
}

/// The architecture's class name, as in `config.json`'s `architectures`.
pub fn architecture(config: &ModelConfig) -> &'static str {
    match config.model_type {
        ModelType::Bert => "BertForSequenceClassification",
        ModelType::DistilBert => "DistilBertForSequenceClassification",
    }
}

/// Every parameter, in the order of torch's `named_parameters()`.
pub fn parameter_specs(c: &ModelConfig) -> Vec<ParamSpec> {
    let (h, i, nl) = (c.hidden_size, c.intermediate_size, c.num_labels);
    let mut specs = Vec::new();
    let mut add = |name: String, shape: &[usize], head: bool| {
        specs.push(ParamSpec {
            name,
            shape: shape.to_vec(),
            head,
        })
    };
    let linear = |add: &mut dyn FnMut(String, &[usize], bool), name: &str, out, inp, head| {
        add(format!("{name}.weight"), &[out, inp], head);
        add(format!("{name}.bias"), &[out], head);
    };
    let norm = |add: &mut dyn FnMut(String, &[usize], bool), name: &str| {
        add(format!("{name}.weight"), &[h], false);
        add(format!("{name}.bias"), &[h], false);
    };
    match c.model_type {
        ModelType::Bert => {
            add(
                "bert.embeddings.word_embeddings.weight".into(),
                &[c.vocab_size, h],
                false,
            );
            add(
                "bert.embeddings.position_embeddings.weight".into(),
                &[c.max_position_embeddings, h],
                false,
            );
            add(
                "bert.embeddings.token_type_embeddings.weight".into(),
                &[c.type_vocab_size, h],
                false,
            );
            norm(&mut add, "bert.embeddings.LayerNorm");
            for l in 0..c.num_hidden_layers {
                let p = format!("bert.encoder.layer.{l}");
                for name in ["query", "key", "value"] {
                    linear(&mut add, &format!("{p}.attention.self.{name}"), h, h, false);
                }
                linear(
                    &mut add,
                    &format!("{p}.attention.output.dense"),
                    h,
                    h,
                    false,
                );
                norm(&mut add, &format!("{p}.attention.output.LayerNorm"));
                linear(&mut add, &format!("{p}.intermediate.dense"), i, h, false);
                linear(&mut add, &format!("{p}.output.dense"), h, i, false);
                norm(&mut add, &format!("{p}.output.LayerNorm"));
            }
            // The pooler is part of BertModel, but plain encoders are often exported without
            // it: when absent it is initialised like the head.
            linear(&mut add, "bert.pooler.dense", h, h, true);
        }
        ModelType::DistilBert => {
            add(
                "distilbert.embeddings.word_embeddings.weight".into(),
                &[c.vocab_size, h],
                false,
            );
            add(
                "distilbert.embeddings.position_embeddings.weight".into(),
                &[c.max_position_embeddings, h],
                false,
            );
            norm(&mut add, "distilbert.embeddings.LayerNorm");
            for l in 0..c.num_hidden_layers {
                let p = format!("distilbert.transformer.layer.{l}");
                for name in ["q_lin", "k_lin", "v_lin", "out_lin"] {
                    linear(&mut add, &format!("{p}.attention.{name}"), h, h, false);
                }
                norm(&mut add, &format!("{p}.sa_layer_norm"));
                linear(&mut add, &format!("{p}.ffn.lin1"), i, h, false);
                linear(&mut add, &format!("{p}.ffn.lin2"), h, i, false);
                norm(&mut add, &format!("{p}.output_layer_norm"));
            }
            linear(&mut add, "pre_classifier", h, h, true);
        }
    }
    linear(&mut add, "classifier", nl, h, true);
    specs
}

/// The RNG stream a fresh parameter is drawn from. The head's streams are fixed (`rng::stream`)
/// so every backend and the reference script start from the same head; other weights (only
/// drawn when a checkpoint lacks them) use a hash of their name.
pub fn init_stream(name: &str) -> u32 {
    match name {
        "classifier.weight" => rng::stream::INIT_CLASSIFIER,
        "pre_classifier.weight" => rng::stream::INIT_PRE_CLASSIFIER,
        "bert.pooler.dense.weight" => rng::stream::INIT_POOLER,
        // FNV-1a of the name, then mixed.
        _ => rng::hash32(name.bytes().fold(0x811c_9dc5u32, |h, b| {
            (h ^ b as u32).wrapping_mul(0x0100_0193)
        })),
    }
}

/// A fresh parameter as transformers' `_init_weights` makes it: LayerNorm weights 1, biases 0,
/// other weights `normal(0, initializer_range)`: element `i` (row-major) is
/// `rng::normal(seed, init_stream(name), i) * initializer_range` in f32.
pub fn init_parameter(spec: &ParamSpec, initializer_range: f64, seed: u32) -> NamedTensor {
    let len = spec.shape.iter().product::<usize>();
    let name = &spec.name;
    let data = if name.ends_with(".bias") {
        vec![0.0; len]
    } else if is_layer_norm(name) {
        vec![1.0; len]
    } else {
        let stream = init_stream(name);
        let std = initializer_range as f32;
        (0..len)
            .map(|i| rng::normal(seed, stream, i as u32) * std)
            .collect()
    };
    NamedTensor {
        name: name.clone(),
        shape: spec.shape.clone(),
        data,
    }
}

fn is_layer_norm(name: &str) -> bool {
    name.contains("LayerNorm") || name.contains("layer_norm")
}

/// What a checkpoint key is to the model.
enum Key {
    Param(String),
    /// A buffer transformers also ignores (`position_ids`, `token_type_ids`).
    Buffer,
    Unused,
}

/// Map a checkpoint key to the model's canonical name.
fn canonical(model_type: ModelType, key: &str, known: &HashMap<&str, usize>) -> Key {
    // Old TensorFlow-converted names: LayerNorm.gamma / LayerNorm.beta.
    let key = match (key.strip_suffix(".gamma"), key.strip_suffix(".beta")) {
        (Some(stem), _) => format!("{stem}.weight"),
        (_, Some(stem)) => format!("{stem}.bias"),
        _ => key.to_string(),
    };
    let (prefix, body_roots): (&str, &[&str]) = match model_type {
        ModelType::Bert => ("bert.", &["embeddings.", "encoder.", "pooler."]),
        ModelType::DistilBert => ("distilbert.", &["embeddings.", "transformer."]),
    };
    // Bare body keys (a plain BertModel / DistilBertModel export) get the prefix.
    let name = if body_roots.iter().any(|root| key.starts_with(root)) {
        format!("{prefix}{key}")
    } else {
        key
    };
    if known.contains_key(name.as_str()) {
        Key::Param(name)
    } else if name.ends_with("position_ids") || name.ends_with("token_type_ids") {
        Key::Buffer
    } else {
        Key::Unused
    }
}

/// Load the model's parameters from a `model.safetensors` file's bytes: every parameter in
/// `parameter_specs` order, with the head (and whatever else the checkpoint lacks) freshly
/// initialised from `seed`. A tensor of another shape (a head trained for another number of
/// labels) is an error naming every such tensor, unless `ignore_mismatched_sizes`: then it is
/// initialised afresh and listed in `LoadReport::mismatched`, as transformers'
/// `from_pretrained(..., ignore_mismatched_sizes=True)` does. Errors: unreadable file, a
/// mismatched shape, an unsupported dtype, or a checkpoint with nothing of this architecture.
pub fn load_checkpoint(
    config: &ModelConfig,
    safetensors: &[u8],
    seed: u32,
    ignore_mismatched_sizes: bool,
) -> Result<(Vec<NamedTensor>, LoadReport)> {
    let file = SafeTensors::deserialize(safetensors)
        .map_err(|e| Error::Model(format!("model.safetensors: {e}")))?;
    let specs = parameter_specs(config);
    let known: HashMap<&str, usize> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    let mut found: Vec<Option<Vec<f32>>> = vec![None; specs.len()];
    let mut report = LoadReport {
        architecture: architecture(config).into(),
        notes: config.label_notes.clone(),
        ..LoadReport::default()
    };
    let mut keys = file.names();
    keys.sort();
    for key in keys {
        let name = match canonical(config.model_type, key, &known) {
            Key::Param(name) => name,
            Key::Buffer => continue,
            Key::Unused => {
                report.unused.push(key.to_string());
                continue;
            }
        };
        let index = known[name.as_str()];
        if found[index].is_some() {
            report.unused.push(key.to_string()); // the same parameter under a second name
            continue;
        }
        let view = file
            .tensor(key)
            .map_err(|e| Error::Model(format!("model.safetensors: {key}: {e}")))?;
        let spec = &specs[index];
        if view.shape() != spec.shape.as_slice() {
            report.mismatched.push(Mismatch {
                name: spec.name.clone(),
                checkpoint: view.shape().to_vec(),
                model: spec.shape.clone(),
            });
            continue;
        }
        found[index] = Some(to_f32(key, view.dtype(), view.shape(), view.data())?);
    }
    if !report.mismatched.is_empty() && !ignore_mismatched_sizes {
        return Err(mismatch_error(config, &report));
    }
    let loaded_body = specs
        .iter()
        .zip(&found)
        .filter(|(s, f)| !s.head && f.is_some())
        .count();
    if loaded_body == 0 {
        let example = file
            .names()
            .into_iter()
            .next()
            .unwrap_or("(none)")
            .to_string();
        return Err(Error::Model(format!(
            "model.safetensors: no tensor matches {} (expected names like {}; the file has e.g. {example})",
            report.architecture, specs[0].name
        )));
    }
    let mut params = Vec::with_capacity(specs.len());
    for (spec, data) in specs.iter().zip(found) {
        let mismatched = report.mismatched.iter().any(|m| m.name == spec.name);
        match data {
            None if mismatched => {
                params.push(init_parameter(spec, config.initializer_range, seed));
            }
            Some(data) => params.push(NamedTensor {
                name: spec.name.clone(),
                shape: spec.shape.clone(),
                data,
            }),
            None => {
                let list = if spec.head {
                    &mut report.newly_initialized
                } else {
                    &mut report.missing
                };
                list.push(spec.name.clone());
                params.push(init_parameter(spec, config.initializer_range, seed));
            }
        }
    }
    Ok((params, report))
}

/// transformers' size-mismatch error, with what to do: the tensors and both shapes, and
/// `ignore_mismatched_sizes` (and where Wick offers it).
fn mismatch_error(config: &ModelConfig, report: &LoadReport) -> Error {
    let lines: Vec<String> = report
        .mismatched
        .iter()
        .map(|m| {
            format!(
                "size mismatch for {}: the checkpoint has shape {:?}, the model {:?}",
                m.name, m.checkpoint, m.model
            )
        })
        .collect();
    let specs = parameter_specs(config);
    let head = report
        .mismatched
        .iter()
        .all(|m| specs.iter().any(|s| s.head && s.name == m.name));
    let why = if head {
        format!(
            " (the checkpoint's classification head was trained for another number of labels; \
             this run has {})",
            config.num_labels
        )
    } else {
        String::new()
    };
    Error::Model(format!(
        "model.safetensors: error in loading {}{why}: {}. To draw those weights afresh, load \
         with ignore_mismatched_sizes (wick: --ignore-mismatched-sizes; the page: \"Ignore \
         mismatched sizes\" in the Checkpoint panel), as transformers' \
         from_pretrained(..., ignore_mismatched_sizes=True) does.",
        report.architecture,
        lines.join("; ")
    ))
}

/// A checkpoint tensor's data as f32 (f32, f16 and bf16 files).
fn to_f32(key: &str, dtype: Dtype, shape: &[usize], data: &[u8]) -> Result<Vec<f32>> {
    let dtype = match dtype {
        Dtype::F32 => {
            return Ok(data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect())
        }
        Dtype::F16 => candle_core::DType::F16,
        Dtype::BF16 => candle_core::DType::BF16,
        other => {
            return Err(Error::Model(format!(
                "model.safetensors: tensor {key} has dtype {other:?}, expected F32, F16 or BF16"
            )))
        }
    };
    let t = candle_core::Tensor::from_raw_buffer(data, dtype, shape, &candle_core::Device::Cpu)?;
    Ok(t.to_dtype(candle_core::DType::F32)?
        .flatten_all()?
        .to_vec1()?)
}

/// Every tensor of a safetensors file, as f32 under its own name (sorted by name), with the
/// file's metadata. `file` names the file in errors (a file that is not safetensors, a
/// tensor of another dtype than F32, F16 or BF16).
pub fn read_safetensors(
    bytes: &[u8],
    file: &str,
) -> Result<(Vec<NamedTensor>, HashMap<String, String>)> {
    let bad = |e: &dyn fmt::Display| Error::Model(format!("{file}: {e}"));
    let st = SafeTensors::deserialize(bytes).map_err(|e| bad(&e))?;
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| bad(&e))?;
    let mut names = st.names();
    names.sort();
    let mut tensors = Vec::with_capacity(names.len());
    for name in names {
        let view = st.tensor(name).map_err(|e| bad(&e))?;
        let data = to_f32(name, view.dtype(), view.shape(), view.data()).map_err(|e| bad(&e))?;
        tensors.push(NamedTensor {
            name: name.to_string(),
            shape: view.shape().to_vec(),
            data,
        });
    }
    Ok((tensors, meta.metadata().clone().unwrap_or_default()))
}

/// A `model.safetensors` file (f32, little-endian) of these tensors, under their names, with
/// the `{"format": "pt"}` metadata transformers writes.
pub fn to_safetensors(params: &[NamedTensor]) -> Result<Vec<u8>> {
    let bytes: Vec<Vec<u8>> = params
        .iter()
        .map(|p| p.data.iter().flat_map(|x| x.to_le_bytes()).collect())
        .collect();
    let mut views = Vec::with_capacity(params.len());
    for (p, data) in params.iter().zip(&bytes) {
        let view = TensorView::new(Dtype::F32, p.shape.clone(), data)
            .map_err(|e| Error::Model(format!("{}: {e}", p.name)))?;
        views.push((p.name.as_str(), view));
    }
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::serialize(views, Some(metadata))
        .map_err(|e| Error::Model(format!("model.safetensors: {e}")))
}
