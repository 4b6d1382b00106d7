//! The view of the pod-template workloads (Deployment, StatefulSet, DaemonSet): what the
//! `workload`, `service` and `networkPolicy` checks read, and nothing else.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::View;
use super::de::{Presence, SetKeys, labels, lenient, nullable, scalar};
use crate::inventory::kind::CatalogueKind;

/// Which of the three workload kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
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

#[derive(Clone, Debug, Deserialize)]
pub struct WorkloadView {
    pub kind: WorkloadKind,
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: Metadata,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: WorkloadSpec,
}

impl View for WorkloadView {
    const KINDS: &'static [CatalogueKind] =
        &[CatalogueKind::Deployment, CatalogueKind::StatefulSet, CatalogueKind::DaemonSet];

    fn labels(&self) -> &BTreeMap<String, String> {
        &self.metadata.labels
    }
}

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

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Metadata {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient")]
    pub namespace: Option<String>,
    #[serde(default, deserialize_with = "labels")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSpec {
    #[serde(default, deserialize_with = "lenient")]
    pub replicas: Option<i64>,
    /// A Deployment's.
    #[serde(default, deserialize_with = "nullable")]
    pub strategy: Strategy,
    /// A StatefulSet's or DaemonSet's.
    #[serde(default, deserialize_with = "nullable")]
    pub update_strategy: Strategy,
    #[serde(default, deserialize_with = "nullable")]
    pub template: PodTemplate,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Strategy {
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub rolling_update: RollingUpdate,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RollingUpdate {
    /// As written (a count or a percentage), for messages that show it.
    #[serde(default, deserialize_with = "scalar")]
    pub max_unavailable: Option<Value>,
    #[serde(default, deserialize_with = "scalar")]
    pub max_surge: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PodTemplate {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: TemplateMetadata,
    #[serde(default)]
    pub spec: Option<PodSpec>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct TemplateMetadata {
    #[serde(default, deserialize_with = "labels")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(default, deserialize_with = "lenient")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub host_network: Option<bool>,
    /// Pod-level resources (Kubernetes 1.32+), which cover every container.
    #[serde(default, deserialize_with = "nullable")]
    pub resources: Resources,
    #[serde(default, deserialize_with = "nullable")]
    pub security_context: SecurityContext,
    #[serde(default, deserialize_with = "nullable")]
    pub containers: Vec<Container>,
    #[serde(default, deserialize_with = "nullable")]
    pub init_containers: Vec<Container>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub image: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub ports: Vec<Port>,
    #[serde(default, deserialize_with = "nullable")]
    pub resources: Resources,
    /// `Always` on an init container makes it a native sidecar.
    #[serde(default, deserialize_with = "lenient")]
    pub restart_policy: Option<String>,
    #[serde(default)]
    pub readiness_probe: Presence,
    #[serde(default)]
    pub liveness_probe: Presence,
    #[serde(default)]
    pub startup_probe: Presence,
    #[serde(default, deserialize_with = "nullable")]
    pub lifecycle: Lifecycle,
    #[serde(default, deserialize_with = "nullable")]
    pub security_context: SecurityContext,
    #[serde(default, deserialize_with = "nullable")]
    pub env: Vec<EnvVar>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Port {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub container_port: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub protocol: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub host_port: Option<i64>,
}

/// Which resource names are requested and limited (their amounts are never judged).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Resources {
    #[serde(default)]
    pub requests: SetKeys,
    #[serde(default)]
    pub limits: SetKeys,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle {
    #[serde(default)]
    pub pre_stop: Presence,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    #[serde(default, deserialize_with = "lenient")]
    pub run_as_non_root: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    pub run_as_user: Option<i64>,
}

/// An env var: its name, and whether it sets a non-empty literal `value`. The value itself is
/// dropped while reading, so no literal (a password pasted into a manifest) is ever held.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct EnvVar {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, rename = "value", deserialize_with = "non_empty_literal")]
    pub literal: bool,
}

fn non_empty_literal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    // Read as a borrowed-or-owned string and dropped at once; other types are no literal.
    let value = Value::deserialize(deserializer)?;
    Ok(value.as_str().is_some_and(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::inventory::view::{from_text, from_value};

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "novacron", "labels": {"app": "api"},
                         "managedFields": [{"manager": "kubectl"}]},
            "spec": {
                "replicas": 3,
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
                "template": {
                    "metadata": {"labels": {"app": "api"}},
                    "spec": {
                        "terminationGracePeriodSeconds": 45,
                        "securityContext": {"runAsNonRoot": true, "fsGroup": 2000},
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
                            ]
                        }]
                    }
                }
            }
        })
    }

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
    fn a_field_of_the_wrong_shape_names_the_object_and_the_path() {
        let mut bad = deployment();
        bad["spec"]["template"]["spec"]["containers"] = json!("api");
        let error = from_value::<WorkloadView>(&bad, || "deployment/api".into()).expect_err("containers is a list");
        assert_eq!(error.object, "deployment/api");
        assert_eq!(error.path, "spec.template.spec.containers");
    }
}
