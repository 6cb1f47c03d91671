//! The tokenizer's unit tests (tiny in-memory tokenizers), and parity with Python
//! transformers on the real all-MiniLM-L6-v2 tokenizer.

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
    let no_max = Tokenizer::from_model_files(TINY.as_bytes(), br#"{"model_type": "bert"}"#, None);
    assert!(matches!(no_max, Err(Error::Tokenizer(m)) if m.contains("max_position_embeddings")));
}

#[test]
fn pad_token_comes_from_tokenizer_config_else_the_file() {
    assert_eq!(tiny(512, true).pad_token_id().unwrap(), 0);
    let config = br#"{"max_position_embeddings": 512}"#;
    let tc = br#"{"pad_token": {"content": "[SEP]", "lstrip": false}}"#;
    let t = Tokenizer::from_model_files(TINY.as_bytes(), config, Some(tc)).unwrap();
    assert_eq!(t.pad_token_id().unwrap(), 3);
    let bad =
        Tokenizer::from_model_files(TINY.as_bytes(), config, Some(br#"{"pad_token": "<pad>"}"#));
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

/// Parity with Python transformers on the real all-MiniLM-L6-v2 tokenizer: the course's pair
/// and every MRPC validation pair (`tests/reference/make_tokens.py` wrote the reference).
#[cfg(not(target_arch = "wasm32"))]
mod parity {
    use super::*;

    const REFERENCE: &str = include_str!("../../../../tests/reference/tokens_minilm.json");

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
