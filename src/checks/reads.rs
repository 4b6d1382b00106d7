//! What a checklist reads: the one declaration the engine (which objects `readygate check`
//! keeps), the controller (what it watches, snapshots and re-evaluates on) and the RBAC the
//! install grants all follow. A kind missing here is an object never loaded, a watch never
//! started or a missed re-evaluation; [`tests`] runs every check and fails on any kind it looked
//! up without listing it.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::{Check, ReadinessChecklist};
use crate::inventory::{Kind, kinds, whole};

/// What evaluating one checklist reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChecklistReads {
    /// The inventory keys an evaluation looks up: the kinds of every item (for `resource`
    /// items, the key of whole objects, [`whole::key`]), plus ReadinessSignoffs when
    /// [`signoffs_count`].
    pub keys: BTreeSet<Kind>,
    /// Kinds `resource` items judge, which must be kept whole: kind -> (apiVersion, kind), as
    /// the first item naming the kind spells it (discovery resolves the version live).
    pub whole: BTreeMap<Kind, (String, String)>,
}

impl ChecklistReads {
    pub fn of(checklist: &ReadinessChecklist) -> Self {
        let mut reads = ChecklistReads::default();
        for item in &checklist.spec.items {
            reads.keys.extend(self::reads(&item.check));
            if let Check::Resource(spec) = &item.check {
                reads
                    .whole
                    .entry(Kind::of(&spec.api_version, &spec.kind))
                    .or_insert_with(|| (spec.api_version.clone(), spec.kind.clone()));
            }
        }
        if signoffs_count(checklist) {
            reads.keys.insert(kinds::SIGNOFF.into());
        }
        reads
    }

    /// Whether a change to objects under inventory key `key` can change this checklist's result.
    pub fn reads_key(&self, key: &Kind) -> bool {
        self.keys.contains(key)
    }
}

/// Whether ReadinessSignoffs can change `checklist`'s result: they approve manual items and
/// waive items that name who may waive them (`waivableBy`); a waiver of any other item is
/// never honoured (see `engine::signoffs`), so other checklists need not read them.
pub fn signoffs_count(checklist: &ReadinessChecklist) -> bool {
    checklist.spec.items.iter().any(|item| matches!(item.check, Check::Manual(_)) || item.waivable_by.is_some())
}

/// The inventory keys a check reads, most important first: the first is the kind the check
/// judges (an item whose first kind cannot be read is an Error, see `checks::evaluate`). Kinds
/// only some rules need are listed only when the spec asks for those rules. A `resource` item
/// reads whole objects ([`whole::key`]).
pub fn reads(check: &Check) -> Vec<Kind> {
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
            return [Kind::from(kinds::HPA)].into_iter().chain(target).collect();
        }
        Check::Rbac(_) => vec![kinds::ROLE, kinds::CLUSTER_ROLE, kinds::ROLE_BINDING, kinds::CLUSTER_ROLE_BINDING],
        Check::Certificate(spec) if spec.require_acme => {
            vec![kinds::CERTIFICATE, kinds::ISSUER, kinds::CLUSTER_ISSUER]
        }
        Check::Certificate(_) => vec![kinds::CERTIFICATE],
        Check::CronJob(_) => vec![kinds::CRON_JOB],
        Check::Secret(_) => vec![kinds::SECRET],
        Check::Resource(spec) => return vec![whole::key(Kind::of(&spec.api_version, &spec.kind))],
        Check::Checklist(_) => vec![kinds::CHECKLIST],
        Check::Manual(_) => vec![kinds::SIGNOFF],
        Check::KubernetesVersion(_) | Check::Http(_) | Check::Prometheus(_) => vec![],
    };
    keys.dedup();
    keys.into_iter().map(Kind::from).collect()
}

fn with_workloads(primary: &'static str) -> Vec<&'static str> {
    [primary].into_iter().chain(kinds::WORKLOADS).collect()
}

#[cfg(test)]
mod tests;
