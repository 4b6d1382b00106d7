//! The status and Event of an evaluation that did not finish (deadline passed, previous one
//! still running): decision `Unknown`, so the gate fails closed, and an `Evaluated` condition
//! `False` that says why. Items keep the results of the last evaluation that finished, for
//! whoever debugs the checklist; they no longer decide anything.

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::evaluator::Unfinished;
use super::events::Planned;
use crate::api::{Decision, ReadinessChecklistStatus};
use crate::engine::{CONDITION_EVALUATED, CONDITION_READY, condition, history_after};

/// What `status.conditions[Evaluated].message` and the Event say.
pub fn message(unfinished: &Unfinished) -> String {
    format!("{unfinished}; the decision is Unknown until an evaluation finishes (retried with backoff)")
}

/// The status after an unfinished evaluation, given the previous one.
pub fn status(
    previous: Option<&ReadinessChecklistStatus>,
    unfinished: &Unfinished,
    generation: Option<i64>,
    now: Timestamp,
) -> ReadinessChecklistStatus {
    let now_time = Time(now);
    let mut next = previous.cloned().unwrap_or_default();
    let before = next.conditions.clone();
    let text = message(unfinished);
    next.conditions = vec![
        condition(&before, CONDITION_READY, "False", Decision::Unknown.as_str(), &text, generation, &now_time),
        condition(&before, CONDITION_EVALUATED, "False", unfinished.reason(), &text, generation, &now_time),
    ];
    next.history = history_after(previous, Decision::Unknown, generation, &now_time);
    next.decision = Decision::Unknown;
    next.observed_generation = generation;
    next.last_evaluation_time = Some(now_time);
    next
}

/// A Warning Event when evaluations stop finishing; nothing while they keep failing the same way
/// (retries would flood the API otherwise).
pub fn event(previous: Option<&ReadinessChecklistStatus>, unfinished: &Unfinished) -> Option<Planned> {
    let already = previous.is_some_and(|p| {
        p.conditions
            .iter()
            .any(|c| c.type_ == CONDITION_EVALUATED && c.status == "False" && c.reason == unfinished.reason())
    });
    (!already).then(|| Planned { warning: true, reason: unfinished.reason().to_owned(), note: message(unfinished) })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::api::{HistoryEntry, ItemState, ItemStatus, Severity};
    use crate::checks::fixtures::assert_contains;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

    fn go() -> ReadinessChecklistStatus {
        let at = Time(Timestamp::UNIX_EPOCH);
        ReadinessChecklistStatus {
            decision: Decision::Go,
            last_evaluation_time: Some(at.clone()),
            items: vec![ItemStatus {
                name: "a".to_owned(),
                state: ItemState::Passed,
                severity: Severity::Critical,
                message: "fine".to_owned(),
                last_transition_time: Some(at.clone()),
            }],
            conditions: vec![Condition {
                type_: CONDITION_EVALUATED.to_owned(),
                status: "True".to_owned(),
                reason: "Current".to_owned(),
                message: "all items evaluated".to_owned(),
                observed_generation: Some(1),
                last_transition_time: at.clone(),
            }],
            history: vec![HistoryEntry { decision: Decision::Go, time: at, generation: Some(1) }],
            ..ReadinessChecklistStatus::default()
        }
    }

    fn deadline() -> Unfinished {
        Unfinished::DeadlineExceeded { limit: Duration::from_secs(5) }
    }

    #[test]
    fn the_decision_becomes_unknown_and_evaluated_says_why() {
        let now = Timestamp::from_second(1_000).expect("time");
        let next = status(Some(&go()), &deadline(), Some(2), now);
        assert_eq!(next.decision, Decision::Unknown);
        assert_eq!(next.observed_generation, Some(2));
        let evaluated = next.conditions.iter().find(|c| c.type_ == CONDITION_EVALUATED).expect("Evaluated");
        assert_eq!((evaluated.status.as_str(), evaluated.reason.as_str()), ("False", "DeadlineExceeded"));
        assert_contains(&evaluated.message, "did not finish within 5s");
        assert_eq!(evaluated.last_transition_time, Time(now));
        let ready = next.conditions.iter().find(|c| c.type_ == CONDITION_READY).expect("Ready");
        assert_eq!((ready.status.as_str(), ready.reason.as_str()), ("False", "Unknown"));
        assert_eq!(next.history[0].decision, Decision::Unknown, "the change is in the history");
        assert_eq!(next.items, go().items, "the last finished results stay for reference");
    }

    #[test]
    fn repeated_deadlines_keep_transition_times_and_announce_once() {
        let first = status(Some(&go()), &deadline(), Some(1), Timestamp::from_second(1_000).expect("time"));
        assert!(event(Some(&go()), &deadline()).is_some_and(|e| e.warning && e.reason == "DeadlineExceeded"));
        let second = status(Some(&first), &deadline(), Some(1), Timestamp::from_second(2_000).expect("time"));
        assert_eq!(second.conditions, first.conditions, "same condition, same transition time");
        assert_eq!(second.history, first.history, "no new history entry");
        assert!(event(Some(&first), &deadline()).is_none(), "no Event per retry");
        let still_running = Unfinished::StillRunning { limit: Duration::from_secs(5) };
        let third = status(Some(&second), &still_running, Some(1), Timestamp::from_second(3_000).expect("time"));
        let reasons = |s: &ReadinessChecklistStatus| s.conditions.iter().map(|c| c.reason.clone()).collect::<Vec<_>>();
        assert_eq!(reasons(&third), reasons(&second), "a retry refused while the runaway runs does not flap");
        assert!(event(Some(&second), &still_running).is_none());
        assert!(event(Some(&first), &Unfinished::Panicked).is_some(), "a new reason is announced");
    }
}
