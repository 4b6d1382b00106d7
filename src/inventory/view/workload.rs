//! The view of the pod-template workloads (Deployment, StatefulSet, DaemonSet): what the
//! `workload`, `service` and `networkPolicy` checks read, and nothing else.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::de::{Presence, SetKeys, is_default, lenient, nullable, scalar};
use super::shape::string_map;
use crate::inventory::kind::CatalogueKind;
use crate::inventory::live::LITERAL_VALUE_MARKER;

/// Which of the three workload kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
}

impl WorkloadKind {
    pub fn catalogue(self) -> CatalogueKind {
        match self {
            WorkloadKind::Deployment => CatalogueKind::Deployment,
            WorkloadKind::StatefulSet => CatalogueKind::StatefulSet,
            WorkloadKind::DaemonSet => CatalogueKind::DaemonSet,
        }
    }
}

/// Written (for the live cache's projection) with every empty field left out, and read back
/// the same: `from_value(to_value(view)) == view`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct WorkloadView {
    pub kind: WorkloadKind,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub metadata: Metadata,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub spec: WorkloadSpec,
}

view_of!(WorkloadView: Deployment, StatefulSet, DaemonSet);

impl WorkloadView {
    /// `deployment/api`: how messages name the objects they judged.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.kind.catalogue().kind().to_ascii_lowercase(), self.metadata.name)
    }

    /// The pod spec of the template (`spec.template.spec`), when there is one.
    pub fn pod(&self) -> Option<&PodSpec> {
        self.spec.template.spec.as_ref()
    }

    /// The labels the workload's pods carry (`spec.template.metadata.labels`).
    pub fn template_labels(&self) -> &BTreeMap<String, String> {
        &self.spec.template.metadata.labels
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Metadata {
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, deserialize_with = "string_map", skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSpec {
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    /// A Deployment's.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub strategy: Strategy,
    /// A StatefulSet's or DaemonSet's.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub update_strategy: Strategy,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub template: PodTemplate,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Strategy {
    #[serde(default, rename = "type", deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub rolling_update: RollingUpdate,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollingUpdate {
    /// As written (a count or a percentage), for messages that show it.
    #[serde(default, deserialize_with = "scalar", skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<Value>,
    #[serde(default, deserialize_with = "scalar", skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct PodTemplate {
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub metadata: TemplateMetadata,
    /// `None` when absent or null; an empty pod spec is written as `{}` and stays one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<PodSpec>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct TemplateMetadata {
    #[serde(default, deserialize_with = "string_map", skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub host_network: Option<bool>,
    /// Pod-level resources (Kubernetes 1.32+), which cover every container.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub resources: Resources,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub security_context: SecurityContext,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<Container>,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<Container>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub resources: Resources,
    /// `Always` on an init container makes it a native sidecar.
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Presence::is_absent")]
    pub readiness_probe: Presence,
    #[serde(default, skip_serializing_if = "Presence::is_absent")]
    pub liveness_probe: Presence,
    #[serde(default, skip_serializing_if = "Presence::is_absent")]
    pub startup_probe: Presence,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub lifecycle: Lifecycle,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub security_context: SecurityContext,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Port {
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i64>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub host_port: Option<i64>,
}

/// Which resource names are requested and limited (their amounts are never judged).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "SetKeys::is_empty")]
    pub requests: SetKeys,
    #[serde(default, skip_serializing_if = "SetKeys::is_empty")]
    pub limits: SetKeys,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle {
    #[serde(default, skip_serializing_if = "Presence::is_absent")]
    pub pre_stop: Presence,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub run_as_non_root: Option<bool>,
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
}

/// An env var: its name, and whether it sets a non-empty literal `value`. The value itself is
/// dropped while reading, so no literal (a password pasted into a manifest) is ever held; it is
/// written back as a marker ([`LITERAL_VALUE_MARKER`]), which reads as a literal again.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct EnvVar {
    #[serde(default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        default,
        rename = "value",
        deserialize_with = "non_empty_literal",
        serialize_with = "literal_marker",
        skip_serializing_if = "is_default"
    )]
    pub literal: bool,
}

fn non_empty_literal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    // Read as a borrowed-or-owned string and dropped at once; other types are no literal.
    let value = Value::deserialize(deserializer)?;
    Ok(value.as_str().is_some_and(|s| !s.is_empty()))
}

fn literal_marker<S: Serializer>(literal: &bool, serializer: S) -> Result<S::Ok, S::Error> {
    match literal {
        true => serializer.serialize_str(LITERAL_VALUE_MARKER),
        false => serializer.serialize_none(),
    }
}

/// The Deployment the view's and the live projection's tests share.
#[cfg(test)]
pub(crate) mod fixtures {
    use serde_json::{Value, json};

    /// NovaCron's `api` Deployment as the API server returns it: what the checks read, and
    /// what the projection drops (bookkeeping, volumes, template annotations, status,
    /// kubectl's last-applied copy) and reduces (literal env values).
    pub(crate) fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": "api", "namespace": "novacron", "labels": {"app": "api"}, "generation": 4,
                "creationTimestamp": "2026-01-01T00:00:00Z", "resourceVersion": "991",
                "managedFields": [{"manager": "kubectl"}],
                "annotations": {crate::inventory::live::LAST_APPLIED: "{\"huge\": true}", "team": "core"}
            },
            "spec": {
                "replicas": 3, "revisionHistoryLimit": 10,
                "selector": {"matchLabels": {"app": "api"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
                "template": {
                    "metadata": {"labels": {"app": "api"}, "annotations": {"checksum": "abc"}},
                    "spec": {
                        "terminationGracePeriodSeconds": 45,
                        "securityContext": {"runAsNonRoot": true, "fsGroup": 2000},
                        "volumes": [{"name": "cfg", "configMap": {"name": "cfg"}}],
                        "containers": [{
                            "name": "api", "image": "novacron/api:1.0.0",
                            "ports": [{"name": "http", "containerPort": 8090}],
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8090}},
                            "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
                            "resources": {"requests": {"cpu": "100m"}, "limits": {"memory": "1Gi"}},
                            "env": [
                                {"name": "AUTH_SECRET", "value": "s3cr3t-value"},
                                {"name": "EMPTY", "value": ""},
                                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}
                            ],
                            "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg"}]
                        }]
                    }
                }
            },
            "status": {"replicas": 3, "conditions": [{"type": "Available"}]}
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::fixtures::deployment;
    use super::*;
    use crate::inventory::view::meta::round_trip::{assert_round_trips, corpus_objects};
    use crate::inventory::view::{from_text, from_value};

    #[test]
    fn reads_what_the_checks_read_from_text_and_from_a_tree_alike() {
        let text = deployment().to_string();
        let view: WorkloadView = from_text(&text, || "deployment/api".into()).expect("reads");
        let again: WorkloadView = from_value(&deployment(), || "deployment/api".into()).expect("reads");
        assert_eq!(format!("{view:?}"), format!("{again:?}"));
        assert_eq!(view.reference(), "deployment/api");
        assert_eq!(view.spec.replicas, Some(3));
        assert_eq!(view.spec.strategy.rolling_update.max_unavailable, Some(json!(0)));
        assert_eq!(view.spec.strategy.rolling_update.max_surge, Some(json!("25%")));
        assert_eq!(view.template_labels().get("app").map(String::as_str), Some("api"));
        let pod = view.pod().expect("template has a pod spec");
        assert_eq!(pod.termination_grace_period_seconds, Some(45));
        assert_eq!(pod.security_context.run_as_non_root, Some(true));
        let c = &pod.containers[0];
        assert_eq!(c.ports[0].container_port, Some(8090));
        assert_eq!(
            (c.readiness_probe, c.liveness_probe, c.lifecycle.pre_stop),
            (Presence(true), Presence(false), Presence(true))
        );
        assert!(c.resources.requests.contains("cpu") && c.resources.limits.contains("memory"));
        let literal: Vec<(Option<&str>, bool)> = c.env.iter().map(|e| (e.name.as_deref(), e.literal)).collect();
        assert_eq!(literal, [(Some("AUTH_SECRET"), true), (Some("EMPTY"), false), (Some("DB_PASSWORD"), false)]);
        assert!(!format!("{view:?}").contains("s3cr3t"), "literal values are never held");
    }

    #[test]
    fn writes_back_to_itself_without_empty_fields_or_literal_values() {
        let view: WorkloadView = from_value(&deployment(), || "deployment/api".into()).expect("reads");
        let written = serde_json::to_value(&view).expect("writes");
        assert_eq!(from_value::<WorkloadView>(&written, || "deployment/api".into()).expect("reads back"), view);
        let text = written.to_string();
        assert!(!text.contains("s3cr3t") && !text.contains("managedFields") && !text.contains("fsGroup"), "{text}");
        let c = &written["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            c["env"],
            json!([{"name": "AUTH_SECRET", "value": LITERAL_VALUE_MARKER}, {"name": "EMPTY"},
            {"name": "DB_PASSWORD"}])
        );
        assert_eq!((&c["readinessProbe"], &c["lifecycle"]), (&json!({}), &json!({"preStop": {}})));
        assert!(c.get("livenessProbe").is_none() && written["spec"].get("updateStrategy").is_none());
        assert_eq!(c["resources"], json!({"requests": {"cpu": true}, "limits": {"memory": true}}));
        // An empty pod spec stays a pod spec; a missing one stays missing.
        let mut empty = deployment();
        empty["spec"]["template"]["spec"] = json!({});
        let view: WorkloadView = from_value(&empty, || "deployment/api".into()).expect("reads");
        let written = serde_json::to_value(&view).expect("writes");
        assert_eq!(written["spec"]["template"]["spec"], json!({}));
        assert_eq!(from_value::<WorkloadView>(&written, || "deployment/api".into()).expect("reads back"), view);
    }

    #[test]
    fn real_workloads_round_trip() {
        let view: WorkloadView = assert_round_trips(&deployment());
        assert_eq!(view.spec.replicas, Some(3));
        let Some(corpus) = corpus_objects("Deployment") else { return };
        for object in corpus.iter().chain(&corpus_objects("StatefulSet").unwrap_or_default()) {
            assert_round_trips::<WorkloadView>(object);
        }
        assert!(corpus.len() > 10, "the corpus holds Deployments ({})", corpus.len());
    }

    #[test]
    fn a_field_of_the_wrong_shape_names_the_object_and_the_path() {
        let mut bad = deployment();
        bad["spec"]["template"]["spec"]["containers"] = json!("api");
        let error = from_value::<WorkloadView>(&bad, || "deployment/api".into()).expect_err("containers is a list");
        assert_eq!(error.object, "deployment/api");
        assert_eq!(error.path, "spec.template.spec.containers");
    }
}
