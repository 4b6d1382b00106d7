//! Installing things into a control plane as `kubectl apply --server-side` does: the CRDs
//! readygate and its packaging need, and any rendered manifest.

use std::path::{Path, PathBuf};

use super::ControlPlane;

/// The shared test data (`../shared/corpus` beside the repository, or `$READYGATE_CORPUS`).
/// Failing, not skipping: without cert-manager's CRDs deploy/ cannot be installed at all.
pub fn corpus() -> PathBuf {
    let dir = std::env::var_os("READYGATE_CORPUS")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    assert!(
        dir.join("crds").is_dir(),
        "{} has no crds/: check out the shared test data beside the repository, or set READYGATE_CORPUS",
        dir.display()
    );
    dir
}

/// The third-party CRDs readygate's manifests use: cert-manager (Certificate, Issuer) and
/// prometheus-operator (ServiceMonitor, PrometheusRule).
pub fn addon_crd_dirs() -> Vec<PathBuf> {
    let corpus = corpus();
    vec![corpus.join("crds/cert-manager"), corpus.join("crds/prometheus-operator")]
}

/// `kubectl apply --server-side` of `manifests` (YAML) as `identity`; the output whatever it is.
pub fn apply(plane: &ControlPlane, identity: &str, manager: &str, manifests: &str) -> std::process::Output {
    plane.kubectl(
        identity,
        &["apply", "--server-side", "--force-conflicts", &format!("--field-manager={manager}"), "-f", "-"],
        Some(manifests),
    )
}

/// Like `apply`, failing the test with kubectl's answer unless every object was accepted.
pub fn apply_ok(plane: &ControlPlane, identity: &str, manager: &str, manifests: &str) -> String {
    let output = apply(plane, identity, manager, manifests);
    assert!(
        output.status.success(),
        "the API server refused part of what {identity} applied:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Applies every file of `dir` (server-side, as admin) and waits until each CRD is Established.
pub fn apply_crd_dir(plane: &ControlPlane, dir: &Path) -> String {
    let dir = dir.to_str().expect("UTF-8 path");
    let applied =
        plane.kubectl_ok("admin", &["apply", "--server-side", "--field-manager=readygate-tests", "-f", dir], None);
    plane.kubectl_ok("admin", &["wait", "--for=condition=Established", "--timeout=60s", "-f", dir], None);
    applied
}

/// readygate's CRDs (crds/) and the add-ons' (cert-manager, prometheus-operator), Established.
/// Idempotent: every test that needs them may call it.
pub fn crds(plane: &ControlPlane) {
    for dir in addon_crd_dirs() {
        apply_crd_dir(plane, &dir);
    }
    apply_crd_dir(plane, &Path::new(env!("CARGO_MANIFEST_DIR")).join("crds"));
}

/// Creates namespace `name` (as admin), labelled for the test that owns it.
pub fn namespace(plane: &ControlPlane, name: &str) {
    let manifest = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");
    apply_ok(plane, "admin", "readygate-tests", &manifest);
}

/// The label deploy/'s workloads webhook selects namespaces by.
pub const OPT_IN: (&str, &str) = ("readygate.io/gate", "enabled");

/// Opts namespace `name` in to the workloads webhook (`kubectl label namespace`), or out again.
pub fn set_opted_in(plane: &ControlPlane, name: &str, opted_in: bool) {
    let label = if opted_in { format!("{}={}", OPT_IN.0, OPT_IN.1) } else { format!("{}-", OPT_IN.0) };
    plane.kubectl_ok("admin", &["label", "namespace", name, &label, "--overwrite"], None);
}

/// What the test users (identities.rs) may do in `namespace`: deploy, scale and read
/// checklists, create sign-offs, read Events. A test-only Role: readygate ships no roles for people.
pub fn grant_people(plane: &ControlPlane, namespace: &str) {
    let manifest = format!(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: people, namespace: {namespace}}}
rules:
- apiGroups: [apps]
  resources: [deployments, deployments/scale]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch]
- apiGroups: [readygate.io]
  resources: [readinesschecklists]
  verbs: [get, list, watch]
- apiGroups: [readygate.io]
  resources: [readinesssignoffs]
  verbs: [get, list, watch, create]
- apiGroups: ["", events.k8s.io]
  resources: [events]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: people, namespace: {namespace}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: people}}
subjects:
- {{apiGroup: rbac.authorization.k8s.io, kind: Group, name: dev}}
- {{apiGroup: rbac.authorization.k8s.io, kind: Group, name: cto}}
"#
    );
    apply_ok(plane, "admin", "readygate-tests", &manifest);
}
