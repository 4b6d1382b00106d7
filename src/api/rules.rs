//! The CEL rules of the CRD schema, evaluated client-side as the API server would run them.

use serde_json::{Value, json};

use super::*;

/// The failure messages of a creation rule check; empty when every rule holds.
fn failures(result: Result<(), kube::core::cel::ValidationErrors>) -> Vec<String> {
    result.err().map(|errors| errors.iter().map(|e| e.message.clone()).collect()).unwrap_or_default()
}

fn range(value: Value) -> Vec<String> {
    failures(IntRange::validate_cel(&value, None))
}

fn target(value: Value) -> Vec<String> {
    failures(Target::validate_cel(&value, None))
}

#[test]
fn an_int_range_accepts_open_and_ordered_bounds() {
    for ok in [json!({}), json!({"atLeast": 3}), json!({"atMost": 10}), json!({"atLeast": 3, "atMost": 3})] {
        assert_eq!(range(ok.clone()), Vec::<String>::new(), "{ok}");
    }
}

#[test]
fn an_int_range_refuses_a_lower_bound_above_the_upper() {
    assert_eq!(range(json!({"atLeast": 5, "atMost": 3})), ["atLeast must not be greater than atMost"]);
}

#[test]
fn a_target_takes_a_name_or_a_selector_but_not_both() {
    assert!(target(json!({"kind": "Deployment", "name": "api"})).is_empty());
    assert!(target(json!({"selector": {"matchLabels": {"app": "api"}}})).is_empty());
    assert!(target(json!({"kind": "Deployment"})).is_empty());
    assert_eq!(
        target(json!({"name": "api", "selector": {"matchLabels": {"app": "api"}}})),
        ["give either name or selector, not both"]
    );
}

#[test]
fn cron_job_and_resource_checks_take_a_name_or_a_selector_but_not_both() {
    let both = json!({"name": "backup", "selector": {}, "apiVersion": "v1", "kind": "ConfigMap"});
    assert_eq!(failures(CronJobCheck::validate_cel(&both, None)), ["give either name or selector, not both"]);
    assert_eq!(failures(ResourceCheck::validate_cel(&both, None)), ["give either name or selector, not both"]);
    let name = json!({"name": "backup", "apiVersion": "v1", "kind": "ConfigMap"});
    assert!(failures(CronJobCheck::validate_cel(&name, None)).is_empty());
    assert!(failures(ResourceCheck::validate_cel(&name, None)).is_empty());
}

#[test]
fn a_certificate_check_takes_names_or_a_selector_but_not_both() {
    let both = json!({"names": ["api"], "selector": {}});
    assert_eq!(failures(CertificateCheck::validate_cel(&both, None)), ["give either names or selector, not both"]);
    assert!(failures(CertificateCheck::validate_cel(&json!({"names": [], "selector": {}}), None)).is_empty());
    assert!(failures(CertificateCheck::validate_cel(&json!({"names": ["api"]}), None)).is_empty());
}

#[test]
fn a_prometheus_expectation_sets_at_least_one_bound() {
    assert_eq!(failures(Expectation::validate_cel(&json!({}), None)), ["give lessThan, greaterThan or equals"]);
    assert!(failures(Expectation::validate_cel(&json!({"lessThan": 2.0}), None)).is_empty());
    assert!(failures(Expectation::validate_cel(&json!({"equals": 0}), None)).is_empty());
}

#[test]
fn a_manual_item_names_somebody_to_approve_it() {
    let nobody = ["approvers names nobody: give users or groups"];
    assert_eq!(failures(ManualCheck::validate_cel(&json!({"approvers": {}}), None)), nobody);
    assert_eq!(failures(ManualCheck::validate_cel(&json!({"approvers": {"groups": []}}), None)), nobody);
    assert!(failures(ManualCheck::validate_cel(&json!({"approvers": {"users": ["alice"]}}), None)).is_empty());
    assert!(failures(ManualCheck::validate_cel(&json!({"approvers": {"groups": ["cto"]}}), None)).is_empty());
}

#[test]
fn checks_that_would_check_nothing_are_refused() {
    let service = |v: Value| failures(ServiceCheck::validate_cel(&v, None));
    assert_eq!(service(json!({"forbidExposedPorts": []})), ["forbidExposedPorts lists no ports"]);
    assert!(service(json!({"forbidExposedPorts": [5432]})).is_empty());
    let ingress = |v: Value| failures(IngressCheck::validate_cel(&v, None));
    assert_eq!(ingress(json!({"hosts": []})), ["hosts lists no host"]);
    assert!(ingress(json!({"hosts": ["a.example.com"]})).is_empty());
    let policy = |v: Value| failures(NetworkPolicyCheck::validate_cel(&v, None));
    assert_eq!(policy(json!({"defaultDenyIngress": false})).len(), 1);
    assert!(policy(json!({"restrictedPorts": [{"port": 5432}]})).is_empty());
    assert!(policy(json!({"coverWorkloads": {}})).is_empty());
    let rbac = |v: Value| failures(RbacCheck::validate_cel(&v, None));
    assert_eq!(rbac(json!({})), ["nothing to check (set roles, access or forbidClusterAdminBindings)"]);
    assert!(rbac(json!({"forbidClusterAdminBindings": true})).is_empty());
}

#[test]
fn an_hpa_check_names_its_scale_target_by_kind_and_name() {
    let hpa = |target: Value| failures(HpaCheck::validate_cel(&json!({"target": target}), None));
    assert!(hpa(json!({"kind": "Deployment", "name": "api"})).is_empty());
    let wrong = "target names the scale target by kind and name (no selector)";
    for bad in [json!({"name": "api"}), json!({"kind": "Deployment"}), json!({"kind": "Deployment", "name": ""})] {
        assert_eq!(hpa(bad.clone()), [wrong], "{bad}");
    }
    assert!(hpa(json!({"kind": "Deployment", "name": "api", "selector": {}})).contains(&wrong.to_owned()));
}

#[test]
fn max_used_ratio_lies_above_zero_and_at_most_one() {
    let quota = |ratio: Value| failures(ResourceQuotaCheck::validate_cel(&json!({"maxUsedRatio": ratio}), None));
    assert!(quota(json!(0.9)).is_empty());
    assert!(quota(json!(1.0)).is_empty());
    for bad in [json!(0.0), json!(-0.5), json!(1.5)] {
        assert_eq!(quota(bad.clone()), ["maxUsedRatio must be above 0 and at most 1"], "{bad}");
    }
    assert!(failures(ResourceQuotaCheck::validate_cel(&json!({}), None)).is_empty());
}

fn checklist_spec(extra: Value) -> Value {
    let mut spec = json!({"items": [{"name": "cto", "check": {"manual": {"approvers": {"users": ["alice"]}}}}]});
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    spec
}

#[test]
fn binding_admissions_to_the_release_needs_a_release() {
    let spec = |extra| failures(ReadinessChecklistSpec::validate_cel(&checklist_spec(extra), None));
    let gate = json!({"selector": {}, "bindRelease": true});
    assert_eq!(
        spec(json!({"gate": gate})),
        ["gate.bindRelease needs spec.release: admitted workloads are bound to that release"]
    );
    assert!(spec(json!({"gate": gate, "release": "v1.0.0"})).is_empty());
    assert!(spec(json!({"gate": {"selector": {}}})).is_empty());
    assert!(spec(json!({})).is_empty());
}

fn checklist(name: &str, referenced: &str) -> ReadinessChecklist {
    let spec = checklist_spec(json!({"items": [{"name": "platform", "check": {"checklist": {"name": referenced}}}]}));
    let mut checklist = ReadinessChecklist::new(name, serde_json::from_value(spec).expect("valid spec"));
    checklist.metadata.namespace = Some("shop".to_owned());
    checklist
}

#[test]
fn a_checklist_cannot_require_itself() {
    assert!(failures(checklist("release", "platform").validate_cel()).is_empty());
    assert_eq!(
        failures(checklist("release", "release").validate_cel()),
        ["a checklist cannot require itself (items[].check.checklist.name)"]
    );
}

fn signoff(reason: &str) -> Value {
    json!({"checklist": "release", "item": "cto", "action": "Approve", "release": "v1.0.0", "reason": reason,
           "signer": {"username": "alice", "groups": ["cto"]}})
}

#[test]
fn a_signoff_spec_never_changes() {
    let original = signoff("reviewed");
    assert!(failures(ReadinessSignoffSpec::validate_cel(&original, None)).is_empty());
    assert!(failures(ReadinessSignoffSpec::validate_cel(&original, Some(&original))).is_empty());
    assert_eq!(
        failures(ReadinessSignoffSpec::validate_cel(&signoff("changed my mind"), Some(&original))),
        ["spec is immutable; delete and create anew"]
    );
}
