//! The `podDisruptionBudget` rule: exactly one PDB guards the workload's pods, strictly enough.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use crate::api::PdbRule;
use crate::inventory::selector;
use crate::inventory::view::PdbView;
use crate::inventory::view::WorkloadView;
use crate::inventory::view::workload::WorkloadKind;

/// A PDB bound: a pod count or a percentage of the workload's pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Amount {
    Pods(i64),
    Percent(i64),
}

impl Amount {
    fn parse(value: &IntOrString) -> Option<Amount> {
        match value {
            IntOrString::Int(n) if *n >= 0 => Some(Amount::Pods(i64::from(*n))),
            IntOrString::String(s) => {
                s.strip_suffix('%')?.parse::<i64>().ok().filter(|p| (0..=100).contains(p)).map(Amount::Percent)
            }
            IntOrString::Int(_) => None,
        }
    }

    fn from_json(value: &Value) -> Option<Amount> {
        Amount::parse(&serde_json::from_value(value.clone()).ok()?)
    }

    fn is_zero(self) -> bool {
        matches!(self, Amount::Pods(0) | Amount::Percent(0))
    }
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Amount::Pods(n) => write!(f, "{n}"),
            Amount::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// Why a rule's `minAvailable` is not a pod count or a percentage from 0% to 100% (the values
/// [`Amount::parse`] reads, in the rule as in the PDBs it is compared with), if it is not.
pub(crate) fn min_available_problem(value: &IntOrString) -> Option<String> {
    if Amount::parse(value).is_some() {
        return None;
    }
    Some(match value {
        IntOrString::Int(n) => format!("{n} is negative: give a pod count or a percentage from 0% to 100%"),
        IntOrString::String(s) if s.ends_with('%') && s.trim_end_matches('%').parse::<i64>().is_ok() => {
            format!("{s:?} is not a percentage from 0% to 100%")
        }
        IntOrString::String(s) => format!("{s:?} is neither a number nor a percentage"),
    })
}

/// Some PDB in the namespace selects the workload's pods, and only one does: the eviction API
/// refuses to evict a pod covered by several PDBs, which blocks every node drain. With
/// `minAvailable` in the rule, the PDB's own `minAvailable` must be at least as strict, compared
/// like with like (pods with pods, percentages with percentages). A PDB that only sets
/// `maxUnavailable` satisfies it only when that provably keeps enough pods: `maxUnavailable: 0`
/// always does; a count does when the workload's replica count (not a DaemonSet's, which
/// depends on the nodes) minus it reaches the rule's count.
pub(super) fn check(workload: &WorkloadView, pdbs: &[Arc<PdbView>], rule: &PdbRule) -> Vec<String> {
    let labels = workload.template_labels();
    let matching: Vec<&PdbView> = pdbs.iter().map(|p| &**p).filter(|p| selects(p, labels)).collect();
    let pdb = match matching.as_slice() {
        [] => return vec!["no PodDisruptionBudget selects its pods".to_owned()],
        [pdb] => *pdb,
        several => {
            let names: Vec<String> = several.iter().map(|p| short(p)).collect();
            return vec![format!(
                "its pods are selected by {} PodDisruptionBudgets ({}): the eviction API refuses to evict them",
                several.len(),
                names.join(", ")
            )];
        }
    };
    let Some(wanted) = rule.min_available.as_ref().and_then(Amount::parse) else { return vec![] };
    let min = pdb.spec.min_available.as_ref();
    let max = pdb.spec.max_unavailable.as_ref();
    match (min, max) {
        (Some(min), _) => match Amount::from_json(min) {
            Some(have) => compare_min(pdb, have, wanted),
            None => vec![format!("{} has an invalid minAvailable {min}", short(pdb))],
        },
        (None, Some(max)) => match Amount::from_json(max) {
            Some(max) => prove_from_max(workload, pdb, max, wanted),
            None => vec![format!("{} has an invalid maxUnavailable {max}", short(pdb))],
        },
        (None, None) => vec![format!("{} sets neither minAvailable nor maxUnavailable", short(pdb))],
    }
}

fn compare_min(pdb: &PdbView, have: Amount, wanted: Amount) -> Vec<String> {
    match (have, wanted) {
        (Amount::Pods(h), Amount::Pods(w)) | (Amount::Percent(h), Amount::Percent(w)) if h >= w => vec![],
        (Amount::Pods(_), Amount::Pods(_)) | (Amount::Percent(_), Amount::Percent(_)) => {
            vec![format!("{} minAvailable {have}, expected >= {wanted}", short(pdb))]
        }
        _ => vec![format!(
            "{} minAvailable {have} cannot be compared with the rule's {wanted} (use the same form: pods or percent)",
            short(pdb)
        )],
    }
}

fn prove_from_max(workload: &WorkloadView, pdb: &PdbView, max: Amount, wanted: Amount) -> Vec<String> {
    if max.is_zero() {
        return vec![];
    }
    let replicas = (workload.kind != WorkloadKind::DaemonSet).then(|| workload.spec.replicas.unwrap_or(1));
    match (max, wanted, replicas) {
        (Amount::Pods(m), Amount::Pods(w), Some(r)) if r - m >= w => vec![],
        (Amount::Pods(m), Amount::Pods(w), Some(r)) => vec![format!(
            "{} maxUnavailable {m} keeps {} of {r} replicas, expected minAvailable >= {w}",
            short(pdb),
            (r - m).max(0)
        )],
        _ => vec![format!(
            "{} sets only maxUnavailable {max}, which does not prove minAvailable >= {wanted}",
            short(pdb)
        )],
    }
}

/// PDB selector semantics: in policy/v1 an empty selector (`{}`) selects every pod of the
/// namespace; in policy/v1beta1 it selected none. A missing selector selects none in both, and
/// one the API server would reject is treated the same.
fn selects(pdb: &PdbView, labels: &std::collections::BTreeMap<String, String>) -> bool {
    let Some(parsed) = &pdb.spec.selector else { return false };
    if selector::is_empty(parsed) {
        return pdb.api_version != "policy/v1beta1";
    }
    selector::matches(parsed, labels).unwrap_or(false)
}

fn short(pdb: &PdbView) -> String {
    format!("pdb/{}", pdb.metadata.name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fixtures::{deployment, good_container, pdb, set, view, workload};
    use super::*;
    use crate::inventory::Object;

    fn rule(min_available: Option<Value>) -> PdbRule {
        PdbRule { min_available: min_available.map(|v| serde_json::from_value(v).expect("int or string")) }
    }

    fn problems(workload: &Object, pdbs: &[Object], min_available: Option<Value>) -> Vec<String> {
        let views: Vec<Arc<PdbView>> = pdbs
            .iter()
            .map(|p| Arc::new(crate::inventory::view::from_value(&p.data, || p.reference()).expect("a readable PDB")))
            .collect();
        check(&view(workload), &views, &rule(min_available))
    }

    fn api_pdb(spec: Value) -> Object {
        let mut full = json!({"selector": {"matchLabels": {"app": "api"}}});
        if let (Some(full), Some(extra)) = (full.as_object_mut(), spec.as_object()) {
            full.extend(extra.clone());
        }
        pdb("api", "policy/v1", full)
    }

    #[test]
    fn passes_when_a_pdb_selects_the_pods() {
        assert!(problems(&deployment("api"), &[api_pdb(json!({"minAvailable": 2}))], None).is_empty());
    }

    #[test]
    fn fails_without_a_matching_pdb() {
        let other = pdb("web", "policy/v1", json!({"selector": {"matchLabels": {"app": "web"}}, "minAvailable": 1}));
        assert_eq!(problems(&deployment("api"), &[other], None), ["no PodDisruptionBudget selects its pods"]);
    }

    #[test]
    fn matches_the_pod_template_labels_not_the_workload_labels() {
        let by_workload_label = pdb("tier", "policy/v1", json!({"selector": {"matchLabels": {"tier": "backend"}}}));
        assert_eq!(problems(&deployment("api"), &[by_workload_label], None).len(), 1);
    }

    #[test]
    fn an_empty_selector_selects_all_pods_in_policy_v1_only() {
        let everything = pdb("all", "policy/v1", json!({"selector": {}, "maxUnavailable": 1}));
        assert!(problems(&deployment("api"), &[everything], None).is_empty());
        let legacy = pdb("all", "policy/v1beta1", json!({"selector": {}, "maxUnavailable": 1}));
        assert_eq!(problems(&deployment("api"), &[legacy], None).len(), 1);
        let missing = pdb("none", "policy/v1", json!({"maxUnavailable": 1}));
        assert_eq!(problems(&deployment("api"), &[missing], None).len(), 1);
    }

    #[test]
    fn match_expressions_select_too() {
        let expr = pdb(
            "api",
            "policy/v1",
            json!({"selector": {"matchExpressions": [
            {"key": "app", "operator": "In", "values": ["api", "web"]}]}, "minAvailable": 1}),
        );
        assert!(problems(&deployment("api"), &[expr], None).is_empty());
    }

    #[test]
    fn fails_when_several_pdbs_cover_the_same_pods() {
        let all = pdb("all", "policy/v1", json!({"selector": {}, "maxUnavailable": 1}));
        let found = problems(&deployment("api"), &[api_pdb(json!({"minAvailable": 2})), all], None);
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("2 PodDisruptionBudgets (pdb/api, pdb/all)"), "{}", found[0]);
    }

    #[test]
    fn min_available_compares_counts_with_counts() {
        let api = deployment("api");
        assert!(problems(&api, &[api_pdb(json!({"minAvailable": 2}))], Some(json!(2))).is_empty());
        assert_eq!(
            problems(&api, &[api_pdb(json!({"minAvailable": 1}))], Some(json!(2))),
            ["pdb/api minAvailable 1, expected >= 2"]
        );
    }

    #[test]
    fn min_available_compares_percentages_with_percentages() {
        let api = deployment("api");
        assert!(problems(&api, &[api_pdb(json!({"minAvailable": "60%"}))], Some(json!("50%"))).is_empty());
        assert_eq!(
            problems(&api, &[api_pdb(json!({"minAvailable": "40%"}))], Some(json!("50%"))),
            ["pdb/api minAvailable 40%, expected >= 50%"]
        );
    }

    #[test]
    fn mixed_forms_are_not_compared() {
        let found = problems(&deployment("api"), &[api_pdb(json!({"minAvailable": "50%"}))], Some(json!(2)));
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("cannot be compared"), "{}", found[0]);
    }

    #[test]
    fn max_unavailable_zero_proves_any_minimum() {
        assert!(problems(&deployment("api"), &[api_pdb(json!({"maxUnavailable": 0}))], Some(json!("100%"))).is_empty());
        assert!(problems(&deployment("api"), &[api_pdb(json!({"maxUnavailable": "0%"}))], Some(json!(3))).is_empty());
    }

    #[test]
    fn a_max_unavailable_count_is_proven_against_the_replica_count() {
        let api = deployment("api");
        assert!(problems(&api, &[api_pdb(json!({"maxUnavailable": 1}))], Some(json!(2))).is_empty());
        assert_eq!(
            problems(&api, &[api_pdb(json!({"maxUnavailable": 2}))], Some(json!(2))),
            ["pdb/api maxUnavailable 2 keeps 1 of 3 replicas, expected minAvailable >= 2"]
        );
        let mut single = deployment("api");
        set(&mut single, "/spec/replicas", Value::Null);
        assert_eq!(problems(&single, &[api_pdb(json!({"maxUnavailable": 1}))], Some(json!(1))).len(), 1);
    }

    #[test]
    fn max_unavailable_cannot_be_proven_for_percentages_or_daemon_sets() {
        let found = problems(&deployment("api"), &[api_pdb(json!({"maxUnavailable": "25%"}))], Some(json!("50%")));
        assert!(found[0].contains("does not prove"), "{found:?}");
        let agent = workload("DaemonSet", "api", vec![good_container("agent")]);
        assert_eq!(problems(&agent, &[api_pdb(json!({"maxUnavailable": 1}))], Some(json!(1))).len(), 1);
    }

    #[test]
    fn a_pdb_without_bounds_cannot_meet_a_minimum() {
        let found = problems(&deployment("api"), &[api_pdb(json!({}))], Some(json!(1)));
        assert_eq!(found, ["pdb/api sets neither minAvailable nor maxUnavailable"]);
    }

    /// The rule's spec problem as a result, as the check refuses it (`checks::spec::workload`).
    fn validate(rule: &PdbRule) -> Result<(), String> {
        rule.min_available.as_ref().and_then(min_available_problem).map_or(Ok(()), Err)
    }

    #[test]
    fn rejects_malformed_rule_minimums() {
        assert!(validate(&rule(Some(json!("half")))).is_err());
        assert!(validate(&rule(Some(json!("150%")))).is_err());
        assert!(validate(&rule(Some(json!(-1)))).is_err());
        assert!(validate(&rule(Some(json!("50%")))).is_ok());
        assert!(validate(&rule(None)).is_ok());
    }
}
