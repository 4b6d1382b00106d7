//! Offline and live agree on admission under the gate's time rules: for the same checklist,
//! manifests and instant, `readygate check --at` (the binary) and the workloads webhook (fed the
//! status the controller's reconcile path builds from the same objects) give the same answer,
//! with the same words, inside and outside freeze and allowed windows and during soak time.

use std::sync::Arc;

use assert_cmd::Command;
use jiff::Timestamp;
use readygate::api::ReadinessChecklist;
use readygate::checks::Facts;
use readygate::engine::{self, governance};
use readygate::inventory::{Inventory, Object};
use readygate::webhook::admit::workloads;
use readygate::webhook::admit::{AdmissionInput, Reason};
use serde_json::{Value, json};

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\n  \
    labels: {app: api}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: api}}\n  template:\n    \
    metadata: {labels: {app: api}}\n    spec: {containers: [{name: api, image: 'api:1'}]}\n";

/// A checklist gating `app=api` whose one Critical item wants at least `min_replicas` (the
/// Deployment has 3), with `gate` fields merged in and an optional exported `status`.
fn checklist(min_replicas: i64, gate: Value, status: Option<Value>) -> Value {
    let mut gate_value = json!({"selector": {"matchLabels": {"app": "api"}}, "enforcement": "Enforce"});
    if let (Some(target), Some(extra)) = (gate_value.as_object_mut(), gate.as_object()) {
        target.extend(extra.clone());
    }
    let mut value = json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": "shop", "generation": 1},
        "spec": {"gate": gate_value, "items": [{"name": "replicas", "severity": "Critical",
            "check": {"workload": {"target": {"kind": "Deployment", "name": "api"},
                                   "replicas": {"atLeast": min_replicas}}}}]}
    });
    if let Some(status) = status {
        value["status"] = status;
    }
    value
}

/// `readygate check --at AT -o json`: exit code and the admission report of the checklist.
fn offline(checklist: &Value, at: &str) -> (i32, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let checklist_path = dir.path().join("checklist.yaml");
    std::fs::write(&checklist_path, serde_json::to_string(checklist).expect("json")).expect("write");
    let manifests = dir.path().join("deployment.yaml");
    std::fs::write(&manifests, DEPLOYMENT).expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_readygate"))
        .args(["check", "-n", "shop", "-o", "json", "--at", at, "-f"])
        .arg(&checklist_path)
        .arg(&manifests)
        .output()
        .expect("runs");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("json ({e}): {stdout}"));
    (output.status.code().expect("exit code"), report[0]["admission"].clone())
}

/// What the webhook answers at `at` once the controller has reconciled at `at`: the engine's
/// evaluation of the same objects, turned into status exactly as `reconcile` does.
fn live(checklist: &Value, at: &str) -> (bool, Reason, String) {
    let now: Timestamp = at.parse().expect("instant");
    let mut typed: ReadinessChecklist = serde_json::from_value(checklist.clone()).expect("checklist");
    let deployment: Value = serde_saphyr::from_str(DEPLOYMENT).expect("deployment");
    let inventory = Inventory::from_objects([Object::from_value(deployment.clone(), Some("shop")).expect("object")]);
    let evaluation = engine::evaluate(&typed, &inventory, &Facts::live(), now);
    let previous = typed.status.clone();
    let mut status = engine::next_status(previous.as_ref(), &evaluation, typed.metadata.generation, now);
    governance::annotate(
        &typed,
        &evaluation,
        &mut status,
        previous.as_ref(),
        governance::DEFAULT_WAIVER_LEAD_TIME,
        now,
    );
    typed.status = Some(status);
    let request = json!({
        "uid": "e911857d-c318-11e8-bbad-025000000001",
        "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
        "name": "api", "namespace": "shop", "operation": "CREATE",
        "userInfo": {"username": "ci", "groups": ["system:authenticated"]},
        "object": deployment, "oldObject": null, "dryRun": false
    })
    .to_string();
    let input = AdmissionInput::parse(&request).expect("request");
    let verdict = workloads::decide(&input, &vec![Arc::new(typed)], now);
    (verdict.allowed, verdict.reason, verdict.message)
}

/// Both answers agree: exit 0 exactly when the webhook admits; when a window or soak holds
/// admission back, both say so in the same words.
fn assert_agree(checklist: &Value, at: &str, expect_admitted: bool, expect_reason: Reason) {
    let (code, admission) = offline(checklist, at);
    let (allowed, reason, message) = live(checklist, at);
    assert_eq!(allowed, expect_admitted, "webhook at {at}: {message}");
    assert_eq!(reason, expect_reason, "webhook at {at}: {message}");
    assert_eq!(code == 0, allowed, "check --at {at} exits {code}; webhook: {message}; admission: {admission}");
    if admission["held"] == true {
        let said = admission["message"].as_str().expect("message");
        assert!(message.contains(said), "the webhook says what check says at {at}:\n{message}\n{said}");
        assert_eq!(code, 1);
    }
}

#[test]
fn a_freeze_across_a_berlin_dst_change_blocks_both_alike() {
    let weekend = json!({"freezeWindows": [{"name": "weekend", "schedule": "0 18 * * 6", "duration": "24h",
        "timeZone": "Europe/Berlin", "reason": "no weekend releases"}]});
    let go = checklist(2, weekend.clone(), None);
    assert_agree(&go, "2026-03-28T16:59:59Z", true, Reason::Go);
    assert_agree(&go, "2026-03-28T17:00:00Z", false, Reason::Frozen);
    assert_agree(&go, "2026-03-29T16:59:59Z", false, Reason::Frozen);
    assert_agree(&go, "2026-03-29T17:00:00Z", true, Reason::Go);
    let (code, admission) = offline(&go, "2026-03-29T12:00:00Z");
    assert_eq!(code, 1);
    assert_eq!(admission["message"], "blocked by freeze 'weekend' (no weekend releases) until 2026-03-29T17:00:00Z");
    // A NoGo checklist is NoGo outside the freeze and frozen inside it, for both.
    let nogo = checklist(5, weekend, None);
    assert_agree(&nogo, "2026-03-28T12:00:00Z", false, Reason::NoGo);
    assert_agree(&nogo, "2026-03-28T18:00:00Z", false, Reason::Frozen);
}

#[test]
fn an_allowed_window_in_new_york_opens_both_alike() {
    let hours = json!({"allowedWindows": [{"name": "business-hours", "schedule": "0 9 * * 1-5", "duration": "8h",
        "timeZone": "America/New_York"}]});
    let go = checklist(2, hours, None);
    assert_agree(&go, "2026-03-06T13:59:59Z", false, Reason::OutsideWindow);
    assert_agree(&go, "2026-03-06T14:00:00Z", true, Reason::Go);
    assert_agree(&go, "2026-03-07T15:00:00Z", false, Reason::OutsideWindow);
    assert_agree(&go, "2026-03-09T13:00:00Z", true, Reason::Go);
}

#[test]
fn soak_time_from_an_exported_history_holds_both_alike() {
    let soak = json!({"minGoDuration": "2h"});
    // Exported from the cluster: Go since 10:00, after a NoGo at 09:00.
    let status = json!({"decision": "Go", "observedGeneration": 1, "lastEvaluationTime": "2026-05-04T10:30:00Z",
        "history": [{"decision": "Go", "time": "2026-05-04T10:00:00Z", "generation": 1},
                    {"decision": "NoGo", "time": "2026-05-04T09:00:00Z", "generation": 1}]});
    let go = checklist(2, soak.clone(), Some(status));
    assert_agree(&go, "2026-05-04T11:00:00Z", false, Reason::Soaking);
    let (_, admission) = offline(&go, "2026-05-04T11:00:00Z");
    assert!(
        admission["message"].as_str().unwrap_or_default().contains("1h left, until 2026-05-04T12:00:00Z"),
        "{admission}"
    );
    assert_agree(&go, "2026-05-04T12:00:00Z", true, Reason::Go);
    // Without history, this evaluation is the first Go: the soak starts now for both.
    assert_agree(&checklist(2, soak, None), "2026-05-04T12:00:00Z", false, Reason::Soaking);
}
