//! `wick export-project --out DIR`: the run `wick train` would do (the same arguments) as a
//! folder that trains with transformers' `Trainer` on a GPU server, one GPU or many, or on the
//! CPU: `train.py`, `requirements.txt`, `README.md` with the launch lines, `wick_run.json`, and
//! the data, checkpoint or trained weights that are not on the Hub.

use crate::common::{self, GlobalArgs};
use crate::train;
use serde::Serialize;
use std::path::PathBuf;
use wick_engine::data::DataSpec;
use wick_engine::hub::Source;
use wick_engine::project::{self, DataOrigin, ModelOrigin, ProjectSpec};
use wick_engine::{Error, Result};

#[derive(clap::Args)]
#[group(id = "export_project")] // `train::Args` (flattened) is the group `Args`
pub struct Args {
    #[command(flatten)]
    pub train: train::Args,
    /// The folder to write: new, or empty (see --force).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace --out when it exists and is not empty.
    #[arg(long)]
    pub force: bool,
    /// Copy a local data set into the project only up to this many megabytes (as JSON lines).
    #[arg(long, default_value_t = 100.0)]
    pub max_data_mb: f64,
    /// A model trained with `wick train` (its --output-dir): shipped in wick_model/ for
    /// `python train.py --from-wick-weights`.
    #[arg(long)]
    pub wick_weights: Option<PathBuf>,
}

#[derive(Serialize)]
struct Output {
    out: String,
    files: Vec<(String, usize)>,
    launch: Vec<String>,
}

pub fn run(global: &GlobalArgs, a: Args) -> Result<()> {
    let args = a.train.training_arguments()?;
    let hub = global.hub();
    let data = train::load_data(&hub, &a.train.data)?;
    let task = train::task_name(a.train.task.as_deref(), &data)?;
    let eval_split = data.validation_name().ok_or_else(|| {
        Error::Invalid(format!(
            "{}: the data set has no validation split",
            a.train.data
        ))
    })?;
    let data_origin = match DataSpec::parse(&a.train.data, &hub.endpoint)? {
        DataSpec {
            source: Source::Hub(repo),
            config,
        } => DataOrigin::Hub { repo, config },
        _ => {
            let files = project::own_data_files(&data, eval_split)?;
            project::check_data_size(&files, (a.max_data_mb * 1e6) as u64)?;
            DataOrigin::Own(files)
        }
    };
    // A Hub checkpoint is named (only its tokenizer is read here); a local one is copied in.
    let source = global.model_source(&a.train.model)?;
    let local_files;
    let (model, max_length) = match &source {
        Source::Hub(repo) => {
            let tokenizer = common::load_tokenizer(&hub, &source)?;
            (ModelOrigin::Hub(repo), tokenizer.max_length())
        }
        _ => {
            local_files = train::load_model_files(&hub, &source)?;
            let tokenizer = train::tokenizer_of(&local_files)?;
            (ModelOrigin::Files(&local_files), tokenizer.max_length())
        }
    };
    let wick_model = match &a.wick_weights {
        Some(dir) => {
            let files = train::load_model_files(&hub, &Source::Local(dir.clone()))?;
            Some(project::model_folder(&files))
        }
        None => None,
    };
    let spec = ProjectSpec {
        model,
        data: data_origin,
        dataset: &data,
        eval_split,
        task: &task,
        args: &args,
        train_rows: 0,
        max_length,
        wick_model: wick_model.as_deref(),
        exported_from: "wick export-project",
        ignore_mismatched_sizes: a.train.backend.ignore_mismatched_sizes,
    };
    let project = project::generate(&spec)?;
    project::write_project(&a.out, &project.files, a.force)?;

    let out = Output {
        out: a.out.display().to_string(),
        files: project
            .files
            .iter()
            .map(|(n, b)| (n.clone(), b.len()))
            .collect(),
        launch: project.launch.clone(),
    };
    common::output(global.json, &out, || {
        let bytes: usize = project.files.iter().map(|(_, b)| b.len()).sum();
        let mut text = format!(
            "wrote {} ({} files, {:.1} MB); run it there, or copy it to a GPU server first:\n\n  cd {}\n",
            a.out.display(),
            project.files.len(),
            bytes as f64 / 1e6,
            a.out.display()
        );
        for line in &project.launch {
            text += &format!("  {line}\n");
        }
        text + "\nREADME.md explains each line and keeps Wick's effective batch on 4 and 8 GPUs."
    })
}
