//! Engine scenarios: decision rule, sign-offs, waivers, status bookkeeping.

use jiff::Timestamp;
use serde_json::json;

use super::*;
use crate::api::{ItemState, ReadinessChecklistStatus};
use crate::checks::ChecklistReads;
use crate::checks::fixtures::{assert_contains, assert_ends_with, assert_starts_with};
use crate::inventory::{Object, kinds};

fn now() -> Timestamp {
    "2026-11-25T10:00:00Z".parse().expect("timestamp")
}

fn checklist(items: serde_json::Value) -> ReadinessChecklist {
    serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": "shop", "generation": 2},
        "spec": {"release": "v1.0.0", "items": items}
    }))
    .expect("valid checklist")
}

fn manual_item(name: &str, severity: &str) -> serde_json::Value {
    json!({"name": name, "severity": severity,
           "check": {"manual": {"approvers": {"users": ["alice"], "groups": ["cto"]}, "validFor": "7d"}}})
}

/// The checklist most sign-off tests use: one Critical manual item, `cto-signoff`.
fn cto_signoff_checklist() -> ReadinessChecklist {
    checklist(json!([manual_item("cto-signoff", "Critical")]))
}

/// A sign-off that approves `cto-signoff`, by `user` in `groups`.
fn approval(name: &str, user: &str, groups: &[&str]) -> Object {
    signoff(name, "cto-signoff", "Approve", user, groups, json!({}))
}

fn signoff(name: &str, item: &str, action: &str, user: &str, groups: &[&str], extra: serde_json::Value) -> Object {
    let mut value = json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessSignoff",
        "metadata": {"name": name, "namespace": "shop", "creationTimestamp": "2026-11-24T10:00:00Z"},
        "spec": {"checklist": "release", "item": item, "action": action, "release": "v1.0.0",
                 "reason": "reviewed", "signer": {"username": user, "groups": groups}}
    });
    if let Some(map) = extra.as_object() {
        for (k, v) in map {
            value["spec"][k] = v.clone();
        }
    }
    Object::from_value(value, None).expect("valid signoff")
}

fn run(checklist: &ReadinessChecklist, objects: Vec<Object>) -> Evaluation {
    evaluate(checklist, &Inventory::from_objects(objects), &Facts::offline(), now())
}

fn state_of(evaluation: &Evaluation, item: &str) -> ItemState {
    evaluation.items.iter().find(|i| i.name == item).expect("item").state
}

#[test]
fn manual_item_without_signoff_is_pending_and_blocks() {
    let e = run(&cto_signoff_checklist(), vec![]);
    assert_eq!(state_of(&e, "cto-signoff"), ItemState::Pending);
    assert_eq!(e.decision, Decision::NoGo);
    assert_eq!(e.blocking, ["cto-signoff"]);
    assert_contains(&e.items[0].message, "user alice or group cto");
}

#[test]
fn approval_by_an_allowed_group_member_passes() {
    let e = run(&cto_signoff_checklist(), vec![approval("s1", "bob", &["cto"])]);
    assert_eq!(state_of(&e, "cto-signoff"), ItemState::Passed);
    assert_eq!(e.decision, Decision::Go);
    assert_contains(&e.items[0].message, "readinesssignoff/s1");
}

#[test]
fn approval_by_someone_else_is_not_counted() {
    let e = run(&cto_signoff_checklist(), vec![approval("s1", "mallory", &["dev"])]);
    assert_eq!(state_of(&e, "cto-signoff"), ItemState::Pending);
    assert_contains(&e.items[0].message, "not an approver");
}

#[test]
fn approval_for_another_release_or_expired_is_ignored() {
    let c = cto_signoff_checklist();
    let other_release = signoff("s1", "cto-signoff", "Approve", "alice", &[], json!({"release": "v0.9.0"}));
    let expired = signoff("s2", "cto-signoff", "Approve", "alice", &[], json!({"expiresAt": "2026-11-25T09:00:00Z"}));
    let e = run(&c, vec![other_release, expired]);
    assert_eq!(state_of(&e, "cto-signoff"), ItemState::Pending);
    assert_eq!(
        e.items[0].message,
        "awaiting sign-off by user alice or group cto; not counted: s1 by alice (for release v0.9.0), \
         s2 by alice (expired at 2026-11-25T09:00:00Z)"
    );
}

#[test]
fn waivers_for_another_release_or_expired_are_ignored() {
    let c = checklist(json!([{
        "name": "k8s", "severity": "Critical", "waivableBy": {"groups": ["platform-leads"]},
        "check": {"checklist": {"name": "missing"}}
    }]));
    let expired =
        signoff("w", "k8s", "Waive", "carol", &["platform-leads"], json!({"expiresAt": "2026-11-25T09:00:00Z"}));
    assert_eq!(state_of(&run(&c, vec![expired]), "k8s"), ItemState::Failed);
    let other = signoff("w", "k8s", "Waive", "carol", &["platform-leads"], json!({"release": "v2"}));
    assert_eq!(state_of(&run(&c, vec![other]), "k8s"), ItemState::Failed);
}

#[test]
fn an_approval_without_creation_time_cannot_prove_it_is_within_valid_for() {
    let c = cto_signoff_checklist();
    let mut manifest = approval("s1", "alice", &[]);
    if let Some(metadata) = manifest.data["metadata"].as_object_mut() {
        metadata.remove("creationTimestamp");
    }
    // One that is not RFC 3339 is none either, as the JSON read made it before the typed view.
    let mut undated = manifest.clone();
    undated.data["metadata"]["creationTimestamp"] = json!("last tuesday");
    for manifest in [manifest, undated] {
        let e = run(&c, vec![manifest]);
        assert_eq!(state_of(&e, "cto-signoff"), ItemState::Pending);
        assert!(e.items[0].message.ends_with("s1 by alice (no creationTimestamp to hold against validFor 7d)"));
    }
}

/// A spec the API type cannot read makes no sign-off at all, not even one listed as not
/// counted, as before the typed view.
#[test]
fn a_signoff_whose_spec_cannot_be_read_is_none() {
    let c = checklist(json!([manual_item("cto-signoff", "Critical")]));
    let vetoed = signoff("s1", "cto-signoff", "Veto", "alice", &[], json!({}));
    let mut unsigned = signoff("s2", "cto-signoff", "Approve", "alice", &[], json!({}));
    unsigned.data["spec"]["signer"] = json!("alice");
    let e = run(&c, vec![vetoed, unsigned]);
    assert_eq!(state_of(&e, "cto-signoff"), ItemState::Pending);
    assert_eq!(e.items[0].message, "awaiting sign-off by user alice or group cto");
}

#[test]
fn approval_older_than_valid_for_is_ignored() {
    let c = cto_signoff_checklist();
    let mut old = approval("s1", "alice", &[]);
    old.data["metadata"]["creationTimestamp"] = json!("2026-11-01T00:00:00Z");
    let e = run(&c, vec![old]);
    assert_eq!(state_of(&e, "cto-signoff"), ItemState::Pending);
    assert_contains(&e.items[0].message, "older than 7d");
}

#[test]
fn waiver_by_waivable_by_member_turns_failure_into_waived() {
    let c = checklist(json!([{
        "name": "k8s", "severity": "Critical", "waivableBy": {"groups": ["platform-leads"]},
        "check": {"checklist": {"name": "missing"}}
    }]));
    assert_eq!(run(&c, vec![]).decision, Decision::NoGo);
    let waived = run(&c, vec![signoff("w", "k8s", "Waive", "carol", &["platform-leads"], json!({}))]);
    assert_eq!(state_of(&waived, "k8s"), ItemState::Waived);
    assert_eq!(waived.decision, Decision::Go);
    let not_allowed = run(&c, vec![signoff("w", "k8s", "Waive", "dave", &["dev"], json!({}))]);
    assert_eq!(state_of(&not_allowed, "k8s"), ItemState::Failed);
}

/// Two manual items (Critical `cto-signoff`, High `ops-signoff`) and a waivable Critical item
/// `k8s` whose check fails (it requires a missing checklist).
fn manual_and_waivable_checklist() -> ReadinessChecklist {
    checklist(json!([
        manual_item("cto-signoff", "Critical"),
        manual_item("ops-signoff", "High"),
        {"name": "k8s", "severity": "Critical", "waivableBy": {"groups": ["platform-leads"]},
         "check": {"checklist": {"name": "missing"}}}
    ]))
}

/// For that checklist: an approval of `cto-signoff` that counts, one of `ops-signoff` by a
/// non-approver that does not, and a waiver of `k8s` by a platform lead, until 2026-12-01.
fn mixed_signoffs() -> Vec<Object> {
    vec![
        approval("s1", "bob", &["cto"]),
        signoff("s2", "ops-signoff", "Approve", "mallory", &["dev"], json!({})),
        signoff("w", "k8s", "Waive", "carol", &["platform-leads"], json!({"expiresAt": "2026-12-01T00:00:00Z"})),
    ]
}

#[test]
fn the_evaluation_carries_its_time_and_the_signoffs_that_counted() {
    let c = manual_and_waivable_checklist();
    let e = run(&c, mixed_signoffs());
    assert_eq!(e.evaluated_at, Some(now()));
    let counted: Vec<(&str, &str, SignoffAction)> =
        e.signoffs.iter().map(|s| (s.object.as_str(), s.signer.as_str(), s.action)).collect();
    assert_eq!(counted, [("s1", "bob", SignoffAction::Approve), ("w", "carol", SignoffAction::Waive)]);
    assert_eq!(e.signoffs[0].signed_at, Some("2026-11-24T10:00:00Z".parse().expect("timestamp")));
    assert_eq!(e.signoffs[1].expires_at, Some("2026-12-01T00:00:00Z".parse().expect("timestamp")));
    assert_eq!(e.signoffs[1].reason, "reviewed");
}

#[test]
fn signoff_records_from_stored_states_are_those_the_evaluation_counts() {
    let c = manual_and_waivable_checklist();
    let objects = mixed_signoffs();
    let evaluated = run(&c, objects.clone());
    let inventory = Inventory::from_objects(objects);
    let failed = |_: &str| false;
    assert_eq!(signoff_records(&c, &inventory, now(), &failed), evaluated.signoffs);
    // A waiver is only recorded for an item whose own check did not pass, as evaluate does.
    let records = signoff_records(&c, &inventory, now(), &|item| item == "k8s");
    let objects: Vec<&str> = records.iter().map(|s| s.object.as_str()).collect();
    assert_eq!(objects, ["s1"]);
}

#[test]
fn waiver_without_waivable_by_is_never_honoured() {
    let c = checklist(json!([{"name": "k8s", "severity": "Critical", "check": {"checklist": {"name": "missing"}}}]));
    let e = run(&c, vec![signoff("w", "k8s", "Waive", "root", &["system:masters"], json!({}))]);
    assert_eq!(state_of(&e, "k8s"), ItemState::Failed);
}

#[test]
fn a_waivable_item_reads_sign_offs_and_says_so() {
    let item = |waivable: bool| {
        let mut item = json!({"name": "quota", "check": {"resourceQuota": {"requireLimitRange": true}}});
        if waivable {
            item["waivableBy"] = json!({"groups": ["platform-leads"]});
        }
        item
    };
    // A waiver for the failing item: whether it counts depends on sign-offs being read.
    let objects = vec![signoff("w", "quota", "Waive", "carol", &["platform-leads"], json!({}))];
    for waivable in [true, false] {
        let c = checklist(json!([item(waivable)]));
        // Live, the evaluation sees only the kinds the checklist's reads list: it must come out the same.
        let listed = ChecklistReads::of(&c).keys;
        let only_listed: Vec<Object> = objects.iter().filter(|o| listed.contains(&o.kind_key)).cloned().collect();
        let (whole, live) = (run(&c, objects.clone()), run(&c, only_listed));
        assert_eq!(state_of(&live, "quota"), state_of(&whole, "quota"), "waivable {waivable}: reads {listed:?}");
        let expected = if waivable { ItemState::Waived } else { ItemState::Failed };
        assert_eq!(state_of(&whole, "quota"), expected);
        assert_eq!(listed.contains(&kinds::SIGNOFF.into()), waivable);
    }
    let manual = checklist(json!([manual_item("cto", "Critical")]));
    assert!(ChecklistReads::of(&manual).keys.contains(&kinds::SIGNOFF.into()));
}

#[test]
fn only_critical_items_decide() {
    let c = checklist(json!([
        {"name": "version", "severity": "Critical", "check": {"kubernetesVersion": {"atLeast": "1.28"}}},
        manual_item("docs", "Low"),
    ]));
    let facts = Facts { server_version: Some("1.30.0".parse().expect("version")), ..Facts::offline() };
    let e = evaluate(&c, &Inventory::new(), &facts, now());
    assert_eq!(e.decision, Decision::Go);
    assert_eq!(e.summary.pending, 1);
    assert!(e.blocking.is_empty());
}

#[test]
fn skipped_critical_item_makes_the_decision_unknown() {
    let c = checklist(
        json!([{"name": "version", "severity": "Critical", "check": {"kubernetesVersion": {"atLeast": "1.28"}}}]),
    );
    let e = run(&c, vec![]);
    assert_eq!(e.decision, Decision::Unknown);
    assert_eq!(e.blocking, ["version"]);
}

#[test]
fn failed_beats_unknown_in_the_decision() {
    let c = checklist(json!([
        {"name": "version", "severity": "Critical", "check": {"kubernetesVersion": {"atLeast": "1.28"}}},
        manual_item("cto", "Critical"),
    ]));
    assert_eq!(run(&c, vec![]).decision, Decision::NoGo);
}

#[test]
fn messages_are_bounded_on_a_char_boundary() {
    let long = "é".repeat(2000);
    let bounded = bound_message(long);
    assert!(bounded.len() <= MAX_MESSAGE_BYTES);
    assert_ends_with(&bounded, "…");
    assert_eq!(bound_message("short".to_owned()), "short");
}

#[test]
fn checklist_references_see_fresh_decisions_and_cycles_are_errors() {
    let mut base =
        checklist(json!([{"name": "ok", "severity": "Critical", "check": {"kubernetesVersion": {"atLeast": "1.0"}}}]));
    base.metadata.name = Some("base".to_owned());
    let top = checklist(json!([{"name": "base-go", "severity": "Critical", "check": {"checklist": {"name": "base"}}}]));
    let facts = Facts { server_version: Some("1.30.0".parse().expect("version")), ..Facts::offline() };
    let results = evaluate_all(&[top.clone(), base], &Inventory::new(), &facts, now());
    assert_eq!(results[0].name, "release");
    assert_eq!(results[0].decision, Decision::Go);

    let mut a = checklist(json!([{"name": "b", "severity": "Critical", "check": {"checklist": {"name": "b"}}}]));
    a.metadata.name = Some("a".to_owned());
    let mut b = checklist(json!([{"name": "a", "severity": "Critical", "check": {"checklist": {"name": "a"}}}]));
    b.metadata.name = Some("b".to_owned());
    let results = evaluate_all(&[a, b], &Inventory::new(), &facts, now());
    assert!(results.iter().any(|r| r.items[0].state == ItemState::Error && r.items[0].message.contains("cycle")));
}

#[test]
fn a_referenced_checklist_says_which_of_its_items_make_it_unknown() {
    let mut base = checklist(json!([
        {"name": "version", "severity": "Critical", "check": {"kubernetesVersion": {"atLeast": "1.28"}}},
        {"name": "minor", "severity": "Low", "check": {"kubernetesVersion": {"atLeast": "1.28"}}}]));
    base.metadata.name = Some("base".to_owned());
    let results = evaluate_all(&[requiring("top", &["base"]), base], &Inventory::new(), &Facts::offline(), now());
    assert_eq!(results[1].decision, Decision::Unknown);
    let message = &results[0].items[0].message;
    assert_eq!(results[0].items[0].state, ItemState::Error);
    assert_starts_with(message, "readinesschecklist/base is Unknown: item version is Skipped (");
    assert!(!message.contains("minor"), "only critical items decide: {message}");
}

/// `name` requiring each checklist of `requires` to be Go.
fn requiring(name: &str, requires: &[&str]) -> ReadinessChecklist {
    let items: Vec<serde_json::Value> = requires
        .iter()
        .map(|r| json!({"name": format!("needs-{r}"), "severity": "Critical", "check": {"checklist": {"name": r}}}))
        .collect();
    let mut c = checklist(json!(items));
    c.metadata.name = Some(name.to_owned());
    c
}

#[test]
fn a_cycle_is_reported_where_it_closes_and_the_rest_follows_from_it() {
    let results =
        evaluate_all(&[requiring("a", &["b"]), requiring("b", &["a"])], &Inventory::new(), &Facts::offline(), now());
    assert_eq!(results[1].items[0].state, ItemState::Error);
    assert_eq!(results[1].items[0].message, "checklist reference cycle through readinesschecklist/a");
    // Evaluated in the same run, so the message says why b is Unknown (this line pinned the old
    // "not evaluated or stale" guess).
    assert_eq!(
        results[0].items[0].message,
        "readinesschecklist/b is Unknown: item needs-a is Error (checklist reference cycle through readinesschecklist/a)"
    );
    let alone = evaluate_all(&[requiring("self", &["self"])], &Inventory::new(), &Facts::offline(), now());
    assert_eq!(alone[0].items[0].message, "checklist reference cycle through readinesschecklist/self");
}

#[test]
fn a_reference_chain_longer_than_any_stack_is_evaluated_in_order() {
    // 17,500 links overflowed the stack when the walk recursed; a regression aborts this test.
    const LINKS: usize = 40_000;
    let names: Vec<String> = (0..LINKS).map(|i| format!("c{i}")).collect();
    let chain: Vec<ReadinessChecklist> = (0..LINKS)
        .map(|i| match names.get(i + 1) {
            Some(next) => requiring(&names[i], &[next.as_str()]),
            None => requiring(&names[i], &[]),
        })
        .collect();
    let results = evaluate_all(&chain, &Inventory::new(), &Facts::offline(), now());
    assert_eq!(results.len(), LINKS);
    assert!(results.iter().all(|r| r.decision == Decision::Go));
    assert_eq!(results[0].items[0].message, "readinesschecklist/c1 is Go");
}

fn evaluated(
    c: &ReadinessChecklist,
    objects: Vec<Object>,
    at: Timestamp,
    previous: Option<&ReadinessChecklistStatus>,
) -> ReadinessChecklistStatus {
    let e = evaluate(c, &Inventory::from_objects(objects), &Facts::offline(), at);
    next_status(previous, &e, c.metadata.generation, at)
}

#[test]
fn transition_times_move_only_on_a_flip() {
    let c = checklist(json!([manual_item("cto", "Critical")]));
    let t0 = now();
    let first = evaluated(&c, vec![], t0, None);
    assert_eq!(first.decision, Decision::NoGo);
    assert_eq!(first.observed_generation, Some(2));
    assert_eq!(first.history.len(), 1);

    let t1 = t0 + jiff::SignedDuration::from_secs(60);
    let same = evaluated(&c, vec![], t1, Some(&first));
    assert_eq!(same.items[0].last_transition_time, first.items[0].last_transition_time);
    assert_eq!(same.conditions[0].last_transition_time, first.conditions[0].last_transition_time);
    assert_eq!(same.history.len(), 1);
    assert!(!status_needs_write(Some(&first), &same, std::time::Duration::from_secs(300), t1));
    assert!(status_needs_write(Some(&first), &same, std::time::Duration::from_secs(30), t1));

    let t2 = t1 + jiff::SignedDuration::from_secs(60);
    let flipped = evaluated(&c, vec![signoff("s", "cto", "Approve", "alice", &[], json!({}))], t2, Some(&same));
    assert_eq!(flipped.decision, Decision::Go);
    assert_eq!(flipped.items[0].last_transition_time, Some(Time(t2)));
    assert_eq!(flipped.conditions[0].status, "True");
    assert_eq!(flipped.conditions[0].last_transition_time, Time(t2));
    assert_eq!(flipped.history.len(), 2);
    assert_eq!(flipped.history[0].decision, Decision::Go);
    assert!(status_needs_write(Some(&same), &flipped, std::time::Duration::from_secs(300), t2));
}

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

#[test]
fn history_keeps_the_last_ten_changes() {
    let c = checklist(json!([manual_item("cto", "Critical")]));
    let approve = || vec![signoff("s", "cto", "Approve", "alice", &[], json!({}))];
    let mut status = evaluated(&c, vec![], now(), None);
    for i in 1..30 {
        let at = now() + jiff::SignedDuration::from_secs(i * 60);
        let objects = if i % 2 == 1 { approve() } else { vec![] };
        status = evaluated(&c, objects, at, Some(&status));
    }
    assert_eq!(status.history.len(), HISTORY_LIMIT);
    assert!(status.history.windows(2).all(|w| w[0].time.0 > w[1].time.0));
}

#[test]
fn readers_treat_old_or_outdated_evaluations_as_unknown() {
    let mut c = checklist(json!([manual_item("cto", "Critical")]));
    assert_eq!(current_decision(&c, now()).0, Decision::Unknown);
    let mut status = evaluated(&c, vec![signoff("s", "cto", "Approve", "alice", &[], json!({}))], now(), None);
    status.decision = Decision::Go;
    c.status = Some(status);
    assert_eq!(current_decision(&c, now()), (Decision::Go, None));
    let later = now() + jiff::SignedDuration::from_secs(11 * 60);
    assert_eq!(current_decision(&c, later).0, Decision::Unknown);
    c.metadata.generation = Some(3);
    let (decision, reason) = current_decision(&c, now());
    assert_eq!(decision, Decision::Unknown);
    assert!(reason.expect("reason").contains("generation 2"));
}
