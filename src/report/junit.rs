//! The `junit` output: one `<testsuite>` per checklist, one `<testcase>` per item, so CI systems
//! show readiness items next to tests. Failed and Pending fail, Error errs, Skipped skips,
//! Waived passes with a note.

use std::fmt::Write as _;

use super::distinct_title;
use crate::api::ItemState;
use crate::engine::{Evaluation, ItemResult};

pub(super) fn render(evaluations: &[Evaluation]) -> String {
    let count = |states: &[ItemState]| -> usize {
        evaluations.iter().flat_map(|e| &e.items).filter(|i| states.contains(&i.state)).count()
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"readygate\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        evaluations.iter().map(|e| e.items.len()).sum::<usize>(),
        count(&[ItemState::Failed, ItemState::Pending]),
        count(&[ItemState::Error]),
        count(&[ItemState::Skipped]),
    );
    for evaluation in evaluations {
        render_suite(&mut out, evaluation);
    }
    out.push_str("</testsuites>\n");
    out
}

fn render_suite(out: &mut String, evaluation: &Evaluation) {
    let summary = &evaluation.summary;
    let suite = format!("{}/{}", evaluation.namespace, evaluation.name);
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        escape(&suite),
        summary.total,
        summary.failed + summary.pending,
        summary.error,
        summary.skipped,
    );
    out.push_str("    <properties>\n");
    let _ = writeln!(out, "      <property name=\"decision\" value=\"{}\"/>", evaluation.decision.as_str());
    let _ = writeln!(out, "      <property name=\"blocking\" value=\"{}\"/>", escape(&evaluation.blocking.join(",")));
    out.push_str("    </properties>\n");
    for item in &evaluation.items {
        render_case(out, item, &suite);
    }
    out.push_str("  </testsuite>\n");
}

fn render_case(out: &mut String, item: &ItemResult, suite: &str) {
    let classname = item.section.as_deref().unwrap_or(suite);
    let name = match distinct_title(item) {
        Some(title) => format!("{}: {title}", item.name),
        None => item.name.clone(),
    };
    let _ = writeln!(out, "    <testcase classname=\"{}\" name=\"{}\">", escape(classname), escape(&name));
    let message = escape(&item.message);
    let severity = item.severity.as_str();
    match item.state {
        ItemState::Failed | ItemState::Pending => {
            let state = item.state.as_str();
            let _ =
                writeln!(out, "      <failure type=\"{state}\" message=\"{message}\">{severity}: {message}</failure>");
        }
        ItemState::Error => {
            let _ = writeln!(out, "      <error type=\"Error\" message=\"{message}\">{severity}: {message}</error>");
        }
        ItemState::Skipped => {
            let _ = writeln!(out, "      <skipped message=\"{message}\"/>");
        }
        ItemState::Waived => {
            let _ = writeln!(out, "      <system-out>Waived: {message}</system-out>");
        }
        ItemState::Passed => {
            let _ = writeln!(out, "      <system-out>{message}</system-out>");
        }
    }
    out.push_str("    </testcase>\n");
}

/// Escapes text for XML content and double-quoted attributes. Characters XML 1.0 cannot carry
/// at all (most C0 controls) become U+FFFD; line breaks become character references so
/// attribute values keep them. DEL, C1 controls and bidi overrides are legal XML but reach the
/// terminals and web pages that show CI results (`\u{9b}` is a CSI): they are spelled as visible
/// escapes, as in the table and Markdown outputs.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\n' => escaped.push_str("&#10;"),
            '\r' => escaped.push_str("&#13;"),
            '\t' => escaped.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => escaped.push('\u{FFFD}'),
            c => super::visible::push_visible(&mut escaped, c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_quotes_and_characters_xml_cannot_hold() {
        assert_eq!(escape(r#"a<b & "c" 'd'>"#), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
        assert_eq!(escape("line\nbreak\u{1b}[31m"), "line&#10;break\u{FFFD}[31m");
    }

    #[test]
    fn del_c1_and_bidi_controls_are_spelled_out() {
        assert_eq!(escape("del\u{7f} csi\u{9b}2J"), "del\\u{7f} csi\\u{9b}2J");
        assert_eq!(escape("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(escape("Café ✓"), "Café ✓");
    }
}
