//! `DataCollatorWithPadding`: pad each batch to its own longest row, and the train sampler.
//! (Owner: data-pipeline work. `Batch` is a shared contract: backends and the UI use it.)

use serde::{Deserialize, Serialize};

/// One padded batch, row-major `[batch_size, seq_len]`, plain integers the UI can draw and a
/// backend can upload. `token_type_ids` is all zeros for models without segments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub batch_size: usize,
    pub seq_len: usize,
    pub input_ids: Vec<u32>,
    pub token_type_ids: Vec<u32>,
    pub attention_mask: Vec<u32>,
    /// Class ids as f32 (classification) or targets (regression, `num_labels == 1`); empty when
    /// the rows have no labels (the test split, a user's own pair).
    pub labels: Vec<f32>,
}
