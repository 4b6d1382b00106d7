//! What a checklist must satisfy beyond its schema: the rules the admission webhook enforces and
//! `readygate check` applies offline, so a checklist is refused before it is evaluated.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::{Check, IntRange, ReadinessChecklist, Target};
use crate::checks::KubeVersion;
use crate::inventory::selector;

mod governance;

/// The most items a checklist may hold (the schema's `maxItems`).
pub const MAX_ITEMS: usize = 256;

/// Every problem of `checklist`, one message each, naming the item and field:
/// `items[3] (autoscaling).check.horizontalPodAutoscaler.minReplicas: atLeast 5 > atMost 3`.
/// Empty when the checklist is valid. Exactly one check key per item is already enforced by
/// deserialization (and by the schema's `oneOf`).
pub fn validate_checklist(checklist: &ReadinessChecklist) -> Vec<String> {
    let spec = &checklist.spec;
    let mut problems = Problems::default();
    if spec.items.is_empty() {
        problems.push("items", "at least one item is required");
    }
    if spec.items.len() > MAX_ITEMS {
        problems.push("items", format!("{} items, at most {MAX_ITEMS} allowed", spec.items.len()));
    }
    if let Some(gate) = &spec.gate {
        for (path, problem) in governance::gate_problems(gate) {
            problems.push(&path, problem);
        }
        problems.selector("gate.selector", Some(&gate.selector));
        if gate.bind_release && spec.release.as_deref().is_none_or(|r| r.trim().is_empty()) {
            problems.push("gate.bindRelease", "needs spec.release: admitted workloads are bound to that release");
        }
    }
    let own_name = checklist.metadata.name.as_deref().unwrap_or_default();
    let mut first_index: HashMap<&str, usize> = HashMap::new();
    for (index, item) in spec.items.iter().enumerate() {
        let at =
            if item.name.is_empty() { format!("items[{index}]") } else { format!("items[{index}] ({})", item.name) };
        if let Some(problem) = dns1123_label_problem(&item.name) {
            problems.push(&format!("{at}.name"), problem);
        }
        match first_index.entry(&item.name) {
            Entry::Occupied(first) => {
                problems.push(&format!("{at}.name"), format!("duplicate of items[{}]", first.get()))
            }
            Entry::Vacant(slot) => {
                slot.insert(index);
            }
        }
        for (field, problem) in governance::item_problems(item) {
            problems.push(&format!("{at}.{field}"), problem);
        }
        let path = format!("{at}.check.{}", item.check.key());
        validate_check(&item.check, &path, own_name, &mut problems);
    }
    problems.0
}

fn validate_check(check: &Check, path: &str, own_name: &str, problems: &mut Problems) {
    let field = |name: &str| format!("{path}.{name}");
    match check {
        Check::Workload(spec) => {
            problems.target(&field("target"), &spec.target);
            problems.range(&field("replicas"), spec.replicas.as_ref());
            problems.range(&field("terminationGracePeriodSeconds"), spec.termination_grace_period_seconds.as_ref());
            if let Some(IntOrString::String(value)) =
                spec.pod_disruption_budget.as_ref().and_then(|p| p.min_available.as_ref())
                && !is_percentage(value)
            {
                problems.push(
                    &field("podDisruptionBudget.minAvailable"),
                    format!("{value:?} is neither a number nor a percentage"),
                );
            }
        }
        Check::Service(spec) => {
            problems.selector(&field("selector"), spec.selector.as_ref());
            for (i, port) in spec.forbid_exposed_ports.iter().enumerate() {
                problems.port(&field(&format!("forbidExposedPorts[{i}]")), *port);
            }
        }
        Check::Ingress(spec) => {
            for (name, pattern) in &spec.require_annotations {
                problems.regex(&field(&format!("requireAnnotations[{name}]")), pattern);
            }
        }
        Check::NetworkPolicy(spec) => {
            problems.selector(&field("coverWorkloads"), spec.cover_workloads.as_ref());
            for (i, restricted) in spec.restricted_ports.iter().enumerate() {
                problems.port(&field(&format!("restrictedPorts[{i}].port")), restricted.port);
            }
        }
        Check::ResourceQuota(spec) => {
            if let Some(ratio) = spec.max_used_ratio
                && !(ratio > 0.0 && ratio <= 1.0)
            {
                problems.push(&field("maxUsedRatio"), format!("{ratio} is not in (0, 1]"));
            }
        }
        Check::HorizontalPodAutoscaler(spec) => {
            problems.target(&field("target"), &spec.target);
            problems.range(&field("minReplicas"), spec.min_replicas.as_ref());
            problems.range(&field("maxReplicas"), spec.max_replicas.as_ref());
        }
        Check::Rbac(spec) => {
            for (i, access) in spec.access.iter().enumerate() {
                if access.verb.is_empty() {
                    problems.push(&field(&format!("access[{i}].verb")), "must not be empty");
                }
                if access.resource.is_empty() {
                    problems.push(&field(&format!("access[{i}].resource")), "must not be empty");
                }
            }
        }
        Check::Certificate(spec) => {
            problems.name_or_selector(path, !spec.names.is_empty(), spec.selector.as_ref(), "names");
            problems.selector(&field("selector"), spec.selector.as_ref());
            if let Some(kind) = spec.issuer.as_ref().and_then(|i| i.kind.as_deref())
                && !matches!(kind, "Issuer" | "ClusterIssuer")
            {
                problems.push(&field("issuer.kind"), format!("{kind:?} is not Issuer or ClusterIssuer"));
            }
        }
        Check::CronJob(spec) => {
            problems.name_or_selector(path, spec.name.is_some(), spec.selector.as_ref(), "name");
            problems.selector(&field("selector"), spec.selector.as_ref());
        }
        Check::Secret(spec) => {
            problems.non_empty(&field("name"), &spec.name);
            problems.non_empty(&field("key"), &spec.key);
            for (i, digest) in spec.forbid_sha256.iter().enumerate() {
                if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                    problems.push(&field(&format!("forbidSha256[{i}]")), "must be 64 lower-case hex digits");
                }
            }
        }
        Check::KubernetesVersion(spec) => {
            if let Err(e) = spec.at_least.parse::<KubeVersion>() {
                problems.push(&field("atLeast"), e);
            }
        }
        Check::Resource(spec) => {
            problems.non_empty(&field("apiVersion"), &spec.api_version);
            problems.non_empty(&field("kind"), &spec.kind);
            problems.name_or_selector(path, spec.name.is_some(), spec.selector.as_ref(), "name");
            problems.selector(&field("selector"), spec.selector.as_ref());
            problems.range(&field("count"), spec.count.as_ref());
            problems.cel(&field("all"), spec.all.as_deref());
            problems.cel(&field("any"), spec.any.as_deref());
        }
        Check::Http(spec) => {
            problems.url(&field("url"), &spec.url);
            for (i, status) in spec.expect_status.iter().enumerate() {
                if !(100..=599).contains(status) {
                    problems
                        .push(&field(&format!("expectStatus[{i}]")), format!("{status} is not an HTTP status code"));
                }
            }
            for (name, pattern) in &spec.require_headers {
                problems.regex(&field(&format!("requireHeaders[{name}]")), pattern);
            }
        }
        Check::Prometheus(spec) => {
            problems.url(&field("url"), &spec.url);
            problems.non_empty(&field("query"), &spec.query);
            let expect = &spec.expect;
            if expect.less_than.is_none() && expect.greater_than.is_none() && expect.equals.is_none() {
                problems.push(&field("expect"), "give lessThan, greaterThan or equals");
            }
        }
        Check::Checklist(spec) => {
            problems.non_empty(&field("name"), &spec.name);
            if !spec.name.is_empty() && spec.name == own_name {
                problems.push(&field("name"), "a checklist cannot require itself");
            }
        }
        Check::Manual(spec) => {
            if spec.approvers.is_empty() {
                problems.push(&field("approvers"), "names nobody: give users or groups");
            }
        }
    }
}

/// Problems found so far, as `path: message` lines.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, path: &str, message: impl std::fmt::Display) {
        self.0.push(format!("{path}: {message}"));
    }

    fn non_empty(&mut self, path: &str, value: &str) {
        if value.trim().is_empty() {
            self.push(path, "must not be empty");
        }
    }

    fn range(&mut self, path: &str, range: Option<&IntRange>) {
        if let Some(IntRange { at_least: Some(low), at_most: Some(high) }) = range
            && low > high
        {
            self.push(path, format!("atLeast {low} > atMost {high}"));
        }
    }

    fn selector(&mut self, path: &str, selector: Option<&LabelSelector>) {
        for problem in selector.map(selector::problems).unwrap_or_default() {
            self.push(&format!("{path}.{}", problem.field), problem.error);
        }
    }

    fn target(&mut self, path: &str, target: &Target) {
        self.name_or_selector(path, target.name.is_some(), target.selector.as_ref(), "name");
        self.selector(&format!("{path}.selector"), target.selector.as_ref());
    }

    fn name_or_selector(&mut self, path: &str, has_name: bool, selector: Option<&LabelSelector>, name_field: &str) {
        if has_name && selector.is_some() {
            self.push(path, format!("give either {name_field} or selector, not both"));
        }
    }

    fn port(&mut self, path: &str, port: i32) {
        if !(1..=65535).contains(&port) {
            self.push(path, format!("{port} is not a port (1-65535)"));
        }
    }

    fn regex(&mut self, path: &str, pattern: &str) {
        // The same compiler (and size limit) the checks use, so what passes here also runs there.
        if let Err(e) = crate::checks::patterns::compiled(pattern, crate::checks::patterns::Match::Search) {
            // The regex crate's message spans several lines to point at the fault; one will do.
            let message = e.to_string();
            let reason = message.lines().rfind(|l| l.starts_with("error:")).or_else(|| message.lines().next());
            let reason = reason.unwrap_or_default().trim_start_matches("error: ");
            self.push(path, format!("invalid regular expression {pattern:?}: {reason}"));
        }
    }

    fn url(&mut self, path: &str, url: &str) {
        match url.parse::<http::Uri>() {
            Ok(uri) if matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some() => {}
            _ => self.push(path, format!("{url:?} is not an http(s) URL")),
        }
    }

    fn cel(&mut self, path: &str, expression: Option<&str>) {
        use crate::checks::cel::CompileError;
        match expression.map(crate::checks::cel::check_expression) {
            // Over the CEL budget: the message states the estimate and the limit.
            Some(Err(e @ CompileError::Budget(_))) => self.push(path, e),
            // CEL's message continues with a snippet on further lines; the first says it all.
            Some(Err(e)) => {
                self.push(path, format!("CEL does not compile: {}", e.to_string().lines().next().unwrap_or_default()))
            }
            _ => {}
        }
    }
}

/// Kubernetes' DNS-1123 label rule, which item names follow.
fn dns1123_label_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("must not be empty".to_owned());
    }
    let bytes = name.as_bytes();
    let alphanumeric = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let valid = name.len() <= 63
        && bytes.iter().all(|b| alphanumeric(b) || *b == b'-')
        && bytes.first().is_some_and(alphanumeric)
        && bytes.last().is_some_and(alphanumeric);
    (!valid).then(|| {
        format!(
            "{name:?} is not a DNS-1123 label (lower-case letters, digits and '-', starting and ending \
             with a letter or digit, at most 63 characters)"
        )
    })
}

fn is_percentage(value: &str) -> bool {
    value.strip_suffix('%').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests;
