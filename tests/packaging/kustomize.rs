//! The kustomize base in deploy/ and its components, rendered by `kubectl kustomize`.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::render::{documents, find, kustomize_base, kustomize_with};
use super::wiring::{args, assert_wired_together, container, of_kind};

/// (kind, name) of everything the base installs.
const BASE: [(&str, &str); 17] = [
    ("Namespace", "readygate-system"),
    ("CustomResourceDefinition", "readinesschecklists.readygate.io"),
    ("CustomResourceDefinition", "readinesssignoffs.readygate.io"),
    ("ServiceAccount", "readygate"),
    ("ClusterRole", "readygate"),
    ("ClusterRoleBinding", "readygate"),
    ("Role", "readygate-leader-election"),
    ("RoleBinding", "readygate-leader-election"),
    ("Issuer", "readygate-selfsigned"),
    ("Certificate", "readygate-ca"),
    ("Issuer", "readygate-ca"),
    ("Certificate", "readygate-webhook"),
    ("Deployment", "readygate"),
    ("Service", "readygate-webhook"),
    ("PodDisruptionBudget", "readygate"),
    ("NetworkPolicy", "readygate"),
    ("ValidatingWebhookConfiguration", "readygate"),
];

const CLUSTER_SCOPED: [&str; 5] =
    ["Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration"];

/// The kinds readygate reads, as RBAC names them: (apiGroup, resource). Only get/list/watch.
const READ: [(&str, &str); 27] = [
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("", "services"),
    ("", "namespaces"),
    ("", "resourcequotas"),
    ("", "limitranges"),
    ("networking.k8s.io", "ingresses"),
    ("networking.k8s.io", "networkpolicies"),
    ("autoscaling", "horizontalpodautoscalers"),
    ("policy", "poddisruptionbudgets"),
    ("batch", "cronjobs"),
    ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "rolebindings"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"),
    ("cert-manager.io", "certificates"),
    ("cert-manager.io", "issuers"),
    ("cert-manager.io", "clusterissuers"),
    ("monitoring.coreos.com", "prometheusrules"),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
    ("readygate.io", "readinesschecklists"),
    ("readygate.io", "readinesssignoffs"),
    // Only the one named readygate: see `grants`.
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
    // Written, not read: listed here so the comparison below covers every rule.
    ("readygate.io", "readinesschecklists/status"),
    ("events.k8s.io", "events"),
    ("", "secrets"),
];

/// Every (apiGroup, resource, verb) a ClusterRole grants.
fn grants(role: &Value) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for rule in role["rules"].as_array().expect("rules") {
        if let Some(names) = rule.get("resourceNames") {
            // Least privilege: readygate reads its own webhook configuration, no other.
            assert_eq!(rule["resources"], json!(["validatingwebhookconfigurations"]), "only this rule names objects");
            assert_eq!(names, &json!(["readygate"]), "readygate's own ValidatingWebhookConfiguration");
        }
        for group in rule["apiGroups"].as_array().expect("apiGroups") {
            for resource in rule["resources"].as_array().expect("resources") {
                for verb in rule["verbs"].as_array().expect("verbs") {
                    let text = |v: &Value| v.as_str().expect("string").to_owned();
                    out.insert((text(group), text(resource), text(verb)));
                }
            }
        }
    }
    out
}

fn expected_grants(secrets: bool) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for (group, resource) in READ {
        let verbs: &[&str] = match resource {
            "readinesschecklists/status" => &["patch"],
            "events" => &["create", "patch"],
            "secrets" if !secrets => &[],
            _ => &["get", "list", "watch"],
        };
        for verb in verbs {
            out.insert((group.to_owned(), resource.to_owned(), (*verb).to_owned()));
        }
    }
    out
}

/// Every kind the controller's catalogue watches (which covers what the checks read, per
/// `checks::reads`' tests) is granted get/list/watch. Discovered kinds (cert-manager's) carry no
/// plural; theirs is the lower-cased kind plus `s`.
#[test]
fn every_kind_the_catalogue_watches_is_granted() {
    let grants = expected_grants(false);
    for spec in readygate::controller::watches::catalogue() {
        let group = readygate::inventory::group_of(&spec.api_version).to_owned();
        let plural = spec.plural.clone().unwrap_or_else(|| format!("{}s", spec.kind.to_lowercase()));
        for verb in ["get", "list", "watch"] {
            assert!(grants.contains(&(group.clone(), plural.clone(), verb.to_owned())), "{verb} {group}/{plural}");
        }
    }
}

fn kinds_and_names(objects: &[Value]) -> BTreeSet<(String, String)> {
    objects
        .iter()
        .map(|o| {
            (o["kind"].as_str().expect("kind").to_owned(), o["metadata"]["name"].as_str().expect("name").to_owned())
        })
        .collect()
}

#[test]
fn the_base_renders_exactly_the_documented_objects_in_readygate_system() {
    let objects = documents(&kustomize_base());
    let expected: BTreeSet<(String, String)> = BASE.iter().map(|(k, n)| ((*k).to_owned(), (*n).to_owned())).collect();
    assert_eq!(kinds_and_names(&objects), expected);
    for object in &objects {
        let cluster_scoped = CLUSTER_SCOPED.contains(&object["kind"].as_str().expect("kind"));
        let namespace = &object["metadata"]["namespace"];
        if cluster_scoped {
            assert!(namespace.is_null(), "{} is cluster-scoped", object["metadata"]["name"]);
        } else {
            assert_eq!(namespace, "readygate-system", "{} {}", object["kind"], object["metadata"]["name"]);
        }
        assert_eq!(object["metadata"]["labels"]["app.kubernetes.io/part-of"], "readygate");
    }
    assert_wired_together(&objects);
}

#[test]
fn the_cluster_role_reads_the_watched_kinds_and_no_secrets() {
    let objects = documents(&kustomize_base());
    assert_eq!(grants(find(&objects, "ClusterRole", "readygate")), expected_grants(false));
    assert_eq!(of_kind(&objects, "ClusterRole").len(), 1, "Secrets are granted only by the secret-checks component");
    assert!(!args(find(&objects, "Deployment", "readygate")).contains(&"--enable-secret-checks"));
}

#[test]
fn the_secret_checks_component_grants_secrets_and_passes_the_flag() {
    let objects = documents(&kustomize_with(&["components/secret-checks"]));
    let mut granted = grants(find(&objects, "ClusterRole", "readygate"));
    granted.extend(grants(find(&objects, "ClusterRole", "readygate-secret-checks")));
    assert_eq!(granted, expected_grants(true));
    let binding = find(&objects, "ClusterRoleBinding", "readygate-secret-checks");
    assert_eq!(
        binding["subjects"],
        json!([{"kind": "ServiceAccount", "name": "readygate", "namespace": "readygate-system"}])
    );
    assert_eq!(args(find(&objects, "Deployment", "readygate")).last(), Some(&"--enable-secret-checks"));
}

#[test]
fn the_monitoring_component_adds_a_service_monitor_and_the_alerts() {
    let objects = documents(&kustomize_with(&["monitoring"]));
    let monitor = find(&objects, "ServiceMonitor", "readygate");
    assert_eq!(monitor["metadata"]["namespace"], "readygate-system");
    assert_eq!(
        monitor["spec"]["endpoints"],
        json!([{"port": "metrics", "path": "/metrics", "interval": "30s", "honorLabels": true}])
    );
    let service = find(&objects, "Service", "readygate-webhook");
    assert_eq!(monitor["spec"]["selector"]["matchLabels"], service["spec"]["selector"]);
    let rule = find(&objects, "PrometheusRule", "readygate");
    assert_eq!(rule["metadata"]["namespace"], "readygate-system");
}

#[test]
fn the_webhooks_fail_closed_and_spare_the_system_namespaces() {
    let objects = documents(&kustomize_base());
    let configuration = find(&objects, "ValidatingWebhookConfiguration", "readygate");
    for hook in configuration["webhooks"].as_array().expect("webhooks") {
        assert_eq!(hook["admissionReviewVersions"], json!(["v1"]));
        assert_eq!(hook["sideEffects"], "NoneOnDryRun");
        assert_eq!(hook["timeoutSeconds"], 5);
        assert_eq!(hook["failurePolicy"], "Fail");
        assert_eq!(hook["matchPolicy"], "Equivalent");
        assert_eq!(hook["rules"][0]["operations"], json!(["CREATE", "UPDATE"]));
    }
    let workloads = &configuration["webhooks"][0];
    assert_eq!(workloads["name"], "workloads.readygate.io");
    assert_eq!(workloads["rules"][0]["apiVersions"], json!(["v1"]));
    // Only namespaces that opted in, and never the system ones even when labelled.
    assert_eq!(
        workloads["namespaceSelector"],
        json!({"matchLabels": {"readygate.io/gate": "enabled"},
            "matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn",
            "values": ["kube-system", "readygate-system"]}]})
    );
    assert!(configuration["webhooks"][1]["namespaceSelector"].is_null(), "sign-offs are checked everywhere");
}

/// The selector readygate had before namespaces opted in (and the cluster-wide mode keeps).
pub fn cluster_wide_selector(readygate_namespace: &str) -> Value {
    json!({"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn",
        "values": ["kube-system", readygate_namespace]}]})
}

#[test]
fn the_cluster_wide_component_gates_every_namespace_but_the_system_ones() {
    let objects = documents(&kustomize_with(&["components/cluster-wide"]));
    let configuration = find(&objects, "ValidatingWebhookConfiguration", "readygate");
    let workloads = &configuration["webhooks"][0];
    assert_eq!(workloads["name"], "workloads.readygate.io");
    assert_eq!(workloads["namespaceSelector"], cluster_wide_selector("readygate-system"));
    assert_eq!(workloads["failurePolicy"], "Fail");
    // Nothing else changes: the other webhooks and every other object are the base's.
    let base = documents(&kustomize_base());
    let mut expected = find(&base, "ValidatingWebhookConfiguration", "readygate").clone();
    expected["webhooks"][0]["namespaceSelector"] = cluster_wide_selector("readygate-system");
    assert_eq!(configuration, &expected);
    assert_eq!(objects.len(), base.len());
}

#[test]
fn the_deployment_runs_two_hardened_replicas_with_the_documented_flags() {
    let objects = documents(&kustomize_base());
    let deployment = find(&objects, "Deployment", "readygate");
    assert_eq!(deployment["spec"]["replicas"], 2);
    assert_eq!(
        args(deployment),
        [
            "run",
            "--webhook-addr=0.0.0.0:8443",
            "--tls-cert=/tls/tls.crt",
            "--tls-key=/tls/tls.key",
            "--webhook-request-timeout=5s",
            "--metrics-addr=0.0.0.0:9090",
            "--leader-election=true",
            "--lease-name=readygate-leader",
            "--webhook-configuration=readygate",
            "--log-format=json",
        ]
    );
    let container = container(deployment);
    assert_eq!(container["image"], "ghcr.io/readygate/readygate:v0.1.0");
    let env: Vec<(&str, &str)> = container["env"]
        .as_array()
        .expect("env")
        .iter()
        .map(|e| (e["name"].as_str().expect("name"), e["valueFrom"]["fieldRef"]["fieldPath"].as_str().expect("field")))
        .collect();
    assert_eq!(env, [("POD_NAMESPACE", "metadata.namespace"), ("POD_NAME", "metadata.name")]);
    assert_eq!(container["livenessProbe"]["httpGet"], json!({"path": "/healthz", "port": "metrics"}));
    assert_eq!(container["readinessProbe"]["httpGet"], json!({"path": "/readyz", "port": "metrics"}));
    assert_eq!(
        container["securityContext"],
        json!({"runAsNonRoot": true, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
            "capabilities": {"drop": ["ALL"]}})
    );
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["seccompProfile"], json!({"type": "RuntimeDefault"}));
    assert_eq!(pod["terminationGracePeriodSeconds"], 30);
    assert_eq!(container["volumeMounts"], json!([{"name": "tls", "mountPath": "/tls", "readOnly": true}]));
    assert_eq!(pod["topologySpreadConstraints"].as_array().map(Vec::len), Some(2));
}
