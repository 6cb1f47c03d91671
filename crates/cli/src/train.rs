//! `wick train`: the course's chapter 3 from a terminal. Loads a checkpoint and a data set,
//! tokenizes, trains with transformers' `Trainer` semantics (progress bar with loss and ETA, a
//! metric table after every evaluation, the log history as JSON lines), evaluates on the
//! validation split and saves the model in `save_pretrained` layout.
//!
//! The helpers at the bottom (loading a model, tokenizing a split, the metric table) are shared
//! with `evaluate`, `predict` and `bench`.

use crate::common::{self, BackendArgs, DownloadBars, GlobalArgs, NativeHub};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::PathBuf;
use wick_engine::backend::Backend;
use wick_engine::collate::DataCollatorWithPadding;
use wick_engine::data::{load_dataset, Dataset, DatasetDict};
use wick_engine::export::{self, ExportInputs};
use wick_engine::hub::{ModelFiles, Source};
use wick_engine::metrics::Metrics;
use wick_engine::model::{LoadReport, ModelConfig};
use wick_engine::tokenize::{TokenizedSplit, Tokenizer};
use wick_engine::train::checkpoint::{self, Checkpoint};
use wick_engine::train::{Event, IntervalStrategy, Trainer, TrainerInputs, TrainingArguments};
use wick_engine::{Error, Result};

#[derive(clap::Args)]
pub struct Args {
    /// The checkpoint: a local folder or a Hub model id.
    #[arg(long)]
    pub model: String,
    /// The data set: `glue/mrpc`, a Hub data set id, or a local folder (GLUE TSVs, parquet, ...).
    #[arg(long)]
    pub data: String,
    /// The GLUE task (metric and labels); default: the data set's own, if it is a GLUE task.
    #[arg(long)]
    pub task: Option<String>,
    #[arg(long, default_value_t = 3.0)]
    pub epochs: f64,
    /// Per-device train (and eval) batch size.
    #[arg(long, default_value_t = 8)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 5e-5)]
    pub lr: f64,
    /// When to evaluate on the validation split: no, steps, epoch.
    #[arg(long, default_value = "epoch")]
    pub eval_strategy: String,
    /// With `--eval-strategy steps`: every this many steps (default: --logging-steps).
    #[arg(long)]
    pub eval_steps: Option<usize>,
    /// Stop after this many optimizer steps (overrides --epochs).
    #[arg(long, default_value_t = -1, allow_hyphen_values = true)]
    pub max_steps: i64,
    #[arg(long, default_value_t = 50)]
    pub logging_steps: usize,
    #[arg(long, default_value_t = 0.0)]
    pub warmup_ratio: f64,
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f64,
    #[arg(long, default_value_t = 1)]
    pub gradient_accumulation_steps: usize,
    /// Where the trained model is saved (`save_pretrained` layout).
    #[arg(long, default_value = "wick_output")]
    pub output_dir: PathBuf,
    /// Write every log record and evaluation as a JSON line to this file.
    #[arg(long)]
    pub log_json: Option<PathBuf>,
    /// Save a run checkpoint, `OUTPUT_DIR/checkpoint-N` (model, optimizer and scheduler state,
    /// trainer_state.json), every this many optimizer steps and after the last one.
    #[arg(long)]
    pub save_steps: Option<usize>,
    /// Keep only the newest K checkpoints in --output-dir.
    #[arg(long, value_name = "K")]
    pub save_total_limit: Option<usize>,
    /// Go on with the run of a checkpoint folder (`latest`: the newest in --output-dir), with
    /// the same arguments: the losses are those of the run that was never stopped.
    #[arg(long, value_name = "DIR|latest")]
    pub resume_from_checkpoint: Option<String>,
    #[command(flatten)]
    pub backend: BackendArgs,
}

impl Args {
    pub fn training_arguments(&self) -> Result<TrainingArguments> {
        let args = TrainingArguments {
            output_dir: self.output_dir.display().to_string(),
            learning_rate: self.lr,
            per_device_train_batch_size: self.batch_size,
            per_device_eval_batch_size: self.batch_size,
            gradient_accumulation_steps: self.gradient_accumulation_steps,
            num_train_epochs: self.epochs,
            max_steps: self.max_steps,
            weight_decay: self.weight_decay,
            warmup_ratio: self.warmup_ratio,
            logging_steps: self.logging_steps,
            eval_strategy: self.eval_strategy.parse()?,
            eval_steps: self.eval_steps,
            seed: self.backend.seed,
            // transformers saves every 500 steps by default; `wick train` only when asked.
            save_strategy: match self.save_steps {
                Some(_) => IntervalStrategy::Steps,
                None => IntervalStrategy::No,
            },
            save_steps: self.save_steps.unwrap_or(500),
            save_total_limit: self.save_total_limit,
            ..TrainingArguments::default()
        };
        args.validate()?;
        Ok(args)
    }
}

pub fn run(global: &GlobalArgs, a: Args) -> Result<()> {
    let args = a.training_arguments()?;
    let hub = global.hub();
    let data = load_data(&hub, &a.data)?;
    let task = task_name(a.task.as_deref(), &data)?;
    let train_set = data.train().ok_or_else(|| no_split(&a.data, "train"))?;
    let eval_set = data
        .validation()
        .ok_or_else(|| no_split(&a.data, "validation"))?;
    let labels = data.label_names();
    let num_labels = data.num_labels().ok_or_else(|| {
        Error::Invalid(format!(
            "{}: cannot tell how many labels the data set has",
            a.data
        ))
    })?;

    let files = load_model_files(&hub, &global.model_source(&a.model)?)?;
    let tokenizer = tokenizer_of(&files)?;
    let config = ModelConfig::from_json(&files.config_json, "config.json")?
        .with_labels(num_labels, labels)?;
    let mut resume = match &a.resume_from_checkpoint {
        Some(spec) => {
            let dir = match spec.as_str() {
                "latest" => checkpoint::latest_checkpoint(&a.output_dir)?,
                dir => PathBuf::from(dir),
            };
            let saved = checkpoint::read_checkpoint(&dir, &config)?;
            // Before the tokenizing: a refused resume says so at once.
            checkpoint::check_same_run(&saved.args, &args)?;
            Some((saved, dir))
        }
        None => None,
    };
    let backend = match resume.as_mut() {
        // The backend holds the weights from here on; `resume` needs only the rest.
        Some((saved, _)) => a
            .backend
            .build(config, std::mem::take(&mut saved.weights))?,
        None => {
            let (backend, report) = a.backend.load(config, &files.weights)?;
            print_load_report(&report);
            backend
        }
    };
    let config = backend.config().clone();
    let train = tokenize(&tokenizer, train_set, "train")?;
    let eval = tokenize(&tokenizer, eval_set, "validation")?;

    let inputs = TrainerInputs {
        train_dataset: Some(train),
        eval_dataset: Some(eval.clone()),
        data_collator: DataCollatorWithPadding::new(tokenizer.pad_token_id()?),
        task: Some(task.clone()),
    };
    let mut trainer = Trainer::new(backend, args.clone(), inputs)?;
    if let Some((saved, dir)) = resume {
        let step = saved.state.global_step;
        trainer.resume(saved)?;
        eprintln!("resuming from {} at step {step}", dir.display());
    }
    let plan = *trainer.plan();
    eprintln!(
        "training {} rows for {} epochs: {} steps of {} ({} per epoch), task {task}",
        train_set.num_rows(),
        plan.num_epochs,
        plan.max_steps,
        args.per_device_train_batch_size * args.gradient_accumulation_steps,
        plan.steps_per_epoch,
    );

    let mut log = match &a.log_json {
        Some(path) => Some(std::fs::File::create(path).map_err(|e| Error::io(path.display(), e))?),
        None => None,
    };
    let bar = ProgressBar::new(plan.max_steps as u64);
    let template = "{wide_bar} {pos}/{len} steps [{elapsed_precise}<{eta_precise}] {msg}";
    bar.set_style(ProgressStyle::with_template(template).expect("a valid template"));
    bar.set_position(trainer.state().global_step as u64);
    while let Some(events) = pollster::block_on(trainer.step())? {
        bar.inc(1);
        for event in &events {
            if let Some(file) = log.as_mut() {
                let line =
                    serde_json::to_string(event).map_err(|e| Error::Invalid(e.to_string()))?;
                writeln!(file, "{line}").map_err(|e| Error::io("--log-json", e))?;
            }
            match event {
                Event::Log(r) => bar.set_message(format!(
                    "loss {:.4} lr {:.2e} {:.1} ex/s",
                    r.loss, r.learning_rate, r.examples_per_second
                )),
                Event::Evaluation(r) => {
                    bar.println(format!("evaluation at step {} (epoch {:.2}):", r.step, r.epoch));
                    bar.println(metric_table(&r.metrics));
                }
                Event::TrainEnd(s) => bar.println(format!(
                    "trained {} steps in {:.1} s: train_loss {:.4}, {:.2} examples/s, {:.0} tokens/s",
                    s.step,
                    s.train_runtime,
                    s.train_loss,
                    s.train_samples_per_second,
                    s.train_tokens_per_second
                )),
            }
        }
        if trainer.should_save() {
            let (dir, seconds) =
                save_checkpoint(&mut trainer, &a.output_dir, &config, &files, &tokenizer)?;
            bar.println(format!("saved {} in {seconds:.1} s", dir.display()));
        }
    }
    bar.finish_and_clear();

    let result = pollster::block_on(trainer.predict_with_prefix(&eval, "eval"))?;
    println!("validation ({} rows):", eval.len());
    println!("{}", metric_table(&result.metrics));

    if args.save_final_model {
        let weights = pollster::block_on(trainer.backend.weights())?;
        let inputs = ExportInputs::from_checkpoint(&config, &weights, &files, &tokenizer);
        let files = export::save_pretrained(&inputs)?;
        export::write_files(&a.output_dir, &files)?;
        println!("model saved to {}", a.output_dir.display());
    }
    Ok(())
}

/// Write the trainer's checkpoint to `output_dir/checkpoint-N`, then delete the oldest beyond
/// `save_total_limit`. Returns the folder and the seconds it took.
fn save_checkpoint<B: Backend>(
    trainer: &mut Trainer<B>,
    output_dir: &std::path::Path,
    config: &ModelConfig,
    files: &ModelFiles,
    tokenizer: &Tokenizer,
) -> Result<(PathBuf, f64)> {
    let start = std::time::Instant::now();
    let saved: Checkpoint = pollster::block_on(trainer.checkpoint())?;
    let model = ExportInputs::from_checkpoint(config, &saved.weights, files, tokenizer);
    let dir = checkpoint::write_checkpoint(
        output_dir,
        saved.state.global_step,
        &saved.to_files(&model)?,
    )?;
    checkpoint::rotate_checkpoints(output_dir, saved.args.save_total_limit)?;
    Ok((dir, start.elapsed().as_secs_f64()))
}

fn no_split(data: &str, split: &str) -> Error {
    Error::Invalid(format!("{data}: the data set has no {split} split"))
}

/// `--task`, else the data set's GLUE task; an unknown data set needs `--task`.
pub fn task_name(task: Option<&str>, data: &DatasetDict) -> Result<String> {
    match (task, &data.task) {
        (Some(t), _) => Ok(t.to_string()),
        (None, Some(t)) => Ok(t.clone()),
        (None, None) => Ok("custom".to_string()),
    }
}

pub fn load_data(hub: &NativeHub, spec: &str) -> Result<DatasetDict> {
    let mut bars = DownloadBars::default();
    pollster::block_on(load_dataset(hub, spec, &mut |p| bars.update(p)))
}

pub fn load_model_files(hub: &NativeHub, source: &Source) -> Result<ModelFiles> {
    let mut bars = DownloadBars::default();
    pollster::block_on(ModelFiles::load(hub, source, &mut |p| bars.update(p)))
}

pub fn tokenizer_of(files: &ModelFiles) -> Result<Tokenizer> {
    Tokenizer::from_model_files(
        files.tokenizer_json.as_bytes(),
        files.config_json.as_bytes(),
        files.tokenizer_config_json.as_deref().map(str::as_bytes),
    )
}

/// `dataset.map(tokenize_function, batched=True)` with a progress bar.
pub fn tokenize(tokenizer: &Tokenizer, split: &Dataset, name: &str) -> Result<TokenizedSplit> {
    let columns = split.text_columns();
    let first = columns
        .first()
        .and_then(|c| split.text(c))
        .ok_or_else(|| Error::Invalid(format!("{name}: no text column")))?;
    let second = columns.get(1).and_then(|c| split.text(c));
    let labels = split.labels().unwrap_or_default();
    let bar = common::rows_bar(&format!("tokenizing {name}"), split.num_rows());
    let out = tokenizer.encode_split(first, second, labels, &mut |done, _| {
        bar.set_position(done as u64)
    });
    bar.finish_and_clear();
    out
}

pub fn print_load_report(report: &LoadReport) {
    let text = report.to_string();
    if !text.is_empty() {
        eprint!("{text}");
    }
}

/// Metrics as a two-column table, in transformers' order: loss, the task metrics, speeds.
pub fn metric_table(metrics: &Metrics) -> String {
    let rank = |k: &str| {
        if k.ends_with("_loss") {
            0
        } else if k.ends_with("_runtime") || k.ends_with("_per_second") || k == "epoch" {
            2
        } else {
            1
        }
    };
    let mut keys: Vec<&String> = metrics.keys().collect();
    keys.sort_by_key(|k| rank(k));
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| vec![k.to_string(), format!("{:.4}", metrics[k.as_str()])])
        .collect();
    common::table(&["metric", "value"], &rows)
}
