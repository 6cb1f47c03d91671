//! Tokenization as transformers does it: `tokenizer(sentence1, sentence2, truncation=True)`.
//!
//! Wraps `tokenizers::Tokenizer` (loaded from `tokenizer.json`) with the settings a transformers
//! fast tokenizer applies on every call: truncation to the model's maximum, longest-first for
//! pairs, and no padding. A `tokenizer.json` may carry its own truncation and padding (the
//! all-MiniLM-L6-v2 one truncates to 128 and pads): transformers overrides both, and so do we.
//! Padding is the collator's job (`collate`), per batch.

use crate::data::{Dataset, DatasetDict};
use crate::{Error, Result};
use serde::Serialize;
use serde_json::Value;
use tokenizers::{PostProcessor, TruncationDirection, TruncationParams, TruncationStrategy};

pub mod wordpiece;

/// transformers' `VERY_LARGE_INTEGER` stands for "no maximum" in `tokenizer_config.json`;
/// anything this large is not a real limit.
const NO_LIMIT: f64 = 1e20;

/// Rows between two progress reports in `encode_split` (the batch size of `Dataset.map`).
const PROGRESS_EVERY: usize = 1000;

/// One encoded row, with transformers' keys. `token_type_ids` is `None` for models that do not
/// use segments (DistilBERT), as transformers leaves the key out for them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Encoding {
    pub tokens: Vec<String>,
    pub input_ids: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type_ids: Option<Vec<u32>>,
    pub attention_mask: Vec<u32>,
}

/// A tokenized split, columnar and unpadded (the attention mask of an unpadded row is all ones,
/// so it is not stored). `labels` is empty when the split has none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TokenizedSplit {
    pub input_ids: Vec<Vec<u32>>,
    /// `None` for models without segments (DistilBERT).
    pub token_type_ids: Option<Vec<Vec<u32>>>,
    pub labels: Vec<f32>,
}

impl TokenizedSplit {
    pub fn len(&self) -> usize {
        self.input_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.input_ids.is_empty()
    }

    /// Length in tokens of the longest row (0 for an empty split).
    pub fn longest(&self) -> usize {
        self.input_ids.iter().map(Vec::len).max().unwrap_or(0)
    }
}

/// A model's tokenizer with transformers' call-time settings applied.
#[derive(Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    max_length: usize,
    token_type_ids: bool,
    pad_token_id: Option<u32>,
}

/// Not the vocabulary: thirty thousand entries help no one in a log.
impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("vocab_size", &self.vocab_size())
            .field("max_length", &self.max_length)
            .field("token_type_ids", &self.token_type_ids)
            .field("pad_token_id", &self.pad_token_id)
            .finish()
    }
}

impl Tokenizer {
    /// Load from the model's files: `tokenizer.json`, `config.json` and, when the model has one,
    /// `tokenizer_config.json`. The maximum length is `model_max_length` from
    /// `tokenizer_config.json` when given, else `max_position_embeddings` from `config.json`.
    pub fn from_model_files(
        tokenizer_json: &[u8],
        config_json: &[u8],
        tokenizer_config_json: Option<&[u8]>,
    ) -> Result<Self> {
        let config = parse_json("config.json", config_json)?;
        let tokenizer_config = tokenizer_config_json
            .map(|bytes| parse_json("tokenizer_config.json", bytes))
            .transpose()?;
        let max_length = model_max_length(&config, tokenizer_config.as_ref())?;
        // transformers picks the tokenizer class named in tokenizer_config.json, else the one
        // of the model type; the class's `model_input_names` decide whether token_type_ids
        // are returned, unless tokenizer_config.json lists them.
        let family = match tokenizer_config
            .as_ref()
            .and_then(|c| c.get("tokenizer_class")?.as_str())
        {
            Some(class) => class.trim_end_matches("Fast").trim_end_matches("Tokenizer"),
            None => config
                .get("model_type")
                .and_then(Value::as_str)
                .unwrap_or("bert"),
        };
        // `model_input_names`, when the files name them, say it outright.
        let token_type_ids = match tokenizer_config
            .as_ref()
            .and_then(|c| c.get("model_input_names")?.as_array())
        {
            Some(names) => names.iter().any(|n| n == "token_type_ids"),
            None => uses_token_type_ids(family),
        };
        let mut tokenizer = Tokenizer::new(tokenizer_json, max_length, token_type_ids)?;
        if let Some(pad) = tokenizer_config
            .as_ref()
            .and_then(|c| token_content(c.get("pad_token")?))
        {
            tokenizer.pad_token_id = Some(tokenizer.inner.token_to_id(pad).ok_or_else(|| {
                Error::Tokenizer(format!(
                    "pad_token {pad:?} of tokenizer_config.json is not in the vocabulary"
                ))
            })?);
        }
        Ok(tokenizer)
    }

    /// Load `tokenizer.json` and set truncation to `max_length` (special tokens included),
    /// longest-first, no padding. `token_type_ids`: whether encodings carry them.
    pub fn new(tokenizer_json: &[u8], max_length: usize, token_type_ids: bool) -> Result<Self> {
        let mut inner = tokenizers::Tokenizer::from_bytes(tokenizer_json)
            .map_err(|e| Error::Tokenizer(format!("tokenizer.json: {e}")))?;
        // tokenizers subtracts the special tokens from the maximum unchecked (it would panic).
        let special = inner
            .get_post_processor()
            .map_or(0, |p| p.added_tokens(true));
        if max_length <= special {
            return Err(Error::Tokenizer(format!(
                "a maximum length of {max_length} leaves no room beside a pair's {special} special tokens"
            )));
        }
        // The pad token: tokenizer.json's own padding names it; else BERT's "[PAD]".
        let pad_token_id = match inner.get_padding() {
            Some(p) => Some(p.pad_id),
            None => inner.token_to_id("[PAD]"),
        };
        inner
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| Error::Tokenizer(format!("truncation to {max_length}: {e}")))?;
        inner.with_padding(None);
        Ok(Tokenizer {
            inner,
            max_length,
            token_type_ids,
            pad_token_id,
        })
    }

    /// The maximum length of an encoding, special tokens included.
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// Whether encodings carry `token_type_ids` (false for DistilBERT).
    pub fn uses_token_type_ids(&self) -> bool {
        self.token_type_ids
    }

    /// The id the collator pads `input_ids` with.
    pub fn pad_token_id(&self) -> Result<u32> {
        self.pad_token_id
            .ok_or_else(|| Error::Tokenizer("the tokenizer has no padding token".into()))
    }

    /// Size of the vocabulary, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Encode one sentence, or a pair, with special tokens: `tokenizer(first, second,
    /// truncation=True)`.
    pub fn encode(&self, first: &str, second: Option<&str>) -> Result<Encoding> {
        let encoding = self.encode_raw(first, second)?;
        Ok(Encoding {
            tokens: encoding.get_tokens().to_vec(),
            input_ids: encoding.get_ids().to_vec(),
            token_type_ids: self
                .token_type_ids
                .then(|| encoding.get_type_ids().to_vec()),
            attention_mask: encoding.get_attention_mask().to_vec(),
        })
    }

    /// `Dataset.map(tokenize_function, batched=True)` over a whole split: `first[i]` (and
    /// `second[i]` for pairs) for every row, with `labels` carried along (empty for none).
    /// `progress(rows_done, rows_total)` is called every thousand rows and at the end.
    pub fn encode_split<S: AsRef<str>>(
        &self,
        first: &[S],
        second: Option<&[S]>,
        labels: Vec<f32>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<TokenizedSplit> {
        let total = first.len();
        if second.is_some_and(|s| s.len() != total) || !(labels.is_empty() || labels.len() == total)
        {
            return Err(Error::Invalid(format!(
                "encode_split: {total} first sentences, {} second sentences, {} labels",
                second.map_or(0, <[S]>::len),
                labels.len()
            )));
        }
        let mut split = TokenizedSplit {
            input_ids: Vec::with_capacity(total),
            token_type_ids: self.token_type_ids.then(|| Vec::with_capacity(total)),
            labels,
        };
        for (row, text) in first.iter().enumerate() {
            let pair = second.map(|s| s[row].as_ref());
            let encoding = self
                .encode_raw(text.as_ref(), pair)
                .map_err(|e| Error::Tokenizer(format!("row {row}: {e}")))?;
            split.input_ids.push(encoding.get_ids().to_vec());
            if let Some(types) = split.token_type_ids.as_mut() {
                types.push(encoding.get_type_ids().to_vec());
            }
            if (row + 1) % PROGRESS_EVERY == 0 && row + 1 < total {
                progress(row + 1, total);
            }
        }
        progress(total, total);
        Ok(split)
    }

    /// `encode_split` on the `columns` (one sentence, or a pair) of a data set split, with its
    /// labels (none for an unlabelled split).
    pub fn map_split(
        &self,
        split: &Dataset,
        columns: &[&str],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<TokenizedSplit> {
        let text = |name: &str| {
            split.text(name).ok_or_else(|| {
                Error::Invalid(format!(
                    "no text column `{name}` to tokenize (the split has {})",
                    split.text_columns().join(", ")
                ))
            })
        };
        let (first, second) = match columns {
            [first] => (text(first)?, None),
            [first, second] => (text(first)?, Some(text(second)?)),
            _ => {
                return Err(Error::Invalid(format!(
                    "tokenize one or two columns, not {columns:?}"
                )))
            }
        };
        self.encode_split(first, second, split.labels().unwrap_or_default(), progress)
    }

    /// `raw_datasets.map(tokenize_function, batched=True)`: every split of `data`, on its
    /// `text_columns`. `progress(split, rows_done, rows_total)`.
    pub fn map(
        &self,
        data: &DatasetDict,
        progress: &mut dyn FnMut(&str, usize, usize),
    ) -> Result<Vec<(String, TokenizedSplit)>> {
        let columns = text_columns(data)?;
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        let mut out = Vec::with_capacity(data.splits.len());
        for (name, split) in &data.splits {
            let tokenized = self.map_split(split, &columns, &mut |done, total| {
                progress(name, done, total)
            })?;
            out.push((name.clone(), tokenized));
        }
        Ok(out)
    }

    fn encode_raw(&self, first: &str, second: Option<&str>) -> Result<tokenizers::Encoding> {
        let encoded = match second {
            Some(second) => self.inner.encode((first, second), true),
            None => self.inner.encode(first, true),
        };
        encoded.map_err(|e| Error::Tokenizer(e.to_string()))
    }
}

/// The columns a model reads: the GLUE task's (`sentence1`, `sentence2` for MRPC), else the
/// first one or two string columns of the first split.
pub fn text_columns(data: &DatasetDict) -> Result<Vec<String>> {
    if let Some(task) = data.glue_task() {
        return Ok(task.text_columns.iter().map(|c| c.to_string()).collect());
    }
    let split = data.splits.first().map(|(_, s)| s);
    let columns: Vec<String> = split
        .map_or(vec![], |s| s.text_columns())
        .into_iter()
        .take(2)
        .map(String::from)
        .collect();
    if columns.is_empty() {
        return Err(Error::Invalid(
            "the data set has no text column to tokenize".into(),
        ));
    }
    Ok(columns)
}

/// Whether the tokenizer of a model type (`distilbert`) or tokenizer class (`DistilBert`)
/// returns `token_type_ids` (its `model_input_names` in transformers): the models pretrained
/// without segment embeddings do not.
pub fn uses_token_type_ids(family: &str) -> bool {
    let family = family.to_ascii_lowercase().replace(['-', '_'], "");
    !matches!(
        family.as_str(),
        "distilbert" | "roberta" | "xlmroberta" | "camembert"
    )
}

/// `model_max_length` from `tokenizer_config.json` when it is a real limit, else
/// `max_position_embeddings` from `config.json`.
fn model_max_length(config: &Value, tokenizer_config: Option<&Value>) -> Result<usize> {
    let from_tokenizer = tokenizer_config
        .and_then(|c| c.get("model_max_length")?.as_f64())
        .filter(|&n| n >= 1.0 && n < NO_LIMIT);
    if let Some(n) = from_tokenizer {
        return Ok(n as usize);
    }
    config
        .get("max_position_embeddings")
        .and_then(Value::as_u64)
        .map(|n| n as usize)
        .ok_or_else(|| {
            Error::Tokenizer(
                "no maximum length: config.json has no max_position_embeddings and \
                 tokenizer_config.json no model_max_length"
                    .into(),
            )
        })
}

/// A special token in `tokenizer_config.json`: a string, or an `AddedToken` object.
pub(crate) fn token_content(value: &Value) -> Option<&str> {
    value.as_str().or_else(|| value.get("content")?.as_str())
}

fn parse_json(file: &str, bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| Error::Tokenizer(format!("{file}: {e}")))
}

#[cfg(test)]
mod tests;
