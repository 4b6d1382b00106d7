//! The wiring view and the `GateWired` condition, Event and metric it drives.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::json;

use super::condition::{EVENT_NOT_WIRED, EVENT_WIRED, REASON_NOT_SELECTED, REASON_SELECTED};
use super::*;
use crate::api::Decision;

fn checklist(namespace: &str, gate: Option<serde_json::Value>) -> ReadinessChecklist {
    let mut spec = json!({"items": [{"name": "x", "check": {"manual": {"approvers": {"users": ["a"]}}}}]});
    if let Some(gate) = gate {
        spec["gate"] = gate;
    }
    serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": namespace, "generation": 3}, "spec": spec
    }))
    .expect("valid checklist")
}

fn enforce() -> Option<serde_json::Value> {
    Some(json!({"selector": {"matchLabels": {"app": "api"}}, "enforcement": "Enforce"}))
}

fn opt_in() -> WorkloadsWebhook {
    let selector: LabelSelector =
        serde_json::from_value(json!({"matchLabels": {"readygate.io/gate": "enabled"}})).expect("selector");
    WorkloadsWebhook { namespace_selector: Some(selector), failure_policy: "Fail".to_owned() }
}

/// A view that has listed `namespaces` (name, opted in) and the opt-in webhook.
fn listed(namespaces: &[(&str, bool)]) -> Arc<Wiring> {
    let (wiring, _changes) = Wiring::new("readygate");
    {
        let mut state = wiring.write();
        state.webhook = Listing::Listed(Some(opt_in()));
        state.namespaces = Listing::Listed(
            namespaces
                .iter()
                .map(|(name, opted_in)| {
                    let mut labels = BTreeMap::from([("kubernetes.io/metadata.name".to_owned(), (*name).to_owned())]);
                    if *opted_in {
                        labels.insert("readygate.io/gate".to_owned(), "enabled".to_owned());
                    }
                    ((*name).to_owned(), labels)
                })
                .collect(),
        );
    }
    wiring
}

fn metrics() -> (prometheus_client::registry::Registry, Metrics) {
    let mut registry = crate::metrics::registry();
    let metrics = Metrics::new(&mut registry);
    (registry, metrics)
}

fn gate_wired(status: &ReadinessChecklistStatus) -> Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    status.conditions.iter().find(|c| c.type_ == CONDITION_GATE_WIRED)
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).expect("time")
}

#[test]
fn nothing_is_judged_before_both_watches_listed() {
    let (wiring, _changes) = Wiring::new("readygate");
    assert_eq!(wiring.judge("shop"), None);
    wiring.write().webhook = Listing::Listed(Some(opt_in()));
    assert_eq!(wiring.judge("shop"), None, "namespaces not listed yet");
    wiring.write().webhook = Listing::Listed(None);
    assert!(matches!(wiring.judge("shop"), Some(Judgement::NoWebhook { .. })), "no webhook needs no labels");
    wiring.write().webhook = Listing::Failed("forbidden".to_owned());
    assert_eq!(wiring.judge("shop"), Some(Judgement::Unreadable { reason: "forbidden".to_owned() }));
}

#[test]
fn an_unwired_enforce_gate_is_false_with_the_fix_an_event_once_and_metric_zero() {
    let wiring = listed(&[("shop", false)]);
    let (registry, metrics) = metrics();
    let gated = checklist("shop", enforce());
    let mut next = ReadinessChecklistStatus { decision: Decision::Go, ..Default::default() };
    wiring.settle(&gated, &mut next, None, &metrics, at(100));
    let condition = gate_wired(&next).expect("GateWired");
    assert_eq!((condition.status.as_str(), condition.reason.as_str()), ("False", REASON_NOT_SELECTED));
    assert!(
        condition.message.ends_with("opt the namespace in: kubectl label namespace shop readygate.io/gate=enabled"),
        "{}",
        condition.message
    );
    assert!(condition.message.contains("so this gate (Enforce) is not applied to them"), "{}", condition.message);
    assert_eq!(condition.observed_generation, Some(3));
    let planned = event(None, &next).expect("announced");
    assert!(planned.warning);
    assert_eq!(planned.reason, EVENT_NOT_WIRED);
    assert_eq!(planned.note, condition.message);
    let text = crate::metrics::encode(&registry);
    assert!(text.contains(r#"readygate_gate_wired{namespace="shop",checklist="release"} 0"#), "{text}");

    // Stored, then evaluated again (or by a restarted controller): same condition, no Event.
    let stored = next.clone();
    let mut again = ReadinessChecklistStatus { decision: Decision::Go, ..Default::default() };
    wiring.settle(&gated, &mut again, Some(&stored), &metrics, at(200));
    assert_eq!(gate_wired(&again), gate_wired(&stored), "lastTransitionTime kept");
    assert_eq!(event(Some(&stored), &again), None);
}

#[test]
fn labelling_the_namespace_clears_it_with_a_normal_event() {
    let before = {
        let wiring = listed(&[("shop", false)]);
        let mut status = ReadinessChecklistStatus::default();
        wiring.settle(&checklist("shop", enforce()), &mut status, None, &metrics().1, at(100));
        status
    };
    let wiring = listed(&[("shop", true)]);
    let (registry, metrics) = metrics();
    let mut next = ReadinessChecklistStatus::default();
    wiring.settle(&checklist("shop", enforce()), &mut next, Some(&before), &metrics, at(200));
    let condition = gate_wired(&next).expect("GateWired");
    assert_eq!((condition.status.as_str(), condition.reason.as_str()), ("True", REASON_SELECTED));
    assert_eq!(condition.last_transition_time.0, at(200));
    let planned = event(Some(&before), &next).expect("announced");
    assert!(!planned.warning);
    assert_eq!(planned.reason, EVENT_WIRED);
    let text = crate::metrics::encode(&registry);
    assert!(text.contains(r#"readygate_gate_wired{namespace="shop",checklist="release"} 1"#), "{text}");
    // Wired from the start: nothing to announce.
    assert_eq!(event(None, &next), None);
}

#[test]
fn warn_gates_too_but_audit_and_ungated_checklists_carry_no_condition_or_series() {
    let wiring = listed(&[("shop", false)]);
    let (registry, metrics) = metrics();
    let warn = checklist("shop", Some(json!({"selector": {}, "enforcement": "Warn"})));
    let mut next = ReadinessChecklistStatus::default();
    wiring.settle(&warn, &mut next, None, &metrics, at(1));
    assert!(gate_wired(&next).is_some_and(|c| c.message.contains("this gate (Warn)")));

    let audit = checklist("shop", Some(json!({"selector": {}, "enforcement": "Audit"})));
    let stored = next.clone();
    let mut next = ReadinessChecklistStatus::default();
    wiring.settle(&audit, &mut next, Some(&stored), &metrics, at(2));
    assert_eq!(gate_wired(&next), None, "a gate moved to Audit drops the condition");
    wiring.settle(&checklist("shop", None), &mut next, Some(&stored), &metrics, at(2));
    assert_eq!(gate_wired(&next), None);
    assert!(!crate::metrics::encode(&registry).contains("readygate_gate_wired{"), "no series left");
}

#[test]
fn while_wiring_is_not_listed_the_stored_condition_stays() {
    let stored = {
        let mut status = ReadinessChecklistStatus::default();
        listed(&[("shop", false)]).settle(&checklist("shop", enforce()), &mut status, None, &metrics().1, at(1));
        status
    };
    let (pending, _changes) = Wiring::new("readygate");
    let mut next = ReadinessChecklistStatus::default();
    pending.settle(&checklist("shop", enforce()), &mut next, Some(&stored), &metrics().1, at(50));
    assert_eq!(gate_wired(&next), gate_wired(&stored));
    assert_eq!(event(Some(&stored), &next), None);
}

#[test]
fn only_gating_checklists_of_the_changed_namespace_are_triggered() {
    let all: Vec<Arc<ReadinessChecklist>> = vec![
        Arc::new(checklist("shop", enforce())),
        Arc::new(checklist("shop", Some(json!({"selector": {}, "enforcement": "Audit"})))),
        Arc::new(checklist("other", enforce())),
        Arc::new(checklist("shop", None)),
    ];
    let namespaces = |refs: Vec<ObjectRef<ReadinessChecklist>>| -> Vec<String> {
        refs.into_iter().map(|r| r.namespace.unwrap_or_default()).collect()
    };
    assert_eq!(namespaces(affected(&Scope::Namespace("shop".into()), &all)), ["shop"]);
    assert_eq!(namespaces(affected(&Scope::Everywhere, &all)), ["shop", "other"]);
}
