//! A project's files on disk (the CLI: all of them or none) or as one zip (the browser's
//! download).

use crate::export::ExportFile;
use crate::{Error, Result};
use std::io::Write;

/// The files as a zip archive: text deflated, weights stored (they do not compress).
pub fn to_zip(files: &[ExportFile]) -> Result<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    use zip::CompressionMethod;
    let err = |e: &dyn std::fmt::Display| Error::Invalid(format!("zip: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        let method = if name.ends_with(".safetensors") {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .unix_permissions(0o644)
            .large_file(bytes.len() as u64 >= u32::MAX as u64);
        zip.start_file(name.as_str(), options)
            .map_err(|e| err(&e))?;
        zip.write_all(bytes).map_err(|e| err(&e))?;
    }
    let cursor = zip.finish().map_err(|e| err(&e))?;
    Ok(cursor.into_inner())
}

/// Write `files` (names relative, `/`-separated) as the folder `dir`, all or nothing: they go
/// to a hidden folder beside it first, each synced to disk, which is then renamed (run
/// checkpoints are written this way too). A `dir` that exists and is not
/// empty is an error unless `force`, which replaces it (only once the new folder is complete).
#[cfg(not(target_arch = "wasm32"))]
pub fn write_project(dir: &std::path::Path, files: &[ExportFile], force: bool) -> Result<()> {
    use std::fs;
    let io = |path: &std::path::Path, e: &dyn std::fmt::Display| Error::io(path.display(), e);
    let existing = match fs::read_dir(dir) {
        Ok(mut entries) => Some(entries.next().is_some()),
        Err(_) if !dir.exists() => None,
        Err(e) => {
            return Err(io(
                dir,
                &format!("exists and cannot be read as a folder: {e}"),
            ))
        }
    };
    if existing == Some(true) && !force {
        return Err(io(
            dir,
            &"exists and is not empty; pass --force to replace it",
        ));
    }
    let name = dir
        .file_name()
        .ok_or_else(|| io(dir, &"not a folder name"))?
        .to_string_lossy()
        .into_owned();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| io(&parent, &e))?;
    let tmp = parent.join(format!(".{name}.wick-tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    let written = files.iter().try_for_each(|(file, bytes)| {
        let path = tmp.join(file);
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder).map_err(|e| io(folder, &e))?;
        }
        let mut f = fs::File::create(&path).map_err(|e| io(&path, &e))?;
        f.write_all(bytes).map_err(|e| io(&path, &e))?;
        f.sync_all().map_err(|e| io(&path, &e))
    });
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    // The old folder moves aside, the new one takes its name, then the old one goes.
    let old = parent.join(format!(".{name}.wick-old-{}", std::process::id()));
    if existing.is_some() {
        if let Err(e) = fs::rename(dir, &old) {
            let _ = fs::remove_dir_all(&tmp);
            return Err(io(dir, &e));
        }
    }
    if let Err(e) = fs::rename(&tmp, dir) {
        if existing.is_some() {
            let _ = fs::rename(&old, dir);
        }
        let _ = fs::remove_dir_all(&tmp);
        return Err(io(dir, &e));
    }
    if existing.is_some() {
        fs::remove_dir_all(&old).map_err(|e| io(&old, &e))?;
    }
    Ok(())
}
