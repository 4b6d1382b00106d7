//! Test fixtures the check modules share: objects built from JSON, JSON edits, and the world a
//! check runs in (inventory, facts, namespace and "now").

use jiff::Timestamp;
use serde_json::{Value, json};

use super::{Facts, Outcome, Scope};
use crate::api::ItemState;
use crate::inventory::{Inventory, Object, whole};

/// The namespace test checklists and objects live in unless a test says otherwise.
pub(crate) const NS: &str = "shop";

/// An object from its JSON. One that names no namespace lands in `shop` (a cluster-scoped kind in
/// none), as `kubectl apply -n shop` would put it.
pub(crate) fn object(value: Value) -> Object {
    Object::from_value(value, Some(NS)).expect("a valid object")
}

/// An object of `kind` named `name` in `shop`, with the top-level keys of `rest` (`spec`,
/// `status`, `data`...) added.
pub(crate) fn resource(api_version: &str, kind: &str, name: &str, rest: Value) -> Object {
    object(merged(json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}), rest))
}

/// `base` with each top-level key of `extra` set, replacing what was there.
pub(crate) fn merged(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

/// Sets the field at a JSON pointer, creating missing parent objects; `Value::Null` removes it.
pub(crate) fn set(value: &mut Value, pointer: &str, field: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer with a parent");
    let mut target = value;
    for part in parent.split('/').skip(1) {
        target = match target {
            Value::Array(items) => &mut items[part.parse::<usize>().expect("an array index")],
            other => other.as_object_mut().expect("an object").entry(part).or_insert_with(|| json!({})),
        };
    }
    match target {
        Value::Array(items) => items[key.parse::<usize>().expect("an array index")] = field,
        Value::Object(map) if field.is_null() => {
            map.remove(key);
        }
        other => other[key] = field,
    }
}

/// The outcome is in `state` and its message says `needle`.
pub(crate) fn assert_state(outcome: &Outcome, state: ItemState, needle: &str) {
    assert_eq!(outcome.state, state, "{}", outcome.message);
    assert!(outcome.message.contains(needle), "expected {needle:?} in {:?}", outcome.message);
}

/// `text` (a message, a page, a report) contains `needle`. A failure names both: a bare
/// `assert!(text.contains(..))` shows neither what was expected nor where it was looked for.
#[track_caller]
pub(crate) fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "expected {needle:?} in {text:?}");
}

/// `text` starts with `prefix`; a failure names both.
#[track_caller]
pub(crate) fn assert_starts_with(text: &str, prefix: &str) {
    assert!(text.starts_with(prefix), "expected {text:?} to start with {prefix:?}");
}

/// `text` ends with `suffix`; a failure names both.
#[track_caller]
pub(crate) fn assert_ends_with(text: &str, suffix: &str) {
    assert!(text.ends_with(suffix), "expected {text:?} to end with {suffix:?}");
}

/// What a check runs against: by default the objects given, offline, in `shop`, at the epoch.
pub(crate) struct World {
    inventory: Inventory,
    facts: Facts,
    namespace: String,
    now: Timestamp,
}

impl World {
    /// Each object of a projected kind is also there whole, as loading keeps it for a
    /// `resource` item that names its kind (`engine::Collector`).
    pub(crate) fn new(objects: impl IntoIterator<Item = Object>) -> Self {
        let mut inventory = Inventory::new();
        for object in objects {
            if whole::is_separate(&object.kind_key) {
                inventory.insert(whole::copy_of(&object));
            }
            inventory.insert(object);
        }
        World { inventory, facts: Facts::offline(), namespace: NS.to_owned(), now: Timestamp::UNIX_EPOCH }
    }

    pub(crate) fn facts(mut self, facts: Facts) -> Self {
        self.facts = facts;
        self
    }

    pub(crate) fn namespace(mut self, namespace: &str) -> Self {
        namespace.clone_into(&mut self.namespace);
        self
    }

    pub(crate) fn at(mut self, now: Timestamp) -> Self {
        self.now = now;
        self
    }

    pub(crate) fn scope(&self) -> Scope<'_> {
        Scope { namespace: &self.namespace, inventory: &self.inventory, facts: &self.facts, now: self.now }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_creates_parents_replaces_and_removes() {
        let mut value = json!({"spec": {"containers": [{"name": "api"}]}});
        set(&mut value, "/spec/template/metadata/labels", json!({"app": "api"}));
        set(&mut value, "/spec/containers/0/image", json!("api:1"));
        set(&mut value, "/spec/containers/0/name", Value::Null);
        assert_eq!(
            value,
            json!({"spec": {"containers": [{"image": "api:1"}], "template": {"metadata": {"labels": {"app": "api"}}}}})
        );
    }

    #[test]
    fn objects_without_a_namespace_land_in_the_test_namespace() {
        assert_eq!(resource("v1", "Service", "db", json!({})).namespace.as_deref(), Some(NS));
        assert_eq!(resource("v1", "Namespace", "shop", json!({})).namespace, None);
    }
}
