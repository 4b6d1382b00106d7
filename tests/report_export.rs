//! `readygate run --report-format` against the API server double: one PolicyReport (or
//! OpenReports Report) per checklist that validates against the published CRD, counts that add
//! up, written once, rewritten only when results change, and not at all after a restart.

mod replica;
#[path = "policy_reports/schema.rs"]
mod schema;
mod support;

use std::time::Duration;

use pretty_assertions::assert_eq;
use replica::*;
use serde_json::{Value, json};
use support::{ApiServerDouble, Verb};

const READY: Duration = Duration::from_secs(20);
const POLICY_REPORT: &str = "wgpolicyk8s.io/v1alpha2";
const OPEN_REPORTS: &str = "openreports.io/v1alpha1";

fn report(double: &ApiServerDouble, api_version: &str, kind: &str) -> Option<Value> {
    double.get_object(api_version, kind, Some("shop"), "readygate-shop-v1")
}

fn report_writes(double: &ApiServerDouble, plural: &str) -> usize {
    double
        .request_log()
        .iter()
        .filter(|r| {
            matches!(r.verb, Verb::Patch | Verb::Create | Verb::Update) && r.resource.as_deref() == Some(plural)
        })
        .count()
}

/// Results per item in the checklist's order, and a summary whose counts add up to them.
fn assert_results_add_up(report: &Value, expected: &[(&str, &str)]) {
    let results = report["results"].as_array().expect("results");
    let got: Vec<(&str, &str)> =
        results.iter().map(|r| (r["rule"].as_str().expect("rule"), r["result"].as_str().expect("result"))).collect();
    assert_eq!(got, expected);
    let mut total = 0;
    for verdict in ["pass", "fail", "warn", "error", "skip"] {
        let counted = results.iter().filter(|r| r["result"] == verdict).count() as u64;
        assert_eq!(report["summary"][verdict].as_u64(), Some(counted), "summary.{verdict} of {report}");
        total += counted;
    }
    assert_eq!(total, results.len() as u64);
    assert!(results.iter().all(|r| r["source"] == "readygate" && r["policy"] == "shop-v1"), "{results:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_reports_are_written_once_and_again_only_when_results_change() {
    let double = double(false).await;
    let crd = schema::crd("wgpolicyk8s.io_policyreports.yaml");
    double.install_crd(crd.clone());
    seed_shop(&double).await;
    let config = kubeconfig(&double);
    let replica = Replica::start(config.path(), &["--report-format=policyreport"]);
    replica.wait_ready(READY).await;
    eventually(&double, &replica, Duration::from_secs(15), "the PolicyReport", |d| {
        report(d, POLICY_REPORT, "PolicyReport").is_some()
    })
    .await;

    let stored = report(&double, POLICY_REPORT, "PolicyReport").expect("report");
    schema::validate(&crd, &stored)
        .unwrap_or_else(|e| panic!("the PolicyReport breaks its CRD schema: {e:?}\n{stored}"));
    assert_results_add_up(&stored, &[("autoscaling", "pass"), ("approval", "fail"), ("certificates", "error")]);
    let checklist =
        double.get_object("readygate.io/v1alpha1", "ReadinessChecklist", Some("shop"), "shop-v1").expect("checklist");
    assert_eq!(
        stored["metadata"]["ownerReferences"],
        json!([{"apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist", "name": "shop-v1",
                "uid": checklist["metadata"]["uid"], "controller": true}])
    );
    assert_eq!(stored["scope"]["uid"], checklist["metadata"]["uid"]);
    let managers: Vec<&Value> = stored["metadata"]["managedFields"].as_array().into_iter().flatten().collect();
    assert!(managers.iter().all(|m| m["manager"] == "readygate-reports" && m["operation"] == "Apply"), "{managers:?}");

    // Re-evaluations with nothing changed (the default interval is long; an HPA event
    // re-evaluates at once) write no report.
    double.clear_request_log();
    seed_hpa(&double, 3);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(report_writes(&double, "policyreports"), 0, "log:\n{}", replica.log());

    // A result that changes is written once.
    double.clear_request_log();
    seed_hpa(&double, 2);
    eventually(&double, &replica, Duration::from_secs(5), "autoscaling fails in the report", |d| {
        report(d, POLICY_REPORT, "PolicyReport").is_some_and(|r| r["results"][0]["result"] == "fail")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(report_writes(&double, "policyreports"), 1, "log:\n{}", replica.log());
    let stored = report(&double, POLICY_REPORT, "PolicyReport").expect("report");
    assert_results_add_up(&stored, &[("autoscaling", "fail"), ("approval", "fail"), ("certificates", "error")]);
    assert_eq!(stored["summary"], json!({"pass": 0, "fail": 2, "warn": 0, "error": 1, "skip": 0}));

    // A restarted controller reads the stored report instead of rewriting it.
    assert!(replica.terminate().await.success());
    double.clear_request_log();
    let replica = Replica::start(config.path(), &["--report-format=policyreport"]);
    replica.wait_ready(READY).await;
    eventually(&double, &replica, Duration::from_secs(10), "the restarted replica reads the report", |d| {
        d.request_log().iter().any(|r| r.is(Verb::Get, "policyreports"))
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(report_writes(&double, "policyreports"), 0, "log:\n{}", replica.log());
    assert!(replica.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openreports_reports_validate_against_their_crd() {
    let double = double(false).await;
    let crd = schema::crd("openreports.io_reports.yaml");
    double.install_crd(crd.clone());
    seed_shop(&double).await;
    seed_signoff(&double);
    let config = kubeconfig(&double);
    let replica = Replica::start(config.path(), &["--report-format=openreports"]);
    replica.wait_ready(READY).await;
    eventually(&double, &replica, Duration::from_secs(15), "the Report", |d| {
        report(d, OPEN_REPORTS, "Report").is_some_and(|r| r["results"][1]["result"] == "pass")
    })
    .await;
    let stored = report(&double, OPEN_REPORTS, "Report").expect("report");
    schema::validate(&crd, &stored).unwrap_or_else(|e| panic!("the Report breaks its CRD schema: {e:?}\n{stored}"));
    assert_eq!(stored["source"], "readygate");
    assert_results_add_up(&stored, &[("autoscaling", "pass"), ("approval", "pass"), ("certificates", "error")]);
    assert!(replica.terminate().await.success());
}

#[test]
fn an_unknown_report_format_exits_2_naming_the_allowed_values() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_readygate"))
        .args(["run", "--report-format", "sarif"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("sarif") && stderr.contains("policyreport") && stderr.contains("openreports"), "{stderr}");
}

/// The validator is strict where the API server is: a field the schema lacks and a result
/// outside the enum are both reported (so a passing validation means something).
#[test]
fn the_schema_check_rejects_what_the_api_server_would() {
    let crd = schema::crd("wgpolicyk8s.io_policyreports.yaml");
    let good = json!({"apiVersion": POLICY_REPORT, "kind": "PolicyReport", "metadata": {"name": "r"},
                      "results": [{"policy": "p", "result": "pass"}], "summary": {"pass": 1}});
    assert_eq!(schema::validate(&crd, &good), Ok(()));
    let mut bad = good.clone();
    bad["results"][0]["result"] = json!("waived");
    bad["results"][0]["extra"] = json!(1);
    let errors = schema::validate(&crd, &bad).expect_err("invalid");
    assert_eq!(errors.len(), 2, "{errors:?}");
}
