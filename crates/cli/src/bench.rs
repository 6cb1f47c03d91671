//! `wick bench`: training speed (examples/s, tokens/s) of the CPU backend for a model, batch
//! size and sequence length, next to PyTorch's for the same work
//! (`tests/reference/bench_torch.py`, run here when Python with torch is present, or read from
//! `--torch-json`), with the ratio.

use crate::common::{self, GlobalArgs};
use crate::train::load_model_files;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use wick_engine::backend::Backend;
use wick_engine::collate::Batch;
use wick_engine::hub::Source;
use wick_engine::model::CpuBackend;
use wick_engine::optim::AdamWConfig;
use wick_engine::{rng, Error, Result};

#[derive(clap::Args)]
pub struct Args {
    /// The checkpoint: a local folder or a Hub model id.
    #[arg(long)]
    pub model: String,
    #[arg(long, default_value_t = 8)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 64)]
    pub seq_len: usize,
    /// Timed training steps (after `--warmup` untimed ones).
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    /// PyTorch's numbers: the JSON line `bench_torch.py` prints.
    #[arg(long)]
    pub torch_json: Option<PathBuf>,
    /// Do not run `bench_torch.py` even when Python and torch are there.
    #[arg(long)]
    pub no_torch: bool,
}

/// One measurement; `bench_torch.py` prints the same fields.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BenchResult {
    pub engine: String,
    pub model: String,
    pub batch_size: usize,
    pub seq_len: usize,
    pub steps: usize,
    pub seconds: f64,
    pub examples_per_second: f64,
    pub tokens_per_second: f64,
}

#[derive(Serialize)]
struct Report {
    wick: BenchResult,
    torch: Option<BenchResult>,
    /// Wick's examples/s over PyTorch's.
    ratio: Option<f64>,
}

pub fn run(global: &GlobalArgs, a: Args) -> Result<()> {
    if a.batch_size == 0 || a.seq_len < 2 || a.steps == 0 {
        return Err(Error::Invalid(
            "bench: --batch-size, --steps >= 1 and --seq-len >= 2".into(),
        ));
    }
    let source = global.model_source(&a.model)?;
    let files = load_model_files(&global.hub(), &source)?;
    let (mut backend, _) = CpuBackend::load(&files.config_json, &files.weights, 2, None, 0)?;
    let vocab = backend.config().vocab_size as u32;
    if a.seq_len > backend.config().max_position_embeddings {
        return Err(Error::Invalid(format!(
            "bench: --seq-len {} is longer than the model's {} positions",
            a.seq_len,
            backend.config().max_position_embeddings
        )));
    }
    let batch = random_batch(a.batch_size, a.seq_len, vocab);
    let cfg = AdamWConfig::default();
    let mut train_step = |step: usize| -> Result<()> {
        backend.accumulate(&batch, 1, Some(rng::step_seed(0, step as u64)))?;
        backend.step(5e-5, &cfg)
    };
    for step in 0..a.warmup {
        train_step(step)?;
    }
    let start = std::time::Instant::now();
    for step in 0..a.steps {
        train_step(a.warmup + step)?;
    }
    pollster::block_on(backend.take_stats())?;
    let seconds = start.elapsed().as_secs_f64();
    let examples = (a.batch_size * a.steps) as f64;
    let wick = BenchResult {
        engine: format!("wick-{}", backend.name()),
        model: a.model.clone(),
        batch_size: a.batch_size,
        seq_len: a.seq_len,
        steps: a.steps,
        seconds,
        examples_per_second: examples / seconds,
        tokens_per_second: examples * a.seq_len as f64 / seconds,
    };
    let torch = match (&a.torch_json, &source) {
        (Some(path), _) => Some(read_torch_json(path)?),
        (None, Source::Local(dir)) if !a.no_torch => run_torch(dir, &a),
        _ => None,
    };
    let ratio = torch
        .as_ref()
        .map(|t| wick.examples_per_second / t.examples_per_second);
    let report = Report { wick, torch, ratio };
    common::output(global.json, &report, || {
        let row = |r: &BenchResult| {
            vec![
                r.engine.clone(),
                format!("{:.2}", r.examples_per_second),
                format!("{:.0}", r.tokens_per_second),
                format!("{:.3}", r.seconds / r.steps as f64),
            ]
        };
        let mut rows = vec![row(&report.wick)];
        rows.extend(report.torch.as_ref().map(row));
        let mut text = format!(
            "training steps of {} x {} tokens, {} timed after {} warmup:\n",
            a.batch_size, a.seq_len, a.steps, a.warmup
        );
        text += &common::table(&["engine", "examples/s", "tokens/s", "s/step"], &rows);
        match report.ratio {
            Some(r) => text += &format!("wick / torch: {r:.2}x\n"),
            None => text += "torch: not measured (no Python with torch, or --no-torch)\n",
        }
        text
    })
}

/// Rows of `[CLS]` (id 101 in BERT vocabularies) then ids drawn from the counter RNG.
fn random_batch(batch_size: usize, seq_len: usize, vocab: u32) -> Batch {
    let n = batch_size * seq_len;
    let low = 1000.min(vocab / 2);
    let input_ids = (0..n)
        .map(|i| {
            if i % seq_len == 0 && vocab > 101 {
                101
            } else {
                low + rng::hash32(i as u32) % (vocab - low)
            }
        })
        .collect();
    Batch {
        batch_size,
        seq_len,
        input_ids,
        token_type_ids: vec![0; n],
        attention_mask: vec![1; n],
        labels: (0..batch_size)
            .map(|i| (rng::hash32(7 + i as u32) % 2) as f32)
            .collect(),
    }
}

fn read_torch_json(path: &Path) -> Result<BenchResult> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path.display(), e))?;
    parse_last_json_line(&text).ok_or_else(|| {
        Error::data(
            path.display().to_string(),
            None,
            "no bench_torch.py JSON line",
        )
    })
}

fn parse_last_json_line(text: &str) -> Option<BenchResult> {
    text.lines()
        .rev()
        .find_map(|line| serde_json::from_str(line.trim()).ok())
}

/// Run `tests/reference/bench_torch.py` with the same settings, if Python has torch.
fn run_torch(model_dir: &Path, a: &Args) -> Option<BenchResult> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference/bench_torch.py");
    if !script.exists() {
        return None;
    }
    eprintln!("running {} (PyTorch)...", script.display());
    let out = std::process::Command::new("python3")
        .arg(&script)
        .args(["--model", &model_dir.display().to_string()])
        .args([
            "--batch-size",
            &a.batch_size.to_string(),
            "--seq-len",
            &a.seq_len.to_string(),
        ])
        .args([
            "--steps",
            &a.steps.to_string(),
            "--warmup",
            &a.warmup.to_string(),
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "bench_torch.py failed (exit {}); is torch installed?",
            out.status
        );
        return None;
    }
    parse_last_json_line(&String::from_utf8_lossy(&out.stdout))
}
