use jiff::Timestamp;
use serde_json::{Value, json};

use super::{LiveView, evaluation_from_status, render};
use crate::api::{Decision, ItemState, ReadinessChecklist, Severity};
use crate::checks::fixtures::{assert_contains, assert_ends_with};
use crate::report;

const NOW: &str = "2026-11-25T10:00:00Z";

fn now() -> Timestamp {
    NOW.parse().expect("valid timestamp")
}

/// `release` at generation 2 with a Critical version item (section Platform) and a High
/// manual item; `status` as given.
fn checklist(status: Option<Value>) -> ReadinessChecklist {
    let mut object = json!({
        "apiVersion": "readygate.io/v1alpha1",
        "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": "novacron", "generation": 2},
        "spec": {
            "release": "v1.0.0",
            "items": [
                {"name": "version", "title": "Kubernetes 1.28 or newer", "section": "Platform",
                 "severity": "Critical", "check": {"kubernetesVersion": {"atLeast": "1.28"}}},
                {"name": "cto-signoff", "check": {"manual": {"approvers": {"users": ["alice"]}}}},
            ],
        },
    });
    if let Some(status) = status {
        object["status"] = status;
    }
    serde_json::from_value(object).expect("a valid checklist")
}

/// A status written at `evaluated_at` for `generation`: version Passed, cto-signoff as `signoff`.
fn status(decision: &str, generation: i64, evaluated_at: &str, signoff: &str) -> Value {
    let passed = 1 + u32::from(signoff == "Passed");
    json!({
        "decision": decision,
        "observedGeneration": generation,
        "lastEvaluationTime": evaluated_at,
        "summary": {"total": 2, "passed": passed, "failed": 0, "pending": u32::from(signoff == "Pending"),
                    "error": 0, "skipped": 0, "waived": 0},
        "blocking": [],
        "items": [
            {"name": "version", "state": "Passed", "severity": "Critical", "message": "server v1.31.2 >= 1.28"},
            {"name": "cto-signoff", "state": signoff, "severity": "High", "message": "awaiting sign-off by user alice"},
        ],
    })
}

fn view(status: Option<Value>) -> LiveView {
    evaluation_from_status(&checklist(status), now())
}

#[test]
fn shows_a_current_status_as_stored_with_titles_and_sections_from_the_spec() {
    let live = view(Some(status("Go", 2, "2026-11-25T09:58:00Z", "Pending")));
    assert_eq!(live.reason, None);
    let evaluation = live.evaluation;
    assert_eq!((evaluation.namespace.as_str(), evaluation.name.as_str()), ("novacron", "release"));
    assert_eq!(evaluation.decision, Decision::Go);
    assert_eq!(evaluation.summary.pending, 1);
    let version = &evaluation.items[0];
    assert_eq!(version.title, "Kubernetes 1.28 or newer");
    assert_eq!(version.section.as_deref(), Some("Platform"));
    assert_eq!(version.check, "kubernetesVersion");
    assert_eq!(version.message, "server v1.31.2 >= 1.28");
    assert_eq!(evaluation.items[1].title, "cto-signoff", "no title falls back to the name");
    assert_eq!(evaluation.items[1].state, ItemState::Pending);
}

#[test]
fn keeps_the_stored_no_go_and_its_blocking_items() {
    let mut stored = status("NoGo", 2, "2026-11-25T09:59:00Z", "Pending");
    stored["items"][0]["state"] = json!("Failed");
    stored["blocking"] = json!(["version"]);
    let live = view(Some(stored));
    assert_eq!(live.evaluation.decision, Decision::NoGo);
    assert_eq!(live.evaluation.blocking, ["version"]);
    assert_eq!(live.reason, None);
}

#[test]
fn is_unknown_before_the_first_evaluation_with_every_item_not_evaluated() {
    let live = view(None);
    assert_eq!(live.evaluation.decision, Decision::Unknown);
    assert!(live.evaluation.items.iter().all(|i| i.state == ItemState::Skipped && i.message == "not evaluated yet"));
    assert_eq!(live.evaluation.summary.skipped, 2);
    assert_eq!(live.evaluation.blocking, ["version"], "a Critical item not evaluated blocks");
    assert_eq!(live.reason.as_deref(), Some("not evaluated yet (is the readygate controller running?)"));
}

#[test]
fn is_unknown_when_the_status_has_no_evaluation_time() {
    let mut stored = status("Go", 2, NOW, "Passed");
    stored.as_object_mut().expect("an object").remove("lastEvaluationTime");
    let live = view(Some(stored));
    assert_eq!(live.evaluation.decision, Decision::Unknown);
    assert!(live.reason.expect("a reason").starts_with("not evaluated yet"));
}

#[test]
fn is_unknown_when_the_evaluation_is_for_an_older_generation() {
    let live = view(Some(status("Go", 1, "2026-11-25T09:59:00Z", "Passed")));
    assert_eq!(live.evaluation.decision, Decision::Unknown);
    assert_eq!(
        live.reason.as_deref(),
        Some("status is outdated: evaluation is for generation 1, spec is at generation 2; the stored decision is Go")
    );
}

#[test]
fn is_unknown_when_the_evaluation_is_older_than_the_default_max_staleness() {
    let live = view(Some(status("Go", 2, "2026-11-25T09:00:00Z", "Passed")));
    assert_eq!(live.evaluation.decision, Decision::Unknown);
    assert_eq!(
        live.reason.as_deref(),
        Some("status is stale: last evaluation is 3600s old (maxStaleness 600s); the stored decision is Go")
    );
    assert_eq!(live.evaluation.items[0].state, ItemState::Passed, "items still show what was found");
}

#[test]
fn honours_the_gates_max_staleness() {
    let mut checklist = checklist(Some(status("Go", 2, "2026-11-25T09:00:00Z", "Passed")));
    checklist.spec.gate = Some(serde_json::from_value(json!({"selector": {}, "maxStaleness": "2h"})).expect("gate"));
    let live = evaluation_from_status(&checklist, now());
    assert_eq!(live.evaluation.decision, Decision::Go);
    assert_eq!(live.reason, None);
}

#[test]
fn shows_items_missing_from_an_outdated_evaluation_as_not_evaluated() {
    let mut stored = status("Go", 1, "2026-11-25T09:59:00Z", "Passed");
    stored["items"] = json!([{"name": "removed", "state": "Passed", "severity": "Critical"}]);
    let live = view(Some(stored));
    let names: Vec<&str> = live.evaluation.items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["version", "cto-signoff"], "spec items, in spec order");
    assert_eq!(live.evaluation.items[0].severity, Severity::Critical);
    assert_eq!(live.evaluation.summary.skipped, 2);
    assert_eq!(live.evaluation.blocking, ["version"]);
}

fn rendered(format: report::Format, views: &[LiveView]) -> String {
    render(format, views, &crate::report::Options::default()).expect("renders")
}

#[test]
fn puts_the_reason_under_its_own_checklist_in_the_table() {
    let stale = view(Some(status("Go", 2, "2026-11-25T09:00:00Z", "Passed")));
    let current = view(Some(status("Go", 2, NOW, "Passed")));
    let table = rendered(report::Format::Table, &[stale, current]);
    let (first, second) = table.split_once("\n\n").expect("a blank line between checklists");
    assert!(
        first.ends_with(
            "  note: status is stale: last evaluation is 3600s old (maxStaleness 600s); the stored decision is Go"
        ),
        "{table}"
    );
    assert!(!second.contains("note:"), "{table}");
}

#[test]
fn quotes_the_reason_in_markdown() {
    let markdown = rendered(report::Format::Markdown, &[view(None)]);
    assert_contains(&markdown, "**Unknown**");
    assert_ends_with(&markdown, "> **Note:** not evaluated yet (is the readygate controller running?)\n");
}

#[test]
fn adds_decision_reason_to_json_only_when_there_is_one() {
    let json = rendered(report::Format::Json, &[view(None), view(Some(status("Go", 2, NOW, "Passed")))]);
    let entries: Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(entries[0]["decision"], "Unknown");
    assert_eq!(entries[0]["decisionReason"], "not evaluated yet (is the readygate controller running?)");
    assert_eq!(entries[1]["decision"], "Go");
    assert!(entries[1].get("decisionReason").is_none());
    assert_eq!(entries[1]["items"][0]["title"], "Kubernetes 1.28 or newer");
    assert_eq!(entries[1]["items"][0]["section"], "Platform");
}

#[test]
fn renders_yaml_in_the_same_shape() {
    let yaml = rendered(report::Format::Yaml, &[view(None)]);
    let entries: Value = serde_saphyr::from_str(&yaml).expect("valid YAML");
    assert_eq!(entries[0]["name"], "release");
    assert_eq!(entries[0]["summary"]["total"], 2);
    assert_eq!(entries[0]["decisionReason"], "not evaluated yet (is the readygate controller running?)");
}

/// `status` with a `GateWired` condition as the controller writes it.
fn with_gate_wired(mut stored: Value, wired: &str, reason: &str, message: &str) -> Value {
    stored["conditions"] = json!([{"type": "GateWired", "status": wired, "reason": reason, "message": message,
        "lastTransitionTime": "2026-11-25T09:00:00Z"}]);
    stored
}

#[test]
fn an_unwired_gate_is_a_note_in_the_table_and_markdown_and_gate_wired_in_json() {
    let message = "Deployments in namespace novacron are not sent to readygate: ...; opt the namespace in: \
                   kubectl label namespace novacron readygate.io/gate=enabled";
    let stored = with_gate_wired(status("Go", 2, NOW, "Passed"), "False", "NamespaceNotSelected", message);
    let unwired = view(Some(stored));
    let table = rendered(report::Format::Table, std::slice::from_ref(&unwired));
    assert_ends_with(&table, &format!("  note: gate not wired (NamespaceNotSelected): {message}\n"));
    let markdown = rendered(report::Format::Markdown, std::slice::from_ref(&unwired));
    assert_contains(&markdown, &format!("> **Note:** gate not wired (NamespaceNotSelected): {message}"));
    let entries: Value = serde_json::from_str(&rendered(report::Format::Json, &[unwired])).expect("JSON");
    assert_eq!(
        entries[0]["gateWired"],
        json!({"status": "False", "reason": "NamespaceNotSelected", "message": message})
    );
    assert!(entries[0].get("decisionReason").is_none());

    let wired = view(Some(with_gate_wired(status("Go", 2, NOW, "Passed"), "True", "NamespaceSelected", "fine")));
    assert!(
        !rendered(report::Format::Table, std::slice::from_ref(&wired)).contains("note:"),
        "a wired gate adds nothing"
    );
    let entries: Value = serde_json::from_str(&rendered(report::Format::Json, &[wired])).expect("JSON");
    assert_eq!(entries[0]["gateWired"]["status"], "True");
    assert!(view(Some(status("Go", 2, NOW, "Passed"))).gate.is_none(), "not gating: no condition");
}
