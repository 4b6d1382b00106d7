//! Patch documents: JSON merge patch (RFC 7386), JSON patch (RFC 6902), strategic merge (as merge).

use serde_json::{Map, Value};

use super::errors::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Merge,
    Json,
    Strategic,
    Apply,
}

impl PatchType {
    pub fn from_content_type(content_type: &str) -> Option<PatchType> {
        match content_type.split(';').next().unwrap_or_default().trim() {
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/json-patch+json" => Some(PatchType::Json),
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            "application/apply-patch+yaml" => Some(PatchType::Apply),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PatchType::Merge => "merge",
            PatchType::Json => "json",
            PatchType::Strategic => "strategic",
            PatchType::Apply => "apply",
        }
    }
}

/// Applies a non-apply patch document to `old`.
pub fn apply_patch_document(kind: PatchType, old: &Value, doc: &Value) -> Result<Value, ApiError> {
    let mut out = old.clone();
    match kind {
        PatchType::Merge => merge_patch(&mut out, doc),
        PatchType::Strategic => strategic_merge_patch(&mut out, doc),
        PatchType::Json => {
            out = json_patch(old, doc).map_err(|e| {
                if e.malformed { ApiError::bad_request(e.message) } else { ApiError::new(422, "Invalid", e.message) }
            })?;
        }
        PatchType::Apply => {}
    }
    if !out.is_object() {
        return Err(ApiError::bad_request("the patch turned the object into a non-object"));
    }
    Ok(out)
}

/// RFC 7386: objects merge recursively, `null` deletes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in patch {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// Strategic merge patch treated as a merge patch: lists are replaced instead of merged by their
/// patch keys, and `$`-directives (`$patch`, `$retainKeys`, `$setElementOrder/...`) are dropped.
pub fn strategic_merge_patch(target: &mut Value, patch: &Value) {
    merge_patch(target, &strip_directives(patch));
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter().filter(|(k, _)| !k.starts_with('$')).map(|(k, v)| (k.clone(), strip_directives(v))).collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

/// Why a JSON patch could not be applied. `malformed` means the document itself is wrong (400);
/// otherwise it did not fit the object (422).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPatchError {
    pub malformed: bool,
    pub message: String,
}

fn bad(message: String) -> JsonPatchError {
    JsonPatchError { malformed: true, message }
}

fn unfit(message: String) -> JsonPatchError {
    JsonPatchError { malformed: false, message }
}

/// RFC 6902, all six operations, applied atomically.
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, JsonPatchError> {
    let ops = patch.as_array().ok_or_else(|| bad("a JSON patch must be an array of operations".into()))?;
    let mut doc = target.clone();
    for op in ops {
        let name = op["op"].as_str().ok_or_else(|| bad(format!("operation has no \"op\": {op}")))?;
        let path = pointer(op["path"].as_str().ok_or_else(|| bad(format!("operation has no \"path\": {op}")))?)?;
        let value = || op.get("value").cloned().ok_or_else(|| bad(format!("{name} operation has no \"value\"")));
        let from = || pointer(op["from"].as_str().ok_or_else(|| bad(format!("{name} operation has no \"from\"")))?);
        match name {
            "add" => add(&mut doc, &path, value()?)?,
            "remove" => {
                remove(&mut doc, &path)?;
            }
            "replace" => {
                let slot =
                    get_mut(&mut doc, &path).ok_or_else(|| unfit(format!("replace: path {path:?} does not exist")))?;
                *slot = value()?;
            }
            "move" => {
                let from = from()?;
                if path.len() > from.len() && path.starts_with(&from) {
                    return Err(unfit("move: \"from\" is a prefix of \"path\"".into()));
                }
                let moved = remove(&mut doc, &from)?;
                add(&mut doc, &path, moved)?;
            }
            "copy" => {
                let copied =
                    get(&doc, &from()?).cloned().ok_or_else(|| unfit("copy: \"from\" does not exist".into()))?;
                add(&mut doc, &path, copied)?;
            }
            "test" => {
                if get(&doc, &path) != Some(&value()?) {
                    return Err(unfit(format!("test failed: value at {path:?} differs")));
                }
            }
            other => return Err(bad(format!("unknown operation {other:?}"))),
        }
    }
    Ok(doc)
}

/// RFC 6901 pointer to segments (`~1` is `/`, `~0` is `~`).
fn pointer(p: &str) -> Result<Vec<String>, JsonPatchError> {
    if p.is_empty() {
        return Ok(vec![]);
    }
    let rest = p.strip_prefix('/').ok_or_else(|| bad(format!("invalid JSON pointer {p:?}")))?;
    Ok(rest.split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect())
}

fn index(seg: &str, len: usize, allow_end: bool) -> Option<usize> {
    if allow_end && seg == "-" {
        return Some(len);
    }
    if seg.len() > 1 && seg.starts_with('0') {
        return None;
    }
    seg.parse::<usize>().ok().filter(|&i| if allow_end { i <= len } else { i < len })
}

pub fn get<'a>(doc: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(doc, |v, seg| match v {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => index(seg, a.len(), false).and_then(|i| a.get(i)),
        _ => None,
    })
}

fn get_mut<'a>(doc: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(doc, |v, seg| match v {
        Value::Object(m) => m.get_mut(seg),
        Value::Array(a) => index(seg, a.len(), false).and_then(move |i| a.get_mut(i)),
        _ => None,
    })
}

fn add(doc: &mut Value, path: &[String], value: Value) -> Result<(), JsonPatchError> {
    let Some((last, parent)) = path.split_last() else {
        *doc = value;
        return Ok(());
    };
    match get_mut(doc, parent) {
        Some(Value::Object(m)) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Some(Value::Array(a)) => {
            let i = index(last, a.len(), true).ok_or_else(|| unfit(format!("add: index {last:?} out of range")))?;
            a.insert(i, value);
            Ok(())
        }
        _ => Err(unfit(format!("add: parent of {path:?} does not exist"))),
    }
}

fn remove(doc: &mut Value, path: &[String]) -> Result<Value, JsonPatchError> {
    let (last, parent) = path.split_last().ok_or_else(|| unfit("remove: cannot remove the root".into()))?;
    let missing = || unfit(format!("remove: path {path:?} does not exist"));
    match get_mut(doc, parent) {
        Some(Value::Object(m)) => m.remove(last).ok_or_else(missing),
        Some(Value::Array(a)) => {
            let i = index(last, a.len(), false).ok_or_else(missing)?;
            Ok(a.remove(i))
        }
        _ => Err(missing()),
    }
}
