//! The cluster-wide half of RBAC: every ClusterRole with aggregation resolved and every
//! ClusterRoleBinding parsed. It depends only on those objects, so it is computed once and
//! shared by every evaluation (and every namespace) until one of them changes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::aggregation::{self, ClusterRole};
use super::authorizer::Binding;
use crate::inventory::{Inventory, Object, kinds};

/// ClusterRoles by name, with their effective rules, and the ClusterRoleBindings.
#[derive(Debug)]
pub(super) struct ClusterRbac {
    pub roles: BTreeMap<String, ClusterRole>,
    pub bindings: Vec<Binding>,
}

/// The objects a resolution was computed from, kept alive so that an identical list of pointers
/// means identical objects (inventory objects are immutable and replaced, never edited).
struct Cached {
    roles: Vec<Arc<Object>>,
    bindings: Vec<Arc<Object>>,
    value: Arc<ClusterRbac>,
}

static LAST: Mutex<Option<Cached>> = Mutex::new(None);

/// The cluster-wide RBAC of `inventory`, from the cache when its ClusterRoles and
/// ClusterRoleBindings are the very objects of the last resolution.
pub(super) fn resolve(inventory: &Inventory) -> Arc<ClusterRbac> {
    let roles: Vec<&Arc<Object>> = inventory.in_namespace(kinds::CLUSTER_ROLE, None).collect();
    let bindings: Vec<&Arc<Object>> = inventory.in_namespace(kinds::CLUSTER_ROLE_BINDING, None).collect();
    if let Some(last) = LAST.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
        && same(&last.roles, &roles)
        && same(&last.bindings, &bindings)
    {
        return Arc::clone(&last.value);
    }
    let value = Arc::new(ClusterRbac {
        roles: aggregation::resolve(roles.iter().map(|o| &***o)),
        bindings: bindings.iter().map(|o| Binding::parse(Arc::clone(o))).collect(),
    });
    *LAST.lock().unwrap_or_else(|e| e.into_inner()) = Some(Cached {
        roles: roles.into_iter().cloned().collect(),
        bindings: bindings.into_iter().cloned().collect(),
        value: Arc::clone(&value),
    });
    value
}

fn same(cached: &[Arc<Object>], current: &[&Arc<Object>]) -> bool {
    cached.len() == current.len() && cached.iter().zip(current).all(|(a, b)| Arc::ptr_eq(a, b))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::checks::rbac::fixtures::{cluster_role, cluster_role_binding, get_pods_rule, user};

    fn rules_of(rbac: &ClusterRbac, name: &str) -> usize {
        rbac.roles.get(name).map_or(0, |r| r.rules.len())
    }

    #[test]
    fn the_same_objects_share_one_resolution_and_a_replaced_one_gets_a_new_one() {
        let mut inventory = Inventory::from_objects([
            cluster_role("reader", get_pods_rule()),
            cluster_role_binding("read", ("ClusterRole", "reader"), user("bob")),
        ]);
        let first = resolve(&inventory);
        let again = resolve(&inventory);
        // Another test thread may resolve in between and evict ours: equal content is what counts.
        assert!(Arc::ptr_eq(&first, &again) || rules_of(&first, "reader") == rules_of(&again, "reader"));
        inventory.insert(cluster_role("reader", json!([])));
        let replaced = resolve(&inventory);
        assert_eq!(rules_of(&first, "reader"), 1);
        assert_eq!(rules_of(&replaced, "reader"), 0);
        assert_eq!(replaced.bindings.len(), 1);
    }
}
