//! What the commands share: the global options, turning MODEL / DATA arguments into engine
//! sources, the download progress bar, output and errors.

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;
use wick_engine::backend::NamedTensor;
use wick_engine::hub::{
    DirStore, Hub, Progress, RepoKind, Source, TokenizerFiles, UreqFetch, DEFAULT_ENDPOINT,
};
use wick_engine::model::{LoadReport, ModelConfig};
use wick_engine::tokenize::Tokenizer;
use wick_engine::{Error, Result};
use wick_webgpu::{AnyBackend, BackendKind, GpuOptions};

/// Options every command takes.
#[derive(clap::Args)]
pub struct GlobalArgs {
    /// The Hub to download from (a mirror, or a local server with the Hub's URL paths).
    #[arg(long, global = true, env = "HF_ENDPOINT", default_value = DEFAULT_ENDPOINT)]
    pub hub_endpoint: String,
    /// A Hub access token, for gated or private repositories.
    #[arg(long, global = true, env = "HF_TOKEN", hide_env_values = true)]
    pub hub_token: Option<String>,
    /// Print machine-readable JSON on stdout instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

pub type NativeHub = Hub<UreqFetch, DirStore>;

/// `--backend` and `--seed` of the commands that run a model (train, evaluate, predict).
#[derive(clap::Args, Clone, Copy)]
pub struct BackendArgs {
    /// Where the arithmetic runs: the CPU (candle) or WebGPU (our WGSL kernels through wgpu:
    /// Vulkan, Metal or DX12).
    #[arg(long, value_enum, default_value = "cpu")]
    pub backend: BackendChoice,
    /// Seed of the run, and of a new classification head where the checkpoint has none (the
    /// same head on either backend).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// With `--backend webgpu`, where the adapter has `shader-f16`: matmul tiles in f16
    /// (faster on GPUs, about 1e-3 less exact than fp32).
    #[arg(long)]
    pub webgpu_f16: bool,
    /// Draw afresh the checkpoint tensors whose shape differs from the model's (a head trained
    /// for another number of labels), as transformers' `ignore_mismatched_sizes=True`; the load
    /// report lists each with both shapes.
    #[arg(long)]
    pub ignore_mismatched_sizes: bool,
}

#[derive(clap::ValueEnum, Clone, Copy)]
pub enum BackendChoice {
    Cpu,
    Webgpu,
}

impl BackendArgs {
    /// A checkpoint on the chosen backend, with its load report.
    pub fn load(
        &self,
        config: ModelConfig,
        safetensors: &[u8],
    ) -> Result<(AnyBackend, LoadReport)> {
        let (kind, gpu) = self.kind();
        pollster::block_on(AnyBackend::from_checkpoint(
            kind,
            &gpu,
            config,
            safetensors,
            self.seed,
            self.ignore_mismatched_sizes,
        ))
    }

    /// The chosen backend holding `weights` (every parameter, transformers' names).
    pub fn build(&self, config: ModelConfig, weights: Vec<NamedTensor>) -> Result<AnyBackend> {
        let (kind, gpu) = self.kind();
        pollster::block_on(AnyBackend::new(kind, &gpu, config, weights))
    }

    fn kind(&self) -> (BackendKind, GpuOptions) {
        let kind = match self.backend {
            BackendChoice::Cpu => BackendKind::Cpu,
            BackendChoice::Webgpu => BackendKind::WebGpu,
        };
        let gpu = GpuOptions {
            allow_f16: self.webgpu_f16,
            ..GpuOptions::default()
        };
        (kind, gpu)
    }
}

impl GlobalArgs {
    pub fn hub(&self) -> NativeHub {
        Hub::native(&self.hub_endpoint, self.hub_token.clone())
    }

    /// A MODEL argument: a local folder (or a file in it), else a Hub model id.
    pub fn model_source(&self, spec: &str) -> Result<Source> {
        Source::parse(spec, RepoKind::Model, &self.hub_endpoint)
    }
}

/// The tokenizer of a model (`tokenizer.json` or `vocab.txt`, `config.json`,
/// `tokenizer_config.json` when there is one: `TokenizerFiles`); the weights are not downloaded.
pub fn load_tokenizer(hub: &NativeHub, model: &Source) -> Result<Tokenizer> {
    let mut bars = DownloadBars::default();
    let mut progress = |p: &Progress| bars.update(p);
    let files = pollster::block_on(TokenizerFiles::load(hub, model, &mut progress))?;
    Tokenizer::from_model_files(
        files.tokenizer_json.as_bytes(),
        files.config_json.as_bytes(),
        files.tokenizer_config_json.as_deref().map(str::as_bytes),
    )
}

/// One progress bar per download on stderr (bytes, rate), none for cached files. indicatif
/// draws nothing when stderr is not a terminal.
#[derive(Default)]
pub struct DownloadBars {
    bars: HashMap<String, ProgressBar>,
}

impl DownloadBars {
    pub fn update(&mut self, p: &Progress) {
        if p.cached {
            return;
        }
        let bar = self.bars.entry(p.url.clone()).or_insert_with(|| {
            let bar = ProgressBar::new(p.total.unwrap_or(0));
            let template =
                "{msg} {wide_bar} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec}";
            bar.set_style(ProgressStyle::with_template(template).expect("a valid template"));
            bar.set_message(p.url.rsplit('/').next().unwrap_or("").to_string());
            bar
        });
        if let Some(total) = p.total {
            bar.set_length(total);
        }
        bar.set_position(p.done);
        if p.total == Some(p.done) {
            bar.finish_and_clear();
        }
    }
}

/// A progress bar over rows (tokenizing a split), on stderr.
pub fn rows_bar(what: &str, total: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    let template = "{msg} {wide_bar} {pos}/{len} rows {per_sec}";
    bar.set_style(ProgressStyle::with_template(template).expect("a valid template"));
    bar.set_message(what.to_string());
    bar
}

/// Print `--json` output (pretty, one document) or the human text.
pub fn output(json: bool, value: &impl Serialize, human: impl FnOnce() -> String) -> Result<()> {
    let text = if json {
        serde_json::to_string_pretty(value).map_err(|e| Error::Invalid(format!("json: {e}")))?
    } else {
        human()
    };
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{}", text.trim_end()) {
        // `wick ... | head` closes the pipe early: not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("stdout", e)),
        _ => Ok(()),
    }
}

/// Map a command's result to the exit code; an error is one line on stderr.
pub fn exit(result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wick: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A table with left-aligned columns sized to their widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    out += &line(
        widths
            .iter()
            .map(|&w| "-".repeat(w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    );
    for row in rows {
        out += &line(row.iter().map(String::as_str).collect());
    }
    out
}

/// A JSON object that keeps its keys in the given order (serde_json's own map sorts them):
/// splits in `DatasetDict` order, a row's columns in feature order, as Python prints them.
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<T: Serialize> Serialize for Ordered<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// Load a DATA argument (`glue/mrpc`, a Hub id, a local folder or file), showing downloads.
pub fn load_data(hub: &NativeHub, spec: &str) -> Result<wick_engine::data::DatasetDict> {
    let mut bars = DownloadBars::default();
    pollster::block_on(wick_engine::data::load_dataset(hub, spec, &mut |p| {
        bars.update(p)
    }))
}
