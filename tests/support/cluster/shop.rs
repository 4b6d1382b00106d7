//! The gated `shop` used by the real-cluster tests: a namespace (per test, opted in to the
//! workloads webhook), an HPA `web`, and
//! checklist `shop-gate` gating `app.kubernetes.io/part-of: shop` (Enforce, overrides by
//! sre-oncall) on a Critical `autoscaling` item (HPA min at least 3) and a High manual
//! `approval` (group cto).

use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

use super::{ControlPlane, install};

pub const CHECKLIST: &str = "shop-gate";
pub const OVERRIDE_GROUP: &str = "sre-oncall";

/// Creates `namespace`, opted in to the workloads webhook, with the test users' Role, HPA `web`
/// at `hpa_min`, and the checklist.
pub fn seed(plane: &ControlPlane, namespace: &str, hpa_min: i64) {
    install::namespace(plane, namespace);
    install::set_opted_in(plane, namespace, true);
    install::grant_people(plane, namespace);
    set_hpa_min(plane, namespace, hpa_min);
    let checklist = json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": CHECKLIST, "namespace": namespace},
        "spec": {
            "release": "v2",
            "reevaluateEvery": "2s",
            "gate": {"selector": {"matchLabels": {"app.kubernetes.io/part-of": "shop"}},
                     "enforcement": "Enforce", "maxStaleness": "2m", "overrideGroups": [OVERRIDE_GROUP]},
            "items": [
                {"name": "autoscaling", "severity": "Critical", "check": {"horizontalPodAutoscaler": {
                    "target": {"kind": "Deployment", "name": "web"}, "minReplicas": {"atLeast": 3}}}},
                {"name": "approval", "severity": "High", "check": {"manual": {"approvers": {"groups": ["cto"]}}}}
            ]
        }
    });
    install::apply_ok(plane, "admin", "readygate-tests", &checklist.to_string());
}

/// HPA `web` (for Deployment `web`) with `minReplicas: min`, applied as admin.
pub fn set_hpa_min(plane: &ControlPlane, namespace: &str, min: i64) {
    let hpa = json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "minReplicas": min, "maxReplicas": 10}
    });
    install::apply_ok(plane, "admin", "readygate-tests", &hpa.to_string());
}

pub fn checklists(client: kube::Client, namespace: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("readygate.io", "v1alpha1", "ReadinessChecklist");
    Api::namespaced_with(client, namespace, &ApiResource::from_gvk(&gvk))
}

/// The stored checklist `shop-gate` (metadata, spec and status) as JSON.
pub async fn stored(client: &kube::Client, namespace: &str) -> Value {
    let object = checklists(client.clone(), namespace).get(CHECKLIST).await.expect("reading the checklist");
    serde_json::to_value(object).expect("JSON")
}

/// `status.decision` of the stored checklist, once there is one.
pub async fn decision(client: &kube::Client, namespace: &str) -> Option<String> {
    stored(client, namespace).await["status"]["decision"].as_str().map(str::to_owned)
}

/// Deployment `name` in `namespace`, labelled part-of shop, with image tag `tag` and, when
/// given, the override annotation: the YAML a user applies.
pub fn deployment(namespace: &str, name: &str, tag: &str, override_reason: Option<&str>) -> String {
    let mut metadata = json!({"name": name, "namespace": namespace,
                              "labels": {"app": name, "app.kubernetes.io/part-of": "shop"}});
    if let Some(reason) = override_reason {
        metadata["annotations"] = json!({"readygate.io/override": reason});
    }
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata,
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name, "app.kubernetes.io/part-of": "shop"}},
                              "spec": {"containers": [{"name": "web", "image": format!("registry.example/{name}:{tag}")}]}}}
    })
    .to_string()
}
