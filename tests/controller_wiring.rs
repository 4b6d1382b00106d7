//! `GateWired` through `readygate run` against the API double: the controller's own watches of
//! Namespaces (metadata only) and of its ValidatingWebhookConfiguration (by name) turn label and
//! webhook changes into the condition, within seconds and both ways, and Event it once per
//! change. tests/real_wiring.rs proves the same wiring with the real API server's admission.

mod replica;
mod support;

use std::time::Duration;

use replica::*;
use serde_json::{Value, json};

const READY: Duration = Duration::from_secs(20);
const FOLLOWS: Duration = Duration::from_secs(10);

fn namespace(opted_in: bool) -> Value {
    let mut labels = json!({"kubernetes.io/metadata.name": "shop"});
    if opted_in {
        labels["readygate.io/gate"] = json!("enabled");
    }
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": labels}})
}

/// deploy/'s webhook configuration, reduced to what readygate reads of it; `workloads: false`
/// leaves out the workloads webhook.
fn configuration(workloads: bool) -> Value {
    let hook = |name: &str, selector: Value| {
        json!({"name": name, "admissionReviewVersions": ["v1"], "sideEffects": "NoneOnDryRun",
               "failurePolicy": "Fail", "clientConfig": {"url": "https://127.0.0.1:1/validate"},
               "namespaceSelector": selector})
    };
    let opt_in = json!({"matchLabels": {"readygate.io/gate": "enabled"}, "matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system", "readygate-system"]}]});
    let mut webhooks = vec![hook("signoffs.readygate.io", json!({}))];
    if workloads {
        webhooks.push(hook("workloads.readygate.io", opt_in));
    }
    json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
           "metadata": {"name": "readygate"}, "webhooks": webhooks})
}

fn gate_wired(double: &support::ApiServerDouble) -> Option<(String, String, String)> {
    let status = checklist_status(double, "shop", "release")?;
    let condition = status["conditions"].as_array()?.iter().find(|c| c["type"] == "GateWired")?.clone();
    let text = |key: &str| condition[key].as_str().unwrap_or_default().to_owned();
    Some((text("status"), text("reason"), text("message")))
}

fn has_gate_wired(status: &str, reason: &str) -> impl FnMut(&support::ApiServerDouble) -> bool {
    move |d| gate_wired(d).is_some_and(|(s, r, _)| s == status && r == reason)
}

/// How often an Event with `reason` was published: kube's Recorder creates it once and counts
/// repeats (same reason, whatever the note) in its `series`.
fn announced(double: &support::ApiServerDouble, reason: &str) -> u64 {
    double
        .list_objects("events.k8s.io/v1", "Event")
        .iter()
        .filter(|e| e["reason"] == reason)
        .map(|e| e["series"]["count"].as_u64().unwrap_or(1))
        .sum()
}

/// Event writes (creates and series patches) since the request log was cleared.
fn event_writes(double: &support::ApiServerDouble) -> usize {
    double
        .request_log()
        .iter()
        .filter(|r| r.group == "events.k8s.io" && r.resource.as_deref() == Some("events"))
        .filter(|r| matches!(r.verb, support::Verb::Create | support::Verb::Patch))
        .count()
}

/// The exported `readygate_gate_wired` sample of shop/release, `None` when there is none.
async fn exported_gate_wired(replica: &Replica) -> Option<String> {
    let (_, body) = replica.get("/metrics").await?;
    let sample = r#"readygate_gate_wired{namespace="shop",checklist="release"} "#;
    body.lines().find_map(|line| line.strip_prefix(sample).map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_wired_follows_namespace_labels_and_the_webhook_configuration() {
    let double = double(false).await;
    double.seed(namespace(false));
    double.seed(configuration(true));
    create_checklist(
        &double,
        json!({
            "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
            "metadata": {"name": "release", "namespace": "shop"},
            "spec": {"gate": {"selector": {"matchLabels": {"app": "web"}}, "enforcement": "Enforce"},
                     "items": [{"name": "approval", "check": {"manual": {"approvers": {"groups": ["cto"]}}}}]}
        }),
    )
    .await;
    let config = kubeconfig(&double);
    let replica = Replica::start(config.path(), &[]);
    replica.wait_ready(READY).await;

    eventually(&double, &replica, FOLLOWS, "not opted in", has_gate_wired("False", "NamespaceNotSelected")).await;
    let (_, _, message) = gate_wired(&double).expect("condition");
    assert!(message.ends_with("opt the namespace in: kubectl label namespace shop readygate.io/gate=enabled"));
    assert_eq!(exported_gate_wired(&replica).await.as_deref(), Some("0"));
    // The Event follows the status write.
    eventually(&double, &replica, FOLLOWS, "GateNotWired announced", |d| announced(d, "GateNotWired") == 1).await;

    double.seed(namespace(true));
    let took = eventually(&double, &replica, FOLLOWS, "labelled", has_gate_wired("True", "NamespaceSelected")).await;
    eprintln!("a namespace label reached GateWired in {took:?}");
    assert_eq!(exported_gate_wired(&replica).await.as_deref(), Some("1"));
    eventually(&double, &replica, FOLLOWS, "GateWired announced", |d| announced(d, "GateWired") == 1).await;

    // The workloads webhook removed from the configuration: not wired, whatever the labels.
    double.seed(configuration(false));
    eventually(&double, &replica, FOLLOWS, "no workloads webhook", has_gate_wired("False", "WebhookNotInstalled"))
        .await;
    let (_, _, message) = gate_wired(&double).expect("condition");
    assert!(
        message.contains("there is no ValidatingWebhookConfiguration readygate with webhook workloads.readygate.io"),
        "{message}"
    );
    eventually(&double, &replica, FOLLOWS, "announced again", |d| announced(d, "GateNotWired") == 2).await;

    // Nothing changes: evaluations repeat neither writes nor Events.
    tokio::time::sleep(Duration::from_millis(500)).await;
    double.clear_request_log();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(status_writes(&double.request_log()).len(), 0, "log:\n{}", replica.log());
    assert_eq!(event_writes(&double), 0, "no Event repeated");
    assert_eq!((announced(&double, "GateNotWired"), announced(&double, "GateWired")), (2, 1));
}
