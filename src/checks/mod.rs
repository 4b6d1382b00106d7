//! The check catalogue: one pure function per `check` key, from (spec, scope) to an [`Outcome`].

pub mod cel;
mod certificate;
mod checklist_ref;
#[cfg(test)]
mod corpus;
mod cron_job;
mod facts;
mod findings;
mod hpa;
mod http;
mod ingress;
mod kubernetes_version;
mod network_policy;
mod outcome;
pub(crate) mod podspec;
mod prometheus;
pub(crate) mod quantity;
pub mod rbac;
mod resource;
mod resource_quota;
mod schedule;
mod secret;
mod select;
mod service;
mod workload;

pub use facts::{Facts, HttpObservation, KubeVersion, Mode, PrometheusObservation};
pub use outcome::Outcome;
pub use select::{describe_target, select};

use crate::api::Check;
use crate::inventory::{Inventory, kinds};

/// Everything a check may read: the checklist's namespace, the inventory, live facts, and "now"
/// (injected, so evaluation is deterministic and testable).
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub namespace: &'a str,
    pub inventory: &'a Inventory,
    pub facts: &'a Facts,
    pub now: jiff::Timestamp,
}

/// Runs one check. `manual` is decided by the engine from sign-offs, never here.
pub fn evaluate(check: &Check, scope: &Scope<'_>) -> Outcome {
    if let Some(outcome) = unavailable(check, scope) {
        return outcome;
    }
    match check {
        Check::Workload(spec) => workload::evaluate(spec, scope),
        Check::Service(spec) => service::evaluate(spec, scope),
        Check::Ingress(spec) => ingress::evaluate(spec, scope),
        Check::NetworkPolicy(spec) => network_policy::evaluate(spec, scope),
        Check::ResourceQuota(spec) => resource_quota::evaluate(spec, scope),
        Check::HorizontalPodAutoscaler(spec) => hpa::evaluate(spec, scope),
        Check::Rbac(spec) => rbac::evaluate(spec, scope),
        Check::Certificate(spec) => certificate::evaluate(spec, scope),
        Check::CronJob(spec) => cron_job::evaluate(spec, scope),
        Check::Secret(spec) => secret::evaluate(spec, scope),
        Check::KubernetesVersion(spec) => kubernetes_version::evaluate(spec, scope),
        Check::Resource(spec) => resource::evaluate(spec, scope),
        Check::Http(spec) => http::evaluate(spec, scope),
        Check::Prometheus(spec) => prometheus::evaluate(spec, scope),
        Check::Checklist(spec) => checklist_ref::evaluate(spec, scope),
        Check::Manual(_) => Outcome::error("manual items are decided from sign-offs by the engine"),
    }
}

/// The kind keys a check reads from the inventory. The controller watches exactly these and
/// re-evaluates a checklist only when one of them changes in its namespace (or cluster-wide).
pub fn reads(check: &Check) -> Vec<String> {
    let keys: &[&str] = match check {
        Check::Workload(_) => &[kinds::DEPLOYMENT, kinds::STATEFUL_SET, kinds::DAEMON_SET, kinds::PDB],
        // Workloads resolve a Service's named targetPort.
        Check::Service(_) => &[kinds::SERVICE, kinds::DEPLOYMENT, kinds::STATEFUL_SET, kinds::DAEMON_SET],
        Check::Ingress(_) => &[kinds::INGRESS],
        Check::NetworkPolicy(_) => &[kinds::NETWORK_POLICY, kinds::DEPLOYMENT, kinds::STATEFUL_SET, kinds::DAEMON_SET],
        Check::ResourceQuota(_) => &[kinds::RESOURCE_QUOTA, kinds::LIMIT_RANGE],
        // Scale targets, to tell an HPA whose target is missing.
        Check::HorizontalPodAutoscaler(_) => &[kinds::HPA, kinds::DEPLOYMENT, kinds::STATEFUL_SET],
        Check::Rbac(_) => &[kinds::ROLE, kinds::CLUSTER_ROLE, kinds::ROLE_BINDING, kinds::CLUSTER_ROLE_BINDING],
        Check::Certificate(_) => &[kinds::CERTIFICATE, kinds::ISSUER, kinds::CLUSTER_ISSUER],
        Check::CronJob(_) => &[kinds::CRON_JOB],
        Check::Secret(_) => &[kinds::SECRET],
        Check::Resource(spec) => {
            let group = crate::inventory::group_of(&spec.api_version);
            return vec![crate::inventory::kind_key(group, &spec.kind)];
        }
        Check::Checklist(_) => &[kinds::CHECKLIST],
        Check::Manual(_) => &[kinds::SIGNOFF],
        Check::KubernetesVersion(_) | Check::Http(_) | Check::Prometheus(_) => &[],
    };
    keys.iter().map(|k| (*k).to_owned()).collect()
}

/// An item that reads a kind the cluster cannot serve is an Error naming the kind and why,
/// rather than a Failed judged on an empty list.
fn unavailable(check: &Check, scope: &Scope<'_>) -> Option<Outcome> {
    if scope.facts.unavailable_kinds.is_empty() {
        return None;
    }
    // Issuers are optional for `certificate` (only needed for `requireAcme`/`issuer`), and a
    // missing StatefulSet/DaemonSet watch must not fail a Deployment-only check; only the
    // primary kind of each check is required.
    let primary = reads(check).into_iter().next()?;
    scope.facts.unavailable_kinds.get(&primary).map(|reason| Outcome::error(format!("cannot read {primary}: {reason}")))
}
