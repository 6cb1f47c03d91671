//! `wick tokenize --model MODEL SENTENCE [PAIR]`: what `tokenizer(sentence, pair)` returns.

use crate::common::{self, GlobalArgs};
use serde::Serialize;
use wick_engine::Result;

#[derive(clap::Args)]
pub struct Args {
    /// A Hub model id (`google-bert/bert-base-uncased`) or a local model folder.
    #[arg(long)]
    model: String,
    /// The sentence (the first of a pair).
    sentence: String,
    /// The second sentence of a pair.
    pair: Option<String>,
}

/// `--json`: exactly the dict transformers returns, keys in its order.
#[derive(Serialize)]
struct Output<'a> {
    input_ids: &'a [u32],
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type_ids: Option<&'a [u32]>,
    attention_mask: &'a [u32],
}

pub fn run(global: &GlobalArgs, args: Args) -> Result<()> {
    let tokenizer = common::load_tokenizer(&global.hub(), &global.model_source(&args.model)?)?;
    let e = tokenizer.encode(&args.sentence, args.pair.as_deref())?;
    let json = Output {
        input_ids: &e.input_ids,
        token_type_ids: e.token_type_ids.as_deref(),
        attention_mask: &e.attention_mask,
    };
    common::output(global.json, &json, || {
        let rows: Vec<Vec<String>> = (0..e.input_ids.len())
            .map(|i| {
                let mut row = vec![
                    i.to_string(),
                    e.tokens[i].clone(),
                    e.input_ids[i].to_string(),
                ];
                if let Some(types) = &e.token_type_ids {
                    row.push(types[i].to_string());
                }
                row.push(e.attention_mask[i].to_string());
                row
            })
            .collect();
        let header: &[&str] = match e.token_type_ids {
            Some(_) => &["#", "token", "input_id", "token_type_id", "attention_mask"],
            None => &["#", "token", "input_id", "attention_mask"],
        };
        format!(
            "{} tokens (maximum {})\n{}",
            rows.len(),
            tokenizer.max_length(),
            common::table(header, &rows)
        )
    })
}
