//! Admission under the gate's time rules: freeze and allowed windows, soak time, and overrides
//! of a freeze.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::checks::fixtures::assert_contains;
use crate::webhook::admit::fixtures::{RequestFixture, assert_denied, checklist, deployment, now};

fn decide_with(request: &RequestFixture, checklists: Vec<Arc<ReadinessChecklist>>) -> Verdict {
    let text = request.json();
    decide(&AdmissionInput::parse(&text).expect("request parses"), &checklists, now())
}

/// From 2026-11-24T06:00Z for six days: open at the fixtures' `now` (2026-11-25T10:00Z).
fn black_friday() -> serde_json::Value {
    json!([{"name": "black-friday", "schedule": "0 6 24 11 *", "duration": "6d", "reason": "peak sales"}])
}

#[test]
fn a_freeze_denies_a_go_checklist_naming_the_window_and_its_end() {
    let frozen = checklist("release").gate("freezeWindows", black_friday()).build();
    let v = decide_with(&deployment("CREATE"), vec![frozen]);
    assert_denied(
        &v,
        Reason::Frozen,
        "readinesschecklist shop/release is Go, but blocked by freeze 'black-friday' (peak sales) until \
             2026-11-30T06:00:00Z",
    );
    assert_eq!(v.audit_annotations.get(AUDIT_DECISION).map(String::as_str), Some("frozen"));
}

#[test]
fn outside_a_freeze_admission_answers_as_before() {
    let later = json!([{"name": "year-end", "schedule": "0 0 20 12 *", "duration": "14d"}]);
    let v = decide_with(&deployment("CREATE"), vec![checklist("release").gate("freezeWindows", later).build()]);
    assert!(v.allowed, "{}", v.message);
    assert_eq!(v.reason, Reason::Go);
}

#[test]
fn a_freeze_can_be_overridden_by_the_override_groups_and_is_recorded() {
    let frozen = checklist("release").override_groups(&["sre-oncall"]).gate("freezeWindows", black_friday()).build();
    let request = deployment("UPDATE")
        .image("api:2")
        .annotation(OVERRIDE_ANNOTATION, "INC-7: checkout down")
        .user("bob", &["sre-oncall"]);
    let v = decide_with(&request, vec![Arc::clone(&frozen)]);
    assert!(v.allowed, "{}", v.message);
    assert_eq!(v.reason, Reason::Override);
    assert_eq!(v.audit_annotations.get(AUDIT_OVERRIDE_REASON).map(String::as_str), Some("INC-7: checkout down"));
    let [Effect::Override(event)] = v.effects.as_slice() else { panic!("one override effect: {:?}", v.effects) };
    assert_eq!(event.user, "bob");

    let by_other =
        deployment("UPDATE").image("api:2").annotation(OVERRIDE_ANNOTATION, "INC-7").user("mallory", &["dev"]);
    let v = decide_with(&by_other, vec![frozen]);
    assert!(!v.allowed);
    assert_eq!(v.reason, Reason::Frozen);
}

#[test]
fn a_freeze_under_warn_admits_with_a_warning() {
    let frozen = checklist("release").enforcement("Warn").gate("freezeWindows", black_friday()).build();
    let v = decide_with(&deployment("CREATE"), vec![frozen]);
    assert!(v.allowed);
    assert_eq!(v.reason, Reason::Warn);
    assert!(v.warnings.iter().any(|w| w.contains("blocked by freeze 'black-friday'")), "{:?}", v.warnings);
}

#[test]
fn a_nogo_inside_a_freeze_names_both() {
    let frozen = checklist("release").decision("NoGo", &["cto-signoff"]).gate("freezeWindows", black_friday()).build();
    let v = decide_with(&deployment("CREATE"), vec![frozen]);
    assert_denied(&v, Reason::Frozen, "is NoGo, but blocked by freeze 'black-friday'");
    assert_contains(&v.message, "blocking: cto-signoff");
}

#[test]
fn outside_the_allowed_windows_admission_waits_for_the_next() {
    // Wednesday 2026-11-25 10:00Z is 05:00 in New York: before business hours.
    let hours = json!([{"name": "business-hours", "schedule": "0 9 * * 1-5", "duration": "8h",
                        "timeZone": "America/New_York"}]);
    let v = decide_with(&deployment("CREATE"), vec![checklist("release").gate("allowedWindows", hours).build()]);
    assert_denied(
        &v,
        Reason::OutsideWindow,
        "blocked outside the allowed windows until 'business-hours' opens at 2026-11-25T14:00:00Z",
    );
}

#[test]
fn soak_time_counts_from_the_last_change_to_go() {
    let soaking = checklist("release")
        .gate("minGoDuration", json!("2h"))
        .history(&[("Go", 3600), ("NoGo", 7200), ("Go", 86_400)])
        .build();
    let v = decide_with(&deployment("CREATE"), vec![soaking]);
    assert_denied(&v, Reason::Soaking, "1h left, until 2026-11-25T11:00:00Z");

    let soaked = checklist("release").gate("minGoDuration", json!("2h")).history(&[("Go", 7200)]).build();
    assert!(decide_with(&deployment("CREATE"), vec![soaked]).allowed);
}
