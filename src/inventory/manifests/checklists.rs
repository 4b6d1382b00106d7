//! ReadinessChecklists among loaded objects: told apart from the rest, and deserialized with
//! messages that name the file, document and field at fault.

use serde_json::Value;

use super::Loaded;
use crate::Result;
use crate::api::{API_VERSION, ReadinessChecklist};
use crate::inventory::{Object, kinds};

/// Separates ReadinessChecklists (still with their sources, for messages) from every other
/// object, keeping the order of each.
pub fn split_checklists(loaded: Vec<Loaded>) -> (Vec<Loaded>, Vec<Object>) {
    let mut checklists = Vec::new();
    let mut others = Vec::new();
    for item in loaded {
        if item.object.kind_key == kinds::CHECKLIST {
            checklists.push(item);
        } else {
            others.push(item.object);
        }
    }
    (checklists, others)
}

/// Deserializes a loaded ReadinessChecklist. A checklist without a namespace takes the one its
/// object was given (the loader's default). Errors name the field path, with the item's name
/// when the fault is inside an item: `spec.items[3] (autoscaling).check...`.
pub fn to_checklist(loaded: &Loaded) -> Result<ReadinessChecklist> {
    let object = &loaded.object;
    let reference = format!("readinesschecklist/{}", object.name);
    if object.api_version != API_VERSION {
        return Err(loaded
            .source
            .error(format!("{reference}: unsupported apiVersion {} (expected {API_VERSION})", object.api_version)));
    }
    let mut checklist: ReadinessChecklist = serde_path_to_error::deserialize(&object.data)
        .map_err(|e| loaded.source.error(format!("{reference}: {}", describe(&e, &object.data))))?;
    let unknown = unknown_spec_fields(&object.data);
    if !unknown.is_empty() {
        return Err(loaded.source.error(format!(
            "{reference}: unknown field{} {} (the API server's strict field validation would reject {})",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", "),
            if unknown.len() == 1 { "it" } else { "them" },
        )));
    }
    if checklist.metadata.namespace.is_none() {
        checklist.metadata.namespace.clone_from(&object.namespace);
    }
    Ok(checklist)
}

/// Fields under `spec` that the API types don't know, as `spec.items[0] (name).check...` paths.
/// A typo such as `minReplica` would otherwise be ignored offline and pruned by the API server,
/// silently dropping a requirement; `kubectl apply` (strict field validation) refuses it, so
/// `readygate check` does too.
fn unknown_spec_fields(data: &Value) -> Vec<String> {
    let mut unknown = Vec::new();
    let _: std::result::Result<ReadinessChecklist, _> = serde_ignored::deserialize(data, |path| {
        let dotted = path.to_string();
        if dotted == "spec" || dotted.starts_with("spec.") {
            unknown.push(with_item_name(&readable_path(&dotted, data), data));
        }
    });
    unknown
}

/// `spec.items.3.check.?.x` (serde_ignored's spelling, `?` for an enum variant) ->
/// `spec.items[3].check.horizontalPodAutoscaler.x`, walking the data to name the variant.
fn readable_path(dotted: &str, data: &Value) -> String {
    let mut out = String::with_capacity(dotted.len() + 16);
    let mut at = Some(data);
    for (i, segment) in dotted.split('.').enumerate() {
        if let (Ok(index), true) = (segment.parse::<usize>(), i > 0) {
            out.push_str(&format!("[{index}]"));
            at = at.and_then(|v| v.get(index));
            continue;
        }
        let key = match (segment, at.and_then(Value::as_object)) {
            ("?", Some(map)) if map.len() == 1 => map.keys().next().map_or(segment, String::as_str),
            _ => segment,
        };
        if i > 0 {
            out.push('.');
        }
        out.push_str(key);
        at = at.and_then(|v| v.get(key));
    }
    out
}

fn describe(error: &serde_path_to_error::Error<serde_json::Error>, data: &Value) -> String {
    let path = error.path().to_string();
    let inner = error.inner().to_string();
    let message = if inner.contains("expected map with a single key") {
        let keys: Vec<&str> = pointer_for(&path)
            .and_then(|p| data.pointer(&p))
            .and_then(Value::as_object)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        if keys.is_empty() {
            "needs exactly one check key, found none".to_owned()
        } else {
            format!("needs exactly one check key, found {}: {}", keys.len(), keys.join(", "))
        }
    } else if inner.contains("unit variant, expected newtype variant") {
        "must be a mapping of the check's fields (use `{}` for none)".to_owned()
    } else {
        inner
    };
    if path == "." { message } else { format!("{}: {message}", with_item_name(&path, data)) }
}

/// `spec.items[3].check` -> `spec.items[3] (autoscaling).check`.
fn with_item_name(path: &str, data: &Value) -> String {
    let Some(rest) = path.strip_prefix("spec.items[") else { return path.to_owned() };
    let Some((index, tail)) = rest.split_once(']') else { return path.to_owned() };
    let name = index
        .parse::<usize>()
        .ok()
        .and_then(|i| data.pointer(&format!("/spec/items/{i}/name")))
        .and_then(Value::as_str);
    match name {
        Some(name) => format!("spec.items[{index}] ({name}){tail}"),
        None => path.to_owned(),
    }
}

/// `spec.items[3].check` -> `/spec/items/3/check`, for paths made of plain keys and indexes.
fn pointer_for(path: &str) -> Option<String> {
    let mut pointer = String::new();
    for segment in path.split('.') {
        let (key, index) = match segment.split_once('[') {
            Some((key, index)) => (key, Some(index.strip_suffix(']')?)),
            None => (segment, None),
        };
        pointer.push('/');
        pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
        if let Some(index) = index {
            pointer.push('/');
            pointer.push_str(index);
        }
    }
    Some(pointer)
}
