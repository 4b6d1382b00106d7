//! The spec rules, and that each check refuses at evaluation exactly what they refuse.

use serde_json::{Value, json};

use super::*;
use crate::api::ItemState;
use crate::checks::fixtures::World;
use crate::checks::{Facts, evaluate};

fn check(spec: Value) -> Check {
    serde_json::from_value(spec).expect("a check")
}

fn texts(spec: Value) -> Vec<String> {
    problems(&check(spec)).iter().map(Problem::to_string).collect()
}

#[test]
fn a_pdb_rule_takes_a_pod_count_or_a_percentage_up_to_100() {
    let rule = |min: Value| texts(json!({"workload": {"target": {}, "podDisruptionBudget": {"minAvailable": min}}}));
    for ok in [json!(0), json!(3), json!("0%"), json!("50%"), json!("100%")] {
        assert!(rule(ok.clone()).is_empty(), "{ok}");
    }
    assert_eq!(rule(json!("150%")), ["podDisruptionBudget.minAvailable: \"150%\" is not a percentage from 0% to 100%"]);
    assert_eq!(
        rule(json!(-1)),
        ["podDisruptionBudget.minAvailable: -1 is negative: give a pod count or a percentage from 0% to 100%"]
    );
    assert_eq!(
        rule(json!("half")),
        ["podDisruptionBudget.minAvailable: \"half\" is neither a number nor a percentage"]
    );
}

/// Specs each check refused at evaluation while validation admitted them (issue 10), and a few
/// validation refused that the checks would have run.
fn formerly_disagreeing() -> Vec<Value> {
    vec![
        json!({"workload": {"target": {}, "podDisruptionBudget": {"minAvailable": "150%"}}}),
        json!({"workload": {"target": {}, "podDisruptionBudget": {"minAvailable": -1}}}),
        json!({"workload": {"target": {"kind": "CronJob"}}}),
        json!({"workload": {"target": {}, "image": {"tag": ""}}}),
        json!({"horizontalPodAutoscaler": {"target": {"name": "api"}}}),
        json!({"horizontalPodAutoscaler": {"target": {"kind": "Deployment"}}}),
        json!({"horizontalPodAutoscaler": {"target": {"kind": "Deployment", "selector": {}}}}),
        json!({"ingress": {"hosts": []}}),
        json!({"service": {"forbidExposedPorts": []}}),
        json!({"networkPolicy": {}}),
        json!({"rbac": {}}),
        json!({"rbac": {"access": [{"subject": {"kind": "User", "name": " "}, "verb": "get", "resource": "pods",
                                     "allowed": true}]}}),
        json!({"rbac": {"access": [{"subject": {"kind": "User", "name": "a"}, "verb": "get",
                                     "resource": "deployments/scale", "subresource": "scale", "allowed": true}]}}),
        json!({"resourceQuota": {"maxUsedRatio": 1.5}}),
        json!({"secret": {"name": "s", "key": "k", "forbidSha256": ["abc"]}}),
        json!({"prometheus": {"url": "http://p:9090", "query": "up", "expect": {}}}),
        json!({"kubernetesVersion": {"atLeast": "latest"}}),
        json!({"resource": {"apiVersion": "", "kind": "ConfigMap"}}),
    ]
}

#[test]
fn what_validation_refuses_each_check_refuses_at_evaluation_and_the_reverse() {
    let world = World::new([]).facts(Facts { secret_checks: true, ..Facts::live() });
    for spec in formerly_disagreeing() {
        let refused = texts(spec.clone());
        assert!(!refused.is_empty(), "{spec} is refused");
        let outcome = evaluate(&check(spec.clone()), &world.scope());
        assert_eq!(outcome.state, ItemState::Error, "{spec}: {outcome:?}");
        assert_eq!(outcome.message, refused.join("; "), "{spec}");
    }
}

#[test]
fn upper_case_digests_are_digests_as_the_check_compares_them() {
    let digest = "A".repeat(64);
    assert!(texts(json!({"secret": {"name": "s", "key": "k", "forbidSha256": [digest]}})).is_empty());
}
