//! Reading a YAML stream a piece at a time, so a large manifest file is never held whole.
//!
//! The YAML reader parses from a string (granit-parser's fast path, scalars borrowed from the
//! text), so the stream is cut into pieces of whole documents, each parsed and dropped before the
//! next is read. A line that starts with `---` (alone or followed by a blank) always opens a
//! document: YAML forbids it inside a document's content (even a block scalar's), so the pieces
//! parse exactly as the whole stream would. Pieces are cut only before such a line, once past
//! [`PIECE_BYTES`], and never between a directive (`%YAML`, `%TAG`) and the document it applies
//! to. (Not after `...`: a piece starting without `---` could be read differently.) Valid text
//! gives the same objects, and invalid text the same error, as the whole stream.

use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::sync::LazyLock;

use regex::Regex;

use super::documents::{DocumentError, is_marker, yaml_document_line};
use super::files;
use crate::{Error, Result};

/// Whole documents are gathered up to about this much text before they are parsed: enough that
/// cutting costs nothing measurable, little enough to be noise next to the objects kept.
pub(super) const PIECE_BYTES: usize = 1 << 20;

/// How large one document may be. The loader builds a document's whole tree, some 20 to 40 times
/// its text, before any of it can be dropped; a Kubernetes object
/// is at most about 1.5 MiB (etcd's limit), so only a `List` (`kubectl get -o yaml`) comes near.
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// Whole documents of a stream, and where they start in it.
pub(super) struct Piece {
    pub text: String,
    /// The stream's line number of the piece's first line.
    pub first_line: usize,
}

/// Cuts a stream into [`Piece`]s.
pub(super) struct Pieces<'r> {
    reader: &'r mut dyn BufRead,
    origin: &'r str,
    /// The number of the next line the reader gives.
    next_line: usize,
    /// A line read that opens the next piece, with its number.
    pending: Option<(String, usize)>,
    /// The line just read, and the bytes it was read as: kept from line to line, so reading
    /// a line allocates nothing.
    line: String,
    bytes: Vec<u8>,
    piece_bytes: usize,
    max_document_bytes: usize,
}

impl<'r> Pieces<'r> {
    /// Pieces of at least `piece_bytes` (but the last), cut between documents; a document of
    /// more than `max_document_bytes` is an error, found before more of it is read.
    pub(super) fn new(
        reader: &'r mut dyn BufRead,
        origin: &'r str,
        piece_bytes: usize,
        max_document_bytes: usize,
    ) -> Self {
        Pieces {
            reader,
            origin,
            next_line: 1,
            pending: None,
            line: String::new(),
            bytes: Vec::new(),
            piece_bytes,
            max_document_bytes,
        }
    }

    /// The next piece, or `None` at the end of the stream.
    pub(super) fn next_piece(&mut self) -> Result<Option<Piece>> {
        let piece_bytes = self.piece_bytes;
        // A piece ends past `piece_bytes`: room for it (and its last document) from the start.
        let mut text = String::with_capacity(piece_bytes.min(2 * PIECE_BYTES));
        let mut first_line = None;
        // Whether the last line that is neither blank nor a comment is a directive, which must
        // stay with the `---` that follows it.
        let mut after_directive = false;
        // Whether a document has begun: a piece of only comments would count as an empty
        // document of its own, where in the whole stream they belong to the next one.
        let mut has_document = false;
        // Where the last document begun in this piece starts: its line and its offset.
        let mut document_start = (self.next_line, 0);
        while let Some(number) = self.read_line()? {
            let content = self.line.strip_suffix('\n').unwrap_or(&self.line);
            let opens_document = is_marker(content, "---");
            if text.len() >= piece_bytes && has_document && !after_directive && opens_document {
                self.pending = Some((std::mem::take(&mut self.line), number));
                break;
            }
            if opens_document {
                document_start = (number, text.len());
            }
            if text.len() - document_start.1 > self.max_document_bytes {
                return Err(too_large(self.origin, document_start.0, self.max_document_bytes));
            }
            first_line.get_or_insert(number);
            let significant = content.trim_start();
            if !significant.is_empty() && !significant.starts_with('#') {
                after_directive = content.starts_with('%');
                has_document |= !after_directive;
            }
            text.push_str(&self.line);
        }
        Ok(first_line.map(|first_line| Piece { text, first_line }))
    }

    /// Everything not yet read, as text (read whole: at most `max_document_bytes` of it).
    pub(super) fn rest(&mut self) -> Result<String> {
        let mut rest = self.pending.take().map(|(line, _)| line).unwrap_or_default();
        let limit = u64::try_from(self.max_document_bytes).unwrap_or(u64::MAX).saturating_add(1);
        let first_line = self.next_line;
        rest.push_str(&files::read_text_from(self.origin, &mut (&mut *self.reader).take(limit), first_line)?);
        if rest.len() > self.max_document_bytes {
            return Err(too_large(self.origin, 1, self.max_document_bytes));
        }
        Ok(rest)
    }

    /// Reads the next line (the pending one first) into `self.line`; returns its number.
    fn read_line(&mut self) -> Result<Option<usize>> {
        if let Some((line, number)) = self.pending.take() {
            self.line = line;
            return Ok(Some(number));
        }
        self.bytes.clear();
        let read = self
            .reader
            .read_until(b'\n', &mut self.bytes)
            .map_err(|source| Error::Io { path: PathBuf::from(self.origin), source })?;
        if read == 0 {
            return Ok(None);
        }
        let number = self.next_line;
        self.next_line += 1;
        let line = std::str::from_utf8(&self.bytes).map_err(|_| files::not_utf8(self.origin, number))?;
        let line = if number == 1 { line.strip_prefix('\u{feff}').unwrap_or(line) } else { line };
        self.line.clear();
        self.line.push_str(line);
        Ok(Some(number))
    }
}

/// Parses each piece with `parse` (given the piece's text and the number of documents before
/// it, returning how many it held), and numbers lines in errors as the whole stream's.
pub(super) fn for_each_piece(
    pieces: &mut Pieces<'_>,
    first: Option<Piece>,
    parse: &mut dyn FnMut(&str, usize) -> std::result::Result<usize, DocumentError>,
    origin: &str,
) -> Result<()> {
    let mut documents = 0;
    let mut next = first;
    while let Some(piece) = next {
        match parse(&piece.text, documents) {
            Ok(count) => documents += count,
            Err(e) => {
                let within = e.line.or_else(|| yaml_document_line(&piece.text, e.document - documents));
                let offset = piece.first_line - 1;
                return Err(Error::Manifest {
                    path: origin.to_owned(),
                    document: Some(e.document),
                    line: within.map(|line| line + offset),
                    message: shift_lines(e.message, offset),
                });
            }
        }
        next = pieces.next_piece()?;
    }
    Ok(())
}

/// A syntax error's message names the line its flow collection opened on (`while parsing a flow
/// sequence started at line 2`): numbered within the piece, it is moved to the stream's numbering.
fn shift_lines(message: String, offset: usize) -> String {
    static POSITION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\bstarted at line (\d+)").expect("a valid pattern"));
    if offset == 0 {
        return message;
    }
    POSITION
        .replace_all(&message, |caps: &regex::Captures<'_>| {
            let line = caps[1].parse::<usize>().map_or_else(|_| caps[1].to_owned(), |line| (line + offset).to_string());
            format!("started at line {line}")
        })
        .into_owned()
}

fn too_large(origin: &str, line: usize, max_document_bytes: usize) -> Error {
    Error::Manifest {
        path: origin.to_owned(),
        document: None,
        line: Some(line),
        message: format!(
            "a document larger than {} MiB is refused: parsed whole it would take some 40 times that in \
             memory (a List from `kubectl get -o yaml`? give one document per object, e.g. with \
             `yq '.items[] | split_doc'`)",
            max_document_bytes >> 20
        ),
    }
}
