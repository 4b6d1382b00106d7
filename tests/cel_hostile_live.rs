//! `readygate run` against the API server double with CEL rules that make errors about a
//! Secret's data, its last-applied annotation and a literal env value: neither the checklist's
//! status, nor an Event, nor the log quotes a value, its base64 or its digest.

mod replica;
mod support;

use std::time::Duration;

use replica::*;
use serde_json::json;
use sha2::{Digest, Sha256};

const READY: Duration = Duration::from_secs(20);
const VALUE: &str = "hunter2-correct-horse";
const BASE64: &str = "aHVudGVyMi1jb3JyZWN0LWhvcnNl";
const ENV_VALUE: &str = "literal-env-s3cr3t";
const LAST_APPLIED_VALUE: &str = "applied-p4ssw0rd";

fn item(name: &str, api_version: &str, kind: &str, all: &str) -> serde_json::Value {
    json!({"name": name, "severity": "Critical",
           "check": {"resource": {"apiVersion": api_version, "kind": kind, "all": all}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_events_and_log_never_quote_a_value() {
    let double = double(false).await;
    double.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}));
    let last_applied = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
                              "stringData": {"password": LAST_APPLIED_VALUE}})
    .to_string();
    double.seed(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop",
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last_applied}},
        "data": {"password": BASE64}
    }));
    double.seed(json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "api"}}, "template": {
            "metadata": {"labels": {"app": "api"}},
            "spec": {"containers": [{"name": "api", "image": "api:1", "env": [{"name": "TOKEN", "value": ENV_VALUE}]}]}}}
    }));
    let annotation = "object.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']";
    create_checklist(
        &double,
        json!({
            "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
            "metadata": {"name": "leaky", "namespace": "shop"},
            "spec": {"items": [
                item("data-plus-one", "v1", "Secret", "object.data + 1 == 2"),
                item("digest-as-key", "v1", "Secret", "object.data[object.data.password.sha256] == 'x'"),
                item("digest-as-int", "v1", "Secret", "int(object.data.password.sha256) == 2"),
                item("last-applied", "v1", "Secret", &format!("{annotation} + 1 == 2")),
                item("env-plus-one", "apps/v1", "Deployment",
                     "object.spec.template.spec.containers[0].env[0].value + 1 == 2"),
                item("env-as-key", "apps/v1", "Deployment",
                     "object.spec.template.spec.containers.all(c, c.env.all(e, object.spec[e.value] == 1))"),
            ]}
        }),
    )
    .await;
    let config = kubeconfig(&double);
    let replica = Replica::start(config.path(), &["--enable-secret-checks"]);
    replica.wait_ready(READY).await;
    eventually(&double, &replica, Duration::from_secs(15), "leaky status", |d| {
        checklist_status(d, "shop", "leaky").is_some_and(|s| s["items"].as_array().is_some_and(|i| i.len() == 6))
    })
    .await;
    double.wait_for(Duration::from_secs(5), |d| event_creates(&d.request_log()) >= 1).await;

    let status = checklist_status(&double, "shop", "leaky").expect("status");
    let (_, items) = states(&status);
    assert!(items.iter().all(|(_, state)| state == "Failed"), "{status}");
    let log = double.request_log();
    let written: Vec<String> = log
        .iter()
        .filter(|r| r.is_status_write() || r.is(support::Verb::Create, "events"))
        .filter_map(|r| r.body.as_ref().map(|b| b.to_string()))
        .collect();
    assert!(event_creates(&log) >= 1, "an Event was written");
    let digest = hex::encode(Sha256::digest(VALUE));
    let replica_log = replica.log();
    for text in written.iter().chain([&status.to_string(), &replica_log]) {
        for needle in [VALUE, BASE64, digest.as_str(), ENV_VALUE, LAST_APPLIED_VALUE] {
            assert!(!text.contains(needle), "{needle} in:\n{text}");
        }
    }
}
