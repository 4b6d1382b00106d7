//! The gate as the real kube-apiserver calls it (tests/support/cluster): deploy/'s
//! ValidatingWebhookConfiguration pointed at `readygate run` (as its ServiceAccount, with
//! deploy/'s RBAC), users authenticated by token, `kubectl` as they would run it. What is
//! asserted is what the API server and kubectl answered, and what the API server stored.

#[path = "support/cluster/mod.rs"]
mod cluster;

use std::time::Duration;

use cluster::deploy::{self, WebhookInstalled};
use cluster::readygate::Readygate;
use cluster::shop::{self, CHECKLIST};
use cluster::{ControlPlane, eventually};
use serde_json::Value;

const NAMESPACE: &str = "shop";
/// First start on a loaded machine: every watched kind is listed once.
const READY: Duration = Duration::from_secs(60);
/// The checklist re-evaluates every 2 s; the webhook reads the write from its watch a moment later.
const FOLLOWS: Duration = Duration::from_secs(30);
const WORKLOADS: &str = "path=\"/validate/workloads\"";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_server_calls_the_gate_and_honours_its_answer() {
    let plane = cluster::shared();
    deploy::install_rbac(plane, &[]);
    let readygate = Readygate::start(plane, "readygate", &["--leader-namespace=readygate-system"]);
    readygate.wait_ready(READY).await;
    let _webhook = WebhookInstalled::apply(plane, &deploy::webhook_configuration(plane, &readygate));
    // The checklist itself passes through readygate's /validate/checklists on its way in.
    shop::seed(plane, NAMESPACE, 2);
    let admin = &plane.client("admin").await;
    let log = || format!("readygate log:\n{}\n{}", readygate.log(), plane.logs());

    eventually(FOLLOWS, "the controller writes NoGo", log, || async move {
        (shop::decision(admin, NAMESPACE).await.as_deref() == Some("NoGo")).then_some(())
    })
    .await;

    // NoGo: alice's apply is refused, and kubectl shows readygate's message.
    let web = &shop::deployment(NAMESPACE, "web", "v2", None);
    let refused = eventually(FOLLOWS, "the webhook denies as NoGo", log, || async move {
        let output = plane.kubectl("alice", &["apply", "-f", "-"], Some(web));
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (!output.status.success() && stderr.contains(" is NoGo")).then_some(stderr)
    })
    .await;
    assert!(refused.contains("admission webhook \"workloads.readygate.io\" denied the request"), "{refused}");
    assert!(refused.contains("deployment/web may not roll out"), "{refused}");
    assert!(refused.contains(&format!("readinesschecklist {NAMESPACE}/{CHECKLIST} is NoGo; blocking: autoscaling")));
    assert_eq!(deployment(plane, "web"), None, "nothing was stored");

    dry_run_has_no_side_effects(plane, &readygate).await;
    let hotfix = shop::deployment(NAMESPACE, "hotfix", "v2", Some("INC-7 hotfix"));
    let output = plane.kubectl("alice", &["apply", "-f", "-"], Some(&hotfix));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "alice is not in sre-oncall");
    let not_honoured =
        "the readygate.io/override annotation was not honoured: user alice is not in the override groups";
    assert!(stderr.contains(not_honoured), "{stderr}");
    assert_eq!(deployment(plane, "hotfix"), None);

    // Fixed: the HPA now has min 3, the controller writes Go, and the same apply succeeds.
    shop::set_hpa_min(plane, NAMESPACE, 3);
    eventually(FOLLOWS, "the controller writes Go", log, || async move {
        (shop::decision(admin, NAMESPACE).await.as_deref() == Some("Go")).then_some(())
    })
    .await;
    let applied = eventually(FOLLOWS, "the webhook admits once Go", log, || async move {
        let output = plane.kubectl("alice", &["apply", "-f", "-"], Some(web));
        output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    })
    .await;
    assert_eq!(applied.trim(), "deployment.apps/web created");
    assert!(deployment(plane, "web").is_some());

    only_template_changes_reach_the_webhook(plane, &readygate).await;

    // NoGo again (web exists; its HPA is back at min 2): a template change of web is refused,
    // and only an override group member gets a Deployment through.
    shop::set_hpa_min(plane, NAMESPACE, 2);
    eventually(FOLLOWS, "the controller writes NoGo again", log, || async move {
        (shop::decision(admin, NAMESPACE).await.as_deref() == Some("NoGo")).then_some(())
    })
    .await;
    let image = "web=registry.example/web:v4";
    let refused = eventually(FOLLOWS, "a template change is refused while NoGo", log, || async move {
        let output = plane.kubectl("alice", &["set", "image", "deployment/web", "-n", NAMESPACE, image], None);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (!output.status.success() && stderr.contains(" is NoGo")).then_some(stderr)
    })
    .await;
    assert!(refused.contains("deployment/web may not roll out"), "{refused}");
    an_override_group_member_gets_through(plane, &readygate, &hotfix).await;
}

/// `--dry-run=server` with an honoured override: allowed, but nothing stored and no Event.
async fn dry_run_has_no_side_effects(plane: &ControlPlane, readygate: &Readygate) {
    let overridden = shop::deployment(NAMESPACE, "web", "v2", Some("INC-7 hotfix"));
    let before = readygate.metric("readygate_admission_requests_total", &[WORKLOADS]).await;
    let output = plane.kubectl("bob", &["apply", "--dry-run=server", "-f", "-"], Some(&overridden));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.trim(), "deployment.apps/web created (server dry run)");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("readygate override by bob honoured"),
        "kubectl shows the webhook's warning: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let after = readygate.metric("readygate_admission_requests_total", &[WORKLOADS]).await;
    assert_eq!(after, before + 1.0, "the dry run did reach the webhook");
    assert_eq!(deployment(plane, "web"), None, "a dry run stores nothing");
    assert_eq!(override_events(plane), Vec::<String>::new(), "a dry run records no override Event");
    assert_eq!(readygate.metric("readygate_admission_overrides_total", &[]).await, 0.0);
}

/// bob (sre-oncall) overrides the NoGo gate, kubectl shows the webhook's warning, and an
/// AdmissionOverridden Event on the checklist records who and why.
async fn an_override_group_member_gets_through(plane: &ControlPlane, readygate: &Readygate, hotfix: &str) {
    let output = plane.kubectl("bob", &["apply", "-f", "-"], Some(hotfix));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "bob overrides: {stderr}");
    assert!(stderr.contains("readygate override by bob honoured"), "{stderr}");
    assert!(deployment(plane, "hotfix").is_some());
    let events = eventually(
        FOLLOWS,
        "the override Event",
        || readygate.log(),
        || async move {
            let events = override_events(plane);
            (!events.is_empty()).then_some(events)
        },
    )
    .await;
    assert!(events.iter().any(|e| e.contains("bob") && e.contains("INC-7 hotfix")), "{events:?}");
    assert_eq!(readygate.metric("readygate_admission_overrides_total", &[]).await, 1.0);
}

/// `kubectl scale` and a label-only change are not sent to the webhook (matchConditions, and
/// the rules not naming deployments/scale); a pod template change is.
async fn only_template_changes_reach_the_webhook(plane: &ControlPlane, readygate: &Readygate) {
    let requests = || readygate.metric("readygate_admission_requests_total", &[WORKLOADS]);
    let before = requests().await;
    plane.kubectl_ok("alice", &["scale", "deployment/web", "-n", NAMESPACE, "--replicas=5"], None);
    plane.kubectl_ok("alice", &["label", "deployment/web", "-n", NAMESPACE, "tier=frontend"], None);
    plane.kubectl_ok("alice", &["annotate", "deployment/web", "-n", NAMESPACE, "owner=shop-team"], None);
    let stored = deployment(plane, "web").expect("web exists");
    assert_eq!(stored["spec"]["replicas"], 5);
    assert_eq!(stored["metadata"]["labels"]["tier"], "frontend");
    assert_eq!(requests().await, before, "scale, label and annotate did not call the webhook");

    let image = "web=registry.example/web:v3";
    plane.kubectl_ok("alice", &["set", "image", "deployment/web", "-n", NAMESPACE, image], None);
    assert_eq!(requests().await, before + 1.0, "a pod template change called the webhook once");
}

/// Deployment `name` in the shop namespace as stored, `None` when there is none.
fn deployment(plane: &ControlPlane, name: &str) -> Option<Value> {
    let output = plane.kubectl("admin", &["get", "deployment", name, "-n", NAMESPACE, "-o", "json"], None);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("NotFound"), "{stderr}");
        return None;
    }
    Some(serde_json::from_slice(&output.stdout).expect("JSON"))
}

/// The notes of the AdmissionOverridden Events in the shop namespace.
fn override_events(plane: &ControlPlane) -> Vec<String> {
    let events = plane.kubectl_ok(
        "admin",
        &["get", "events.events.k8s.io", "-n", NAMESPACE, "--field-selector=reason=AdmissionOverridden", "-o", "json"],
        None,
    );
    let events: Value = serde_json::from_str(&events).expect("JSON");
    events["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["note"].as_str().unwrap_or_default().to_owned())
        .collect()
}
