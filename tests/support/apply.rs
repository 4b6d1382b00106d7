//! Server-side apply: merge an applied configuration, detect field-manager conflicts, and drop
//! fields a manager stopped applying.
//!
//! What kube-lease-manager and the controller rely on is faithful: `fieldManager` is required,
//! apply creates missing objects, a manager's fields conflict with other managers' (409 unless
//! `force`), and a field the manager no longer applies is removed when nobody else owns it.
//! Simplified: lists are atomic (replaced whole) and `null` in the configuration removes a field.

use serde_json::{Map, Value, json};

use super::errors::{ApiError, apply_conflict};
use super::managed::{self, FieldSet, overlaps, value_at};
use super::resources::ResourceInfo;

pub struct ApplyRequest<'a> {
    pub info: &'a ResourceInfo,
    /// `status` for `/status`, empty for the main resource.
    pub subresource: &'a str,
    pub manager: &'a str,
    pub force: bool,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    pub now: &'a str,
}

/// Checks what the real server rejects before looking at the object.
pub fn validate(req: &ApplyRequest, config: &Value) -> Result<(), ApiError> {
    if !config.is_object() {
        return Err(ApiError::bad_request("apply patch must be an object"));
    }
    let (api_version, kind) = (config["apiVersion"].as_str(), config["kind"].as_str());
    if api_version.is_none_or(str::is_empty) || kind.is_none_or(str::is_empty) {
        return Err(ApiError::bad_request(format!(
            "invalid object type: {}, Kind={}",
            api_version.unwrap_or("/"),
            kind.unwrap_or_default()
        )));
    }
    if api_version != Some(req.info.api_version().as_str()) || kind != Some(req.info.kind.as_str()) {
        return Err(ApiError::bad_request(format!(
            "the apiVersion/kind of the applied object ({}, {}) does not match the resource ({}, {})",
            api_version.unwrap_or_default(),
            kind.unwrap_or_default(),
            req.info.api_version(),
            req.info.kind
        )));
    }
    if config["metadata"].get("managedFields").is_some_and(|m| !m.is_null()) {
        return Err(ApiError::bad_request("metadata.managedFields must be nil"));
    }
    if let Some(n) = config["metadata"]["name"].as_str().filter(|n| *n != req.name) {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({n}) does not match the name on the URL ({})",
            req.name
        )));
    }
    Ok(())
}

/// The part of the configuration a write to this endpoint may set.
fn scoped(req: &ApplyRequest, config: &Value) -> Value {
    let mut out = Map::new();
    for (key, value) in config.as_object().into_iter().flatten() {
        match key.as_str() {
            "apiVersion" | "kind" => {}
            "metadata" => {
                let kept: Map<String, Value> = value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, _)| matches!(k.as_str(), "labels" | "annotations" | "finalizers" | "ownerReferences"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if !kept.is_empty() && req.subresource != "status" {
                    out.insert(key.clone(), Value::Object(kept));
                }
            }
            // With a status subresource, status belongs to `/status` alone.
            "status" if req.info.has_status && req.subresource == "status" => {
                out.insert(key.clone(), value.clone());
            }
            "status" if req.info.has_status => {}
            _ if req.subresource != "status" => {
                out.insert(key.clone(), value.clone());
            }
            _ => {}
        }
    }
    Value::Object(out)
}

/// Maps merge, everything else (lists included) replaces, `null` removes.
fn deep_merge(target: &mut Value, config: &Value) {
    match (target, config) {
        (Value::Object(t), Value::Object(c)) => {
            for (k, v) in c {
                if v.is_null() {
                    t.remove(k);
                } else if let Some(existing) = t.get_mut(k).filter(|e| e.is_object() && v.is_object()) {
                    deep_merge(existing, v);
                } else {
                    t.insert(k.clone(), v.clone());
                }
            }
        }
        (t, c) => *t = c.clone(),
    }
}

fn remove_path(obj: &mut Value, path: &[String]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let parent = parent.iter().try_fold(obj, |v, seg| v.get_mut(seg));
    if let Some(Value::Object(m)) = parent {
        m.remove(last);
    }
}

/// Applies `config` to `old` (or to a new object when `old` is `None`) and returns the result
/// with updated `managedFields`. Identity and generation are the caller's job.
pub fn apply(req: &ApplyRequest, old: Option<&Value>, config: &Value) -> Result<Value, ApiError> {
    validate(req, config)?;
    let config = scoped(req, config);
    let applied: FieldSet = managed::tracked_paths(req.info, req.subresource, &config);
    let mut entries = old.map(managed::entries).unwrap_or_default();
    let mut result = match old {
        Some(o) => o.clone(),
        None => {
            let mut meta = json!({"name": req.name});
            if let Some(ns) = req.namespace {
                meta["namespace"] = json!(ns);
            }
            json!({"apiVersion": req.info.api_version(), "kind": req.info.kind, "metadata": meta})
        }
    };

    let is_mine =
        |e: &managed::Entry| e.manager == req.manager && e.operation == "Apply" && e.subresource == req.subresource;
    let previously: FieldSet = entries.iter().filter(|e| is_mine(e)).flat_map(|e| e.fields.iter().cloned()).collect();
    for dropped in previously.difference(&applied) {
        let owned_elsewhere = entries.iter().any(|e| !is_mine(e) && e.fields.iter().any(|q| overlaps(q, dropped)));
        if !owned_elsewhere {
            remove_path(&mut result, dropped);
        }
    }
    deep_merge(&mut result, &config);

    // A conflict is a field another manager owns whose value this apply would change.
    let mut conflicts: Vec<(usize, managed::FieldPath)> = Vec::new();
    for (i, e) in entries.iter().enumerate().filter(|(_, e)| e.manager != req.manager) {
        for q in &e.fields {
            if applied.iter().any(|p| overlaps(p, q)) && value_at(old, q) != value_at(Some(&result), q) {
                conflicts.push((i, q.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !req.force {
        let described: Vec<(String, String)> =
            conflicts.iter().map(|(i, q)| (entries[*i].manager.clone(), managed::display(q))).collect();
        return Err(apply_conflict(&described));
    }
    for (i, q) in &conflicts {
        entries[*i].fields.remove(q);
    }
    managed::find_or_add(&mut entries, req.manager, "Apply", req.subresource, req.info, req.now).fields = applied;
    managed::prune(&mut entries, &result);
    managed::write_entries(&mut result, &entries);
    Ok(result)
}
