use serde_json::json;

use super::*;
use crate::inventory::kinds;

fn checklist(namespace: Option<&str>, check: serde_json::Value) -> ReadinessChecklist {
    let mut metadata = json!({"name": "release"});
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist", "metadata": metadata,
        "spec": {"items": [{"name": "a", "check": check}]}
    }))
    .expect("valid checklist")
}

fn object(kind: &str, api_version: &str, namespace: Option<&str>) -> Object {
    let mut value = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}});
    if let Some(ns) = namespace {
        value["metadata"]["namespace"] = json!(ns);
    }
    Object::from_value(value, None).expect("valid object")
}

#[test]
fn wants_the_kinds_read_in_the_checklists_namespaces_and_cluster_wide() {
    let interest = Interest::of(&[
        checklist(Some("shop"), json!({"horizontalPodAutoscaler": {"target": {"kind": "Deployment", "name": "api"}}})),
        checklist(None, json!({"rbac": {}})),
    ]);
    assert!(interest.wants(&object("HorizontalPodAutoscaler", "autoscaling/v2", Some("shop"))));
    assert!(interest.wants(&object("Deployment", "apps/v1", Some("shop"))), "the scale target's kind");
    assert!(!interest.wants(&object("HorizontalPodAutoscaler", "autoscaling/v2", Some("other"))));
    assert!(!interest.wants(&object("ConfigMap", "v1", Some("shop"))));
    assert!(interest.wants(&object("Role", "rbac.authorization.k8s.io/v1", Some("default"))));
    assert!(interest.wants(&object("ClusterRole", "rbac.authorization.k8s.io/v1", None)));
    assert!(!interest.wants(&object("Namespace", "v1", None)));
    assert!(interest.wants_key(kinds::CLUSTER_ROLE_BINDING, None));
}

#[test]
fn sign_offs_are_wanted_only_when_an_item_is_manual_or_waivable() {
    let manual = Interest::of(&[checklist(Some("shop"), json!({"manual": {"approvers": {"users": ["alice"]}}}))]);
    assert!(manual.wants_key(kinds::SIGNOFF, Some("shop")));
    let version = Interest::of(&[checklist(Some("shop"), json!({"kubernetesVersion": {"atLeast": "1.28"}}))]);
    assert!(!version.wants_key(kinds::SIGNOFF, Some("shop")));
    assert_eq!(
        version,
        Interest { keys: BTreeSet::new(), whole: BTreeSet::new(), namespaces: ["shop".to_owned()].into() }
    );
}

fn load(interest: &Interest, documents: &[serde_json::Value], default_namespace: &str) -> Inventory {
    let mut collector = Collector::new(interest);
    for document in documents {
        collector.add(Object::from_value(document.clone(), Some(default_namespace)).expect("valid object"));
    }
    collector.finish()
}

fn deployment() -> serde_json::Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "managedFields": [{"manager": "kubectl"}],
                     "annotations": {whole::LAST_APPLIED: "{}"}},
        "spec": {"template": {"spec": {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}}}})
}

#[test]
fn resource_items_get_whole_objects_beside_what_the_catalogue_reads() {
    let interest = Interest::of(&[
        checklist(Some("shop"), json!({"workload": {"target": {"kind": "Deployment", "name": "api"}}})),
        checklist(Some("shop"), json!({"resource": {"apiVersion": "apps/v1", "kind": "Deployment"}})),
    ]);
    let inventory = load(&interest, &[deployment()], "shop");
    let as_loaded = inventory.get(kinds::DEPLOYMENT, Some("shop"), "api").expect("the catalogue's copy");
    assert_eq!(as_loaded.kind_key, kinds::DEPLOYMENT);
    assert_eq!(as_loaded.str_at("/spec/template/spec/securityContext/seccompProfile/type"), Some("RuntimeDefault"));
    let whole = inventory.get(whole::key(kinds::DEPLOYMENT), Some("shop"), "api").expect("the whole copy");
    assert_eq!(whole.str_at("/spec/template/spec/securityContext/seccompProfile/type"), Some("RuntimeDefault"));
    assert!(whole.get("/metadata/managedFields").is_none() && whole.get("/metadata/annotations").is_none());
    assert_eq!(whole.kind_key, whole::key(kinds::DEPLOYMENT));
    assert_eq!(inventory.len(), 2);

    let resource_only =
        Interest::of(&[checklist(Some("shop"), json!({"resource": {"apiVersion": "apps/v1", "kind": "Deployment"}}))]);
    let inventory = load(&resource_only, &[deployment()], "shop");
    assert_eq!(inventory.len(), 1, "only the whole copy");
    let config_maps =
        Interest::of(&[checklist(Some("shop"), json!({"resource": {"apiVersion": "v1", "kind": "ConfigMap"}}))]);
    let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "managedFields": []}});
    let inventory = load(&config_maps, &[config_map], "shop");
    let kept = inventory.get("ConfigMap", Some("shop"), "c").expect("kept under its own key: never projected");
    assert!(kept.get("/metadata/managedFields").is_none());
}

fn crd(scope: &str) -> serde_json::Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "tenants.example.com"},
        "spec": {"group": "example.com", "scope": scope, "names": {"kind": "Tenant", "plural": "tenants"},
                 "versions": [{"name": "v1", "served": true, "storage": true}]}})
}

fn tenant(namespace: Option<&str>) -> serde_json::Value {
    let mut tenant = json!({"apiVersion": "example.com/v1", "kind": "Tenant", "metadata": {"name": "acme"}});
    if let Some(ns) = namespace {
        tenant["metadata"]["namespace"] = json!(ns);
    }
    tenant
}

#[test]
fn a_crd_in_the_manifests_makes_its_kind_cluster_scoped_wherever_it_comes() {
    let interest = Interest::of(&[checklist(
        Some("shop"),
        json!({"resource": {"apiVersion": "example.com/v1", "kind": "Tenant"}}),
    )]);
    // Loaded with `-n default` while the checklist is in `shop`: only cluster scope reaches it.
    for documents in [vec![crd("Cluster"), tenant(None)], vec![tenant(None), crd("Cluster")]] {
        let inventory = load(&interest, &documents, "default");
        assert!(inventory.get("Tenant.example.com", None, "acme").is_some(), "{documents:?}");
    }
    // Namespaced by its CRD (or unknown): the namespace `-n` gives it, as kubectl would.
    for documents in [vec![tenant(None), crd("Namespaced")], vec![tenant(None)]] {
        let inventory = load(&interest, &documents, "shop");
        assert!(inventory.get("Tenant.example.com", Some("shop"), "acme").is_some(), "{documents:?}");
        assert!(load(&interest, &documents, "default").is_empty(), "another namespace: not read");
    }
}
