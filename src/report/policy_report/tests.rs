use pretty_assertions::assert_eq;
use serde_json::json;

use super::*;

fn checklist() -> ReadinessChecklist {
    serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "novacron-v1", "namespace": "novacron", "uid": "0b5d-uid"},
        "spec": {"release": "v1.4.0", "items": [
            {"name": "hsts", "title": "HSTS on the ingress", "section": "Security", "severity": "Critical",
             "check": {"manual": {"approvers": {"users": ["a"]}}}},
            {"name": "docs", "check": {"manual": {"approvers": {"users": ["a"]}}}},
        ]}
    }))
    .expect("valid checklist")
}

fn item(name: &str, state: ItemState, severity: Severity) -> ItemStatus {
    ItemStatus {
        name: name.to_owned(),
        state,
        severity,
        message: format!("{name} is {}", state.as_str()),
        last_transition_time: None,
    }
}

fn status(items: Vec<ItemStatus>) -> ReadinessChecklistStatus {
    ReadinessChecklistStatus { items, ..ReadinessChecklistStatus::default() }
}

/// The test checklist's report in `format`, its status holding `items`.
fn report_of(format: ReportFormat, items: Vec<ItemStatus>) -> Value {
    report(format, &checklist(), &status(items)).expect("report")
}

fn one_passed() -> Vec<ItemStatus> {
    vec![item("hsts", ItemState::Passed, Severity::Critical)]
}

#[test]
fn every_state_and_severity_maps_to_one_result() {
    use ItemState::*;
    use Severity::*;
    let table = [
        (Passed, Critical, "pass"),
        (Passed, Low, "pass"),
        (Failed, Critical, "fail"),
        (Pending, Critical, "fail"),
        (Failed, High, "warn"),
        (Pending, Low, "warn"),
        (Error, Critical, "error"),
        (Error, High, "error"),
        (Skipped, Critical, "skip"),
        (Waived, Critical, "skip"),
        (Waived, Low, "skip"),
    ];
    for (state, severity, expected) in table {
        assert_eq!(verdict(state, severity).as_str(), expected, "{state:?} {severity:?}");
    }
}

#[test]
fn a_policy_report_has_one_result_per_item_and_counts_that_add_up() {
    let body = report_of(
        ReportFormat::PolicyReport,
        vec![
            ItemStatus {
                last_transition_time: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                    "2026-11-25T10:00:00.5Z".parse().expect("time"),
                )),
                ..item("hsts", ItemState::Failed, Severity::Critical)
            },
            item("docs", ItemState::Waived, Severity::High),
        ],
    );
    assert_eq!(body["apiVersion"], "wgpolicyk8s.io/v1alpha2");
    assert_eq!(body["kind"], "PolicyReport");
    assert_eq!(body["metadata"]["name"], "readygate-novacron-v1");
    assert_eq!(body["metadata"]["namespace"], "novacron");
    assert_eq!(
        body["metadata"]["ownerReferences"],
        json!([{"apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist", "name": "novacron-v1",
                "uid": "0b5d-uid", "controller": true}])
    );
    assert!(body.get("source").is_none(), "PolicyReport has no top-level source");
    assert_eq!(body["summary"], json!({"pass": 0, "fail": 1, "warn": 0, "error": 0, "skip": 1}));
    assert_eq!(
        body["results"][0],
        json!({"source": "readygate", "policy": "novacron-v1", "rule": "hsts", "result": "fail",
               "severity": "critical", "scored": true, "message": "hsts is Failed", "category": "Security",
               "timestamp": {"seconds": 1_795_600_800_i64, "nanos": 0},
               "properties": {"state": "Failed", "title": "HSTS on the ingress", "release": "v1.4.0"}})
    );
    assert_eq!(body["results"][1]["result"], "skip");
    assert_eq!(body["results"][1]["properties"]["state"], "Waived");
    assert!(body["results"][1].get("category").is_none() && body["results"][1].get("timestamp").is_none());
}

#[test]
fn an_openreports_report_names_its_source() {
    let body = report_of(ReportFormat::OpenReports, one_passed());
    assert_eq!(body["apiVersion"], "openreports.io/v1alpha1");
    assert_eq!(body["kind"], "Report");
    assert_eq!(body["source"], "readygate");
    assert_eq!(body["summary"]["pass"], 1);
}

#[test]
fn counts_add_up_for_any_mix_of_states() {
    let states = ItemState::ALL;
    let severities = [Severity::Critical, Severity::High, Severity::Low];
    let items: Vec<ItemStatus> =
        (0..40).map(|n| item(&format!("i{n}"), states[n % states.len()], severities[n % severities.len()])).collect();
    let body = report_of(ReportFormat::PolicyReport, items);
    let summary = &body["summary"];
    let total: u64 =
        ["pass", "fail", "warn", "error", "skip"].iter().map(|k| summary[k].as_u64().expect("count")).sum();
    assert_eq!(total, 40);
    assert_eq!(body["results"].as_array().map(Vec::len), Some(40));
    for verdict in ["pass", "fail", "warn", "error", "skip"] {
        let counted = body["results"].as_array().expect("results").iter().filter(|r| r["result"] == verdict).count();
        assert_eq!(summary[verdict].as_u64(), Some(counted as u64), "{verdict}");
    }
}

#[test]
fn a_checklist_without_uid_has_no_report() {
    let mut checklist = checklist();
    checklist.metadata.uid = None;
    assert_eq!(
        report(ReportFormat::PolicyReport, &checklist, &status(vec![])),
        Err(ReportError::NoUid("novacron/novacron-v1".to_owned()))
    );
}

#[test]
fn a_name_too_long_for_the_prefix_falls_back_to_the_uid() {
    assert_eq!(report_name("short", "u"), "readygate-short");
    let long = "a".repeat(250);
    assert_eq!(report_name(&long, "0b5d-uid"), "readygate-0b5d-uid");
    assert_eq!(label_value(&format!("{}-b", "a".repeat(62))), "a".repeat(62));
}

#[test]
fn a_stored_report_with_the_same_results_is_current_whatever_others_added() {
    let desired = report_of(ReportFormat::PolicyReport, one_passed());
    let mut stored = desired.clone();
    stored["metadata"]["labels"]["team"] = json!("payments");
    stored["metadata"]["resourceVersion"] = json!("42");
    assert!(is_current(&desired, &stored));
    stored["results"][0]["message"] = json!("changed");
    assert!(!is_current(&desired, &stored));
    let mut unlabelled = desired.clone();
    unlabelled["metadata"]["labels"] = json!({});
    assert!(!is_current(&desired, &unlabelled));
}
