//! A BERT tokenizer from `vocab.txt`, for checkpoints without `tokenizer.json` (older Hub repos).
//!
//! transformers 5's `BertTokenizer.__init__` (models/bert/tokenization_bert.py) builds a
//! `tokenizers` pipeline from the vocabulary and `tokenizer_config.json`: a `WordPiece` model,
//! `BertNormalizer(clean_text, handle_chinese_chars = tokenize_chinese_chars, strip_accents,
//! lowercase = do_lower_case)`, `BertPreTokenizer`, the `[CLS] $A [SEP] $B:1 [SEP]:1` template,
//! and the special tokens as added tokens (so a literal "[SEP]" in the text is the separator).
//! We write that pipeline as the `tokenizer.json` Python would save, so everything downstream
//! (the tokenizer, the export, the exported project) reads one kind of file.
//! `never_split` is ignored, as transformers 5 ignores it (only its slow tokenizers used it).

use crate::{Error, Result};
use serde_json::{json, Map, Value};

/// The special-token attributes BERT's tokenizer has, with their defaults, in the order
/// transformers adds the ones missing from the vocabulary.
const SPECIALS: [(&str, &str); 5] = [
    ("unk_token", "[UNK]"),
    ("sep_token", "[SEP]"),
    ("pad_token", "[PAD]"),
    ("cls_token", "[CLS]"),
    ("mask_token", "[MASK]"),
];

/// The `tokenizer.json` text for a WordPiece vocabulary (`vocab.txt`: one token per line, the
/// line number is the id) with `tokenizer_config.json` and `special_tokens_map.json` when the
/// checkpoint has them. As in transformers, `added_tokens_decoder` in the config, when present,
/// names the added tokens; otherwise `special_tokens_map.json` overrides the config's special
/// tokens. Errors: an empty vocabulary, a config field of the wrong type (named).
pub fn tokenizer_json(
    vocab_txt: &str,
    tokenizer_config: Option<&Value>,
    special_tokens_map: Option<&Value>,
) -> Result<String> {
    let mut vocab = Map::new();
    let mut size = 0u32;
    // transformers hands the file to tokenizers' `WordPiece::read_file`: lines, trailing
    // whitespace trimmed; a repeated token keeps its last line's id.
    for line in vocab_txt.lines() {
        vocab.insert(line.trim_end().to_string(), json!(size));
        size += 1;
    }
    if vocab.is_empty() {
        return Err(Error::Tokenizer(
            "vocab.txt: the vocabulary is empty".into(),
        ));
    }
    let empty = Map::new();
    let config = match tokenizer_config {
        Some(Value::Object(c)) => c,
        Some(_) => return Err(config_error("", "a JSON object")),
        None => &empty,
    };
    let flag = |name: &str, default: Option<bool>| -> Result<Option<bool>> {
        match config.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(config_error(name, "true or false")),
        }
    };
    let lowercase = flag("do_lower_case", Some(true))?;
    let chinese = flag("tokenize_chinese_chars", Some(true))?;
    let strip_accents = flag("strip_accents", None)?;

    // Special tokens: the config's, then special_tokens_map.json's (unless the config lists
    // its added tokens itself).
    let decoder = config.get("added_tokens_decoder").filter(|v| !v.is_null());
    let mut names: Vec<(&str, String)> = Vec::new();
    for (attr, default) in SPECIALS {
        let from_map = match decoder {
            None => special_tokens_map.and_then(|m| m.get(attr)),
            Some(_) => None,
        };
        let name = match from_map.or_else(|| config.get(attr)) {
            None | Some(Value::Null) => default.to_string(),
            Some(v) => super::token_content(v)
                .ok_or_else(|| config_error(attr, "a string or an object with \"content\""))?
                .to_string(),
        };
        names.push((attr, name));
    }
    let id_of = |vocab: &Map<String, Value>, token: &str| vocab.get(token).and_then(Value::as_u64);

    let mut added: Vec<Value> = Vec::new();
    match decoder {
        Some(Value::Object(entries)) => {
            for (id, token) in entries {
                let id: u64 = id
                    .parse()
                    .map_err(|_| config_error("added_tokens_decoder", "integer keys"))?;
                let content = super::token_content(token).ok_or_else(|| {
                    config_error("added_tokens_decoder", "tokens with \"content\"")
                })?;
                let get = |k: &str, d: bool| token.get(k).and_then(Value::as_bool).unwrap_or(d);
                added.push(json!({
                    "id": id, "content": content,
                    "single_word": get("single_word", false), "lstrip": get("lstrip", false),
                    "rstrip": get("rstrip", false), "normalized": get("normalized", false),
                    "special": get("special", false),
                }));
            }
        }
        Some(_) => return Err(config_error("added_tokens_decoder", "an object")),
        None => {
            let mut next = size as u64;
            for (_, name) in &names {
                let id = id_of(&vocab, name).unwrap_or_else(|| {
                    next += 1;
                    next - 1
                });
                added.push(json!({
                    "id": id, "content": name, "single_word": false, "lstrip": false,
                    "rstrip": false, "normalized": false, "special": true,
                }));
            }
        }
    }
    added.sort_by_key(|t| t["id"].as_u64());
    added.dedup_by(|a, b| a["content"] == b["content"]);
    let added_id = |name: &str| {
        added
            .iter()
            .find(|t| t["content"] == name)
            .and_then(|t| t["id"].as_u64())
    };
    let name = |attr: &str| names.iter().find(|(a, _)| *a == attr).unwrap().1.clone();
    let (cls, sep, unk) = (name("cls_token"), name("sep_token"), name("unk_token"));
    // As BertTokenizer: the ids of [CLS] and [SEP] when it has them, else 2 and 3.
    let cls_id = id_of(&vocab, &cls).or_else(|| added_id(&cls)).unwrap_or(2);
    let sep_id = id_of(&vocab, &sep).or_else(|| added_id(&sep)).unwrap_or(3);

    let special =
        |token: &str, type_id: u32| json!({"SpecialToken": {"id": token, "type_id": type_id}});
    let sequence = |id: &str, type_id: u32| json!({"Sequence": {"id": id, "type_id": type_id}});
    let tokenizer = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": {
            "type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": chinese,
            "strip_accents": strip_accents, "lowercase": lowercase,
        },
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special(&cls, 0), sequence("A", 0), special(&sep, 0)],
            "pair": [special(&cls, 0), sequence("A", 0), special(&sep, 0),
                     sequence("B", 1), special(&sep, 1)],
            "special_tokens": {
                cls.clone(): {"id": cls, "ids": [cls_id], "tokens": [cls]},
                sep.clone(): {"id": sep, "ids": [sep_id], "tokens": [sep]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
        "model": {
            "type": "WordPiece", "unk_token": unk, "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100, "vocab": vocab,
        },
    });
    Ok(tokenizer.to_string())
}

fn config_error(field: &str, expected: &str) -> Error {
    let field = if field.is_empty() {
        String::new()
    } else {
        format!(" {field}")
    };
    Error::Tokenizer(format!(
        "tokenizer_config.json:{field}: expected {expected}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VOCAB: &str = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ncat\n##s\ncafe\ncafé\n";

    fn encode(config: Value, text: &str) -> Vec<u32> {
        let json = tokenizer_json(VOCAB, Some(&config), None).unwrap();
        let t = tokenizers::Tokenizer::from_bytes(json.as_bytes()).unwrap();
        t.encode(text, true).unwrap().get_ids().to_vec()
    }

    #[test]
    fn lowercase_and_accents_follow_the_config() {
        // Uncased (the default): lowercased, accents stripped; the literal [SEP] is special.
        assert_eq!(
            encode(json!({}), "The CATS [SEP] Café"),
            [2, 5, 6, 7, 3, 8, 3]
        );
        // Cased keeps case (so "The" is unknown) and accents.
        assert_eq!(
            encode(json!({"do_lower_case": false}), "The cat Café"),
            [2, 1, 6, 1, 3]
        );
        // Lowercased but accents kept.
        let config = json!({"do_lower_case": true, "strip_accents": false});
        assert_eq!(encode(config, "CAFÉ"), [2, 9, 3]);
    }

    #[test]
    fn bad_inputs_name_the_file_and_field() {
        let err = tokenizer_json("", None, None).unwrap_err().to_string();
        assert!(err.contains("vocab.txt"), "{err}");
        let config = json!({"do_lower_case": "yes"});
        let err = tokenizer_json(VOCAB, Some(&config), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("tokenizer_config.json") && err.contains("do_lower_case"),
            "{err}"
        );
    }
}
