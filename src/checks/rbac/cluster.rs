//! The cluster-wide half of RBAC: every ClusterRole with aggregation resolved and every
//! ClusterRoleBinding parsed. It depends only on those objects, so it is computed once and
//! shared by every evaluation (and every namespace) until one of them changes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::aggregation::{self, ClusterRole};
use super::authorizer::Binding;
use crate::inventory::view::{BindingView, RoleView, ViewError};
use crate::inventory::{Inventory, kinds};

/// ClusterRoles by name, with their effective rules, and the ClusterRoleBindings.
#[derive(Debug)]
pub(super) struct ClusterRbac {
    pub roles: BTreeMap<String, ClusterRole>,
    pub bindings: Vec<Binding>,
}

/// The views a resolution was computed from. Views are immutable and replaced, never edited,
/// and these are kept alive, so the same list of pointers means the same objects.
struct Cached {
    roles: Vec<Arc<RoleView>>,
    bindings: Vec<Arc<BindingView>>,
    value: Arc<ClusterRbac>,
}

static LAST: Mutex<Option<Cached>> = Mutex::new(None);

/// The cluster-wide RBAC of `inventory`, from the cache when its ClusterRoles and
/// ClusterRoleBindings are those of the last resolution.
///
/// Live, a view is decoded once per change and the cache's entries hand out the same `Arc`
/// until the object changes, so a reconcile after an unrelated change hits on pointers alone.
/// Offline, views are read afresh on each read, so pointers never match: equal views (a
/// `PartialEq` walk, far cheaper than aggregation) hit as well, and then become the pointers
/// compared next time.
pub(super) fn resolve(inventory: &Inventory) -> Result<Arc<ClusterRbac>, ViewError> {
    let roles: Vec<Arc<RoleView>> = inventory.views_in(kinds::CLUSTER_ROLE, None).collect::<Result<_, _>>()?;
    let bindings: Vec<Arc<BindingView>> =
        inventory.views_in(kinds::CLUSTER_ROLE_BINDING, None).collect::<Result<_, _>>()?;
    {
        let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(last) = last.as_mut()
            && let Some(roles_by_pointer) = same(&last.roles, &roles)
            && let Some(bindings_by_pointer) = same(&last.bindings, &bindings)
        {
            if !(roles_by_pointer && bindings_by_pointer) {
                last.roles = roles;
                last.bindings = bindings;
            }
            return Ok(Arc::clone(&last.value));
        }
    }
    let value = Arc::new(ClusterRbac {
        roles: aggregation::resolve(roles.iter().map(|role| &**role)),
        bindings: bindings.iter().map(|binding| Binding::cluster_wide(Arc::clone(binding))).collect(),
    });
    *LAST.lock().unwrap_or_else(|e| e.into_inner()) = Some(Cached { roles, bindings, value: Arc::clone(&value) });
    Ok(value)
}

/// `Some(true)` when `current` holds the very views cached, `Some(false)` when equal ones,
/// `None` when they differ.
fn same<V: PartialEq>(cached: &[Arc<V>], current: &[Arc<V>]) -> Option<bool> {
    if cached.len() != current.len() {
        return None;
    }
    let mut by_pointer = true;
    for (a, b) in cached.iter().zip(current) {
        if Arc::ptr_eq(a, b) {
            continue;
        }
        if a != b {
            return None;
        }
        by_pointer = false;
    }
    Some(by_pointer)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::checks::rbac::fixtures::{cluster_role, cluster_role_binding, get_pods_rule, user};
    use crate::inventory::live::CompactObject;
    use crate::inventory::{CompactEntry, Object};

    fn rules_of(rbac: &ClusterRbac, name: &str) -> usize {
        rbac.roles.get(name).map_or(0, |r| r.rules.len())
    }

    #[test]
    fn the_same_objects_share_one_resolution_and_a_replaced_one_gets_a_new_one() {
        let mut inventory = Inventory::from_objects([
            cluster_role("reader", get_pods_rule()),
            cluster_role_binding("read", ("ClusterRole", "reader"), user("bob")),
        ]);
        let first = resolve(&inventory).expect("readable");
        let again = resolve(&inventory).expect("readable");
        // Another test thread may resolve in between and evict ours: equal content is what counts.
        assert!(Arc::ptr_eq(&first, &again) || rules_of(&first, "reader") == rules_of(&again, "reader"));
        inventory.insert(cluster_role("reader", json!([])));
        let replaced = resolve(&inventory).expect("readable");
        assert_eq!(rules_of(&first, "reader"), 1);
        assert_eq!(rules_of(&replaced, "reader"), 0);
        assert_eq!(replaced.bindings.len(), 1);
    }

    fn roles(inventory: &Inventory) -> Vec<Arc<RoleView>> {
        inventory.views_in(kinds::CLUSTER_ROLE, None).collect::<Result<_, _>>().expect("readable")
    }

    /// Two snapshots of the controller's cache: inventories sharing its entries.
    fn snapshots(objects: &[Object]) -> (Inventory, Inventory) {
        let entries: Vec<_> = objects
            .iter()
            .map(|o| (o.object_ref(), Arc::new(CompactEntry::shared(CompactObject::from_object(o)))))
            .collect();
        let snapshot = || {
            let mut inventory = Inventory::new();
            for (id, entry) in &entries {
                inventory.insert_shared(id.clone(), Arc::clone(entry));
            }
            inventory
        };
        (snapshot(), snapshot())
    }

    #[test]
    fn live_snapshots_hand_out_the_same_views_so_the_cache_hits_on_pointers() {
        let objects = [cluster_role("reader", get_pods_rule()), cluster_role("writer", json!([]))];
        let (first, second) = snapshots(&objects);
        assert_eq!(same(&roles(&first), &roles(&second)), Some(true));
        // A built inventory keeps the views it read: the same pointers again.
        let built = Inventory::from_objects(objects.clone());
        assert_eq!(same(&roles(&built), &roles(&built)), Some(true));
        // Offline (`readygate check` keeps compact text and reads views afresh), each read is a
        // new view: equal, so the cache still hits, by content.
        let mut offline = Inventory::new();
        for object in &objects {
            offline.insert_compact(object);
        }
        assert_eq!(same(&roles(&offline), &roles(&offline)), Some(false));
        assert_eq!(same(&roles(&offline), &roles(&first)), Some(false));
        // A changed role, or one more, is a miss.
        let mut changed = Inventory::from_objects(objects.clone());
        changed.insert(cluster_role("writer", get_pods_rule()));
        assert_eq!(same(&roles(&first), &roles(&changed)), None);
        changed.insert(cluster_role("third", json!([])));
        assert_eq!(same(&roles(&first), &roles(&changed)), None);
    }
}
