//! Making text from checklists and objects inert where a person reads it.
//!
//! Titles, sections, names and messages come from whoever wrote the checklist or the objects.
//! Printed raw, `\e]0;...\a` retitles the terminal, `\e[2J` clears it, a newline forges a row,
//! and bidirectional overrides make a line read differently from what it holds. Every control
//! character (C0, DEL, C1) and every bidi control is written as a visible escape instead:
//! `\n`, `\t`, `\r`, or `\u{1b}`.

use std::borrow::Cow;

/// `text` with every control character spelled as a visible escape.
pub(super) fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

/// Appends `c`, or its visible escape when it is a control character.
pub(super) fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        c => out.push(c),
    }
}

/// C0, DEL and C1 controls (`char::is_control`), and the bidirectional formatting characters
/// that reorder what a terminal or browser shows (the "Trojan Source" set).
pub(super) fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(visible("\u{1b}]0;pwned\u{7}"), "\\u{1b}]0;pwned\\u{7}");
        assert_eq!(visible("\u{1b}[2J"), "\\u{1b}[2J");
        assert_eq!(visible("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        assert_eq!(visible("del\u{7f} csi\u{9b}"), "del\\u{7f} csi\\u{9b}");
        assert_eq!(visible("abc\u{202e}def"), "abc\\u{202e}def");
    }

    #[test]
    fn other_text_is_borrowed_unchanged() {
        assert!(matches!(visible("Café: 100% ✓ 日本"), Cow::Borrowed("Café: 100% ✓ 日本")));
    }
}
