//! `readygate status` and `readygate signoff`, run as the real binary against the API server
//! double through a kubeconfig, as a user would run them against a cluster.

mod support;

#[path = "cli_live/signoff.rs"]
mod signoff;
#[path = "cli_live/status.rs"]
mod status;

use assert_cmd::Command;
use kube::CustomResourceExt;
use readygate::api::{ReadinessChecklist, ReadinessSignoff};
use serde_json::{Value, json};
use support::BlockingDouble;
use tempfile::NamedTempFile;

const NOW: &str = "2026-11-25T10:00:00Z";
const ONE_MINUTE_AGO: &str = "2026-11-25T09:59:00Z";
const API_VERSION: &str = "readygate.io/v1alpha1";

/// A cluster with the readygate CRDs, and a kubeconfig for it.
struct Cluster {
    double: BlockingDouble,
    kubeconfig: NamedTempFile,
}

impl Cluster {
    fn new() -> Self {
        let double = BlockingDouble::start();
        double.install_crd(ReadinessChecklist::crd());
        double.install_crd(ReadinessSignoff::crd());
        let kubeconfig = double.write_kubeconfig();
        Cluster { double, kubeconfig }
    }

    /// Seeds checklist `name` in `namespace` (created when missing) at generation 1: a Critical
    /// `version` item, a Critical manual `cto-signoff` (group cto approves), and `autoscaling`
    /// (High, waivable by platform-leads).
    fn checklist(&self, namespace: &str, name: &str, status: Option<Value>) {
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}, "status": {"phase": "Active"}});
        self.double.seed(ns);
        let mut checklist = json!({
            "apiVersion": API_VERSION,
            "kind": "ReadinessChecklist",
            "metadata": {"name": name, "namespace": namespace, "generation": 1},
            "spec": {
                "release": "v1.0.0",
                "items": [
                    {"name": "version", "title": "Kubernetes 1.28 or newer", "section": "Platform",
                     "severity": "Critical", "check": {"kubernetesVersion": {"atLeast": "1.28"}}},
                    {"name": "cto-signoff", "title": "CTO signed off", "section": "Sign-off", "severity": "Critical",
                     "check": {"manual": {"approvers": {"groups": ["cto"]}}}},
                    {"name": "autoscaling", "section": "Platform", "waivableBy": {"groups": ["platform-leads"]},
                     "check": {"horizontalPodAutoscaler": {"target": {"kind": "Deployment", "name": "api"}}}},
                ],
            },
        });
        if let Some(status) = status {
            checklist["status"] = status;
        }
        self.double.seed(checklist);
    }

    /// `readygate <args>` with this cluster's kubeconfig: exit code, stdout, stderr.
    fn readygate(&self, args: &[&str]) -> (i32, String, String) {
        run_with_kubeconfig(self.kubeconfig.path(), args)
    }

    fn signoffs(&self) -> Vec<Value> {
        self.double.list_objects(API_VERSION, "ReadinessSignoff")
    }
}

fn run_with_kubeconfig(kubeconfig: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_readygate"))
        .env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .expect("runs");
    let stdout = String::from_utf8(output.stdout).expect("utf-8 stdout");
    let stderr = String::from_utf8(output.stderr).expect("utf-8 stderr");
    assert!(!stderr.contains("panicked"), "no panics: {stderr}");
    (output.status.code().expect("exit code"), stdout, stderr)
}

/// `readygate status --now NOW <args>`.
fn status_of(cluster: &Cluster, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["status", "--now", NOW];
    all.extend_from_slice(args);
    cluster.readygate(&all)
}

/// A status the controller wrote at `evaluated_at` for `generation`: version Passed,
/// autoscaling Passed, cto-signoff as `signoff` (Passed makes it Go, Pending NoGo).
fn stored(evaluated_at: &str, generation: i64, signoff: &str) -> Value {
    let go = signoff == "Passed";
    json!({
        "decision": if go { "Go" } else { "NoGo" },
        "observedGeneration": generation,
        "lastEvaluationTime": evaluated_at,
        "summary": {"total": 3, "passed": if go { 3 } else { 2 }, "failed": 0, "pending": u32::from(!go),
                    "error": 0, "skipped": 0, "waived": 0},
        "blocking": if go { json!([]) } else { json!(["cto-signoff"]) },
        "items": [
            {"name": "version", "state": "Passed", "severity": "Critical", "message": "server v1.31.2 >= 1.28"},
            {"name": "cto-signoff", "state": signoff, "severity": "Critical",
             "message": if go { "approved by alice (readinesssignoff/cto): reviewed" } else { "awaiting sign-off by group cto" }},
            {"name": "autoscaling", "state": "Passed", "severity": "High", "message": "hpa/api min=3 max=10"},
        ],
    })
}
