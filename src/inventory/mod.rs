//! The inventory: every object the checks may read, indexed by kind, namespace and name.

mod kind;
pub mod kinds;
pub mod live;
pub mod manifests;
mod object;
pub mod selector;
mod slot;
pub mod view;
pub mod whole;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, btree_map};
use std::sync::Arc;

pub use kind::{
    CatalogueKind, GroupKind, Kind, KindInfo, KindScope, ObjectRef, group_of, namespace_key, namespace_of_key,
};
pub use object::{Object, ObjectError};

use self::live::CompactObject;
pub use self::slot::CompactEntry;
use self::slot::Slot;
use self::view::{View, ViewError};

type ByName = BTreeMap<String, Slot>;

/// Objects indexed by kind, then namespace key (see [`namespace_key`]), then name. BTreeMaps
/// keep iteration deterministic, so reports and messages never depend on insertion order.
/// Lookups take anything that names a kind: a [`Kind`], a [`CatalogueKind`] or a string key.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    kinds: HashMap<Kind, BTreeMap<String, ByName>>,
    len: usize,
}

impl Inventory {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_objects(objects: impl IntoIterator<Item = Object>) -> Self {
        let mut inventory = Inventory::new();
        for object in objects {
            inventory.insert(object);
        }
        inventory
    }

    /// Inserts or replaces (same kind, namespace, name) an object; returns the one replaced.
    pub fn insert(&mut self, object: Object) -> Option<Arc<Object>> {
        self.insert_arc(Arc::new(object))
    }

    pub fn insert_arc(&mut self, object: Arc<Object>) -> Option<Arc<Object>> {
        let id = object.object_ref();
        self.insert_slot(id, Slot::built(object))
    }

    /// Inserts or replaces an object kept as compact text until a check reads it. Built from
    /// `object`, which the caller can then drop: what it held is in the text.
    pub fn insert_compact(&mut self, object: &Object) -> Option<Arc<Object>> {
        self.insert_compact_parts(object.object_ref(), CompactObject::from_object(object))
    }

    /// [`Self::insert_compact`] for an object already in compact form.
    pub fn insert_compact_parts(&mut self, id: ObjectRef, compact: CompactObject) -> Option<Arc<Object>> {
        self.insert_slot(id, Slot::Compact(Arc::new(CompactEntry::transient(compact))))
    }

    /// Inserts or replaces an object held by someone else (the live cache), sharing whatever
    /// is decoded from it with every other inventory holding the same entry.
    pub fn insert_shared(&mut self, id: ObjectRef, entry: Arc<CompactEntry>) -> Option<Arc<Object>> {
        self.insert_slot(id, Slot::Compact(entry))
    }

    fn insert_slot(&mut self, id: ObjectRef, slot: Slot) -> Option<Arc<Object>> {
        let namespace = id.namespace_key().to_owned();
        let by_name = self.kinds.entry(id.kind.clone()).or_default().entry(namespace.clone()).or_default();
        match by_name.entry(id.name) {
            btree_map::Entry::Vacant(vacant) => {
                vacant.insert(slot);
                self.len += 1;
                None
            }
            btree_map::Entry::Occupied(mut occupied) => {
                let replaced = std::mem::replace(occupied.get_mut(), slot);
                Some(replaced.into_object(&id.kind, &namespace, occupied.key()))
            }
        }
    }

    pub fn remove(&mut self, kind: impl Into<Kind>, namespace: Option<&str>, name: &str) -> Option<Arc<Object>> {
        let kind = kind.into();
        let namespaces = self.kinds.get_mut(&kind)?;
        let ns = namespace_key(namespace);
        let by_name = namespaces.get_mut(ns)?;
        let removed = by_name.remove(name);
        if by_name.is_empty() {
            namespaces.remove(ns);
        }
        let removed = removed?;
        self.len -= 1;
        Some(removed.into_object(&kind, ns, name))
    }

    pub fn get(&self, kind: impl Into<Kind>, namespace: Option<&str>, name: &str) -> Option<&Arc<Object>> {
        let kind = kind.into();
        let (kind, namespaces) = self.kinds.get_key_value(&kind)?;
        let ns = namespace_key(namespace);
        Some(namespaces.get(ns)?.get(name)?.object(kind, ns, name))
    }

    /// Objects of a kind in one namespace (pass `None` for cluster-scoped kinds), by name.
    pub fn in_namespace<'a>(
        &'a self,
        kind: impl Into<Kind>,
        namespace: Option<&str>,
    ) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        let kind = kind.into();
        // The keys are borrowed from the inventory, which outlives the iterator; the caller's
        // strings need not.
        let found = self.kinds.get_key_value(&kind).and_then(|(kind, namespaces)| {
            let (ns, by_name) = namespaces.get_key_value(namespace_key(namespace))?;
            Some((kind, ns.as_str(), by_name))
        });
        found
            .into_iter()
            .flat_map(|(kind, ns, by_name)| by_name.iter().map(move |(name, slot)| slot.object(kind, ns, name)))
    }

    /// Every object of a kind, by namespace then name.
    pub fn all<'a>(&'a self, kind: impl Into<Kind>) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        let kind = kind.into();
        self.kinds.get_key_value(&kind).into_iter().flat_map(|(kind, namespaces)| {
            namespaces
                .iter()
                .flat_map(move |(ns, by_name)| by_name.iter().map(move |(name, slot)| slot.object(kind, ns, name)))
        })
    }

    /// The view of one object, read when asked (see [`view`]).
    pub fn view<V: View>(
        &self,
        kind: impl Into<Kind>,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Result<Arc<V>, ViewError>> {
        let kind = kind.into();
        Some(self.kinds.get(&kind)?.get(namespace_key(namespace))?.get(name)?.view(&kind, name))
    }

    /// The views of a kind's objects in one namespace (`None` for cluster-scoped kinds), by
    /// name, each read as the iterator reaches it and kept by no one but the caller: judging
    /// every Deployment of a large stream holds one view at a time, not one per Deployment.
    pub fn views_in<'a, V: View>(
        &'a self,
        kind: impl Into<Kind>,
        namespace: Option<&str>,
    ) -> impl Iterator<Item = Result<Arc<V>, ViewError>> + 'a {
        let kind = kind.into();
        let found = self
            .kinds
            .get_key_value(&kind)
            .and_then(|(kind, namespaces)| Some((kind, namespaces.get(namespace_key(namespace))?)));
        found.into_iter().flat_map(|(kind, by_name)| by_name.iter().map(move |(name, slot)| slot.view(kind, name)))
    }

    /// Whether any object of this kind is present (used to tell "kind absent" from "no match").
    pub fn has_kind(&self, kind: impl Into<Kind>) -> bool {
        let kind = kind.into();
        self.kinds.get(&kind).is_some_and(|ns| !ns.is_empty())
    }

    /// Every kind present.
    pub fn kinds(&self) -> impl Iterator<Item = &Kind> {
        self.kinds.keys()
    }

    /// Every kind present, as string keys.
    pub fn kind_keys(&self) -> impl Iterator<Item = Cow<'static, str>> + '_ {
        self.kinds.keys().map(Kind::key)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(kind: &str, api_version: &str, ns: Option<&str>, name: &str) -> Object {
        let mut value = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}});
        if let Some(ns) = ns {
            value["metadata"]["namespace"] = json!(ns);
        }
        Object::from_value(value, None).expect("valid object")
    }

    #[test]
    fn indexes_by_kind_namespace_and_name_in_order() {
        let mut inv = Inventory::new();
        inv.insert(object("Deployment", "apps/v1", Some("b"), "web"));
        inv.insert(object("Deployment", "apps/v1", Some("a"), "zeta"));
        inv.insert(object("Deployment", "apps/v1", Some("a"), "alpha"));
        inv.insert(object("Service", "v1", Some("a"), "alpha"));
        let names: Vec<_> = inv.in_namespace(kinds::DEPLOYMENT, Some("a")).map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["alpha", "zeta"]);
        assert_eq!(inv.all(kinds::DEPLOYMENT).count(), 3);
        assert_eq!(inv.len(), 4);
        assert!(inv.get(kinds::SERVICE, Some("a"), "alpha").is_some());
    }

    #[test]
    fn replacing_and_removing_keeps_the_count_right() {
        let mut inv = Inventory::new();
        inv.insert(object("Deployment", "apps/v1", Some("a"), "api"));
        assert!(inv.insert(object("Deployment", "apps/v1", Some("a"), "api")).is_some());
        assert_eq!(inv.len(), 1);
        assert!(inv.remove(kinds::DEPLOYMENT, Some("a"), "api").is_some());
        assert!(inv.remove(kinds::DEPLOYMENT, Some("a"), "api").is_none());
        assert!(inv.is_empty());
        assert!(!inv.has_kind(kinds::DEPLOYMENT));
    }

    #[test]
    fn compact_objects_are_built_on_first_read_and_read_the_same() {
        let mut labelled = object("Deployment", "apps/v1", Some("a"), "web");
        labelled.labels.insert("app".to_owned(), "web".to_owned());
        labelled.data["metadata"]["labels"] = serde_json::json!({"app": "web"});
        let cluster = object("ClusterRole", "rbac.authorization.k8s.io/v1", None, "view");
        let mut inv = Inventory::new();
        inv.insert_compact(&labelled);
        inv.insert_compact(&cluster);
        inv.insert(object("Deployment", "apps/v1", Some("a"), "api"));
        assert_eq!(inv.len(), 3);
        assert_eq!(inv.get(kinds::DEPLOYMENT, Some("a"), "web").map(|o| o.as_ref()), Some(&labelled));
        assert_eq!(inv.get(kinds::CLUSTER_ROLE, None, "view").map(|o| o.as_ref()), Some(&cluster));
        let names: Vec<_> = inv.in_namespace(kinds::DEPLOYMENT, Some("a")).map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["api", "web"]);
        // The same built object on every read, not a new one each time.
        let first = inv.get(kinds::DEPLOYMENT, Some("a"), "web").expect("present");
        assert!(inv.all(kinds::DEPLOYMENT).any(|o| Arc::ptr_eq(o, first)));
        let replaced = inv.insert_compact(&object("Deployment", "apps/v1", Some("a"), "web"));
        assert_eq!(replaced.as_deref(), Some(&labelled));
        assert_eq!(inv.len(), 3);
        assert_eq!(inv.remove(kinds::CLUSTER_ROLE, None, "view").as_deref(), Some(&cluster));
        assert_eq!(inv.len(), 2);
    }

    #[test]
    fn api_version_does_not_split_a_kind() {
        let mut inv = Inventory::new();
        inv.insert(object("HorizontalPodAutoscaler", "autoscaling/v2", Some("a"), "x"));
        inv.insert(object("HorizontalPodAutoscaler", "autoscaling/v1", Some("a"), "y"));
        assert_eq!(inv.in_namespace(kinds::HPA, Some("a")).count(), 2);
    }
}
