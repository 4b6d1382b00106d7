//! Keeping messages short: many objects named by the first few and a count, long user text
//! (CEL expressions, PromQL) echoed on one line and clipped.

/// `a, b, c and 4 more`: the first `shown` items, then how many were left out.
pub(crate) fn list(items: &[String], shown: usize) -> String {
    let mut text = items.iter().take(shown).map(String::as_str).collect::<Vec<_>>().join(", ");
    if items.len() > shown {
        text.push_str(&format!(" and {} more", items.len() - shown));
    }
    text
}

/// `text` on one line (whitespace runs become one space), cut after `max_chars` characters with
/// `…` marking the cut.
pub(crate) fn one_line(text: &str, max_chars: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("deployment/d{i}")).collect()
    }

    #[test]
    fn lists_everything_up_to_the_limit() {
        assert_eq!(list(&names(2), 3), "deployment/d1, deployment/d2");
        assert_eq!(list(&names(3), 3), "deployment/d1, deployment/d2, deployment/d3");
        assert_eq!(list(&[], 3), "");
    }

    #[test]
    fn counts_what_is_left_out() {
        assert_eq!(list(&names(5), 2), "deployment/d1, deployment/d2 and 3 more");
    }

    #[test]
    fn echoes_text_on_one_line_clipped_on_a_character() {
        assert_eq!(one_line("sum(rate(x[5m]))\n  by (job)", 80), "sum(rate(x[5m])) by (job)");
        assert_eq!(one_line("größer als", 4), "größ…");
    }
}
