//! The check catalogue: one pure function per `check` key, from (spec, scope) to an [`Outcome`].

pub mod cel;
mod certificate;
mod checklist_ref;
#[cfg(test)]
pub(crate) mod corpus;
mod cron_job;
mod facts;
mod findings;
#[cfg(test)]
pub(crate) mod fixtures;
mod hpa;
mod http;
mod ingress;
mod kubernetes_version;
mod listing;
mod network_policy;
mod outcome;
pub(crate) mod patterns;
pub(crate) mod podspec;
mod prometheus;
pub(crate) mod quantity;
pub mod rbac;
pub mod reads;
mod resource;
mod resource_quota;
pub mod schedule;
mod secret;
mod select;
mod service;
pub mod spec;
mod workload;

pub use facts::{Facts, HttpObservation, KubeVersion, Mode, PrometheusObservation};
pub use outcome::Outcome;
pub use reads::{ChecklistReads, reads, signoffs_count};
pub use select::{describe_target, select, select_views};

use crate::api::Check;
use crate::inventory::Inventory;

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
    let reason = scope.facts.unavailable_kinds.get(&primary)?;
    Some(Outcome::error(format!("cannot read {}: {reason}", crate::inventory::whole::kind_of(&primary))))
}
