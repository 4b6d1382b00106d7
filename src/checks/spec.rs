//! The rules a check's spec must satisfy beyond its schema, written once: `engine::validate`
//! reports them (for `readygate check`, exit 2, and `/validate/checklists`), and each check
//! refuses a spec that breaks them at evaluation (an `Error`), so what the webhook admits is
//! exactly what evaluates. The CRD's CEL rules (`api/checks.rs`, tested in `api/rules.rs`)
//! repeat those the API server can express, as a first line; these are the reference.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::Outcome;
use crate::api::{
    CertificateCheck, Check, CronJobCheck, Expectation, HpaCheck, HttpCheck, IngressCheck, IntRange,
    KubernetesVersionCheck, ManualCheck, NetworkPolicyCheck, PrometheusCheck, RbacCheck, ResourceCheck,
    ResourceQuotaCheck, SecretCheck, ServiceCheck, Target, WorkloadCheck,
};
use crate::checks::KubeVersion;
use crate::inventory::selector;

/// One broken rule: the field (relative to the check, `""` for the check as a whole) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.field.as_str() {
            "" => f.write_str(&self.message),
            field => write!(f, "{field}: {}", self.message),
        }
    }
}

/// Every problem of `check`'s spec; empty when it may be evaluated.
pub fn problems(check: &Check) -> Vec<Problem> {
    match check {
        Check::Workload(spec) => workload(spec),
        Check::Service(spec) => service(spec),
        Check::Ingress(spec) => ingress(spec),
        Check::NetworkPolicy(spec) => network_policy(spec),
        Check::ResourceQuota(spec) => resource_quota(spec),
        Check::HorizontalPodAutoscaler(spec) => hpa(spec),
        Check::Rbac(spec) => rbac(spec),
        Check::Certificate(spec) => certificate(spec),
        Check::CronJob(spec) => cron_job(spec),
        Check::Secret(spec) => secret(spec),
        Check::KubernetesVersion(spec) => kubernetes_version(spec),
        Check::Resource(spec) => resource(spec),
        Check::Http(spec) => http(spec),
        Check::Prometheus(spec) => prometheus(spec),
        // Whether it names itself needs the checklist: `engine::validate` adds that rule.
        Check::Checklist(spec) => {
            let mut p = Problems::default();
            p.non_empty("name", &spec.name);
            p.0
        }
        Check::Manual(spec) => manual(spec),
    }
}

/// The `Error` outcome of a spec with `problems`, if any: what a check returns instead of
/// judging.
pub fn refused(problems: Vec<Problem>) -> Option<Outcome> {
    if problems.is_empty() {
        return None;
    }
    let text: Vec<String> = problems.iter().map(Problem::to_string).collect();
    Some(Outcome::error(text.join("; ")))
}

pub fn workload(spec: &WorkloadCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    if let Err(message) = super::workload::target_kinds(spec.target.kind.as_deref()) {
        p.push("target.kind", message);
    }
    p.target("target", &spec.target);
    p.range("replicas", spec.replicas.as_ref());
    p.range("terminationGracePeriodSeconds", spec.termination_grace_period_seconds.as_ref());
    if let Some(tag) = spec.image.as_ref().and_then(|i| i.tag.as_deref()) {
        p.non_empty("image.tag", tag);
    }
    if let Some(min) = spec.pod_disruption_budget.as_ref().and_then(|r| r.min_available.as_ref())
        && let Some(message) = super::workload::min_available_problem(min)
    {
        p.push("podDisruptionBudget.minAvailable", message);
    }
    p.0
}

pub fn service(spec: &ServiceCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    if spec.forbid_exposed_ports.is_empty() {
        p.push("forbidExposedPorts", "lists no ports");
    }
    p.selector("selector", spec.selector.as_ref());
    for (i, port) in spec.forbid_exposed_ports.iter().enumerate() {
        p.port(&format!("forbidExposedPorts[{i}]"), *port);
    }
    p.0
}

pub fn ingress(spec: &IngressCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    if spec.hosts.is_empty() {
        p.push("hosts", "lists no host");
    }
    for (name, pattern) in &spec.require_annotations {
        p.regex(&format!("requireAnnotations[{name}]"), pattern, super::patterns::Match::Full);
    }
    p.0
}

pub fn network_policy(spec: &NetworkPolicyCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    if !spec.default_deny_ingress
        && !spec.default_deny_egress
        && spec.cover_workloads.is_none()
        && spec.restricted_ports.is_empty()
    {
        p.push("", "nothing to check (set defaultDenyIngress, defaultDenyEgress, coverWorkloads or restrictedPorts)");
    }
    p.selector("coverWorkloads", spec.cover_workloads.as_ref());
    for (i, restricted) in spec.restricted_ports.iter().enumerate() {
        p.port(&format!("restrictedPorts[{i}].port"), restricted.port);
    }
    p.0
}

pub fn resource_quota(spec: &ResourceQuotaCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    if let Some(ratio) = spec.max_used_ratio
        && !(ratio > 0.0 && ratio <= 1.0)
    {
        p.push("maxUsedRatio", format!("{ratio} is not in (0, 1]"));
    }
    p.0
}

pub fn hpa(spec: &HpaCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    if spec.target.kind.as_deref().is_none_or(str::is_empty) {
        p.push("target.kind", "is required (the kind in the HPA's scaleTargetRef, e.g. Deployment)");
    }
    if let Some(selector) = &spec.target.selector {
        let before = p.0.len();
        p.selector("target.selector", Some(selector));
        if p.0.len() == before {
            p.push("target.selector", "is not supported here: name the scale target with target.name");
        }
    } else if spec.target.name.as_deref().is_none_or(str::is_empty) {
        p.push("target.name", "is required (the name in the HPA's scaleTargetRef)");
    }
    p.range("minReplicas", spec.min_replicas.as_ref());
    p.range("maxReplicas", spec.max_replicas.as_ref());
    p.0
}

pub fn rbac(spec: &RbacCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    if spec.roles.is_empty() && spec.access.is_empty() && !spec.forbid_cluster_admin_bindings {
        p.push("", "nothing to check (set roles, access or forbidClusterAdminBindings)");
    }
    for (i, access) in spec.access.iter().enumerate() {
        let at = |field: &str| format!("access[{i}].{field}");
        if access.subject.name.trim().is_empty() {
            p.push(&format!("access[{i}]"), "subject.name is empty");
        }
        p.non_empty(&at("verb"), &access.verb);
        p.non_empty(&at("resource"), &access.resource);
        // `resource: deployments/scale` is how kubectl spells a subresource; not both ways.
        if access.resource.contains('/') && access.subresource.as_deref().is_some_and(|s| !s.is_empty()) {
            p.push(&format!("access[{i}]"), "give the subresource either in resource or in subresource, not both");
        }
    }
    p.0
}

pub fn certificate(spec: &CertificateCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    p.name_or_selector("", !spec.names.is_empty(), spec.selector.as_ref(), "names");
    p.selector("selector", spec.selector.as_ref());
    if let Some(kind) = spec.issuer.as_ref().and_then(|i| i.kind.as_deref())
        && !matches!(kind, "Issuer" | "ClusterIssuer")
    {
        p.push("issuer.kind", format!("{kind:?} is not Issuer or ClusterIssuer"));
    }
    p.0
}

pub fn cron_job(spec: &CronJobCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    p.name_or_selector("", spec.name.is_some(), spec.selector.as_ref(), "name");
    p.selector("selector", spec.selector.as_ref());
    p.0
}

pub fn secret(spec: &SecretCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    p.non_empty("name", &spec.name);
    p.non_empty("key", &spec.key);
    for (i, digest) in spec.forbid_sha256.iter().enumerate() {
        if !is_sha256(digest) {
            p.push(&format!("forbidSha256[{i}]"), "is not a SHA-256 digest (64 hex digits)");
        }
    }
    p.0
}

/// 64 hex digits (either case, surrounding blanks ignored): how `secret` compares digests.
pub fn is_sha256(digest: &str) -> bool {
    let digest = digest.trim();
    digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn kubernetes_version(spec: &KubernetesVersionCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    if let Err(e) = spec.at_least.parse::<KubeVersion>() {
        p.push("atLeast", e);
    }
    p.0
}

pub fn resource(spec: &ResourceCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    p.non_empty("apiVersion", &spec.api_version);
    p.non_empty("kind", &spec.kind);
    p.name_or_selector("", spec.name.is_some(), spec.selector.as_ref(), "name");
    p.selector("selector", spec.selector.as_ref());
    p.range("count", spec.count.as_ref());
    p.cel("all", spec.all.as_deref());
    p.cel("any", spec.any.as_deref());
    p.0
}

pub fn http(spec: &HttpCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    p.url("url", &spec.url);
    for (i, status) in spec.expect_status.iter().enumerate() {
        if !(100..=599).contains(status) {
            p.push(&format!("expectStatus[{i}]"), format!("{status} is not an HTTP status code"));
        }
    }
    for (name, pattern) in &spec.require_headers {
        p.regex(&format!("requireHeaders[{name}]"), pattern, super::patterns::Match::Search);
    }
    p.0
}

pub fn prometheus(spec: &PrometheusCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    p.url("url", &spec.url);
    p.non_empty("query", &spec.query);
    p.0.extend(expectation(&spec.expect));
    p.0
}

/// The bounds of a Prometheus expectation: at least one, none NaN (which nothing can meet).
pub fn expectation(expect: &Expectation) -> Vec<Problem> {
    let mut p = Problems::default();
    let bounds = [("lessThan", expect.less_than), ("greaterThan", expect.greater_than), ("equals", expect.equals)];
    if bounds.iter().all(|(_, b)| b.is_none()) {
        p.push("expect", "give lessThan, greaterThan or equals");
    }
    for (name, bound) in bounds {
        if bound.is_some_and(f64::is_nan) {
            p.push(&format!("expect.{name}"), "is NaN, which nothing can meet");
        }
    }
    p.0
}

pub fn manual(spec: &ManualCheck) -> Vec<Problem> {
    let mut p = Problems::default();
    if spec.approvers.is_empty() {
        p.push("approvers", "names nobody: give users or groups");
    }
    p.0
}

/// Problems found so far.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, field: &str, message: impl std::fmt::Display) {
        self.0.push(Problem { field: field.to_owned(), message: message.to_string() });
    }

    fn non_empty(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.push(field, "must not be empty");
        }
    }

    fn range(&mut self, field: &str, range: Option<&IntRange>) {
        if let Some(IntRange { at_least: Some(low), at_most: Some(high) }) = range
            && low > high
        {
            self.push(field, format!("atLeast {low} > atMost {high}"));
        }
    }

    fn selector(&mut self, field: &str, selector: Option<&LabelSelector>) {
        for problem in selector.map(selector::problems).unwrap_or_default() {
            self.push(&format!("{field}.{}", problem.field), problem.error);
        }
    }

    fn target(&mut self, field: &str, target: &Target) {
        self.name_or_selector(field, target.name.is_some(), target.selector.as_ref(), "name");
        self.selector(&format!("{field}.selector"), target.selector.as_ref());
    }

    fn name_or_selector(&mut self, field: &str, has_name: bool, selector: Option<&LabelSelector>, name_field: &str) {
        if has_name && selector.is_some() {
            self.push(field, format!("give either {name_field} or selector, not both"));
        }
    }

    fn port(&mut self, field: &str, port: i32) {
        if !(1..=65535).contains(&port) {
            self.push(field, format!("port {port} is not in 1..65535"));
        }
    }

    /// Compiled as the check compiles it (same cache, size limit and anchoring), so what passes
    /// here also runs there.
    fn regex(&mut self, field: &str, pattern: &str, anchoring: super::patterns::Match) {
        if let Err(e) = super::patterns::compiled(pattern, anchoring) {
            // The regex crate's message spans several lines to point at the fault; one will do.
            let message = e.to_string();
            let reason = message.lines().rfind(|l| l.starts_with("error:")).or_else(|| message.lines().next());
            let reason = reason.unwrap_or_default().trim_start_matches("error: ");
            self.push(field, format!("invalid regular expression {pattern:?}: {reason}"));
        }
    }

    fn url(&mut self, field: &str, url: &str) {
        match url.parse::<http::Uri>() {
            Ok(uri) if matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some() => {}
            _ => self.push(field, format!("{url:?} is not an http(s) URL")),
        }
    }

    fn cel(&mut self, field: &str, expression: Option<&str>) {
        use super::cel::CompileError;
        match expression.map(super::cel::check_expression) {
            // Over the CEL budget: the message states the estimate and the limit.
            Some(Err(e @ CompileError::Budget(_))) => self.push(field, e),
            // CEL's message continues with a snippet on further lines; the first says it all.
            Some(Err(e)) => {
                self.push(field, format!("CEL does not compile: {}", e.to_string().lines().next().unwrap_or_default()))
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
