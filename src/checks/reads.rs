//! Which kinds each check reads from the inventory: the controller watches these and re-evaluates
//! a checklist when one of them changes, so a kind missing here is a missed re-evaluation.

use crate::api::Check;
use crate::inventory::kinds;

/// The kind keys a check reads from the inventory, most important first: the first is the kind the
/// check judges (an item whose first kind cannot be read is an Error, see `checks::evaluate`).
/// Kinds only some rules need are listed only when the spec asks for those rules.
pub fn reads(check: &Check) -> Vec<String> {
    let mut keys: Vec<&str> = match check {
        Check::Workload(spec) => {
            let mut keys = super::workload::target_kinds(spec.target.kind.as_deref()).unwrap_or_default();
            if spec.pod_disruption_budget.is_some() {
                keys.push(kinds::PDB);
            }
            keys
        }
        // Workloads resolve a Service's named targetPort.
        Check::Service(_) => with_workloads(kinds::SERVICE),
        Check::Ingress(_) => vec![kinds::INGRESS],
        Check::NetworkPolicy(spec) if spec.cover_workloads.is_some() || !spec.restricted_ports.is_empty() => {
            with_workloads(kinds::NETWORK_POLICY)
        }
        Check::NetworkPolicy(_) => vec![kinds::NETWORK_POLICY],
        Check::ResourceQuota(spec) if spec.require_limit_range => vec![kinds::RESOURCE_QUOTA, kinds::LIMIT_RANGE],
        Check::ResourceQuota(_) => vec![kinds::RESOURCE_QUOTA],
        // The scale target too, to tell an HPA whose target is missing.
        Check::HorizontalPodAutoscaler(spec) => {
            let target = spec.target.kind.as_deref().and_then(super::hpa::scale_target_key);
            return [kinds::HPA.to_owned()].into_iter().chain(target).collect();
        }
        Check::Rbac(_) => vec![kinds::ROLE, kinds::CLUSTER_ROLE, kinds::ROLE_BINDING, kinds::CLUSTER_ROLE_BINDING],
        Check::Certificate(spec) if spec.require_acme => {
            vec![kinds::CERTIFICATE, kinds::ISSUER, kinds::CLUSTER_ISSUER]
        }
        Check::Certificate(_) => vec![kinds::CERTIFICATE],
        Check::CronJob(_) => vec![kinds::CRON_JOB],
        Check::Secret(_) => vec![kinds::SECRET],
        Check::Resource(spec) => {
            let group = crate::inventory::group_of(&spec.api_version);
            return vec![crate::inventory::kind_key(group, &spec.kind)];
        }
        Check::Checklist(_) => vec![kinds::CHECKLIST],
        Check::Manual(_) => vec![kinds::SIGNOFF],
        Check::KubernetesVersion(_) | Check::Http(_) | Check::Prometheus(_) => vec![],
    };
    keys.dedup();
    keys.into_iter().map(str::to_owned).collect()
}

fn with_workloads(primary: &'static str) -> Vec<&'static str> {
    [primary].into_iter().chain(kinds::WORKLOADS).collect()
}

#[cfg(test)]
mod tests;
