//! `defaultDenyIngress` / `defaultDenyEgress`: a policy selects every pod (`podSelector: {}`),
//! governs the direction, and allows nothing in it.

use super::policy::{Direction, Policy};
use super::{Findings, list};

pub(super) fn judge(direction: Direction, policies: &[Policy], namespace: &str, findings: &mut Findings) {
    let field = direction.field();
    if let Some(deny) = policies.iter().find(|p| p.selects_all_pods() && p.denies_all(direction)) {
        findings.notes.push(format!("{} denies all {field} by default", deny.reference()));
        return;
    }
    if policies.is_empty() {
        findings.problems.push(format!(
            "no NetworkPolicy in namespace {namespace}, so all {field} is allowed (Kubernetes default); expected \
             one with podSelector {{}} and no {field} rules"
        ));
        return;
    }
    let mut problem = format!(
        "no default-deny {field} policy in namespace {namespace} (podSelector {{}}, policyTypes including {}, no \
         {field} rules)",
        direction.policy_type()
    );
    let near_misses: Vec<String> = policies
        .iter()
        .filter(|p| p.selects_all_pods())
        .map(|p| {
            if p.governs(direction) {
                format!("{} selects all pods but allows some {field}", p.reference())
            } else {
                // The classic slip: `egress: []` without `policyTypes: [Egress]` governs nothing.
                format!(
                    "{} selects all pods but does not list {} in policyTypes",
                    p.reference(),
                    direction.policy_type()
                )
            }
        })
        .collect();
    if !near_misses.is_empty() {
        problem.push_str(&format!(": {}", list(&near_misses)));
    }
    findings.problems.push(problem);
}
