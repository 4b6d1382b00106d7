//! The PrometheusRule in deploy/monitoring, checked by promtool: the rules parse, and the unit
//! tests in deploy/monitoring/tests/ pass against them.

use serde_json::Value;
use tempfile::TempDir;

use super::render::{documents, repo};
use super::tools::{promtool_path, run};

const RULES_FILE: &str = "readygate-alerts.rules.yaml";
const TEST_FILE: &str = "readygate-alerts.test.yaml";

fn prometheus_rule() -> Value {
    let text = std::fs::read_to_string(repo().join("deploy/monitoring/prometheusrule.yaml")).expect("reads");
    documents(&text).remove(0)
}

/// promtool reads plain rule files: the PrometheusRule's `spec`, written beside a copy of the
/// unit tests (which name it relatively).
fn rules_workspace() -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = serde_saphyr::to_string(&prometheus_rule()["spec"]).expect("serializes");
    std::fs::write(dir.path().join(RULES_FILE), rules).expect("writes rules");
    std::fs::copy(repo().join("deploy/monitoring/tests").join(TEST_FILE), dir.path().join(TEST_FILE)).expect("copies");
    dir
}

fn alerts() -> Vec<Value> {
    let spec = &prometheus_rule()["spec"];
    spec["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["rules"].as_array().expect("rules").clone())
        .collect()
}

#[test]
fn the_alerting_rules_pass_promtool_check() {
    let dir = rules_workspace();
    let out =
        run(&promtool_path(), ["check".as_ref(), "rules".as_ref(), dir.path().join(RULES_FILE).as_os_str()], None);
    assert!(out.contains(&format!("SUCCESS: {} rules found", alerts().len())), "{out}");
}

#[test]
fn the_alerts_pass_their_promtool_unit_tests() {
    let dir = rules_workspace();
    let out = run(&promtool_path(), ["test".as_ref(), "rules".as_ref(), dir.path().join(TEST_FILE).as_os_str()], None);
    assert!(out.contains("SUCCESS"), "{out}");
}

#[test]
fn every_alert_is_unit_tested_and_has_a_runbook_section() {
    let tests = std::fs::read_to_string(repo().join("deploy/monitoring/tests").join(TEST_FILE)).expect("reads");
    let operations = std::fs::read_to_string(repo().join("docs/operations.md")).expect("docs/operations.md");
    for alert in alerts() {
        let name = alert["alert"].as_str().expect("alert name");
        assert!(tests.contains(&format!("alertname: {name}")), "{name} has no promtool unit test");
        assert!(operations.contains(&format!("\n### {name}\n")), "docs/operations.md has no `### {name}` section");
        let runbook = format!("docs/operations.md#{}", name.to_lowercase());
        assert_eq!(alert["annotations"]["runbook"], runbook.as_str(), "{name}'s runbook annotation");
        assert!(alert["labels"]["severity"].is_string(), "{name} has a severity");
    }
}
