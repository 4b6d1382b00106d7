//! The gate's blast radius against the real kube-apiserver (tests/support/cluster): deploy/'s
//! workloads webhook selects only namespaces labelled `readygate.io/gate=enabled`. A gating
//! checklist in a namespace left out says so (condition `GateWired`, one Event per change,
//! `readygate_gate_wired`, the `kubectl get rcl` column) and follows the label both ways. With
//! readygate stopped, a Deployment create is refused (fail closed) only where a namespace opted
//! in; elsewhere the API server never calls the webhook and the create succeeds.

#[path = "support/cluster/mod.rs"]
mod cluster;

use std::time::Duration;

use cluster::deploy::{self, WebhookInstalled};
use cluster::readygate::Readygate;
use cluster::shop::{self, CHECKLIST};
use cluster::{ControlPlane, eventually, install};
use serde_json::Value;

/// Opted in, and left out (labelled, then unlabelled).
const OPTED_IN: &str = "wired-in";
const LEFT_OUT: &str = "wired-out";
const READY: Duration = Duration::from_secs(60);
const FOLLOWS: Duration = Duration::from_secs(30);
const FIX: &str = "kubectl label namespace wired-out readygate.io/gate=enabled";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_blocks_only_opted_in_namespaces_and_unwired_gates_say_so() {
    let plane = cluster::shared();
    deploy::install_rbac(plane, &[]);
    let readygate = Readygate::start(plane, "readygate", &["--leader-namespace=readygate-system"]);
    readygate.wait_ready(READY).await;
    let webhook = WebhookInstalled::apply(plane, &deploy::webhook_configuration(plane, &readygate));
    shop::seed(plane, OPTED_IN, 2);
    shop::seed(plane, LEFT_OUT, 2);
    install::set_opted_in(plane, LEFT_OUT, false);
    let admin = &plane.client("admin").await;
    let log = || format!("readygate log:\n{}\n{}", readygate.log(), plane.logs());

    // Both checklists are NoGo and gate with Enforce; only the opted-in one is wired.
    let out = gate_wired_when(admin, LEFT_OUT, &log, |c| c["status"] == "False").await;
    assert_eq!(out["reason"], "NamespaceNotSelected", "{out}");
    let message = out["message"].as_str().expect("message");
    assert!(message.starts_with("Deployments in namespace wired-out are not sent to readygate"), "{message}");
    assert!(message.contains("so this gate (Enforce) is not applied to them"), "{message}");
    assert!(message.ends_with(&format!("opt the namespace in: {FIX}")), "{message}");
    let wired = gate_wired_when(admin, OPTED_IN, &log, |c| c["status"] == "True").await;
    assert_eq!(wired["reason"], "NamespaceSelected", "{wired}");
    for namespace in [OPTED_IN, LEFT_OUT] {
        eventually(FOLLOWS, "NoGo", log, || async move {
            (shop::decision(admin, namespace).await.as_deref() == Some("NoGo")).then_some(())
        })
        .await;
    }
    assert_eq!(wired_column(plane, LEFT_OUT), "False");
    assert_eq!(wired_column(plane, OPTED_IN), "True");
    assert_eq!(gate_wired_metric(&readygate, LEFT_OUT).await, Some(0.0));
    assert_eq!(gate_wired_metric(&readygate, OPTED_IN).await, Some(1.0));
    let announced = gate_events(plane, LEFT_OUT, "GateNotWired");
    assert_eq!(announced.len(), 1, "{announced:?}");
    assert!(announced[0].contains(FIX), "{announced:?}");
    assert!(gate_events(plane, OPTED_IN, "GateNotWired").is_empty(), "a wired gate announces nothing");

    // The condition tells the truth: NoGo, yet the API server admits a rollout in the left-out
    // namespace (it never asks readygate), and readygate refuses it in the opted-in one.
    let web_out = shop::deployment(LEFT_OUT, "web", "v2", None);
    plane.kubectl_ok("alice", &["apply", "-f", "-"], Some(&web_out));
    let refused = plane.kubectl("alice", &["apply", "-f", "-"], Some(&shop::deployment(OPTED_IN, "web", "v2", None)));
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains(" is NoGo"), "{}", text(&refused));

    // Labelled: the condition clears, with one Normal Event; unlabelled: False again, announced
    // once more. Evaluations in between (every 2 s) repeat nothing.
    install::set_opted_in(plane, LEFT_OUT, true);
    let cleared = gate_wired_when(admin, LEFT_OUT, &log, |c| c["status"] == "True").await;
    assert_eq!(cleared["reason"], "NamespaceSelected");
    assert_eq!(gate_events(plane, LEFT_OUT, "GateWired").len(), 1);
    install::set_opted_in(plane, LEFT_OUT, false);
    gate_wired_when(admin, LEFT_OUT, &log, |c| c["status"] == "False").await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(gate_events(plane, LEFT_OUT, "GateNotWired").len(), 2, "one Event per change, not per evaluation");

    // readygate stops; its webhook configuration stays, pointing at nothing.
    let exit = readygate.terminate().await;
    assert!(exit.success(), "{exit}");
    let web_v3 = shop::deployment(LEFT_OUT, "api", "v3", None);
    let output = plane.kubectl("alice", &["create", "-f", "-"], Some(&web_v3));
    assert!(output.status.success(), "not opted in, not sent to the webhook: {}", text(&output));
    let output = plane.kubectl("alice", &["create", "-f", "-"], Some(&shop::deployment(OPTED_IN, "api", "v3", None)));
    assert!(!output.status.success(), "opted in: fails closed");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("failed calling webhook \"workloads.readygate.io\""), "{stderr}");
    assert_eq!(stored_deployment(plane, OPTED_IN, "api"), None);
    assert!(stored_deployment(plane, LEFT_OUT, "api").is_some());
    drop(webhook);
}

/// The checklist's `GateWired` condition once `wanted` holds for it.
async fn gate_wired_when(
    admin: &kube::Client,
    namespace: &str,
    log: &impl Fn() -> String,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    let wanted = &wanted;
    eventually(FOLLOWS, &format!("GateWired of {namespace}/{CHECKLIST}"), log, || async move {
        let stored = shop::stored(admin, namespace).await;
        let conditions = stored["status"]["conditions"].as_array()?.clone();
        conditions.into_iter().find(|c| c["type"] == "GateWired").filter(|c| wanted(c))
    })
    .await
}

/// The WIRED column of `kubectl get rcl`.
fn wired_column(plane: &ControlPlane, namespace: &str) -> String {
    let table = plane.kubectl_ok("alice", &["get", "rcl", CHECKLIST, "-n", namespace], None);
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().expect("header").split_whitespace().collect();
    let column = header.iter().position(|h| *h == "WIRED").unwrap_or_else(|| panic!("no WIRED column:\n{table}"));
    lines.next().expect("a row").split_whitespace().nth(column).expect("a value").to_owned()
}

async fn gate_wired_metric(readygate: &Readygate, namespace: &str) -> Option<f64> {
    let label = format!("namespace=\"{namespace}\"");
    let (_, body) = readygate.get("/metrics").await?;
    body.lines().any(|l| l.starts_with("readygate_gate_wired{") && l.contains(&label)).then_some(())?;
    Some(readygate.metric("readygate_gate_wired", &[&label]).await)
}

/// The notes of the Events with `reason` in `namespace`, one per occurrence (kube's Recorder
/// counts a repeat of the same Event in its `series` rather than creating another).
fn gate_events(plane: &ControlPlane, namespace: &str, reason: &str) -> Vec<String> {
    let selector = format!("--field-selector=reason={reason}");
    let events =
        plane.kubectl_ok("admin", &["get", "events.events.k8s.io", "-n", namespace, &selector, "-o", "json"], None);
    let events: Value = serde_json::from_str(&events).expect("JSON");
    events["items"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| {
            let count = e["series"]["count"].as_u64().unwrap_or(1) as usize;
            std::iter::repeat_n(e["note"].as_str().unwrap_or_default().to_owned(), count)
        })
        .collect()
}

fn stored_deployment(plane: &ControlPlane, namespace: &str, name: &str) -> Option<Value> {
    let output = plane.kubectl("admin", &["get", "deployment", name, "-n", namespace, "-o", "json"], None);
    if !output.status.success() {
        assert!(String::from_utf8_lossy(&output.stderr).contains("NotFound"), "{}", text(&output));
        return None;
    }
    Some(serde_json::from_slice(&output.stdout).expect("JSON"))
}

fn text(output: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}
