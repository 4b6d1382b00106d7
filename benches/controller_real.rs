//! `controller_load` against a real kube-apiserver and etcd (tests/support/cluster) instead of
//! the API double: 10k objects shaped like real application namespaces are created through the
//! API, then `readygate run` (as its ServiceAccount, on deploy/'s RBAC) syncs them; reported are
//! the time to create and to sync, readygate's resident memory once synced, and the
//! change-to-status latency over HPA flips, timed from the PATCH to the status write arriving
//! on a watch.
//!
//! `cargo bench --bench controller_real` (needs the control plane scripts/test.sh builds;
//! `READYGATE_BENCH_SIZES=10000`, `READYGATE_BENCH_FLIPS=100`). Compare with
//! `READYGATE_BENCH_SIZES=10000 cargo bench --bench controller_load` (the double).

#[path = "../tests/support/cluster/mod.rs"]
mod cluster;
#[path = "common/harness_mode.rs"]
mod harness_mode;
#[path = "common/objects.rs"]
mod objects;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use cluster::readygate::Readygate;
use cluster::{ControlPlane, Options, deploy, install};
use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use objects::PER_NAMESPACE;
use serde_json::{Value, json};

/// Creates in flight at once: enough to keep the API server busy, not to flood it.
const CREATE_CONCURRENCY: usize = 16;

fn main() {
    if !harness_mode::is_bench_run("controller_real") {
        return;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let plane = ControlPlane::start(Options::default());
    deploy::install_rbac(&plane, &[]);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(bench(&plane));
}

async fn bench(plane: &ControlPlane) {
    let admin = plane.client("admin").await;
    seed_bench_namespace(plane, &admin).await;
    let flips: usize = std::env::var("READYGATE_BENCH_FLIPS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let target: usize = std::env::var("READYGATE_BENCH_SIZES")
        .ok()
        .and_then(|v| v.split(',').next().and_then(|n| n.trim().parse().ok()))
        .unwrap_or(10_000);

    let started = Instant::now();
    let objects = create_namespaces(&admin, target / PER_NAMESPACE).await;
    let create = started.elapsed();
    eprintln!("created {objects} objects through the API in {create:?}");

    let readygate = Readygate::start(plane, "readygate", &["--leader-namespace=readygate-system"]);
    let started = Instant::now();
    readygate.wait_ready(Duration::from_secs(600)).await;
    let sync = started.elapsed();
    let checklists = checklist_api(&admin);
    let mut status = state_of(&checklists.get("bench-v1").await.expect("bench checklist"));
    while status.is_none() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = state_of(&checklists.get("bench-v1").await.expect("bench checklist"));
    }
    // Let the first evaluations and the allocator settle before reading memory.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss = readygate.pid().and_then(rss_kib).unwrap_or(0);
    let mut latencies = measure_flips(&admin, &readygate, flips).await;

    latencies.sort();
    let pct = |p: f64| latencies.get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1)).copied();
    let ms = |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{:.1}", d.as_secs_f64() * 1000.0));
    println!();
    println!("readygate run against kube-apiserver v1.37.2 + etcd v3.7.0 ({flips} HPA flips)");
    println!(
        "{:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "objects", "create", "sync", "RSS MiB", "p50 ms", "p99 ms", "max ms"
    );
    println!(
        "{objects:>8} {:>10} {:>10} {:>10.1} {:>10} {:>10} {:>10}",
        format!("{:.1}s", create.as_secs_f64()),
        format!("{:.1}s", sync.as_secs_f64()),
        rss as f64 / 1024.0,
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(latencies.last().copied()),
    );
}

/// Creates namespaces `team-0000..` with their objects (the Namespace first, then the rest
/// concurrently); returns how many objects the API server accepted.
async fn create_namespaces(admin: &kube::Client, namespaces: usize) -> usize {
    let resources = resources(admin).await;
    let mut created = 0;
    for index in 0..namespaces {
        let mut objects = objects::namespace(index).into_iter().map(for_create);
        let namespace = objects.next().expect("the Namespace comes first");
        create(admin, &resources, namespace).await;
        let rest: Vec<Value> = objects.collect();
        created += 1 + rest.len();
        futures::stream::iter(rest)
            .map(|object| create(admin, &resources, object))
            .buffer_unordered(CREATE_CONCURRENCY)
            .collect::<Vec<()>>()
            .await;
    }
    created
}

/// What a client sends on create: no status, no managedFields, no clusterIP from another range.
fn for_create(mut object: Value) -> Value {
    if let Value::Object(map) = &mut object {
        map.remove("status");
    }
    if let Some(metadata) = object["metadata"].as_object_mut() {
        metadata.remove("managedFields");
    }
    if let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("clusterIP");
    }
    object
}

async fn create(admin: &kube::Client, resources: &HashMap<String, ApiResource>, object: Value) {
    let kind = object["kind"].as_str().expect("kind").to_owned();
    let resource = &resources[&kind];
    let api: Api<DynamicObject> = match object["metadata"]["namespace"].as_str() {
        Some(namespace) => Api::namespaced_with(admin.clone(), namespace, resource),
        None => Api::all_with(admin.clone(), resource),
    };
    let object: DynamicObject = serde_json::from_value(object).expect("a DynamicObject");
    if let Err(error) = api.create(&PostParams::default(), &object).await {
        panic!("creating {kind} {:?}: {error}", object.metadata.name);
    }
}

/// The API resources of the kinds the generator makes, from discovery.
async fn resources(admin: &kube::Client) -> HashMap<String, ApiResource> {
    let mut resources = HashMap::new();
    for (group, version, kind) in [
        ("", "v1", "Namespace"),
        ("apps", "v1", "Deployment"),
        ("", "v1", "Service"),
        ("autoscaling", "v2", "HorizontalPodAutoscaler"),
        ("policy", "v1", "PodDisruptionBudget"),
        ("networking.k8s.io", "v1", "NetworkPolicy"),
        ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
    ] {
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let (resource, _) = kube::discovery::pinned_kind(admin, &gvk).await.expect("discovery");
        resources.insert(kind.to_owned(), resource);
    }
    resources
}

fn checklist_api(admin: &kube::Client) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("readygate.io", "v1alpha1", "ReadinessChecklist");
    Api::namespaced_with(admin.clone(), "bench", &ApiResource::from_gvk(&gvk))
}

/// The `autoscaling` item's state in a stored checklist.
fn state_of(checklist: &DynamicObject) -> Option<String> {
    let items = checklist.data["status"]["items"].as_array()?;
    items.iter().find(|i| i["name"] == "autoscaling")?["state"].as_str().map(str::to_owned)
}

/// Flips HPA `bench/api` between min 2 and 3 and times each PATCH until a checklist status
/// with the matching item state arrives on a watch.
async fn measure_flips(admin: &kube::Client, readygate: &Readygate, flips: usize) -> Vec<Duration> {
    let checklists = checklist_api(admin);
    let hpas: Api<DynamicObject> = Api::namespaced_with(
        admin.clone(),
        "bench",
        &ApiResource::from_gvk(&GroupVersionKind::gvk("autoscaling", "v2", "HorizontalPodAutoscaler")),
    );
    let current = checklists.get("bench-v1").await.expect("bench checklist");
    let mut state = state_of(&current).expect("a status");
    let version = current.metadata.resource_version.clone().expect("resourceVersion");
    let params = WatchParams::default().fields("metadata.name=bench-v1").timeout(290);
    let mut events = checklists.watch(&params, &version).await.expect("watch").boxed();
    let mut latencies = Vec::with_capacity(flips);
    for flip in 0..flips {
        let (min, expected) = if state == "Passed" { (2, "Failed") } else { (3, "Passed") };
        let started = Instant::now();
        let patch = json!({"spec": {"minReplicas": min}});
        hpas.patch("api", &PatchParams::default(), &Patch::Merge(&patch)).await.expect("patching the HPA");
        loop {
            let event = tokio::time::timeout(Duration::from_secs(30), events.try_next()).await;
            let Ok(Ok(Some(event))) = event else {
                panic!("flip {flip}: no status with {expected} within 30 s; log:\n{}", readygate.log())
            };
            if let WatchEvent::Modified(object) = event
                && state_of(&object).as_deref() == Some(expected)
            {
                break;
            }
        }
        latencies.push(started.elapsed());
        state = expected.to_owned();
    }
    latencies
}

/// Namespace `bench` with the checklist `controller_load` uses and its HPA and Deployment.
async fn seed_bench_namespace(plane: &ControlPlane, admin: &kube::Client) {
    install::namespace(plane, "bench");
    let resources = resources(admin).await;
    create(admin, &resources, for_create(objects::hpa("bench", "api", 3))).await;
    create(admin, &resources, for_create(objects::deployment("bench", "api", 0))).await;
    let checklist = json!({
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
    });
    let checklist: DynamicObject = serde_json::from_value(checklist).expect("a DynamicObject");
    checklist_api(admin).create(&PostParams::default(), &checklist).await.expect("creating the bench checklist");
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
