//! The controller's live view of the cluster: the inventory the engine reads, the kinds the
//! cluster cannot serve, and change notifications (kind, namespace) for the trigger mapper.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};

use futures::channel::mpsc;

use super::readiness::Readiness;
use crate::inventory::{Inventory, Object};

/// Something a checklist may read changed: objects of `kind_key` in `namespace` (`None`: in
/// any namespace, or a cluster-scoped kind).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Change {
    pub kind_key: String,
    pub namespace: Option<String>,
}

impl Change {
    pub fn everywhere(kind_key: &str) -> Self {
        Change { kind_key: kind_key.to_owned(), namespace: None }
    }
}

/// Shared by the watch tasks (writers) and reconciles (readers). Evaluation holds the read lock
/// only for the synchronous evaluation of one checklist.
pub struct Cache {
    inventory: RwLock<Inventory>,
    unavailable: RwLock<HashMap<String, String>>,
    changes: mpsc::UnboundedSender<Change>,
    readiness: Readiness,
}

impl Cache {
    pub fn new(readiness: Readiness) -> (Arc<Cache>, mpsc::UnboundedReceiver<Change>) {
        let (tx, rx) = mpsc::unbounded();
        let cache =
            Cache { inventory: RwLock::new(Inventory::new()), unavailable: RwLock::default(), changes: tx, readiness };
        (Arc::new(cache), rx)
    }

    pub fn readiness(&self) -> &Readiness {
        &self.readiness
    }

    /// Runs `f` over the inventory under the read lock.
    pub fn read<R>(&self, f: impl FnOnce(&Inventory) -> R) -> R {
        f(&self.inventory.read().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn unavailable_kinds(&self) -> HashMap<String, String> {
        self.unavailable.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Inserts or replaces an object; notifies only when what the checks see changed (a
    /// status-only update of a Deployment projects to the same value and triggers nothing).
    pub fn apply(&self, object: Object) {
        let change = Change { kind_key: object.kind_key.clone(), namespace: object.namespace.clone() };
        let mut inventory = self.inventory.write().unwrap_or_else(PoisonError::into_inner);
        let unchanged = inventory
            .get(&object.kind_key, object.namespace.as_deref(), &object.name)
            .is_some_and(|old| **old == object);
        if unchanged {
            return;
        }
        inventory.insert(object);
        drop(inventory);
        self.notify(change);
    }

    pub fn delete(&self, kind_key: &str, namespace: Option<&str>, name: &str) {
        let removed = self.inventory.write().unwrap_or_else(PoisonError::into_inner).remove(kind_key, namespace, name);
        if removed.is_some() {
            self.notify(Change { kind_key: kind_key.to_owned(), namespace: namespace.map(str::to_owned) });
        }
    }

    /// After a (re)list: the objects of `kind_key` that `owned` says belong to this watch become
    /// exactly `objects`. Notifies the namespaces that changed.
    pub fn replace(&self, kind_key: &str, owned: impl Fn(&Object) -> bool, objects: Vec<Object>) {
        let mut changed: HashSet<Option<String>> = HashSet::new();
        let mut inventory = self.inventory.write().unwrap_or_else(PoisonError::into_inner);
        let listed: HashSet<(Option<&str>, &str)> =
            objects.iter().map(|o| (o.namespace.as_deref(), o.name.as_str())).collect();
        let stale: Vec<(Option<String>, String)> = inventory
            .all(kind_key)
            .filter(|o| owned(o) && !listed.contains(&(o.namespace.as_deref(), o.name.as_str())))
            .map(|o| (o.namespace.clone(), o.name.clone()))
            .collect();
        for (namespace, name) in stale {
            inventory.remove(kind_key, namespace.as_deref(), &name);
            changed.insert(namespace);
        }
        for object in objects {
            let same =
                inventory.get(kind_key, object.namespace.as_deref(), &object.name).is_some_and(|old| **old == object);
            if !same {
                changed.insert(object.namespace.clone());
                inventory.insert(object);
            }
        }
        drop(inventory);
        // Many namespaces at once (the first list) are one notification, not thousands.
        if changed.len() > 16 {
            self.notify(Change::everywhere(kind_key));
        } else {
            for namespace in changed {
                self.notify(Change { kind_key: kind_key.to_owned(), namespace });
            }
        }
    }

    /// Records that the cluster cannot serve `kind_key` (no CRD, forbidden). Items reading it
    /// become Error with this reason.
    pub fn set_unavailable(&self, kind_key: &str, reason: String) {
        let previous = self
            .unavailable
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(kind_key.to_owned(), reason.clone());
        if previous.as_ref() != Some(&reason) {
            self.notify(Change::everywhere(kind_key));
        }
    }

    pub fn clear_unavailable(&self, kind_key: &str) {
        let removed = self.unavailable.write().unwrap_or_else(PoisonError::into_inner).remove(kind_key);
        if removed.is_some() {
            self.notify(Change::everywhere(kind_key));
        }
    }

    /// Drops every object of a kind no watch serves any more.
    pub fn forget(&self, kind_key: &str, owned: impl Fn(&Object) -> bool) {
        self.replace(kind_key, owned, Vec::new());
        self.unavailable.write().unwrap_or_else(PoisonError::into_inner).remove(kind_key);
    }

    pub fn notify(&self, change: Change) {
        // The receiver lives as long as the controller; a closed channel means shutdown.
        let _ = self.changes.unbounded_send(change);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::inventory::kinds;

    fn hpa(ns: &str, name: &str, min: i64) -> Object {
        Object::from_value(
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": name, "namespace": ns}, "spec": {"minReplicas": min}}),
            None,
        )
        .expect("valid")
    }

    fn drain(rx: &mut mpsc::UnboundedReceiver<Change>) -> Vec<Change> {
        let mut out = Vec::new();
        while let Ok(c) = rx.try_recv() {
            out.push(c);
        }
        out
    }

    #[test]
    fn identical_updates_notify_nothing() {
        let (cache, mut rx) = Cache::new(Readiness::new());
        cache.apply(hpa("a", "api", 3));
        assert_eq!(drain(&mut rx), [Change { kind_key: kinds::HPA.into(), namespace: Some("a".into()) }]);
        cache.apply(hpa("a", "api", 3));
        assert!(drain(&mut rx).is_empty());
        cache.apply(hpa("a", "api", 2));
        assert_eq!(drain(&mut rx).len(), 1);
        assert_eq!(
            cache.read(|i| i.get(kinds::HPA, Some("a"), "api").and_then(|o| o.i64_at("/spec/minReplicas"))),
            Some(2)
        );
    }

    #[test]
    fn relist_removes_what_is_gone_and_only_what_the_watch_owns() {
        let (cache, mut rx) = Cache::new(Readiness::new());
        cache.apply(hpa("a", "old", 3));
        cache.apply(hpa("b", "other-watch", 3));
        drain(&mut rx);
        cache.replace(kinds::HPA, |o| o.namespace.as_deref() == Some("a"), vec![hpa("a", "new", 3)]);
        let names = cache.read(|i| i.all(kinds::HPA).map(|o| o.name.clone()).collect::<Vec<_>>());
        assert_eq!(names, ["new", "other-watch"]);
        assert_eq!(drain(&mut rx), [Change { kind_key: kinds::HPA.into(), namespace: Some("a".into()) }]);
    }

    #[test]
    fn unavailability_notifies_once_per_change() {
        let (cache, mut rx) = Cache::new(Readiness::new());
        cache.set_unavailable(kinds::CERTIFICATE, "no CRD".into());
        cache.set_unavailable(kinds::CERTIFICATE, "no CRD".into());
        assert_eq!(drain(&mut rx).len(), 1);
        assert_eq!(cache.unavailable_kinds().get(kinds::CERTIFICATE).map(String::as_str), Some("no CRD"));
        cache.clear_unavailable(kinds::CERTIFICATE);
        assert_eq!(drain(&mut rx), [Change::everywhere(kinds::CERTIFICATE)]);
    }
}
