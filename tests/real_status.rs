//! Status, Events and the CLI against the real kube-apiserver (tests/support/cluster): the
//! controller's status is a server-side apply on `/status` whose observedGeneration follows
//! spec edits; Events read back with `kubectl get events`; `kubectl get rcl` prints the CRD's
//! columns; `readygate status` and `readygate signoff` (SelfSubjectReview) work as a user; a
//! sign-off whose signer is not the requesting user is refused by the API server's call to
//! readygate's webhook, and so is a checklist readygate's /validate/checklists finds wrong.

#[path = "support/cluster/mod.rs"]
mod cluster;

use std::time::Duration;

use cluster::deploy::{self, WebhookInstalled};
use cluster::readygate::Readygate;
use cluster::shop::{self, CHECKLIST};
use cluster::{ControlPlane, eventually};
use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};

const NAMESPACE: &str = "shop-status";
const READY: Duration = Duration::from_secs(60);
const FOLLOWS: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_events_columns_and_the_cli_against_the_api_server() {
    let plane = cluster::shared();
    deploy::install_rbac(plane, &[]);
    let readygate = Readygate::start(plane, "readygate", &["--leader-namespace=readygate-system"]);
    readygate.wait_ready(READY).await;
    let _webhook = WebhookInstalled::apply(plane, &deploy::webhook_configuration(plane, &readygate));
    shop::seed(plane, NAMESPACE, 2);
    let admin = &plane.client("admin").await;

    let status = status_when(admin, &readygate, |s| s["decision"] == "NoGo").await;
    assert_eq!(status["observedGeneration"], 1);
    shop::set_hpa_min(plane, NAMESPACE, 3);
    let status = status_when(admin, &readygate, |s| s["decision"] == "Go").await;
    assert_eq!(status["blockingCount"], 0, "{status}");

    // The status is readygate's server-side apply on the status subresource.
    let stored = shop::stored(admin, NAMESPACE).await;
    let managers = stored["metadata"]["managedFields"].as_array().expect("managedFields");
    assert!(
        managers
            .iter()
            .any(|m| m["manager"] == "readygate" && m["operation"] == "Apply" && m["subresource"] == "status"),
        "{managers:?}"
    );

    // A spec edit bumps generation; the next status observes it.
    let api = shop::checklists(admin.clone(), NAMESPACE);
    let patch = json!({"spec": {"reevaluateEvery": "3s"}});
    let edited = api.patch(CHECKLIST, &PatchParams::default(), &Patch::Merge(&patch)).await.expect("spec edit");
    assert_eq!(edited.metadata.generation, Some(2));
    status_when(admin, &readygate, |s| s["observedGeneration"] == 2).await;

    // Events, through the core/v1 view kubectl shows.
    let events = plane.kubectl_ok("alice", &["get", "events", "-n", NAMESPACE], None);
    for reason in ["DecisionNoGo", "DecisionGo"] {
        let line = events.lines().find(|l| l.contains(reason)).unwrap_or_else(|| panic!("no {reason}:\n{events}"));
        assert!(line.contains(&format!("readinesschecklist/{CHECKLIST}")), "{line}");
    }

    // The printer columns of the CRD.
    let table = plane.kubectl_ok("alice", &["get", "rcl", "-n", NAMESPACE], None);
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().expect("header").split_whitespace().collect();
    assert_eq!(header, ["NAME", "DECISION", "PASSED", "BLOCKING", "WIRED", "AGE"], "{table}");
    let row: Vec<&str> = lines.next().expect("a row").split_whitespace().collect();
    assert_eq!(&row[..2], [CHECKLIST, "Go"], "{table}");
    assert_eq!(row[3], "0", "{table}");
    assert_eq!(row[4], "True", "the shop namespace is opted in: {table}");

    // `readygate status` as alice: exit 0 for Go.
    let output = readygate_cli(plane, "alice", &["status", CHECKLIST, "-n", NAMESPACE]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Go"), "{}", text(&output));

    signoffs(plane, admin, &readygate).await;

    // What the schema refuses never reaches readygate: a doubled item name breaks the list-map.
    let manual = json!({"manual": {"approvers": {"groups": ["cto"]}}});
    let checklist = |name: &str, spec: Value| {
        json!({"apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
               "metadata": {"name": name, "namespace": NAMESPACE}, "spec": spec})
        .to_string()
    };
    let twice = checklist(
        "twice",
        json!({"items": [{"name": "review", "check": manual}, {"name": "review", "check": manual}]}),
    );
    let output = plane.kubectl("admin", &["create", "-f", "-"], Some(&twice));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("spec.items[1]: Duplicate value: {\"name\":\"review\"}"), "{stderr}");
    // What it cannot, /validate/checklists does: here an unknown selector operator.
    let selector = json!({"matchExpressions": [{"key": "app", "operator": "Matches", "values": ["web"]}]});
    let odd = checklist(
        "odd-selector",
        json!({"gate": {"selector": selector}, "items": [{"name": "review", "check": manual}]}),
    );
    let output = plane.kubectl("admin", &["create", "-f", "-"], Some(&odd));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    let denied = format!(
        "admission webhook \"checklists.readygate.io\" denied the request: readinesschecklist {NAMESPACE}/odd-selector is invalid: gate.selector"
    );
    assert!(stderr.contains(&denied) && stderr.contains("Matches"), "{stderr}");
}

/// A sign-off for someone else is refused; `readygate signoff` (dry run, then for real) signs as
/// the user the API server authenticated, and the manual item passes.
async fn signoffs(plane: &ControlPlane, admin: &kube::Client, readygate: &Readygate) {
    let forged = json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessSignoff",
        "metadata": {"name": "forged", "namespace": NAMESPACE},
        "spec": {"checklist": CHECKLIST, "item": "approval", "action": "Approve", "release": "v2",
                 "reason": "looks fine", "signer": {"username": "alice", "groups": ["cto"]}}
    });
    let output = plane.kubectl("carol", &["create", "-f", "-"], Some(&forged.to_string()));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("admission webhook \"signoffs.readygate.io\" denied the request"), "{stderr}");
    assert!(stderr.contains("spec.signer.username is \"alice\" but the request is made by \"carol\""), "{stderr}");

    let reason = "release plan reviewed";
    let args = ["signoff", CHECKLIST, "approval", "--reason", reason, "-n", NAMESPACE];
    let dry = readygate_cli(plane, "carol", &[&args[..], &["--dry-run"]].concat());
    assert!(dry.status.success(), "{}", text(&dry));
    let none = plane.kubectl_ok("admin", &["get", "readinesssignoffs", "-n", NAMESPACE, "-o", "name"], None);
    assert_eq!(none.trim(), "", "a dry run stores nothing");

    let signed = readygate_cli(plane, "carol", &args);
    assert!(signed.status.success(), "{}", text(&signed));
    let stored = plane.kubectl_ok("admin", &["get", "readinesssignoffs", "-n", NAMESPACE, "-o", "json"], None);
    let stored: Value = serde_json::from_str(&stored).expect("JSON");
    let signer = &stored["items"][0]["spec"]["signer"];
    assert_eq!(signer["username"], "carol", "{stored}");
    // The groups SelfSubjectReview reports: the token's, plus the one every authenticated user has.
    assert_eq!(signer["groups"], json!(["cto", "system:authenticated"]), "{stored}");

    let status = status_when(admin, readygate, |s| {
        s["items"].as_array().into_iter().flatten().any(|i| i["name"] == "approval" && i["state"] == "Passed")
    })
    .await;
    assert_eq!(status["decision"], "Go");
}

/// The checklist's status once `wanted` holds.
async fn status_when(admin: &kube::Client, readygate: &Readygate, wanted: impl Fn(&Value) -> bool) -> Value {
    let wanted = &wanted;
    eventually(
        FOLLOWS,
        "the expected status",
        || readygate.log(),
        || async move {
            let status = shop::stored(admin, NAMESPACE).await["status"].clone();
            wanted(&status).then_some(status)
        },
    )
    .await
}

/// The readygate binary as a user runs it, with `identity`'s kubeconfig.
fn readygate_cli(plane: &ControlPlane, identity: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_readygate"))
        .args(args)
        .env("KUBECONFIG", plane.kubeconfig(identity))
        .env_remove("POD_NAMESPACE")
        .output()
        .expect("running readygate")
}

fn text(output: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}
