//! `resource` items judge whole objects against the real kube-apiserver (tests/support/cluster),
//! as `readygate check` judges the same objects offline: a rule over a Deployment field no
//! catalogue check reads, and a custom kind its CRD makes cluster-scoped, found through
//! discovery. readygate runs as admin: the install grants no custom kinds (docs/install.md).

#[path = "support/cluster/mod.rs"]
mod cluster;
#[path = "support/whole_objects.rs"]
mod whole_objects;

use std::time::Duration;

use cluster::readygate::Readygate;
use cluster::{eventually, install};
use serde_json::{Value, json};
use whole_objects::{Verdict, check_offline, deployment, tenant, tenant_crd, verdict};

const NAMESPACE: &str = "whole-objects";
const READY: Duration = Duration::from_secs(60);
const EVALUATED: Duration = Duration::from_secs(60);

fn checklist() -> Value {
    let mut checklist = whole_objects::checklist(NAMESPACE);
    checklist["spec"]["reevaluateEvery"] = json!("2s");
    checklist
}

/// The CRD, the Tenant and the Deployment, in the order they are applied.
fn objects(seccomp: &str) -> Vec<Value> {
    vec![tenant_crd(), tenant(), deployment(NAMESPACE, seccomp)]
}

fn states(checklist: &Value) -> Option<Verdict> {
    verdict(checklist.get("status")?)
}

/// `readygate check` over the same objects, as a file set would hold them.
fn offline(seccomp: &str) -> Verdict {
    check_offline(&checklist(), &objects(seccomp), &[]).1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_judges_whole_objects_and_discovered_scope_as_offline_does() {
    let plane = cluster::shared();
    cluster::deploy::install_rbac(plane, &[]);
    install::crds(plane);
    install::namespace(plane, NAMESPACE);
    let stream: String = objects("RuntimeDefault").iter().map(|o| format!("---\n{o}\n")).collect();
    // The CRD first, Established, then what uses it.
    install::apply_ok(plane, "admin", "readygate-tests", &format!("{}\n", objects("RuntimeDefault")[0]));
    plane.kubectl_ok(
        "admin",
        &["wait", "--for=condition=Established", "crd/tenants.example.com", "--timeout=30s"],
        None,
    );
    install::apply_ok(plane, "admin", "readygate-tests", &stream);
    install::apply_ok(plane, "admin", "readygate-tests", &checklist().to_string());

    let readygate = Readygate::start(plane, "admin", &["--leader-namespace=readygate-system"]);
    readygate.wait_ready(READY).await;
    let read = || plane.kubectl_ok("admin", &["get", "rcl", "release", "-n", NAMESPACE, "-o", "json"], None);
    let live = eventually(
        EVALUATED,
        "every item judged Passed",
        || readygate.log(),
        || async {
            let stored: Value = serde_json::from_str(&read()).ok()?;
            states(&stored).filter(|(decision, _)| decision == "Go")
        },
    )
    .await;
    assert_eq!(live, offline("RuntimeDefault"), "live and offline agree");
    assert!(live.1.iter().all(|(_, state)| state == "Passed"), "{live:?}");

    // A field only the whole object carries changes; the item follows.
    install::apply_ok(plane, "admin", "readygate-tests", &format!("{}\n", objects("Unconfined")[2]));
    let live = eventually(
        EVALUATED,
        "the seccomp item fails",
        || readygate.log(),
        || async {
            let stored: Value = serde_json::from_str(&read()).ok()?;
            states(&stored).filter(|(_, items)| items[0].1 == "Failed")
        },
    )
    .await;
    assert_eq!(live, offline("Unconfined"), "live and offline agree");
    readygate.terminate().await;
}
