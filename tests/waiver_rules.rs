//! One table of waivers, three judges: the `/validate/signoffs` webhook at the time of the
//! request, the controller's evaluation function, and `readygate check --at` (the binary). Each
//! case says whether the waiver counts; all three must agree, and the CLI must say why one
//! does not.

use std::sync::Arc;
use std::time::Duration;

use assert_cmd::Command;
use jiff::Timestamp;
use readygate::api::{ItemState, ReadinessChecklist};
use readygate::checks::Facts;
use readygate::controller::evaluator::{Deadline, engine_evaluate};
use readygate::inventory::{Inventory, Object};
use readygate::webhook::admit::{AdmissionInput, signoffs};
use serde_json::{Value, json};

/// When every waiver below was created.
const CREATED: &str = "2026-11-20T10:00:00Z";

/// `hpa` (Critical, failing: no HorizontalPodAutoscaler exists) may be waived by `leads`, for
/// at most 7 days and with a ticket; `cto` is a manual item.
fn checklist() -> Value {
    json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": "shop", "generation": 1},
        "spec": {"release": "v1.0.0", "items": [
            {"name": "hpa", "severity": "Critical", "waivableBy": {"groups": ["leads"]},
             "waiver": {"maxValidity": "7d", "requireTicket": true},
             "check": {"horizontalPodAutoscaler": {"target": {"kind": "Deployment", "name": "api"}}}},
            {"name": "cto", "severity": "Low", "check": {"manual": {"approvers": {"users": ["alice"]}}}}
        ]}
    })
}

/// A waiver `w` by carol (group `leads`) of `hpa`, created at [`CREATED`], changed by `edit`.
fn waiver(edit: impl FnOnce(&mut Value)) -> Value {
    let mut value = json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessSignoff",
        "metadata": {"name": "w", "namespace": "shop", "creationTimestamp": CREATED},
        "spec": {"checklist": "release", "item": "hpa", "action": "Waive", "release": "v1.0.0",
                 "reason": "capacity test next week", "expiresAt": "2026-11-27T10:00:00Z", "ticket": "CHG-4711",
                 "signer": {"username": "carol", "groups": ["leads"]}}
    });
    edit(&mut value);
    value
}

struct Case {
    name: &'static str,
    signoff: Value,
    /// The instant asked about (the request time for the webhook).
    at: &'static str,
    counts: bool,
    /// What the CLI's message says after `waiver not counted: w by carol (`.
    why: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "valid, expiring exactly at maxValidity",
            signoff: waiver(|_| {}),
            at: "2026-11-20T10:00:00Z",
            counts: true,
            why: "",
        },
        Case {
            name: "still valid a day later",
            signoff: waiver(|_| {}),
            at: "2026-11-21T10:00:00Z",
            counts: true,
            why: "",
        },
        Case {
            name: "maxValidity + 1s",
            signoff: waiver(|w| w["spec"]["expiresAt"] = json!("2026-11-27T10:00:01Z")),
            at: "2026-11-20T10:00:00Z",
            counts: false,
            why: "expiresAt 2026-11-27T10:00:01Z is later than 2026-11-27T10:00:00Z, 7d after creation (waiver.maxValidity)",
        },
        Case {
            name: "no expiresAt",
            signoff: waiver(|w| {
                w["spec"].as_object_mut().map(|s| s.remove("expiresAt"));
            }),
            at: "2026-11-20T10:00:00Z",
            counts: false,
            why: "no expiresAt; waivers of this item must expire within 7d (waiver.maxValidity)",
        },
        Case {
            name: "no ticket",
            signoff: waiver(|w| {
                w["spec"].as_object_mut().map(|s| s.remove("ticket"));
            }),
            at: "2026-11-20T10:00:00Z",
            counts: false,
            why: "no ticket; waivers of this item must name one (waiver.requireTicket)",
        },
        Case {
            name: "expired",
            signoff: waiver(|w| w["spec"]["expiresAt"] = json!("2026-11-22T10:00:00Z")),
            at: "2026-11-23T10:00:00Z",
            counts: false,
            why: "expired at 2026-11-22T10:00:00Z",
        },
        Case {
            name: "another release",
            signoff: waiver(|w| w["spec"]["release"] = json!("v0.9.0")),
            at: "2026-11-20T10:00:00Z",
            counts: false,
            why: "for release v0.9.0",
        },
        Case {
            name: "signer outside waivableBy",
            signoff: waiver(|w| w["spec"]["signer"] = json!({"username": "dave", "groups": ["dev"]})),
            at: "2026-11-20T10:00:00Z",
            counts: false,
            why: "not in waivableBy",
        },
    ]
}

/// The webhook: a CREATE of the sign-off by its signer at `at`. Counts = admitted cleanly.
fn webhook(case: &Case) -> (bool, String) {
    let spec = &case.signoff["spec"];
    let request = json!({
        "uid": "b9d1c3a0-0000-4000-8000-000000000001",
        "kind": {"group": "readygate.io", "version": "v1alpha1", "kind": "ReadinessSignoff"},
        "resource": {"group": "readygate.io", "version": "v1alpha1", "resource": "readinesssignoffs"},
        "name": "w", "namespace": "shop", "operation": "CREATE",
        "userInfo": {"username": spec["signer"]["username"], "groups": spec["signer"]["groups"]},
        "object": case.signoff, "oldObject": null, "dryRun": false
    })
    .to_string();
    let input = AdmissionInput::parse(&request).expect("request");
    let checklist: ReadinessChecklist = serde_json::from_value(checklist()).expect("checklist");
    let now: Timestamp = case.at.parse().expect("instant");
    let verdict = signoffs::decide(&input, &vec![Arc::new(checklist)], now);
    (verdict.allowed && verdict.warnings.is_empty(), format!("{} {:?}", verdict.message, verdict.warnings))
}

/// The controller's evaluation function over the same objects.
fn controller(case: &Case) -> (ItemState, String) {
    let checklist: ReadinessChecklist = serde_json::from_value(checklist()).expect("checklist");
    let inventory = Inventory::from_objects([Object::from_value(case.signoff.clone(), None).expect("object")]);
    let now: Timestamp = case.at.parse().expect("instant");
    let evaluation =
        engine_evaluate(&checklist, &inventory, &Facts::live(), now, &Deadline::after(Duration::from_secs(60)))
            .expect("finishes");
    let item = &evaluation.items[0];
    (item.state, item.message.clone())
}

/// `readygate check --at`.
fn cli(case: &Case) -> (ItemState, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("release.yaml");
    let text = format!("{}\n---\n{}\n", checklist(), case.signoff);
    std::fs::write(&path, text).expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_readygate"))
        .args(["check", "-n", "shop", "-o", "json", "--at", case.at, "-f"])
        .arg(&path)
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{}: json ({e}): {}", case.name, String::from_utf8_lossy(&output.stderr)));
    let item = &report[0]["items"][0];
    let state: ItemState = serde_json::from_value(item["state"].clone()).expect("state");
    (state, item["message"].as_str().unwrap_or_default().to_owned())
}

#[test]
fn webhook_controller_and_cli_count_the_same_waivers() {
    for case in cases() {
        let (admitted, said) = webhook(&case);
        let (live, live_message) = controller(&case);
        let (offline, offline_message) = cli(&case);
        let expected = if case.counts { ItemState::Waived } else { ItemState::Failed };
        assert_eq!(admitted, case.counts, "{}: webhook says {said}", case.name);
        assert_eq!(live, expected, "{}: controller: {live_message}", case.name);
        assert_eq!(offline, expected, "{}: check: {offline_message}", case.name);
        // The check's own words differ offline and live (live also says the target is missing);
        // what they say about the waiver may not.
        let about_waiver = |m: &str| m.split_once("; waiver not counted: ").map(|(_, w)| w.to_owned());
        assert_eq!(about_waiver(&live_message), about_waiver(&offline_message), "{}", case.name);
        if !case.counts {
            let wanted = format!(
                "waiver not counted: w by {} ({})",
                case.signoff["spec"]["signer"]["username"].as_str().unwrap_or_default(),
                case.why
            );
            assert!(offline_message.contains(&wanted), "{}: {offline_message}\nwanted: {wanted}", case.name);
        }
    }
}

#[test]
fn a_manual_item_is_never_waived() {
    let waive_cto = waiver(|w| {
        w["spec"]["item"] = json!("cto");
        w["spec"]["signer"] = json!({"username": "alice", "groups": []});
    });
    let case =
        Case { name: "waive a manual item", signoff: waive_cto, at: "2026-11-20T10:00:00Z", counts: false, why: "" };
    let (admitted, said) = webhook(&case);
    assert!(!admitted);
    assert!(said.contains("manual item is approved by one of its approvers, never waived"), "{said}");
    let checklist: ReadinessChecklist = serde_json::from_value(checklist()).expect("checklist");
    let inventory = Inventory::from_objects([Object::from_value(case.signoff.clone(), None).expect("object")]);
    let evaluation =
        readygate::engine::evaluate(&checklist, &inventory, &Facts::live(), case.at.parse().expect("instant"));
    assert_eq!(evaluation.items[1].state, ItemState::Pending);
    assert!(
        evaluation.items[1].message.ends_with("waiver not counted: w by alice (the item has no waivableBy)"),
        "{}",
        evaluation.items[1].message
    );
}
