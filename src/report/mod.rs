//! Rendering evaluations for people and tools: table, JSON and YAML, JUnit XML, Markdown, HTML.
//! Pure: evaluations in, text out; the caller decides where it goes.

pub mod html;
mod json;
mod junit;
mod markdown;
pub mod policy_report;
mod table;
mod visible;

pub use json::{ChecklistReport, ItemReport, reports, to_yaml};

use crate::Result;
use crate::api::Summary;
use crate::engine::{Evaluation, ItemResult};

/// The `--output` formats, as `readygate check` and `readygate status` accept them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
    Yaml,
    Junit,
    Markdown,
    /// A self-contained HTML page (no external resources), e.g. a CI artifact.
    Html,
}

/// How a table (and the HTML report) looks; the other formats ignore these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// ANSI colours (the caller decides: a terminal, and `NO_COLOR` unset).
    pub color: bool,
    /// Messages longer than this many characters are cut, so a row stays readable.
    pub max_message_chars: usize,
    /// The evaluation ran from manifests, without a cluster: the HTML report marks Skipped
    /// (live-only) items as not evaluated offline.
    pub offline: bool,
    /// Why the sign-offs could not be read (the board, when the user may not list
    /// ReadinessSignoffs): said in the sign-off and waiver sections, whose tables then only
    /// look unsigned.
    pub signoffs_unreadable: Option<&'static str>,
}

impl Default for Options {
    fn default() -> Self {
        Options { color: false, max_message_chars: 100, offline: false, signoffs_unreadable: None }
    }
}

/// Renders `evaluations` (one per checklist, in the order given) as `format`.
pub fn render(format: Format, evaluations: &[Evaluation], options: &Options) -> Result<String> {
    match format {
        Format::Table => Ok(table::render(evaluations, options)),
        Format::Json => json::render_json(evaluations),
        Format::Yaml => json::render_yaml(evaluations),
        Format::Junit => Ok(junit::render(evaluations)),
        Format::Markdown => Ok(markdown::render(evaluations)),
        Format::Html => Ok(html::render(evaluations, options)),
    }
}

/// Items sharing a section, in the order the section first appears; items keep spec order.
struct Section<'a> {
    title: Option<&'a str>,
    items: Vec<&'a ItemResult>,
}

fn sections(evaluation: &Evaluation) -> Vec<Section<'_>> {
    let mut sections: Vec<Section<'_>> = Vec::new();
    for item in &evaluation.items {
        let title = item.section.as_deref();
        match sections.iter_mut().find(|s| s.title == title) {
            Some(section) => section.items.push(item),
            None => sections.push(Section { title, items: vec![item] }),
        }
    }
    sections
}

/// `5 items: 3 passed, 1 failed, 1 waived`: the non-zero counts, in the status's order.
fn describe_summary(summary: &Summary) -> String {
    let counts = [
        (summary.passed, "passed"),
        (summary.failed, "failed"),
        (summary.pending, "pending"),
        (summary.error, "error"),
        (summary.skipped, "skipped"),
        (summary.waived, "waived"),
    ];
    let parts: Vec<String> =
        counts.iter().filter(|(count, _)| *count > 0).map(|(count, word)| format!("{count} {word}")).collect();
    let noun = if summary.total == 1 { "item" } else { "items" };
    if parts.is_empty() {
        format!("{} {noun}", summary.total)
    } else {
        format!("{} {noun}: {}", summary.total, parts.join(", "))
    }
}

/// The title when it says more than the name.
fn distinct_title(item: &ItemResult) -> Option<&str> {
    (item.title != item.name && !item.title.is_empty()).then_some(item.title.as_str())
}

#[cfg(test)]
mod tests;
