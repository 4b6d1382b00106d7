//! `workload` against real manifests (Online Boutique, kube-prometheus) read from
//! `../shared/corpus`; each test says so and stops when the corpus is absent.

use serde_json::{Value, json};

use super::fixtures::check;
use crate::api::ItemState;
use crate::checks::Outcome;
use crate::checks::fixtures::{World, assert_contains, assert_starts_with};

/// The objects of one corpus path, in that namespace.
fn corpus(path: &str, namespace: &str) -> Option<World> {
    crate::checks::corpus::objects(path, namespace).map(|objects| World::new(objects).namespace(namespace))
}

fn run(world: &World, spec: Value) -> Outcome {
    super::evaluate(&check(spec), &world.scope())
}

fn boutique() -> Option<World> {
    corpus("microservices-demo/release/kubernetes-manifests.yaml", "boutique")
}

#[test]
fn boutique_runs_as_non_root_without_literal_secrets_or_latest_tags() {
    let Some(world) = boutique() else { return };
    let spec = json!({"target": {"kind": "Deployment"}, "runAsNonRoot": true, "forbidLiteralSecretEnv": true,
                      "image": {"forbidLatest": true}});
    let outcome = run(&world, spec);
    assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
    assert_starts_with(&outcome.message, "12 workloads meet image");
}

#[test]
fn boutique_release_tag_check_names_the_two_off_release_images() {
    let Some(world) = boutique() else { return };
    let outcome = run(&world, json!({"target": {}, "image": {"tag": "v0.10.6"}}));
    assert_eq!(outcome.state, ItemState::Failed);
    assert_contains(&outcome.message, "deployment/loadgenerator: init container frontend-check image");
    assert_contains(&outcome.message, "deployment/redis-cart: container redis image \"redis:alpine\" has tag alpine");
    assert!(!outcome.message.contains("deployment/frontend"), "{}", outcome.message);
}

#[test]
fn boutique_default_rollouts_are_not_zero_downtime() {
    let Some(world) = boutique() else { return };
    let outcome = run(&world, json!({"target": {"name": "frontend"}, "zeroDowntimeRollout": true}));
    assert_eq!(outcome.state, ItemState::Failed);
    assert_starts_with(&outcome.message, "deployment/frontend: maxUnavailable 25% (the default)");
}

#[test]
fn boutique_loadgenerator_lacks_probes_and_its_init_container_lacks_resources() {
    let Some(world) = boutique() else { return };
    let spec = json!({"target": {"name": "loadgenerator"}, "probes": ["Readiness"],
                      "resources": {"requests": ["cpu"], "limits": ["memory"]}});
    let outcome = run(&world, spec);
    assert_eq!(
        outcome.message,
        "deployment/loadgenerator: container main lacks readinessProbe; \
         deployment/loadgenerator: init container frontend-check lacks requests.cpu, limits.memory"
    );
}

#[test]
fn kube_prometheus_node_exporter_cannot_roll_without_downtime() {
    let Some(world) = corpus("kube-prometheus", "monitoring") else { return };
    let spec = json!({"target": {"kind": "DaemonSet", "name": "node-exporter"}, "zeroDowntimeRollout": true,
                      "runAsNonRoot": true});
    let outcome = run(&world, spec);
    assert_eq!(outcome.state, ItemState::Failed);
    assert_eq!(
        outcome.message,
        "daemonset/node-exporter: maxUnavailable 10% stops a node's pod before its replacement runs; \
         set maxUnavailable 0 and maxSurge 1"
    );
}

#[test]
fn kube_prometheus_adapter_is_guarded_by_its_pdb() {
    let Some(world) = corpus("kube-prometheus", "monitoring") else { return };
    let target = json!({"kind": "Deployment", "name": "prometheus-adapter"});
    let outcome = run(&world, json!({"target": target, "podDisruptionBudget": {"minAvailable": 1}}));
    assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
    let outcome = run(&world, json!({"target": target, "podDisruptionBudget": {"minAvailable": 2}}));
    assert_eq!(outcome.message, "deployment/prometheus-adapter: pdb/prometheus-adapter minAvailable 1, expected >= 2");
    let outcome = run(&world, json!({"target": {"name": "grafana"}, "podDisruptionBudget": {}}));
    assert_eq!(outcome.message, "deployment/grafana: no PodDisruptionBudget selects its pods");
}
