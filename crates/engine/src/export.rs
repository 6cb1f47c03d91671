//! Export a trained model in `save_pretrained` layout, so Python's
//! `AutoModelForSequenceClassification.from_pretrained(folder)` and `AutoTokenizer` load it as
//! it is: `config.json`, `model.safetensors` (transformers' tensor names), `tokenizer.json`,
//! `tokenizer_config.json`.
//!
//! The files come back as `(name, bytes)`: the browser zips or downloads them, the CLI writes
//! them to `--output-dir` (`write_files`).

use crate::backend::NamedTensor;
use crate::hub::ModelFiles;
use crate::model::{ModelConfig, ModelType};
use crate::tokenize::Tokenizer;
use crate::{Error, Result};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// One exported file: its name in the folder and its content.
pub type ExportFile = (String, Vec<u8>);

/// What a `save_pretrained` folder is made of.
pub struct ExportInputs<'a> {
    pub config: &'a ModelConfig,
    /// The checkpoint's own `config.json`, when there is one: its fields are kept (e.g.
    /// `hidden_act`, `_name_or_path`) and only the head's fields are rewritten.
    pub base_config: Option<&'a [u8]>,
    /// Every parameter, named as transformers names them (`Backend::weights`).
    pub weights: &'a [NamedTensor],
    /// The tokenizer (`tokenizer.json`), copied as it is.
    pub tokenizer_json: Option<&'a [u8]>,
    /// The checkpoint's `tokenizer_config.json`, when there is one; else one is written.
    pub tokenizer_config: Option<&'a [u8]>,
    /// Longest input the tokenizer should produce (`model_max_length`).
    pub model_max_length: usize,
}

impl<'a> ExportInputs<'a> {
    /// The trained `weights` of a model loaded from `files`: its config.json, tokenizer and
    /// tokenizer_config are carried over.
    pub fn from_checkpoint(
        config: &'a ModelConfig,
        weights: &'a [NamedTensor],
        files: &'a ModelFiles,
        tokenizer: &Tokenizer,
    ) -> Self {
        ExportInputs {
            config,
            base_config: Some(files.config_json.as_bytes()),
            weights,
            tokenizer_json: Some(files.tokenizer_json.as_bytes()),
            tokenizer_config: files.tokenizer_config_json.as_deref().map(str::as_bytes),
            model_max_length: tokenizer.max_length(),
        }
    }
}

/// All files of the folder, in a fixed order.
pub fn save_pretrained(inputs: &ExportInputs) -> Result<Vec<ExportFile>> {
    let base = match inputs.base_config {
        Some(bytes) => Some(
            serde_json::from_slice::<Value>(bytes)
                .map_err(|e| Error::Model(format!("config.json: {e}")))?,
        ),
        None => None,
    };
    let config = config_json(inputs.config, base.as_ref())?;
    let mut files = vec![
        ("config.json".to_string(), pretty(&config)?),
        (
            "model.safetensors".to_string(),
            safetensors_bytes(inputs.weights)?,
        ),
    ];
    if let Some(tokenizer) = inputs.tokenizer_json {
        let tok_config = tokenizer_config_json(
            inputs.config.model_type,
            tokenizer,
            inputs.tokenizer_config,
            inputs.model_max_length,
        )?;
        files.push(("tokenizer.json".to_string(), tokenizer.to_vec()));
        files.push(("tokenizer_config.json".to_string(), pretty(&tok_config)?));
    }
    Ok(files)
}

/// JSON as transformers writes it: indented, with a final newline.
pub(crate) fn pretty(value: &Value) -> Result<Vec<u8>> {
    let mut bytes =
        serde_json::to_vec_pretty(value).map_err(|e| Error::Invalid(format!("json: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// `config.json` for the sequence classifier: the base config (or one built from `config`)
/// with `architectures`, `id2label`, `label2id` and `problem_type` set from the trained head.
/// transformers derives `num_labels` from `id2label`.
pub fn config_json(config: &ModelConfig, base: Option<&Value>) -> Result<Value> {
    let mut out: Map<String, Value> = match base {
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(Error::Model("config.json: not a JSON object".into())),
        None => model_fields(config),
    };
    let (architecture, model_type) = match config.model_type {
        ModelType::Bert => ("BertForSequenceClassification", "bert"),
        ModelType::DistilBert => ("DistilBertForSequenceClassification", "distilbert"),
    };
    let names = label_names(config);
    let id2label: Map<String, Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (i.to_string(), json!(n)))
        .collect();
    let label2id: Map<String, Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), json!(i)))
        .collect();
    // transformers takes num_labels from id2label; a stale count would contradict it.
    out.remove("num_labels");
    out.remove("_num_labels");
    out.insert("architectures".into(), json!([architecture]));
    out.insert("model_type".into(), json!(model_type));
    out.insert("id2label".into(), Value::Object(id2label));
    out.insert("label2id".into(), Value::Object(label2id));
    let problem = if config.num_labels == 1 {
        "regression"
    } else {
        "single_label_classification"
    };
    out.insert("problem_type".into(), json!(problem));
    out.insert("torch_dtype".into(), json!("float32"));
    Ok(Value::Object(out))
}

/// `id2label` names, `LABEL_i` where the config has none (as transformers names them).
fn label_names(config: &ModelConfig) -> Vec<String> {
    (0..config.num_labels)
        .map(|i| {
            config
                .id2label
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("LABEL_{i}"))
        })
        .collect()
}

/// The architecture fields transformers needs to rebuild the model, in its own names.
fn model_fields(c: &ModelConfig) -> Map<String, Value> {
    let fields = match c.model_type {
        ModelType::Bert => json!({
            "vocab_size": c.vocab_size,
            "hidden_size": c.hidden_size,
            "num_hidden_layers": c.num_hidden_layers,
            "num_attention_heads": c.num_attention_heads,
            "intermediate_size": c.intermediate_size,
            "hidden_act": "gelu",
            "hidden_dropout_prob": c.hidden_dropout_prob,
            "attention_probs_dropout_prob": c.attention_probs_dropout_prob,
            "classifier_dropout": c.classifier_dropout,
            "max_position_embeddings": c.max_position_embeddings,
            "type_vocab_size": c.type_vocab_size,
            "initializer_range": c.initializer_range,
            "layer_norm_eps": c.layer_norm_eps,
            "pad_token_id": c.pad_token_id,
            "position_embedding_type": "absolute",
            "use_cache": true,
        }),
        ModelType::DistilBert => json!({
            "vocab_size": c.vocab_size,
            "dim": c.hidden_size,
            "n_layers": c.num_hidden_layers,
            "n_heads": c.num_attention_heads,
            "hidden_dim": c.intermediate_size,
            "activation": "gelu",
            "dropout": c.hidden_dropout_prob,
            "attention_dropout": c.attention_probs_dropout_prob,
            "seq_classif_dropout": c.classifier_dropout,
            "qa_dropout": 0.1,
            "max_position_embeddings": c.max_position_embeddings,
            "sinusoidal_pos_embds": false,
            "tie_weights_": true,
            "initializer_range": c.initializer_range,
            "pad_token_id": c.pad_token_id,
        }),
    };
    match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `model.safetensors` bytes: f32 tensors under their names, with `{"format": "pt"}` metadata
/// (transformers refuses safetensors files without a known format).
pub fn safetensors_bytes(weights: &[NamedTensor]) -> Result<Vec<u8>> {
    let named: Vec<(String, &NamedTensor)> = weights.iter().map(|t| (t.name.clone(), t)).collect();
    safetensors_file(&named, HashMap::new(), "model.safetensors")
}

/// A safetensors file of f32 `tensors` under the names given (not necessarily their own, e.g.
/// the optimizer's `{name}.exp_avg`), with `metadata` besides `{"format": "pt"}`. `file` names
/// the file in errors.
pub fn safetensors_file(
    tensors: &[(String, &NamedTensor)],
    mut metadata: HashMap<String, String>,
    file: &str,
) -> Result<Vec<u8>> {
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, t)| t.data.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    let mut views = Vec::with_capacity(tensors.len());
    for ((name, t), data) in tensors.iter().zip(&bytes) {
        let view =
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, t.shape.clone(), data)
                .map_err(|e| Error::Model(format!("{name}: {e}")))?;
        views.push((name.clone(), view));
    }
    metadata.insert("format".to_string(), "pt".to_string());
    safetensors::tensor::serialize(views, Some(metadata))
        .map_err(|e| Error::Model(format!("{file}: {e}")))
}

/// `tokenizer_config.json`: the checkpoint's own when there is one, else a fast BERT
/// tokenizer's (DistilBERT uses the same WordPiece vocabulary and special tokens).
/// `model_max_length` is set either way; `do_lower_case` follows the tokenizer's normalizer.
pub fn tokenizer_config_json(
    model_type: ModelType,
    tokenizer_json: &[u8],
    base: Option<&[u8]>,
    model_max_length: usize,
) -> Result<Value> {
    let mut out = match base {
        Some(bytes) => match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => map,
            Ok(_) | Err(_) => {
                return Err(Error::Tokenizer(
                    "tokenizer_config.json: not a JSON object".into(),
                ))
            }
        },
        None => Map::new(),
    };
    let tokenizer: Value = serde_json::from_slice(tokenizer_json)
        .map_err(|e| Error::Tokenizer(format!("tokenizer.json: {e}")))?;
    let lowercase = tokenizer
        .pointer("/normalizer/lowercase")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let class = match model_type {
        ModelType::Bert => "BertTokenizer",
        ModelType::DistilBert => "DistilBertTokenizer",
    };
    let defaults = json!({
        "tokenizer_class": class,
        "do_lower_case": lowercase,
        "cls_token": "[CLS]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "mask_token": "[MASK]",
        "unk_token": "[UNK]",
        "tokenize_chinese_chars": true,
        "strip_accents": null,
        "clean_up_tokenization_spaces": true,
    });
    if let Value::Object(defaults) = defaults {
        for (k, v) in defaults {
            out.entry(k).or_insert(v);
        }
    }
    out.insert("model_max_length".into(), json!(model_max_length));
    Ok(Value::Object(out))
}

/// Write exported files into `dir` (created if needed). Native only: the browser downloads.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_files(dir: &std::path::Path, files: &[ExportFile]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| Error::io(path.display(), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_config(model_type: ModelType, labels: &[&str]) -> ModelConfig {
        ModelConfig {
            model_type,
            vocab_size: 30,
            hidden_size: 8,
            num_hidden_layers: 2,
            num_attention_heads: 2,
            intermediate_size: 16,
            max_position_embeddings: 64,
            type_vocab_size: if model_type == ModelType::Bert { 2 } else { 0 },
            layer_norm_eps: 1e-12,
            hidden_dropout_prob: 0.1,
            attention_probs_dropout_prob: 0.1,
            classifier_dropout: 0.1,
            initializer_range: 0.02,
            pad_token_id: 0,
            num_labels: labels.len(),
            id2label: labels.iter().map(|s| s.to_string()).collect(),
            label_notes: Vec::new(),
        }
    }

    #[test]
    fn config_has_the_head_fields_transformers_reads() {
        let c = tiny_config(ModelType::Bert, &["not_equivalent", "equivalent"]);
        let v = config_json(&c, None).unwrap();
        assert_eq!(v["architectures"], json!(["BertForSequenceClassification"]));
        assert_eq!(
            v["id2label"],
            json!({"0": "not_equivalent", "1": "equivalent"})
        );
        assert_eq!(v["label2id"], json!({"not_equivalent": 0, "equivalent": 1}));
        assert_eq!(v["problem_type"], "single_label_classification");
        assert_eq!(
            (v["hidden_size"].as_u64(), v["model_type"].as_str()),
            (Some(8), Some("bert"))
        );

        let c = tiny_config(ModelType::DistilBert, &["score"]);
        let v = config_json(&c, None).unwrap();
        assert_eq!(
            v["architectures"],
            json!(["DistilBertForSequenceClassification"])
        );
        assert_eq!(
            (v["dim"].as_u64(), v["n_layers"].as_u64()),
            (Some(8), Some(2))
        );
        assert_eq!(v["problem_type"], "regression");

        // A base config keeps its own fields; the head's are rewritten.
        let base = json!({"hidden_act": "gelu_new", "id2label": {"0": "A"}, "vocab_size": 30});
        let c = tiny_config(ModelType::Bert, &[]);
        let v = config_json(&c, Some(&base)).unwrap();
        assert_eq!(v["hidden_act"], "gelu_new");
        assert_eq!(v["id2label"], json!({}));
        assert!(config_json(&c, Some(&json!([1]))).is_err());
    }

    #[test]
    fn safetensors_round_trip_with_pt_metadata() {
        let weights = vec![
            NamedTensor {
                name: "classifier.weight".into(),
                shape: vec![2, 3],
                data: vec![1.0, -2.0, 3.5, 0.0, 1e-8, 7.0],
            },
            NamedTensor {
                name: "classifier.bias".into(),
                shape: vec![2],
                data: vec![0.25, -0.5],
            },
        ];
        let bytes = safetensors_bytes(&weights).unwrap();
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        assert_eq!(meta.metadata().as_ref().unwrap()["format"], "pt");
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        for w in &weights {
            let view = st.tensor(&w.name).unwrap();
            assert_eq!(view.shape(), w.shape.as_slice());
            let data: Vec<f32> = view
                .data()
                .chunks(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            assert_eq!(data, w.data);
        }
        let bad = [NamedTensor {
            name: "x".into(),
            shape: vec![3],
            data: vec![1.0],
        }];
        assert!(safetensors_bytes(&bad)
            .unwrap_err()
            .to_string()
            .contains('x'));
    }

    #[test]
    fn tokenizer_config_follows_the_normalizer() {
        let tok = br#"{"normalizer": {"type": "BertNormalizer", "lowercase": false}}"#;
        let v = tokenizer_config_json(ModelType::Bert, tok, None, 512).unwrap();
        assert_eq!(
            (v["do_lower_case"].as_bool(), v["model_max_length"].as_u64()),
            (Some(false), Some(512))
        );
        let base = br#"{"do_lower_case": true, "model_max_length": 1000000}"#;
        let v = tokenizer_config_json(ModelType::Bert, tok, Some(base), 256).unwrap();
        assert_eq!(
            (v["do_lower_case"].as_bool(), v["model_max_length"].as_u64()),
            (Some(true), Some(256))
        );
        assert!(tokenizer_config_json(ModelType::Bert, b"nope", None, 512).is_err());
    }

    #[test]
    fn save_pretrained_lists_the_folder() {
        let c = tiny_config(ModelType::Bert, &["a", "b"]);
        let w = [NamedTensor {
            name: "classifier.bias".into(),
            shape: vec![2],
            data: vec![0.0, 1.0],
        }];
        let tok = br#"{"normalizer": {"lowercase": true}}"#;
        let inputs = ExportInputs {
            config: &c,
            base_config: None,
            weights: &w,
            tokenizer_json: Some(tok),
            tokenizer_config: None,
            model_max_length: 512,
        };
        let names: Vec<String> = save_pretrained(&inputs)
            .unwrap()
            .into_iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(
            names,
            [
                "config.json",
                "model.safetensors",
                "tokenizer.json",
                "tokenizer_config.json"
            ]
        );
    }
}
