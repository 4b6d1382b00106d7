//! Field ownership (`metadata.managedFields`): which manager set which fields, in FieldsV1 form.
//!
//! Simplification: every list is atomic (owned as one leaf), where the real server merges
//! `listType: map` lists by key. Ownership of maps is tracked per leaf field.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::patch;
use super::resources::ResourceInfo;

pub type FieldPath = Vec<String>;
pub type FieldSet = BTreeSet<FieldPath>;

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// `status`, or empty for the main resource.
    pub subresource: String,
    pub api_version: String,
    pub time: String,
    pub fields: FieldSet,
}

/// Metadata fields that are owned like user data; the rest is server bookkeeping.
const TRACKED_METADATA: [&str; 4] = ["labels", "annotations", "finalizers", "ownerReferences"];

/// The leaf fields of `obj` that a write to `subresource` can own.
pub fn tracked_paths(info: &ResourceInfo, subresource: &str, obj: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    let Some(map) = obj.as_object() else {
        return out;
    };
    for (key, value) in map {
        let in_scope = match key.as_str() {
            "apiVersion" | "kind" => false,
            "status" if info.has_status => subresource == "status",
            _ => subresource != "status",
        };
        if !in_scope {
            continue;
        }
        if key == "metadata" {
            for m in TRACKED_METADATA {
                if let Some(v) = value.get(m) {
                    leaves(v, vec![key.clone(), m.to_string()], &mut out);
                }
            }
        } else {
            leaves(value, vec![key.clone()], &mut out);
        }
    }
    out
}

fn leaves(v: &Value, path: FieldPath, out: &mut FieldSet) {
    match v {
        Value::Null => {}
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                let mut p = path.clone();
                p.push(k.clone());
                leaves(child, p, out);
            }
        }
        _ => {
            out.insert(path);
        }
    }
}

/// One path is the other's ancestor (or they are equal): owning one gives a stake in the other.
pub fn overlaps(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

pub fn value_at<'a>(obj: Option<&'a Value>, path: &[String]) -> Option<&'a Value> {
    obj.and_then(|o| patch::get(o, path)).filter(|v| !v.is_null())
}

/// `.spec.holderIdentity`, as conflict messages print fields.
pub fn display(path: &[String]) -> String {
    path.iter().map(|s| format!(".{s}")).collect()
}

pub fn entries(obj: &Value) -> Vec<Entry> {
    let Some(list) = obj["metadata"]["managedFields"].as_array() else {
        return vec![];
    };
    list.iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            let mut fields = FieldSet::new();
            decode(&e["fieldsV1"], vec![], &mut fields);
            Entry {
                manager: s("manager"),
                operation: s("operation"),
                subresource: s("subresource"),
                api_version: s("apiVersion"),
                time: s("time"),
                fields,
            }
        })
        .collect()
}

/// Writes entries back, dropping those that own nothing (as the server does).
pub fn write_entries(obj: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager, "operation": e.operation, "apiVersion": e.api_version,
                "time": e.time, "fieldsType": "FieldsV1", "fieldsV1": encode(&e.fields),
            });
            if !e.subresource.is_empty() {
                v["subresource"] = json!(e.subresource);
            }
            v
        })
        .collect();
    let meta = super::meta::meta_mut(obj);
    if list.is_empty() {
        meta.remove("managedFields");
    } else {
        meta.insert("managedFields".into(), Value::Array(list));
    }
}

/// Drops ownership of fields that no longer exist in `obj`.
pub fn prune(entries: &mut [Entry], obj: &Value) {
    for e in entries.iter_mut() {
        e.fields.retain(|p| value_at(Some(obj), p).is_some());
    }
}

/// Records a non-apply write (create, update, merge/json/strategic patch) by `manager`: it
/// takes ownership of every field whose value it changed.
pub fn record_update(
    info: &ResourceInfo,
    subresource: &str,
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    now: &str,
) {
    let mut es = old.map(entries).unwrap_or_default();
    let changed: FieldSet = tracked_paths(info, subresource, new)
        .into_iter()
        .filter(|p| value_at(old, p) != value_at(Some(new), p))
        .collect();
    if !changed.is_empty() {
        for e in es.iter_mut() {
            e.fields.retain(|q| !changed.iter().any(|p| overlaps(p, q)));
        }
        let mine = find_or_add(&mut es, manager, "Update", subresource, info, now);
        mine.fields.extend(changed);
    }
    prune(&mut es, new);
    write_entries(new, &es);
}

pub fn find_or_add<'a>(
    es: &'a mut Vec<Entry>,
    manager: &str,
    operation: &str,
    subresource: &str,
    info: &ResourceInfo,
    now: &str,
) -> &'a mut Entry {
    let pos = es.iter().position(|e| e.manager == manager && e.operation == operation && e.subresource == subresource);
    let i = match pos {
        Some(i) => i,
        None => {
            es.push(Entry {
                manager: manager.into(),
                operation: operation.into(),
                subresource: subresource.into(),
                api_version: info.api_version(),
                time: now.into(),
                fields: FieldSet::new(),
            });
            es.len() - 1
        }
    };
    let e = &mut es[i];
    e.time = now.into();
    e.api_version = info.api_version();
    e
}

/// FieldsV1: nested `f:<name>` maps, `{}` for an owned leaf, and a `"."` key on an owned field
/// that also has owned children.
fn encode(fields: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in fields {
        let mut node = &mut root;
        for (i, seg) in path.iter().enumerate() {
            let entry = node.entry(format!("f:{seg}")).or_insert_with(|| json!({}));
            let Value::Object(child) = entry else { break };
            if i + 1 < path.len() && fields.contains(&path[..=i]) {
                child.insert(".".into(), json!({}));
            }
            node = child;
        }
    }
    Value::Object(root)
}

fn decode(node: &Value, path: FieldPath, out: &mut FieldSet) {
    let Some(map) = node.as_object() else { return };
    let mut children = false;
    for (k, child) in map {
        if let Some(name) = k.strip_prefix("f:") {
            children = true;
            let mut p = path.clone();
            p.push(name.to_string());
            decode(child, p, out);
        } else if k != "." {
            // `k:`/`v:`/`i:` keys address list elements; lists are atomic here.
            children = false;
            break;
        }
    }
    if (!children || map.contains_key(".")) && !path.is_empty() {
        out.insert(path);
    }
}
