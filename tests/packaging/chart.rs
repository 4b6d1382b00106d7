//! The Helm chart, rendered and linted by Helm v4 (helm-python-sdk), and kept in step with the
//! kustomize base: the same objects, rules, webhooks and container, whatever the labels.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::kustomize::cluster_wide_selector;
use super::render::{documents, find, helm, helm_as, helm_template, kustomize_base, kustomize_with};
use super::wiring::{args, assert_wired_together, of_kind};

/// Objects without what legitimately differs between the two renderings (labels, which Helm
/// adds its own to; the Namespace, which Helm leaves to `--create-namespace`), sorted.
fn comparable(objects: Vec<Value>) -> Vec<Value> {
    let mut objects: Vec<Value> = objects
        .into_iter()
        .filter(|o| o["kind"] != "Namespace")
        .map(|mut o| {
            integral_floats_as_integers(&mut o);
            strip(&mut o["metadata"], "labels");
            strip(&mut o["spec"]["template"]["metadata"], "labels");
            o
        })
        .collect();
    objects.sort_by_key(|o| {
        (o["kind"].to_string(), o["metadata"]["namespace"].to_string(), o["metadata"]["name"].to_string())
    });
    objects
}

/// The generated CRDs write `minimum: 0.0`, which kustomize re-emits as `0`: the same number.
fn integral_floats_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e15) {
                *value = json!(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

fn strip(value: &mut Value, key: &str) {
    if let Some(map) = value.as_object_mut() {
        map.remove(key);
        if map.is_empty() {
            *value = Value::Null;
        }
    }
}

/// The chart's templates plus its crds/, as `helm install` would create them.
pub(super) fn chart_objects(values: Value) -> Vec<Value> {
    let run = helm(values);
    let mut objects = documents(&run.rendered.unwrap_or_else(|e| panic!("helm template failed: {e}")));
    for crd in &run.crds {
        objects.extend(documents(crd));
    }
    objects
}

fn all_options() -> Value {
    json!({
        "secretChecks": {"enabled": true},
        "metrics": {"serviceMonitor": {"enabled": true}},
        "prometheusRule": {"enabled": true},
    })
}

#[test]
fn the_chart_passes_strict_lint_with_defaults_and_every_option() {
    for values in [json!({}), all_options()] {
        let lint = helm(values.clone()).lint;
        assert_eq!(lint["errors"], json!([]), "helm lint --strict with {values}");
        let serious: Vec<&Value> = lint["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter(|m| m["severity"].as_i64() >= Some(2))
            .collect();
        assert!(serious.is_empty(), "helm lint --strict with {values}: {serious:?}");
    }
}

/// The same objects by kind and name, then each one the same, so a failure shows one object.
pub(super) fn assert_same_objects(chart: Vec<Value>, kustomized: Vec<Value>) {
    let (chart, kustomized) = (comparable(chart), comparable(kustomized));
    let names = |objects: &[Value]| -> Vec<String> {
        objects
            .iter()
            .map(|o| format!("{} {}/{}", o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]))
            .collect()
    };
    assert_eq!(names(&chart), names(&kustomized), "the chart and deploy/ render different objects");
    for (from_chart, from_kustomize) in chart.iter().zip(&kustomized) {
        assert_eq!(from_chart, from_kustomize, "{} {} differs", from_chart["kind"], from_chart["metadata"]["name"]);
    }
}

#[test]
fn chart_defaults_render_the_kustomize_base() {
    assert_same_objects(chart_objects(json!({})), documents(&kustomize_base()));
}

#[test]
fn chart_with_every_option_renders_the_base_with_both_components() {
    let kustomized = kustomize_with(&["components/secret-checks", "monitoring"]);
    assert_same_objects(chart_objects(all_options()), documents(&kustomized));
}

#[test]
fn without_cert_manager_the_chart_needs_a_ca_bundle_and_puts_it_in_every_webhook() {
    let missing = helm(json!({"certManager": {"enabled": false}})).rendered.expect_err("refuses");
    assert!(missing.contains("webhook.caBundle is required"), "{missing}");

    let objects =
        documents(&helm_template(json!({"certManager": {"enabled": false}, "webhook": {"caBundle": "Q0E="}})));
    assert!(of_kind(&objects, "Certificate").is_empty() && of_kind(&objects, "Issuer").is_empty());
    let configuration = find(&objects, "ValidatingWebhookConfiguration", "readygate");
    assert!(configuration["metadata"]["annotations"].is_null(), "no CA injection");
    for hook in configuration["webhooks"].as_array().expect("webhooks") {
        assert_eq!(hook["clientConfig"]["caBundle"], "Q0E=", "{}", hook["name"]);
    }
    let volumes = &find(&objects, "Deployment", "readygate")["spec"]["template"]["spec"]["volumes"];
    assert_eq!(volumes[0]["secret"]["secretName"], "readygate-webhook-tls");
}

#[test]
fn the_chart_refuses_several_replicas_without_leader_election() {
    let error = helm(json!({"leaderElection": {"enabled": false}})).rendered.expect_err("refuses");
    assert!(error.contains("leaderElection.enabled=false needs replicas: 1"), "{error}");

    let objects = documents(&helm_template(json!({"leaderElection": {"enabled": false}, "replicas": 1})));
    assert!(of_kind(&objects, "Role").is_empty(), "no Lease, no Role for it");
    assert!(args(find(&objects, "Deployment", "readygate")).contains(&"--leader-election=false"));
}

#[test]
fn another_release_name_and_namespace_stay_wired_together() {
    let run = helm_as("gate", "platform", json!({"secretChecks": {"enabled": true}}));
    let objects = documents(&run.rendered.unwrap_or_else(|e| panic!("{e}")));
    assert_wired_together(&objects);
    let deployment = find(&objects, "Deployment", "gate-readygate");
    assert!(args(deployment).contains(&"--lease-name=gate-readygate-leader"));
    assert!(args(deployment).contains(&"--webhook-configuration=gate-readygate"));
    let configuration = find(&objects, "ValidatingWebhookConfiguration", "gate-readygate");
    assert_eq!(
        configuration["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
        "platform/gate-readygate-webhook"
    );
    assert_eq!(
        configuration["webhooks"][0]["namespaceSelector"]["matchExpressions"][0]["values"],
        json!(["kube-system", "platform"])
    );
    let binding = find(&objects, "ClusterRoleBinding", "gate-readygate-secret-checks");
    assert_eq!(binding["subjects"][0]["namespace"], "platform");
}

#[test]
fn the_chart_gates_only_opted_in_namespaces_unless_its_scope_is_the_cluster() {
    let objects = documents(&helm_template(json!({})));
    let workloads = &find(&objects, "ValidatingWebhookConfiguration", "readygate")["webhooks"][0];
    assert_eq!(workloads["name"], "workloads.readygate.io");
    assert_eq!(workloads["namespaceSelector"]["matchLabels"], json!({"readygate.io/gate": "enabled"}));
    assert_eq!(
        workloads["namespaceSelector"]["matchExpressions"],
        cluster_wide_selector("readygate-system")["matchExpressions"]
    );

    let cluster = json!({"webhook": {"workloads": {"scope": "Cluster"}}});
    assert_same_objects(chart_objects(cluster), documents(&kustomize_with(&["components/cluster-wide"])));
    let run = helm_as("gate", "platform", json!({"webhook": {"workloads": {"scope": "Cluster"}}}));
    let objects = documents(&run.rendered.unwrap_or_else(|e| panic!("{e}")));
    let workloads = &find(&objects, "ValidatingWebhookConfiguration", "gate-readygate")["webhooks"][0];
    assert_eq!(workloads["namespaceSelector"], cluster_wide_selector("platform"));

    let error = helm(json!({"webhook": {"workloads": {"scope": "Everywhere"}}})).rendered.expect_err("refuses");
    assert!(error.contains("webhook.workloads.scope must be OptIn or Cluster, not \"Everywhere\""), "{error}");
}

#[test]
fn a_workloads_namespace_selector_from_values_replaces_the_default() {
    let selector = json!({"matchLabels": {"readygate.io/gated": "true"}});
    let objects = documents(&helm_template(
        json!({"webhook": {"workloads": {"namespaceSelector": selector, "failurePolicy": "Ignore"}}}),
    ));
    let workloads = &find(&objects, "ValidatingWebhookConfiguration", "readygate")["webhooks"][0];
    assert_eq!(workloads["namespaceSelector"], selector);
    assert_eq!(workloads["failurePolicy"], "Ignore");
    let signoffs = &find(&objects, "ValidatingWebhookConfiguration", "readygate")["webhooks"][1];
    assert_eq!(signoffs["failurePolicy"], "Fail", "sign-offs always fail closed");
}

#[test]
fn readygate_stops_waiting_for_a_request_when_the_api_server_does() {
    let objects = documents(&helm_template(json!({"webhook": {"timeoutSeconds": 8}})));
    let configuration = find(&objects, "ValidatingWebhookConfiguration", "readygate");
    for hook in configuration["webhooks"].as_array().expect("webhooks") {
        assert_eq!(hook["timeoutSeconds"], 8);
    }
    let deployment = find(&objects, "Deployment", "readygate");
    assert!(args(deployment).contains(&"--webhook-request-timeout=8s"), "{:?}", args(deployment));
}
