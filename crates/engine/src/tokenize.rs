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
        // of the model type; the class decides whether token_type_ids are returned.
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
        let mut tokenizer =
            Tokenizer::new(tokenizer_json, max_length, uses_token_type_ids(family))?;
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
fn token_content(value: &Value) -> Option<&str> {
    value.as_str().or_else(|| value.get("content")?.as_str())
}

fn parse_json(file: &str, bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| Error::Tokenizer(format!("{file}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny WordPiece tokenizer.json in the shape of BERT's, carrying its own truncation (5)
    /// and fixed padding (16) as all-MiniLM-L6-v2's does: neither may leak into encodings.
    const TINY: &str = r###"{
      "version": "1.0",
      "truncation": {"direction": "Right", "max_length": 5, "strategy": "LongestFirst", "stride": 0},
      "padding": {"strategy": {"Fixed": 16}, "direction": "Right", "pad_to_multiple_of": null,
                  "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
      "added_tokens": [],
      "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                     "strip_accents": null, "lowercase": true},
      "pre_tokenizer": {"type": "BertPreTokenizer"},
      "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
      "decoder": null,
      "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                "max_input_chars_per_word": 100,
                "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "the": 4, "cat": 5,
                          "sat": 6, "on": 7, "mat": 8, "a": 9, "dog": 10, "##s": 11}}
    }"###;

    fn tiny(max_length: usize, token_type_ids: bool) -> Tokenizer {
        Tokenizer::new(TINY.as_bytes(), max_length, token_type_ids).unwrap()
    }

    #[test]
    fn pair_encoding_has_segments_and_ignores_the_files_truncation_and_padding() {
        let e = tiny(512, true)
            .encode("The cat sat on the mat", Some("Dogs"))
            .unwrap();
        assert_eq!(
            e.tokens,
            ["[CLS]", "the", "cat", "sat", "on", "the", "mat", "[SEP]", "dog", "##s", "[SEP]"]
        );
        assert_eq!(e.input_ids, [2, 4, 5, 6, 7, 4, 8, 3, 10, 11, 3]);
        assert_eq!(e.token_type_ids.unwrap(), [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
        assert_eq!(e.attention_mask, [1; 11]);
    }

    #[test]
    fn pairs_are_truncated_longest_first_to_the_maximum() {
        let t = tiny(8, true);
        let e = t.encode("the cat sat on the mat", Some("a dog")).unwrap();
        assert_eq!(e.input_ids, [2, 4, 5, 6, 3, 9, 10, 3]);
        let e = t.encode("a dog", Some("the cat sat on the mat")).unwrap();
        assert_eq!(e.input_ids, [2, 9, 10, 3, 4, 5, 6, 3]);
        let e = t.encode("the cat sat on the mat the cat", None).unwrap();
        assert_eq!(e.input_ids, [2, 4, 5, 6, 7, 4, 8, 3]);
        assert_eq!(t.max_length(), 8);
    }

    #[test]
    fn distilbert_encodings_have_no_token_type_ids() {
        let config = br#"{"model_type": "distilbert", "max_position_embeddings": 512}"#;
        let t = Tokenizer::from_model_files(TINY.as_bytes(), config, None).unwrap();
        assert!(!t.uses_token_type_ids());
        let e = t.encode("the cat", Some("a dog")).unwrap();
        assert_eq!(e.token_type_ids, None);
        let json = serde_json::to_value(&e).unwrap();
        assert!(json.get("token_type_ids").is_none(), "{json}");
        let split = t
            .encode_split(&["a"], Some(&["dog"]), vec![], &mut |_, _| {})
            .unwrap();
        assert_eq!(split.token_type_ids, None);
    }

    #[test]
    fn the_tokenizer_class_decides_token_type_ids_before_the_model_type() {
        let distilbert = br#"{"model_type": "distilbert", "max_position_embeddings": 512}"#;
        let bert = br#"{"model_type": "bert", "max_position_embeddings": 512}"#;
        let with = |config: &[u8], tc: &[u8]| {
            Tokenizer::from_model_files(TINY.as_bytes(), config, Some(tc))
                .unwrap()
                .uses_token_type_ids()
        };
        assert!(with(distilbert, br#"{"tokenizer_class": "BertTokenizer"}"#));
        assert!(!with(
            bert,
            br#"{"tokenizer_class": "DistilBertTokenizerFast"}"#
        ));
        assert!(!with(
            bert,
            br#"{"tokenizer_class": "XLMRobertaTokenizer"}"#
        ));
        assert!(!with(distilbert, br#"{"model_max_length": 512}"#));
        assert!(uses_token_type_ids("bert") && !uses_token_type_ids("xlm-roberta"));
    }

    #[test]
    fn max_length_comes_from_tokenizer_config_else_config() {
        let config = br#"{"model_type": "bert", "max_position_embeddings": 9}"#;
        let from = |tc: Option<&[u8]>| Tokenizer::from_model_files(TINY.as_bytes(), config, tc);
        assert_eq!(from(None).unwrap().max_length(), 9);
        assert_eq!(
            from(Some(br#"{"model_max_length": 6}"#))
                .unwrap()
                .max_length(),
            6
        );
        // transformers' VERY_LARGE_INTEGER means "no limit": fall back to the positions.
        let huge = br#"{"model_max_length": 1000000000000000019884624838656}"#;
        assert_eq!(from(Some(huge)).unwrap().max_length(), 9);
        let no_max =
            Tokenizer::from_model_files(TINY.as_bytes(), br#"{"model_type": "bert"}"#, None);
        assert!(
            matches!(no_max, Err(Error::Tokenizer(m)) if m.contains("max_position_embeddings"))
        );
    }

    #[test]
    fn pad_token_comes_from_tokenizer_config_else_the_file() {
        assert_eq!(tiny(512, true).pad_token_id().unwrap(), 0);
        let config = br#"{"max_position_embeddings": 512}"#;
        let tc = br#"{"pad_token": {"content": "[SEP]", "lstrip": false}}"#;
        let t = Tokenizer::from_model_files(TINY.as_bytes(), config, Some(tc)).unwrap();
        assert_eq!(t.pad_token_id().unwrap(), 3);
        let bad = Tokenizer::from_model_files(
            TINY.as_bytes(),
            config,
            Some(br#"{"pad_token": "<pad>"}"#),
        );
        assert!(matches!(bad, Err(Error::Tokenizer(m)) if m.contains("<pad>")));
    }

    #[test]
    fn encode_split_matches_encode_and_reports_progress() {
        let t = tiny(512, true);
        let first: Vec<String> = (0..2500)
            .map(|i| ["the cat", "a dog sat"][i % 2].to_string())
            .collect();
        let second: Vec<String> = (0..2500)
            .map(|i| ["on the mat", "dogs"][i % 3 % 2].to_string())
            .collect();
        let labels: Vec<f32> = (0..2500).map(|i| (i % 2) as f32).collect();
        let mut reports = vec![];
        let split = t
            .encode_split(&first, Some(&second), labels.clone(), &mut |done, total| {
                reports.push((done, total))
            })
            .unwrap();
        assert_eq!(reports, [(1000, 2500), (2000, 2500), (2500, 2500)]);
        assert_eq!((split.len(), split.labels.clone()), (2500, labels));
        for row in [0, 1, 2, 1999] {
            let e = t.encode(&first[row], Some(&second[row])).unwrap();
            assert_eq!(split.input_ids[row], e.input_ids);
            assert_eq!(
                split.token_type_ids.as_ref().unwrap()[row],
                e.token_type_ids.unwrap()
            );
        }
        assert_eq!(
            split.longest(),
            t.encode("a dog sat", Some("on the mat"))
                .unwrap()
                .input_ids
                .len()
        );
    }

    #[test]
    fn map_tokenizes_every_split_on_its_text_columns_with_labels() {
        use crate::data::{Column, Feature, Values};
        let split = |s1: &[&str], s2: &[&str], labels: Vec<i64>| {
            let text = |v: &[&str]| Values::Text(v.iter().map(|s| s.to_string()).collect());
            let columns = vec![
                Column {
                    name: "sentence1".into(),
                    feature: Feature::value("string"),
                    values: text(s1),
                },
                Column {
                    name: "sentence2".into(),
                    feature: Feature::value("string"),
                    values: text(s2),
                },
                Column {
                    name: "label".into(),
                    feature: Feature::class_label(&["no", "yes"]),
                    values: Values::Int(labels),
                },
            ];
            Dataset::new("test", columns).unwrap()
        };
        let data = DatasetDict {
            splits: vec![
                (
                    "train".into(),
                    split(&["the cat", "a dog"], &["sat", "on the mat"], vec![1, 0]),
                ),
                ("test".into(), split(&["the mat"], &["dogs"], vec![-1])),
            ],
            task: None,
        };
        assert_eq!(text_columns(&data).unwrap(), ["sentence1", "sentence2"]);
        let t = tiny(512, true);
        let mut seen = vec![];
        let mapped = t
            .map(&data, &mut |name, done, total| {
                seen.push((name.to_string(), done, total))
            })
            .unwrap();
        assert_eq!(
            seen,
            [("train".to_string(), 2, 2), ("test".to_string(), 1, 1)]
        );
        let (name, train) = &mapped[0];
        assert_eq!(
            (name.as_str(), &train.labels[..]),
            ("train", &[1.0, 0.0][..])
        );
        assert_eq!(
            train.input_ids[1],
            t.encode("a dog", Some("on the mat")).unwrap().input_ids
        );
        assert!(
            mapped[1].1.labels.is_empty(),
            "an unlabelled split has no labels"
        );
        let err = t
            .map_split(&data.splits[0].1, &["question"], &mut |_, _| {})
            .unwrap_err();
        assert!(
            err.to_string().contains("question") && err.to_string().contains("sentence1"),
            "{err}"
        );
    }

    #[test]
    fn bad_inputs_are_tokenizer_or_argument_errors() {
        assert!(matches!(
            Tokenizer::new(b"{not json", 512, true),
            Err(Error::Tokenizer(_))
        ));
        let config = b"not json";
        let err = Tokenizer::from_model_files(TINY.as_bytes(), config, None).unwrap_err();
        assert!(err.to_string().contains("config.json"), "{err}");
        let t = tiny(512, true);
        let mismatched = t.encode_split(&["a", "b"], Some(&["c"]), vec![], &mut |_, _| {});
        assert!(matches!(mismatched, Err(Error::Invalid(_))));
        // Too short a maximum for the special tokens of a pair.
        let short = Tokenizer::new(TINY.as_bytes(), 3, true).unwrap_err();
        assert!(short.to_string().contains("3 special tokens"), "{short}");
        let e = tiny(4, true).encode("the cat", Some("a dog")).unwrap();
        assert_eq!(
            e.input_ids.len(),
            4,
            "one token of text is left: {:?}",
            e.tokens
        );
    }
}

/// Parity with Python transformers on the real all-MiniLM-L6-v2 tokenizer: the course's pair
/// and every MRPC validation pair (`tests/reference/make_tokens.py` wrote the reference).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod parity {
    use super::*;

    const REFERENCE: &str = include_str!("../../../tests/reference/tokens_minilm.json");

    /// The model's tokenizer; `as_distilbert`: under a DistilBERT config.json, with no
    /// `tokenizer_class` in tokenizer_config.json (as make_tokens.py loads it).
    fn load(as_distilbert: bool) -> Tokenizer {
        let dir = crate::testing::minilm_dir();
        let read = |f: &str| {
            std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()))
        };
        let mut config = read("config.json");
        let mut tokenizer_config = read("tokenizer_config.json");
        if as_distilbert {
            config = br#"{"model_type": "distilbert", "max_position_embeddings": 512}"#.to_vec();
            let mut tc: Value = serde_json::from_slice(&tokenizer_config).unwrap();
            tc.as_object_mut().unwrap().remove("tokenizer_class");
            tokenizer_config = serde_json::to_vec(&tc).unwrap();
        }
        Tokenizer::from_model_files(&read("tokenizer.json"), &config, Some(&tokenizer_config))
            .unwrap()
    }

    fn ids(v: &Value) -> Vec<u32> {
        serde_json::from_value(v.clone()).unwrap()
    }

    #[test]
    fn minilm_matches_transformers_on_the_course_pair_and_all_of_mrpc_validation() {
        let reference: Value = serde_json::from_str(REFERENCE).unwrap();
        let t = load(false);
        assert_eq!(
            Some(t.max_length() as u64),
            reference["model_max_length"].as_u64()
        );
        let course = &reference["course_pair"];
        let e = t
            .encode(
                course["sentence1"].as_str().unwrap(),
                course["sentence2"].as_str(),
            )
            .unwrap();
        assert_eq!(
            e.tokens,
            serde_json::from_value::<Vec<String>>(course["tokens"].clone()).unwrap()
        );
        assert_eq!(
            serde_json::to_value(&e).unwrap()["input_ids"],
            course["encoding"]["input_ids"]
        );
        assert_eq!(
            e.token_type_ids.as_deref(),
            Some(&ids(&course["encoding"]["token_type_ids"])[..])
        );
        assert_eq!(e.attention_mask, ids(&course["encoding"]["attention_mask"]));

        let rows = reference["mrpc_validation"].as_array().unwrap();
        assert_eq!(rows.len(), 408);
        let first: Vec<&str> = rows
            .iter()
            .map(|r| r["sentence1"].as_str().unwrap())
            .collect();
        let second: Vec<&str> = rows
            .iter()
            .map(|r| r["sentence2"].as_str().unwrap())
            .collect();
        let split = t
            .encode_split(&first, Some(&second), vec![], &mut |_, _| {})
            .unwrap();
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(
                split.input_ids[i],
                ids(&row["input_ids"]),
                "input_ids of row {i}"
            );
            assert_eq!(
                split.token_type_ids.as_ref().unwrap()[i],
                ids(&row["token_type_ids"]),
                "row {i}"
            );
            assert!(row["attention_mask"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m == 1));
        }
    }

    #[test]
    fn minilm_as_distilbert_drops_token_type_ids_like_transformers() {
        let reference: Value = serde_json::from_str(REFERENCE).unwrap();
        let t = load(true);
        let course = &reference["course_pair"];
        let e = t
            .encode(
                course["sentence1"].as_str().unwrap(),
                course["sentence2"].as_str(),
            )
            .unwrap();
        let json = serde_json::to_value(&e).unwrap();
        let expected = &reference["course_pair_distilbert"]["encoding"];
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        let mut keys = keys(expected);
        keys.sort(); // serde_json keeps or sorts keys, by its `preserve_order` feature
        assert_eq!(keys, ["attention_mask", "input_ids"]);
        assert_eq!(
            (&json["input_ids"], &json["attention_mask"]),
            (&expected["input_ids"], &expected["attention_mask"])
        );
        assert!(json.get("token_type_ids").is_none());
    }
}
