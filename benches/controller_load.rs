//! Load benchmark for `readygate run`: against the in-process API double seeded with 10k and
//! then 50k realistic objects, report the controller's resident memory once synced (target:
//! under 64 MiB at 10k, growing at most linearly) and the change-to-status latency over HPA
//! flips (target: p99 under 500 ms).
//!
//! `cargo bench --bench controller_load` (set `READYGATE_BENCH_FLIPS` to change the flip count).

#[path = "common/harness_mode.rs"]
mod harness_mode;
#[path = "common/objects.rs"]
mod objects;

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use kube::CustomResourceExt;
use objects::{PER_NAMESPACE, deployment, hpa};
use serde_json::{Value, json};
use support::ApiServerDouble;

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
    let documents: Vec<Value> =
        serde_saphyr::from_multiple(include_str!("../tests/fixtures/projection.yaml")).expect("fixture YAML");
    for value in documents {
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
    for object in objects::namespace(index) {
        double.seed(object);
    }
}
