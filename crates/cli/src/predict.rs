//! `wick predict`: a trained model on your own sentence (or pair), as the course's "try it":
//! logits, softmax probabilities, the predicted label.

use crate::common::{self, BackendArgs, GlobalArgs};
use crate::evaluate::load_trained;
use serde::Serialize;
use wick_engine::backend::Backend;
use wick_engine::collate::DataCollatorWithPadding;
use wick_engine::tokenize::TokenizedSplit;
use wick_engine::Result;

#[derive(clap::Args)]
pub struct Args {
    /// The trained model: a folder (`wick train --output-dir`) or a Hub model id.
    #[arg(long)]
    pub model: String,
    /// The sentence (the first of a pair).
    pub sentence: String,
    /// The second sentence of a pair (MRPC: is it a paraphrase of the first?).
    pub pair: Option<String>,
    #[command(flatten)]
    pub backend: BackendArgs,
}

#[derive(Serialize)]
struct Prediction {
    logits: Vec<f32>,
    /// Softmax of the logits (empty for regression).
    probabilities: Vec<f64>,
    label_id: usize,
    label: String,
}

pub fn run(global: &GlobalArgs, a: Args) -> Result<()> {
    let (mut backend, tokenizer) = load_trained(global, &a.model, &a.backend)?;
    let names = backend.config().id2label.clone();
    let encoding = tokenizer.encode(&a.sentence, a.pair.as_deref())?;
    let row = TokenizedSplit {
        input_ids: vec![encoding.input_ids],
        token_type_ids: encoding.token_type_ids.map(|t| vec![t]),
        labels: Vec::new(),
    };
    let batch = DataCollatorWithPadding::new(tokenizer.pad_token_id()?).collate(&row, &[0])?;
    let logits = pollster::block_on(backend.logits(&batch))?;
    let probabilities = if logits.len() > 1 {
        softmax(&logits)
    } else {
        Vec::new()
    };
    let label_id = wick_engine::metrics::argmax_rows(&logits, logits.len())[0];
    let label = if logits.len() > 1 {
        names.get(label_id).cloned().unwrap_or_default()
    } else {
        format!("{:.4}", logits[0])
    };
    let prediction = Prediction {
        logits,
        probabilities,
        label_id,
        label,
    };
    common::output(global.json, &prediction, || {
        let mut text = String::new();
        for (i, logit) in prediction.logits.iter().enumerate() {
            let name = names.get(i).map(String::as_str).unwrap_or("");
            let p = prediction
                .probabilities
                .get(i)
                .map(|p| format!("{p:.4}"))
                .unwrap_or_default();
            text += &format!("{i}  {name:<20} logit {logit:>9.4}  probability {p}\n");
        }
        text + &format!("prediction: {}\n", prediction.label)
    })
}

fn softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) as f64;
    let exps: Vec<f64> = logits.iter().map(|&v| (v as f64 - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}
