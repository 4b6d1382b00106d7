//! `--report-format`: off in the base and the chart's defaults; the policy-reports and
//! openreports components (chart value `reports.format`) grant writing exactly that kind and
//! pass the flag.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::chart::{assert_same_objects, chart_objects};
use super::render::{documents, find, helm, kustomize_base, kustomize_with};
use super::wiring::args;

fn report_rules(objects: &[Value]) -> Value {
    find(objects, "ClusterRole", "readygate-reports")["rules"].clone()
}

#[test]
fn reports_are_off_by_default() {
    let objects = documents(&kustomize_base());
    assert!(!objects.iter().any(|o| o["metadata"]["name"] == "readygate-reports"));
    assert!(!args(find(&objects, "Deployment", "readygate")).iter().any(|a| a.starts_with("--report-format")));
    let chart = chart_objects(json!({}));
    assert!(!chart.iter().any(|o| o["metadata"]["name"] == "readygate-reports"));
}

#[test]
fn each_component_grants_its_kind_and_passes_the_flag_as_the_chart_does() {
    for (component, format, group, resource) in [
        ("components/policy-reports", "policyreport", "wgpolicyk8s.io", "policyreports"),
        ("components/openreports", "openreports", "openreports.io", "reports"),
    ] {
        let objects = documents(&kustomize_with(&[component]));
        assert_eq!(
            report_rules(&objects),
            json!([{"apiGroups": [group], "resources": [resource], "verbs": ["get", "create", "patch"]}]),
            "{component}"
        );
        let binding = find(&objects, "ClusterRoleBinding", "readygate-reports");
        assert_eq!(binding["roleRef"]["name"], "readygate-reports");
        assert_eq!(
            binding["subjects"],
            json!([{"kind": "ServiceAccount", "name": "readygate", "namespace": "readygate-system"}])
        );
        let flag = format!("--report-format={format}");
        assert_eq!(args(find(&objects, "Deployment", "readygate")).last(), Some(&flag.as_str()), "{component}");
        assert_same_objects(chart_objects(json!({"reports": {"format": format}})), objects);
    }
}

#[test]
fn the_chart_refuses_an_unknown_report_format() {
    let error = helm(json!({"reports": {"format": "sarif"}})).rendered.expect_err("an unknown format fails");
    assert!(error.contains("reports.format must be \"\", policyreport or openreports, not \"sarif\""), "{error}");
}
