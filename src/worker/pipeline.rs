//! Tokenize and Batches: one pair through the tokenizer, `Dataset.map` over every split, and
//! padded batches from `DataCollatorWithPadding`.

use super::session::Session;
use super::{load::now_s, post};
use crate::protocol::*;
use std::rc::Rc;
use wick_engine::collate::{BatchSampler, DataCollatorWithPadding, PaddingStats};
use wick_engine::tokenize::{text_columns, TokenizedSplit};

pub fn tokenize_pair(s: &Session, a: &str, b: &str) -> Result<(), String> {
    let tokenizer = s.tokenizer()?;
    let second = Some(b).filter(|b| !b.trim().is_empty());
    let e = tokenizer.encode(a, second).map_err(|e| e.to_string())?;
    post(
        &Event::Tokens(TokensView {
            tokens: e.tokens,
            input_ids: e.input_ids,
            token_type_ids: e.token_type_ids.unwrap_or_default(),
            attention_mask: e.attention_mask,
        }),
        &[],
    );
    Ok(())
}

/// Tokenize every split (once per checkpoint and data set), posting progress as it goes.
pub fn map(s: &Session) -> Result<Rc<Vec<(String, TokenizedSplit)>>, String> {
    let tokenizer = s.tokenizer()?;
    let data = s.data()?;
    let start = now_s();
    let mapped = tokenizer
        .map(&data, &mut |split, done, total| {
            post(
                &Event::MapProgress {
                    split: split.to_string(),
                    done,
                    total,
                },
                &[],
            );
        })
        .map_err(|e| e.to_string())?;
    let millis = (now_s() - start) * 1000.0;
    let mapped = Rc::new(mapped);
    *s.mapped.borrow_mut() = Some(mapped.clone());

    let mut columns: Vec<String> = data
        .splits
        .first()
        .map(|(_, d)| d.columns.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default();
    columns.push("input_ids".into());
    if tokenizer.uses_token_type_ids() {
        columns.push("token_type_ids".into());
    }
    columns.push("attention_mask".into());
    let train = mapped.iter().find(|(n, _)| n == "train").or(mapped.first());
    let lengths = train.map(|(_, t)| histogram(t)).unwrap_or_default();
    let splits = mapped
        .iter()
        .map(|(n, t)| SplitInfo {
            name: n.clone(),
            rows: t.len(),
        })
        .collect();
    post(
        &Event::Mapped(MappedView {
            splits,
            columns,
            lengths,
            millis,
        }),
        &[],
    );
    Ok(mapped)
}

/// The mapped splits, tokenizing first if the page has not asked for it yet.
pub fn mapped(s: &Session) -> Result<Rc<Vec<(String, TokenizedSplit)>>, String> {
    let done = s.mapped.borrow().clone();
    match done {
        Some(m) => Ok(m),
        None => map(s),
    }
}

/// Lengths in tokens, in about 30 bins of a round width.
fn histogram(split: &TokenizedSplit) -> Histogram {
    let lengths: Vec<usize> = split.input_ids.iter().map(Vec::len).collect();
    let max = lengths.iter().copied().max().unwrap_or(0);
    let bin_width = [1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100]
        .into_iter()
        .find(|w| max / w < 32)
        .unwrap_or(128);
    let mut counts = vec![0; max / bin_width + 1];
    for &l in &lengths {
        counts[l / bin_width] += 1;
    }
    let mean = lengths.iter().sum::<usize>() as f64 / lengths.len().max(1) as f64;
    Histogram {
        bin_width,
        counts,
        max,
        mean,
    }
}

/// The first `count` batches of the train split in order (the course's `samples[:8]`), and
/// what dynamic padding saves over one shuffled epoch.
pub fn batches(s: &Session, batch_size: usize, count: usize) -> Result<(), String> {
    let tokenizer = s.tokenizer()?;
    let data = s.data()?;
    let mapped = mapped(s)?;
    let (name, split) = mapped
        .iter()
        .find(|(n, _)| n == "train")
        .or(mapped.first())
        .ok_or("no splits")?;
    let raw = data.split(name).ok_or("no such split")?;
    let columns = text_columns(&data).map_err(|e| e.to_string())?;
    let text = |c: usize| columns.get(c).and_then(|name| raw.text(name));
    let collator =
        DataCollatorWithPadding::new(tokenizer.pad_token_id().map_err(|e| e.to_string())?);

    let mut views = Vec::new();
    for b in 0..count {
        let rows: Vec<usize> = (b * batch_size..((b + 1) * batch_size).min(split.len())).collect();
        if rows.is_empty() {
            break;
        }
        let batch = collator.collate(split, &rows).map_err(|e| e.to_string())?;
        let (n, len) = (batch.batch_size, batch.seq_len);
        let row = |v: &[u32], r: usize| v[r * len..(r + 1) * len].to_vec();
        // Tokens as strings: encode the row's text again (the split keeps ids only).
        let mut tokens = Vec::new();
        for &r in &rows {
            let a = text(0).and_then(|t| t.get(r)).map_or("", String::as_str);
            let b = text(1).and_then(|t| t.get(r)).map(String::as_str);
            let mut t = tokenizer.encode(a, b).map_err(|e| e.to_string())?.tokens;
            t.resize(len, "[PAD]".into());
            tokens.push(t);
        }
        views.push(BatchView {
            tokens,
            input_ids: (0..n).map(|r| row(&batch.input_ids, r)).collect(),
            attention_mask: (0..n).map(|r| row(&batch.attention_mask, r)).collect(),
            token_type_ids: if tokenizer.uses_token_type_ids() {
                (0..n).map(|r| row(&batch.token_type_ids, r)).collect()
            } else {
                Vec::new()
            },
            labels: batch.labels.clone(),
        });
    }
    let epoch = BatchSampler::train(split.len(), batch_size, 42)
        .map_err(|e| e.to_string())?
        .epoch(0);
    let stats = PaddingStats::measure(split, &epoch, &collator).map_err(|e| e.to_string())?;
    post(
        &Event::Batches(BatchesView {
            batches: views,
            dynamic_tokens: stats.dynamic_tokens,
            fixed_tokens: stats.padded_to_longest_tokens,
            real_tokens: stats.real_tokens,
        }),
        &[],
    );
    Ok(())
}
