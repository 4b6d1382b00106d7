//! Load benchmark for `readygate run`: against the in-process API double seeded with 10k and
//! then 50k realistic objects, report the controller's resident memory once synced (target:
//! under 64 MiB at 10k, growing at most linearly) and the change-to-status latency over HPA
//! flips (target: p99 under 500 ms).
//!
//! `cargo bench --bench controller_load` (set `READYGATE_BENCH_FLIPS` to change the flip count).

#[path = "common/harness_mode.rs"]
mod harness_mode;

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use kube::CustomResourceExt;
use serde_json::{Value, json};
use support::ApiServerDouble;

/// Objects per namespace, roughly the mix of a real application namespace.
const DEPLOYMENTS: usize = 40;
const SERVICES: usize = 30;
const HPAS: usize = 15;
const PDBS: usize = 10;
/// Plus the Namespace, a NetworkPolicy and a RoleBinding.
const PER_NAMESPACE: usize = DEPLOYMENTS + SERVICES + HPAS + PDBS + 3;

fn main() {
    if !harness_mode::is_bench_run("controller_load") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let double = ApiServerDouble::start().await;
    double.install_crd(readygate::api::ReadinessChecklist::crd());
    double.install_crd(readygate::api::ReadinessSignoff::crd());
    let kubeconfig = double.write_kubeconfig();
    seed_bench_namespace(&double).await;

    let flips: usize = std::env::var("READYGATE_BENCH_FLIPS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let mut seeded_namespaces = 0;
    let mut rows = Vec::new();
    let sizes: Vec<usize> = std::env::var("READYGATE_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 50_000]);
    for target in sizes {
        let namespaces = target / PER_NAMESPACE;
        let started = Instant::now();
        for ns in seeded_namespaces..namespaces {
            seed_namespace(&double, ns);
        }
        seeded_namespaces = namespaces;
        let objects = object_count(&double);
        eprintln!("seeded {objects} objects in {:?}", started.elapsed());

        let mut replica = spawn(kubeconfig.path());
        let started = Instant::now();
        wait_ready(replica.port).await;
        let sync = started.elapsed();
        // Let the first evaluations and allocator settle before reading memory.
        wait_for_status(&double, Duration::from_secs(30)).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let rss = rss_kib(replica.child.id()).unwrap_or(0);
        let latencies = measure_flips(&double, flips).await;
        rows.push((objects, sync, rss, latencies));
        let _ = replica.child.kill();
        let _ = replica.child.wait();
    }

    println!();
    println!("readygate run under load ({flips} HPA flips per size)");
    println!("{:>8} {:>10} {:>10} {:>10} {:>10} {:>10}", "objects", "sync", "RSS MiB", "p50 ms", "p99 ms", "max ms");
    for (objects, sync, rss, mut latencies) in rows {
        latencies.sort();
        let pct = |p: f64| latencies.get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1)).copied();
        let ms = |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{:.1}", d.as_secs_f64() * 1000.0));
        println!(
            "{objects:>8} {:>10} {:>10.1} {:>10} {:>10} {:>10}",
            format!("{:.1}s", sync.as_secs_f64()),
            rss as f64 / 1024.0,
            ms(pct(0.50)),
            ms(pct(0.99)),
            ms(latencies.last().copied()),
        );
    }
}

struct Replica {
    child: std::process::Child,
    port: u16,
}

fn spawn(kubeconfig: &std::path::Path) -> Replica {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_readygate"))
        .args(["run", "--metrics-addr", &format!("127.0.0.1:{port}"), "--leader-namespace", "default"])
        .env("KUBECONFIG", kubeconfig)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("starting readygate run");
    Replica { child, port }
}

async fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while Instant::now() < deadline {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let _ = stream.write_all(b"GET /readyz HTTP/1.0\r\n\r\n").await;
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer).await;
            if answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200") {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("readygate did not become ready");
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn object_count(double: &ApiServerDouble) -> usize {
    [
        ("apps/v1", "Deployment"),
        ("v1", "Service"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("policy/v1", "PodDisruptionBudget"),
        ("v1", "Namespace"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ]
    .iter()
    .map(|(v, k)| double.list_objects(v, k).len())
    .sum()
}

fn item_state(double: &ApiServerDouble) -> Option<String> {
    let checklist = double.get_object("readygate.io/v1alpha1", "ReadinessChecklist", Some("bench"), "bench-v1")?;
    checklist["status"]["items"].as_array()?.iter().find(|i| i["name"] == "autoscaling")?["state"]
        .as_str()
        .map(str::to_owned)
}

async fn wait_for_status(double: &ApiServerDouble, timeout: Duration) {
    assert!(double.wait_for(timeout, |d| item_state(d).is_some()).await, "the bench checklist got a status");
}

/// Alternates the bench HPA between min 2 and min 3 and times each change until the status shows
/// the matching item state.
async fn measure_flips(double: &ApiServerDouble, flips: usize) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(flips);
    for i in 0..flips {
        let min = if item_state(double).as_deref() == Some("Passed") { 2 } else { 3 };
        let expected = if min == 3 { "Passed" } else { "Failed" };
        let started = Instant::now();
        double.seed(hpa("bench", "api", min));
        let deadline = started + Duration::from_secs(10);
        while item_state(double).as_deref() != Some(expected) {
            assert!(Instant::now() < deadline, "flip {i} reached status");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        latencies.push(started.elapsed());
    }
    latencies
}

async fn seed_bench_namespace(double: &ApiServerDouble) {
    double.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}}));
    double.seed(hpa("bench", "api", 3));
    double.seed(deployment("bench", "api", 0));
    let checklist: readygate::api::ReadinessChecklist = serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "bench-v1", "namespace": "bench"},
        "spec": {"items": [
            {"name": "autoscaling", "severity": "Critical", "check": {"horizontalPodAutoscaler": {
                "target": {"kind": "Deployment", "name": "api"}, "minReplicas": {"atLeast": 3}}}},
            {"name": "api", "severity": "High", "check": {"workload": {
                "target": {"kind": "Deployment", "name": "api"}, "replicas": {"atLeast": 3},
                "probes": ["Readiness", "Liveness"], "zeroDowntimeRollout": true}}},
            {"name": "ports", "check": {"service": {"forbidExposedPorts": [5432, 6379]}}}
        ]}
    }))
    .expect("bench checklist");
    let api: kube::Api<readygate::api::ReadinessChecklist> = kube::Api::namespaced(double.client(), "bench");
    api.create(&Default::default(), &checklist).await.expect("creating the bench checklist");
    for doc in serde_yaml::Deserializer::from_str(include_str!("../tests/fixtures/projection.yaml")) {
        let Ok(value) = <Value as serde::Deserialize>::deserialize(doc) else { continue };
        // Add-on kinds (cert-manager, Prometheus operator) have no CRD in this cluster.
        let addon = value["apiVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("cert-manager.io/") || v.starts_with("monitoring.coreos.com/"));
        if value["kind"] != "ReadinessChecklist" && !value.is_null() && !addon {
            double.seed(value);
        }
    }
}

fn seed_namespace(double: &ApiServerDouble, index: usize) {
    let ns = format!("team-{index:04}");
    double.seed(json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns, "team": format!("t{}", index % 17)}}}));
    for i in 0..DEPLOYMENTS {
        double.seed(deployment(&ns, &format!("svc-{i:02}"), i));
    }
    for i in 0..SERVICES {
        double.seed(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": format!("svc-{i:02}"), "namespace": ns, "labels": {"app": format!("svc-{i:02}")}},
            "spec": {"type": "ClusterIP", "clusterIP": format!("10.96.{}.{}", index % 250, i), "selector": {"app": format!("svc-{i:02}")},
                     "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
                     "sessionAffinity": "None", "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"]}}));
    }
    for i in 0..HPAS {
        double.seed(hpa(&ns, &format!("svc-{i:02}"), 2 + (i as i64 % 3)));
    }
    for i in 0..PDBS {
        double.seed(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": format!("svc-{i:02}"), "namespace": ns},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": format!("svc-{i:02}")}}},
            "status": {"currentHealthy": 3, "desiredHealthy": 1, "disruptionsAllowed": 2, "expectedPods": 3}}));
    }
    double.seed(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": ns}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}));
    double.seed(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "devs", "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"kind": "Group", "name": format!("team-{index}")}]}));
}

fn hpa(ns: &str, name: &str, min: i64) -> Value {
    json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                 "minReplicas": min, "maxReplicas": 10,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]},
        "status": {"currentReplicas": min, "desiredReplicas": min, "currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 41, "averageValue": "205m"}}}]}})
}

/// A Deployment the size of a real one (~6 KB): managedFields, last-applied annotation, status,
/// two containers with env, probes, resources and mounts.
fn deployment(ns: &str, name: &str, i: usize) -> Value {
    let container = |cname: &str, port: i64| {
        json!({
            "name": cname, "image": format!("registry.example.com/{name}/{cname}:1.{i}.0"),
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
            "env": [
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": format!("{name}-db"), "key": "url"}}},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317"}
            ],
            "readinessProbe": {"httpGet": {"path": "/ready", "port": "http", "scheme": "HTTP"}, "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
            "livenessProbe": {"httpGet": {"path": "/live", "port": "http", "scheme": "HTTP"}, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
            "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}},
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "config", "mountPath": "/etc/app", "readOnly": true}],
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"
        })
    };
    let spec = json!({
        "replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
        "selector": {"matchLabels": {"app": name}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
        "template": {
            "metadata": {"labels": {"app": name, "app.kubernetes.io/part-of": ns, "version": format!("1.{i}.0")},
                         "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"}},
            "spec": {
                "serviceAccountName": name, "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                "restartPolicy": "Always", "schedulerName": "default-scheduler",
                "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [container("app", 8080), container("sidecar", 9090)],
                "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "config", "configMap": {"name": "config-0", "defaultMode": 420}}],
                "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100,
                    "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": name}}, "topologyKey": "kubernetes.io/hostname"}}]}}
            }
        }
    });
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {
            "name": name, "namespace": ns,
            "labels": {"app": name, "app.kubernetes.io/part-of": ns, "app.kubernetes.io/managed-by": "Helm"},
            "annotations": {
                "deployment.kubernetes.io/revision": "7",
                "meta.helm.sh/release-name": ns,
                "kubectl.kubernetes.io/last-applied-configuration": serde_json::to_string(&json!({"spec": spec})).unwrap_or_default()
            },
            "managedFields": [
                {"manager": "helm", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}, "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {}}}}}},
                {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-01-01T00:00:00Z",
                 "fieldsType": "FieldsV1", "subresource": "status", "fieldsV1": {"f:status": {"f:availableReplicas": {}, "f:conditions": {}}}}
            ]
        },
        "spec": spec,
        "status": {"observedGeneration": 7, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability.", "lastUpdateTime": "2026-01-01T00:00:00Z", "lastTransitionTime": "2026-01-01T00:00:00Z"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"{name}-5d4f8b7c9\" has successfully progressed."), "lastUpdateTime": "2026-01-01T00:00:00Z", "lastTransitionTime": "2026-01-01T00:00:00Z"}
            ]}
    })
}
