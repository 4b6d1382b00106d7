//! Events of windows and expiring waivers, planned against the stored status: a controller that
//! restarts (and so plans against what it stored before) repeats none of them.

use jiff::Timestamp;

use super::*;
use crate::api::{ItemState, ReadinessChecklist, Severity, SignoffAction};
use crate::engine::{self, Evaluation, ItemResult, SignoffRecord, governance};

fn at(text: &str) -> Timestamp {
    text.parse().expect("RFC 3339")
}

fn checklist() -> ReadinessChecklist {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": "shop", "generation": 1},
        "spec": {"gate": {"selector": {}, "freezeWindows": [
            {"name": "friday", "schedule": "0 16 * * 5", "duration": "64h", "reason": "weekend"}]},
            "items": [{"name": "hpa", "severity": "Critical", "waivableBy": {"groups": ["leads"]},
                       "check": {"horizontalPodAutoscaler": {"target": {"kind": "Deployment", "name": "api"}}}}]}
    }))
    .expect("checklist")
}

fn waived(expires: &str) -> Evaluation {
    let mut evaluation = Evaluation::from_items(
        "shop".to_owned(),
        "release".to_owned(),
        vec![ItemResult {
            name: "hpa".to_owned(),
            title: "hpa".to_owned(),
            section: None,
            severity: Severity::Critical,
            check: "horizontalPodAutoscaler",
            state: ItemState::Waived,
            message: "waived".to_owned(),
        }],
    );
    evaluation.signoffs = vec![SignoffRecord {
        object: "hpa-waiver".to_owned(),
        item: "hpa".to_owned(),
        action: SignoffAction::Waive,
        signer: "lead".to_owned(),
        reason: "capacity test next week".to_owned(),
        signed_at: None,
        expires_at: Some(at(expires)),
    }];
    evaluation
}

/// One reconcile as the controller runs it: status from the evaluation, annotated, Events
/// planned against `stored`.
fn reconcile(
    stored: Option<&ReadinessChecklistStatus>,
    now: &str,
) -> (ReadinessChecklistStatus, Vec<Planned>, Option<Timestamp>) {
    let evaluation = waived("2026-12-10T12:00:00Z");
    let mut next = engine::next_status(stored, &evaluation, Some(1), at(now));
    let change = governance::annotate(
        &checklist(),
        &evaluation,
        &mut next,
        stored,
        governance::DEFAULT_WAIVER_LEAD_TIME,
        at(now),
    );
    let mut planned = super::super::events::plan(stored, &next);
    planned.extend(plan(stored, &next));
    (next, planned, change)
}

fn reasons(planned: &[Planned]) -> Vec<&str> {
    planned.iter().map(|p| p.reason.as_str()).collect()
}

#[test]
fn an_expiring_waiver_raises_one_event_across_a_restart() {
    // Monday 2026-12-07: the waiver expires Thursday noon, 4 days out: not yet within 72 h.
    let (stored, planned, change) = reconcile(None, "2026-12-07T09:00:00Z");
    assert!(!reasons(&planned).contains(&"WaiverExpiringSoon"));
    assert_eq!(change, Some(at("2026-12-07T12:00:00Z")), "look again when it enters the lead time");
    assert!(stored.expiring_waivers.is_empty());

    let (stored, planned, _) = reconcile(Some(&stored), "2026-12-07T12:00:01Z");
    assert_eq!(reasons(&planned), ["WaiverExpiringSoon"]);
    assert!(planned[0].warning);
    assert!(planned[0].note.contains("item hpa (readinesssignoff/hpa-waiver) expires at 2026-12-10T12:00:00Z"));
    let condition = stored.conditions.iter().find(|c| c.type_ == governance::CONDITION_WAIVER_EXPIRING);
    assert_eq!(condition.map(|c| c.status.as_str()), Some("True"));

    // The same process again, and a restarted one: both plan against the stored status.
    let (again, planned, _) = reconcile(Some(&stored), "2026-12-07T12:05:00Z");
    assert!(planned.is_empty(), "{planned:?}");
    let restored: ReadinessChecklistStatus =
        serde_json::from_value(serde_json::to_value(&again).expect("serialize")).expect("deserialize");
    let (_, planned, _) = reconcile(Some(&restored), "2026-12-08T08:00:00Z");
    assert!(planned.is_empty(), "{planned:?}");
}

#[test]
fn a_freeze_is_announced_when_it_starts_and_when_it_ends() {
    let (stored, _, change) = reconcile(None, "2026-12-04T15:00:00Z");
    assert_eq!(change, Some(at("2026-12-04T16:00:00Z")));
    let (stored, planned, change) = reconcile(Some(&stored), "2026-12-04T16:00:01Z");
    let started: Vec<&Planned> = planned.iter().filter(|p| p.reason == "FreezeStarted").collect();
    assert_eq!(started.len(), 1, "{planned:?}");
    assert_eq!(started[0].note, "freeze 'friday' (weekend) started: admission blocked until 2026-12-07T08:00:00Z");
    assert_eq!(change, Some(at("2026-12-07T08:00:00Z")));
    let admission = stored.admission.clone().expect("admission status");
    assert!(!admission.allowed);
    assert_eq!(admission.reason, "Frozen");
    let (stored, planned, _) = reconcile(Some(&stored), "2026-12-05T10:00:00Z");
    assert!(!reasons(&planned).contains(&"FreezeStarted"));
    let (_, planned, _) = reconcile(Some(&stored), "2026-12-07T08:00:01Z");
    assert!(reasons(&planned).contains(&"FreezeEnded"), "{planned:?}");
}

#[test]
fn requeues_at_the_next_change_when_it_comes_first() {
    let regular = Duration::from_secs(300);
    assert_eq!(requeue_until(regular, None, at("2026-01-01T00:00:00Z")), regular);
    assert_eq!(
        requeue_until(regular, Some(at("2026-01-01T00:01:00Z")), at("2026-01-01T00:00:00Z")),
        Duration::from_secs(61)
    );
}
