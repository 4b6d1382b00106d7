//! Splitting one file's text into documents (YAML or JSON), each a JSON value with its 1-based
//! number, and finding where a document starts only when a message needs it.

use std::sync::OnceLock;

use serde::de::DeserializeSeed;
use serde_json::Value;

use super::yaml_value::ValueSeed;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Syntax {
    Yaml,
    Json,
}

/// A syntax error: which document, where, and what.
#[derive(Debug)]
pub(super) struct SyntaxError {
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

/// The non-empty documents of `text` with their numbers, and the means to locate them. A file
/// that begins with `{` is read as JSON (as kubectl does), falling back to YAML for flow-style
/// YAML unless `json_only` (a `.json` file, whose JSON error is the useful one).
pub(super) fn parse(text: &str, json_only: bool) -> (Result<Vec<(usize, Value)>, SyntaxError>, Lines) {
    if json_only || text.trim_start().starts_with('{') {
        let mut offsets = Vec::new();
        let parsed = parse_json(text, &mut offsets);
        if parsed.is_ok() || json_only {
            return (parsed, Lines { syntax: Syntax::Json, json_offsets: offsets, starts: OnceLock::new() });
        }
    }
    let lines = Lines { syntax: Syntax::Yaml, json_offsets: Vec::new(), starts: OnceLock::new() };
    (parse_yaml(text), lines)
}

fn parse_yaml(text: &str) -> Result<Vec<(usize, Value)>, SyntaxError> {
    let mut documents = Vec::new();
    for (index, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let number = index + 1;
        // After a syntax error the iterator repeats it forever: the first one ends the file.
        match ValueSeed.deserialize(document) {
            Ok(Value::Null) => {}
            Ok(value) => documents.push((number, value)),
            Err(error) => {
                let location = error.location().map(|l| (l.line(), l.column()));
                return Err(SyntaxError {
                    document: number,
                    line: location.map(|(line, _)| line),
                    message: without_position(error.to_string(), location),
                });
            }
        }
    }
    Ok(documents)
}

fn parse_json(text: &str, offsets: &mut Vec<usize>) -> Result<Vec<(usize, Value)>, SyntaxError> {
    let mut documents = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let offset = stream.byte_offset();
        match stream.next() {
            None => return Ok(documents),
            Some(Ok(value)) => {
                offsets.push(offset);
                if !value.is_null() {
                    documents.push((offsets.len(), value));
                }
            }
            Some(Err(error)) => {
                let location = (error.line() > 0).then(|| (error.line(), error.column()));
                return Err(SyntaxError {
                    document: offsets.len() + 1,
                    line: location.map(|(line, _)| line),
                    message: without_position(error.to_string(), location),
                });
            }
        }
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

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker).is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
}

/// The line of the first non-blank character at or after `offset`.
fn json_value_line(text: &str, offset: usize) -> usize {
    let rest = text.get(offset..).unwrap_or_default();
    let start = offset + (rest.len() - rest.trim_start().len());
    1 + text.as_bytes()[..start.min(text.len())].iter().filter(|&&b| b == b'\n').count()
}
