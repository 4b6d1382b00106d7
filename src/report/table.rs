//! The `table` output: per checklist a header, items grouped by section, a summary line.

use std::fmt::Write as _;

use super::visible::visible;
use super::{Options, describe_summary, distinct_title, sections};
use crate::api::{Decision, ItemState};
use crate::engine::Evaluation;

/// Titles longer than this are cut so the message column stays in view.
const MAX_TITLE_CHARS: usize = 48;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const MAGENTA: &str = "\x1b[35m";
const CYAN: &str = "\x1b[36m";

pub(super) fn render(evaluations: &[Evaluation], options: &Options) -> String {
    if evaluations.is_empty() {
        return "no checklists\n".to_owned();
    }
    let paint = Paint(options.color);
    let mut out = String::new();
    for (index, evaluation) in evaluations.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        render_one(&mut out, evaluation, options, paint);
    }
    out
}

fn render_one(out: &mut String, evaluation: &Evaluation, options: &Options, paint: Paint) {
    let decision = paint.wrap(decision_color(evaluation.decision), evaluation.decision.as_str());
    let _ = writeln!(
        out,
        "{} {}/{}: {decision}",
        paint.wrap(BOLD, "checklist"),
        visible(&evaluation.namespace),
        visible(&evaluation.name)
    );

    // Everything below but states, severities and counts is the checklist author's text (or an
    // object's, in messages): escaped before it is measured, so columns line up with the output.
    let name_width = evaluation.items.iter().map(|i| visible(&i.name).chars().count()).max().unwrap_or(0);
    let title_width = evaluation
        .items
        .iter()
        .filter_map(distinct_title)
        .map(|t| visible(t).chars().count().min(MAX_TITLE_CHARS))
        .max();
    let sections = sections(evaluation);
    let headed = sections.iter().any(|s| s.title.is_some());
    for section in &sections {
        let indent = if headed {
            let _ = writeln!(out, "  {}", paint.wrap(BOLD, &visible(section.title.unwrap_or("General"))));
            "    "
        } else {
            "  "
        };
        for item in &section.items {
            let state = paint.wrap(state_color(item.state), &format!("{:<7}", item.state.as_str()));
            let name = visible(&item.name);
            let mut row = format!("{indent}{state}  {:<8}  {name:<name_width$}", item.severity.as_str());
            if let Some(width) = title_width {
                let title = truncate(&visible(distinct_title(item).unwrap_or_default()), MAX_TITLE_CHARS);
                let _ = write!(row, "  {title:<width$}");
            }
            let message = truncate(&visible(&one_line(&item.message)), options.max_message_chars);
            if !message.is_empty() {
                let _ = write!(row, "  {message}");
            }
            let _ = writeln!(out, "{}", row.trim_end());
        }
    }
    let mut summary = format!("{}: {}", evaluation.decision.as_str(), describe_summary(&evaluation.summary));
    if !evaluation.blocking.is_empty() {
        let blocking: Vec<_> = evaluation.blocking.iter().map(|name| visible(name)).collect();
        let _ = write!(summary, "; blocking: {}", blocking.join(", "));
    }
    let _ = writeln!(out, "  {}", paint.wrap(decision_color(evaluation.decision), &summary));
    if let Some(admission) = &evaluation.admission {
        let color = if admission.held { RED } else { decision_color(evaluation.decision) };
        let _ = writeln!(out, "  {}", paint.wrap(color, &format!("admission: {}", visible(&admission.message))));
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cuts `text` to `max` characters, marking the cut with `…`.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn state_color(state: ItemState) -> &'static str {
    match state {
        ItemState::Passed => GREEN,
        ItemState::Waived => CYAN,
        ItemState::Failed => RED,
        ItemState::Pending => YELLOW,
        ItemState::Error => MAGENTA,
        ItemState::Skipped => DIM,
    }
}

fn decision_color(decision: Decision) -> &'static str {
    match decision {
        Decision::Go => GREEN,
        Decision::NoGo => RED,
        Decision::Unknown => YELLOW,
    }
}

/// Wraps text in an ANSI style, or leaves it plain when colour is off.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, style: &str, text: &str) -> String {
        if self.0 { format!("{style}{text}{RESET}") } else { text.to_owned() }
    }
}
