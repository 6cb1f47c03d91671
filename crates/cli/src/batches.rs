//! `wick batches --model MODEL --data DATA`: the course's dynamic padding made visible: the
//! first batches `DataCollatorWithPadding` builds, and the padding it saves over an epoch.

use crate::common::{self, GlobalArgs};
use serde::Serialize;
use wick_engine::collate::{Batch, BatchSampler, DataCollatorWithPadding, PaddingStats};
use wick_engine::tokenize::text_columns;
use wick_engine::{Error, Result};

#[derive(clap::Args)]
pub struct Args {
    /// A Hub model id or a local model folder (only its tokenizer is read).
    #[arg(long)]
    model: String,
    /// `glue/mrpc`, a Hub data set id, or a local folder or file.
    #[arg(long)]
    data: String,
    /// The split to batch.
    #[arg(long, default_value = "train")]
    split: String,
    /// Rows per batch (`per_device_train_batch_size`).
    #[arg(long, default_value_t = 8)]
    batch_size: usize,
    /// How many batches to show.
    #[arg(long, default_value_t = 3)]
    count: usize,
    /// Shuffle as the train sampler does in epoch 0 with this seed (default: rows in order,
    /// as the course's example takes them).
    #[arg(long)]
    seed: Option<u64>,
    /// Round each batch's length up to a multiple of this (8 suits tensor cores).
    #[arg(long)]
    pad_to_multiple_of: Option<usize>,
}

#[derive(Serialize)]
struct Output {
    split: String,
    columns: Vec<String>,
    batch_size: usize,
    seed: Option<u64>,
    pad_to_multiple_of: Option<usize>,
    batches: Vec<BatchJson>,
    padding: PaddingJson,
}

/// A batch as the collator's dict of tensors, with its shape and the rows it holds.
#[derive(Serialize)]
struct BatchJson {
    rows: Vec<usize>,
    shape: [usize; 2],
    input_ids: Vec<Vec<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type_ids: Option<Vec<Vec<u32>>>,
    attention_mask: Vec<Vec<u32>>,
    /// Class ids as integers (as PyTorch's int64 labels), regression targets as floats.
    labels: Vec<serde_json::Value>,
}

#[derive(Serialize)]
struct PaddingJson {
    #[serde(flatten)]
    stats: PaddingStats,
    dynamic_padding: usize,
    padding_to_longest: usize,
    saved_fraction: f64,
}

pub fn run(global: &GlobalArgs, args: Args) -> Result<()> {
    let hub = global.hub();
    let tokenizer = common::load_tokenizer(&hub, &global.model_source(&args.model)?)?;
    let data = common::load_data(&hub, &args.data)?;
    let split = data.split(&args.split).ok_or_else(|| {
        Error::Invalid(format!(
            "no split `{}` in {} (it has {})",
            args.split,
            args.data,
            data.split_names().join(", ")
        ))
    })?;
    let columns = text_columns(&data)?;
    let column_refs: Vec<&str> = columns.iter().map(String::as_str).collect();
    let bar = common::rows_bar(&format!("tokenizing {}", args.split), split.num_rows());
    let tokenized = tokenizer.map_split(split, &column_refs, &mut |done, _| {
        bar.set_position(done as u64)
    })?;
    bar.finish_and_clear();

    let sampler = match args.seed {
        Some(seed) => BatchSampler::train(tokenized.len(), args.batch_size, seed)?,
        None => BatchSampler::eval(tokenized.len(), args.batch_size)?,
    };
    let mut collator = DataCollatorWithPadding::new(tokenizer.pad_token_id()?);
    if let Some(multiple) = args.pad_to_multiple_of {
        collator = collator.with_pad_to_multiple_of(multiple);
    }
    let epoch = sampler.epoch(0);
    let stats = PaddingStats::measure(&tokenized, &epoch, &collator)?;
    let regression = data.num_labels() == Some(1);
    let mut batches = Vec::new();
    for rows in epoch.iter().take(args.count) {
        let batch = collator.collate(&tokenized, rows)?;
        batches.push(batch_json(
            rows,
            &batch,
            tokenizer.uses_token_type_ids(),
            regression,
        ));
    }
    let out = Output {
        split: args.split.clone(),
        columns,
        batch_size: args.batch_size,
        seed: args.seed,
        pad_to_multiple_of: collator.pad_to_multiple_of,
        batches,
        padding: PaddingJson {
            stats,
            dynamic_padding: stats.dynamic_padding(),
            padding_to_longest: stats.padding_to_longest(),
            saved_fraction: stats.saved_fraction(),
        },
    };
    common::output(global.json, &out, || human(&out, sampler.num_batches()))
}

fn batch_json(rows: &[usize], batch: &Batch, token_type_ids: bool, regression: bool) -> BatchJson {
    let matrix = |flat: &[u32]| {
        flat.chunks(batch.seq_len.max(1))
            .map(<[u32]>::to_vec)
            .collect::<Vec<_>>()
    };
    let label = |&l: &f32| {
        if regression {
            wick_engine::data::float_json(l)
        } else {
            (l as i64).into()
        }
    };
    BatchJson {
        rows: rows.to_vec(),
        shape: [batch.batch_size, batch.seq_len],
        input_ids: matrix(&batch.input_ids),
        token_type_ids: token_type_ids.then(|| matrix(&batch.token_type_ids)),
        attention_mask: matrix(&batch.attention_mask),
        labels: batch.labels.iter().map(label).collect(),
    }
}

/// Each batch row by row (the mask drawn as `#` for tokens and `.` for padding), then what
/// dynamic padding saves.
fn human(out: &Output, batches_per_epoch: usize) -> String {
    let order = match out.seed {
        Some(seed) => format!("shuffled with seed {seed}"),
        None => "in order".to_string(),
    };
    let p = &out.padding.stats;
    let mut text = format!(
        "{}: {} rows of {}, batches of {} {order} ({batches_per_epoch} per epoch)\n",
        out.split,
        p.rows,
        out.columns.join(" + "),
        out.batch_size
    );
    for (i, b) in out.batches.iter().enumerate() {
        text += &format!("\nbatch {i}: shape {:?}\n", b.shape);
        let rows: Vec<Vec<String>> = (0..b.rows.len())
            .map(|r| {
                let mask = &b.attention_mask[r];
                let ids = &b.input_ids[r];
                let shown: Vec<String> = ids.iter().take(8).map(u32::to_string).collect();
                vec![
                    b.rows[r].to_string(),
                    mask.iter().sum::<u32>().to_string(),
                    b.labels.get(r).map_or(String::new(), |l| l.to_string()),
                    format!("{} ...", shown.join(" ")),
                    mask.iter()
                        .map(|&m| if m == 1 { '#' } else { '.' })
                        .collect(),
                ]
            })
            .collect();
        text += &common::table(
            &["row", "tokens", "label", "input_ids", "attention_mask"],
            &rows,
        );
    }
    let percent = |pad: usize, slots: usize| 100.0 * pad as f64 / slots.max(1) as f64;
    let rows = vec![
        vec![
            "real tokens".into(),
            p.real_tokens.to_string(),
            String::new(),
        ],
        vec![
            "dynamic padding (each batch to its longest)".into(),
            p.dynamic_tokens.to_string(),
            format!(
                "{} ({:.1}%)",
                out.padding.dynamic_padding,
                percent(out.padding.dynamic_padding, p.dynamic_tokens)
            ),
        ],
        vec![
            format!("every row to the split's longest ({})", p.longest),
            p.padded_to_longest_tokens.to_string(),
            format!(
                "{} ({:.1}%)",
                out.padding.padding_to_longest,
                percent(out.padding.padding_to_longest, p.padded_to_longest_tokens)
            ),
        ],
    ];
    text += &format!("\npadding over one epoch ({} batches)\n", p.batches);
    text += &common::table(&["", "token slots", "of which padding"], &rows);
    text + &format!(
        "dynamic padding saves {:.1}% of the token slots\n",
        100.0 * out.padding.saved_fraction
    )
}
