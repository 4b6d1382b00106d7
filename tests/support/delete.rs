//! Deletion: preconditions, finalizers (graceful deletion), namespace and CRD cascades.

use bytes::Bytes;
use serde_json::{Value, json};

use super::crud::{Ctx, parse_json, present, selectors};
use super::errors::ApiError;
use super::meta::{generation, meta_mut, meta_str, now_rfc3339};
use super::resources::ResourceInfo;
use super::server::lock;
use super::store::{Store, name_key};
use super::write::Reply;

/// Removes an object now. Deleting a namespace removes everything in it, and deleting a CRD
/// removes its custom objects, each with its own DELETED event (the real server does both
/// asynchronously, through controllers).
pub fn remove_cascading(store: &mut Store, info: &ResourceInfo, namespace: &str, name: &str) -> Option<Value> {
    let gone = store.remove(&info.key(), namespace, name)?;
    let mut doomed: Vec<(super::resources::ResKey, String, String)> = Vec::new();
    if info.group.is_empty() && info.plural == "namespaces" {
        for res in store.resources() {
            for obj in store.list(&res, Some(name), None) {
                let (ns, n) = name_key(obj);
                doomed.push((res.clone(), ns, n));
            }
        }
    }
    if info.group == "apiextensions.k8s.io" && info.plural == "customresourcedefinitions" {
        for res in store.registry.remove_crd(name) {
            for obj in store.list(&res, None, None) {
                let (ns, n) = name_key(obj);
                doomed.push((res.clone(), ns, n));
            }
        }
    }
    for (res, ns, n) in doomed {
        store.remove(&res, &ns, &n);
    }
    Some(gone)
}

/// Deletes one object: immediately, or by marking it terminating while finalizers remain.
fn delete_one(ctx: &Ctx, store: &mut Store, namespace: &str, name: &str, opts: &Value) -> Reply {
    let key = ctx.info.key();
    let subject = super::errors::Subject { group: &ctx.info.group, plural: &ctx.info.plural, name };
    let old = store.get(&key, namespace, name).cloned().ok_or_else(|| ApiError::not_found(&subject))?;
    let pre = &opts["preconditions"];
    if let Some(want) = pre["uid"].as_str().filter(|u| Some(*u) != meta_str(&old, "uid")) {
        let why = format!(
            "Precondition failed: UID in precondition: {want}, UID in object meta: {}",
            meta_str(&old, "uid").unwrap_or_default()
        );
        return Err(ApiError::conflict(&subject, &why));
    }
    if let Some(want) = pre["resourceVersion"].as_str().filter(|rv| Some(*rv) != meta_str(&old, "resourceVersion")) {
        let why = format!(
            "Precondition failed: ResourceVersion in precondition: {want}, ResourceVersion in object meta: {}",
            meta_str(&old, "resourceVersion").unwrap_or_default()
        );
        return Err(ApiError::conflict(&subject, &why));
    }
    if ctx.query.dry_run() {
        return Ok((200, present(&ctx.info, &old)));
    }
    let has_finalizers = old["metadata"]["finalizers"].as_array().is_some_and(|f| !f.is_empty());
    if has_finalizers {
        if old["metadata"].get("deletionTimestamp").is_some_and(|t| !t.is_null()) {
            return Ok((200, present(&ctx.info, &old)));
        }
        let mut marked = old.clone();
        let next_generation = generation(&old) + 1;
        let meta = meta_mut(&mut marked);
        meta.insert("deletionTimestamp".into(), json!(now_rfc3339()));
        meta.insert("deletionGracePeriodSeconds".into(), json!(0));
        meta.insert("generation".into(), json!(next_generation));
        let stored = store.put(&key, marked);
        return Ok((200, present(&ctx.info, &stored)));
    }
    let gone = remove_cascading(store, &ctx.info, namespace, name).ok_or_else(|| ApiError::not_found(&subject))?;
    Ok((200, present(&ctx.info, &gone)))
}

fn options(body: &Bytes) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) { Ok(json!({})) } else { parse_json(body) }
}

pub fn delete(ctx: &Ctx, body: &Bytes) -> Reply {
    if ctx.path.subresource.is_some() {
        return Err(ApiError::method_not_allowed("DELETE"));
    }
    let opts = options(body)?;
    let mut store = lock(&ctx.shared.store);
    delete_one(ctx, &mut store, ctx.namespace(), ctx.name(), &opts)
}

/// `DELETE` on a collection: deletes what the selectors match, returns them as a list.
pub fn delete_collection(ctx: &Ctx) -> Reply {
    let sel = selectors(ctx.query)?;
    let mut store = lock(&ctx.shared.store);
    let targets: Vec<(String, String)> = store
        .list(&ctx.info.key(), ctx.path.namespace.as_deref(), None)
        .filter(|o| sel.matches(o))
        .map(name_key)
        .collect();
    let mut items = Vec::new();
    for (ns, name) in targets {
        let (_, obj) = delete_one(ctx, &mut store, &ns, &name, &json!({}))?;
        items.push(obj);
    }
    let rv = store.current_rv().to_string();
    Ok((
        200,
        json!({"apiVersion": ctx.info.api_version(), "kind": ctx.info.list_kind(), "metadata": {"resourceVersion": rv}, "items": items}),
    ))
}
