//! Runs the real `readygate run` binary against the API double: start, scrape metrics, stop
//! with SIGTERM or SIGKILL, and read the double's view of checklist status and writes.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{ApiServerDouble, RequestRecord, Verb};

mod run_process;

/// A `readygate run` process with metrics on a free port and its log in a temporary file.
pub struct Replica {
    child: tokio::process::Child,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().expect("bound").port()
}

impl Replica {
    pub fn start(kubeconfig: &Path, extra: &[&str]) -> Replica {
        Self::start_with(kubeconfig, extra, |args| {
            let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_readygate"));
            command.args(args);
            command
        })
    }

    /// [`Replica::start`], with `command` making the process from readygate's arguments (a test
    /// executable that stands in for the binary, say).
    pub fn start_with(
        kubeconfig: &Path,
        extra: &[&str],
        command: impl FnOnce(&[String]) -> tokio::process::Command,
    ) -> Replica {
        let dir = tempfile::tempdir().expect("temporary directory");
        let log = dir.path().join("readygate.log");
        let port = free_port();
        let metrics_addr = format!("127.0.0.1:{port}");
        let mut args: Vec<String> =
            ["run", "--metrics-addr", &metrics_addr, "--leader-namespace", "default"].map(str::to_owned).to_vec();
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let child = run_process::spawn(command(&args), kubeconfig, &log);
        Replica { child, port, log, _dir: dir }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// GET a path of the metrics server; `None` while it does not answer.
    pub async fn get(&self, path: &str) -> Option<(u16, String)> {
        run_process::get(self.port, path).await
    }

    /// The value of a metric sample line (`name{labels}` exactly as exposed), 0 when absent.
    pub async fn metric(&self, sample: &str) -> f64 {
        let Some((_, body)) = self.get("/metrics").await else { return 0.0 };
        body.lines().find_map(|line| line.strip_prefix(sample).and_then(|rest| rest.trim().parse().ok())).unwrap_or(0.0)
    }

    pub async fn wait_ready(&self, timeout: Duration) {
        run_process::wait_ready(self.port, timeout, Duration::from_millis(50), || self.log()).await;
    }

    /// Waits (up to `timeout`) until this replica has finished at least one evaluation.
    pub async fn wait_evaluated(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.metric("readygate_evaluation_duration_seconds_count").await < 1.0 {
            assert!(tokio::time::Instant::now() < deadline, "replica evaluated; log:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn is_leader(&self) -> bool {
        self.metric("readygate_leader").await == 1.0
    }

    /// SIGTERM, then the exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let log = self.log.clone();
        run_process::terminate(&mut self.child, || std::fs::read_to_string(&log).unwrap_or_default()).await
    }

    /// SIGKILL: no chance to release the lease.
    pub async fn kill(&mut self) {
        self.child.kill().await.expect("kill");
    }
}

/// The double with the readygate CRDs (and optionally cert-manager's and a ServiceMonitor CRD).
pub async fn double(with_addons: bool) -> ApiServerDouble {
    use kube::CustomResourceExt;
    let double = ApiServerDouble::start().await;
    double.install_crd(readygate::api::ReadinessChecklist::crd());
    double.install_crd(readygate::api::ReadinessSignoff::crd());
    if with_addons {
        for (group, kind, plural, scope) in [
            ("cert-manager.io", "Certificate", "certificates", "Namespaced"),
            ("cert-manager.io", "Issuer", "issuers", "Namespaced"),
            ("cert-manager.io", "ClusterIssuer", "clusterissuers", "Cluster"),
            ("monitoring.coreos.com", "ServiceMonitor", "servicemonitors", "Namespaced"),
        ] {
            double.install_crd(crd(group, kind, plural, scope));
        }
    }
    double
}

fn crd(group: &str, kind: &str, plural: &str, scope: &str) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {
            "group": group, "scope": scope,
            "names": {"kind": kind, "plural": plural, "singular": kind.to_lowercase(), "listKind": format!("{kind}List")},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                "subresources": {"status": {}}}]
        }
    })
}

pub fn checklist_status(double: &ApiServerDouble, namespace: &str, name: &str) -> Option<Value> {
    double
        .get_object("readygate.io/v1alpha1", "ReadinessChecklist", Some(namespace), name)
        .and_then(|c| c.get("status").cloned())
        .filter(|s| !s.is_null())
}

/// `(decision, item -> state)` of a stored status.
pub fn states(status: &Value) -> (String, Vec<(String, String)>) {
    let decision = status["decision"].as_str().unwrap_or_default().to_owned();
    let items = status["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            (i["name"].as_str().unwrap_or_default().to_owned(), i["state"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    (decision, items)
}

pub fn item_state(double: &ApiServerDouble, namespace: &str, name: &str, item: &str) -> Option<String> {
    let status = checklist_status(double, namespace, name)?;
    states(&status).1.into_iter().find(|(n, _)| n == item).map(|(_, s)| s)
}

pub fn decision(double: &ApiServerDouble, namespace: &str, name: &str) -> Option<String> {
    checklist_status(double, namespace, name).map(|s| states(&s).0)
}

pub fn status_writes(log: &[RequestRecord]) -> Vec<&RequestRecord> {
    log.iter().filter(|r| r.is_status_write() && r.resource.as_deref() == Some("readinesschecklists")).collect()
}

pub fn event_creates(log: &[RequestRecord]) -> usize {
    log.iter().filter(|r| r.is(Verb::Create, "events") && r.group == "events.k8s.io").count()
}

/// Every document of a multi-document YAML text.
pub fn documents(text: &str) -> Vec<Value> {
    serde_saphyr::from_multiple(text).expect("valid YAML")
}

/// The small "shop" namespace most scenarios use: one checklist with a Critical HPA item, a
/// Critical manual item and a High certificate item, and an HPA at min 3.
pub async fn seed_shop(double: &ApiServerDouble) {
    double.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}));
    seed_hpa(double, 3);
    create_checklist(
        double,
        json!({
            "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
            "metadata": {"name": "shop-v1", "namespace": "shop"},
            "spec": {"release": "v2", "items": [
                {"name": "autoscaling", "severity": "Critical", "check": {"horizontalPodAutoscaler": {
                    "target": {"kind": "Deployment", "name": "web"}, "minReplicas": {"atLeast": 3}}}},
                {"name": "approval", "severity": "Critical", "check": {"manual": {"approvers": {"groups": ["cto"]}}}},
                {"name": "certificates", "severity": "High", "check": {"certificate": {"names": ["web"]}}}
            ]}
        }),
    )
    .await;
}

/// Creates a checklist through the API (not `seed`), so the server defaults and normalizes it
/// at creation as a real one does; the first status write then leaves `generation` alone.
pub async fn create_checklist(double: &ApiServerDouble, checklist: Value) {
    let typed: readygate::api::ReadinessChecklist = serde_json::from_value(checklist).expect("valid checklist");
    let namespace = typed.metadata.namespace.clone().unwrap_or_else(|| "default".to_owned());
    let api: kube::Api<readygate::api::ReadinessChecklist> = kube::Api::namespaced(double.client(), &namespace);
    api.create(&kube::api::PostParams::default(), &typed).await.expect("creating the checklist");
}

pub fn seed_hpa(double: &ApiServerDouble, min: i64) {
    double.seed(json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "minReplicas": min, "maxReplicas": 10}
    }));
}

pub fn seed_signoff(double: &ApiServerDouble) {
    double.seed(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessSignoff",
        "metadata": {"name": "cto-v2", "namespace": "shop"},
        "spec": {"checklist": "shop-v1", "item": "approval", "action": "Approve", "release": "v2",
                 "reason": "release plan reviewed", "signer": {"username": "carol", "groups": ["cto"]}}
    }));
}

pub fn kubeconfig(double: &ApiServerDouble) -> tempfile::NamedTempFile {
    double.write_kubeconfig()
}

/// Waits until `condition` holds, panicking with the replica's log when it does not.
pub async fn eventually(
    double: &ApiServerDouble,
    replica: &Replica,
    timeout: Duration,
    what: &str,
    condition: impl FnMut(&ApiServerDouble) -> bool,
) -> Duration {
    let started = tokio::time::Instant::now();
    if !double.wait_for(timeout, condition).await {
        panic!("{what}: not within {timeout:?}; log:\n{}", replica.log());
    }
    started.elapsed()
}
