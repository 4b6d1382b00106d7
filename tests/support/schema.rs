//! Structural-schema behaviour of custom resources on write: unknown fields are pruned, nulls
//! dropped, and `default`s filled in, as the real server does, and list-maps
//! (`x-kubernetes-list-type: map`) refuse a repeated key. Not done: other validation (types,
//! enums, required, CEL `x-kubernetes-validations`), so such invalid objects are stored as sent;
//! tests/real_crds.rs runs those against a real API server.

use serde_json::{Map, Value};

use super::managed;
use super::resources::ResourceInfo;

const ROOT_KEYS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// Normalises a custom object against its version's `openAPIV3Schema`; built-ins and CRDs
/// without a schema are left alone. Ownership of pruned fields is dropped too.
pub fn normalize(info: &ResourceInfo, obj: &mut Value) {
    let Some(schema) = &info.schema else { return };
    let Value::Object(root) = obj else { return };
    // apiVersion, kind and metadata are the server's, never pruned by the schema.
    let kept: Vec<(String, Value)> =
        ROOT_KEYS.iter().filter_map(|k| root.remove(*k).map(|v| (k.to_string(), v))).collect();
    apply(schema, obj);
    if let Value::Object(root) = obj {
        root.extend(kept);
    }
    let mut entries = managed::entries(obj);
    if !entries.is_empty() {
        managed::prune(&mut entries, obj);
        managed::write_entries(obj, &entries);
    }
}

/// The first entry of a list-map that repeats the keys of an earlier entry, as its field path
/// (`spec.items[1]`) and those keys (`{"name":"review"}`): the real server refuses such a write
/// with `Duplicate value`. Built-ins and CRDs without a schema have none.
pub fn duplicate_list_key(info: &ResourceInfo, obj: &Value) -> Option<(String, Value)> {
    let schema = info.schema.as_ref()?;
    duplicate_in(schema, obj, "")
}

fn duplicate_in(schema: &Value, value: &Value, path: &str) -> Option<(String, Value)> {
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            map.iter().find_map(|(key, child)| {
                let child_schema = props.and_then(|p| p.get(key)).or_else(|| schema.get("additionalProperties"))?;
                duplicate_in(child_schema, child, &join(key))
            })
        }
        Value::Array(items) => {
            let item_schema = schema.get("items")?;
            if schema.get("x-kubernetes-list-type").and_then(Value::as_str) == Some("map") {
                let keys: Vec<&str> = schema
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|k| k.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut seen = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    let key: Map<String, Value> =
                        keys.iter().filter_map(|k| Some(((*k).to_owned(), item.get(*k)?.clone()))).collect();
                    if seen.contains(&key) {
                        return Some((format!("{path}[{index}]"), Value::Object(key)));
                    }
                    seen.push(key);
                }
            }
            items.iter().enumerate().find_map(|(i, item)| duplicate_in(item_schema, item, &format!("{path}[{i}]")))
        }
        _ => None,
    }
}

fn flag(schema: &Value, key: &str) -> bool {
    schema.get(key).and_then(Value::as_bool) == Some(true)
}

fn apply(schema: &Value, value: &mut Value) {
    match value {
        Value::Object(map) => apply_object(schema, map),
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                items.iter_mut().for_each(|v| apply(item_schema, v));
            }
        }
        _ => {}
    }
}

fn apply_object(schema: &Value, map: &mut Map<String, Value>) {
    let preserve = flag(schema, "x-kubernetes-preserve-unknown-fields");
    let embedded = flag(schema, "x-kubernetes-embedded-resource");
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        // A null for a non-nullable field is pruned, then defaulted like a missing one.
        map.retain(|k, v| !(v.is_null() && props.get(k).is_some_and(|p| !flag(p, "nullable"))));
        for (key, prop) in props {
            if let (false, Some(default)) = (map.contains_key(key), prop.get("default")) {
                map.insert(key.clone(), default.clone());
            }
        }
        for (key, child) in map.iter_mut() {
            if let Some(prop) = props.get(key) {
                apply(prop, child);
            }
        }
    }
    if let Some(additional) = schema.get("additionalProperties").filter(|a| a.is_object()) {
        map.values_mut().for_each(|v| apply(additional, v));
        return;
    }
    if preserve || flag(schema, "x-kubernetes-int-or-string") {
        return;
    }
    let props = schema.get("properties").and_then(Value::as_object);
    map.retain(|k, _| props.is_some_and(|p| p.contains_key(k)) || (embedded && ROOT_KEYS.contains(&k.as_str())));
}
