//! `networkPolicy` against real manifests: the network-policy-recipes collection and
//! kube-prometheus, read from `../shared/corpus` (the tests say so and stop when it is absent).

use serde_json::{Value, json};

use super::*;
use crate::api::ItemState;
use crate::checks::corpus;
use crate::checks::fixtures::World;
use crate::inventory::Object;

fn run(namespace: &str, spec: Value, objects: Vec<Object>) -> Outcome {
    evaluate(&serde_json::from_value(spec).expect("valid spec"), &World::new(objects).namespace(namespace).scope())
}

/// A Deployment in `default` whose pods carry `labels` and listen on `port` (TCP).
fn deployment(name: &str, labels: Value, port: i64) -> Object {
    Object::from_value(
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
               "spec": {"template": {"metadata": {"labels": labels},
                                     "spec": {"containers": [{"name": name, "ports": [{"containerPort": port}]}]}}}}),
        None,
    )
    .expect("valid deployment")
}

fn recipe(file: &str, extra: Vec<Object>) -> Option<Vec<Object>> {
    let mut objects = corpus::objects(&format!("network-policy-recipes/{file}"), "default")?;
    objects.extend(extra);
    Some(objects)
}

#[test]
fn recipe_default_deny_all_denies_ingress_but_not_egress() {
    let Some(objects) = recipe("03-deny-all-non-whitelisted-traffic-in-the-namespace__block1.yaml", vec![]) else {
        return;
    };
    let outcome = run("default", json!({"defaultDenyIngress": true}), objects.clone());
    assert_eq!(outcome.message, "networkpolicy/default-deny-all denies all ingress by default");
    let outcome = run("default", json!({"defaultDenyEgress": true}), objects);
    assert_eq!(outcome.state, ItemState::Failed, "{}", outcome.message);
    assert!(outcome.message.contains("does not list Egress in policyTypes"), "{}", outcome.message);
}

#[test]
fn recipe_default_deny_all_egress_denies_egress() {
    let Some(objects) = recipe("12-deny-all-non-whitelisted-traffic-from-the-namespace__block1.yaml", vec![]) else {
        return;
    };
    assert_eq!(run("default", json!({"defaultDenyEgress": true}), objects).state, ItemState::Passed);
}

#[test]
fn recipe_allow_all_to_web_opens_its_port_to_everyone() {
    let web = deployment("web", json!({"app": "web"}), 80);
    let Some(objects) = recipe("02a-allow-all-traffic-to-an-application__block1.yaml", vec![web]) else { return };
    let outcome = run("default", json!({"restrictedPorts": [{"port": 80}]}), objects);
    assert_eq!(outcome.state, ItemState::Failed);
    assert_eq!(
        outcome.message,
        "deployment/web port 80: networkpolicy/web-allow-all admits it from all sources (the rule has no from)"
    );
}

#[test]
fn recipe_port_limited_to_monitoring_pods_stays_in_cluster() {
    let api = deployment("apiserver", json!({"app": "apiserver"}), 5000);
    let Some(objects) = recipe("09-allow-traffic-only-to-a-port__block1.yaml", vec![api]) else { return };
    let outcome = run("default", json!({"restrictedPorts": [{"port": 5000}], "coverWorkloads": {}}), objects);
    assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
}

#[test]
fn recipe_traffic_from_all_namespaces_is_still_in_cluster() {
    let web = deployment("web", json!({"app": "web"}), 80);
    let Some(objects) = recipe("05-allow-traffic-from-all-namespaces__block1.yaml", vec![web]) else { return };
    assert_eq!(run("default", json!({"restrictedPorts": [{"port": 80}]}), objects).state, ItemState::Passed);
}

#[test]
fn recipe_with_null_match_labels_covers_every_workload() {
    let workloads = vec![deployment("web", json!({"app": "web"}), 80), deployment("db", json!({"app": "db"}), 5432)];
    let Some(objects) = recipe("04-deny-traffic-from-other-namespaces__block1.yaml", workloads) else { return };
    let outcome = run("default", json!({"coverWorkloads": {}, "defaultDenyIngress": true}), objects);
    assert_eq!(outcome.state, ItemState::Failed);
    // It selects every pod but allows traffic from the namespace, so it is coverage, not deny.
    assert_eq!(
        outcome.message,
        "no default-deny ingress policy in namespace default (podSelector {}, policyTypes including Ingress, no \
         ingress rules): networkpolicy/deny-from-other-namespaces selects all pods but allows some ingress"
    );
}

#[test]
fn recipe_deny_all_to_web_covers_web_only() {
    let workloads = vec![deployment("web", json!({"app": "web"}), 80), deployment("db", json!({"app": "db"}), 5432)];
    let Some(objects) = recipe("01-deny-all-traffic-to-an-application__block1.yaml", workloads) else { return };
    let outcome = run("default", json!({"coverWorkloads": {}, "restrictedPorts": [{"port": 80}]}), objects);
    assert_eq!(outcome.message, "not selected by any NetworkPolicy: deployment/db");
}

#[test]
fn kube_prometheus_covers_its_workloads_but_node_exporter_uses_host_network() {
    let Some(objects) = corpus::objects("kube-prometheus", "monitoring") else { return };
    let outcome =
        run("monitoring", json!({"coverWorkloads": {}, "restrictedPorts": [{"port": 3000}]}), objects.clone());
    assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
    assert!(
        outcome.message.contains("port 3000 of deployment/grafana admits only in-cluster sources"),
        "{}",
        outcome.message
    );
    let outcome = run("monitoring", json!({"restrictedPorts": [{"port": 9100}]}), objects);
    assert_eq!(outcome.state, ItemState::Failed);
    assert!(
        outcome.message.starts_with("daemonset/node-exporter port 9100: the pods use hostNetwork"),
        "{}",
        outcome.message
    );
}
