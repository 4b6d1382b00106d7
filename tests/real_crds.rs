//! The CRDs' CEL rules as the real kube-apiserver evaluates them (tests/support/cluster): for
//! every `x-kubernetes-validations` rule in crds/, one object that breaks it is refused with
//! the rule's message, and the NovaCron example checklist is accepted as it is.

#[path = "support/cluster/mod.rs"]
mod cluster;

use std::path::Path;

use cluster::install;
use kube::api::{Api, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

const NAMESPACE: &str = "cel-rules";

fn checklists(client: kube::Client, namespace: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("readygate.io", "v1alpha1", "ReadinessChecklist");
    Api::namespaced_with(client, namespace, &ApiResource::from_gvk(&gvk))
}

fn signoffs(client: kube::Client, namespace: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("readygate.io", "v1alpha1", "ReadinessSignoff");
    Api::namespaced_with(client, namespace, &ApiResource::from_gvk(&gvk))
}

/// A checklist named `name` with one Critical item checking `check`, merged with `spec`.
fn checklist(name: &str, check: Value, spec: Value) -> DynamicObject {
    let mut object = json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"release": "v1", "items": [{"name": "the-item", "severity": "Critical", "check": check}]}
    });
    if let Value::Object(extra) = spec {
        for (key, value) in extra {
            object["spec"][key] = value;
        }
    }
    serde_json::from_value(object).expect("a DynamicObject")
}

/// A checklist whose one item checks `check` and carries the item fields `fields`.
fn item_with(name: &str, check: Value, fields: Value) -> DynamicObject {
    let mut object = checklist(name, check, json!({}));
    merge(&mut object.data["spec"]["items"][0], fields);
    object
}

const WEB: &str = "web";

fn selector() -> Value {
    json!({"matchLabels": {"app": "web"}})
}

fn hpa(extra: Value) -> Value {
    let mut check = json!({"target": {"kind": "Deployment", "name": WEB}});
    merge(&mut check, extra);
    json!({"horizontalPodAutoscaler": check})
}

fn workload(extra: Value) -> Value {
    let mut check = json!({"target": {"kind": "Deployment", "name": WEB}});
    merge(&mut check, extra);
    json!({"workload": check})
}

fn merge(into: &mut Value, extra: Value) {
    if let Value::Object(extra) = extra {
        for (key, value) in extra {
            into[key] = value;
        }
    }
}

/// `(case, object, the rule's message, the field the API server names)`: one per rule in crds/,
/// some rules twice where the rule has two ways to be broken.
fn violations() -> Vec<(&'static str, DynamicObject, &'static str, &'static str)> {
    let either_or = "give either name or selector, not both";
    let bounds = "atLeast must not be greater than atMost";
    let none = json!({});
    vec![
        (
            "certificate names and selector",
            checklist("certificate", json!({"certificate": {"names": [WEB], "selector": selector()}}), none.clone()),
            "give either names or selector, not both",
            "spec.items[0].check.certificate",
        ),
        (
            "cronJob name and selector",
            checklist("cron-job", json!({"cronJob": {"name": "backup", "selector": selector()}}), none.clone()),
            either_or,
            "spec.items[0].check.cronJob",
        ),
        (
            "hpa maxReplicas bounds",
            checklist("hpa-max", hpa(json!({"maxReplicas": {"atLeast": 5, "atMost": 2}})), none.clone()),
            bounds,
            "spec.items[0].check.horizontalPodAutoscaler.maxReplicas",
        ),
        (
            "hpa minReplicas bounds",
            checklist("hpa-min", hpa(json!({"minReplicas": {"atLeast": 5, "atMost": 2}})), none.clone()),
            bounds,
            "spec.items[0].check.horizontalPodAutoscaler.minReplicas",
        ),
        (
            "hpa target name and selector",
            checklist(
                "hpa-target",
                json!({"horizontalPodAutoscaler": {"target": {"name": WEB, "selector": selector()}}}),
                none.clone(),
            ),
            either_or,
            "spec.items[0].check.horizontalPodAutoscaler.target",
        ),
        (
            "manual approvers empty",
            checklist("manual-nobody", json!({"manual": {"approvers": {}}}), none.clone()),
            "approvers names nobody: give users or groups",
            "spec.items[0].check.manual",
        ),
        (
            "manual approvers empty lists",
            checklist("manual-empty", json!({"manual": {"approvers": {"users": [], "groups": []}}}), none.clone()),
            "approvers names nobody: give users or groups",
            "spec.items[0].check.manual",
        ),
        (
            "prometheus expect nothing",
            checklist(
                "prometheus",
                json!({"prometheus": {"url": "http://prometheus:9090", "query": "up", "expect": {}}}),
                none.clone(),
            ),
            "give lessThan, greaterThan or equals",
            "spec.items[0].check.prometheus.expect",
        ),
        (
            "resource name and selector",
            checklist(
                "resource",
                json!({"resource": {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "selector": selector()}}),
                none.clone(),
            ),
            either_or,
            "spec.items[0].check.resource",
        ),
        (
            "resource count bounds",
            checklist(
                "resource-count",
                json!({"resource": {"apiVersion": "v1", "kind": "ConfigMap", "count": {"atLeast": 3, "atMost": 1}}}),
                none.clone(),
            ),
            bounds,
            "spec.items[0].check.resource.count",
        ),
        (
            "resourceQuota ratio above 1",
            checklist("quota-high", json!({"resourceQuota": {"maxUsedRatio": 1.5}}), none.clone()),
            "maxUsedRatio must be above 0 and at most 1",
            "spec.items[0].check.resourceQuota",
        ),
        (
            "resourceQuota ratio 0",
            checklist("quota-zero", json!({"resourceQuota": {"maxUsedRatio": 0}}), none.clone()),
            "maxUsedRatio must be above 0 and at most 1",
            "spec.items[0].check.resourceQuota",
        ),
        (
            "workload replicas bounds",
            checklist("workload-replicas", workload(json!({"replicas": {"atLeast": 3, "atMost": 1}})), none.clone()),
            bounds,
            "spec.items[0].check.workload.replicas",
        ),
        (
            "workload target name and selector",
            checklist(
                "workload-target",
                json!({"workload": {"target": {"name": WEB, "selector": selector()}}}),
                none.clone(),
            ),
            either_or,
            "spec.items[0].check.workload.target",
        ),
        (
            "workload terminationGracePeriodSeconds bounds",
            checklist(
                "workload-grace",
                workload(json!({"terminationGracePeriodSeconds": {"atLeast": 60, "atMost": 30}})),
                none.clone(),
            ),
            bounds,
            "spec.items[0].check.workload.terminationGracePeriodSeconds",
        ),
        (
            "service check with no port",
            checklist("service-no-port", json!({"service": {"forbidExposedPorts": []}}), none.clone()),
            "forbidExposedPorts lists no ports",
            "spec.items[0].check.service",
        ),
        (
            "ingress check with no host",
            checklist("ingress-no-host", json!({"ingress": {"hosts": []}}), none.clone()),
            "hosts lists no host",
            "spec.items[0].check.ingress",
        ),
        (
            "networkPolicy check with nothing to check",
            checklist("policy-nothing", json!({"networkPolicy": {"defaultDenyIngress": false}}), none.clone()),
            "nothing to check (set defaultDenyIngress, defaultDenyEgress, coverWorkloads or restrictedPorts)",
            "spec.items[0].check.networkPolicy",
        ),
        (
            "rbac check with nothing to check",
            checklist("rbac-nothing", json!({"rbac": {}}), none.clone()),
            "nothing to check (set roles, access or forbidClusterAdminBindings)",
            "spec.items[0].check.rbac",
        ),
        (
            "hpa target without a name",
            checklist(
                "hpa-unnamed",
                json!({"horizontalPodAutoscaler": {"target": {"kind": "Deployment"}}}),
                none.clone(),
            ),
            "target names the scale target by kind and name (no selector)",
            "spec.items[0].check.horizontalPodAutoscaler",
        ),
        (
            "bindRelease without release",
            {
                let mut object = checklist(
                    "bind-release",
                    hpa(json!({})),
                    json!({"gate": {"selector": selector(), "bindRelease": true}}),
                );
                object.data["spec"].as_object_mut().expect("spec").remove("release");
                object
            },
            "gate.bindRelease needs spec.release: admitted workloads are bound to that release",
            "spec",
        ),
        (
            "freeze window of zero duration",
            checklist(
                "freeze-zero",
                hpa(json!({})),
                json!({"gate": {"selector": selector(),
                    "freezeWindows": [{"name": "w", "schedule": "@daily", "duration": "0s"}]}}),
            ),
            "duration must be positive",
            "spec.gate.freezeWindows[0]",
        ),
        (
            "allowed window of zero duration",
            checklist(
                "allowed-zero",
                hpa(json!({})),
                json!({"gate": {"selector": selector(),
                    "allowedWindows": [{"name": "w", "schedule": "@daily", "duration": "0h0m"}]}}),
            ),
            "duration must be positive",
            "spec.gate.allowedWindows[0]",
        ),
        (
            "a window name in both lists",
            checklist(
                "window-names",
                hpa(json!({})),
                json!({"gate": {"selector": selector(),
                    "freezeWindows": [{"name": "w", "schedule": "@daily", "duration": "1h"}],
                    "allowedWindows": [{"name": "w", "schedule": "@daily", "duration": "8h"}]}}),
            ),
            "window names must be unique across freezeWindows and allowedWindows",
            "spec.gate",
        ),
        (
            "zero soak time",
            checklist("soak-zero", hpa(json!({})), json!({"gate": {"selector": selector(), "minGoDuration": "0s"}})),
            "minGoDuration must be positive",
            "spec.gate",
        ),
        (
            "waiver maxValidity zero",
            item_with(
                "max-validity",
                hpa(json!({})),
                json!({"waivableBy": {"groups": ["leads"]},
                "waiver": {"maxValidity": "0d"}}),
            ),
            "maxValidity must be positive",
            "spec.items[0].waiver",
        ),
        (
            "a waivable manual item",
            item_with(
                "manual-waivable",
                json!({"manual": {"approvers": {"users": ["alice"]}}}),
                json!({"waivableBy": {"groups": ["leads"]}}),
            ),
            "a manual item cannot be waived: approvals are personal (remove waivableBy)",
            "spec.items[0]",
        ),
        (
            "waiver rules without waivableBy",
            item_with("waiver-alone", hpa(json!({})), json!({"waiver": {"requireTicket": true}})),
            "waiver rules need waivableBy: nobody may waive this item",
            "spec.items[0]",
        ),
        (
            "a checklist requiring itself",
            checklist("loop", json!({"checklist": {"name": "loop"}}), none),
            "a checklist cannot require itself (items[].check.checklist.name)",
            "<nil>",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cel_rule_refuses_an_object_that_breaks_it_with_its_message() {
    let plane = cluster::shared();
    install::crds(plane);
    install::namespace(plane, NAMESPACE);
    let api = checklists(plane.client("admin").await, NAMESPACE);
    let mut wrong = Vec::new();
    let cases = violations();
    for (case, object, message, field) in &cases {
        match api.create(&PostParams::default(), object).await {
            Ok(_) => wrong.push(format!("{case}: accepted")),
            Err(kube::Error::Api(status)) => {
                let causes: Vec<(String, String)> = status
                    .details
                    .as_ref()
                    .map(|d| d.causes.iter().map(|c| (c.field.clone(), c.message.clone())).collect())
                    .unwrap_or_default();
                let named = causes.iter().any(|(f, m)| f == field && m.contains(message));
                if status.code != 422 || status.reason != "Invalid" || !status.message.contains(message) || !named {
                    wrong.push(format!(
                        "{case}: {} {}: {} (causes {causes:?})",
                        status.code, status.reason, status.message
                    ));
                }
            }
            Err(other) => wrong.push(format!("{case}: {other}")),
        }
    }
    assert!(wrong.is_empty(), "not refused as the rule says:\n{}", wrong.join("\n"));
    // Every rule in the generated CRDs has a case (the signoff's immutability is tested below).
    let rules = rule_messages();
    for message in &rules {
        let covered = cases.iter().any(|(_, _, m, _)| m == message) || message.starts_with("spec is immutable");
        assert!(covered, "no case breaks the rule whose message is {message:?}");
    }
}

/// The message of every `x-kubernetes-validations` rule in crds/.
fn rule_messages() -> Vec<String> {
    let mut messages = Vec::new();
    for file in ["readinesschecklists.readygate.io.yaml", "readinesssignoffs.readygate.io.yaml"] {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("crds").join(file)).expect("CRD");
        let crd: Value = serde_saphyr::from_str(&text).expect("YAML");
        collect(&crd, &mut messages);
    }
    assert_eq!(messages.len(), 28, "the rules in crds/: {messages:?}");
    messages
}

fn collect(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(rules)) = map.get("x-kubernetes-validations") {
                into.extend(rules.iter().map(|r| r["message"].as_str().expect("every rule has a message").to_owned()));
            }
            map.values().for_each(|v| collect(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, into)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signoff_spec_cannot_change_once_created() {
    let plane = cluster::shared();
    install::crds(plane);
    install::namespace(plane, NAMESPACE);
    let api = signoffs(plane.client("admin").await, NAMESPACE);
    let signoff: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessSignoff",
        "metadata": {"name": "cto-v1", "namespace": NAMESPACE},
        "spec": {"checklist": "shop", "item": "approval", "action": "Approve", "release": "v1",
                 "reason": "release plan reviewed", "signer": {"username": "admin", "groups": ["system:masters"]}}
    }))
    .expect("a DynamicObject");
    let created = api.create(&PostParams::default(), &signoff).await.expect("a valid sign-off is created");

    let mut changed = created.clone();
    changed.data["spec"]["reason"] = json!("changed my mind");
    let refused = api.replace("cto-v1", &PostParams::default(), &changed).await.expect_err("the spec is immutable");
    let kube::Error::Api(status) = refused else { panic!("not an API answer: {refused}") };
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"), "{status:?}");
    assert!(status.message.contains("spec is immutable; delete and create anew"), "{}", status.message);

    // Metadata may change: the rule is on spec only.
    let mut labelled = created;
    labelled.metadata.labels = Some([("reviewed".to_owned(), "yes".to_owned())].into());
    api.replace("cto-v1", &PostParams::default(), &labelled).await.expect("a label may be added");
}

#[test]
fn the_novacron_example_checklist_is_accepted_as_it_is() {
    let plane = cluster::shared();
    install::crds(plane);
    install::namespace(plane, "novacron");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/novacron/checklist.yaml");
    let created = plane.kubectl_ok("admin", &["create", "-f", file.to_str().expect("UTF-8")], None);
    assert_eq!(created.trim(), "readinesschecklist.readygate.io/novacron-v1 created");
    // Stored as written: every item is there, none dropped by pruning.
    let stored = plane.kubectl_ok("admin", &["get", "rcl", "novacron-v1", "-n", "novacron", "-o", "json"], None);
    let stored: Value = serde_json::from_str(&stored).expect("JSON");
    let written: Value = serde_saphyr::from_str(&std::fs::read_to_string(&file).expect("example")).expect("YAML");
    assert_eq!(stored["spec"]["items"].as_array().map(Vec::len), written["spec"]["items"].as_array().map(Vec::len));
    assert_eq!(stored["spec"]["gate"], written["spec"]["gate"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_doubled_item_name_is_refused_by_the_list_map() {
    // The API double answers the same (tests/api_double.rs).
    let plane = cluster::shared();
    install::crds(plane);
    install::namespace(plane, NAMESPACE);
    let api = checklists(plane.client("admin").await, NAMESPACE);
    let manual = json!({"manual": {"approvers": {"groups": ["cto"]}}});
    let twice: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "twice", "namespace": NAMESPACE},
        "spec": {"items": [{"name": "review", "check": manual}, {"name": "review", "check": manual}]}
    }))
    .expect("a DynamicObject");
    let refused = api.create(&PostParams::default(), &twice).await.expect_err("a repeated key");
    let kube::Error::Api(status) = refused else { panic!("not an API answer: {refused}") };
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        status.message,
        r#"ReadinessChecklist.readygate.io "twice" is invalid: spec.items[1]: Duplicate value: {"name":"review"}"#
    );
}
