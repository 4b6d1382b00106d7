//! Finding and reading manifest files: stdin, single files, folders walked in name order.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::STDIN_ORIGIN;
use crate::{Error, Result};

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// The names kustomize reads its build configuration from: not manifests, and free to omit
/// `apiVersion` and `kind`, so a folder walk passes over them.
const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Hands the text of every file `paths` name to `each`, in order, with the name messages should
/// use. One file at a time, so a large manifest set is never held in memory twice.
pub(super) fn read_each(paths: &[PathBuf], each: &mut dyn FnMut(String, String) -> Result<()>) -> Result<()> {
    let mut stdin_read = false;
    for path in paths {
        if path.as_os_str() == "-" {
            // Standard input can be consumed only once; naming it twice means the same stream.
            if !stdin_read {
                stdin_read = true;
                each(STDIN_ORIGIN.to_owned(), read_stdin()?)?;
            }
            continue;
        }
        let metadata = std::fs::metadata(path).map_err(|source| Error::Io { path: path.clone(), source })?;
        if metadata.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut HashSet::new(), &mut files)?;
            for file in files {
                each(file.display().to_string(), read_file(&file)?)?;
            }
        } else {
            each(path.display().to_string(), read_file(path)?)?;
        }
    }
    Ok(())
}

/// Whether a file is JSON by its name (JSON errors are then the ones to report).
pub(super) fn is_json(origin: &str) -> bool {
    Path::new(origin).extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

fn read_stdin() -> Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Io { path: PathBuf::from(STDIN_ORIGIN), source })?;
    utf8(bytes, STDIN_ORIGIN)
}

fn read_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    utf8(bytes, &path.display().to_string())
}

fn utf8(bytes: Vec<u8>, origin: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
        Error::Manifest {
            path: origin.to_owned(),
            document: None,
            line: Some(line),
            message: "not UTF-8 text".to_owned(),
        }
    })
}

/// Collects manifest files under `dir`, sorted by name at each level so the result never
/// depends on the file system's order. Hidden folders (`.git`) and kustomization files are
/// skipped; a symlinked folder seen before is not entered again, so link cycles end.
fn walk(dir: &Path, seen: &mut HashSet<PathBuf>, files: &mut Vec<PathBuf>) -> Result<()> {
    let io_error = |source| Error::Io { path: dir.to_owned(), source };
    if !seen.insert(std::fs::canonicalize(dir).map_err(io_error)?) {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(dir)
        .map_err(io_error)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(io_error)?;
    entries.sort();
    for path in entries {
        let hidden = path.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.'));
        // A dangling symlink is skipped, as it names no file to read.
        let Ok(metadata) = std::fs::metadata(&path) else { continue };
        if metadata.is_dir() {
            if !hidden {
                walk(&path, seen, files)?;
            }
        } else if has_manifest_extension(&path) && !is_kustomization(&path) {
            files.push(path);
        }
    }
    Ok(())
}

fn is_kustomization(path: &Path) -> bool {
    path.file_name().is_some_and(|name| KUSTOMIZATION_FILES.iter().any(|k| name == *k))
}

fn has_manifest_extension(path: &Path) -> bool {
    path.extension().is_some_and(|e| EXTENSIONS.iter().any(|ext| e.eq_ignore_ascii_case(ext)))
}
