//! `workload`: selected Deployments, StatefulSets and DaemonSets meet every rule the item gives.

mod containers;
mod image;
mod pdb;

pub(crate) use pdb::min_available_problem;
mod rollout;
mod secret_env;

#[cfg(test)]
mod fixtures;

use super::listing::list;
use super::{Outcome, Scope, podspec, select_views};
use std::sync::Arc;

use crate::api::WorkloadCheck;
use crate::inventory::view::{PdbView, WorkloadView};
use crate::inventory::{Kind, kinds, selector};

/// Workloads a message names before it only counts the rest.
const LISTED: usize = 8;

pub fn evaluate(spec: &WorkloadCheck, scope: &Scope<'_>) -> Outcome {
    if let Some(refused) = super::spec::refused(super::spec::workload(spec)) {
        return refused;
    }
    let kind_keys = match target_kinds(spec.target.kind.as_deref()) {
        Ok(keys) => keys,
        Err(e) => return Outcome::error(e),
    };
    let pdbs: Vec<Arc<PdbView>> = if spec.pod_disruption_budget.is_some() {
        match scope.inventory.views_in(kinds::PDB, Some(scope.namespace)).collect() {
            Ok(pdbs) => pdbs,
            Err(e) => return Outcome::error(format!("{e}")),
        }
    } else {
        Vec::new()
    };
    // Each workload is read, judged and dropped in turn: what stays is its name and its
    // problems, so judging every Deployment of a large stream holds one view at a time.
    // Workloads sharing a problem are named together, so the message stays short (and within
    // the status size bound) when many workloads miss the same rule the same way.
    let mut names: Vec<String> = Vec::new();
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    for key in &kind_keys {
        let views = match select_views::<WorkloadView>(
            scope,
            key,
            spec.target.name.as_deref(),
            spec.target.selector.as_ref(),
        ) {
            Ok(views) => views,
            Err(e) => return Outcome::error(format!("target: {e}")),
        };
        for view in views {
            let workload = match view {
                Ok(workload) => workload,
                Err(e) => return Outcome::error(e.to_string()),
            };
            let reference = workload.reference();
            for problem in judge(spec, &workload, &pdbs) {
                match grouped.iter_mut().find(|(p, _)| *p == problem) {
                    Some((_, references)) => references.push(reference.clone()),
                    None => grouped.push((problem, vec![reference.clone()])),
                }
            }
            names.push(reference);
        }
    }
    if names.is_empty() {
        return Outcome::failed(nothing_selected(spec, &kind_keys, scope.namespace));
    }
    let problems = grouped.into_iter().map(|(problem, refs)| format!("{}: {problem}", list(&refs, LISTED))).collect();
    let rules = rule_names(spec);
    let ok = match (names.as_slice(), rules.is_empty()) {
        ([one], true) => format!("{one} found (no rules given)"),
        ([one], false) => format!("{one} meets {}", rules.join(", ")),
        (many, true) => format!("{} workloads found (no rules given): {}", many.len(), list(many, LISTED)),
        (many, false) => format!("{} workloads meet {} ({})", many.len(), rules.join(", "), list(many, LISTED)),
    };
    Outcome::from_problems(problems, ok)
}

/// Every problem of one workload, rule by rule, in the order the contract lists the rules.
fn judge(spec: &WorkloadCheck, workload: &WorkloadView, pdbs: &[Arc<PdbView>]) -> Vec<String> {
    let mut problems = Vec::new();
    let wants_containers = !spec.probes.is_empty()
        || spec.resources.is_some()
        || spec.pre_stop_hook == Some(true)
        || spec.image.is_some()
        || spec.forbid_literal_secret_env == Some(true)
        || spec.run_as_non_root == Some(true);
    let containers = podspec::containers(workload);
    if wants_containers && !containers.iter().any(|c| c.role == podspec::Role::Regular) {
        problems.push("pod template has no containers".to_owned());
    }
    if let Some(range) = &spec.replicas {
        problems.extend(rollout::replicas(workload, range));
    }
    problems.extend(containers::probes(&containers, &spec.probes));
    if let Some(rule) = &spec.resources {
        problems.extend(containers::resources(workload, &containers, rule));
    }
    if spec.zero_downtime_rollout == Some(true) {
        problems.extend(rollout::zero_downtime(workload, &containers));
    }
    if let Some(range) = &spec.termination_grace_period_seconds {
        problems.extend(rollout::grace_period(workload, range));
    }
    if spec.pre_stop_hook == Some(true) {
        problems.extend(containers::pre_stop(&containers));
    }
    if let Some(rule) = &spec.image {
        problems.extend(image::check(&containers, rule));
    }
    if spec.forbid_literal_secret_env == Some(true) {
        problems.extend(secret_env::check(&containers));
    }
    if spec.run_as_non_root == Some(true) {
        problems.extend(containers::run_as_non_root(workload, &containers));
    }
    if let Some(rule) = &spec.pod_disruption_budget {
        problems.extend(pdb::check(workload, pdbs, rule));
    }
    problems
}

/// The kind keys the item targets: one named kind, or all three when `kind` is empty.
pub(super) fn target_kinds(kind: Option<&str>) -> Result<Vec<&'static str>, String> {
    match kind.unwrap_or_default() {
        "" => Ok(kinds::WORKLOADS.to_vec()),
        "Deployment" => Ok(vec![kinds::DEPLOYMENT]),
        "StatefulSet" => Ok(vec![kinds::STATEFUL_SET]),
        "DaemonSet" => Ok(vec![kinds::DAEMON_SET]),
        other => {
            Err(format!("target.kind {other:?} is not a workload kind (expected Deployment, StatefulSet or DaemonSet)"))
        }
    }
}

fn nothing_selected(spec: &WorkloadCheck, kind_keys: &[&str], namespace: &str) -> String {
    let names: Vec<String> = kind_keys.iter().map(|k| Kind::from(*k).kind().to_owned()).collect();
    let kinds = match names.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
        [] => "workload".to_owned(),
    };
    match (spec.target.name.as_deref(), spec.target.selector.as_ref()) {
        (Some(name), _) => format!("no {kinds} named {name}"),
        (None, Some(s)) => format!("no {kinds} matches {}", selector::describe(s)),
        (None, None) => format!("no {kinds} in namespace {namespace}"),
    }
}

fn rule_names(spec: &WorkloadCheck) -> Vec<&'static str> {
    let rules = [
        ("replicas", spec.replicas.is_some()),
        ("probes", !spec.probes.is_empty()),
        ("resources", spec.resources.is_some()),
        ("zeroDowntimeRollout", spec.zero_downtime_rollout == Some(true)),
        ("terminationGracePeriodSeconds", spec.termination_grace_period_seconds.is_some()),
        ("preStopHook", spec.pre_stop_hook == Some(true)),
        ("image", spec.image.is_some()),
        ("forbidLiteralSecretEnv", spec.forbid_literal_secret_env == Some(true)),
        ("runAsNonRoot", spec.run_as_non_root == Some(true)),
        ("podDisruptionBudget", spec.pod_disruption_budget.is_some()),
    ];
    rules.into_iter().filter(|(_, on)| *on).map(|(name, _)| name).collect()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tests_corpus;
