//! `workload` scenarios end to end: selection, messages, and rules combined.

use serde_json::{Value, json};

use super::fixtures::{check, deployment, good_container, pdb, run, set, workload};
use crate::api::ItemState;
use crate::checks::fixtures::{assert_contains, assert_starts_with};

fn every_rule() -> Value {
    json!({
        "replicas": {"atLeast": 3},
        "probes": ["Readiness", "Liveness"],
        "resources": {"requests": ["cpu", "memory"], "limits": ["memory"]},
        "zeroDowntimeRollout": true,
        "terminationGracePeriodSeconds": {"atLeast": 30, "atMost": 120},
        "preStopHook": true,
        "image": {"forbidLatest": true},
        "forbidLiteralSecretEnv": true,
        "runAsNonRoot": true,
        "podDisruptionBudget": {"minAvailable": 2}
    })
}

fn with_target(mut rules: Value, target: Value) -> Value {
    rules["target"] = target;
    rules
}

fn api_pdb() -> crate::inventory::Object {
    pdb("api", "policy/v1", json!({"selector": {"matchLabels": {"app": "api"}}, "minAvailable": 2}))
}

#[test]
fn passes_when_the_named_deployment_meets_every_rule() {
    let spec = check(with_target(every_rule(), json!({"kind": "Deployment", "name": "api"})));
    let outcome = run(&spec, vec![deployment("api"), api_pdb()]);
    assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
    assert_starts_with(&outcome.message, "deployment/api meets replicas, probes, resources");
}

#[test]
fn passes_naming_every_selected_workload() {
    let spec = check(json!({"target": {"selector": {"matchLabels": {"tier": "backend"}}}, "replicas": {"atLeast": 3}}));
    let objects =
        vec![deployment("api"), deployment("worker"), workload("StatefulSet", "db", vec![good_container("db")])];
    let outcome = run(&spec, objects);
    assert_eq!(outcome.state, ItemState::Passed);
    assert_eq!(outcome.message, "3 workloads meet replicas (deployment/api, deployment/worker, statefulset/db)");
}

#[test]
fn fails_when_no_deployment_matches_the_selector() {
    let spec = check(json!({"target": {"kind": "Deployment", "selector": {"matchLabels": {"app": "api"}}}}));
    let outcome = run(&spec, vec![workload("StatefulSet", "api", vec![good_container("api")])]);
    assert_eq!(outcome.state, ItemState::Failed);
    assert_eq!(outcome.message, "no Deployment matches app=api");
}

#[test]
fn fails_when_no_workload_has_the_name() {
    let spec = check(json!({"target": {"kind": "Deployment", "name": "api"}}));
    assert_eq!(run(&spec, vec![deployment("web")]).message, "no Deployment named api");
    let any_kind = check(json!({"target": {"name": "api"}}));
    assert_eq!(run(&any_kind, vec![]).message, "no Deployment, StatefulSet or DaemonSet named api");
    let everything = check(json!({"target": {}}));
    assert_eq!(run(&everything, vec![]).message, "no Deployment, StatefulSet or DaemonSet in namespace shop");
}

#[test]
fn an_empty_kind_selects_all_three_workload_kinds() {
    let spec = check(json!({"target": {"kind": ""}, "preStopHook": true}));
    let objects = vec![
        deployment("api"),
        workload("StatefulSet", "db", vec![good_container("db")]),
        workload("DaemonSet", "agent", vec![good_container("agent")]),
    ];
    let outcome = run(&spec, objects);
    assert_eq!(outcome.message, "3 workloads meet preStopHook (deployment/api, statefulset/db, daemonset/agent)");
}

#[test]
fn ignores_workloads_of_other_namespaces() {
    let mut elsewhere = deployment("api");
    elsewhere.namespace = Some("other".to_owned());
    let spec = check(json!({"target": {"kind": "Deployment", "name": "api"}}));
    assert_eq!(run(&spec, vec![elsewhere]).state, ItemState::Failed);
}

#[test]
fn lists_every_problem_of_every_workload() {
    let mut api = deployment("api");
    set(&mut api, "/spec/replicas", json!(1));
    set(&mut api, "/spec/template/spec/containers/0/image", json!("shop/api:latest"));
    let mut worker = deployment("worker");
    set(&mut worker, "/spec/strategy", json!({"type": "Recreate"}));
    let spec = check(with_target(
        json!({"replicas": {"atLeast": 3}, "zeroDowntimeRollout": true, "image": {"forbidLatest": true}}),
        json!({"kind": "Deployment"}),
    ));
    let outcome = run(&spec, vec![api, worker]);
    assert_eq!(outcome.state, ItemState::Failed);
    assert_eq!(
        outcome.message,
        "deployment/api: replicas 1, expected >= 3; \
         deployment/api: container api image \"shop/api:latest\" uses tag latest; \
         deployment/worker: strategy Recreate stops every pod before starting new ones"
    );
}

#[test]
fn asking_replicas_of_a_daemon_set_is_a_problem() {
    let spec = check(json!({"target": {"kind": "DaemonSet", "name": "agent"}, "replicas": {"atLeast": 1}}));
    let outcome = run(&spec, vec![workload("DaemonSet", "agent", vec![good_container("agent")])]);
    assert_eq!(outcome.state, ItemState::Failed);
    assert_starts_with(&outcome.message, "daemonset/agent: has no replicas");
}

#[test]
fn a_template_without_containers_fails_container_rules() {
    let spec = check(json!({"target": {"kind": "Deployment", "name": "api"}, "probes": ["Readiness"]}));
    let empty = workload("Deployment", "api", vec![]);
    assert_eq!(run(&spec, vec![empty]).message, "deployment/api: pod template has no containers");
}

#[test]
fn literal_secrets_fail_without_leaking_the_value() {
    let mut api = deployment("api");
    set(&mut api, "/spec/template/spec/containers/0/env", json!([{"name": "AUTH_TOKEN", "value": "s3cr3t-value"}]));
    let spec = check(json!({"target": {"kind": "Deployment", "name": "api"}, "forbidLiteralSecretEnv": true}));
    let outcome = run(&spec, vec![api]);
    assert_eq!(outcome.state, ItemState::Failed);
    assert!(outcome.message.contains("AUTH_TOKEN") && !outcome.message.contains("s3cr3t"), "{}", outcome.message);
}

#[test]
fn the_pdb_rule_reads_pdbs_of_the_namespace() {
    let spec = check(json!({"target": {"kind": "Deployment", "name": "api"}, "podDisruptionBudget": {}}));
    assert_eq!(run(&spec, vec![deployment("api")]).message, "deployment/api: no PodDisruptionBudget selects its pods");
    let mut elsewhere = api_pdb();
    elsewhere.namespace = Some("other".to_owned());
    assert_eq!(run(&spec, vec![deployment("api"), elsewhere]).state, ItemState::Failed);
    assert_eq!(run(&spec, vec![deployment("api"), api_pdb()]).state, ItemState::Passed);
}

#[test]
fn an_unknown_kind_is_an_error() {
    let spec = check(json!({"target": {"kind": "CronJob", "name": "api"}}));
    let outcome = run(&spec, vec![]);
    assert_eq!(outcome.state, ItemState::Error);
    assert_contains(&outcome.message, "\"CronJob\" is not a workload kind");
}

#[test]
fn an_invalid_selector_is_an_error() {
    let spec = check(json!({"target": {"selector": {"matchExpressions": [{"key": "app", "operator": "In"}]}}}));
    assert_eq!(run(&spec, vec![deployment("api")]).state, ItemState::Error);
}

#[test]
fn name_and_selector_together_are_an_error() {
    let spec = check(json!({"target": {"name": "api", "selector": {"matchLabels": {"app": "api"}}}}));
    assert_eq!(run(&spec, vec![deployment("api")]).state, ItemState::Error);
}

#[test]
fn inverted_ranges_and_bad_rule_values_are_errors() {
    let target = json!({"kind": "Deployment", "name": "api"});
    for rules in [
        json!({"replicas": {"atLeast": 5, "atMost": 3}}),
        json!({"terminationGracePeriodSeconds": {"atLeast": 60, "atMost": 30}}),
        json!({"image": {"tag": ""}}),
        json!({"podDisruptionBudget": {"minAvailable": "most"}}),
    ] {
        let outcome = run(&check(with_target(rules.clone(), target.clone())), vec![deployment("api")]);
        assert_eq!(outcome.state, ItemState::Error, "{rules}");
    }
}

#[test]
fn no_rules_only_requires_the_workload_to_exist() {
    let spec = check(json!({"target": {"kind": "Deployment", "name": "api"}}));
    assert_eq!(run(&spec, vec![deployment("api")]).message, "deployment/api found (no rules given)");
}

#[test]
fn workloads_with_the_same_problem_are_named_together() {
    let mut api = deployment("api");
    set(&mut api, "/spec/strategy", Value::Null);
    let mut worker = deployment("worker");
    set(&mut worker, "/spec/strategy", Value::Null);
    let spec = check(json!({"target": {"kind": "Deployment"}, "zeroDowntimeRollout": true}));
    let outcome = run(&spec, vec![api, worker]);
    assert_starts_with(&outcome.message, "deployment/api, deployment/worker: maxUnavailable 25% (the default)");
}

#[test]
fn many_workloads_are_named_up_to_a_limit_and_counted_beyond() {
    let many: Vec<_> = (1..=12).map(|i| deployment(&format!("app-{i:02}"))).collect();
    let failing = check(json!({"target": {"kind": "Deployment"}, "replicas": {"atLeast": 5}}));
    let outcome = run(&failing, many.clone());
    assert_eq!(
        outcome.message,
        "deployment/app-01, deployment/app-02, deployment/app-03, deployment/app-04, deployment/app-05, \
         deployment/app-06, deployment/app-07, deployment/app-08 and 4 more: replicas 3, expected >= 5"
    );
    let passing = check(json!({"target": {"kind": "Deployment"}, "replicas": {"atLeast": 3}}));
    assert!(run(&passing, many).message.ends_with("deployment/app-08 and 4 more)"));
}
