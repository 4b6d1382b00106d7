//! `readygate run` against the API server double: status matches offline evaluation, changes
//! reach status quickly, only the leader writes, restarts repeat nothing, faults recover.

mod replica;
mod support;

use std::time::Duration;

use readygate::api::ReadinessChecklist;
use readygate::checks::Facts;
use readygate::inventory::{Inventory, Object};
use replica::*;
use serde_json::Value;

const READY: Duration = Duration::from_secs(20);

/// The shop fixture in a fresh double, watched by one ready replica, once `first_evaluation`
/// holds. The kubeconfig file is returned so it outlives the replica that reads it.
async fn shop_after_first_evaluation(
    first_evaluation: impl FnMut(&support::ApiServerDouble) -> bool,
) -> (support::ApiServerDouble, tempfile::NamedTempFile, Replica) {
    let double = double(false).await;
    seed_shop(&double).await;
    let config = kubeconfig(&double);
    let replica = Replica::start(config.path(), &[]);
    replica.wait_ready(READY).await;
    eventually(&double, &replica, Duration::from_secs(15), "first evaluation", first_evaluation).await;
    (double, config, replica)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_status_matches_offline_evaluation_of_the_same_objects() {
    let double = double(true).await;
    let docs = documents(include_str!("fixtures/projection.yaml"));
    double.seed(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "novacron"}}));
    for doc in &docs {
        if doc["kind"] == "ReadinessChecklist" {
            create_checklist(&double, doc.clone()).await;
        } else {
            double.seed(doc);
        }
    }
    let config = kubeconfig(&double);
    let replica = Replica::start(config.path(), &["--enable-secret-checks"]);
    replica.wait_ready(READY).await;
    eventually(&double, &replica, Duration::from_secs(15), "novacron status", |d| {
        checklist_status(d, "novacron", "novacron-v1").is_some()
    })
    .await;

    let stored = double
        .get_object("readygate.io/v1alpha1", "ReadinessChecklist", Some("novacron"), "novacron-v1")
        .expect("checklist stored");
    let checklist: ReadinessChecklist = serde_json::from_value(stored.clone()).expect("typed checklist");
    let objects = docs
        .iter()
        .filter(|d| d["kind"] != "ReadinessChecklist")
        .map(|d| Object::from_value(d.clone(), Some("novacron")).expect("fixture object"));
    let facts =
        Facts { server_version: Some("v1.31.2".parse().expect("version")), secret_checks: true, ..Facts::live() };
    let offline =
        readygate::engine::evaluate(&checklist, &Inventory::from_objects(objects), &facts, jiff::Timestamp::now());
    let (decision, items) = states(&stored["status"]);
    let expected: Vec<(String, String)> =
        offline.items.iter().map(|i| (i.name.clone(), i.state.as_str().to_owned())).collect();
    pretty_assertions::assert_eq!(items, expected, "log:\n{}", replica.log());
    assert_eq!(decision, offline.decision.as_str());
    assert_eq!(stored["status"]["observedGeneration"], stored["metadata"]["generation"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signoffs_hpa_edits_and_spec_changes_reach_status_quickly() {
    let (double, _config, replica) =
        shop_after_first_evaluation(|d| item_state(d, "shop", "shop-v1", "approval").as_deref() == Some("Pending"))
            .await;
    assert_eq!(item_state(&double, "shop", "shop-v1", "autoscaling").as_deref(), Some("Passed"));
    assert_eq!(decision(&double, "shop", "shop-v1").as_deref(), Some("NoGo"));
    // cert-manager is not installed: only the item that needs it is Error, with the reason.
    let status = checklist_status(&double, "shop", "shop-v1").expect("status");
    let certificates = status["items"].as_array().and_then(|i| i.iter().find(|i| i["name"] == "certificates")).cloned();
    let certificates = certificates.expect("certificates item");
    assert_eq!(certificates["state"], "Error");
    assert!(certificates["message"].as_str().is_some_and(|m| m.contains("cert-manager.io")), "{certificates}");

    seed_signoff(&double);
    eventually(&double, &replica, Duration::from_secs(2), "sign-off moves the manual item to Passed", |d| {
        item_state(d, "shop", "shop-v1", "approval").as_deref() == Some("Passed")
            && decision(d, "shop", "shop-v1").as_deref() == Some("Go")
    })
    .await;

    seed_hpa(&double, 2);
    let took = eventually(&double, &replica, Duration::from_secs(2), "HPA min 2 flips item and decision", |d| {
        item_state(d, "shop", "shop-v1", "autoscaling").as_deref() == Some("Failed")
            && decision(d, "shop", "shop-v1").as_deref() == Some("NoGo")
    })
    .await;
    eprintln!("HPA change reached status in {took:?}");

    let mut edited =
        double.get_object("readygate.io/v1alpha1", "ReadinessChecklist", Some("shop"), "shop-v1").expect("stored");
    edited["spec"]["description"] = Value::from("now with a description");
    if let Some(meta) = edited["metadata"].as_object_mut() {
        meta.remove("generation");
    }
    let generation = double.seed(&edited)["metadata"]["generation"].as_i64().expect("generation");
    assert_eq!(generation, 2);
    eventually(&double, &replica, Duration::from_secs(2), "observedGeneration follows the spec", |d| {
        checklist_status(d, "shop", "shop-v1").is_some_and(|s| s["observedGeneration"] == 2)
    })
    .await;

    // An unchanged cluster causes no status writes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    double.clear_request_log();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let writes = status_writes(&double.request_log()).len();
    assert_eq!(writes, 0, "status writes while nothing changed; log:\n{}", replica.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_leader_writes_and_a_survivor_takes_over() {
    let double = double(false).await;
    seed_shop(&double).await;
    let config = kubeconfig(&double);
    let lease = ["--lease-duration", "3s"];
    let mut first = Replica::start(config.path(), &lease);
    first.wait_ready(READY).await;
    eventually(&double, &first, Duration::from_secs(15), "first status", |d| {
        checklist_status(d, "shop", "shop-v1").is_some()
    })
    .await;
    let second = Replica::start(config.path(), &lease);
    second.wait_ready(READY).await;
    assert!(first.is_leader().await, "the first replica leads");
    assert!(!second.is_leader().await, "the second replica waits");

    seed_signoff(&double);
    eventually(&double, &first, Duration::from_secs(5), "leader writes the sign-off", |d| {
        decision(d, "shop", "shop-v1").as_deref() == Some("Go")
    })
    .await;
    let writes_before = status_writes(&double.request_log()).len() as f64;
    assert!(writes_before >= 2.0);
    assert_eq!(first.metric(r#"readygate_status_writes_total{result="applied"}"#).await, writes_before);
    assert_eq!(second.metric(r#"readygate_status_writes_total{result="applied"}"#).await, 0.0);

    first.kill().await;
    seed_hpa(&double, 2);
    let took = eventually(&double, &second, Duration::from_secs(15), "the survivor takes over", |d| {
        decision(d, "shop", "shop-v1").as_deref() == Some("NoGo")
    })
    .await;
    eprintln!("takeover after SIGKILL of the leader took {took:?}");
    assert!(second.is_leader().await);
    let total = status_writes(&double.request_log()).len() as f64;
    assert_eq!(second.metric(r#"readygate_status_writes_total{result="applied"}"#).await, total - writes_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_repeat_neither_events_nor_writes() {
    let double = double(false).await;
    seed_shop(&double).await;
    seed_signoff(&double);
    let config = kubeconfig(&double);
    let replica = Replica::start(config.path(), &[]);
    replica.wait_ready(READY).await;
    eventually(&double, &replica, Duration::from_secs(15), "first evaluation", |d| {
        decision(d, "shop", "shop-v1").as_deref() == Some("Go")
    })
    .await;
    seed_hpa(&double, 2);
    eventually(&double, &replica, Duration::from_secs(5), "flip", |d| {
        decision(d, "shop", "shop-v1").as_deref() == Some("NoGo")
    })
    .await;
    double.wait_for(Duration::from_secs(5), |d| event_creates(&d.request_log()) >= 3).await;
    let events = event_creates(&double.request_log());
    assert!(events >= 3, "decision Go, decision NoGo and item Failed were announced: {events}");
    let status = replica.terminate().await;
    assert!(status.success(), "SIGTERM drains and exits 0: {status}");

    double.clear_request_log();
    let restarted = Replica::start(config.path(), &[]);
    restarted.wait_ready(READY).await;
    restarted.wait_evaluated(Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let log = double.request_log();
    assert_eq!(event_creates(&log), 0, "no Event repeated after restart; log:\n{}", restarted.log());
    assert_eq!(status_writes(&log).len(), 0, "no status rewritten after restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_watches_expired_history_and_an_outage_all_recover() {
    let (double, _config, replica) =
        shop_after_first_evaluation(|d| item_state(d, "shop", "shop-v1", "autoscaling").as_deref() == Some("Passed"))
            .await;
    let autoscaling_is = |state: &'static str| {
        move |d: &support::ApiServerDouble| item_state(d, "shop", "shop-v1", "autoscaling").as_deref() == Some(state)
    };

    double.wait_for(Duration::from_secs(5), |d| d.active_watches("horizontalpodautoscalers") > 0).await;
    double.faults().drop_watches();
    seed_hpa(&double, 2);
    eventually(&double, &replica, Duration::from_secs(15), "after dropped watches", autoscaling_is("Failed")).await;

    double.faults().compact();
    double.faults().drop_watches();
    seed_hpa(&double, 3);
    eventually(&double, &replica, Duration::from_secs(15), "after 410 Expired", autoscaling_is("Passed")).await;

    double.faults().go_down().await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    seed_hpa(&double, 2);
    tokio::time::sleep(Duration::from_secs(30)).await;
    double.faults().come_up().await;
    let took =
        eventually(&double, &replica, Duration::from_secs(15), "after a 60 s outage", autoscaling_is("Failed")).await;
    eprintln!("status converged {took:?} after the API came back");
    assert!(
        replica.metric(r#"readygate_watch_restarts_total{kind="HorizontalPodAutoscaler.autoscaling"}"#).await >= 1.0
    );
}
