//! Least privilege, proven against the real kube-apiserver's RBAC (tests/support/cluster):
//! `readygate run` authenticated as its ServiceAccount, bound only to deploy/'s ClusterRole and
//! leader-election Role, syncs every kind the NovaCron checklist reads, elects itself, writes
//! status and Events. Without components/secret-checks it cannot read a Secret and `secret`
//! items are Skipped; with it they are judged.

#[path = "support/cluster/mod.rs"]
mod cluster;

use std::path::Path;
use std::time::Duration;

use cluster::readygate::Readygate;
use cluster::{ControlPlane, deploy, eventually, install};
use serde_json::Value;

const NAMESPACE: &str = "novacron";
const CHECKLIST: &str = "novacron-v1";
const READY: Duration = Duration::from_secs(90);
const EVALUATED: Duration = Duration::from_secs(60);
/// The kinds NovaCron's `resource` items name that deploy/'s ClusterRole does not grant:
/// docs/install.md says such items are in Error ("cannot read ...: forbidden") until the user
/// grants them.
const UNGRANTED: [&str; 3] = ["StorageClass", "ServiceMonitor", "ConfigMap"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readygate_runs_on_deploys_rbac_alone_and_reads_secrets_only_with_the_component() {
    let plane = cluster::shared();
    deploy::install_rbac(plane, &[]);
    let secret_items = &seed_novacron(plane);
    let is_secret_item = |item: &Value| secret_items.iter().any(|name| item["name"] == name.as_str());
    let admin = &plane.client("admin").await;

    let readygate = Readygate::start(plane, "readygate", &["--leader-namespace=readygate-system"]);
    readygate.wait_ready(READY).await;
    let status = evaluated(admin, &readygate, |_| true).await;
    assert_eq!(status["observedGeneration"], 1, "{status}");

    // The Lease in readygate-system was created and is held: the Role is enough.
    let lease = plane.kubectl_ok(
        "admin",
        &["get", "lease", "readygate-leader", "-n", "readygate-system", "-o", "jsonpath={.spec.holderIdentity}"],
        None,
    );
    assert!(!lease.is_empty(), "readygate holds the leader Lease");
    // Events were written (the ClusterRole's events.k8s.io create).
    let events = plane.kubectl_ok("admin", &["get", "events", "-n", NAMESPACE, "-o", "name"], None);
    assert!(!events.trim().is_empty(), "readygate published Events; log:\n{}", readygate.log());

    // Its own webhook configuration, by name and no other: enough to judge wiring (no webhook
    // configuration is installed here, which GateWired says, rather than Unknown for want of
    // permission).
    let can = |verb: &str, resource: &str| {
        let output = plane.kubectl("readygate", &["auth", "can-i", verb, resource], None);
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    assert_eq!(can("watch", "validatingwebhookconfigurations/readygate"), "yes");
    assert_eq!(can("list", "validatingwebhookconfigurations"), "no");
    assert_eq!(can("get", "validatingwebhookconfigurations/another"), "no");
    let wired = eventually(
        EVALUATED,
        "GateWired",
        || readygate.log(),
        || async move {
            let stored = cluster::shop::checklists(admin.clone(), NAMESPACE).get(CHECKLIST).await.ok()?;
            let status = serde_json::to_value(&stored).ok()?["status"].clone();
            status["conditions"].as_array()?.iter().find(|c| c["type"] == "GateWired").cloned()
        },
    )
    .await;
    assert_eq!(wired["status"], "False", "{wired}");
    assert_eq!(wired["reason"], "WebhookNotInstalled", "{wired}");

    // Every item the ClusterRole covers was read; only the documented ungranted kinds are forbidden.
    let forbidden: Vec<&Value> = items(&status).filter(|i| refused_by_rbac(i)).collect();
    for item in &forbidden {
        assert!(
            item["state"] == "Error" && UNGRANTED.iter().any(|kind| message(item).contains(&kind.to_lowercase())),
            "an item the ClusterRole should cover was forbidden: {item}"
        );
    }
    assert!(!forbidden.is_empty(), "the ungranted kinds are reported as forbidden: {status}");
    for line in readygate.log().lines().filter(|l| l.to_lowercase().contains("forbidden")) {
        assert!(
            UNGRANTED.iter().any(|kind| line.to_lowercase().contains(&kind.to_lowercase())),
            "a forbidden request outside the documented ungranted kinds:\n{line}"
        );
    }

    // No secret-checks component: the ServiceAccount may not read a Secret, and secret items
    // are Skipped, not Error.
    let can = plane.kubectl("readygate", &["auth", "can-i", "get", "secrets", "-n", NAMESPACE], None);
    assert_eq!(String::from_utf8_lossy(&can.stdout).trim(), "no");
    let read = plane.kubectl("readygate", &["get", "secret", "novacron-auth", "-n", NAMESPACE], None);
    let refused = String::from_utf8_lossy(&read.stderr);
    assert!(refused.contains("Error from server (Forbidden)"), "{refused}");
    assert!(refused.contains("cannot get resource \"secrets\""), "{refused}");
    let secrets: Vec<&Value> = items(&status).filter(|i| is_secret_item(i)).collect();
    assert_eq!(secrets.len(), 3, "{status}");
    for item in &secrets {
        assert_eq!(item["state"], "Skipped", "{item}");
        assert!(message(item).contains("secret checks are disabled"), "{item}");
    }
    let exit = readygate.terminate().await;
    assert!(exit.success(), "{exit}");

    // With components/secret-checks: its ClusterRole and the flag, and the items are judged.
    deploy::install_rbac(plane, &["components/secret-checks"]);
    let readygate =
        Readygate::start(plane, "readygate", &["--leader-namespace=readygate-system", "--enable-secret-checks"]);
    readygate.wait_ready(READY).await;
    let status = evaluated(admin, &readygate, |status| {
        items(status).filter(|i| is_secret_item(i)).all(|i| i["state"] != "Skipped")
    })
    .await;
    for item in items(&status).filter(|i| is_secret_item(i)) {
        assert_eq!(item["state"], "Passed", "the good example's secrets pass: {item}");
    }
    assert!(forbidden_only_ungranted(&status), "{status}");
}

/// The NovaCron example's good manifests and its checklist, minus the items that would call
/// out of the machine (http, prometheus): the tests reach loopback only. Returns the names of
/// its `secret` items.
fn seed_novacron(plane: &ControlPlane) -> Vec<String> {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/novacron");
    install::namespace(plane, NAMESPACE);
    let good = examples.join("good");
    plane.kubectl_ok("admin", &["apply", "--server-side", "-f", good.to_str().expect("UTF-8")], None);
    let text = std::fs::read_to_string(examples.join("checklist.yaml")).expect("the example checklist");
    let mut checklist: Value = serde_saphyr::from_str(&text).expect("YAML");
    checklist["spec"]["items"]
        .as_array_mut()
        .expect("items")
        .retain(|item| item["check"].get("http").is_none() && item["check"].get("prometheus").is_none());
    install::apply_ok(plane, "admin", "readygate-tests", &checklist.to_string());
    checklist["spec"]["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| item["check"].get("secret").is_some())
        .map(|item| item["name"].as_str().expect("name").to_owned())
        .collect()
}

/// The checklist's status once `wanted` holds for a written one.
async fn evaluated(admin: &kube::Client, readygate: &Readygate, wanted: impl Fn(&Value) -> bool) -> Value {
    let api = cluster::shop::checklists(admin.clone(), NAMESPACE);
    let wanted = &wanted;
    let api = &api;
    eventually(
        EVALUATED,
        "the checklist's status is written",
        || readygate.log(),
        || async move {
            let stored = api.get(CHECKLIST).await.ok()?;
            let status = serde_json::to_value(&stored).ok()?["status"].clone();
            (status["decision"].is_string() && wanted(&status)).then_some(status)
        },
    )
    .await
}

fn items(status: &Value) -> impl Iterator<Item = &Value> {
    status["items"].as_array().into_iter().flatten()
}

fn message(item: &Value) -> &str {
    item["message"].as_str().unwrap_or_default()
}

/// An item whose read the API server refused: its RBAC error names the user
/// ("... is forbidden: User \"system:serviceaccount:...\" cannot list ...").
fn refused_by_rbac(item: &Value) -> bool {
    message(item).contains("is forbidden: User")
}

fn forbidden_only_ungranted(status: &Value) -> bool {
    items(status)
        .filter(|i| refused_by_rbac(i))
        .all(|i| UNGRANTED.iter().any(|kind| message(i).contains(&kind.to_lowercase())))
}
