use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;
use serde_json::json;

use super::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn namespace(name: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut all = labels(extra);
    all.insert(NAME_LABEL.to_owned(), name.to_owned());
    all
}

/// deploy/'s default: opted-in namespaces, never the system ones.
fn opt_in() -> LabelSelector {
    serde_json::from_value(json!({
        "matchLabels": {"readygate.io/gate": "enabled"},
        "matchExpressions": [{"key": NAME_LABEL, "operator": "NotIn", "values": ["kube-system", "readygate-system"]}]
    }))
    .expect("selector")
}

fn webhook(selector: Option<LabelSelector>) -> WorkloadsWebhook {
    WorkloadsWebhook { namespace_selector: selector, failure_policy: "Fail".to_owned() }
}

#[test]
fn an_opted_in_namespace_is_wired_and_another_is_told_how_to_opt_in() {
    let hook = webhook(Some(opt_in()));
    let shop = namespace("shop", &[("readygate.io/gate", "enabled")]);
    assert_eq!(judge("readygate", Some(&hook), "shop", &shop), Judgement::Wired { fails_open: false });
    let other = namespace("other", &[]);
    assert_eq!(
        judge("readygate", Some(&hook), "other", &other),
        Judgement::NotSelected {
            selector: "readygate.io/gate=enabled,kubernetes.io/metadata.name notin (kube-system,readygate-system)"
                .to_owned(),
            fix: Some("kubectl label namespace other readygate.io/gate=enabled".to_owned()),
        }
    );
}

#[test]
fn a_wrong_value_is_overwritten_and_a_system_namespace_cannot_be_opted_in() {
    let hook = webhook(Some(opt_in()));
    let disabled = namespace("shop", &[("readygate.io/gate", "disabled")]);
    let Judgement::NotSelected { fix, .. } = judge("readygate", Some(&hook), "shop", &disabled) else {
        panic!("not selected")
    };
    assert_eq!(fix.as_deref(), Some("kubectl label namespace shop readygate.io/gate=enabled --overwrite"));
    let system = namespace("kube-system", &[("readygate.io/gate", "enabled")]);
    let Judgement::NotSelected { fix, .. } = judge("readygate", Some(&hook), "kube-system", &system) else {
        panic!("not selected")
    };
    assert_eq!(fix, None, "no label opts in a namespace excluded by name");
}

#[test]
fn the_cluster_wide_selector_and_an_absent_one_select_every_other_namespace() {
    let cluster_wide: LabelSelector = serde_json::from_value(json!({"matchExpressions": [
        {"key": NAME_LABEL, "operator": "NotIn", "values": ["kube-system", "readygate-system"]}]}))
    .expect("selector");
    let hook = webhook(Some(cluster_wide));
    assert!(matches!(judge("readygate", Some(&hook), "shop", &namespace("shop", &[])), Judgement::Wired { .. }));
    assert!(matches!(
        judge("readygate", Some(&hook), "kube-system", &namespace("kube-system", &[])),
        Judgement::NotSelected { fix: None, .. }
    ));
    let everything = WorkloadsWebhook { namespace_selector: None, failure_policy: "Ignore".to_owned() };
    assert_eq!(judge("gate", Some(&everything), "x", &namespace("x", &[])), Judgement::Wired { fails_open: true });
}

#[test]
fn no_webhook_names_what_is_missing() {
    assert_eq!(
        judge("gate-readygate", None, "shop", &BTreeMap::new()),
        Judgement::NoWebhook {
            missing: "ValidatingWebhookConfiguration gate-readygate with webhook workloads.readygate.io".to_owned()
        }
    );
}

#[test]
fn every_operator_gets_the_least_change_and_the_result_is_proven_by_the_selector() {
    let requirement = |key: &str, operator: &str, values: Option<Vec<&str>>| LabelSelectorRequirement {
        key: key.to_owned(),
        operator: operator.to_owned(),
        values: values.map(|v| v.into_iter().map(str::to_owned).collect()),
    };
    let selector = LabelSelector {
        match_labels: None,
        match_expressions: Some(vec![
            requirement("tier", "In", Some(vec!["prod", "staging"])),
            requirement("gated", "Exists", None),
            requirement("legacy", "DoesNotExist", None),
            requirement("team", "NotIn", Some(vec!["sandbox"])),
        ]),
    };
    let current = namespace("shop", &[("legacy", "yes"), ("team", "sandbox"), ("tier", "dev")]);
    let command = label_command(&selector, "shop", &current).expect("fixable");
    assert_eq!(command, "kubectl label namespace shop gated=true tier=prod legacy- team- --overwrite");
}

#[test]
fn contradictory_requirements_have_no_fix() {
    let selector: LabelSelector = serde_json::from_value(json!({
        "matchLabels": {"a": "x"},
        "matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["x"]}]
    }))
    .expect("selector");
    assert_eq!(label_command(&selector, "shop", &namespace("shop", &[])), None);
}

#[test]
fn an_invalid_selector_makes_wiring_unreadable() {
    let selector: LabelSelector =
        serde_json::from_value(json!({"matchExpressions": [{"key": "a", "operator": "Near"}]})).expect("selector");
    let judged = judge("readygate", Some(&webhook(Some(selector))), "shop", &namespace("shop", &[]));
    assert!(matches!(&judged, Judgement::Unreadable { reason } if reason.contains("Near")), "{judged:?}");
}

#[test]
fn the_workloads_webhook_is_found_by_name() {
    let configuration: ValidatingWebhookConfiguration = serde_json::from_value(json!({
        "metadata": {"name": "readygate"},
        "webhooks": [
            {"name": "signoffs.readygate.io", "sideEffects": "None", "admissionReviewVersions": ["v1"],
             "clientConfig": {}},
            {"name": WORKLOADS_WEBHOOK, "sideEffects": "None", "admissionReviewVersions": ["v1"], "clientConfig": {},
             "namespaceSelector": {"matchLabels": {"readygate.io/gate": "enabled"}}}
        ]
    }))
    .expect("configuration");
    let found = workloads_webhook(&configuration).expect("found");
    assert_eq!(found.failure_policy, "Fail", "the API's default");
    assert_eq!(found.namespace_selector.and_then(|s| s.match_labels).map(|l| l.len()), Some(1));
    let without: ValidatingWebhookConfiguration =
        serde_json::from_value(json!({"metadata": {"name": "readygate"}})).expect("configuration");
    assert_eq!(workloads_webhook(&without), None);
}
