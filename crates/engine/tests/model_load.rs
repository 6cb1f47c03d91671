//! Loading checkpoints whatever their naming, the load report, and errors that name the
//! tensor. Uses the tiny checkpoints of tests/reference/ (old naming: `bert.` prefix,
//! `LayerNorm.gamma/beta`, `cls.*` head, `position_ids` buffer, no pooler).

mod model_common;

use model_common::*;
use wick_engine::backend::NamedTensor;
use wick_engine::model::weights::{load_checkpoint, to_safetensors};
use wick_engine::model::{CpuBackend, ModelConfig};
use wick_engine::Error;

fn tiny_bert() -> (ModelConfig, Vec<u8>) {
    let (config, weights) = checkpoint(&reference_dir().join("tiny_bert"));
    (
        ModelConfig::from_json(&config, "config.json").unwrap(),
        weights,
    )
}

fn rename(params: &[NamedTensor], f: impl Fn(&str) -> Option<String>) -> Vec<u8> {
    let renamed: Vec<NamedTensor> = params
        .iter()
        .filter_map(|p| f(&p.name).map(|name| NamedTensor { name, ..p.clone() }))
        .collect();
    to_safetensors(&renamed).unwrap()
}

#[test]
fn old_naming_report_lists_head_and_pretraining_weights() {
    let (config, bytes) = tiny_bert();
    let (params, report) = load_checkpoint(&config, &bytes, 42, false).unwrap();
    assert_eq!(report.architecture, "BertForSequenceClassification");
    assert_eq!(
        report.newly_initialized,
        [
            "bert.pooler.dense.weight",
            "bert.pooler.dense.bias",
            "classifier.weight",
            "classifier.bias"
        ]
    );
    assert!(
        report
            .unused
            .iter()
            .all(|k| k.starts_with("cls.predictions.")),
        "{:?}",
        report.unused
    );
    assert_eq!(report.unused.len(), 7);
    assert!(report.missing.is_empty());
    let text = report.to_string();
    assert!(
        text.contains("newly initialized: [\"bert.pooler.dense.weight\""),
        "{text}"
    );
    assert!(
        text.contains("not used when initializing BertForSequenceClassification"),
        "{text}"
    );
    // transformers' names, LayerNorm as weight/bias, prefix `bert.`.
    assert_eq!(params[3].name, "bert.embeddings.LayerNorm.weight");
    assert!(params
        .iter()
        .all(|p| p.name.starts_with("bert.") || p.name.starts_with("classifier.")));
}

/// The same weights under new names, bare names (a BertModel export) and as a full
/// sequence-classification checkpoint (our own export) load to the same parameters.
#[test]
fn every_naming_loads_the_same_weights() {
    let (config, bytes) = tiny_bert();
    let (params, _) = load_checkpoint(&config, &bytes, 42, false).unwrap();

    let exported = to_safetensors(&params).unwrap();
    let (again, report) = load_checkpoint(&config, &exported, 7, false).unwrap();
    assert_eq!(
        again, params,
        "our export reloads exactly (the head too, whatever the seed)"
    );
    assert!(
        report.newly_initialized.is_empty()
            && report.unused.is_empty()
            && report.missing.is_empty()
    );

    let bare = rename(&params, |n| n.strip_prefix("bert.").map(str::to_string));
    let (loaded, report) = load_checkpoint(&config, &bare, 42, false).unwrap();
    assert_eq!(loaded, params);
    assert_eq!(
        report.newly_initialized,
        ["classifier.weight", "classifier.bias"]
    );
}

#[test]
fn a_checkpoint_without_some_body_weight_reports_it_missing() {
    let (config, bytes) = tiny_bert();
    let (params, _) = load_checkpoint(&config, &bytes, 42, false).unwrap();
    let gone = "bert.encoder.layer.1.attention.self.key.weight";
    let partial = rename(&params, |n| (n != gone).then(|| n.to_string()));
    let (loaded, report) = load_checkpoint(&config, &partial, 42, false).unwrap();
    assert_eq!(report.missing, [gone]);
    let fresh = loaded.iter().find(|p| p.name == gone).unwrap();
    let std = (fresh.data.iter().map(|x| x * x).sum::<f32>() / fresh.data.len() as f32).sqrt();
    assert!(
        (std - 0.3).abs() < 0.05,
        "drawn with initializer_range 0.3, std {std}"
    );
}

#[test]
fn shape_mismatch_names_the_tensors_and_suggests_ignore_mismatched_sizes() {
    let (config, bytes) = tiny_bert();
    let (params, _) = load_checkpoint(&config, &bytes, 42, false).unwrap();
    // A classifier fine-tuned with 2 labels, used for 3 (and for STS-B's 1: regression).
    let exported = to_safetensors(&params).unwrap();
    for labels in [3, 1] {
        let other = config.clone().with_labels(labels, None).unwrap();
        let err = load_checkpoint(&other, &exported, 42, false)
            .unwrap_err()
            .to_string();
        for line in [
            format!("size mismatch for classifier.weight: the checkpoint has shape [2, 32], the model [{labels}, 32]"),
            format!("size mismatch for classifier.bias: the checkpoint has shape [2], the model [{labels}]"),
        ] {
            assert!(err.contains(&line), "{line}\n{err}");
        }
        assert!(
            err.contains("ignore_mismatched_sizes") && err.contains("--ignore-mismatched-sizes"),
            "{err}"
        );
        assert!(err.contains(&format!("this run has {labels}")), "{err}");

        // With the option, the head is drawn afresh from the seed and reported with both shapes.
        let (loaded, report) = load_checkpoint(&other, &exported, 42, true).unwrap();
        let names: Vec<&str> = report.mismatched.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["classifier.bias", "classifier.weight"]);
        assert_eq!(report.mismatched[1].checkpoint, [2, 32]);
        assert_eq!(report.mismatched[1].model, [labels, 32]);
        assert!(report.newly_initialized.is_empty() && report.missing.is_empty());
        let text = report.to_string();
        assert!(text.contains(&format!("- classifier.weight: found shape [2, 32] in the checkpoint and [{labels}, 32] in the model instantiated")), "{text}");
        let head = loaded
            .iter()
            .find(|p| p.name == "classifier.weight")
            .unwrap();
        assert_eq!(head.shape, [labels, 32]);
        assert_eq!(head.data.len(), labels * 32);
        let bias = loaded.iter().find(|p| p.name == "classifier.bias").unwrap();
        assert!(bias.data.iter().all(|&b| b == 0.0), "a fresh bias is zero");
        // The body still comes from the checkpoint, and the same seed draws the same head.
        let body = |ps: &[NamedTensor]| {
            ps.iter()
                .find(|p| p.name.ends_with("word_embeddings.weight"))
                .unwrap()
                .data
                .clone()
        };
        assert_eq!(body(&loaded), body(&params));
        let (again, _) = load_checkpoint(&other, &exported, 42, true).unwrap();
        assert_eq!(again, loaded);
    }

    // A body tensor of another shape: the same error, and the option draws it afresh too (as
    // transformers does; the notice says so).
    let mut wide = config.clone();
    wide.intermediate_size = 64;
    let err = load_checkpoint(&wide, &bytes, 42, false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("intermediate.dense.") && err.contains("[48") && err.contains("[64"),
        "{err}"
    );
    assert!(!err.contains("this run has"), "not a head: {err}");
    let (_, report) = load_checkpoint(&wide, &bytes, 42, true).unwrap();
    assert!(report
        .mismatched
        .iter()
        .any(|m| m.name.contains("intermediate.dense")));
}

#[test]
fn wrong_files_are_errors_not_panics() {
    let (config, _) = tiny_bert();
    assert!(matches!(
        load_checkpoint(&config, b"not a safetensors file", 42, false),
        Err(Error::Model(_))
    ));
    // DistilBERT weights for a BERT config: nothing matches.
    let (_, distil) = checkpoint(&reference_dir().join("tiny_distilbert"));
    let err = load_checkpoint(&config, &distil, 42, false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no tensor matches BertForSequenceClassification"),
        "{err}"
    );
    // A wrongly typed config field names the field.
    let err = CpuBackend::load(r#"{"hidden_size": "32"}"#, &distil, 2, None, 42)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("hidden_size"), "{err}");
}

#[test]
fn half_precision_checkpoints_are_converted() {
    let (config, bytes) = tiny_bert();
    let (params, _) = load_checkpoint(&config, &bytes, 42, false).unwrap();
    // Write every tensor as f16 by hand (safetensors layout: little-endian halves).
    let halves: Vec<Vec<u8>> = params
        .iter()
        .map(|p| {
            p.data
                .iter()
                .flat_map(|&x| f32_to_f16(x).to_le_bytes())
                .collect()
        })
        .collect();
    let views: Vec<_> = params
        .iter()
        .zip(&halves)
        .map(|(p, d)| {
            (
                p.name.clone(),
                safetensors::tensor::TensorView::new(safetensors::Dtype::F16, p.shape.clone(), d)
                    .unwrap(),
            )
        })
        .collect();
    let file = safetensors::serialize(views, None).unwrap();
    let (loaded, _) = load_checkpoint(&config, &file, 42, false).unwrap();
    for (a, b) in loaded.iter().zip(&params) {
        assert!(max_abs(&a.data, &b.data) < 2e-3, "{}", a.name);
    }
}

/// f32 -> f16 bits, round to nearest (normal range only: enough for these weights).
fn f32_to_f16(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32 - 127 + 15;
    if exp <= 0 {
        return sign; // flush tiny values to zero
    }
    let mant = bits & 0x7f_ffff;
    let rounded = ((exp as u32) << 10 | (mant >> 13)) + ((mant >> 12) & 1);
    sign | rounded as u16
}
