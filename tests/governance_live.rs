//! `readygate run` against the API server double: a counted waiver that expires within the lead
//! time raises exactly one `WaiverExpiringSoon` Event, the condition and the metric, and a
//! restarted controller (which plans Events against the stored status) repeats none of it.

mod replica;
mod support;

use std::time::Duration;

use replica::*;
use serde_json::{Value, json};
use support::Verb;

const READY: Duration = Duration::from_secs(20);

fn events_with_reason(double: &support::ApiServerDouble, reason: &str) -> usize {
    double
        .request_log()
        .iter()
        .filter(|r| r.is(Verb::Create, "events") && r.group == "events.k8s.io")
        .filter(|r| r.body.as_ref().and_then(|b| b.get("reason")).and_then(Value::as_str) == Some(reason))
        .count()
}

async fn seed(double: &support::ApiServerDouble) {
    double.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}));
    // minReplicas 2 against an item that wants 3: Failed, unless waived.
    seed_hpa(double, 2);
    create_checklist(
        double,
        json!({
            "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
            "metadata": {"name": "gov", "namespace": "shop"},
            "spec": {"release": "v2", "items": [
                {"name": "autoscaling", "severity": "Critical", "waivableBy": {"groups": ["leads"]},
                 "check": {"horizontalPodAutoscaler": {
                     "target": {"kind": "Deployment", "name": "web"}, "minReplicas": {"atLeast": 3}}}}]}
        }),
    )
    .await;
    let expires = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24)).round(jiff::Unit::Second);
    double.seed(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessSignoff",
        "metadata": {"name": "hpa-waiver", "namespace": "shop"},
        "spec": {"checklist": "gov", "item": "autoscaling", "action": "Waive", "release": "v2",
                 "reason": "load test next week", "expiresAt": expires.expect("rounds").to_string(),
                 "signer": {"username": "carol", "groups": ["leads"]}}
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiring_waiver_raises_exactly_one_event_across_a_restart() {
    let double = double(false).await;
    seed(&double).await;
    let config = kubeconfig(&double);
    let replica = Replica::start(config.path(), &[]);
    replica.wait_ready(READY).await;
    eventually(&double, &replica, Duration::from_secs(15), "waiver listed as expiring", |d| {
        checklist_status(d, "shop", "gov")
            .is_some_and(|s| s["expiringWaivers"].as_array().is_some_and(|w| w.len() == 1))
    })
    .await;
    let status = checklist_status(&double, "shop", "gov").expect("status");
    assert_eq!(status["decision"], "Go", "the waiver counts: {status}");
    let condition = status["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "WaiverExpiringSoon"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(condition["status"], "True", "{status}");
    assert!(double.wait_for(Duration::from_secs(5), |d| events_with_reason(d, "WaiverExpiringSoon") >= 1).await);
    assert_eq!(
        replica.metric(r#"readygate_waivers_expiring_soon{namespace="shop",checklist="gov"}"#).await,
        1.0,
        "log:\n{}",
        replica.log()
    );
    // A forced re-evaluation (a new object the checklist reads) announces nothing again.
    seed_hpa(&double, 1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(events_with_reason(&double, "WaiverExpiringSoon"), 1, "log:\n{}", replica.log());
    let exit = replica.terminate().await;
    assert!(exit.success(), "SIGTERM drains and exits 0: {exit}");

    double.clear_request_log();
    let restarted = Replica::start(config.path(), &[]);
    restarted.wait_ready(READY).await;
    restarted.wait_evaluated(Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(events_with_reason(&double, "WaiverExpiringSoon"), 0, "no Event repeated; log:\n{}", restarted.log());
    assert_eq!(restarted.metric(r#"readygate_waivers_expiring_soon{namespace="shop",checklist="gov"}"#).await, 1.0);
}
