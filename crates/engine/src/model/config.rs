//! `config.json` of the BERT family (BERT, MiniLM, BERT-Tiny/Mini/Small) and DistilBERT,
//! normalised to one struct (DistilBERT's `dim`, `n_layers`, ... map onto BERT's names).
//!
//! Missing fields take transformers' defaults (`BertConfig`, `DistilBertConfig`); a field of
//! the wrong type is an `Error::Model` that names it. Features Wick does not implement
//! (sinusoidal or relative positions, activations other than the erf GELU) are errors too,
//! rather than silently computing something else.

use super::labels;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModelType {
    Bert,
    DistilBert,
}

/// A normalised model config. `num_labels == 1` means regression (MSE loss).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub model_type: ModelType,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    /// 0 for DistilBERT (no segment embeddings).
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
    pub hidden_dropout_prob: f64,
    pub attention_probs_dropout_prob: f64,
    /// Dropout before the classifier (`classifier_dropout`, else hidden / `seq_classif_dropout`).
    pub classifier_dropout: f64,
    pub initializer_range: f64,
    pub pad_token_id: u32,
    pub num_labels: usize,
    /// Label names in id order (`id2label`).
    pub id2label: Vec<String>,
    /// What was decided about conflicting labels (config.json's `num_labels`, `id2label` and
    /// `label2id`, then the data set's), one sentence each, for the load report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub label_notes: Vec<String>,
}

impl ModelConfig {
    /// Parse a `config.json`. `source` names the file in errors (a path or a URL).
    pub fn from_json(text: &str, source: &str) -> Result<ModelConfig> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::Model(format!("{source}: not valid JSON: {e}")))?;
        let Value::Object(obj) = value else {
            return Err(Error::Model(format!("{source}: expected a JSON object")));
        };
        let fields = Fields { obj: &obj, source };
        let model_type = match obj.get("model_type").and_then(Value::as_str) {
            Some("bert") => ModelType::Bert,
            Some("distilbert") => ModelType::DistilBert,
            Some(other) => {
                return Err(Error::Model(format!(
                    "{source}: model_type \"{other}\" is not supported (bert or distilbert)"
                )))
            }
            // Old configs have no model_type: DistilBERT is recognised by its own field names.
            None if obj.contains_key("n_layers") || obj.contains_key("dim") => {
                ModelType::DistilBert
            }
            None => ModelType::Bert,
        };
        let mut config = match model_type {
            ModelType::Bert => bert(&fields)?,
            ModelType::DistilBert => distilbert(&fields)?,
        };
        let (num_labels, id2label, notes) = labels::from_config(&fields)?;
        config.num_labels = num_labels;
        config.id2label = id2label;
        config.label_notes = notes;
        config.validate(source)?;
        Ok(config)
    }

    /// Set the labels from the task (MRPC: 2, MNLI: 3, STS-B: 1 = regression). Without names,
    /// labels are called `LABEL_0`, `LABEL_1`, ... as transformers does. The data set wins over
    /// the checkpoint's own labels (as `from_pretrained(checkpoint, num_labels=n)` does): where
    /// config.json named others, `label_notes` says so. Errors: 0 labels, or names of another
    /// count.
    pub fn with_labels(mut self, num_labels: usize, id2label: Option<Vec<String>>) -> Result<Self> {
        if num_labels == 0 {
            return Err(Error::Invalid("num_labels must be at least 1".into()));
        }
        let names = match id2label {
            Some(names) if names.len() != num_labels => {
                return Err(Error::Invalid(format!(
                    "id2label has {} names for num_labels = {num_labels}",
                    names.len()
                )))
            }
            Some(names) => names,
            None => labels::default_labels(num_labels),
        };
        if let Some(note) = labels::dataset_note(&self.id2label, &names) {
            self.label_notes.push(note);
        }
        self.num_labels = num_labels;
        self.id2label = names;
        Ok(self)
    }

    /// Size of one attention head.
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }

    fn validate(&self, source: &str) -> Result<()> {
        let positive = [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("num_hidden_layers", self.num_hidden_layers),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("max_position_embeddings", self.max_position_embeddings),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(Error::Model(format!("{source}: {name} must be positive")));
            }
        }
        if self.model_type == ModelType::Bert && self.type_vocab_size == 0 {
            return Err(Error::Model(format!(
                "{source}: type_vocab_size must be positive"
            )));
        }
        if self.hidden_size % self.num_attention_heads != 0 {
            return Err(Error::Model(format!(
                "{source}: hidden size {} is not a multiple of the number of attention heads {}",
                self.hidden_size, self.num_attention_heads
            )));
        }
        for (name, p) in [
            ("hidden dropout", self.hidden_dropout_prob),
            ("attention dropout", self.attention_probs_dropout_prob),
            ("classifier dropout", self.classifier_dropout),
        ] {
            if !(0.0..1.0).contains(&p) {
                return Err(Error::Model(format!(
                    "{source}: {name} {p} is not in [0, 1)"
                )));
            }
        }
        Ok(())
    }
}

/// BertConfig's fields and defaults.
fn bert(f: &Fields) -> Result<ModelConfig> {
    let act = f.string("hidden_act", "gelu")?;
    if act != "gelu" {
        return Err(f.unsupported("hidden_act", &act, "gelu (erf form)"));
    }
    let pos = f.string("position_embedding_type", "absolute")?;
    if pos != "absolute" {
        return Err(f.unsupported("position_embedding_type", &pos, "absolute"));
    }
    let hidden_dropout_prob = f.float("hidden_dropout_prob", 0.1)?;
    Ok(ModelConfig {
        model_type: ModelType::Bert,
        vocab_size: f.uint("vocab_size", 30522)?,
        hidden_size: f.uint("hidden_size", 768)?,
        num_hidden_layers: f.uint("num_hidden_layers", 12)?,
        num_attention_heads: f.uint("num_attention_heads", 12)?,
        intermediate_size: f.uint("intermediate_size", 3072)?,
        max_position_embeddings: f.uint("max_position_embeddings", 512)?,
        type_vocab_size: f.uint("type_vocab_size", 2)?,
        layer_norm_eps: f.float("layer_norm_eps", 1e-12)?,
        hidden_dropout_prob,
        attention_probs_dropout_prob: f.float("attention_probs_dropout_prob", 0.1)?,
        // `classifier_dropout: null` (the default) means "use the hidden dropout".
        classifier_dropout: f.float("classifier_dropout", hidden_dropout_prob)?,
        initializer_range: f.float("initializer_range", 0.02)?,
        pad_token_id: f.uint("pad_token_id", 0)? as u32,
        num_labels: 0,
        id2label: Vec::new(),
        label_notes: Vec::new(),
    })
}

/// DistilBertConfig's fields and defaults, under BERT's names.
fn distilbert(f: &Fields) -> Result<ModelConfig> {
    if f.bool("sinusoidal_pos_embds", false)? {
        return Err(f.unsupported("sinusoidal_pos_embds", "true", "false (learned positions)"));
    }
    let act = f.string("activation", "gelu")?;
    if act != "gelu" {
        return Err(f.unsupported("activation", &act, "gelu (erf form)"));
    }
    Ok(ModelConfig {
        model_type: ModelType::DistilBert,
        vocab_size: f.uint("vocab_size", 30522)?,
        hidden_size: f.uint("dim", 768)?,
        num_hidden_layers: f.uint("n_layers", 6)?,
        num_attention_heads: f.uint("n_heads", 12)?,
        intermediate_size: f.uint("hidden_dim", 3072)?,
        max_position_embeddings: f.uint("max_position_embeddings", 512)?,
        type_vocab_size: 0,
        // DistilBERT's LayerNorms are built with a fixed eps of 1e-12.
        layer_norm_eps: 1e-12,
        hidden_dropout_prob: f.float("dropout", 0.1)?,
        attention_probs_dropout_prob: f.float("attention_dropout", 0.1)?,
        classifier_dropout: f.float("seq_classif_dropout", 0.2)?,
        initializer_range: f.float("initializer_range", 0.02)?,
        pad_token_id: f.uint("pad_token_id", 0)? as u32,
        num_labels: 0,
        id2label: Vec::new(),
        label_notes: Vec::new(),
    })
}

/// Typed access to the fields of one config object, with the errors naming the field.
pub(super) struct Fields<'a> {
    pub obj: &'a Map<String, Value>,
    pub source: &'a str,
}

impl Fields<'_> {
    /// The value of `name`, or `None` when absent or `null` (transformers' "unset").
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.obj.get(name).filter(|v| !v.is_null())
    }

    pub fn uint(&self, name: &str, default: usize) -> Result<usize> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .as_u64()
                .map(|n| n as usize)
                .ok_or_else(|| self.wrong_type(name, "a non-negative integer")),
        }
    }

    fn float(&self, name: &str, default: f64) -> Result<f64> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.as_f64().ok_or_else(|| self.wrong_type(name, "a number")),
        }
    }

    fn bool(&self, name: &str, default: bool) -> Result<bool> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| self.wrong_type(name, "true or false")),
        }
    }

    fn string(&self, name: &str, default: &str) -> Result<String> {
        match self.get(name) {
            None => Ok(default.to_string()),
            Some(v) => v
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| self.wrong_type(name, "a string")),
        }
    }

    pub fn wrong_type(&self, name: &str, expected: &str) -> Error {
        let got = self.obj.get(name).map(Value::to_string).unwrap_or_default();
        Error::Model(format!(
            "{}: field {name} must be {expected}, got {got}",
            self.source
        ))
    }

    fn unsupported(&self, name: &str, value: &str, supported: &str) -> Error {
        Error::Model(format!(
            "{}: {name} = {value} is not supported (Wick implements {supported})",
            self.source
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minilm_config() {
        let json = r#"{"_name_or_path": "nreimers/MiniLM-L6-H384-uncased",
            "architectures": ["BertModel"], "attention_probs_dropout_prob": 0.1,
            "gradient_checkpointing": false, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
            "hidden_size": 384, "initializer_range": 0.02, "intermediate_size": 1536,
            "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert",
            "num_attention_heads": 12, "num_hidden_layers": 6, "pad_token_id": 0,
            "position_embedding_type": "absolute", "transformers_version": "4.8.2",
            "type_vocab_size": 2, "use_cache": true, "vocab_size": 30522}"#;
        let c = ModelConfig::from_json(json, "config.json").unwrap();
        assert_eq!(c.model_type, ModelType::Bert);
        assert_eq!(
            (c.hidden_size, c.num_hidden_layers, c.num_attention_heads),
            (384, 6, 12)
        );
        assert_eq!((c.intermediate_size, c.head_dim()), (1536, 32));
        assert_eq!(c.classifier_dropout, 0.1);
        assert_eq!(c.num_labels, 2);
        assert_eq!(c.id2label, vec!["LABEL_0", "LABEL_1"]);
    }

    #[test]
    fn missing_fields_take_transformers_defaults() {
        let c = ModelConfig::from_json(r#"{"model_type": "bert"}"#, "c").unwrap();
        assert_eq!(
            (c.vocab_size, c.hidden_size, c.num_hidden_layers),
            (30522, 768, 12)
        );
        assert_eq!(
            (c.type_vocab_size, c.layer_norm_eps, c.initializer_range),
            (2, 1e-12, 0.02)
        );
        let d = ModelConfig::from_json(r#"{"model_type": "distilbert"}"#, "c").unwrap();
        assert_eq!(d.model_type, ModelType::DistilBert);
        assert_eq!(
            (d.hidden_size, d.num_hidden_layers, d.intermediate_size),
            (768, 6, 3072)
        );
        assert_eq!((d.type_vocab_size, d.classifier_dropout), (0, 0.2));
    }

    #[test]
    fn distilbert_names_map_onto_bert_names() {
        let json = r#"{"model_type": "distilbert", "dim": 32, "n_layers": 2, "n_heads": 4,
            "hidden_dim": 37, "dropout": 0.15, "attention_dropout": 0.05,
            "seq_classif_dropout": 0.3, "sinusoidal_pos_embds": false,
            "id2label": {"1": "b", "0": "a", "2": "c"}}"#;
        let c = ModelConfig::from_json(json, "c").unwrap();
        assert_eq!(
            (c.hidden_size, c.num_hidden_layers, c.num_attention_heads),
            (32, 2, 4)
        );
        assert_eq!(c.intermediate_size, 37);
        assert_eq!(
            (
                c.hidden_dropout_prob,
                c.attention_probs_dropout_prob,
                c.classifier_dropout
            ),
            (0.15, 0.05, 0.3)
        );
        assert_eq!(
            (c.num_labels, c.id2label.clone()),
            (3, vec!["a".into(), "b".into(), "c".into()])
        );
    }

    #[test]
    fn errors_name_the_field() {
        let err = |json: &str| {
            ModelConfig::from_json(json, "cfg.json")
                .unwrap_err()
                .to_string()
        };
        assert!(err(r#"{"hidden_size": "big"}"#).contains("hidden_size"));
        assert!(err(r#"{"hidden_dropout_prob": [1]}"#).contains("hidden_dropout_prob"));
        assert!(
            err(r#"{"model_type": "distilbert", "sinusoidal_pos_embds": true}"#)
                .contains("sinusoidal_pos_embds")
        );
        assert!(err(r#"{"model_type": "gpt2"}"#).contains("gpt2"));
        assert!(err(r#"{"hidden_act": "relu"}"#).contains("hidden_act"));
        assert!(err(r#"{"hidden_size": 100, "num_attention_heads": 12}"#).contains("multiple"));
        assert!(err("[1]").contains("cfg.json"));
        assert!(err(r#"{"id2label": {"0": "a", "2": "c"}}"#).contains("id2label"));
    }

    #[test]
    fn labels_from_the_task() {
        let c = ModelConfig::from_json("{}", "c").unwrap();
        let c = c.with_labels(1, None).unwrap();
        assert_eq!(
            (c.num_labels, c.id2label.clone()),
            (1, vec!["LABEL_0".to_string()])
        );
        let names = vec!["not_equivalent".to_string(), "equivalent".to_string()];
        let c = c.with_labels(2, Some(names.clone())).unwrap();
        assert_eq!(c.id2label, names);
        assert!(c.clone().with_labels(3, Some(names)).is_err());
        assert!(c.with_labels(0, None).is_err());
    }
}
