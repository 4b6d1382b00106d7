//! Recovery against the real control plane (tests/support/cluster), each test on a control
//! plane of its own since it breaks it: kube-apiserver stopped for 30 s and started again on
//! the same etcd, and an etcd compaction that makes readygate's watch resourceVersions too old.

#[path = "support/cluster/mod.rs"]
mod cluster;

use std::time::{Duration, Instant};

use cluster::proxy::Proxy;
use cluster::readygate::Readygate;
use cluster::shop::{self, CHECKLIST};
use cluster::{ControlPlane, Options, deploy, eventually};
use kube::api::{Api, DynamicObject, WatchEvent, WatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::Value;

const NAMESPACE: &str = "shop";
const HPA_KIND: &str = "kind=\"HorizontalPodAutoscaler.autoscaling\"";
const READY: Duration = Duration::from_secs(60);
const FOLLOWS: Duration = Duration::from_secs(30);
/// How long the API server stays away.
const OUTAGE: Duration = Duration::from_secs(30);
/// The bound: status current again within 15 s of the API server's return.
const RECOVERY: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_is_current_again_within_15_s_of_the_api_server_returning_after_30_s() {
    let plane = ControlPlane::start(Options::default());
    deploy::install_rbac(&plane, &[]);
    shop::seed(&plane, NAMESPACE, 2);
    let readygate = Readygate::start(&plane, "readygate", &["--leader-namespace=readygate-system"]);
    readygate.wait_ready(READY).await;
    {
        let admin = &plane.client("admin").await;
        decision_becomes(admin, &readygate, "NoGo", FOLLOWS).await;
    }

    tokio::task::block_in_place(|| plane.stop_apiserver());
    tokio::time::sleep(OUTAGE).await;
    tokio::task::block_in_place(|| plane.start_apiserver());
    let returned = Instant::now();
    let back = jiff::Timestamp::now();

    // Fixed as soon as the API server is back: readygate sees it only through watches it has
    // re-established, and must write Go.
    shop::set_hpa_min(&plane, NAMESPACE, 3);
    let admin = &plane.client("admin").await;
    let status = decision_becomes(admin, &readygate, "Go", RECOVERY + Duration::from_secs(30)).await;
    let took = returned.elapsed();
    let evaluated: jiff::Timestamp =
        status["lastEvaluationTime"].as_str().and_then(|t| t.parse().ok()).expect("lastEvaluationTime");
    assert!(evaluated >= back.checked_sub(jiff::SignedDuration::from_secs(1)).expect("time"), "{status}");
    println!("status current {took:?} after kube-apiserver returned from a {OUTAGE:?} outage");
    assert!(took <= RECOVERY, "status current only {took:?} after the API server returned; log:\n{}", readygate.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_whose_resource_version_was_compacted_away_is_recovered() {
    // Watches served from etcd, as for any resource the watch cache does not hold, so that
    // compaction (not the cache's window) decides what is too old.
    let plane = ControlPlane::start(Options { no_watch_cache: true });
    deploy::install_rbac(&plane, &[]);
    shop::seed(&plane, NAMESPACE, 2);
    let proxy = Proxy::start(plane.port).await;
    let kubeconfig = plane.kubeconfig_via("readygate", proxy.port);
    let readygate = Readygate::start_with_kubeconfig(&plane, &kubeconfig, &["--leader-namespace=readygate-system"]);
    readygate.wait_ready(READY).await;
    let admin = &plane.client("admin").await;
    decision_becomes(admin, &readygate, "NoGo", FOLLOWS).await;
    let hpas = Api::<DynamicObject>::namespaced_with(
        admin.clone(),
        NAMESPACE,
        &ApiResource::from_gvk(&GroupVersionKind::gvk("autoscaling", "v2", "HorizontalPodAutoscaler")),
    );
    let seen = hpas.get("web").await.expect("the HPA").metadata.resource_version.expect("a resourceVersion");

    let expired = readygate.metric("readygate_watch_errors_total", &[HPA_KIND, "reason=\"expired\""]).await;

    // readygate loses the API server; meanwhile the HPA is fixed and etcd compacts its history.
    proxy.cut();
    shop::set_hpa_min(&plane, NAMESPACE, 3);
    let compacted = tokio::task::block_in_place(|| plane.compact_etcd());
    assert!(compacted > seen.parse::<i64>().expect("numeric"), "compacted at {compacted}, after {seen}");

    // What readygate's HPA watch will hear when it resumes from what it had seen: 410 Gone.
    let mut stream = Box::pin(hpas.watch(&WatchParams::default().timeout(5), &seen).await.expect("watch"));
    let first = futures::StreamExt::next(&mut stream).await.expect("an event").expect("an event");
    let WatchEvent::Error(gone) = first else { panic!("not an error event: {first:?}") };
    assert_eq!(gone.code, 410, "{gone:?}");
    drop(stream);

    proxy.resume();
    let resumed = Instant::now();
    decision_becomes(admin, &readygate, "Go", FOLLOWS).await;
    println!("Go {:?} after readygate's connection came back to a compacted etcd", resumed.elapsed());
    let after = readygate.metric("readygate_watch_errors_total", &[HPA_KIND, "reason=\"expired\""]).await;
    assert!(after > expired, "readygate's HPA watch was told 410 Expired and listed again ({expired} -> {after})");
}

/// The checklist's status once its decision is `decision`.
async fn decision_becomes(admin: &kube::Client, readygate: &Readygate, decision: &str, within: Duration) -> Value {
    eventually(
        within,
        &format!("{CHECKLIST} becomes {decision}"),
        || readygate.log(),
        || async move {
            let stored = shop::checklists(admin.clone(), NAMESPACE).get(CHECKLIST).await.ok()?;
            let status = serde_json::to_value(stored).ok()?["status"].clone();
            (status["decision"] == decision).then_some(status)
        },
    )
    .await
}
