//! Refusing deeply nested YAML before serde_yaml sees it.
//!
//! serde_yaml's loader collects every event of a document before deserializing it, and only the
//! deserializer applies its recursion limit (128 levels). Six megabytes of `[` thus become six
//! million buffered events (a gigabyte, fourteen seconds) before being refused. This pre-scan
//! reads the same text with granit-parser, a pull parser that holds nothing but its open
//! collections, and stops at the first node nested deeper than serde_yaml would accept: the
//! refusal costs microseconds whatever the size. Syntax the two parsers judge differently is
//! left to serde_yaml, whose messages are the ones reported; the scan skips to the next document.

use granit_parser::{Event, Parser};

/// serde_yaml's own recursion limit: no document deeper than this could be loaded anyway.
pub(super) const MAX_DEPTH: usize = 128;

/// A document nested deeper than [`MAX_DEPTH`].
#[derive(Debug, PartialEq, Eq)]
pub(super) struct TooDeep {
    /// 1-based, counted as serde_yaml counts documents.
    pub document: usize,
    pub line: usize,
    pub column: usize,
}

impl TooDeep {
    pub(super) fn message(&self) -> String {
        format!(
            "collections nested more than {MAX_DEPTH} levels deep (at column {}); refused before parsing",
            self.column
        )
    }
}

/// The first document of `text` that nests collections more than [`MAX_DEPTH`] levels deep.
pub(super) fn find_too_deep(text: &str) -> Option<TooDeep> {
    // The scanner runs ahead of the events (an unclosed `[[[` yields none before its end), so
    // its own limits catch flow or block nesting alone; the count below catches the two mixed.
    let options = granit_parser::options! { flow_nesting_limit: MAX_DEPTH, block_nesting_limit: MAX_DEPTH };
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut document = 0;
    let mut depth = 0usize;
    loop {
        match parser.next_event()? {
            Ok((event, span)) => match event {
                Event::DocumentStart(..) => {
                    document += 1;
                    depth = 0;
                }
                Event::SequenceStart(..) | Event::MappingStart(..) => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Some(TooDeep { document, line: span.start.line(), column: span.start.col() + 1 });
                    }
                }
                Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
                Event::StreamEnd => return None,
                _ => {}
            },
            Err(error) if matches!(error.kind(), granit_parser::ErrorKind::RecursionLimitExceeded) => {
                let mark = error.marker();
                return Some(TooDeep { document: document.max(1), line: mark.line(), column: mark.col() + 1 });
            }
            Err(_) => {
                // serde_yaml will report this document's syntax; look on in the next ones.
                depth = 0;
                if !parser.proceed_next_document().unwrap_or(false) {
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_nesting_passes() {
        let text = "a:\n  b:\n    c: [1, {d: [2]}]\n---\n- - - x\n";
        assert_eq!(find_too_deep(text), None);
        let at_limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(find_too_deep(&at_limit), None);
    }

    #[test]
    fn flow_nesting_beyond_the_limit_is_found_in_its_document() {
        let text = format!("a: 1\n---\nb: 2\n---\nc: {}\n", "[".repeat(MAX_DEPTH + 1));
        let found = find_too_deep(&text).expect("too deep");
        assert_eq!((found.document, found.line), (3, 5));
    }

    #[test]
    fn block_nesting_beyond_the_limit_is_found() {
        let text = format!("{}x\n", "- ".repeat(MAX_DEPTH + 1));
        assert_eq!(find_too_deep(&text).map(|f| f.document), Some(1));
    }

    #[test]
    fn a_syntax_error_does_not_hide_a_later_deep_document() {
        let text = format!("a: [1\n---\n{}\n", "{a: ".repeat(MAX_DEPTH + 1));
        assert_eq!(find_too_deep(&text).map(|f| f.document), Some(2));
    }

    #[test]
    fn megabytes_of_brackets_are_refused_at_once() {
        // How fast is for `tests/cli.rs` (under a timeout); here, that nothing is buffered first.
        let text = "[".repeat(6 << 20);
        assert_eq!(find_too_deep(&text).map(|f| (f.document, f.line, f.column)), Some((1, 1, MAX_DEPTH + 1)));
    }
}
