//! What the suites on `resource` items and whole objects share (`tests/resource_whole.rs`
//! against the API server double, `tests/real_resource_whole.rs` against the real
//! kube-apiserver): a checklist with a rule over a Deployment field no catalogue check reads and
//! a rule over a custom kind its CRD makes cluster-scoped, those objects, and `readygate check`
//! of them, which the live verdicts are compared with.

use assert_cmd::Command;
use serde_json::{Value, json};

/// Reads a field the catalogue's projection of a Deployment drops.
pub const SECCOMP: &str =
    "object.spec.template.spec.?securityContext.?seccompProfile.?type.orValue('') == 'RuntimeDefault'";

/// Items `seccomp` (a `resource` rule over the Deployment `api`), `replicas` (the catalogue's
/// workload check of the same Deployment) and `tenant` (a `resource` rule over the
/// cluster-scoped Tenant `acme`).
pub fn checklist(namespace: &str) -> Value {
    json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": namespace},
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

/// The Deployment `api` (3 replicas) with this seccomp profile type.
pub fn deployment(namespace: &str, seccomp: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": namespace, "labels": {"app": "api"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": {
                "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": seccomp}},
                "containers": [{"name": "api", "image": "api:1.0.0"}]}}}
    })
}

/// The CRD that makes `Tenant.example.com` a cluster-scoped kind.
pub fn tenant_crd() -> Value {
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
pub fn tenant() -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Tenant", "metadata": {"name": "acme"}, "spec": {"plan": "gold"}})
}

/// A decision and its (item, state) pairs, as a checklist's status or a JSON report entry holds them.
pub type Verdict = (String, Vec<(String, String)>);

/// The decision and (item, state) pairs of a status or report entry; `None` when it has none yet.
pub fn verdict(status: &Value) -> Option<Verdict> {
    let items = status["items"]
        .as_array()?
        .iter()
        .map(|i| {
            (i["name"].as_str().unwrap_or_default().to_owned(), i["state"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    Some((status["decision"].as_str()?.to_owned(), items))
}

/// `readygate check -o json` of `checklist` over `objects` (one manifest stream), `args` added
/// before the files: the exit code and the verdict.
pub fn check_offline(checklist: &Value, objects: &[Value], args: &[&str]) -> (i32, Verdict) {
    let dir = tempfile::tempdir().expect("tempdir");
    let checklist_path = dir.path().join("checklist.json");
    std::fs::write(&checklist_path, checklist.to_string()).expect("write checklist");
    let manifests: String = objects.iter().map(|o| format!("---\n{o}\n")).collect();
    let manifests_path = dir.path().join("manifests.yaml");
    std::fs::write(&manifests_path, manifests).expect("write manifests");
    let output = Command::cargo_bin("readygate")
        .expect("binary")
        .args(["check", "-o", "json"])
        .args(args)
        .arg("-f")
        .arg(&checklist_path)
        .arg(&manifests_path)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let verdict = verdict(&report[0]).unwrap_or_else(|| panic!("a decision and items: {stdout}"));
    (output.status.code().unwrap_or(-1), verdict)
}
