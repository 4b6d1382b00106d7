//! Sign-off admission: identity binding, immutability, and the item's rules.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::checks::fixtures::assert_contains;
use crate::webhook::admit::fixtures::{RequestFixture, assert_denied, checklist, now, signoff};

fn decide_with(request: &RequestFixture, checklists: Vec<Arc<ReadinessChecklist>>) -> Verdict {
    let text = request.json();
    decide(&AdmissionInput::parse(&text).expect("request parses"), &checklists, now())
}

fn release() -> Vec<Arc<ReadinessChecklist>> {
    vec![checklist("release").build()]
}

#[test]
fn admits_an_approval_by_its_signer() {
    let v = decide_with(&signoff("CREATE"), release());
    assert!(v.allowed, "{}", v.message);
    assert!(v.warnings.is_empty());
}

#[test]
fn refuses_a_signer_who_is_not_the_requesting_user() {
    let v = decide_with(&signoff("CREATE").user("mallory", &["cto"]), release());
    assert_denied(&v, Reason::Identity, r#"spec.signer.username is "alice" but the request is made by "mallory""#);
    assert_eq!(v.code, 403);
}

#[test]
fn refuses_signer_groups_the_user_does_not_have() {
    let v = decide_with(&signoff("CREATE").user("alice", &["dev"]), release());
    assert_denied(&v, Reason::Identity, r#"spec.signer.groups lists cto that user "alice" does not belong to"#);
}

#[test]
fn fewer_groups_than_the_user_has_are_fine() {
    let request = signoff("CREATE").set("/object/spec/signer/groups", json!([]));
    let v = decide_with(&request, release());
    assert!(v.allowed);
    // The controller will not count it (not an approver by user or group): say so now.
    assert!(v.warnings.iter().any(|w| w.contains("not an approver of item cto-signoff")), "{:?}", v.warnings);
}

#[test]
fn refuses_any_change_of_spec_on_update() {
    let request = signoff("UPDATE").set("/object/spec/reason", json!("changed my mind"));
    let v = decide_with(&request, release());
    assert_denied(&v, Reason::Immutable, "spec is immutable; delete the sign-off and create a new one");
}

#[test]
fn metadata_updates_pass_whoever_makes_them() {
    let request = signoff("UPDATE").set("/object/metadata/labels", json!({"a": "b"})).user("controller", &[]);
    assert!(decide_with(&request, vec![]).allowed);
}

#[test]
fn deletes_pass() {
    assert!(decide_with(&signoff("DELETE").user("someone", &[]), vec![]).allowed);
}

#[test]
fn refuses_a_missing_checklist_or_item() {
    let v = decide_with(&signoff("CREATE"), vec![]);
    assert_contains(&v.message, "spec.checklist: readinesschecklist shop/release not found");
    let v = decide_with(&signoff("CREATE").set("/object/spec/item", json!("nope")), release());
    assert_contains(&v.message, r#"has no item "nope" (items: cto-signoff, autoscaling)"#);
}

#[test]
fn a_checklist_of_another_namespace_does_not_count() {
    let v = decide_with(&signoff("CREATE"), vec![checklist("release").namespace("other").build()]);
    assert!(!v.allowed);
}

#[test]
fn approve_is_only_for_manual_items() {
    let v = decide_with(&signoff("CREATE").set("/object/spec/item", json!("autoscaling")), release());
    assert!(!v.allowed);
    assert_contains(
        &v.message,
        "Approve is only for manual items; item autoscaling is a horizontalPodAutoscaler check",
    );
}

#[test]
fn waive_needs_waivable_by_admitting_the_signer() {
    let waive = |groups: serde_json::Value, user_groups: &[&str]| {
        signoff("CREATE")
            .set("/object/spec/item", json!("autoscaling"))
            .set("/object/spec/action", json!("Waive"))
            .set("/object/spec/signer/groups", groups)
            .user("alice", user_groups)
    };
    assert!(decide_with(&waive(json!(["platform-leads"]), &["platform-leads"]), release()).allowed);
    let v = decide_with(&waive(json!([]), &["dev"]), release());
    assert_contains(&v.message, "user alice is not allowed to waive item autoscaling");
    let v = decide_with(&waive(json!([]), &[]).set("/object/spec/item", json!("cto-signoff")), release());
    assert_contains(&v.message, "item cto-signoff cannot be waived (it has no waivableBy)");
}

#[test]
fn release_must_match_the_checklist() {
    let v = decide_with(&signoff("CREATE").set("/object/spec/release", json!("v0.9.0")), release());
    assert_contains(&v.message, r#"spec.release is "v0.9.0" but readinesschecklist release is for release "v1.0.0""#);
}

#[test]
fn expiry_must_be_in_the_future() {
    let v = decide_with(&signoff("CREATE").set("/object/spec/expiresAt", json!("2026-11-01T00:00:00Z")), release());
    assert_contains(&v.message, "spec.expiresAt 2026-11-01T00:00:00Z is not in the future");
}

#[test]
fn expiry_may_not_outlast_valid_for() {
    // validFor 7d from creation (2026-11-25T10:00Z) ends 2026-12-02T10:00Z.
    let within = signoff("CREATE").set("/object/spec/expiresAt", json!("2026-12-01T00:00:00Z"));
    assert!(decide_with(&within, release()).allowed);
    let beyond = signoff("CREATE").set("/object/spec/expiresAt", json!("2026-12-31T00:00:00Z"));
    let v = decide_with(&beyond, release());
    assert_contains(&v.message, "is later than item cto-signoff allows (2026-12-02T10:00:00Z: validFor 7d)");
}

#[test]
fn every_problem_is_reported_at_once() {
    let request = signoff("CREATE")
        .set("/object/spec/release", json!("v2"))
        .set("/object/spec/expiresAt", json!("2020-01-01T00:00:00Z"));
    let v = decide_with(&request, release());
    assert!(v.message.contains("spec.release") && v.message.contains("spec.expiresAt"), "{}", v.message);
}

#[test]
fn an_unreadable_spec_is_named() {
    let v = decide_with(&signoff("CREATE").set("/object/spec/action", json!("Veto")), release());
    assert_eq!(v.code, 422);
    assert_contains(&v.message, "readinesssignoff/cto-v1: spec: unknown variant `Veto`");
}

#[test]
fn other_kinds_are_allowed_untouched() {
    let v = decide_with(&signoff("CREATE").kind("", "v1", "ConfigMap"), vec![]);
    assert_eq!(v.reason, Reason::UnsupportedKind);
}
