//! Finding and reading manifest files: stdin, single files, folders walked in name order.
//!
//! Only regular files are read. A FIFO would block the reader for ever and a device such as
//! `/dev/zero` never ends, so anything else met in a folder is passed over with a note, and
//! refused when named on the command line. The check is made on the opened file (`fstat`), not
//! only on the name, so a path swapped for a FIFO between the walk and the read is refused too.

use std::collections::HashSet;
use std::fs::{File, FileType, OpenOptions};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::STDIN_ORIGIN;
use crate::{Error, Result};

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// The names kustomize reads its build configuration from: not manifests, and free to omit
/// `apiVersion` and `kind`, so a folder walk passes over them.
const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Hands a reader of every file `paths` name to `each`, in order, with the name messages should
/// use. One file at a time; `each` decides whether to read it whole ([`read_text`]) or in
/// pieces. Files of a folder that are not regular files are passed to `skipped` with the reason.
pub(super) fn read_each(
    paths: &[PathBuf],
    skipped: &mut dyn FnMut(&Path, &'static str),
    each: &mut dyn FnMut(String, &mut dyn BufRead) -> Result<()>,
) -> Result<()> {
    let mut stdin_read = false;
    for path in paths {
        if path.as_os_str() == "-" {
            // Standard input can be consumed only once; naming it twice means the same stream.
            if !stdin_read {
                stdin_read = true;
                each(STDIN_ORIGIN.to_owned(), &mut std::io::stdin().lock())?;
            }
            continue;
        }
        let metadata = std::fs::metadata(path).map_err(|source| Error::Io { path: path.clone(), source })?;
        if metadata.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut HashSet::new(), &mut files, skipped)?;
            for file in files {
                each(file.display().to_string(), &mut BufReader::new(open_file(&file)?))?;
            }
        } else {
            each(path.display().to_string(), &mut BufReader::new(open_file(path)?))?;
        }
    }
    Ok(())
}

/// Whether a file is JSON by its name (JSON errors are then the ones to report).
pub(super) fn is_json(origin: &str) -> bool {
    Path::new(origin).extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// The whole of `reader` as text; `origin` names it in errors.
pub(super) fn read_text(origin: &str, reader: &mut dyn BufRead) -> Result<String> {
    read_text_from(origin, reader, 1)
}

/// The rest of `reader` as text, its first line being line `first_line` of the stream.
pub(super) fn read_text_from(origin: &str, reader: &mut dyn BufRead, first_line: usize) -> Result<String> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|source| Error::Io { path: PathBuf::from(origin), source })?;
    utf8(bytes, origin, first_line)
}

/// Opens a regular file. It is opened without blocking (a FIFO without a writer would otherwise
/// hang the open itself) and refused unless the opened file is a regular one.
fn open_file(path: &Path) -> Result<File> {
    let io_error = |source| Error::Io { path: path.to_owned(), source };
    let file: File = OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path).map_err(io_error)?;
    let metadata = file.metadata().map_err(io_error)?;
    match irregular(metadata.file_type()) {
        None => Ok(file),
        Some(kind) => Err(Error::Manifest {
            path: path.display().to_string(),
            document: None,
            line: None,
            message: format!("{kind}, not a regular file: only regular files and - (stdin) are read"),
        }),
    }
}

/// What a non-regular file is, for messages; `None` for a regular file.
fn irregular(file_type: FileType) -> Option<&'static str> {
    if file_type.is_file() {
        None
    } else if file_type.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if file_type.is_socket() {
        Some("a socket")
    } else if file_type.is_char_device() {
        Some("a character device")
    } else if file_type.is_block_device() {
        Some("a block device")
    } else if file_type.is_dir() {
        Some("a folder")
    } else {
        Some("not a file")
    }
}

/// `bytes` as text, or an error naming the line (counted from `first_line`) that is not UTF-8.
pub(super) fn utf8(bytes: Vec<u8>, origin: &str, first_line: usize) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        not_utf8(origin, first_line + valid.iter().filter(|&&b| b == b'\n').count())
    })
}

/// The error for text that is not UTF-8 on line `line`.
pub(super) fn not_utf8(origin: &str, line: usize) -> Error {
    Error::Manifest { path: origin.to_owned(), document: None, line: Some(line), message: "not UTF-8 text".to_owned() }
}

/// Collects manifest files under `dir`, sorted by name at each level so the result never
/// depends on the file system's order. Hidden folders (`.git`) and kustomization files are
/// skipped; a symlinked folder seen before is not entered again, so link cycles end. A
/// manifest-named entry that is no regular file (or links to none) goes to `skipped`.
fn walk(
    dir: &Path,
    seen: &mut HashSet<PathBuf>,
    files: &mut Vec<PathBuf>,
    skipped: &mut dyn FnMut(&Path, &'static str),
) -> Result<()> {
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
                walk(&path, seen, files, skipped)?;
            }
        } else if has_manifest_extension(&path) && !is_kustomization(&path) {
            match irregular(metadata.file_type()) {
                None => files.push(path),
                Some(kind) => skipped(&path, kind),
            }
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
