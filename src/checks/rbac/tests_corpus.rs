//! `rbac` against kube-prometheus' real RBAC manifests, read from `../shared/corpus` (the tests
//! say so and stop when it is absent).

use serde_json::{Value, json};

use super::fixtures::access;
use super::*;
use crate::api::ItemState;
use crate::checks::corpus;
use crate::checks::fixtures::World;
use crate::inventory::Object;

/// The RBAC objects of kube-prometheus (every file naming a role or binding), or `None` with a
/// notice. They all name their namespace.
fn kube_prometheus_rbac() -> Option<Vec<Object>> {
    corpus::objects_of_files("kube-prometheus", "monitoring", |file| file.to_ascii_lowercase().contains("role"))
}

fn run(namespace: &str, spec: Value, objects: Vec<Object>) -> Outcome {
    evaluate(&serde_json::from_value(spec).expect("valid spec"), &World::new(objects).namespace(namespace).scope())
}

fn sa(name: &str) -> Value {
    json!({"kind": "ServiceAccount", "name": name, "namespace": "monitoring"})
}

#[test]
fn kube_prometheus_roles_exist_and_hold_no_cluster_admin_grant() {
    let Some(objects) = kube_prometheus_rbac() else { return };
    let spec = json!({
        "roles": [{"kind": "Role", "name": "prometheus-k8s"}, {"kind": "Role", "name": "prometheus-k8s-config"},
                  {"kind": "ClusterRole", "name": "prometheus-k8s"}, {"kind": "ClusterRole", "name": "system:aggregated-metrics-reader"}],
        "forbidClusterAdminBindings": true
    });
    let outcome = run("monitoring", spec, objects);
    assert_eq!(outcome.state, ItemState::Passed, "{}", outcome.message);
    assert!(outcome.message.contains("no binding grants cluster-admin"), "{}", outcome.message);
}

#[test]
fn prometheus_reads_what_its_roles_grant_and_nothing_more() {
    let Some(objects) = kube_prometheus_rbac() else { return };
    let spec = json!({"access": [
        access(sa("prometheus-k8s"), "list", "pods", "", true),
        access(sa("prometheus-k8s"), "watch", "endpointslices", "discovery.k8s.io", true),
        access(sa("prometheus-k8s"), "get", "configmaps", "", true),
        access(sa("prometheus-k8s"), "get", "nodes/metrics", "", true),
        access(sa("prometheus-k8s"), "get", "secrets", "", false),
        access(sa("prometheus-k8s"), "delete", "pods", "", false),
        access(sa("prometheus-operator"), "create", "secrets", "", true),
        access(sa("prometheus-operator"), "delete", "statefulsets", "apps", true),
        access(json!({"kind": "User", "name": "system:serviceaccount:monitoring:grafana"}), "list", "pods", "", false),
    ]});
    let outcome = run("monitoring", spec.clone(), objects.clone());
    assert_eq!(outcome, Outcome::passed("all 9 access assertions hold"));
    let why = json!({"access": [access(sa("prometheus-k8s"), "get", "nodes/metrics", "", true),
                                access(sa("prometheus-k8s"), "list", "pods", "", true)]});
    assert_eq!(
        run("monitoring", why, objects).message,
        "ServiceAccount monitoring/prometheus-k8s can get nodes/metrics (via clusterrolebinding/prometheus-k8s -> \
         clusterrole/prometheus-k8s); ServiceAccount monitoring/prometheus-k8s can list pods (via \
         rolebinding/prometheus-k8s -> role/prometheus-k8s)"
    );
}

#[test]
fn prometheus_may_discover_in_default_through_the_role_binding_there() {
    let Some(objects) = kube_prometheus_rbac() else { return };
    let spec = json!({"access": [access(sa("prometheus-k8s"), "list", "services", "", true),
                                 access(sa("prometheus-k8s"), "get", "configmaps", "", false)]});
    assert_eq!(run("default", spec, objects).state, ItemState::Passed);
}

#[test]
fn bindings_to_roles_kubernetes_ships_are_reported_as_not_judged() {
    let Some(objects) = kube_prometheus_rbac() else { return };
    let spec = json!({"access": [access(sa("prometheus-adapter"), "get", "configmaps", "", true)]});
    let outcome = run("kube-system", spec, objects);
    assert_eq!(outcome.state, ItemState::Failed);
    assert!(
        outcome
            .message
            .contains("rolebinding/resource-metrics-auth-reader -> role/extension-apiserver-authentication-reader"),
        "{}",
        outcome.message
    );
    assert!(outcome.message.contains("clusterrole/system:auth-delegator"), "{}", outcome.message);
}
