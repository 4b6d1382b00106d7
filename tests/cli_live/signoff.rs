//! `readygate signoff`: the signer is who the API server says, the checks before creating, dry runs.

use serde_json::json;

use super::support::Verb;
use super::*;

/// A cluster whose user is alice, an approver of `cto-signoff` on `default/release`.
fn alices_cluster() -> Cluster {
    let cluster = Cluster::new();
    cluster.checklist("default", "release", None);
    cluster.double.set_user("alice", &["cto", "system:authenticated"]);
    cluster
}

#[test]
fn signoff_creates_an_approval_signed_by_the_user_the_api_server_names() {
    let cluster = alices_cluster();
    let (code, stdout, stderr) =
        cluster.readygate(&["signoff", "release", "cto-signoff", "--reason", "reviewed the plan"]);
    assert_eq!(code, 0, "{stderr}");
    let signoffs = cluster.signoffs();
    assert_eq!(signoffs.len(), 1);
    let signoff = &signoffs[0];
    let name = signoff["metadata"]["name"].as_str().expect("a name");
    assert!(name.starts_with("release-cto-signoff-alice-") && name.len() == "release-cto-signoff-alice-".len() + 5);
    assert_eq!(
        signoff["spec"],
        json!({"checklist": "release", "item": "cto-signoff", "action": "Approve", "release": "v1.0.0",
               "reason": "reviewed the plan", "signer": {"username": "alice", "groups": ["cto", "system:authenticated"]}})
    );
    assert_eq!(
        stdout,
        format!(
            "readinesssignoff/{name} created: Approve cto-signoff for release v1.0.0 as alice (groups: cto, system:authenticated)\n"
        )
    );
    let asked = cluster.double.request_log().iter().any(|r| r.is(Verb::Create, "selfsubjectreviews"));
    assert!(asked, "the identity comes from a SelfSubjectReview");
}

#[test]
fn signoff_waives_with_an_expiry_and_the_name_given() {
    let cluster = alices_cluster();
    cluster.double.set_user("bob", &["platform-leads"]);
    let args = ["signoff", "release", "autoscaling", "--action", "Waive", "--reason", "HPA lands next sprint"];
    let (code, stdout, stderr) =
        cluster.readygate(&[&args[..], &["--valid-for", "72h", "--name", "hpa-waiver"]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("readinesssignoff/hpa-waiver created: Waive autoscaling for release v1.0.0 as bob"),
        "{stdout}"
    );
    let signoff =
        cluster.double.get_object(API_VERSION, "ReadinessSignoff", Some("default"), "hpa-waiver").expect("created");
    assert_eq!(signoff["spec"]["action"], "Waive");
    let expires: jiff::Timestamp = signoff["spec"]["expiresAt"].as_str().expect("an expiry").parse().expect("RFC 3339");
    let hours_left = expires.duration_since(jiff::Timestamp::now()).as_secs() / 3600;
    assert!((71..=72).contains(&hours_left), "expires in 72h: {expires}");
}

#[test]
fn signoff_refuses_an_item_the_checklist_lacks() {
    let cluster = alices_cluster();
    let (code, _, stderr) = cluster.readygate(&["signoff", "release", "cto", "--reason", "ok"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("readinesschecklist/release has no item \"cto\" (items: version, cto-signoff, autoscaling)"),
        "{stderr}"
    );
    assert!(cluster.signoffs().is_empty());
}

#[test]
fn signoff_refuses_to_approve_an_item_that_is_not_manual() {
    let cluster = alices_cluster();
    let (code, _, stderr) = cluster.readygate(&["signoff", "release", "version", "--reason", "ok"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("item version of readinesschecklist/release is a kubernetesVersion check, not manual"),
        "{stderr}"
    );
    assert!(cluster.signoffs().is_empty());
}

#[test]
fn signoff_refuses_a_user_who_is_not_an_approver() {
    let cluster = Cluster::new();
    cluster.checklist("default", "release", None);
    let (code, _, stderr) = cluster.readygate(&["signoff", "release", "cto-signoff", "--reason", "ok"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "kubernetes-admin (groups: system:masters, system:authenticated) may not approve item cto-signoff"
        ),
        "{stderr}"
    );
    assert!(cluster.signoffs().is_empty());
}

#[test]
fn signoff_exits_2_when_the_checklist_does_not_exist() {
    let cluster = alices_cluster();
    let (code, _, stderr) =
        cluster.readygate(&["signoff", "-n", "payments", "release", "cto-signoff", "--reason", "ok"]);
    assert_eq!(code, 2);
    assert_eq!(stderr, "readygate: error: readinesschecklist/release not found in namespace payments\n");
}

#[test]
fn signoff_dry_run_creates_nothing() {
    let cluster = alices_cluster();
    let (code, stdout, stderr) =
        cluster.readygate(&["signoff", "release", "cto-signoff", "--reason", "reviewed", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("created (server dry run): Approve cto-signoff for release v1.0.0 as alice"), "{stdout}");
    assert!(cluster.signoffs().is_empty());
    let dry = cluster
        .double
        .request_log()
        .iter()
        .any(|r| r.is(Verb::Create, "readinesssignoffs") && r.query_param("dryRun").as_deref() == Some("All"));
    assert!(dry, "the API server judged it without storing it");
}
