//! `config.json` of the BERT family (BERT, MiniLM, BERT-Tiny/Mini/Small) and DistilBERT,
//! normalised to one struct (DistilBERT's `dim`, `n_layers`, ... map onto BERT's names).

use serde::{Deserialize, Serialize};

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
}
