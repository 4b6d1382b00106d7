//! Loading objects from manifest files, folders and stdin: multi-document YAML, JSON, `List`s.

mod checklists;
mod documents;
mod files;
mod stream;
mod yaml_value;

use std::fmt;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

pub use checklists::{split_checklists, to_checklist};
pub use stream::MAX_DOCUMENT_BYTES;

use self::documents::Lines;
use super::live::CompactObject;
use super::{Object, ObjectError, kinds};
use crate::{Error, Result};

/// How messages name standard input.
pub const STDIN_ORIGIN: &str = "<stdin>";

/// An object and the place it was read from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub object: Object,
    pub source: Source,
}

/// Where an object was read: file (or `<stdin>`), document number, and on demand the line the
/// document starts on. The file's text is kept (shared) so the line costs nothing until asked.
#[derive(Clone)]
pub struct Source {
    file: Arc<SourceFile>,
    document: usize,
}

struct SourceFile {
    origin: String,
    text: String,
    lines: Lines,
}

impl Source {
    pub fn path(&self) -> &str {
        &self.file.origin
    }

    /// 1-based.
    pub fn document(&self) -> usize {
        self.document
    }

    /// The 1-based line the document starts on.
    pub fn line(&self) -> Option<usize> {
        self.file.lines.document_line(&self.file.text, self.document)
    }

    /// An [`Error::Manifest`] about this object's document.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::Manifest {
            path: self.path().to_owned(),
            document: Some(self.document),
            line: self.line(),
            message: message.into(),
        }
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source").field("path", &self.file.origin).field("document", &self.document).finish()
    }
}

/// A manifest-named entry of a walked folder that is no regular file (a FIFO, device or socket,
/// or a symlink to one), passed over rather than read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    /// What it is instead: `a FIFO (named pipe)`, `a character device`, ...
    pub what: &'static str,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "skipped {}: {}, not a regular file", self.path.display(), self.what)
    }
}

/// Reads every object from `paths`: `-` is stdin (read once, however often it is named), a file
/// is read whatever its name, a folder is walked recursively in name order for `.yaml`, `.yml`
/// and `.json` files, skipping hidden folders and kustomize's `kustomization.yaml` files. Namespaced objects without a namespace get
/// `default_namespace`. The first unreadable or invalid document is the error. Only regular
/// files are read: a path naming anything else is an error, and such entries of a folder are
/// passed over (see [`load_each`] to hear of them).
pub fn load(paths: &[PathBuf], default_namespace: &str) -> Result<Vec<Object>> {
    let mut objects = Vec::new();
    load_each(paths, default_namespace, &mut |_| {}, &mut |object| objects.push(object))?;
    Ok(objects)
}

/// Like [`load`], handing each object to `sink` as soon as its document is read, so a caller
/// that keeps only some objects (or a compact form of them) never holds a whole file's trees;
/// entries of a folder passed over go to `skipped`.
pub fn load_each(
    paths: &[PathBuf],
    default_namespace: &str,
    skipped: &mut dyn FnMut(Skipped),
    sink: &mut dyn FnMut(Object),
) -> Result<()> {
    let mut skipped = |path: &Path, what| skipped(Skipped { path: path.to_owned(), what });
    files::read_each(paths, &mut skipped, &mut |origin, reader| {
        parse_reader(reader, &origin, default_namespace, stream::PIECE_BYTES, sink)
    })
}

/// Reads one stream (`origin` names it in errors) and hands each object to `sink`: YAML a piece
/// of at least `piece_bytes` of whole documents at a time, so the stream is never held whole
/// (the loader uses 1 MiB); a `.json` file, or a stream that starts with `{` (JSON, or YAML in
/// flow style), whole, as [`parse_str`] does. Objects and errors are those of [`parse_str`],
/// but that a document (or a JSON stream) of more than [`MAX_DOCUMENT_BYTES`] is refused.
pub fn parse_reader(
    reader: &mut dyn BufRead,
    origin: &str,
    default_namespace: &str,
    piece_bytes: usize,
    sink: &mut dyn FnMut(Object),
) -> Result<()> {
    let mut pieces = stream::Pieces::new(reader, origin, piece_bytes, MAX_DOCUMENT_BYTES);
    if files::is_json(origin) {
        let text = pieces.rest()?;
        return parse_into(&text, origin, true, default_namespace, &mut |object, _| sink(object)).map(drop);
    }
    let first = pieces.next_piece()?;
    if let Some(first) = first.as_ref().filter(|piece| piece.text.trim_start().starts_with('{')) {
        let text = first.text.clone() + &pieces.rest()?;
        return parse_into(&text, origin, false, default_namespace, &mut |object, _| sink(object)).map(drop);
    }
    stream::for_each_piece(
        &mut pieces,
        first,
        &mut |text, before| {
            documents::parse_yaml_from(text, before, &mut |_, value| expand(value, default_namespace, sink))
        },
        origin,
    )
}

/// Like [`load`], keeping where each object came from.
pub fn load_with_sources(paths: &[PathBuf], default_namespace: &str) -> Result<Vec<Loaded>> {
    load_with_sources_noting(paths, default_namespace, &mut |_| {})
}

/// Like [`load_with_sources`], telling `skipped` of the folder entries passed over.
pub fn load_with_sources_noting(
    paths: &[PathBuf],
    default_namespace: &str,
    skipped: &mut dyn FnMut(Skipped),
) -> Result<Vec<Loaded>> {
    let mut loaded = Vec::new();
    let mut skipped = |path: &Path, what| skipped(Skipped { path: path.to_owned(), what });
    files::read_each(paths, &mut skipped, &mut |origin, reader| {
        let text = files::read_text(&origin, reader)?;
        let json_only = files::is_json(&origin);
        loaded.extend(parse_with_sources(text, origin, json_only, default_namespace)?);
        Ok(())
    })?;
    Ok(loaded)
}

/// The ReadinessChecklists of `paths` with their sources, and every other object found there
/// in compact form: which of those the checklists read is known only once all are read, and a
/// folder given to `-f` may hold a whole manifest set. Only files holding a checklist keep
/// their text (for the line numbers of messages).
pub fn load_checklists(
    paths: &[PathBuf],
    default_namespace: &str,
    skipped: &mut dyn FnMut(Skipped),
) -> Result<(Vec<Loaded>, Vec<Deferred>)> {
    let mut checklists = Vec::new();
    let mut others = Vec::new();
    let mut skipped = |path: &Path, what| skipped(Skipped { path: path.to_owned(), what });
    files::read_each(paths, &mut skipped, &mut |origin, reader| {
        let text = files::read_text(&origin, reader)?;
        let json_only = files::is_json(&origin);
        let mut found = Vec::new();
        let lines = parse_into(&text, &origin, json_only, default_namespace, &mut |object, document| {
            if object.kind_key == kinds::CHECKLIST {
                found.push((object, document));
            } else {
                others.push(Deferred::new(&object));
            }
        })?;
        if !found.is_empty() {
            let file = Arc::new(SourceFile { origin, text, lines });
            checklists.extend(
                found
                    .into_iter()
                    .map(|(object, document)| Loaded { object, source: Source { file: Arc::clone(&file), document } }),
            );
        }
        Ok(())
    })?;
    Ok((checklists, others))
}

/// An object held as compact JSON text until it is known whether it is needed: a parsed tree
/// costs 20 to 30 times its text.
#[derive(Clone, Debug)]
pub struct Deferred {
    pub kind_key: super::Kind,
    pub namespace: Option<String>,
    pub name: String,
    pub compact: CompactObject,
}

impl Deferred {
    fn new(object: &Object) -> Self {
        Deferred {
            kind_key: object.kind_key.clone(),
            namespace: object.namespace.clone(),
            name: object.name.clone(),
            compact: CompactObject::from_object(object),
        }
    }

    /// The object again, exactly as loaded.
    pub fn materialize(&self) -> Object {
        self.compact.to_object(&self.kind_key, self.namespace.as_deref(), &self.name)
    }

    /// Into `inventory`, still compact: built when a check first reads it.
    pub fn insert_into(self, inventory: &mut super::Inventory) {
        let id = super::ObjectRef::new(&self.kind_key, self.namespace.as_deref(), &self.name);
        inventory.insert_compact_parts(id, self.compact);
    }
}

/// Parses one text (`origin` names it in errors): every non-empty document, `List`s expanded.
pub fn parse_str(text: &str, origin: &str, default_namespace: &str) -> Result<Vec<Object>> {
    let mut objects = Vec::new();
    parse_into(text, origin, files::is_json(origin), default_namespace, &mut |object, _| objects.push(object))?;
    Ok(objects)
}

/// Every non-empty document of a YAML text as a JSON value, read exactly as the loader reads
/// YAML (merge keys applied, duplicate keys and non-finite numbers refused, nesting bounded),
/// but not made into objects: for tests and benchmarks that want the loader's reading alone.
pub fn yaml_values(text: &str, origin: &str) -> Result<Vec<Value>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut values = Vec::new();
    documents::parse_yaml_from(text, 0, &mut |_, value| {
        values.push(value);
        Ok(())
    })
    .map_err(|e| Error::Manifest {
        path: origin.to_owned(),
        document: Some(e.document),
        line: e.line.or_else(|| documents::yaml_document_line(text, e.document)),
        message: e.message,
    })?;
    Ok(values)
}

/// Like [`parse_str`], keeping where each object came from.
pub fn parse_str_with_sources(text: &str, origin: &str, default_namespace: &str) -> Result<Vec<Loaded>> {
    parse_with_sources(text.to_owned(), origin.to_owned(), files::is_json(origin), default_namespace)
}

fn parse_with_sources(text: String, origin: String, json_only: bool, namespace: &str) -> Result<Vec<Loaded>> {
    let mut found = Vec::new();
    let lines = parse_into(&text, &origin, json_only, namespace, &mut |object, document| {
        found.push((object, document));
    })?;
    let file = Arc::new(SourceFile { origin, text, lines });
    Ok(found
        .into_iter()
        .map(|(object, document)| Loaded { object, source: Source { file: Arc::clone(&file), document } })
        .collect())
}

/// Parses `text` document by document and hands each object with its document number to
/// `sink` before the next document is read.
fn parse_into(
    text: &str,
    origin: &str,
    json_only: bool,
    default_namespace: &str,
    sink: &mut dyn FnMut(Object, usize),
) -> Result<Lines> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (parsed, lines) = documents::parse(text, json_only, &mut |document, value| {
        expand(value, default_namespace, &mut |object| sink(object, document))
    });
    parsed.map_err(|e| Error::Manifest {
        path: origin.to_owned(),
        document: Some(e.document),
        line: e.line.or_else(|| lines.document_line(text, e.document)),
        message: e.message,
    })?;
    Ok(lines)
}

/// Turns one document into objects: a `List` (or any `*List` kind with `items`) into its items,
/// each of which must be a whole object, since items inherit nothing from their list.
fn expand(value: Value, default_namespace: &str, sink: &mut dyn FnMut(Object)) -> Result<(), String> {
    if !value.is_object() {
        return Err(format!("document is {}, expected a Kubernetes object (a mapping)", describe(&value)));
    }
    if is_list(&value) {
        let Value::Object(mut map) = value else { return Ok(()) };
        let Some(Value::Array(items)) = map.remove("items") else { return Ok(()) };
        for (index, item) in items.into_iter().enumerate() {
            expand(item, default_namespace, sink).map_err(|message| format!("items[{index}]: {message}"))?;
        }
        return Ok(());
    }
    if is_build_config(&value) {
        return Ok(());
    }
    let generate_name = value.pointer("/metadata/generateName").is_some();
    match Object::from_value(value, Some(default_namespace)) {
        Ok(object) => {
            sink(object);
            Ok(())
        }
        Err(ObjectError::MissingName { kind }) if generate_name => {
            Err(format!("{kind} has only metadata.generateName; offline evaluation needs metadata.name"))
        }
        Err(e) => Err(e.to_string()),
    }
}

fn is_list(value: &Value) -> bool {
    value.get("kind").and_then(Value::as_str).is_some_and(|kind| kind.ends_with("List"))
        && value.get("apiVersion").is_some_and(Value::is_string)
        && value.get("items").is_some_and(|items| items.is_array() || items.is_null())
}

/// Kustomize's `Kustomization` and `Component` describe how to build manifests; they are never
/// applied to a cluster, so a manifest folder may hold them without them being objects.
fn is_build_config(value: &Value) -> bool {
    value.get("apiVersion").and_then(Value::as_str).is_some_and(|v| super::group_of(v) == KUSTOMIZE_GROUP)
}

const KUSTOMIZE_GROUP: &str = "kustomize.config.k8s.io";

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests;
