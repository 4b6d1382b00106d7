//! `resource` items judge whole objects against the real kube-apiserver (tests/support/cluster),
//! as `readygate check` judges the same objects offline: a rule over a Deployment field no
//! catalogue check reads, and a custom kind its CRD makes cluster-scoped, found through
//! discovery. readygate runs as admin: the install grants no custom kinds (docs/install.md).

#[path = "support/cluster/mod.rs"]
mod cluster;

use std::time::Duration;

use assert_cmd::Command;
use cluster::readygate::Readygate;
use cluster::{eventually, install};
use serde_json::{Value, json};

const NAMESPACE: &str = "whole-objects";
const READY: Duration = Duration::from_secs(60);
const EVALUATED: Duration = Duration::from_secs(60);
const SECCOMP: &str =
    "object.spec.template.spec.?securityContext.?seccompProfile.?type.orValue('') == 'RuntimeDefault'";

fn checklist() -> Value {
    json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": NAMESPACE},
        "spec": {"reevaluateEvery": "2s", "items": [
            {"name": "seccomp", "severity": "Critical", "check": {"resource": {
                "apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "all": SECCOMP}}},
            {"name": "replicas", "severity": "Critical", "check": {"workload": {
                "target": {"kind": "Deployment", "name": "api"}, "replicas": {"atLeast": 2}}}},
            {"name": "tenant", "severity": "Critical", "check": {"resource": {
                "apiVersion": "example.com/v1", "kind": "Tenant", "name": "acme",
                "all": "object.spec.plan == 'gold'"}}}
        ]}
    })
}

fn objects(seccomp: &str) -> Vec<Value> {
    vec![
        json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "tenants.example.com"},
            "spec": {"group": "example.com", "scope": "Cluster",
                "names": {"kind": "Tenant", "plural": "tenants", "singular": "tenant", "listKind": "TenantList"},
                "versions": [{"name": "v1", "served": true, "storage": true,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
        }),
        json!({"apiVersion": "example.com/v1", "kind": "Tenant", "metadata": {"name": "acme"}, "spec": {"plan": "gold"}}),
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": NAMESPACE, "labels": {"app": "api"}},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "api"}},
                "template": {"metadata": {"labels": {"app": "api"}}, "spec": {
                    "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": seccomp}},
                    "containers": [{"name": "api", "image": "api:1.0.0"}]}}}
        }),
    ]
}

fn states(checklist: &Value) -> Option<(String, Vec<(String, String)>)> {
    let status = checklist.get("status")?;
    let items: Vec<(String, String)> = status["items"]
        .as_array()?
        .iter()
        .map(|i| {
            (i["name"].as_str().unwrap_or_default().to_owned(), i["state"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    Some((status["decision"].as_str()?.to_owned(), items))
}

/// `readygate check` over the same objects, as a file set would hold them.
fn offline(seccomp: &str) -> (String, Vec<(String, String)>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let checklist_path = dir.path().join("checklist.json");
    std::fs::write(&checklist_path, checklist().to_string()).expect("write");
    let manifests: String = objects(seccomp).iter().map(|o| format!("---\n{o}\n")).collect();
    let manifests_path = dir.path().join("manifests.yaml");
    std::fs::write(&manifests_path, manifests).expect("write");
    let output = Command::cargo_bin("readygate")
        .expect("binary")
        .args(["check", "-o", "json", "-f"])
        .arg(&checklist_path)
        .arg(&manifests_path)
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&output.stdout).expect("json report");
    states(&json!({"status": report[0]})).expect("decision and items")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_judges_whole_objects_and_discovered_scope_as_offline_does() {
    let plane = cluster::shared();
    cluster::deploy::install_rbac(plane, &[]);
    install::crds(plane);
    install::namespace(plane, NAMESPACE);
    let stream: String = objects("RuntimeDefault").iter().map(|o| format!("---\n{o}\n")).collect();
    // The CRD first, Established, then what uses it.
    install::apply_ok(plane, "admin", "readygate-tests", &format!("{}\n", objects("RuntimeDefault")[0]));
    plane.kubectl_ok(
        "admin",
        &["wait", "--for=condition=Established", "crd/tenants.example.com", "--timeout=30s"],
        None,
    );
    install::apply_ok(plane, "admin", "readygate-tests", &stream);
    install::apply_ok(plane, "admin", "readygate-tests", &checklist().to_string());

    let readygate = Readygate::start(plane, "admin", &["--leader-namespace=readygate-system"]);
    readygate.wait_ready(READY).await;
    let read = || plane.kubectl_ok("admin", &["get", "rcl", "release", "-n", NAMESPACE, "-o", "json"], None);
    let live = eventually(
        EVALUATED,
        "every item judged Passed",
        || readygate.log(),
        || async {
            let stored: Value = serde_json::from_str(&read()).ok()?;
            states(&stored).filter(|(decision, _)| decision == "Go")
        },
    )
    .await;
    assert_eq!(live, offline("RuntimeDefault"), "live and offline agree");
    assert!(live.1.iter().all(|(_, state)| state == "Passed"), "{live:?}");

    // A field only the whole object carries changes; the item follows.
    install::apply_ok(plane, "admin", "readygate-tests", &format!("{}\n", objects("Unconfined")[2]));
    let live = eventually(
        EVALUATED,
        "the seccomp item fails",
        || readygate.log(),
        || async {
            let stored: Value = serde_json::from_str(&read()).ok()?;
            states(&stored).filter(|(_, items)| items[0].1 == "Failed")
        },
    )
    .await;
    assert_eq!(live, offline("Unconfined"), "live and offline agree");
    readygate.terminate().await;
}
