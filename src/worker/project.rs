//! "Run it on a GPU server": the session's run (the form's settings, the checkpoint and data as
//! loaded, the weights trained here) as a transformers + accelerate project, in one zip. The
//! engine's `project::generate` writes the same folder as `wick export-project`.

use super::post;
use super::session::Session;
use super::training::{saved_model, training_arguments};
use crate::protocol::{Event, ExportedFile, TrainForm};
use crate::web::blob;
use wick_engine::project::{self, DataOrigin, ModelOrigin, ProjectSpec};

/// The folder the zip unpacks to.
const FOLDER: &str = "wick-project";

pub async fn export(s: &Session, form: &TrainForm, max_data_bytes: u64) -> Result<(), String> {
    let err = |e: wick_engine::Error| e.to_string();
    let args = training_arguments(form)?;
    let files = s.files()?;
    let tokenizer = s.tokenizer()?;
    let data = s.data()?;
    let model_hub = s.checkpoint.borrow().as_ref().and_then(|c| c.hub.clone());
    let data_hub = s.data_hub.borrow().clone();
    let eval_split = data
        .validation_name()
        .ok_or("the data set has no validation split")?;
    let data_origin = match data_hub {
        Some((repo, config)) => DataOrigin::Hub { repo, config },
        None => {
            let own = project::own_data_files(&data, eval_split).map_err(err)?;
            if project::check_data_size(&own, max_data_bytes).is_err() {
                let bytes = project::data_bytes(&own);
                let limit = max_data_bytes;
                post(&Event::ProjectDataTooLarge { bytes, limit }, &[]);
                return Ok(());
            }
            DataOrigin::Own(own)
        }
    };
    let (model_files, trained) = saved_model(s).await?;
    let task = data.task.clone().unwrap_or_else(|| "custom".into());
    let spec = ProjectSpec {
        model: match &model_hub {
            Some(repo) => ModelOrigin::Hub(repo),
            None => ModelOrigin::Files(&files),
        },
        data: data_origin,
        dataset: &data,
        eval_split,
        task: &task,
        args: &args,
        train_rows: form.train_rows,
        max_length: tokenizer.max_length(),
        wick_model: trained.then_some(model_files.as_slice()),
        exported_from: "the Wick page",
        ignore_mismatched_sizes: s.ignore_mismatched_sizes()?,
    };
    let out = project::generate(&spec).map_err(err)?;
    let list: Vec<ExportedFile> = out
        .files
        .iter()
        .map(|(name, bytes)| ExportedFile {
            name: format!("{FOLDER}/{name}"),
            bytes: bytes.len() as u64,
        })
        .collect();
    let files: Vec<_> = out
        .files
        .into_iter()
        .map(|(name, bytes)| (format!("{FOLDER}/{name}"), bytes))
        .collect();
    let zip = project::to_zip(&files).map_err(err)?;
    let file = ExportedFile {
        name: format!("{FOLDER}.zip"),
        bytes: zip.len() as u64,
    };
    let blob = blob(&zip, "application/zip")?;
    let mut launch = vec![format!("unzip {FOLDER}.zip"), format!("cd {FOLDER}")];
    launch.extend(out.launch);
    post(
        &Event::ProjectExported {
            zip: file,
            files: list,
            launch,
        },
        &[blob],
    );
    Ok(())
}
