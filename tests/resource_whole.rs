//! `resource` items judge whole objects, live and offline alike: a rule over a Deployment field no
//! catalogue check reads (the catalogue watches Deployments as a projection), and a custom kind
//! a CRD makes cluster-scoped, found by `readygate check` (from the CRD in the manifests) and by
//! the controller against the API server double (through discovery), with the same verdicts.

mod replica;
mod support;

use std::time::Duration;

use assert_cmd::Command;
use replica::*;
use serde_json::{Value, json};

const READY: Duration = Duration::from_secs(20);
const SECCOMP: &str =
    "object.spec.template.spec.?securityContext.?seccompProfile.?type.orValue('') == 'RuntimeDefault'";

fn checklist() -> Value {
    json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": "shop"},
        "spec": {"items": [
            {"name": "seccomp", "severity": "Critical", "check": {"resource": {
                "apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "all": SECCOMP}}},
            // The catalogue reads the same Deployment as its projection.
            {"name": "replicas", "severity": "Critical", "check": {"workload": {
                "target": {"kind": "Deployment", "name": "api"}, "replicas": {"atLeast": 2}}}},
            {"name": "tenant", "severity": "Critical", "check": {"resource": {
                "apiVersion": "example.com/v1", "kind": "Tenant", "name": "acme",
                "all": "object.spec.plan == 'gold'"}}}
        ]}
    })
}

fn deployment(seccomp: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop", "labels": {"app": "api"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": {
                "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": seccomp}},
                "containers": [{"name": "api", "image": "api:1.0.0"}]}}}
    })
}

fn tenant_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "tenants.example.com"},
        "spec": {"group": "example.com", "scope": "Cluster",
            "names": {"kind": "Tenant", "plural": "tenants", "singular": "tenant", "listKind": "TenantList"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    })
}

/// Cluster-scoped: it names no namespace.
fn tenant() -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Tenant", "metadata": {"name": "acme"}, "spec": {"plan": "gold"}})
}

/// `readygate check` of the checklist over `objects` loaded with `-n default` (so only cluster
/// scope brings the Tenant into `shop`'s view): exit code and (item, state) pairs.
fn offline(objects: &[Value]) -> (i32, String, Vec<(String, String)>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let checklist_path = dir.path().join("checklist.json");
    std::fs::write(&checklist_path, checklist().to_string()).expect("write checklist");
    let manifests: String = objects.iter().map(|o| format!("---\n{}\n", o)).collect();
    let manifests_path = dir.path().join("manifests.yaml");
    std::fs::write(&manifests_path, manifests).expect("write manifests");
    let output = Command::cargo_bin("readygate")
        .expect("binary")
        .args(["check", "-n", "default", "-o", "json", "-f"])
        .arg(&checklist_path)
        .arg(&manifests_path)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let items = report[0]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (i["name"].as_str().unwrap_or_default().to_owned(), i["state"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    (output.status.code().unwrap_or(-1), report[0]["decision"].as_str().unwrap_or_default().to_owned(), items)
}

fn all_passed() -> Vec<(String, String)> {
    ["seccomp", "replicas", "tenant"].iter().map(|n| ((*n).to_owned(), "Passed".to_owned())).collect()
}

#[test]
fn offline_a_rule_reads_fields_no_check_reads_and_a_crd_makes_its_kind_cluster_scoped() {
    // The CRD after its object: scope is settled once the whole stream is read.
    let (code, decision, items) = offline(&[deployment("RuntimeDefault"), tenant(), tenant_crd()]);
    assert_eq!((code, decision.as_str()), (0, "Go"), "{items:?}");
    assert_eq!(items, all_passed());

    // Controls: the rule judges the field; without its CRD the Tenant is in `default`, not found.
    let (code, _, items) = offline(&[deployment("Unconfined"), tenant(), tenant_crd()]);
    assert_eq!(code, 1);
    assert_eq!(items[0], ("seccomp".to_owned(), "Failed".to_owned()));
    let (code, _, items) = offline(&[deployment("RuntimeDefault"), tenant()]);
    assert_eq!(code, 1);
    assert_eq!(items[2], ("tenant".to_owned(), "Failed".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_judges_the_same_objects_as_offline() {
    let double = double(false).await;
    double.install_crd(tenant_crd());
    double.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}));
    double.seed(deployment("RuntimeDefault"));
    double.seed(tenant());
    create_checklist(&double, checklist()).await;
    let config = kubeconfig(&double);
    let replica = Replica::start(config.path(), &[]);
    replica.wait_ready(READY).await;
    eventually(&double, &replica, Duration::from_secs(20), "every item judged", |d| {
        checklist_status(d, "shop", "release").is_some_and(|s| states(&s).1.len() == 3)
    })
    .await;
    let status = checklist_status(&double, "shop", "release").expect("status");
    let (decision, items) = states(&status);
    pretty_assertions::assert_eq!(items, all_passed(), "{status:#}\nlog:\n{}", replica.log());
    assert_eq!(decision, "Go");
    let (_, offline_decision, offline_items) = offline(&[deployment("RuntimeDefault"), tenant(), tenant_crd()]);
    assert_eq!((decision, items), (offline_decision, offline_items), "live and offline agree");

    // A change only the whole object shows reaches status: the projection does not carry it.
    double.seed(deployment("Unconfined"));
    eventually(&double, &replica, Duration::from_secs(10), "the seccomp item fails", |d| {
        item_state(d, "shop", "release", "seccomp").as_deref() == Some("Failed")
    })
    .await;
    assert_eq!(item_state(&double, "shop", "release", "replicas").as_deref(), Some("Passed"));
}
