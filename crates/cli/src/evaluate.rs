//! `wick evaluate`: a trained model (a `wick train` output folder, or any fine-tuned
//! checkpoint) on a split of a data set: the loss and the task's metric, optionally every
//! row's prediction as JSON lines.

use crate::common::{BackendArgs, GlobalArgs};
use crate::train::{
    load_data, load_model_files, metric_table, print_load_report, task_name, tokenize, tokenizer_of,
};
use std::io::Write;
use std::path::PathBuf;
use wick_engine::collate::DataCollatorWithPadding;
use wick_engine::metrics::argmax_rows;
use wick_engine::model::ModelConfig;
use wick_engine::train::{Trainer, TrainerInputs, TrainingArguments};
use wick_engine::{Error, Result};
use wick_webgpu::AnyBackend;

#[derive(clap::Args)]
pub struct Args {
    /// The trained model: a folder (`wick train --output-dir`) or a Hub model id.
    #[arg(long)]
    pub model: String,
    /// The data set: `glue/mrpc`, a Hub data set id, or a local folder.
    #[arg(long)]
    pub data: String,
    #[arg(long, default_value = "validation")]
    pub split: String,
    /// The GLUE task whose metric to compute; default: the data set's own.
    #[arg(long)]
    pub task: Option<String>,
    #[arg(long, default_value_t = 8)]
    pub batch_size: usize,
    /// Write one JSON line per row: logits, predicted id and label name, true label.
    #[arg(long)]
    pub predictions: Option<PathBuf>,
    #[command(flatten)]
    pub backend: BackendArgs,
}

pub fn run(global: &GlobalArgs, a: Args) -> Result<()> {
    let hub = global.hub();
    let data = load_data(&hub, &a.data)?;
    let task = task_name(a.task.as_deref(), &data)?;
    let split = data
        .split(&a.split)
        .or_else(|| {
            if a.split == "validation" {
                data.validation()
            } else {
                None
            }
        })
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{}: no split {:?} (splits: {:?})",
                a.data,
                a.split,
                data.split_names()
            ))
        })?;
    let (backend, tokenizer) = load_trained(global, &a.model, &a.backend)?;
    let names = backend.config().id2label.clone();
    let rows = tokenize(&tokenizer, split, &a.split)?;
    let args = TrainingArguments {
        per_device_eval_batch_size: a.batch_size,
        ..Default::default()
    };
    let inputs = TrainerInputs {
        train_dataset: None,
        eval_dataset: None,
        data_collator: DataCollatorWithPadding::new(tokenizer.pad_token_id()?),
        task: Some(task),
    };
    let mut trainer = Trainer::new(backend, args, inputs)?;
    let out = pollster::block_on(trainer.predict_with_prefix(&rows, "eval"))?;
    if global.json {
        let text = serde_json::to_string_pretty(&out.metrics)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        println!("{text}");
    } else {
        println!("{} split, {} rows:", a.split, rows.len());
        println!("{}", metric_table(&out.metrics));
    }
    if let Some(path) = &a.predictions {
        let mut file = std::fs::File::create(path).map_err(|e| Error::io(path.display(), e))?;
        let ids = argmax_rows(&out.predictions, out.num_labels);
        for (i, logits) in out.predictions.chunks(out.num_labels).enumerate() {
            let line = serde_json::json!({
                "row": i,
                "logits": logits,
                "prediction": if out.num_labels == 1 { serde_json::json!(logits[0]) } else { serde_json::json!(ids[i]) },
                "label_name": names.get(ids[i]),
                "label": out.label_ids.get(i),
            });
            writeln!(file, "{line}").map_err(|e| Error::io(path.display(), e))?;
        }
        eprintln!("predictions written to {}", path.display());
    }
    Ok(())
}

/// A fine-tuned model and its tokenizer: the labels come from its `config.json`, and a head
/// missing from its weights is reported (it would be random).
pub fn load_trained(
    global: &GlobalArgs,
    model: &str,
    backend: &BackendArgs,
) -> Result<(AnyBackend, wick_engine::tokenize::Tokenizer)> {
    let hub = global.hub();
    let files = load_model_files(&hub, &global.model_source(model)?)?;
    let tokenizer = tokenizer_of(&files)?;
    let config = ModelConfig::from_json(&files.config_json, "config.json")?;
    let (backend, report) = backend.load(config, &files.weights)?;
    if !report.newly_initialized.is_empty() {
        eprintln!(
            "warning: {model} has no trained classification head; its predictions are random"
        );
    }
    print_load_report(&report);
    Ok((backend, tokenizer))
}
