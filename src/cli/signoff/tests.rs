use jiff::Timestamp;
use serde_json::json;

use super::{Action, SignoffArgs, build_signoff, generate_name};
use crate::api::{ReadinessChecklist, Signer, SignoffAction};
use crate::checks::fixtures::{assert_contains, assert_ends_with, assert_starts_with};
use crate::cli::kube::ClusterArgs;

const NOW: &str = "2026-11-25T10:00:00Z";

fn now() -> Timestamp {
    NOW.parse().expect("valid timestamp")
}

/// `release` (v1.0.0) in novacron: `cto-signoff` (manual, approvers group cto, validFor 7d),
/// `version` (no waivers) and `autoscaling` (waivable by platform-leads).
fn checklist() -> ReadinessChecklist {
    serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1",
        "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": "novacron"},
        "spec": {
            "release": "v1.0.0",
            "items": [
                {"name": "cto-signoff", "severity": "Critical",
                 "check": {"manual": {"approvers": {"groups": ["cto"]}, "validFor": "7d"}}},
                {"name": "version", "check": {"kubernetesVersion": {"atLeast": "1.28"}}},
                {"name": "autoscaling", "waivableBy": {"groups": ["platform-leads"]},
                 "check": {"horizontalPodAutoscaler": {"target": {"kind": "Deployment", "name": "api"}}}},
            ],
        },
    }))
    .expect("a valid checklist")
}

fn args(item: &str, action: Action) -> SignoffArgs {
    SignoffArgs {
        checklist: "release".into(),
        item: item.into(),
        reason: "reviewed the release plan".into(),
        action,
        expires_at: None,
        valid_for: None,
        ticket: None,
        namespace: None,
        name: None,
        dry_run: false,
        cluster: ClusterArgs::default(),
    }
}

fn user(name: &str, groups: &[&str]) -> Signer {
    Signer { username: name.into(), groups: groups.iter().map(|g| g.to_string()).collect() }
}

fn refusal(args: &SignoffArgs, signer: Signer) -> String {
    build_signoff(args, &checklist(), signer, now()).expect_err("refused")
}

#[test]
fn binds_an_approval_to_the_checklists_release_and_the_real_user() {
    let alice = user("alice", &["cto", "system:authenticated"]);
    let signoff =
        build_signoff(&args("cto-signoff", Action::Approve), &checklist(), alice.clone(), now()).expect("an approval");
    assert_eq!(signoff.spec.release.as_deref(), Some("v1.0.0"));
    assert_eq!(signoff.spec.signer, alice);
    assert_eq!(signoff.spec.action, SignoffAction::Approve);
    assert_eq!((signoff.spec.checklist.as_str(), signoff.spec.item.as_str()), ("release", "cto-signoff"));
    assert_eq!(signoff.metadata.namespace.as_deref(), Some("novacron"));
    assert_eq!(signoff.metadata.name, None);
    assert_eq!(signoff.metadata.generate_name.as_deref(), Some("release-cto-signoff-alice-"));
    assert_eq!(signoff.spec.expires_at, None);
}

#[test]
fn uses_the_name_given() {
    let mut args = args("cto-signoff", Action::Approve);
    args.name = Some("cto-v1".into());
    let signoff = build_signoff(&args, &checklist(), user("alice", &["cto"]), now()).expect("an approval");
    assert_eq!(signoff.metadata.name.as_deref(), Some("cto-v1"));
    assert_eq!(signoff.metadata.generate_name, None);
}

#[test]
fn refuses_an_item_the_checklist_lacks_naming_those_it_has() {
    let message = refusal(&args("cto", Action::Approve), user("alice", &["cto"]));
    assert_eq!(message, "readinesschecklist/release has no item \"cto\" (items: cto-signoff, version, autoscaling)");
}

#[test]
fn refuses_to_approve_an_item_that_is_not_manual() {
    let message = refusal(&args("version", Action::Approve), user("alice", &["cto"]));
    assert_contains(&message, "item version of readinesschecklist/release is a kubernetesVersion check, not manual");
    let message = refusal(&args("autoscaling", Action::Approve), user("alice", &["cto"]));
    assert_ends_with(&message, "use --action Waive to waive it");
}

#[test]
fn refuses_to_waive_an_item_without_waivable_by() {
    let message = refusal(&args("version", Action::Waive), user("alice", &["platform-leads"]));
    assert_eq!(message, "item version of readinesschecklist/release has no waivableBy: it cannot be waived");
}

#[test]
fn waives_for_a_member_of_waivable_by() {
    let signoff =
        build_signoff(&args("autoscaling", Action::Waive), &checklist(), user("bob", &["platform-leads"]), now())
            .expect("a waiver");
    assert_eq!(signoff.spec.action, SignoffAction::Waive);
}

#[test]
fn refuses_a_signer_the_item_does_not_admit() {
    let message = refusal(&args("cto-signoff", Action::Approve), user("mallory", &["dev"]));
    assert_eq!(
        message,
        "mallory (groups: dev) may not approve item cto-signoff: only group cto may, so the sign-off would not count"
    );
    let message = refusal(&args("autoscaling", Action::Waive), user("mallory", &[]));
    assert_starts_with(&message, "mallory (no groups) may not waive item autoscaling");
}

#[test]
fn refuses_an_empty_or_overlong_reason() {
    let mut blank = args("cto-signoff", Action::Approve);
    blank.reason = "  ".into();
    assert!(refusal(&blank, user("alice", &["cto"])).starts_with("--reason must say"));
    let mut long = args("cto-signoff", Action::Approve);
    long.reason = "x".repeat(1025);
    assert_eq!(refusal(&long, user("alice", &["cto"])), "--reason is longer than 1024 characters");
}

#[test]
fn expires_after_valid_for_from_now() {
    let mut args = args("cto-signoff", Action::Approve);
    args.valid_for = Some("72h".parse().expect("duration"));
    let signoff = build_signoff(&args, &checklist(), user("alice", &["cto"]), now()).expect("an approval");
    let expected: Timestamp = "2026-11-28T10:00:00Z".parse().expect("timestamp");
    assert_eq!(signoff.spec.expires_at.map(|t| t.0), Some(expected));
}

#[test]
fn refuses_an_expiry_in_the_past() {
    let mut args = args("cto-signoff", Action::Approve);
    args.expires_at = Some("2026-11-01T00:00:00Z".parse().expect("timestamp"));
    let message = refusal(&args, user("alice", &["cto"]));
    assert_eq!(message, "the sign-off would expire at 2026-11-01T00:00:00Z, which is not in the future");
}

#[test]
fn refuses_an_approval_expiring_after_the_items_valid_for() {
    let mut args = args("cto-signoff", Action::Approve);
    args.valid_for = Some("8d".parse().expect("duration"));
    let message = refusal(&args, user("alice", &["cto"]));
    assert_contains(
        &message,
        "later than item cto-signoff allows (approvals count for 7d, until 2026-12-02T10:00:00Z)",
    );
}

#[test]
fn generates_dns_safe_names_from_any_username() {
    assert_eq!(
        generate_name("release", "cto", "system:serviceaccount:ci:deploy"),
        "release-cto-system-serviceaccount-ci-deploy-"
    );
    assert_eq!(generate_name("release", "cto", "Alice@Example.COM"), "release-cto-alice-example-com-");
    assert_eq!(generate_name("release", "cto", "::"), "release-cto-user-");
}

#[test]
fn keeps_generated_names_within_what_the_server_accepts() {
    let name = generate_name(&"c".repeat(60), "item", "alice");
    assert_eq!(name.len(), 58);
    assert_ends_with(&name, "c-");
    let name = generate_name(&format!("{}.v1", "c".repeat(56)), "item", "alice");
    assert_eq!(name, format!("{}-", "c".repeat(56)), "no dot before the suffix");
}
