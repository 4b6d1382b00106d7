//! The `markdown` output, for pull-request comments: decision, summary, blocking items, then a
//! table per section.

use std::fmt::Write as _;

use super::visible::{push_visible, visible};
use super::{describe_summary, distinct_title, sections};
use crate::engine::Evaluation;

pub(super) fn render(evaluations: &[Evaluation]) -> String {
    if evaluations.is_empty() {
        return "No readiness checklists were evaluated.\n".to_owned();
    }
    let mut out = String::new();
    for (index, evaluation) in evaluations.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        render_one(&mut out, evaluation);
    }
    out
}

fn render_one(out: &mut String, evaluation: &Evaluation) {
    let _ = writeln!(
        out,
        "### Readiness checklist {}: **{}**\n",
        code(&format!("{}/{}", evaluation.namespace, evaluation.name)),
        evaluation.decision.as_str()
    );
    let _ = writeln!(out, "{}\n", describe_summary(&evaluation.summary));
    if let Some(admission) = &evaluation.admission {
        let _ = writeln!(out, "**Admission:** {}\n", escape(&admission.message));
    }
    if evaluation.blocking.is_empty() {
        out.push_str("No blocking items.\n\n");
    } else {
        let blocking: Vec<String> = evaluation.blocking.iter().map(|b| code(b)).collect();
        let _ = writeln!(out, "**Blocking:** {}\n", blocking.join(", "));
    }
    let sections = sections(evaluation);
    let headed = sections.iter().any(|s| s.title.is_some());
    for section in sections {
        if headed {
            let _ = writeln!(out, "#### {}\n", escape(section.title.unwrap_or("General")));
        }
        out.push_str("| State | Severity | Item | Title | Message |\n| --- | --- | --- | --- | --- |\n");
        for item in section.items {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                item.state.as_str(),
                item.severity.as_str(),
                code(&item.name),
                escape(distinct_title(item).unwrap_or_default()),
                escape(&item.message),
            );
        }
        out.push('\n');
    }
}

/// Makes user text inert inside a table cell: Markdown punctuation is backslash-escaped (so a
/// `*` in an RBAC message stays a star and `<` opens no HTML), `&` cannot start an entity, line
/// breaks become `<br>` since a cell is one line, and other control characters (terminal escapes
/// read in a pager, a lone `\r`) are spelled out visibly.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        for c in line.chars() {
            match c {
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' => {
                    escaped.push('\\');
                    escaped.push(c);
                }
                '&' => escaped.push_str("&amp;"),
                c => push_visible(&mut escaped, c),
            }
        }
        if lines.peek().is_some() {
            escaped.push_str("<br>");
        }
    }
    escaped
}

/// `text` as inline code that stays inside its table cell: controls (newlines included) spelled
/// out, `|` escaped (GitHub splits cells on it even in code), and a fence of backticks longer
/// than any run in the text, so a backtick in a name cannot end the span early.
fn code(text: &str) -> String {
    let mut content = String::with_capacity(text.len() + 2);
    for c in visible(text).chars() {
        if c == '|' {
            content.push_str("\\|");
        } else {
            content.push(c);
        }
    }
    let longest_run = content.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    // A span that starts or ends with a backtick needs a space between it and the fence.
    let pad = if content.starts_with('`') || content.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{content}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::{code, escape};

    #[test]
    fn escapes_pipes_markup_and_line_breaks_in_cells() {
        assert_eq!(escape("a|b"), r"a\|b");
        assert_eq!(escape("first\nsecond"), "first<br>second");
        assert_eq!(escape("verbs * on <all> & more"), r"verbs \* on \<all\> &amp; more");
    }

    #[test]
    fn spells_out_terminal_escapes_in_cells() {
        assert_eq!(escape("\u{1b}]0;pwned\u{7}"), "\\u{1b}\\]0;pwned\\u{7}");
        assert_eq!(escape("a\rb\u{9b}2J"), "a\\rb\\u{9b}2J");
    }

    #[test]
    fn code_spans_hold_backticks_pipes_and_newlines() {
        assert_eq!(code("api"), "`api`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a|b\nc\u{1b}"), "`a\\|b\\nc\\u{1b}`");
    }
}
