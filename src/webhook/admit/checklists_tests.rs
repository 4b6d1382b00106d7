//! Checklist admission: shape errors become messages naming item and field; the rules come from
//! `engine::validate`.

use serde_json::{Value, json};

use super::*;
use crate::checks::fixtures::{assert_contains, assert_starts_with};
use crate::webhook::admit::fixtures::{RequestFixture, checklist_request};

fn decide_on(request: &RequestFixture) -> Verdict {
    let text = request.json();
    decide(&AdmissionInput::parse(&text).expect("request parses"))
}

fn hpa_item(name: &str) -> Value {
    json!({"name": name, "severity": "Critical",
           "check": {"horizontalPodAutoscaler": {"target": {"kind": "Deployment", "name": "api"}}}})
}

fn spec_with(items: Value) -> Value {
    json!({"release": "v1.0.0", "gate": {"selector": {"matchLabels": {"app": "api"}}}, "items": items})
}

fn denial(items: Value) -> String {
    let v = decide_on(&checklist_request("CREATE", spec_with(items)));
    assert!(!v.allowed, "expected a denial");
    assert_eq!(v.code, 422);
    assert_eq!(v.reason, Reason::Invalid);
    v.message
}

#[test]
fn admits_a_valid_checklist() {
    let v = decide_on(&checklist_request("CREATE", spec_with(json!([hpa_item("autoscaling")]))));
    assert!(v.allowed, "{}", v.message);
    assert_eq!(v.reason, Reason::Valid);
}

#[test]
fn refuses_duplicate_item_names() {
    let message = denial(json!([hpa_item("autoscaling"), hpa_item("autoscaling")]));
    assert_starts_with(&message, "readinesschecklist shop/release is invalid: ");
    assert_contains(&message, "items[1] (autoscaling).name: duplicate of items[0]");
}

#[test]
fn names_an_unknown_check_kind() {
    let message = denial(json!([hpa_item("a"), hpa_item("b"), {"name": "c", "check": {"foo": {}}}]));
    assert_contains(&message, r#"items[2].check: unknown check kind "foo" (expected one of workload, service,"#);
}

#[test]
fn refuses_two_check_kinds_in_one_item() {
    let message =
        denial(json!([{"name": "a", "check": {"workload": {"target": {}}, "service": {"forbidExposedPorts": [22]}}}]));
    assert_contains(&message, "items[0].check: exactly one check kind allowed, found 2");
}

#[test]
fn refuses_an_item_without_check_kind() {
    assert!(denial(json!([{"name": "a", "check": {}}])).contains("items[0].check: no check kind given"));
    assert!(denial(json!([{"name": "a"}])).contains("items[0].check: missing"));
    assert!(denial(json!([{"name": "a", "check": "workload"}])).contains("items[0].check: must be an object"));
}

#[test]
fn names_the_field_of_an_unknown_enum_value() {
    let message =
        denial(json!([{"name": "a", "severity": "Medium", "check": {"manual": {"approvers": {"users": ["x"]}}}}]));
    assert_contains(&message, "items[0].severity: unknown variant `Medium`");
    let message =
        denial(json!([{"name": "a", "check": {"workload": {"target": {}, "probes": ["Readiness", "Ready"]}}}]));
    assert_contains(&message, "items[0].check.workload.probes[1]: unknown variant `Ready`");
}

#[test]
fn names_the_field_of_a_bad_duration() {
    let message = denial(json!([{"name": "a", "check": {"cronJob": {"name": "backup", "maxInterval": "1 day"}}}]));
    assert_contains(&message, "items[0].check.cronJob.maxInterval: invalid duration \"1 day\"");
}

#[test]
fn names_a_bad_gate_enforcement() {
    let mut spec = spec_with(json!([hpa_item("a")]));
    spec["gate"]["enforcement"] = json!("Block");
    let v = decide_on(&checklist_request("CREATE", spec));
    assert_contains(&v.message, "gate.enforcement: unknown variant `Block`");
}

#[test]
fn refuses_a_checklist_without_items() {
    assert!(decide_on(&checklist_request("CREATE", json!({"release": "v1"}))).message.contains("items: missing"));
}

#[test]
fn metadata_only_updates_pass_even_for_a_checklist_that_breaks_a_rule() {
    let request = checklist_request("UPDATE", spec_with(json!([hpa_item("a"), hpa_item("a")])))
        .set("/object/metadata/finalizers", json!([]));
    let v = decide_on(&request);
    assert!(v.allowed);
    assert_eq!(v.reason, Reason::NotGated);
}

#[test]
fn spec_updates_are_validated() {
    let request = checklist_request("UPDATE", spec_with(json!([hpa_item("a")])))
        .set("/object/spec/items", json!([hpa_item("a"), hpa_item("a")]));
    assert!(!decide_on(&request).allowed);
}

#[test]
fn status_updates_deletes_and_other_kinds_pass() {
    let broken = || checklist_request("UPDATE", json!({"items": []})).set("/object/spec/items", json!("x"));
    assert_eq!(decide_on(&broken().sub_resource("status")).reason, Reason::NotGated);
    assert_eq!(decide_on(&checklist_request("DELETE", json!({}))).reason, Reason::NotGated);
    assert_eq!(decide_on(&broken().kind("", "v1", "ConfigMap")).reason, Reason::UnsupportedKind);
}

#[test]
fn refuses_cel_that_does_not_compile_naming_item_and_field() {
    let message = denial(json!([{"name": "monitors", "severity": "Critical",
        "check": {"resource": {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
                               "all": "object.spec.endpoints.size() >"}}}]));
    assert_contains(&message, "items[0] (monitors).check.resource.all: CEL does not compile: ");
}

/// Issue 13: a function CEL in Kubernetes lacks is refused up front with cel-go's message; the
/// Kubernetes libraries are admitted.
#[test]
fn refuses_an_unknown_cel_function_and_admits_the_kubernetes_libraries() {
    let item = |all: &str| {
        json!([{"name": "limits", "severity": "Critical",
        "check": {"resource": {"apiVersion": "v1", "kind": "LimitRange", "all": all}}}])
    };
    let message = denial(item("quantty(object.spec.limits[0].max.memory).sign() > 0"));
    assert_contains(
        &message,
        "items[0] (limits).check.resource.all: CEL does not compile: ERROR: <input>:1:8: \
                          undeclared reference to 'quantty' (in container '')",
    );
    let known = "quantity(object.spec.limits[0].max.memory).isLessThan(quantity('2Gi')) && \
                 url(object.metadata.annotations['docs']).getScheme() == 'https' && \
                 cidr('10.0.0.0/8').containsIP(object.metadata.annotations['ip'])";
    let v = decide_on(&checklist_request("CREATE", spec_with(item(known))));
    assert!(v.allowed, "{}", v.message);
}

/// Issue 14: a selector `LabelSelectorAsSelector` refuses is refused here too, naming the field.
#[test]
fn refuses_a_selector_value_no_label_can_carry() {
    let message = denial(json!([{"name": "api", "check": {"workload": {"target": {"selector": {"matchExpressions": [
        {"key": "app", "operator": "NotIn", "values": ["a b"]}]}}}}}]));
    assert_contains(&message, "items[0] (api).check.workload.target.selector.matchExpressions[0].values[0]: ");
}
