//! The inventory: every object the checks may read, indexed by kind, namespace and name.

pub mod kinds;
pub mod live;
pub mod manifests;
mod object;
pub mod selector;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub use object::{Object, ObjectError, group_of, kind_key};

type ByName = BTreeMap<String, Arc<Object>>;

/// Objects indexed by kind key, then namespace (`""` for cluster-scoped), then name. BTreeMaps
/// keep iteration deterministic, so reports and messages never depend on insertion order.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    kinds: HashMap<String, BTreeMap<String, ByName>>,
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
        let by_name = self
            .kinds
            .entry(object.kind_key.clone())
            .or_default()
            .entry(object.namespace.clone().unwrap_or_default())
            .or_default();
        let replaced = by_name.insert(object.name.clone(), object);
        if replaced.is_none() {
            self.len += 1;
        }
        replaced
    }

    pub fn remove(&mut self, kind_key: &str, namespace: Option<&str>, name: &str) -> Option<Arc<Object>> {
        let namespaces = self.kinds.get_mut(kind_key)?;
        let ns = namespace.unwrap_or_default();
        let by_name = namespaces.get_mut(ns)?;
        let removed = by_name.remove(name);
        if by_name.is_empty() {
            namespaces.remove(ns);
        }
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    pub fn get(&self, kind_key: &str, namespace: Option<&str>, name: &str) -> Option<&Arc<Object>> {
        #[cfg(test)]
        recorder::note(kind_key);
        self.kinds.get(kind_key)?.get(namespace.unwrap_or_default())?.get(name)
    }

    /// Objects of a kind in one namespace (pass `None` for cluster-scoped kinds), by name.
    pub fn in_namespace<'a>(
        &'a self,
        kind_key: &str,
        namespace: Option<&str>,
    ) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        #[cfg(test)]
        recorder::note(kind_key);
        self.kinds
            .get(kind_key)
            .and_then(|namespaces| namespaces.get(namespace.unwrap_or_default()))
            .into_iter()
            .flat_map(BTreeMap::values)
    }

    /// Every object of a kind, by namespace then name.
    pub fn all<'a>(&'a self, kind_key: &str) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        #[cfg(test)]
        recorder::note(kind_key);
        self.kinds.get(kind_key).into_iter().flat_map(|ns| ns.values().flat_map(BTreeMap::values))
    }

    /// Whether any object of this kind is present (used to tell "kind absent" from "no match").
    pub fn has_kind(&self, kind_key: &str) -> bool {
        #[cfg(test)]
        recorder::note(kind_key);
        self.kinds.get(kind_key).is_some_and(|ns| !ns.is_empty())
    }

    /// Every kind key present.
    pub fn kind_keys(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Test support: the kind keys a piece of code looked up, so `checks::reads` (which the controller
/// watches) can be checked against what the checks really read.
#[cfg(test)]
pub(crate) mod recorder {
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    thread_local! {
        static READ: RefCell<Option<BTreeSet<String>>> = const { RefCell::new(None) };
    }

    /// Runs `f` and returns what it gave with every kind key it looked up on this thread.
    pub(crate) fn record<T>(f: impl FnOnce() -> T) -> (T, BTreeSet<String>) {
        READ.with(|read| *read.borrow_mut() = Some(BTreeSet::new()));
        let value = f();
        let keys = READ.with(|read| read.borrow_mut().take()).unwrap_or_default();
        (value, keys)
    }

    pub(super) fn note(kind_key: &str) {
        READ.with(|read| {
            if let Some(keys) = read.borrow_mut().as_mut() {
                keys.insert(kind_key.to_owned());
            }
        });
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
    fn api_version_does_not_split_a_kind() {
        let mut inv = Inventory::new();
        inv.insert(object("HorizontalPodAutoscaler", "autoscaling/v2", Some("a"), "x"));
        inv.insert(object("HorizontalPodAutoscaler", "autoscaling/v1", Some("a"), "y"));
        assert_eq!(inv.in_namespace(kinds::HPA, Some("a")).count(), 2);
    }
}
