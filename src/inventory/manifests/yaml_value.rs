//! Builds `serde_json::Value`s from YAML documents, reading them the way Kubernetes tooling does.
//!
//! The text is read by granit-parser, the maintained pull parser serde-saphyr is built on, and
//! each document's value is built here from its events. Why not a serde deserializer: serde_yaml
//! is deprecated (its libyaml forks unreleased since 2024), and serde-saphyr's deserializer takes
//! about 2.5 times serde_yaml's time on a 10k-object stream (`cargo bench --bench engine`),
//! where this builder takes about the time of serde_yaml. Building from events also keeps every
//! limit in the one pass: nesting is refused as soon as it is too deep (the parser holds nothing
//! but its open collections, so six megabytes of `[` cost microseconds), and aliases may expand
//! only so far.
//!
//! What a value is follows serde_yaml 0.9, which the loader used before, and with it go-yaml v3
//! (kubectl, Helm) and YAML 1.2's core schema: `yes`, `on` and `0755` are strings, `0o755` and
//! `0x1F` integers, `~`, `null` and nothing are null. Beyond that, as Kubernetes' YAML-to-JSON
//! conversion does: merge keys (`<<: *defaults`) are applied, keys are strings as written
//! (`80: http` keys by `"80"`), duplicate keys are refused (as go-yaml does: keeping the last
//! would judge an object other than the one written), a tag is dropped and its node kept, and
//! `.inf`/`.nan` are refused, JSON having no such numbers.

use std::borrow::Cow;
use std::collections::HashMap;
use std::num::ParseIntError;

use granit_parser::{ErrorKind, Event, Marker, Parser, ScalarStyle, Span, StructureStyle, Tag};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

use super::documents::{DocumentError, DocumentResult};

/// serde_yaml's recursion limit, kept: no document deeper than this is read.
pub(super) const MAX_DEPTH: usize = 128;

/// How many nodes aliases may copy into one document: serde-saphyr's default budget for
/// replayed alias events. Enough for any manifest; a "billion laughs" document stops here.
const MAX_ALIAS_NODES: usize = 1_000_000;

const MERGE_KEY: &str = "<<";

/// Parses the YAML documents of `text`, numbering them from `before + 1`, and hands every one
/// that is not empty (or null) to `each` as soon as it is read. Returns how many documents
/// there were; the first syntax error, value refused here, or refusal by `each` ends the text.
pub(super) fn for_each_document(
    text: &str,
    before: usize,
    each: &mut dyn FnMut(usize, Value) -> DocumentResult,
) -> Result<usize, DocumentError> {
    // The scanner runs ahead of the events (an unclosed `[[[` yields none before its end), so
    // its own limits catch flow or block nesting alone; the builder's count catches the two mixed.
    let mut options = granit_parser::options! { flow_nesting_limit: MAX_DEPTH, block_nesting_limit: MAX_DEPTH };
    options.set_emit_comments(false);
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut builder = Builder::default();
    let mut document = before;
    loop {
        let (event, span) = match parser.next_event() {
            None => return Ok(document - before),
            Some(Ok(next)) => next,
            Some(Err(error)) => {
                let message = match error.kind() {
                    ErrorKind::RecursionLimitExceeded => too_deep(error.marker()),
                    _ => format!("{} at column {}{}", error.info(), error.marker().col() + 1, builder.flow_context()),
                };
                // An error before the document's first event still belongs to that document.
                let number = if builder.in_document { document } else { document + 1 };
                return Err(DocumentError { document: number, line: Some(error.marker().line()), message });
            }
        };
        match event {
            Event::DocumentStart(..) => {
                document += 1;
                builder.start_document();
            }
            Event::DocumentEnd => match builder.end_document() {
                Value::Null => {}
                value => each(document, value).map_err(|message| DocumentError { document, line: None, message })?,
            },
            Event::StreamEnd => return Ok(document - before),
            event => builder.node(event, &span).map_err(|message| DocumentError {
                document,
                line: Some(span.start.line()),
                message,
            })?,
        }
    }
}

/// One document's value under construction: the collections still open, innermost last.
#[derive(Default)]
struct Builder {
    in_document: bool,
    open: Vec<Open>,
    root: Option<Value>,
    /// Anchored nodes of this document by the parser's anchor id, for aliases to copy.
    anchors: HashMap<usize, Value>,
    alias_nodes: usize,
}

enum Open {
    Sequence { items: Vec<Value>, anchor: usize, flow_line: Option<usize> },
    Mapping(OpenMapping),
}

struct OpenMapping {
    map: Map<String, Value>,
    /// The key read, while its value is not yet.
    key: Option<String>,
    /// Mappings merged in with `<<`, applied when the mapping closes (its own keys win).
    merged: Vec<Value>,
    anchor: usize,
    /// The line a flow mapping (`{`) opens on, for syntax errors inside it.
    flow_line: Option<usize>,
}

impl Builder {
    fn start_document(&mut self) {
        self.in_document = true;
        self.open.clear();
        self.root = None;
        self.anchors.clear();
        self.alias_nodes = 0;
    }

    fn end_document(&mut self) -> Value {
        self.in_document = false;
        self.anchors.clear();
        self.root.take().unwrap_or(Value::Null)
    }

    fn node(&mut self, event: Event<'_>, span: &Span) -> Result<(), String> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                if let Some(Open::Mapping(mapping @ OpenMapping { key: None, .. })) = self.open.last_mut() {
                    mapping.key = Some(text.into_owned());
                    if anchor != 0 {
                        let key = mapping.key.clone().unwrap_or_default();
                        self.anchors.insert(anchor, Value::String(key));
                    }
                    return Ok(());
                }
                let value = scalar(text, style, tag.as_deref()).map_err(|message| self.at_path(&message))?;
                if anchor != 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                self.add(value)
            }
            Event::SequenceStart(style, anchor, _) => {
                let flow_line = flow_line(style, span);
                self.open(Open::Sequence { items: Vec::new(), anchor, flow_line }, span)
            }
            Event::MappingStart(style, anchor, _) => {
                let mapping = OpenMapping {
                    map: Map::new(),
                    key: None,
                    merged: Vec::new(),
                    anchor,
                    flow_line: flow_line(style, span),
                };
                self.open(Open::Mapping(mapping), span)
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, anchor) = match self.open.pop() {
                    Some(Open::Sequence { items, anchor, .. }) => (Value::Array(items), anchor),
                    Some(Open::Mapping(OpenMapping { mut map, merged, anchor, .. })) => {
                        for source in merged {
                            merge_into(&mut map, source);
                        }
                        (Value::Object(map), anchor)
                    }
                    None => return Ok(()),
                };
                if anchor != 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                self.add(value)
            }
            Event::Alias(id) => {
                // The parser refuses an alias to an anchor not yet defined.
                let value = self.anchors.get(&id).cloned().unwrap_or(Value::Null);
                self.alias_nodes += count_nodes(&value);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(format!(
                        "aliases expand to more than {MAX_ALIAS_NODES} nodes in one document (an alias bomb?)"
                    ));
                }
                if let Some(Open::Mapping(mapping @ OpenMapping { key: None, .. })) = self.open.last_mut() {
                    mapping.key = Some(key_of_alias(&value)?);
                    return Ok(());
                }
                self.add(value)
            }
            _ => Ok(()),
        }
    }

    fn open(&mut self, collection: Open, span: &Span) -> Result<(), String> {
        if let Some(Open::Mapping(OpenMapping { key: None, .. })) = self.open.last() {
            return Err(self.at_path("a mapping or sequence as a mapping key has no JSON form"));
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(too_deep(&span.start));
        }
        self.open.push(collection);
        Ok(())
    }

    /// Places a finished node in the collection that holds it.
    fn add(&mut self, value: Value) -> Result<(), String> {
        let mapping = match self.open.last_mut() {
            None => {
                self.root = Some(value);
                return Ok(());
            }
            Some(Open::Sequence { items, .. }) => {
                items.push(value);
                return Ok(());
            }
            Some(Open::Mapping(mapping)) => mapping,
        };
        let key = mapping.key.take().unwrap_or_default();
        if key == MERGE_KEY && is_merge_source(&value) {
            mapping.merged.push(value);
            return Ok(());
        }
        let duplicate = match mapping.map.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(value);
                return Ok(());
            }
            // go-yaml (kubectl, Helm) refuses duplicate keys; keeping the last one would judge
            // an object other than the one written (two documents missing a `---`).
            Entry::Occupied(slot) => format!("duplicate key {:?} in a mapping", slot.key()),
        };
        Err(self.at_path(&duplicate))
    }

    /// Which flow collection a syntax error is in, as libyaml said and the parser does not:
    /// `, while parsing a flow sequence started at line 13`.
    fn flow_context(&self) -> String {
        let innermost = self.open.iter().rev().find_map(|open| match open {
            Open::Sequence { flow_line: Some(line), .. } => Some(("sequence", *line)),
            Open::Mapping(OpenMapping { flow_line: Some(line), .. }) => Some(("mapping", *line)),
            _ => None,
        });
        innermost
            .map_or_else(String::new, |(what, line)| format!(", while parsing a flow {what} started at line {line}"))
    }

    /// `message` prefixed with where in the document the node being read is, as serde_yaml
    /// did: `spec.items[0].check: ...`.
    fn at_path(&self, message: &str) -> String {
        let mut path = String::new();
        for open in &self.open {
            match open {
                Open::Sequence { items, .. } => path.push_str(&format!("[{}]", items.len())),
                Open::Mapping(OpenMapping { key: Some(key), .. }) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Open::Mapping(OpenMapping { key: None, .. }) => {}
            }
        }
        if path.is_empty() { message.to_owned() } else { format!("{path}: {message}") }
    }
}

fn flow_line(style: StructureStyle, span: &Span) -> Option<usize> {
    (style == StructureStyle::Flow).then_some(span.start.line())
}

fn too_deep(at: &Marker) -> String {
    format!("collections nested more than {MAX_DEPTH} levels deep (at column {}); refused", at.col() + 1)
}

/// A key given by an alias: its scalar as a string, as YAML-to-JSON conversion does.
fn key_of_alias(value: &Value) -> Result<String, String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Null => Ok("null".to_owned()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Number(number) => Ok(number.to_string()),
        Value::Array(_) | Value::Object(_) => Err("a mapping or sequence as a mapping key has no JSON form".to_owned()),
    }
}

fn count_nodes(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Object(map) => 1 + map.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

fn is_merge_source(value: &Value) -> bool {
    match value {
        Value::Object(_) => true,
        Value::Array(items) => !items.is_empty() && items.iter().all(Value::is_object),
        _ => false,
    }
}

/// YAML merge semantics: keys written in the mapping itself win over merged ones, and of a
/// sequence of merged mappings the earlier ones win.
fn merge_into(map: &mut Map<String, Value>, source: Value) {
    match source {
        Value::Object(source) => {
            for (key, value) in source {
                map.entry(key).or_insert(value);
            }
        }
        Value::Array(sources) => {
            for source in sources {
                merge_into(map, source);
            }
        }
        _ => {}
    }
}

/// The value of a scalar, as serde_yaml 0.9 reads it into a `serde_json::Value`: a plain scalar
/// is resolved by the core schema; a quoted or block one is a string; a core-schema tag
/// (`!!int "5"`, `!!str 5`) says what it is; a local tag (`!Ref x`) is dropped and the scalar read
/// as if untagged; any other tag (`!!binary`) leaves it a string.
fn scalar(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let plain = style == ScalarStyle::Plain;
    let Some(tag) = tag else {
        return if plain { resolve_plain(text) } else { Ok(Value::String(text.into_owned())) };
    };
    let expected = match tag.core_suffix() {
        Some("bool") => parse_bool(&text).map(Value::Bool).ok_or("a boolean"),
        Some("int") => parse_int(&text).ok_or("an integer"),
        Some("float") => match parse_f64(&text) {
            Some(float) => return finite(float),
            None => Err("a float"),
        },
        Some("null") => is_null(&text).then_some(Value::Null).ok_or("null"),
        _ if plain && tag.handle().starts_with('!') => return resolve_plain(text),
        _ => return Ok(Value::String(text.into_owned())),
    };
    expected.map_err(|expected| format!("invalid value: string {text:?}, expected {expected}"))
}

fn resolve_plain(text: Cow<'_, str>) -> Result<Value, String> {
    if text.is_empty() || is_null(&text) {
        return Ok(Value::Null);
    }
    if let Some(flag) = parse_bool(&text) {
        return Ok(Value::Bool(flag));
    }
    if let Some(int) = parse_int(&text) {
        return Ok(int);
    }
    if !digits_but_not_number(&text)
        && let Some(float) = parse_f64(&text)
    {
        return finite(float);
    }
    Ok(Value::String(text.into_owned()))
}

/// JSON, and so a Kubernetes object, holds no NaN or infinity: kubectl refuses `.inf` and
/// `.nan`, and reading them as null would turn `replicas: {atLeast: .inf}` into "unset", i.e.
/// no requirement at all.
fn finite(float: f64) -> Result<Value, String> {
    Number::from_f64(float).map(Value::Number).ok_or_else(|| {
        let spelled = if float.is_nan() {
            ".nan"
        } else if float > 0.0 {
            ".inf"
        } else {
            "-.inf"
        };
        format!("{spelled} is not a finite number; JSON, and so a Kubernetes object, has no infinity or NaN")
    })
}

// The core-schema rules below are serde_yaml 0.9's (MIT OR Apache-2.0), kept as they were so
// that every manifest reads as it did: which plain scalars are null, booleans and numbers.

fn is_null(text: &str) -> bool {
    matches!(text, "null" | "Null" | "NULL" | "~")
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// An integer that fits 64 bits; a larger one is read as a float, as go-yaml and Kubernetes'
/// YAML-to-JSON conversion do.
fn parse_int(text: &str) -> Option<Value> {
    // A cheap first look: most scalars are words, and every integer spelling starts with a
    // digit or a sign.
    if !text.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-') {
        return None;
    }
    if let Some(int) = parse_unsigned_int(text, u64::from_str_radix) {
        return Some(Value::Number(int.into()));
    }
    if let Some(int) = parse_negative_int(text, i64::from_str_radix) {
        return Some(Value::Number(int.into()));
    }
    let wide = parse_unsigned_int(text, u128::from_str_radix)
        .map(|int| int as f64)
        .or_else(|| parse_negative_int(text, i128::from_str_radix).map(|int| int as f64))?;
    Number::from_f64(wide).map(Value::Number)
}

fn parse_unsigned_int<T>(text: &str, from_str_radix: fn(&str, u32) -> Result<T, ParseIntError>) -> Option<T> {
    let unpositive = text.strip_prefix('+').unwrap_or(text);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unpositive.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(int) = from_str_radix(rest, radix) {
                return Some(int);
            }
        }
    }
    if unpositive.starts_with(['+', '-']) || digits_but_not_number(text) {
        return None;
    }
    from_str_radix(unpositive, 10).ok()
}

fn parse_negative_int<T>(text: &str, from_str_radix: fn(&str, u32) -> Result<T, ParseIntError>) -> Option<T> {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = text.strip_prefix(prefix)
            && let Ok(int) = from_str_radix(&format!("-{rest}"), radix)
        {
            return Some(int);
        }
    }
    if digits_but_not_number(text) {
        return None;
    }
    from_str_radix(text, 10).ok()
}

fn parse_f64(text: &str) -> Option<f64> {
    let unpositive = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => text,
    };
    if let ".inf" | ".Inf" | ".INF" = unpositive {
        return Some(f64::INFINITY);
    }
    if let "-.inf" | "-.Inf" | "-.INF" = text {
        return Some(f64::NEG_INFINITY);
    }
    if let ".nan" | ".NaN" | ".NAN" = text {
        return Some(f64::NAN);
    }
    unpositive.parse::<f64>().ok().filter(|float| float.is_finite())
}

/// Leading zeros followed by digits make a string in YAML 1.2 (`0755`), not an octal number.
fn digits_but_not_number(text: &str) -> bool {
    let text = text.strip_prefix(['-', '+']).unwrap_or(text);
    text.len() > 1 && text.starts_with('0') && text[1..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests;
