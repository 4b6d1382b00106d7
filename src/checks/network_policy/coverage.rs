//! `coverWorkloads`: every selected workload's pods are selected by some NetworkPolicy.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::policy::Policy;
use super::{Findings, list};
use crate::checks::{Scope, select_views};
use crate::inventory::view::WorkloadView;
use crate::inventory::{kinds, selector};

/// Selects workloads by their own labels (as `kubectl get -l` does) and judges their pod
/// templates' labels against every policy's podSelector, whatever directions it governs.
/// Returns an error for an unusable selector.
pub(super) fn judge(
    workload_selector: &LabelSelector,
    scope: &Scope<'_>,
    policies: &[Policy],
    findings: &mut Findings,
) -> Result<(), String> {
    let mut selected: Vec<Arc<WorkloadView>> = Vec::new();
    for kind in kinds::WORKLOADS {
        for view in
            select_views(scope, kind, None, Some(workload_selector)).map_err(|e| format!("coverWorkloads: {e}"))?
        {
            selected.push(view.map_err(|e| e.to_string())?);
        }
    }
    if selected.is_empty() {
        findings
            .problems
            .push(format!("no Deployment, StatefulSet or DaemonSet matches {}", selector::describe(workload_selector)));
        return Ok(());
    }
    let uncovered: Vec<String> = selected
        .iter()
        .filter(|workload| {
            let labels = workload.template_labels();
            !policies.iter().any(|p| p.selects(labels))
        })
        .map(|workload| workload.reference())
        .collect();
    if uncovered.is_empty() {
        findings.notes.push(match selected.as_slice() {
            [only] => format!("{} is selected by a NetworkPolicy", only.reference()),
            all => {
                let names: Vec<String> = all.iter().map(|w| w.reference()).collect();
                format!("all {} selected workloads are selected by a NetworkPolicy: {}", all.len(), list(&names))
            }
        });
    } else if policies.is_empty() {
        findings.problems.push(format!(
            "no NetworkPolicy in namespace {}, so every pod accepts all traffic (Kubernetes default); not covered: {}",
            scope.namespace,
            list(&uncovered)
        ));
    } else {
        findings.problems.push(format!("not selected by any NetworkPolicy: {}", list(&uncovered)));
    }
    Ok(())
}
