//! ClusterRole aggregation, computed the way Kubernetes' clusterrole-aggregation controller
//! leaves it, so offline manifests (whose aggregated roles carry no rules yet) and live
//! clusters (where the controller already wrote them) resolve the same.
//!
//! The controller (`pkg/controller/clusterroleaggregation`) *replaces* an aggregating role's
//! `rules` with the de-duplicated union of the rules of every ClusterRole, other than itself,
//! matched by any of its `clusterRoleSelectors` (selectors in order, roles by name); its own
//! written rules are dropped. It re-syncs every aggregating role whenever any ClusterRole
//! changes, so the result is a fixed point: an aggregating role that selects another aggregating
//! role gets that role's aggregated rules (as `admin` gets `edit`'s, which include `view`'s).
//! An unusable selector makes the controller fail the sync and leave the role as written.

use std::collections::{BTreeMap, HashSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::rules::PolicyRule;
use crate::inventory::selector;
use crate::inventory::view::RoleView;
use crate::inventory::view::role::ClusterRoleSelectors;

/// The role every cluster has and bindings name without shipping it. Offline manifests almost
/// never include it, and a binding to it must not silently grant nothing.
pub const CLUSTER_ADMIN: &str = "cluster-admin";

/// A ClusterRole with its effective rules.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterRole {
    pub rules: Vec<PolicyRule>,
    /// True for a role readygate supplies because the inventory lacks it (cluster-admin only).
    pub builtin: bool,
    /// True when `rules` were computed from an aggregation rule.
    pub aggregated: bool,
}

struct Node {
    labels: BTreeMap<String, String>,
    rules: Vec<PolicyRule>,
    aggregation: Aggregation,
    builtin: bool,
}

enum Aggregation {
    None,
    Selectors(Vec<LabelSelector>),
    /// The controller cannot evaluate it and leaves the role's written rules alone.
    Unusable,
}

/// Effective rules of every ClusterRole, by name.
pub fn resolve<'a>(cluster_roles: impl IntoIterator<Item = &'a RoleView>) -> BTreeMap<String, ClusterRole> {
    let mut nodes: BTreeMap<String, Node> = cluster_roles
        .into_iter()
        .map(|role| {
            let node = Node {
                labels: role.metadata.labels.clone(),
                rules: role.rules.clone(),
                aggregation: aggregation(role),
                builtin: false,
            };
            (role.name().to_owned(), node)
        })
        .collect();
    nodes.entry(CLUSTER_ADMIN.to_owned()).or_insert_with(builtin_cluster_admin);
    aggregate(&mut nodes);
    nodes
        .into_iter()
        .map(|(name, node)| {
            let aggregated = matches!(node.aggregation, Aggregation::Selectors(_));
            (name, ClusterRole { rules: node.rules, builtin: node.builtin, aggregated })
        })
        .collect()
}

fn aggregation(role: &RoleView) -> Aggregation {
    let Some(rule) = &role.aggregation_rule else { return Aggregation::None };
    match &rule.cluster_role_selectors {
        ClusterRoleSelectors::Selectors(selectors) if selectors.iter().all(|s| selector::validate(s).is_ok()) => {
            Aggregation::Selectors(selectors.clone())
        }
        _ => Aggregation::Unusable,
    }
}

/// Runs the controller's sync over every aggregating role until nothing changes. Each pass
/// settles at least one more level of nesting, so `roles + 1` passes reach the fixed point of
/// any acyclic arrangement; a cycle of aggregating roles stops there too instead of spinning.
fn aggregate(nodes: &mut BTreeMap<String, Node>) {
    let aggregating: Vec<(String, Vec<LabelSelector>)> = nodes
        .iter()
        .filter_map(|(name, node)| match &node.aggregation {
            Aggregation::Selectors(selectors) => Some((name.clone(), selectors.clone())),
            _ => None,
        })
        .collect();
    for _ in 0..=nodes.len() {
        let mut changed = false;
        for (name, selectors) in &aggregating {
            let mut union: Vec<PolicyRule> = Vec::new();
            let mut seen: HashSet<&PolicyRule> = HashSet::new();
            for s in selectors {
                for (other, node) in nodes.iter() {
                    if other == name || !selector::matches_lenient(s, &node.labels) {
                        continue;
                    }
                    union.extend(node.rules.iter().filter(|rule| seen.insert(*rule)).cloned());
                }
            }
            if let Some(node) = nodes.get_mut(name)
                && node.rules != union
            {
                node.rules = union;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

/// `cluster-admin` as the API server bootstraps it: every verb on every resource and URL.
fn builtin_cluster_admin() -> Node {
    let all = || vec!["*".to_owned()];
    Node {
        labels: BTreeMap::from([("kubernetes.io/bootstrapping".to_owned(), "rbac-defaults".to_owned())]),
        rules: vec![
            PolicyRule { verbs: all(), api_groups: all(), resources: all(), ..PolicyRule::default() },
            PolicyRule { verbs: all(), non_resource_urls: all(), ..PolicyRule::default() },
        ],
        aggregation: Aggregation::None,
        builtin: true,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::checks::rbac::fixtures::rbac_object;
    use crate::inventory::view::from_value;

    fn cluster_role(name: &str, labels: Value, rest: Value) -> RoleView {
        let object = rbac_object("ClusterRole", None, name, labels, rest);
        from_value(&object.data, || object.reference()).expect("a role view")
    }

    fn rule(resource: &str) -> Value {
        json!({"apiGroups": [""], "resources": [resource], "verbs": ["get"]})
    }

    fn resources_of(roles: &BTreeMap<String, ClusterRole>, name: &str) -> Vec<String> {
        roles[name].rules.iter().flat_map(|r| r.resources.clone()).collect()
    }

    fn aggregating(name: &str, labels: Value, to: &str, own: Value) -> RoleView {
        cluster_role(
            name,
            labels,
            json!({"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {to: "true"}}]}, "rules": own}),
        )
    }

    #[test]
    fn an_aggregating_role_gets_the_rules_of_the_roles_it_selects_and_drops_its_own() {
        let objects = [
            aggregating("monitoring", json!({}), "aggregate-to-monitoring", json!([rule("secrets")])),
            cluster_role("b-pods", json!({"aggregate-to-monitoring": "true"}), json!({"rules": [rule("pods")]})),
            cluster_role("a-svc", json!({"aggregate-to-monitoring": "true"}), json!({"rules": [rule("services")]})),
            cluster_role("other", json!({}), json!({"rules": [rule("nodes")]})),
        ];
        let roles = resolve(&objects);
        assert_eq!(resources_of(&roles, "monitoring"), ["services", "pods"]);
        assert!(roles["monitoring"].aggregated);
    }

    #[test]
    fn aggregation_reaches_a_fixed_point_through_nested_aggregating_roles() {
        let objects = [
            aggregating("admin", json!({}), "to-admin", json!([])),
            aggregating("edit", json!({"to-admin": "true"}), "to-edit", json!([])),
            aggregating("view", json!({"to-edit": "true"}), "to-view", json!([])),
            cluster_role("metrics-reader", json!({"to-view": "true"}), json!({"rules": [rule("pods")]})),
            cluster_role("editor-bits", json!({"to-edit": "true"}), json!({"rules": [rule("configmaps")]})),
        ];
        let roles = resolve(&objects);
        assert_eq!(resources_of(&roles, "view"), ["pods"]);
        assert_eq!(resources_of(&roles, "edit"), ["configmaps", "pods"]);
        assert_eq!(resources_of(&roles, "admin"), ["configmaps", "pods"]);
    }

    #[test]
    fn identical_rules_are_kept_once() {
        let objects = [
            aggregating("agg", json!({}), "x", json!([])),
            cluster_role("one", json!({"x": "true"}), json!({"rules": [rule("pods")]})),
            cluster_role("two", json!({"x": "true"}), json!({"rules": [rule("pods")]})),
        ];
        assert_eq!(resolve(&objects)["agg"].rules.len(), 1);
    }

    #[test]
    fn a_role_never_aggregates_itself() {
        let objects = [cluster_role(
            "selfish",
            json!({"x": "true"}),
            json!({"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"x": "true"}}]}, "rules": [rule("pods")]}),
        )];
        assert!(resolve(&objects)["selfish"].rules.is_empty());
    }

    #[test]
    fn an_empty_selector_aggregates_every_other_role_including_cluster_admin() {
        let objects = [cluster_role("all", json!({}), json!({"aggregationRule": {"clusterRoleSelectors": [{}]}}))];
        assert!(resolve(&objects)["all"].rules.iter().any(PolicyRule::is_full_wildcard));
    }

    #[test]
    fn an_aggregation_rule_without_selectors_empties_the_role() {
        let objects = [cluster_role("empty", json!({}), json!({"aggregationRule": {}, "rules": [rule("pods")]}))];
        assert!(resolve(&objects)["empty"].rules.is_empty());
    }

    #[test]
    fn an_unusable_selector_leaves_the_written_rules() {
        let objects = [cluster_role(
            "broken",
            json!({}),
            json!({"aggregationRule": {"clusterRoleSelectors": [{"matchExpressions": [{"key": "x", "operator": "In"}]}]},
                   "rules": [rule("pods")]}),
        )];
        let roles = resolve(&objects);
        assert_eq!(resources_of(&roles, "broken"), ["pods"]);
        assert!(!roles["broken"].aggregated);
    }

    #[test]
    fn a_cycle_of_aggregating_roles_terminates() {
        let objects = [
            aggregating("a", json!({"to-b": "true"}), "to-a", json!([rule("pods")])),
            aggregating("b", json!({"to-a": "true"}), "to-b", json!([rule("services")])),
        ];
        let roles = resolve(&objects);
        assert_eq!(roles["a"].rules, roles["b"].rules);
    }

    #[test]
    fn cluster_admin_is_supplied_only_when_the_inventory_lacks_it() {
        let supplied = resolve(std::iter::empty());
        assert!(supplied[CLUSTER_ADMIN].builtin);
        assert!(supplied[CLUSTER_ADMIN].rules.iter().any(PolicyRule::is_full_wildcard));
        let shipped = [cluster_role(CLUSTER_ADMIN, json!({}), json!({"rules": [rule("pods")]}))];
        let roles = resolve(&shipped);
        assert!(!roles[CLUSTER_ADMIN].builtin);
        assert_eq!(resources_of(&roles, CLUSTER_ADMIN), ["pods"]);
    }
}
