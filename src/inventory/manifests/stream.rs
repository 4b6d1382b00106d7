//! Reading a YAML stream a piece at a time, so a large manifest file is never held whole.
//!
//! serde_yaml parses from a string (its reader API reads everything first), so the stream is cut
//! into pieces of whole documents, each parsed and dropped before the next is read. A line that
//! starts with `---` (alone or followed by a blank) always opens a document: YAML forbids it
//! inside a document's content (even a block scalar's), so the pieces parse exactly as the whole
//! stream would. Pieces are cut only before such a line, once past [`PIECE_BYTES`], and never
//! between a directive (`%YAML`, `%TAG`) and the document it applies to. (Not after `...`:
//! libyaml wants a `---` after it, and a piece starting without one would be read differently.)

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::LazyLock;

use regex::Regex;

use super::documents::{DocumentError, is_marker, yaml_document_line};
use super::files;
use crate::{Error, Result};

/// Whole documents are gathered up to about this much text before they are parsed: enough that
/// cutting costs nothing measurable, little enough to be noise next to the objects kept.
pub(super) const PIECE_BYTES: usize = 1 << 20;

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
    piece_bytes: usize,
}

impl<'r> Pieces<'r> {
    /// Pieces of at least `piece_bytes` (but the last), cut between documents.
    pub(super) fn new(reader: &'r mut dyn BufRead, origin: &'r str, piece_bytes: usize) -> Self {
        Pieces { reader, origin, next_line: 1, pending: None, piece_bytes }
    }

    /// The next piece, or `None` at the end of the stream.
    pub(super) fn next_piece(&mut self) -> Result<Option<Piece>> {
        let piece_bytes = self.piece_bytes;
        let mut text = String::new();
        let mut first_line = None;
        // Whether the last line that is neither blank nor a comment is a directive, which must
        // stay with the `---` that follows it.
        let mut after_directive = false;
        while let Some((line, number)) = self.read_line()? {
            let content = line.strip_suffix('\n').unwrap_or(&line);
            if text.len() >= piece_bytes && first_line.is_some() && !after_directive && is_marker(content, "---") {
                self.pending = Some((line, number));
                break;
            }
            first_line.get_or_insert(number);
            let significant = content.trim_start();
            if !significant.is_empty() && !significant.starts_with('#') {
                after_directive = content.starts_with('%');
            }
            text.push_str(&line);
        }
        Ok(first_line.map(|first_line| Piece { text, first_line }))
    }

    /// Everything not yet read, as text.
    pub(super) fn rest(&mut self) -> Result<String> {
        let mut rest = self.pending.take().map(|(line, _)| line).unwrap_or_default();
        rest.push_str(&files::read_text_from(self.origin, self.reader, self.next_line)?);
        Ok(rest)
    }

    fn read_line(&mut self) -> Result<Option<(String, usize)>> {
        if let Some(pending) = self.pending.take() {
            return Ok(Some(pending));
        }
        let mut bytes = Vec::new();
        let read = self
            .reader
            .read_until(b'\n', &mut bytes)
            .map_err(|source| Error::Io { path: PathBuf::from(self.origin), source })?;
        if read == 0 {
            return Ok(None);
        }
        let number = self.next_line;
        self.next_line += 1;
        let mut line = files::utf8(bytes, self.origin, number)?;
        if number == 1 && line.starts_with('\u{feff}') {
            line.remove(0);
        }
        Ok(Some((line, number)))
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

/// libyaml quotes positions inside its messages too (`while parsing a flow sequence at line 2
/// column 18`): numbered within the piece, they are moved to the stream's numbering.
fn shift_lines(message: String, offset: usize) -> String {
    static POSITION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\bat line (\d+) column (\d+)").expect("a valid pattern"));
    if offset == 0 {
        return message;
    }
    POSITION
        .replace_all(&message, |caps: &regex::Captures<'_>| {
            let line = caps[1].parse::<usize>().map_or_else(|_| caps[1].to_owned(), |line| (line + offset).to_string());
            format!("at line {line} column {}", &caps[2])
        })
        .into_owned()
}
