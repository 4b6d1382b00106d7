//! `networkPolicy`: default-deny policies, workload coverage, and ports kept in-cluster, under
//! the Kubernetes NetworkPolicy (networking.k8s.io/v1) semantics.

mod coverage;
mod default_deny;
mod policy;
mod restricted_ports;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_corpus;

use policy::{Direction, Policy};

use super::{Outcome, Scope};
use crate::api::NetworkPolicyCheck;
use std::sync::Arc;

use crate::inventory::kinds;
use crate::inventory::view::{NetworkPolicyView, ViewError, WorkloadView};

/// How many objects a message lists before it only counts the rest (messages stay short).
const LISTED: usize = 8;

pub fn evaluate(spec: &NetworkPolicyCheck, scope: &Scope<'_>) -> Outcome {
    if let Some(refused) = super::spec::refused(super::spec::network_policy(spec)) {
        return refused;
    }
    if let Some(outcome) = unreadable_workloads(spec, scope) {
        return outcome;
    }
    // A policy the API server would reject is a broken object, not a broken checklist.
    let policies = match policies(scope) {
        Ok(policies) => policies,
        Err(message) => return Outcome::failed(format!("{message} (the API server would reject this policy)")),
    };
    let mut findings = Findings::default();
    for (wanted, direction) in
        [(spec.default_deny_ingress, Direction::Ingress), (spec.default_deny_egress, Direction::Egress)]
    {
        if wanted {
            default_deny::judge(direction, &policies, scope.namespace, &mut findings);
        }
    }
    if let Some(selector) = &spec.cover_workloads
        && let Err(message) = coverage::judge(selector, scope, &policies, &mut findings)
    {
        return Outcome::error(message);
    }
    // Read only when asked for: `checks::reads` lists workloads only for these rules.
    let workloads = if spec.restricted_ports.is_empty() {
        Vec::new()
    } else {
        match workloads(scope) {
            Ok(workloads) => workloads,
            Err(e) => return Outcome::error(e.to_string()),
        }
    };
    for port in &spec.restricted_ports {
        restricted_ports::judge(port.port, &workloads, &policies, scope.namespace, &mut findings);
    }
    findings.into_outcome()
}

/// What the sub-checks concluded: problems fail the item, notes explain a pass.
#[derive(Default)]
struct Findings {
    problems: Vec<String>,
    notes: Vec<String>,
}

impl Findings {
    fn into_outcome(self) -> Outcome {
        Outcome::from_problems(self.problems, self.notes.join("; "))
    }
}

/// Coverage and port rules judge every workload kind: a StatefulSet the cluster would not let us
/// list (often the database) must not pass unseen.
fn unreadable_workloads(spec: &NetworkPolicyCheck, scope: &Scope<'_>) -> Option<Outcome> {
    if spec.cover_workloads.is_none() && spec.restricted_ports.is_empty() {
        return None;
    }
    kinds::WORKLOADS.iter().find_map(|kind| {
        let reason = scope.facts.unavailable_kinds.get(*kind)?;
        Some(Outcome::error(format!("cannot read {kind}: {reason}")))
    })
}

/// The namespace's policies, by name. One that cannot be read (a `podSelector` of the wrong
/// shape) or used (an invalid selector) is an error naming it and the field.
fn policies(scope: &Scope<'_>) -> Result<Vec<Policy>, String> {
    scope
        .inventory
        .views_in::<NetworkPolicyView>(kinds::NETWORK_POLICY, Some(scope.namespace))
        .map(|view| Policy::from_view(&*view.map_err(|e| e.to_string())?))
        .collect()
}

/// Every Deployment, StatefulSet and DaemonSet of the namespace, kind by kind, by name.
fn workloads(scope: &Scope<'_>) -> Result<Vec<Arc<WorkloadView>>, ViewError> {
    kinds::WORKLOADS.iter().flat_map(|kind| scope.inventory.views_in(*kind, Some(scope.namespace))).collect()
}

/// `a, b, c and 4 more`.
fn list(names: &[String]) -> String {
    super::listing::list(names, LISTED)
}
