//! The controller's live view of the cluster: compact objects the engine reads, the kinds the
//! cluster cannot serve, and change notifications (kind, namespace) for the trigger mapper.
//!
//! Objects rest as compact projected JSON text, and what a reconcile decodes from one (its
//! `Value`, or its typed view) is kept beside it until the object changes: decoded once per
//! change, shared by every snapshot, and the same `Arc` each time, so caches keyed on identity
//! hit. Only the objects of the namespaces a checklist reads are ever decoded.
//!
//! Why not kube-runtime's reflector `Store` (issue 10 asked for one unless measurement said
//! otherwise): `benches/cache_memory.rs` fed both the same watch events, 50k objects of a realistic
//! mix (Deployments with full pod templates, Services, HPAs, PDBs, Secrets...), heap counted
//! exactly. This cache holds 55 MiB (1.2 KB an object). A `Store<DynamicObject>` stripped by
//! `.modify()` to the same projection holds 589 MiB (12.3 KB an object: a projected Deployment's
//! `Value` tree is 25 KB against 2 KB of text); at 10k objects it alone holds 119 MiB, twice what
//! the whole controller may use (64 MiB). Stores of typed views (`ObjectMeta` plus the view) for
//! Deployments and PDBs still hold 196 MiB, and no typing closes the gap: a store entry's floor (an
//! `ObjectMeta`, its key, the `Arc`; 1.5 KB for a Namespace, 0.4 KB here) is above this cache's
//! mean. A store has no namespace index either: one evaluation scans every object of each kind it
//! reads (28 ms at 50k for dynamic stores, against 0.15 ms here, 1.2 ms when it decodes). Where
//! stores win is an event's CPU when the event decodes straight into a typed view (a Deployment in
//! 76 µs against 308 µs through `DynamicObject` and projection here), which decoding watch events
//! into the views and keeping their serialization as this text gives this cache too. The price of
//! this cache is the decode on first read and what it keeps decoded: a built object pins its
//! `Value` tree (266 MiB at 50k once every namespace was evaluated) until every kind's checks read
//! views.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};

use super::changes::{self, ChangeReceiver, ChangeSender};
use super::readiness::Readiness;
use crate::inventory::live::CompactObject;
use crate::inventory::{CompactEntry, Inventory, Kind, Object, ObjectRef, namespace_key, namespace_of_key};

/// Something a checklist may read changed: objects under inventory key `kind_key` in
/// `namespace` (`None`: in any namespace, or a cluster-scoped kind).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Change {
    pub kind_key: Kind,
    pub namespace: Option<String>,
}

impl Change {
    pub fn everywhere(kind: impl Into<Kind>) -> Self {
        Change { kind_key: kind.into(), namespace: None }
    }

    /// Objects of `id`'s kind in `id`'s namespace.
    fn of(id: ObjectRef) -> Self {
        Change { kind_key: id.kind, namespace: id.namespace }
    }
}

/// Each object's compact text with what reconciles decoded from it, shared by every snapshot
/// until the object changes.
type Names = BTreeMap<String, Arc<CompactEntry>>;

/// An object ready for the store: its place and its compact form. Relists buffer these rather
/// than whole objects, so a list of thousands never exists in `Value` form at once.
#[derive(Clone, Debug)]
pub struct Entry {
    pub namespace: Option<String>,
    pub name: String,
    pub compact: CompactObject,
}

impl Entry {
    pub fn new(object: &Object) -> Self {
        Entry {
            namespace: object.namespace.clone(),
            name: object.name.clone(),
            compact: CompactObject::from_object(object),
        }
    }
}

/// Objects at rest, by kind, namespace key (`ObjectRef::namespace_key`) and name.
#[derive(Default)]
struct Store {
    kinds: HashMap<Kind, BTreeMap<String, Names>>,
}

impl Store {
    fn names_of(&mut self, id: &ObjectRef) -> &mut Names {
        self.kinds.entry(id.kind.clone()).or_default().entry(id.namespace_key().to_owned()).or_default()
    }
}

/// Shared by the watch tasks (writers) and reconciles (readers). Objects rest as compact JSON;
/// an evaluation materializes the kinds it reads, in its namespace, as an [`Inventory`].
pub struct Cache {
    store: RwLock<Store>,
    unavailable: RwLock<HashMap<String, String>>,
    changes: ChangeSender,
    readiness: Readiness,
}

impl Cache {
    pub fn new(readiness: Readiness) -> (Arc<Cache>, ChangeReceiver) {
        let (tx, rx) = changes::channel();
        let cache = Cache { store: RwLock::default(), unavailable: RwLock::default(), changes: tx, readiness };
        (Arc::new(cache), rx)
    }

    pub fn readiness(&self) -> &Readiness {
        &self.readiness
    }

    /// The objects of `kinds` in `namespace`, plus every cluster-scoped one of those kinds:
    /// all a checklist in `namespace` may read.
    pub fn snapshot<K: Into<Kind>>(&self, namespace: &str, kinds: impl IntoIterator<Item = K>) -> Inventory {
        let store = self.store.read().unwrap_or_else(PoisonError::into_inner);
        let mut inventory = Inventory::new();
        for kind in kinds {
            let kind = kind.into();
            let Some(namespaces) = store.kinds.get(&kind) else { continue };
            for ns in ["", namespace] {
                for (name, entry) in namespaces.get(ns).into_iter().flatten() {
                    let id = ObjectRef::new(&kind, namespace_of_key(ns), name);
                    inventory.insert_shared(id, Arc::clone(entry));
                }
            }
        }
        inventory
    }

    /// How many objects are cached.
    pub fn len(&self) -> usize {
        let store = self.store.read().unwrap_or_else(PoisonError::into_inner);
        store.kinds.values().flat_map(BTreeMap::values).map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn unavailable_kinds(&self) -> HashMap<String, String> {
        self.unavailable.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Inserts or replaces an object; notifies only when what the checks see changed (a
    /// status-only update of a Deployment projects to the same value and triggers nothing).
    pub fn apply(&self, object: Object) {
        let compact = CompactObject::from_object(&object);
        let id = object.object_ref();
        let mut store = self.store.write().unwrap_or_else(PoisonError::into_inner);
        let names = store.names_of(&id);
        if names.get(&id.name).is_some_and(|kept| kept.compact() == &compact) {
            return;
        }
        names.insert(id.name.clone(), Arc::new(CompactEntry::shared(compact)));
        drop(store);
        self.notify(Change::of(id));
    }

    pub fn delete(&self, id: ObjectRef) {
        let mut store = self.store.write().unwrap_or_else(PoisonError::into_inner);
        let removed = store
            .kinds
            .get_mut(&id.kind)
            .and_then(|namespaces| namespaces.get_mut(id.namespace_key()))
            .and_then(|names| names.remove(&id.name));
        drop(store);
        if removed.is_some() {
            self.notify(Change::of(id));
        }
    }

    /// After a (re)list: the objects of `kind` that `owned(namespace, name)` says belong to
    /// this watch become exactly `objects`. Notifies the namespaces that changed.
    pub fn replace(&self, kind: impl Into<Kind>, owned: impl Fn(Option<&str>, &str) -> bool, objects: Vec<Entry>) {
        let kind = kind.into();
        let mut changed: HashSet<Option<String>> = HashSet::new();
        let mut store = self.store.write().unwrap_or_else(PoisonError::into_inner);
        let namespaces = store.kinds.entry(kind.clone()).or_default();
        let listed: HashSet<(&str, &str)> =
            objects.iter().map(|o| (namespace_key(o.namespace.as_deref()), o.name.as_str())).collect();
        for (ns, names) in namespaces.iter_mut() {
            let namespace = namespace_of_key(ns);
            let before = names.len();
            names.retain(|name, _| !owned(namespace, name) || listed.contains(&(ns.as_str(), name.as_str())));
            if names.len() != before {
                changed.insert(namespace.map(str::to_owned));
            }
        }
        for entry in objects {
            let names = namespaces.entry(namespace_key(entry.namespace.as_deref()).to_owned()).or_default();
            if names.get(&entry.name).is_none_or(|kept| kept.compact() != &entry.compact) {
                changed.insert(entry.namespace.clone());
                names.insert(entry.name, Arc::new(CompactEntry::shared(entry.compact)));
            }
        }
        namespaces.retain(|_, names| !names.is_empty());
        drop(store);
        // Many namespaces at once (the first list) are one notification, not thousands.
        if changed.len() > 16 {
            self.notify(Change::everywhere(kind));
        } else {
            for namespace in changed {
                self.notify(Change { kind_key: kind.clone(), namespace });
            }
        }
    }

    /// Records that the cluster cannot serve `kind` (no CRD, forbidden). Items reading it
    /// become Error with this reason. Kept by string key, as `Facts::unavailable_kinds` has it.
    pub fn set_unavailable(&self, kind: impl Into<Kind>, reason: String) {
        let kind = kind.into();
        let previous = self
            .unavailable
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(kind.key().into_owned(), reason.clone());
        if previous.as_ref() != Some(&reason) {
            self.notify(Change::everywhere(kind));
        }
    }

    pub fn clear_unavailable(&self, kind: impl Into<Kind>) {
        let kind = kind.into();
        let removed = self.unavailable.write().unwrap_or_else(PoisonError::into_inner).remove(&*kind.key());
        if removed.is_some() {
            self.notify(Change::everywhere(kind));
        }
    }

    /// Drops the objects a stopped watch served.
    pub fn forget(&self, kind: impl Into<Kind>, owned: impl Fn(Option<&str>, &str) -> bool) {
        let kind = kind.into();
        self.replace(&kind, owned, Vec::new());
        self.unavailable.write().unwrap_or_else(PoisonError::into_inner).remove(&*kind.key());
    }

    /// Queues `change` for the trigger mapper (bounded by coalescing: see [`changes`]).
    pub fn notify(&self, change: Change) {
        self.changes.send(change);
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

    fn drain(rx: &mut ChangeReceiver) -> Vec<Change> {
        std::iter::from_fn(|| rx.try_next()).collect()
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
        let snapshot = cache.snapshot("a", &[kinds::HPA.to_owned()]);
        assert_eq!(snapshot.get(kinds::HPA, Some("a"), "api").and_then(|o| o.i64_at("/spec/minReplicas")), Some(2));
    }

    #[test]
    fn objects_are_decoded_once_per_change_and_shared_by_snapshots() {
        let (cache, _rx) = Cache::new(Readiness::new());
        cache.apply(hpa("a", "api", 3));
        let kinds = [kinds::HPA.to_owned()];
        let (first, second) = (cache.snapshot("a", &kinds), cache.snapshot("a", &kinds));
        let read = |snapshot: &Inventory| Arc::clone(snapshot.get(kinds::HPA, Some("a"), "api").expect("cached"));
        assert!(Arc::ptr_eq(&read(&first), &read(&second)), "one decode for both reconciles");
        cache.apply(hpa("a", "api", 3));
        assert!(Arc::ptr_eq(&read(&first), &read(&cache.snapshot("a", &kinds))), "an identical update keeps it");
        cache.apply(hpa("a", "api", 2));
        let changed = read(&cache.snapshot("a", &kinds));
        assert!(!Arc::ptr_eq(&read(&first), &changed));
        assert_eq!(changed.i64_at("/spec/minReplicas"), Some(2));
    }

    #[test]
    fn relist_removes_what_is_gone_and_only_what_the_watch_owns() {
        let (cache, mut rx) = Cache::new(Readiness::new());
        cache.apply(hpa("a", "old", 3));
        cache.apply(hpa("b", "other-watch", 3));
        drain(&mut rx);
        cache.replace(kinds::HPA, |ns, _| ns == Some("a"), vec![Entry::new(&hpa("a", "new", 3))]);
        let names = |ns: &str| {
            let snapshot = cache.snapshot(ns, &[kinds::HPA.to_owned()]);
            snapshot.all(kinds::HPA).map(|o| o.name.clone()).collect::<Vec<_>>()
        };
        assert_eq!(names("a"), ["new"]);
        assert_eq!(names("b"), ["other-watch"]);
        assert_eq!(cache.len(), 2);
        assert_eq!(drain(&mut rx), [Change { kind_key: kinds::HPA.into(), namespace: Some("a".into()) }]);
    }

    #[test]
    fn snapshots_hold_the_namespace_and_cluster_scoped_objects_of_the_kinds_asked() {
        let (cache, _rx) = Cache::new(Readiness::new());
        cache.apply(hpa("a", "api", 3));
        cache.apply(hpa("b", "api", 3));
        let role = Object::from_value(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "view"}}),
            None,
        )
        .expect("valid");
        cache.apply(role);
        let snapshot = cache.snapshot("a", &[kinds::HPA.to_owned(), kinds::CLUSTER_ROLE.to_owned()]);
        assert_eq!(snapshot.len(), 2);
        assert!(snapshot.get(kinds::CLUSTER_ROLE, None, "view").is_some());
        assert!(cache.snapshot("a", &[kinds::SERVICE.to_owned()]).is_empty());
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
