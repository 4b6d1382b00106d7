//! Deployment admission scenarios: what is gated, the decision rule, enforcement modes, overrides.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::checks::fixtures::{assert_contains, assert_starts_with};
use crate::webhook::admit::bounds::{MAX_WARNING_BYTES, MAX_WARNINGS_TOTAL_BYTES};
use crate::webhook::admit::fixtures::{RequestFixture, assert_denied, checklist, deployment, now};

fn decide_with(request: &RequestFixture, checklists: Vec<Arc<ReadinessChecklist>>) -> Verdict {
    let text = request.json();
    let input = AdmissionInput::parse(&text).expect("request parses");
    decide(&input, &checklists, now())
}

#[test]
fn allows_when_no_checklist_gates_the_deployment() {
    let v = decide_with(&deployment("CREATE"), vec![]);
    assert!(v.allowed);
    assert_eq!(v.reason, Reason::NoChecklist);
}

#[test]
fn allows_when_the_gate_selects_other_workloads() {
    let other = checklist("release").selector(json!({"matchLabels": {"app": "web"}})).decision("NoGo", &["x"]);
    let v = decide_with(&deployment("CREATE"), vec![other.build()]);
    assert_eq!(v.reason, Reason::NoChecklist);
}

#[test]
fn checklists_of_other_namespaces_or_without_gate_do_not_count() {
    let elsewhere = checklist("release").namespace("other").decision("NoGo", &["x"]).build();
    let ungated = checklist("plain").no_gate().decision("NoGo", &["x"]).build();
    let v = decide_with(&deployment("CREATE"), vec![elsewhere, ungated]);
    assert_eq!(v.reason, Reason::NoChecklist);
}

#[test]
fn allows_creation_when_every_gating_checklist_is_go() {
    let v = decide_with(&deployment("CREATE"), vec![checklist("release").build(), checklist("security").build()]);
    assert!(v.allowed);
    assert_eq!(v.reason, Reason::Go);
    assert_eq!(v.audit_annotations.get(AUDIT_DECISION).map(String::as_str), Some("go"));
    assert_eq!(v.audit_annotations.get(AUDIT_CHECKLIST).map(String::as_str), Some("shop/release,shop/security"));
}

#[test]
fn denies_creation_when_a_checklist_is_nogo_naming_its_blocking_items() {
    let nogo = checklist("release").decision("NoGo", &["autoscaling", "cto-signoff"]).build();
    let v = decide_with(&deployment("CREATE"), vec![nogo]);
    assert_denied(&v, Reason::NoGo, "readinesschecklist shop/release is NoGo");
    assert_eq!(v.code, 403);
    assert_contains(&v.message, "blocking: autoscaling, cto-signoff");
    assert_contains(&v.message, "kubectl get rcl release -n shop -o yaml");
    assert_contains(&v.message, "readygate status release -n shop");
    assert_eq!(
        v.audit_annotations.get(AUDIT_BLOCKING).map(String::as_str),
        Some("shop/release: autoscaling cto-signoff")
    );
}

#[test]
fn denies_when_the_evaluation_is_stale() {
    let stale = checklist("release").evaluated_ago(3600).build();
    let v = decide_with(&deployment("CREATE"), vec![stale]);
    assert_denied(&v, Reason::Unknown, "is Unknown (last evaluation is 3600s old (maxStaleness 600s))");
}

#[test]
fn a_longer_max_staleness_keeps_an_old_go_current() {
    let v =
        decide_with(&deployment("CREATE"), vec![checklist("release").max_staleness("2h").evaluated_ago(3600).build()]);
    assert!(v.allowed);
}

#[test]
fn denies_when_the_evaluation_is_for_an_older_spec() {
    let v = decide_with(&deployment("CREATE"), vec![checklist("release").generations(3, 2).build()]);
    assert!(!v.allowed);
    assert_contains(&v.message, "generation 2, spec is at generation 3");
}

#[test]
fn denies_before_the_first_evaluation() {
    let v = decide_with(&deployment("CREATE"), vec![checklist("release").unevaluated().build()]);
    assert_denied(&v, Reason::Unknown, "not evaluated yet");
}

#[test]
fn one_nogo_checklist_denies_even_when_others_are_go() {
    let v = decide_with(
        &deployment("CREATE"),
        vec![checklist("a").build(), checklist("b").decision("NoGo", &["x"]).build()],
    );
    assert!(!v.allowed);
    assert_contains(&v.message, "shop/b");
    assert!(!v.message.contains("shop/a "), "{}", v.message);
}

#[test]
fn scale_only_updates_pass() {
    let v = decide_with(&deployment("UPDATE").replicas(10), vec![checklist("release").decision("NoGo", &[]).build()]);
    assert!(v.allowed);
    assert_eq!(v.reason, Reason::NotGated);
}

#[test]
fn metadata_only_updates_pass() {
    let request = deployment("UPDATE").label("team", "payments").annotation("note", "x");
    let v = decide_with(&request, vec![checklist("release").decision("NoGo", &[]).build()]);
    assert_eq!(v.reason, Reason::NotGated);
}

#[test]
fn updates_that_change_the_pod_template_are_gated() {
    let v = decide_with(&deployment("UPDATE").image("api:2"), vec![checklist("release").decision("NoGo", &[]).build()]);
    assert!(!v.allowed);
}

#[test]
fn status_and_scale_subresource_requests_pass() {
    let nogo = || vec![checklist("release").decision("NoGo", &[]).build()];
    assert_eq!(decide_with(&deployment("UPDATE").image("x").sub_resource("status"), nogo()).reason, Reason::NotGated);
    assert_eq!(decide_with(&deployment("UPDATE").image("x").sub_resource("scale"), nogo()).reason, Reason::NotGated);
}

#[test]
fn delete_and_connect_pass() {
    let nogo = || vec![checklist("release").decision("NoGo", &[]).build()];
    assert_eq!(decide_with(&deployment("DELETE"), nogo()).reason, Reason::NotGated);
    assert_eq!(decide_with(&deployment("CONNECT"), nogo()).reason, Reason::NotGated);
}

#[test]
fn other_kinds_are_allowed_untouched() {
    let request = deployment("CREATE").kind("apps", "v1", "StatefulSet");
    let v = decide_with(&request, vec![checklist("release").decision("NoGo", &[]).build()]);
    assert!(v.allowed);
    assert_eq!(v.reason, Reason::UnsupportedKind);
}

#[test]
fn an_update_without_old_object_is_gated() {
    let request = deployment("UPDATE").set("/oldObject", serde_json::Value::Null);
    assert!(!decide_with(&request, vec![checklist("release").decision("NoGo", &[]).build()]).allowed);
}

#[test]
fn an_unreadable_deployment_is_refused_with_400() {
    let request = deployment("CREATE").set("/object/metadata/labels", json!("app=api"));
    let v = decide_with(&request, vec![]);
    assert!(!v.allowed);
    assert_eq!(v.code, 400);
    assert_starts_with(&v.message, "cannot read the Deployment");
}

#[test]
fn bind_release_denies_a_deployment_of_another_version() {
    let bound = checklist("release").bind_release().build();
    let v = decide_with(&deployment("CREATE").label(VERSION_LABEL, "v1.1.0"), vec![bound]);
    assert_denied(
        &v,
        Reason::ReleaseMismatch,
        "is Go for release v1.0.0, but deployment/api carries app.kubernetes.io/version=v1.1.0",
    );
}

#[test]
fn bind_release_denies_a_deployment_without_version_label() {
    let v = decide_with(&deployment("CREATE"), vec![checklist("release").bind_release().build()]);
    assert_denied(&v, Reason::ReleaseMismatch, "has no app.kubernetes.io/version label");
}

#[test]
fn bind_release_admits_the_matching_version() {
    let v = decide_with(
        &deployment("CREATE").label(VERSION_LABEL, "v1.0.0"),
        vec![checklist("release").bind_release().build()],
    );
    assert!(v.allowed);
    assert_eq!(v.reason, Reason::Go);
}

#[test]
fn bind_release_without_a_release_cannot_cover_anything() {
    let v = decide_with(
        &deployment("CREATE").label(VERSION_LABEL, "v1.0.0"),
        vec![checklist("release").release(None).bind_release().build()],
    );
    assert!(!v.allowed);
    assert_contains(&v.message, "no spec.release");
}

#[test]
fn warn_enforcement_allows_with_a_warning() {
    let v = decide_with(
        &deployment("CREATE"),
        vec![checklist("release").enforcement("Warn").decision("NoGo", &["cto-signoff"]).build()],
    );
    assert!(v.allowed);
    assert_eq!(v.reason, Reason::Warn);
    assert_eq!(v.warnings.len(), 1);
    assert!(v.warnings[0].contains("shop/release is NoGo; blocking: cto-signoff"), "{}", v.warnings[0]);
    assert!(v.warnings[0].contains("enforcement is Warn"));
}

#[test]
fn audit_enforcement_allows_and_records() {
    let v = decide_with(
        &deployment("CREATE"),
        vec![checklist("release").enforcement("Audit").decision("NoGo", &["cto-signoff"]).build()],
    );
    assert!(v.allowed);
    assert_eq!(v.reason, Reason::Audit);
    assert!(v.warnings.is_empty());
    assert_eq!(v.audit_annotations.get(AUDIT_DECISION).map(String::as_str), Some("audit"));
    assert_eq!(v.audit_annotations.get(AUDIT_BLOCKING).map(String::as_str), Some("shop/release: cto-signoff"));
    assert_eq!(v.effects, [Effect::Audited { checklist: "shop/release".to_owned(), decision: Decision::NoGo }]);
}

#[test]
fn enforce_wins_over_warn_and_the_warning_still_shows() {
    let v = decide_with(
        &deployment("CREATE"),
        vec![
            checklist("a").decision("NoGo", &["x"]).build(),
            checklist("b").enforcement("Warn").decision("NoGo", &["y"]).build(),
        ],
    );
    assert!(!v.allowed);
    assert_eq!(v.warnings.len(), 1);
    assert!(v.warnings[0].contains("shop/b"));
}

#[test]
fn override_by_a_member_of_override_groups_allows_and_emits_an_event() {
    let request = deployment("UPDATE")
        .image("api:2")
        .annotation(OVERRIDE_ANNOTATION, "hotfix INC-42")
        .user("bob", &["sre-oncall"]);
    let nogo = checklist("release").override_groups(&["sre-oncall"]).decision("NoGo", &["cto-signoff"]).build();
    let v = decide_with(&request, vec![nogo]);
    assert!(v.allowed);
    assert_eq!(v.reason, Reason::Override);
    assert_eq!(v.audit_annotations.get(AUDIT_OVERRIDE_REASON).map(String::as_str), Some("hotfix INC-42"));
    let [Effect::Override(event)] = v.effects.as_slice() else { panic!("one override effect: {:?}", v.effects) };
    assert_eq!(event.checklist.name.as_deref(), Some("release"));
    assert_eq!(event.checklist.namespace.as_deref(), Some("shop"));
    assert_eq!(event.checklist.kind.as_deref(), Some("ReadinessChecklist"));
    assert_eq!(event.workload, "deployment/api");
    assert_eq!(event.user, "bob");
    assert_eq!(event.reason, "hotfix INC-42");
    assert_eq!(event.blocking, ["cto-signoff"]);
    assert!(event.note().contains("deployment/api admitted by override of user bob while the checklist is NoGo"));
    assert!(v.warnings.iter().any(|w| w.contains("override by bob honoured")));
}

#[test]
fn override_by_a_non_member_is_not_honoured() {
    let request = deployment("CREATE").annotation(OVERRIDE_ANNOTATION, "trust me").user("mallory", &["dev"]);
    let nogo = checklist("release").override_groups(&["sre-oncall"]).decision("NoGo", &["cto-signoff"]).build();
    let v = decide_with(&request, vec![nogo]);
    assert!(!v.allowed);
    assert_eq!(v.reason, Reason::NoGo);
    assert!(v.effects.is_empty());
    assert_contains(&v.message, "annotation was not honoured: user mallory is not in the override groups");
    assert_contains(&v.message, "groups: sre-oncall");
}

#[test]
fn override_must_be_honoured_by_every_enforcing_checklist() {
    let request = deployment("CREATE").annotation(OVERRIDE_ANNOTATION, "hotfix").user("bob", &["sre-oncall"]);
    let v = decide_with(
        &request,
        vec![
            checklist("a").override_groups(&["sre-oncall"]).decision("NoGo", &[]).build(),
            checklist("b").override_groups(&["cto"]).decision("NoGo", &[]).build(),
        ],
    );
    assert!(!v.allowed);
    assert!(v.effects.is_empty(), "no override happened when the request is denied");
    assert_contains(&v.message, "shop/b");
    assert!(!v.message.contains("readinesschecklist shop/a is"), "{}", v.message);
}

#[test]
fn an_override_annotation_on_a_go_workload_changes_nothing() {
    let request = deployment("CREATE").annotation(OVERRIDE_ANNOTATION, "hotfix").user("bob", &["sre-oncall"]);
    let v = decide_with(&request, vec![checklist("release").override_groups(&["sre-oncall"]).build()]);
    assert_eq!(v.reason, Reason::Go);
    assert!(v.effects.is_empty());
}

#[test]
fn matchexpressions_gates_follow_kubernetes_selector_rules() {
    let gate = checklist("release")
        .selector(json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["batch"]}]}))
        .decision("NoGo", &[]);
    // NotIn selects a Deployment that lacks the key.
    assert!(!decide_with(&deployment("CREATE"), vec![gate.build()]).allowed);
}

#[test]
fn many_warn_checklists_keep_warnings_within_api_limits() {
    let blocking: Vec<String> = (0..40).map(|i| format!("item-with-a-rather-long-name-{i}")).collect();
    let blocking: Vec<&str> = blocking.iter().map(String::as_str).collect();
    let checklists = (0..60)
        .map(|i| checklist(&format!("c{i:02}")).enforcement("Warn").decision("NoGo", &blocking).build())
        .collect();
    let v = decide_with(&deployment("CREATE"), checklists);
    assert!(v.allowed);
    assert!(v.warnings.iter().all(|w| w.len() <= MAX_WARNING_BYTES));
    assert!(v.warnings.iter().map(String::len).sum::<usize>() <= MAX_WARNINGS_TOTAL_BYTES);
    assert!(v.warnings.last().is_some_and(|w| w.contains("more warnings omitted")));
    assert!(v.audit_annotations.values().all(|a| a.len() <= 1024));
}

#[test]
fn audit_annotation_keys_are_bare_qualified_names() {
    let request = deployment("CREATE").annotation(OVERRIDE_ANNOTATION, "hotfix").user("bob", &["sre-oncall"]);
    let v = decide_with(
        &request,
        vec![checklist("release").override_groups(&["sre-oncall"]).decision("NoGo", &[]).build()],
    );
    assert_eq!(v.audit_annotations.len(), 4);
    for key in v.audit_annotations.keys() {
        // The API server prepends "<webhook name>/": a key must be a name part without a prefix.
        assert!(key.len() <= 63 && !key.contains('/'), "{key}");
        assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)), "{key}");
    }
}
