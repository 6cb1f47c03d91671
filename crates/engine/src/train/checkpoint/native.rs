//! Checkpoint folders on a native file system: written whole or not at all, listed by step,
//! the newest found, the oldest deleted beyond `save_total_limit`, and read back.

use super::{Checkpoint, REQUIRED_FILES};
use crate::export::ExportFile;
use crate::model::ModelConfig;
use crate::{Error, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// transformers' folder name for the checkpoint after `step` optimizer steps
/// (`PREFIX_CHECKPOINT_DIR`).
pub fn folder_name(step: usize) -> String {
    format!("checkpoint-{step}")
}

/// Write `files` as the folder `output_dir/checkpoint-{step}`, whole or not at all (the
/// project export's `write_project`: a hidden folder beside it, each file synced, then renamed),
/// so a crash midway leaves no half checkpoint to resume from. A checkpoint of the same step
/// already there is replaced. Returns the folder.
pub fn write_checkpoint(output_dir: &Path, step: usize, files: &[ExportFile]) -> Result<PathBuf> {
    let target = output_dir.join(folder_name(step));
    crate::project::write_project(&target, files, true)?;
    Ok(target)
}

/// The `checkpoint-N` folders in `output_dir`, oldest (lowest N) first. A missing
/// `output_dir` has none.
pub fn list_checkpoints(output_dir: &Path) -> Result<Vec<(usize, PathBuf)>> {
    let entries = match fs::read_dir(output_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(output_dir.display(), e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(output_dir.display(), e))?;
        let name = entry.file_name();
        let step = name
            .to_str()
            .and_then(|n| n.strip_prefix("checkpoint-"))
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse::<usize>().ok());
        if let (Some(step), true) = (step, entry.path().is_dir()) {
            found.push((step, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// The newest checkpoint in `output_dir` (transformers' `get_last_checkpoint`); an error that
/// says so when there is none.
pub fn latest_checkpoint(output_dir: &Path) -> Result<PathBuf> {
    list_checkpoints(output_dir)?
        .pop()
        .map(|(_, path)| path)
        .ok_or_else(|| {
            Error::io(
                output_dir.display(),
                "no checkpoint-N folder to resume from (save them with save_steps)",
            )
        })
}

/// Delete the oldest checkpoints beyond `limit` (none with `None`); the newest is always kept,
/// as transformers' `rotate_checkpoints`. Returns the folders deleted.
pub fn rotate_checkpoints(output_dir: &Path, limit: Option<usize>) -> Result<Vec<PathBuf>> {
    let Some(limit) = limit else {
        return Ok(Vec::new());
    };
    let all = list_checkpoints(output_dir)?;
    let excess = all.len().saturating_sub(limit.max(1));
    let mut deleted = Vec::new();
    for (_, path) in all.into_iter().take(excess) {
        fs::remove_dir_all(&path).map_err(|e| Error::io(path.display(), e))?;
        deleted.push(path);
    }
    Ok(deleted)
}

/// Read the checkpoint folder `dir` for a model of `config`. A missing file is an error that
/// names it, as is every file that does not fit (see `Checkpoint::from_files`).
pub fn read_checkpoint(dir: &Path, config: &ModelConfig) -> Result<Checkpoint> {
    if !dir.is_dir() {
        return Err(Error::io(dir.display(), "no such checkpoint folder"));
    }
    let label = dir.display().to_string();
    Checkpoint::from_files(&label, config, |name| {
        let path = dir.join(name);
        fs::read(&path).map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "missing; a checkpoint folder holds {}",
                    REQUIRED_FILES.join(", ")
                )
            } else {
                e.to_string()
            };
            Error::io(path.display(), why)
        })
    })
}
