//! A live checklist's stored status as the `Evaluation` the report renderers print, with the
//! reason its decision is Unknown when the stored one may not be relied on, and the views that
//! show that reason.

use jiff::Timestamp;
use serde::Serialize;

use crate::api::{ItemState, ReadinessChecklist};
use crate::engine::{Evaluation, ItemResult, current_decision};
use crate::report::{self, ChecklistReport};
use crate::{Error, Result};

/// What `readygate status` shows for one checklist.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveView {
    /// The stored evaluation, its decision as a reader may rely on it.
    pub evaluation: Evaluation,
    /// Why the decision is Unknown when the stored one does not count (not evaluated yet,
    /// evaluated for an older spec, or stale).
    pub reason: Option<String>,
    /// The stored `GateWired` condition of a gating checklist: whether the workloads webhook
    /// receives its namespace at all.
    pub gate: Option<GateWired>,
}

/// `GateWired` as `readygate status` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GateWired {
    pub status: String,
    pub reason: String,
    pub message: String,
}

impl GateWired {
    fn of(checklist: &ReadinessChecklist) -> Option<GateWired> {
        let conditions = &checklist.status.as_ref()?.conditions;
        let condition = conditions.iter().find(|c| c.type_ == crate::controller::wiring::CONDITION_GATE_WIRED)?;
        Some(GateWired {
            status: condition.status.clone(),
            reason: condition.reason.clone(),
            message: condition.message.clone(),
        })
    }

    /// The line the table and Markdown views add: only when the gate does not reach admissions
    /// (or readygate cannot tell).
    pub fn warning(&self) -> Option<String> {
        (self.status != "True").then(|| format!("gate not wired ({}): {}", self.reason, self.message))
    }
}

/// Reads the controller's `status` without re-evaluating anything: items in spec order with
/// their stored state and message (titles and sections from the spec), the stored summary and
/// blocking items when the status is current. When it is not, the decision is Unknown, items
/// the stored evaluation lacks show as Skipped, and summary and blocking are counted from what
/// is shown.
pub fn evaluation_from_status(checklist: &ReadinessChecklist, now: Timestamp) -> LiveView {
    let (decision, why) = current_decision(checklist, now);
    let stored = checklist.status.as_ref();
    let items: Vec<ItemResult> = checklist
        .spec
        .items
        .iter()
        .map(|item| {
            let evaluated = stored.and_then(|s| s.items.iter().find(|i| i.name == item.name));
            ItemResult {
                name: item.name.clone(),
                title: item.display_title().to_owned(),
                section: item.section.clone(),
                severity: evaluated.map_or(item.severity, |e| e.severity),
                check: item.check.key(),
                state: evaluated.map_or(ItemState::Skipped, |e| e.state),
                message: evaluated.map_or_else(|| "not evaluated yet".to_owned(), |e| e.message.clone()),
            }
        })
        .collect();
    let mut evaluation = Evaluation::from_items(
        checklist.metadata.namespace.clone().unwrap_or_else(|| "default".to_owned()),
        checklist.metadata.name.clone().unwrap_or_default(),
        items,
    );
    evaluation.decision = decision;
    evaluation.evaluated_at = stored.and_then(|s| s.last_evaluation_time.as_ref()).map(|t| t.0);
    if let Some(status) = stored.filter(|_| why.is_none()) {
        evaluation.summary = status.summary.clone();
        evaluation.blocking = status.blocking.clone();
    }
    // Windows and soak time as the webhook judges them now.
    evaluation.admission = crate::engine::admission::for_stored(checklist, now);
    LiveView { evaluation, reason: why.map(|why| unknown_because(checklist, why)), gate: GateWired::of(checklist) }
}

/// Names the case, so a reader sees at once whether to wait, or look at the controller.
fn unknown_because(checklist: &ReadinessChecklist, why: String) -> String {
    let Some(status) = checklist.status.as_ref().filter(|s| s.last_evaluation_time.is_some()) else {
        return format!("{why} (is the readygate controller running?)");
    };
    let case = if status.observed_generation != checklist.metadata.generation {
        "status is outdated"
    } else {
        "status is stale"
    };
    format!("{case}: {why}; the stored decision is {}", status.decision.as_str())
}

/// One entry of the `json`/`yaml` list: the `check` shape plus `decisionReason` when the
/// decision is Unknown for a reason the items don't show, and `gateWired` for a gating checklist.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LiveReport<'a> {
    #[serde(flatten)]
    report: ChecklistReport<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision_reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gate_wired: Option<&'a GateWired>,
}

/// Renders as `check` does, with each reason after its checklist: a `note:` line in the table,
/// a quote in Markdown, `decisionReason` in JSON and YAML. JUnit has no place for it. A gate
/// that is not wired is said the same way (`gate not wired`, `gateWired`).
pub(super) fn render(format: report::Format, views: &[LiveView], options: &report::Options) -> Result<String> {
    let evaluations: Vec<Evaluation> = views.iter().map(|v| v.evaluation.clone()).collect();
    match format {
        report::Format::Table | report::Format::Markdown if !views.is_empty() => {
            let mut parts = Vec::new();
            for view in views {
                let mut text = report::render(format, std::slice::from_ref(&view.evaluation), options)?;
                let notes = [view.reason.clone(), view.gate.as_ref().and_then(GateWired::warning)];
                for note in notes.into_iter().flatten() {
                    match format {
                        report::Format::Table => text.push_str(&format!("  note: {note}\n")),
                        _ => text.push_str(&format!("> **Note:** {note}\n")),
                    }
                }
                parts.push(text);
            }
            Ok(parts.join("\n"))
        }
        report::Format::Json | report::Format::Yaml => {
            let entries: Vec<LiveReport<'_>> = report::reports(&evaluations)
                .into_iter()
                .zip(views)
                .map(|(report, view)| LiveReport {
                    report,
                    decision_reason: view.reason.as_deref(),
                    gate_wired: view.gate.as_ref(),
                })
                .collect();
            if format == report::Format::Json {
                let text = serde_json::to_string_pretty(&entries).map_err(|e| Error::serialize("status as JSON", e))?;
                Ok(text + "\n")
            } else {
                report::to_yaml(&entries).map_err(|e| Error::serialize("status as YAML", e))
            }
        }
        _ => report::render(format, &evaluations, options),
    }
}

#[cfg(test)]
mod tests;
