//! Splitting one file's text into documents (YAML or JSON), each a JSON value with its 1-based
//! number, and finding where a document starts only when a message needs it.

use std::sync::OnceLock;

use serde::de::IgnoredAny;
use serde_json::Value;

use super::yaml_value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Syntax {
    Yaml,
    Json,
}

/// Why a document cannot be read (syntax, or refused by the handler): which, where, and what.
#[derive(Debug)]
pub(super) struct DocumentError {
    pub document: usize,
    pub line: Option<usize>,
    pub message: String,
}

/// Where each document of a text starts. Parsing never needs it, so it is computed on first use.
#[derive(Debug)]
pub(super) struct Lines {
    syntax: Syntax,
    /// JSON only: the byte offset each document's parse started at (it may begin with blanks).
    json_offsets: Vec<usize>,
    starts: OnceLock<Vec<usize>>,
}

impl Lines {
    /// The 1-based line on which document `document` (1-based) starts.
    pub(super) fn document_line(&self, text: &str, document: usize) -> Option<usize> {
        let starts = self.starts.get_or_init(|| match self.syntax {
            Syntax::Yaml => yaml_document_starts(text),
            Syntax::Json => self.json_offsets.iter().map(|&offset| json_value_line(text, offset)).collect(),
        });
        starts.get(document.checked_sub(1)?).copied()
    }
}

/// What a document handler may answer: stop with this message about the document.
pub(super) type DocumentResult = Result<(), String>;

/// Hands the non-empty documents of `text` with their numbers to `each`, one at a time, so no
/// more than one document's tree exists at once. A file that begins with `{` is read as JSON
/// (as kubectl does), falling back to YAML for flow-style YAML unless `json_only` (a `.json`
/// file, whose JSON error is the useful one). Returns where the documents start, and the first
/// syntax error or refusal by `each`.
pub(super) fn parse(
    text: &str,
    json_only: bool,
    each: &mut dyn FnMut(usize, Value) -> DocumentResult,
) -> (Result<(), DocumentError>, Lines) {
    if json_only || text.trim_start().starts_with('{') {
        // Whether it is JSON is settled before any document is handed on (validating the stream
        // builds nothing), so a fallback to YAML never hands a document on twice.
        let syntax = json_syntax(text);
        if syntax.is_ok() || json_only {
            let mut offsets = Vec::new();
            let parsed = syntax.and_then(|()| parse_json(text, &mut offsets, each));
            return (parsed, Lines { syntax: Syntax::Json, json_offsets: offsets, starts: OnceLock::new() });
        }
    }
    let lines = Lines { syntax: Syntax::Yaml, json_offsets: Vec::new(), starts: OnceLock::new() };
    (parse_yaml(text, each), lines)
}

/// The first JSON syntax error of a stream of JSON values, found without building them.
fn json_syntax(text: &str) -> Result<(), DocumentError> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<IgnoredAny>();
    let mut document = 0;
    loop {
        match stream.next() {
            None => return Ok(()),
            Some(Ok(_)) => document += 1,
            Some(Err(error)) => return Err(json_error(&error, document + 1)),
        }
    }
}

fn parse_yaml(text: &str, each: &mut dyn FnMut(usize, Value) -> DocumentResult) -> Result<(), DocumentError> {
    parse_yaml_from(text, 0, each).map(drop)
}

/// Parses the YAML documents of `text`, numbering them from `before + 1` (the documents of the
/// stream before this piece of it), and returns how many there were.
pub(super) fn parse_yaml_from(
    text: &str,
    before: usize,
    each: &mut dyn FnMut(usize, Value) -> DocumentResult,
) -> Result<usize, DocumentError> {
    yaml_value::for_each_document(text, before, each)
}

/// The 1-based line on which the `index`-th (1-based) YAML document of `text` starts.
pub(super) fn yaml_document_line(text: &str, index: usize) -> Option<usize> {
    yaml_document_starts(text).get(index.checked_sub(1)?).copied()
}

fn parse_json(
    text: &str,
    offsets: &mut Vec<usize>,
    each: &mut dyn FnMut(usize, Value) -> DocumentResult,
) -> Result<(), DocumentError> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let offset = stream.byte_offset();
        match stream.next() {
            None => return Ok(()),
            Some(Ok(value)) => {
                offsets.push(offset);
                let number = offsets.len();
                if !value.is_null() {
                    each(number, value).map_err(|message| DocumentError { document: number, line: None, message })?;
                }
            }
            Some(Err(error)) => return Err(json_error(&error, offsets.len() + 1)),
        }
    }
}

fn json_error(error: &serde_json::Error, document: usize) -> DocumentError {
    let location = (error.line() > 0).then(|| (error.line(), error.column()));
    DocumentError {
        document,
        line: location.map(|(line, _)| line),
        message: without_position(error.to_string(), location),
    }
}

/// `... at line 7 column 3` -> `... at column 3`: the line is reported separately.
fn without_position(message: String, location: Option<(usize, usize)>) -> String {
    let Some((line, column)) = location else { return message };
    let position = format!(" at line {line} column {column}");
    match message.find(&position) {
        Some(at) => format!("{} at column {column}{}", &message[..at], &message[at + position.len()..]),
        None => message,
    }
}

/// First lines of the YAML documents in `text`, numbered as the parser numbers them. A line that
/// starts with `---` (alone or followed by a blank) always opens a document, even amid block
/// scalars, which YAML forbids to contain such a line; `...` closes one; other content outside a
/// document opens a bare one. Comments and directives belong to no document.
fn yaml_document_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut in_document = false;
    for (index, line) in text.lines().enumerate() {
        if is_marker(line, "---") {
            starts.push(index + 1);
            in_document = true;
        } else if is_marker(line, "...") {
            in_document = false;
        } else if !in_document {
            let content = line.trim_start();
            if !content.is_empty() && !content.starts_with('#') && !content.starts_with('%') {
                starts.push(index + 1);
                in_document = true;
            }
        }
    }
    starts
}

pub(super) fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker).is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
}

/// The line of the first non-blank character at or after `offset`.
fn json_value_line(text: &str, offset: usize) -> usize {
    let rest = text.get(offset..).unwrap_or_default();
    let start = offset + (rest.len() - rest.trim_start().len());
    1 + text.as_bytes()[..start.min(text.len())].iter().filter(|&&b| b == b'\n').count()
}
