//! `resource` items judge whole objects, live and offline alike: a rule over a Deployment field no
//! catalogue check reads (the catalogue watches Deployments as a projection), and a custom kind
//! a CRD makes cluster-scoped, found by `readygate check` (from the CRD in the manifests) and by
//! the controller against the API server double (through discovery), with the same verdicts.

mod replica;
mod support;
#[path = "support/whole_objects.rs"]
mod whole_objects;

use std::time::Duration;

use replica::*;
use serde_json::{Value, json};
use whole_objects::{check_offline, tenant, tenant_crd};

const READY: Duration = Duration::from_secs(20);

fn checklist() -> Value {
    whole_objects::checklist("shop")
}

fn deployment(seccomp: &str) -> Value {
    whole_objects::deployment("shop", seccomp)
}

/// `readygate check` of the checklist over `objects` loaded with `-n default` (so only cluster
/// scope brings the Tenant into `shop`'s view): exit code, decision and (item, state) pairs.
fn offline(objects: &[Value]) -> (i32, String, Vec<(String, String)>) {
    let (code, (decision, items)) = check_offline(&checklist(), objects, &["-n", "default"]);
    (code, decision, items)
}

fn all_passed() -> Vec<(String, String)> {
    ["seccomp", "replicas", "tenant"].iter().map(|n| ((*n).to_owned(), "Passed".to_owned())).collect()
}

#[test]
fn offline_a_rule_reads_fields_no_check_reads_and_a_crd_makes_its_kind_cluster_scoped() {
    // The CRD after its object: scope is settled once the whole stream is read.
    let (code, decision, items) = offline(&[deployment("RuntimeDefault"), tenant(), tenant_crd()]);
    assert_eq!((code, decision.as_str()), (0, "Go"), "{items:?}");
    assert_eq!(items, all_passed());

    // Controls: the rule judges the field; without its CRD the Tenant is in `default`, not found.
    let (code, _, items) = offline(&[deployment("Unconfined"), tenant(), tenant_crd()]);
    assert_eq!(code, 1);
    assert_eq!(items[0], ("seccomp".to_owned(), "Failed".to_owned()));
    let (code, _, items) = offline(&[deployment("RuntimeDefault"), tenant()]);
    assert_eq!(code, 1);
    assert_eq!(items[2], ("tenant".to_owned(), "Failed".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_judges_the_same_objects_as_offline() {
    let double = double(false).await;
    double.install_crd(tenant_crd());
    double.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}));
    double.seed(deployment("RuntimeDefault"));
    double.seed(tenant());
    create_checklist(&double, checklist()).await;
    let config = kubeconfig(&double);
    let replica = Replica::start(config.path(), &[]);
    replica.wait_ready(READY).await;
    eventually(&double, &replica, Duration::from_secs(20), "every item judged", |d| {
        checklist_status(d, "shop", "release").is_some_and(|s| states(&s).1.len() == 3)
    })
    .await;
    let status = checklist_status(&double, "shop", "release").expect("status");
    let (decision, items) = states(&status);
    pretty_assertions::assert_eq!(items, all_passed(), "{status:#}\nlog:\n{}", replica.log());
    assert_eq!(decision, "Go");
    let (_, offline_decision, offline_items) = offline(&[deployment("RuntimeDefault"), tenant(), tenant_crd()]);
    assert_eq!((decision, items), (offline_decision, offline_items), "live and offline agree");

    // A change only the whole object shows reaches status: the projection does not carry it.
    double.seed(deployment("Unconfined"));
    eventually(&double, &replica, Duration::from_secs(10), "the seccomp item fails", |d| {
        item_state(d, "shop", "release", "seccomp").as_deref() == Some("Failed")
    })
    .await;
    assert_eq!(item_state(&double, "shop", "release", "replicas").as_deref(), Some("Passed"));
}
