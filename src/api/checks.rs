//! The check catalogue's spec shapes: one struct per `check` key.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::{Duration, IntRange, Principals, Target};

/// What an item checks: exactly one key. Serialized externally tagged, so the CRD schema is a
/// `oneOf` of single required properties that the API server enforces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Check {
    Workload(WorkloadCheck),
    Service(ServiceCheck),
    Ingress(IngressCheck),
    NetworkPolicy(NetworkPolicyCheck),
    ResourceQuota(ResourceQuotaCheck),
    HorizontalPodAutoscaler(HpaCheck),
    Rbac(RbacCheck),
    Certificate(CertificateCheck),
    CronJob(CronJobCheck),
    Secret(SecretCheck),
    KubernetesVersion(KubernetesVersionCheck),
    Resource(ResourceCheck),
    Http(HttpCheck),
    Prometheus(PrometheusCheck),
    Checklist(ChecklistRefCheck),
    Manual(ManualCheck),
}

impl Check {
    /// The `check` key, as written in YAML.
    pub fn key(&self) -> &'static str {
        match self {
            Check::Workload(_) => "workload",
            Check::Service(_) => "service",
            Check::Ingress(_) => "ingress",
            Check::NetworkPolicy(_) => "networkPolicy",
            Check::ResourceQuota(_) => "resourceQuota",
            Check::HorizontalPodAutoscaler(_) => "horizontalPodAutoscaler",
            Check::Rbac(_) => "rbac",
            Check::Certificate(_) => "certificate",
            Check::CronJob(_) => "cronJob",
            Check::Secret(_) => "secret",
            Check::KubernetesVersion(_) => "kubernetesVersion",
            Check::Resource(_) => "resource",
            Check::Http(_) => "http",
            Check::Prometheus(_) => "prometheus",
            Check::Checklist(_) => "checklist",
            Check::Manual(_) => "manual",
        }
    }

    /// Every `check` key the catalogue knows, in documentation order.
    pub const KEYS: [&'static str; 16] = [
        "workload",
        "service",
        "ingress",
        "networkPolicy",
        "resourceQuota",
        "horizontalPodAutoscaler",
        "rbac",
        "certificate",
        "cronJob",
        "secret",
        "kubernetesVersion",
        "resource",
        "http",
        "prometheus",
        "checklist",
        "manual",
    ];
}

/// Rules over Deployments, StatefulSets and DaemonSets.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadCheck {
    /// Which workloads: `kind` (Deployment, StatefulSet or DaemonSet; empty means all three) and
    /// `name` or `selector`.
    pub target: Target,
    /// Desired replicas (`spec.replicas`, default 1) must be in range.
    pub replicas: Option<IntRange>,
    /// Every container must define these probes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<ProbeKind>,
    /// Every container must set these resource requests and limits.
    pub resources: Option<ResourceRule>,
    /// RollingUpdate with `maxUnavailable: 0` (Deployments), RollingUpdate (others).
    pub zero_downtime_rollout: Option<bool>,
    /// `terminationGracePeriodSeconds` (default 30) must be in range.
    pub termination_grace_period_seconds: Option<IntRange>,
    /// Every container must have a `lifecycle.preStop` hook.
    pub pre_stop_hook: Option<bool>,
    pub image: Option<ImageRule>,
    /// Env vars named like SECRET/PASSWORD/TOKEN/KEY must use `valueFrom`.
    pub forbid_literal_secret_env: Option<bool>,
    /// Pod or every container must set `runAsNonRoot: true`.
    pub run_as_non_root: Option<bool>,
    /// A PodDisruptionBudget must select the workload's pods.
    pub pod_disruption_budget: Option<PdbRule>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ProbeKind {
    Readiness,
    Liveness,
    Startup,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRule {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageRule {
    /// Reject images tagged `latest` or without a tag (which means `latest`).
    #[serde(default)]
    pub forbid_latest: bool,
    /// Every image must be pinned by `@sha256:` digest.
    #[serde(default)]
    pub require_digest: bool,
    /// Every image must carry exactly this tag.
    pub tag: Option<String>,
}

// `minAvailable` (a count >= 0 or 0%..100%, `checks::spec::workload`) has no CEL rule here: a
// regular expression over an int-or-string inside the unbounded items list is estimated at 88.6
// times the API server's per-rule cost budget (kube-apiserver 1.37 refused the CRD), so
// `/validate/checklists` alone enforces it.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PdbRule {
    /// When set, the PDB's `minAvailable` must be at least this (number or percentage).
    pub min_available: Option<IntOrString>,
}

/// No NodePort/LoadBalancer Service, nor one with externalIPs, exposes a forbidden port.
#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("has(self.forbidExposedPorts) && size(self.forbidExposedPorts) > 0")
    .message("forbidExposedPorts lists no ports"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct ServiceCheck {
    /// Ports that must stay private (matched against `port` and `targetPort`).
    pub forbid_exposed_ports: Vec<i32>,
    /// Only Services matching this selector are judged (default: all in the namespace).
    pub selector: Option<LabelSelector>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("has(self.hosts) && size(self.hosts) > 0")
    .message("hosts lists no host"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct IngressCheck {
    /// Each host must be served by some Ingress rule.
    pub hosts: Vec<String>,
    /// The host must be listed in that Ingress's `tls` section.
    #[serde(default)]
    pub require_tls: bool,
    /// Annotation name -> regular expression its value must fully match.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub require_annotations: BTreeMap<String, String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("(has(self.defaultDenyIngress) && self.defaultDenyIngress) || (has(self.defaultDenyEgress) && self.defaultDenyEgress) || has(self.coverWorkloads) || (has(self.restrictedPorts) && size(self.restrictedPorts) > 0)")
    .message("nothing to check (set defaultDenyIngress, defaultDenyEgress, coverWorkloads or restrictedPorts)"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicyCheck {
    #[serde(default)]
    pub default_deny_ingress: bool,
    #[serde(default)]
    pub default_deny_egress: bool,
    /// Each selected workload's pod template must be selected by some NetworkPolicy.
    pub cover_workloads: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restricted_ports: Vec<RestrictedPort>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestrictedPort {
    pub port: i32,
    #[serde(default)]
    pub allowed_from: AllowedFrom,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AllowedFrom {
    /// Only pods of the cluster (podSelector / namespaceSelector peers) may reach the port.
    #[default]
    InCluster,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("!has(self.maxUsedRatio) || (self.maxUsedRatio > 0.0 && self.maxUsedRatio <= 1.0)")
    .message("maxUsedRatio must be above 0 and at most 1"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct ResourceQuotaCheck {
    /// Resources every judged quota set must set in `spec.hard` (e.g. `requests.cpu`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub require_hard: Vec<String>,
    /// `status.used / status.hard` must stay below this ratio for every resource (0..1).
    pub max_used_ratio: Option<f64>,
    /// A LimitRange must exist in the namespace.
    #[serde(default)]
    pub require_limit_range: bool,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("has(self.target.kind) && self.target.kind != '' && has(self.target.name) && self.target.name != '' && !has(self.target.selector)")
    .message("target names the scale target by kind and name (no selector)"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct HpaCheck {
    /// The scale target: `kind` and `name` (as in the HPA's `scaleTargetRef`).
    pub target: Target,
    pub min_replicas: Option<IntRange>,
    pub max_replicas: Option<IntRange>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("(has(self.roles) && size(self.roles) > 0) || (has(self.access) && size(self.access) > 0) || (has(self.forbidClusterAdminBindings) && self.forbidClusterAdminBindings)")
    .message("nothing to check (set roles, access or forbidClusterAdminBindings)"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct RbacCheck {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access: Vec<AccessAssertion>,
    /// No binding in the namespace (nor a ClusterRoleBinding naming one of its ServiceAccounts)
    /// grants cluster-admin or a role with `*` verbs on `*` resources.
    #[serde(default)]
    pub forbid_cluster_admin_bindings: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleRef {
    pub kind: RoleKind,
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RoleKind {
    Role,
    ClusterRole,
}

/// "subject may (or may not) `verb` `resource`" in the checklist's namespace.
#[skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessAssertion {
    pub subject: Subject,
    pub verb: String,
    pub resource: String,
    /// `""` (default) is the core group.
    #[serde(default)]
    pub api_group: String,
    pub subresource: Option<String>,
    pub resource_name: Option<String>,
    /// Whether access is expected to be allowed (true) or denied (false).
    pub allowed: bool,
}

#[skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    pub kind: SubjectKind,
    pub name: String,
    /// For ServiceAccounts; defaults to the checklist's namespace.
    pub namespace: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SubjectKind {
    User,
    Group,
    ServiceAccount,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("!has(self.names) || size(self.names) == 0 || !has(self.selector)")
    .message("give either names or selector, not both"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct CertificateCheck {
    /// cert-manager Certificates by name; or use `selector`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    pub selector: Option<LabelSelector>,
    /// `status.notAfter` must be at least this far away.
    pub min_remaining_validity: Option<Duration>,
    #[serde(default)]
    pub require_renew_before: bool,
    pub issuer: Option<IssuerRef>,
    /// The referenced Issuer/ClusterIssuer must be an ACME issuer.
    #[serde(default)]
    pub require_acme: bool,
}

#[skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuerRef {
    /// `Issuer` (default) or `ClusterIssuer`.
    pub kind: Option<String>,
    pub name: String,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("!has(self.name) || !has(self.selector)").message("give either name or selector, not both"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct CronJobCheck {
    pub name: Option<String>,
    pub selector: Option<LabelSelector>,
    /// Some judged CronJob's schedule never leaves a gap longer than this.
    pub max_interval: Option<Duration>,
    /// `status.lastSuccessfulTime` must be at most this old.
    pub last_success_within: Option<Duration>,
    /// A suspended CronJob never runs: fail unless this is true.
    #[serde(default)]
    pub allow_suspended: bool,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretCheck {
    pub name: String,
    pub key: String,
    pub min_bytes: Option<u32>,
    /// Lower-case hex SHA-256 digests of known defaults the value must not equal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbid_sha256: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesVersionCheck {
    /// Minimum server version, e.g. `1.28` or `1.28.3`.
    pub at_least: String,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("!has(self.name) || !has(self.selector)").message("give either name or selector, not both"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct ResourceCheck {
    /// e.g. `monitoring.coreos.com/v1`; the version is not significant for matching.
    pub api_version: String,
    pub kind: String,
    pub name: Option<String>,
    pub selector: Option<LabelSelector>,
    /// How many objects must match (default: at least one).
    pub count: Option<IntRange>,
    /// CEL over `object`: must be true for every matched object.
    pub all: Option<String>,
    /// CEL over `object`: must be true for at least one matched object.
    pub any: Option<String>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpCheck {
    pub url: String,
    /// Accepted status codes (default 200).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect_status: Vec<u16>,
    /// Response header name -> regular expression its value must match.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub require_headers: BTreeMap<String, String>,
    pub min_tls_version: Option<TlsVersion>,
    /// Default 10s.
    pub timeout: Option<Duration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub enum TlsVersion {
    #[serde(rename = "1.2")]
    Tls12,
    #[serde(rename = "1.3")]
    Tls13,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusCheck {
    /// Base URL of the Prometheus server (the check calls `/api/v1/query`).
    pub url: String,
    pub query: String,
    pub expect: Expectation,
    #[serde(default)]
    pub empty_is: EmptyIs,
    /// Default 10s.
    pub timeout: Option<Duration>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("has(self.lessThan) || has(self.greaterThan) || has(self.equals)")
    .message("give lessThan, greaterThan or equals"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct Expectation {
    pub less_than: Option<f64>,
    pub greater_than: Option<f64>,
    pub equals: Option<f64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum EmptyIs {
    Pass,
    #[default]
    Fail,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChecklistRefCheck {
    /// Another ReadinessChecklist in the same namespace that must be Go.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new(
    "(has(self.approvers.users) && size(self.approvers.users) > 0) || \
     (has(self.approvers.groups) && size(self.approvers.groups) > 0)"
).message("approvers names nobody: give users or groups"))]
#[cfg_attr(test, x_kube(cel))]
#[serde(rename_all = "camelCase")]
pub struct ManualCheck {
    /// Who may approve this item.
    pub approvers: Principals,
    /// An approval counts for this long after it was made (default: until it expires).
    pub valid_for: Option<Duration>,
    /// Free text shown to approvers: what they attest.
    pub instructions: Option<String>,
}
