//! Turning an evaluation into `status`: conditions that keep `lastTransitionTime`, item
//! transition times, bounded history, and whether a write is needed at all.

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::Evaluation;
use crate::api::{Decision, HistoryEntry, ItemStatus, ReadinessChecklistStatus, Severity};

pub const CONDITION_READY: &str = "Ready";
pub const CONDITION_EVALUATED: &str = "Evaluated";
pub const REASON_CURRENT: &str = "Current";
/// How many decision changes `status.history` keeps.
pub const HISTORY_LIMIT: usize = 10;

/// The status to write after `evaluation`, given the previous one. Times only move when the
/// thing they time changes; `observedGeneration` is always set.
pub fn next_status(
    previous: Option<&ReadinessChecklistStatus>,
    evaluation: &Evaluation,
    generation: Option<i64>,
    now: Timestamp,
) -> ReadinessChecklistStatus {
    let now_time = Time(now);
    let items = evaluation
        .items
        .iter()
        .map(|item| {
            let before = previous.and_then(|p| p.items.iter().find(|i| i.name == item.name));
            let last_transition_time = match before {
                Some(b) if b.state == item.state => b.last_transition_time.clone(),
                _ => Some(now_time.clone()),
            };
            ItemStatus {
                name: item.name.clone(),
                state: item.state,
                severity: item.severity,
                message: item.message.clone(),
                last_transition_time,
            }
        })
        .collect();

    let critical_total = evaluation.items.iter().filter(|i| i.severity == Severity::Critical).count();
    let critical_ok = critical_total - evaluation.blocking.len();
    let ready_message = if evaluation.blocking.is_empty() {
        format!("{critical_ok}/{critical_total} critical items pass")
    } else {
        format!("{critical_ok}/{critical_total} critical items pass; blocking: {}", evaluation.blocking.join(", "))
    };
    let ready_status = if evaluation.decision == Decision::Go { "True" } else { "False" };
    let previous_conditions = previous.map(|p| p.conditions.as_slice()).unwrap_or_default();
    let conditions = vec![
        condition(
            previous_conditions,
            CONDITION_READY,
            ready_status,
            evaluation.decision.as_str(),
            &super::bound_message(ready_message),
            generation,
            &now_time,
        ),
        condition(
            previous_conditions,
            CONDITION_EVALUATED,
            "True",
            REASON_CURRENT,
            "all items evaluated",
            generation,
            &now_time,
        ),
    ];

    let history = history_after(previous, evaluation.decision, generation, &now_time);

    let summary = evaluation.summary.clone();
    ReadinessChecklistStatus {
        decision: evaluation.decision,
        observed_generation: generation,
        last_evaluation_time: Some(now_time),
        progress: Some(format!("{}/{}", summary.passed + summary.waived, summary.total)),
        summary,
        blocking: evaluation.blocking.clone(),
        blocking_count: evaluation.blocking.len() as u32,
        items,
        conditions,
        history,
        admission: None,
        expiring_waivers: Vec::new(),
    }
}

/// `previous`'s decision history with `decision` in front when it changed (or starts the
/// history), at most [`HISTORY_LIMIT`] long: the same decision again adds nothing, so the
/// history lists changes, whoever evaluated.
pub fn history_after(
    previous: Option<&ReadinessChecklistStatus>,
    decision: Decision,
    generation: Option<i64>,
    now: &Time,
) -> Vec<HistoryEntry> {
    let mut history = previous.map(|p| p.history.clone()).unwrap_or_default();
    if previous.is_none_or(|p| p.decision != decision || p.history.is_empty()) {
        history.insert(0, HistoryEntry { decision, time: now.clone(), generation });
        history.truncate(HISTORY_LIMIT);
    }
    history
}

/// A condition that keeps its `lastTransitionTime` when `previous` already had it with the same
/// status (as `meta.SetStatusCondition` does).
pub fn condition(
    previous: &[Condition],
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    generation: Option<i64>,
    now: &Time,
) -> Condition {
    let last_transition_time = previous
        .iter()
        .find(|c| c.type_ == type_ && c.status == status)
        .map_or_else(|| now.clone(), |c| c.last_transition_time.clone());
    Condition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: reason.to_owned(),
        message: message.to_owned(),
        observed_generation: generation,
        last_transition_time,
    }
}

/// Whether `next` must be written over `previous`: something other than the evaluation time
/// changed, or the stored evaluation is older than `refresh_after` (so readers don't judge it
/// stale). An unchanged cluster therefore causes no writes between refreshes.
pub fn status_needs_write(
    previous: Option<&ReadinessChecklistStatus>,
    next: &ReadinessChecklistStatus,
    refresh_after: std::time::Duration,
    now: Timestamp,
) -> bool {
    let Some(previous) = previous else { return true };
    let mut comparable = previous.clone();
    comparable.last_evaluation_time = next.last_evaluation_time.clone();
    if &comparable != next {
        return true;
    }
    let refresh = jiff::SignedDuration::try_from(refresh_after).unwrap_or(jiff::SignedDuration::MAX);
    previous.last_evaluation_time.as_ref().is_none_or(|t| now.duration_since(t.0) >= refresh)
}
