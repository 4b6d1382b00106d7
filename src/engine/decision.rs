//! The decision rule, the summary, and how readers judge a stored status.

use jiff::Timestamp;

use super::ItemResult;
use crate::api::{Decision, ItemState, ReadinessChecklist, Severity, Summary};

/// An evaluation older than this is stale when the gate sets no `maxStaleness`.
pub const DEFAULT_MAX_STALENESS: std::time::Duration = std::time::Duration::from_secs(600);

/// From the Critical items: any Failed or Pending -> NoGo; else any Error or Skipped ->
/// Unknown; else Go. Waived counts as Passed. High and Low items never decide.
pub fn decide(items: &[ItemResult]) -> Decision {
    let critical = || items.iter().filter(|i| i.severity == Severity::Critical);
    if critical().any(|i| matches!(i.state, ItemState::Failed | ItemState::Pending)) {
        Decision::NoGo
    } else if critical().any(|i| matches!(i.state, ItemState::Error | ItemState::Skipped)) {
        Decision::Unknown
    } else {
        Decision::Go
    }
}

pub fn summarize(items: &[ItemResult]) -> Summary {
    let mut summary = Summary { total: items.len() as u32, ..Summary::default() };
    for item in items {
        let counter = match item.state {
            ItemState::Passed => &mut summary.passed,
            ItemState::Failed => &mut summary.failed,
            ItemState::Pending => &mut summary.pending,
            ItemState::Error => &mut summary.error,
            ItemState::Skipped => &mut summary.skipped,
            ItemState::Waived => &mut summary.waived,
        };
        *counter += 1;
    }
    summary
}

/// The decision a reader (webhook, `readygate status`) may rely on, with the reason when it is
/// not the stored one: Unknown before the first evaluation, when the evaluation is for an older
/// generation of the spec, or when it is older than `gate.maxStaleness`.
pub fn current_decision(checklist: &ReadinessChecklist, now: Timestamp) -> (Decision, Option<String>) {
    let Some(status) = &checklist.status else {
        return (Decision::Unknown, Some("not evaluated yet".to_owned()));
    };
    let Some(evaluated_at) = &status.last_evaluation_time else {
        return (Decision::Unknown, Some("not evaluated yet".to_owned()));
    };
    if status.observed_generation != checklist.metadata.generation {
        return (
            Decision::Unknown,
            Some(format!(
                "evaluation is for generation {}, spec is at generation {}",
                status.observed_generation.unwrap_or_default(),
                checklist.metadata.generation.unwrap_or_default()
            )),
        );
    }
    let max_staleness = checklist
        .spec
        .gate
        .as_ref()
        .and_then(|g| g.max_staleness.as_ref())
        .map_or(DEFAULT_MAX_STALENESS, |d| d.as_std());
    let age = now.duration_since(evaluated_at.0);
    let limit = jiff::SignedDuration::try_from(max_staleness).unwrap_or(jiff::SignedDuration::MAX);
    if age > limit {
        return (
            Decision::Unknown,
            Some(format!("last evaluation is {}s old (maxStaleness {}s)", age.as_secs(), max_staleness.as_secs())),
        );
    }
    (status.decision, None)
}
