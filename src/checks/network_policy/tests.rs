//! `networkPolicy` scenarios: default deny, coverage and restricted ports, with the Kubernetes
//! edge cases of each (defaulted policyTypes, empty rules, named ports, ranges, protocols).

use serde_json::{Value, json};

use super::*;
use crate::api::ItemState;
use crate::checks::Facts;
use crate::checks::fixtures::{World, assert_state, object, resource};
use crate::inventory::Object;

fn policy(name: &str, spec: Value) -> Object {
    resource("networking.k8s.io/v1", "NetworkPolicy", name, json!({"spec": spec}))
}

/// A workload whose pods carry `app: <name>` and whose one container declares `ports`.
fn workload(kind: &str, name: &str, ports: Value) -> Object {
    workload_with(kind, name, json!({"containers": [{"name": name, "image": "img", "ports": ports}]}))
}

fn workload_with(kind: &str, name: &str, pod_spec: Value) -> Object {
    object(json!({"apiVersion": "apps/v1", "kind": kind,
                  "metadata": {"name": name, "labels": {"tier": "backend", "owner": name}},
                  "spec": {"template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec}}}))
}

fn postgres() -> Object {
    workload("StatefulSet", "postgres", json!([{"name": "pg", "containerPort": 5432}]))
}

fn check(spec: Value) -> NetworkPolicyCheck {
    serde_json::from_value(spec).expect("valid networkPolicy spec")
}

fn run_with(spec: Value, objects: Vec<Object>, facts: Facts) -> Outcome {
    evaluate(&check(spec), &World::new(objects).facts(facts).scope())
}

fn run(spec: Value, objects: Vec<Object>) -> Outcome {
    run_with(spec, objects, Facts::offline())
}

fn restrict_5432() -> Value {
    json!({"restrictedPorts": [{"port": 5432, "allowedFrom": "InCluster"}]})
}

// --- defaultDenyIngress / defaultDenyEgress

#[test]
fn default_deny_fails_without_any_policy_and_explains_the_kubernetes_default() {
    let outcome = run(json!({"defaultDenyIngress": true}), vec![]);
    assert_state(&outcome, ItemState::Failed, "no NetworkPolicy in namespace shop, so all ingress is allowed");
    assert!(outcome.message.contains("Kubernetes default"));
}

#[test]
fn default_deny_ingress_passes_with_a_bare_empty_selector_policy() {
    let outcome = run(json!({"defaultDenyIngress": true}), vec![policy("deny", json!({"podSelector": {}}))]);
    assert_state(&outcome, ItemState::Passed, "networkpolicy/deny denies all ingress by default");
}

#[test]
fn default_deny_ingress_passes_with_an_explicit_empty_ingress_list() {
    let deny = policy("deny", json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": []}));
    assert_eq!(run(json!({"defaultDenyIngress": true}), vec![deny]).state, ItemState::Passed);
}

#[test]
fn default_deny_fails_when_the_catch_all_policy_allows_some_ingress() {
    let allow = policy("allow-all", json!({"podSelector": {}, "ingress": [{}]}));
    let outcome = run(json!({"defaultDenyIngress": true}), vec![allow]);
    assert_state(&outcome, ItemState::Failed, "networkpolicy/allow-all selects all pods but allows some ingress");
}

#[test]
fn default_deny_fails_when_the_deny_policy_selects_only_some_pods() {
    let deny_web = policy("deny-web", json!({"podSelector": {"matchLabels": {"app": "web"}}, "ingress": []}));
    let outcome = run(json!({"defaultDenyIngress": true}), vec![deny_web]);
    assert_state(&outcome, ItemState::Failed, "no default-deny ingress policy in namespace shop");
}

#[test]
fn default_deny_egress_fails_when_policy_types_omit_egress() {
    // Without policyTypes, `egress: []` leaves the policy governing Ingress only.
    let slip = policy("deny-egress", json!({"podSelector": {}, "egress": []}));
    let outcome = run(json!({"defaultDenyEgress": true}), vec![slip]);
    assert_state(&outcome, ItemState::Failed, "networkpolicy/deny-egress selects all pods but does not list Egress");
}

#[test]
fn default_deny_egress_passes_with_policy_types_egress_and_no_rules() {
    let deny = policy("deny-egress", json!({"podSelector": {}, "policyTypes": ["Egress"]}));
    let outcome = run(json!({"defaultDenyIngress": true, "defaultDenyEgress": true}), vec![deny]);
    // It governs Egress only, so ingress stays open.
    assert_state(&outcome, ItemState::Failed, "no default-deny ingress policy");
    assert!(!outcome.message.contains("egress policy"), "{}", outcome.message);
}

#[test]
fn default_deny_ignores_policies_of_other_namespaces() {
    let mut elsewhere = policy("deny", json!({"podSelector": {}}));
    elsewhere.namespace = Some("other".to_owned());
    let outcome = run(json!({"defaultDenyIngress": true}), vec![elsewhere]);
    assert_state(&outcome, ItemState::Failed, "no NetworkPolicy in namespace shop");
}

// --- coverWorkloads

#[test]
fn coverage_fails_when_the_selector_matches_no_workload() {
    let outcome = run(json!({"coverWorkloads": {"matchLabels": {"tier": "frontend"}}}), vec![postgres()]);
    assert_state(&outcome, ItemState::Failed, "no Deployment, StatefulSet or DaemonSet matches tier=frontend");
}

#[test]
fn coverage_counts_a_policy_of_any_direction() {
    let egress_only = policy(
        "pg-egress",
        json!({"podSelector": {"matchLabels": {"app": "postgres"}}, "policyTypes": ["Egress"], "egress": [{}]}),
    );
    let outcome = run(json!({"coverWorkloads": {}}), vec![postgres(), egress_only]);
    assert_state(&outcome, ItemState::Passed, "statefulset/postgres is selected by a NetworkPolicy");
}

#[test]
fn coverage_names_the_workloads_it_found_covered() {
    let objects = vec![workload("Deployment", "api", json!([])), postgres(), policy("all", json!({"podSelector": {}}))];
    let outcome = run(json!({"coverWorkloads": {}}), objects);
    assert_state(
        &outcome,
        ItemState::Passed,
        "all 2 selected workloads are selected by a NetworkPolicy: deployment/api, statefulset/postgres",
    );
}

#[test]
fn coverage_lists_uncovered_workloads_of_every_kind() {
    let objects = vec![
        workload("Deployment", "api", json!([])),
        workload("DaemonSet", "agent", json!([])),
        postgres(),
        policy("api", json!({"podSelector": {"matchLabels": {"app": "api"}}})),
    ];
    let outcome = run(json!({"coverWorkloads": {"matchLabels": {"tier": "backend"}}}), objects);
    assert_state(
        &outcome,
        ItemState::Failed,
        "not selected by any NetworkPolicy: statefulset/postgres, daemonset/agent",
    );
    assert!(!outcome.message.contains("deployment/api"));
}

#[test]
fn coverage_without_policies_explains_that_all_traffic_is_allowed() {
    let outcome = run(json!({"coverWorkloads": {}}), vec![workload("Deployment", "api", json!([]))]);
    assert_state(
        &outcome,
        ItemState::Failed,
        "so every pod accepts all traffic (Kubernetes default); not covered: deployment/api",
    );
}

#[test]
fn coverage_selects_workloads_by_their_own_labels_and_policies_by_template_labels() {
    // The workload's own labels carry owner=api; its pods carry app=api.
    let objects = vec![
        workload("Deployment", "api", json!([])),
        policy("by-owner", json!({"podSelector": {"matchLabels": {"owner": "api"}}})),
    ];
    let outcome = run(json!({"coverWorkloads": {"matchLabels": {"owner": "api"}}}), objects);
    assert_state(&outcome, ItemState::Failed, "not selected by any NetworkPolicy: deployment/api");
}

#[test]
fn coverage_with_an_invalid_selector_is_an_error() {
    let spec = json!({"coverWorkloads": {"matchExpressions": [{"key": "app", "operator": "Equals", "values": ["x"]}]}});
    assert_state(
        &run(spec, vec![postgres()]),
        ItemState::Error,
        "coverWorkloads.matchExpressions[0].operator: unknown selector operator",
    );
}

#[test]
fn coverage_lists_at_most_a_few_workloads_by_name() {
    let objects: Vec<Object> = (0..12).map(|i| workload("Deployment", &format!("w{i:02}"), json!([]))).collect();
    let outcome = run(json!({"coverWorkloads": {}}), objects);
    assert_state(&outcome, ItemState::Failed, "deployment/w07 and 4 more");
}

// --- restrictedPorts

#[test]
fn restricted_port_fails_when_a_rule_admits_it_from_an_ip_block() {
    let open = policy(
        "allow-all-ingress",
        json!({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}),
    );
    let outcome = run(restrict_5432(), vec![postgres(), open]);
    assert_state(
        &outcome,
        ItemState::Failed,
        "statefulset/postgres port 5432: networkpolicy/allow-all-ingress admits it from 0.0.0.0/0",
    );
}

#[test]
fn restricted_port_fails_when_a_rule_without_from_lists_the_port() {
    let open = policy(
        "pg",
        json!({"podSelector": {"matchLabels": {"app": "postgres"}}, "ingress": [{"ports": [{"port": 5432}]}]}),
    );
    let outcome = run(restrict_5432(), vec![postgres(), open]);
    assert_state(&outcome, ItemState::Failed, "networkpolicy/pg admits it from all sources (the rule has no from)");
}

#[test]
fn restricted_port_fails_on_the_empty_rule_which_allows_everything() {
    let open = policy("web-allow-all", json!({"podSelector": {}, "ingress": [{}]}));
    assert_state(&run(restrict_5432(), vec![postgres(), open]), ItemState::Failed, "admits it from all sources");
}

#[test]
fn restricted_port_holds_when_only_pods_and_namespaces_may_reach_it() {
    let inside = policy(
        "pg",
        json!({"podSelector": {"matchLabels": {"app": "postgres"}}, "ingress": [
            {"from": [{"podSelector": {"matchLabels": {"app": "api"}}}], "ports": [{"port": 5432}]},
            {"from": [{"namespaceSelector": {"matchLabels": {"team": "ops"}}, "podSelector": {}}]}
        ]}),
    );
    let outcome = run(restrict_5432(), vec![postgres(), inside]);
    assert_state(&outcome, ItemState::Passed, "port 5432 of statefulset/postgres admits only in-cluster sources");
}

#[test]
fn restricted_port_ignores_external_rules_for_other_ports() {
    let https = policy(
        "pg",
        json!({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}]}),
    );
    assert_eq!(run(restrict_5432(), vec![postgres(), https]).state, ItemState::Passed);
}

#[test]
fn restricted_port_follows_end_port_ranges() {
    let range = |end: i64| {
        policy(
            "range",
            json!({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "203.0.113.0/24", "except": ["203.0.113.7/32"]}}],
                                             "ports": [{"port": 5000, "endPort": end}]}]}),
        )
    };
    assert_state(
        &run(restrict_5432(), vec![postgres(), range(6000)]),
        ItemState::Failed,
        "admits it from 203.0.113.0/24 (except 203.0.113.7/32)",
    );
    assert_eq!(run(restrict_5432(), vec![postgres(), range(5400)]).state, ItemState::Passed);
}

#[test]
fn restricted_port_resolves_named_ports_against_the_workload_containers() {
    let by_name = |name: &str| {
        policy(
            "named",
            json!({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": name}]}]}),
        )
    };
    assert_state(&run(restrict_5432(), vec![postgres(), by_name("pg")]), ItemState::Failed, "networkpolicy/named");
    assert_eq!(run(restrict_5432(), vec![postgres(), by_name("metrics")]).state, ItemState::Passed);
}

#[test]
fn restricted_port_matches_the_protocol_the_container_serves() {
    let udp = policy(
        "udp",
        json!({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                                         "ports": [{"port": 5432, "protocol": "UDP"}]}]}),
    );
    assert_eq!(run(restrict_5432(), vec![postgres(), udp.clone()]).state, ItemState::Passed);
    let udp_listener = workload("StatefulSet", "postgres", json!([{"containerPort": 5432, "protocol": "UDP"}]));
    assert_eq!(run(restrict_5432(), vec![udp_listener, udp]).state, ItemState::Failed);
}

#[test]
fn restricted_port_fails_when_only_egress_policies_select_the_workload() {
    let egress = policy("pg-egress", json!({"podSelector": {}, "policyTypes": ["Egress"]}));
    let outcome = run(restrict_5432(), vec![postgres(), egress]);
    assert_state(
        &outcome,
        ItemState::Failed,
        "statefulset/postgres port 5432: no NetworkPolicy selects it for Ingress",
    );
}

#[test]
fn restricted_port_without_policies_explains_the_kubernetes_default() {
    let outcome = run(restrict_5432(), vec![postgres()]);
    assert_state(
        &outcome,
        ItemState::Failed,
        "no NetworkPolicy in namespace shop, so all sources may reach it (Kubernetes default)",
    );
}

#[test]
fn restricted_port_holds_vacuously_when_no_workload_listens_on_it() {
    let outcome = run(restrict_5432(), vec![workload("Deployment", "api", json!([{"containerPort": 8080}]))]);
    assert_state(&outcome, ItemState::Passed, "no workload listens on port 5432 (holds vacuously)");
}

#[test]
fn restricted_port_fails_for_host_network_pods() {
    let host = workload_with(
        "DaemonSet",
        "exporter",
        json!({"hostNetwork": true, "containers": [{"name": "e", "ports": [{"containerPort": 5432}]}]}),
    );
    let deny = policy("deny", json!({"podSelector": {}}));
    assert_state(
        &run(restrict_5432(), vec![host, deny]),
        ItemState::Failed,
        "daemonset/exporter port 5432: the pods use hostNetwork",
    );
}

#[test]
fn restricted_port_only_judges_policies_that_select_the_workload() {
    let objects = vec![
        postgres(),
        policy("web-open", json!({"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{}]})),
        policy("deny", json!({"podSelector": {}, "ingress": []})),
    ];
    assert_eq!(run(restrict_5432(), objects).state, ItemState::Passed);
}

#[test]
fn restricted_port_counts_native_sidecars_but_not_init_containers() {
    let pod = |restart: Value| {
        json!({"initContainers": [{"name": "proxy", "restartPolicy": restart, "ports": [{"containerPort": 5432}]}],
               "containers": [{"name": "app"}]})
    };
    let sidecar = workload_with("Deployment", "pgbouncer", pod(json!("Always")));
    assert_state(&run(restrict_5432(), vec![sidecar]), ItemState::Failed, "deployment/pgbouncer port 5432");
    let init = workload_with("Deployment", "pgbouncer", pod(Value::Null));
    assert_state(&run(restrict_5432(), vec![init]), ItemState::Passed, "holds vacuously");
}

#[test]
fn every_failing_rule_is_reported_together() {
    let outcome = run(
        json!({"defaultDenyIngress": true, "restrictedPorts": [{"port": 5432}, {"port": 9187}]}),
        vec![
            workload("StatefulSet", "postgres", json!([{"containerPort": 5432}, {"containerPort": 9187}])),
            policy("open", json!({"podSelector": {}, "ingress": [{"ports": [{"port": 9187}]}]})),
        ],
    );
    assert_eq!(outcome.state, ItemState::Failed);
    assert!(
        outcome.message.contains("networkpolicy/open selects all pods but allows some ingress"),
        "{}",
        outcome.message
    );
    assert!(
        outcome.message.contains("statefulset/postgres port 9187: networkpolicy/open admits it"),
        "{}",
        outcome.message
    );
    assert!(!outcome.message.contains("port 5432:"), "{}", outcome.message);
}

// --- spec and inventory problems

#[test]
fn an_empty_spec_is_an_error() {
    assert_state(&run(json!({}), vec![]), ItemState::Error, "nothing to check");
}

#[test]
fn a_port_out_of_range_is_an_error() {
    assert_state(
        &run(json!({"restrictedPorts": [{"port": 0}]}), vec![]),
        ItemState::Error,
        "port 0 is not in 1..65535",
    );
}

#[test]
fn a_policy_with_an_invalid_pod_selector_fails_naming_it() {
    let bad = policy(
        "bad",
        json!({"podSelector": {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}}),
    );
    assert_state(
        &run(json!({"defaultDenyIngress": true}), vec![bad]),
        ItemState::Failed,
        "networkpolicy/bad: podSelector",
    );
}

#[test]
fn an_unreadable_workload_kind_is_an_error_for_workload_rules_only() {
    let mut facts = Facts::live();
    facts.unavailable_kinds.insert(kinds::STATEFUL_SET.to_owned(), "forbidden".to_owned());
    let deny = || policy("deny", json!({"podSelector": {}}));
    assert_state(
        &run_with(restrict_5432(), vec![deny()], facts.clone()),
        ItemState::Error,
        "cannot read StatefulSet.apps: forbidden",
    );
    assert_eq!(run_with(json!({"defaultDenyIngress": true}), vec![deny()], facts.clone()).state, ItemState::Passed);
}

#[test]
fn a_policy_whose_pod_selector_is_not_a_selector_fails_naming_the_field() {
    // Read by the view: the path names the field within the object (`spec.podSelector`, and
    // deeper where the wrong type is), where the JSON-pointer read said `podSelector`.
    for selector in [json!("app=api"), json!({"matchLabels": {"app": 5}})] {
        let bad = policy("bad", json!({"podSelector": selector}));
        let outcome = run(json!({"defaultDenyIngress": true}), vec![bad, policy("deny", json!({"podSelector": {}}))]);
        assert_state(&outcome, ItemState::Failed, "networkpolicy/bad: spec.podSelector");
        assert!(outcome.message.ends_with("(the API server would reject this policy)"), "{}", outcome.message);
    }
}

#[test]
fn a_rule_that_is_not_a_mapping_allows_everything_as_before() {
    // `ingress: ["x"]` names no peers and no ports: it reads as the rule `{}`, which admits
    // every source on every port, so a restricted port it reaches is not in-cluster only.
    let odd = policy("odd", json!({"podSelector": {}, "ingress": ["x"]}));
    let outcome = run(restrict_5432(), vec![postgres(), odd]);
    assert_state(&outcome, ItemState::Failed, "networkpolicy/odd admits it from all sources (the rule has no from)");
}

/// Policies the API server would refuse to store, each read (before the fix) as a policy
/// without rules: a default deny, and a policy selecting every pod.
fn wrong_shapes() -> [(Value, &'static str); 6] {
    [
        (json!("x"), "spec"),
        (json!({"podSelector": {}, "ingress": "x"}), "spec.ingress"),
        (json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": {"from": []}}), "spec.ingress"),
        (json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": "x"}), "spec.egress"),
        (json!({"podSelector": {}, "policyTypes": "Ingress"}), "spec.policyTypes"),
        (json!({"podSelector": {}, "policyTypes": [7]}), "spec.policyTypes[0]"),
    ]
}

#[test]
fn a_policy_of_the_wrong_shape_is_never_a_default_deny() {
    let deny_both = json!({"defaultDenyIngress": true, "defaultDenyEgress": true});
    for (spec, field) in wrong_shapes() {
        let outcome = run(deny_both.clone(), vec![policy("bad", spec.clone())]);
        assert_state(&outcome, ItemState::Failed, &format!("networkpolicy/bad: {field}: invalid type"));
        assert!(outcome.message.ends_with("(the API server would reject this policy)"), "{spec}: {}", outcome.message);
        assert!(!outcome.message.contains("denies all"), "{spec}: {}", outcome.message);
    }
}

#[test]
fn a_policy_of_the_wrong_shape_fails_the_item_even_beside_a_valid_default_deny() {
    // As with a wrong-shaped podSelector: the broken object is reported, not outvoted.
    for (spec, field) in wrong_shapes() {
        let objects = vec![policy("deny", json!({"podSelector": {}})), policy("bad", spec)];
        let outcome = run(json!({"defaultDenyIngress": true}), objects);
        assert_state(&outcome, ItemState::Failed, &format!("networkpolicy/bad: {field}"));
    }
}

#[test]
fn a_policy_of_the_wrong_shape_is_never_coverage() {
    for (spec, field) in wrong_shapes() {
        let outcome = run(json!({"coverWorkloads": {}}), vec![postgres(), policy("bad", spec)]);
        assert_state(&outcome, ItemState::Failed, &format!("networkpolicy/bad: {field}"));
        assert!(!outcome.message.contains("is selected by a NetworkPolicy"), "{}", outcome.message);
    }
}

#[test]
fn a_policy_of_the_wrong_shape_never_restricts_a_port() {
    for (spec, field) in wrong_shapes() {
        let outcome = run(restrict_5432(), vec![postgres(), policy("bad", spec)]);
        assert_state(&outcome, ItemState::Failed, &format!("networkpolicy/bad: {field}"));
    }
}

#[test]
fn absent_null_and_empty_rule_lists_stay_a_default_deny() {
    for spec in [
        json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": []}),
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": null}),
        json!({"podSelector": {}, "policyTypes": null, "ingress": null}),
    ] {
        let outcome = run(json!({"defaultDenyIngress": true}), vec![policy("deny", spec.clone())]);
        assert_state(&outcome, ItemState::Passed, "networkpolicy/deny denies all ingress by default");
    }
    let egress = policy("deny", json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": null}));
    assert_eq!(run(json!({"defaultDenyEgress": true}), vec![egress]).state, ItemState::Passed);
}
