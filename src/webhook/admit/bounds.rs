//! Keeping what goes back to the API server within its limits: warnings (256 runes each, 4 KiB in all) and messages.

/// The API server truncates a warning past 256 runes; staying under 256 bytes keeps ours whole.
pub const MAX_WARNING_BYTES: usize = 256;
/// The API server keeps at most 4 Ki runes of warnings per response.
pub const MAX_WARNINGS_TOTAL_BYTES: usize = 4096;

const ELLIPSIS: char = '…';

/// Cuts `text` to `max` bytes on a character boundary, marking the cut with `…`.
pub fn bound_text(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub(ELLIPSIS.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut bounded = text[..end].to_owned();
    bounded.push(ELLIPSIS);
    bounded
}

/// Warnings travel as HTTP `Warning` headers: control characters become spaces, each warning is
/// cut to [`MAX_WARNING_BYTES`], and once the total would pass [`MAX_WARNINGS_TOTAL_BYTES`] the
/// rest is replaced by one line saying how many were left out.
pub fn bound_warnings(warnings: Vec<String>) -> Vec<String> {
    const RESERVE: usize = 64;
    let count = warnings.len();
    let mut kept = Vec::with_capacity(count);
    let mut total = 0;
    for (i, warning) in warnings.into_iter().enumerate() {
        let clean: String = warning.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let clean = bound_text(clean.trim(), MAX_WARNING_BYTES);
        if clean.is_empty() {
            continue;
        }
        let last = i + 1 == count;
        let budget = if last { MAX_WARNINGS_TOTAL_BYTES } else { MAX_WARNINGS_TOTAL_BYTES - RESERVE };
        if total + clean.len() > budget {
            kept.push(format!("{} more warnings omitted; see `readygate status`", count - i));
            break;
        }
        total += clean.len();
        kept.push(clean);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{assert_contains, assert_ends_with};

    #[test]
    fn short_text_is_untouched() {
        assert_eq!(bound_text("deployment/api", 256), "deployment/api");
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let text = "é".repeat(300);
        let cut = bound_text(&text, MAX_WARNING_BYTES);
        assert!(cut.len() <= MAX_WARNING_BYTES);
        assert_ends_with(&cut, "…");
    }

    #[test]
    fn each_warning_stays_under_256_bytes_and_loses_control_characters() {
        let warnings = bound_warnings(vec![format!("line\nbreak {}", "x".repeat(400))]);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].len() <= MAX_WARNING_BYTES);
        assert!(!warnings[0].contains('\n'));
    }

    #[test]
    fn many_warnings_stay_under_4_kib_and_say_how_many_were_left_out() {
        let warnings = bound_warnings((0..100).map(|i| format!("warning {i} {}", "y".repeat(200))).collect());
        let total: usize = warnings.iter().map(String::len).sum();
        assert!(total <= MAX_WARNINGS_TOTAL_BYTES, "total {total}");
        let last = warnings.last().expect("some");
        assert_contains(last, "more warnings omitted");
        assert!(warnings.iter().all(|w| w.len() <= MAX_WARNING_BYTES));
    }

    #[test]
    fn warnings_that_fit_are_all_kept() {
        let warnings = bound_warnings(vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(warnings, ["a", "b"]);
    }
}
