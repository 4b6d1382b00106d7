//! Writes: create, update (PUT) and patch (merge, JSON, strategic, apply), sharing one commit
//! path that applies generation, status and no-op rules.

use bytes::Bytes;
use serde_json::{Value, json};

use super::apply::{self, ApplyRequest};
use super::crud::{Ctx, parse_json, present};
use super::errors::ApiError;
use super::managed;
use super::meta::{
    generation, meta_mut, meta_str, now_rfc3339, preserve_on_update, same_content, spec_changed, status_only,
    validate_name,
};
use super::patch::{PatchType, apply_patch_document};
use super::resources::crd_resources;
use super::schema;
use super::server::lock;
use super::store::Store;

pub use super::delete::{delete, delete_collection, remove_cascading};
pub use super::scale::{get_scale, update_scale};

pub type Reply = Result<(u16, Value), ApiError>;

pub fn is_crd_kind(ctx: &Ctx) -> bool {
    ctx.info.group == "apiextensions.k8s.io" && ctx.info.plural == "customresourcedefinitions"
}

fn check_type(ctx: &Ctx, body: &Value) -> Result<(), ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request("the request body must be a JSON object"));
    }
    let expected = ctx.info.api_version();
    if let Some(av) = body["apiVersion"].as_str().filter(|av| *av != expected) {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({av}) does not match the expected API version ({expected})"
        )));
    }
    if let Some(kind) = body["kind"].as_str().filter(|k| *k != ctx.info.kind) {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            ctx.info.kind
        )));
    }
    Ok(())
}

/// resourceVersion and uid in the submitted object are preconditions, and the name is fixed.
fn preconditions(ctx: &Ctx, old: &Value, submitted: &Value) -> Result<(), ApiError> {
    if let Some(name) = meta_str(submitted, "name").filter(|n| !n.is_empty() && *n != ctx.name()) {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({})",
            ctx.name()
        )));
    }
    if meta_str(submitted, "resourceVersion")
        .is_some_and(|rv| !rv.is_empty() && Some(rv) != meta_str(old, "resourceVersion"))
    {
        return Err(ApiError::stale_resource_version(&ctx.subject()));
    }
    let (want, have) = (meta_str(submitted, "uid"), meta_str(old, "uid"));
    if let Some(want) = want.filter(|u| !u.is_empty() && Some(*u) != have) {
        let why = format!(
            "Precondition failed: UID in precondition: {want}, UID in object meta: {}",
            have.unwrap_or_default()
        );
        return Err(ApiError::conflict(&ctx.subject(), &why));
    }
    Ok(())
}

pub fn create(ctx: &Ctx, body: Value) -> Reply {
    if ctx.path.subresource.is_some() {
        return Err(ApiError::method_not_allowed("POST"));
    }
    check_type(ctx, &body)?;
    let now = now_rfc3339();
    let mut store = lock(&ctx.shared.store);
    let mut obj = prepare_create(ctx, &store, body, &now)?;
    managed::record_update(&ctx.info, "", None, &mut obj, &ctx.manager, &now);
    commit_create(ctx, &mut store, obj)
}

/// Fills in what the server assigns on create: name from generateName, namespace from the
/// path, uid, creationTimestamp, generation 1; drops client-set status and bookkeeping.
fn prepare_create(ctx: &Ctx, store: &Store, mut obj: Value, now: &str) -> Result<Value, ApiError> {
    let info = &ctx.info;
    let body_ns = meta_str(&obj, "namespace").filter(|n| !n.is_empty()).map(String::from);
    let meta = meta_mut(&mut obj);
    if info.namespaced {
        if body_ns.as_deref().is_some_and(|ns| ns != ctx.namespace()) {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        meta.insert("namespace".into(), json!(ctx.namespace()));
    } else {
        meta.remove("namespace");
    }
    let generate = meta.get("generateName").and_then(Value::as_str).filter(|g| !g.is_empty()).map(String::from);
    let explicit = meta.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()).map(String::from);
    let name = match (explicit, generate) {
        (Some(name), _) => name,
        (None, Some(prefix)) => (0..8)
            .map(|_| format!("{prefix}{}", store.ids.name_suffix()))
            .find(|n| store.get(&info.key(), ctx.namespace(), n).is_none())
            .unwrap_or_else(|| format!("{prefix}{}", store.ids.name_suffix())),
        (None, None) => String::new(),
    };
    validate_name(info, &name)?;
    if store.get(&info.key(), ctx.namespace(), &name).is_some() {
        let subject = super::errors::Subject { group: &info.group, plural: &info.plural, name: &name };
        return Err(ApiError::already_exists(&subject));
    }
    meta.insert("name".into(), json!(name));
    meta.insert("uid".into(), json!(store.ids.uid()));
    meta.insert("creationTimestamp".into(), json!(now));
    meta.insert("generation".into(), json!(1));
    for key in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
        meta.remove(key);
    }
    obj["apiVersion"] = json!(info.api_version());
    obj["kind"] = json!(info.kind);
    if info.has_status
        && let Some(map) = obj.as_object_mut()
    {
        map.remove("status");
    }
    server_defaults(ctx, &mut obj);
    schema::normalize(info, &mut obj);
    Ok(obj)
}

/// Status the real controllers would set at once and clients wait for.
fn server_defaults(ctx: &Ctx, obj: &mut Value) {
    if ctx.info.group.is_empty() && ctx.info.plural == "namespaces" {
        obj["status"] = json!({"phase": "Active"});
    }
    if is_crd_kind(ctx) {
        obj["status"] = crd_status(obj);
    }
}

/// What the apiextensions controller reports at once for a valid CRD: names accepted and the
/// definition established (clients wait for `Established` before using the new kind).
pub fn crd_status(crd: &Value) -> Value {
    let now = now_rfc3339();
    let condition = |t: &str, reason: &str| json!({"type": t, "status": "True", "reason": reason, "message": "", "lastTransitionTime": now});
    let stored: Vec<Value> = crd["spec"]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["storage"].as_bool() == Some(true))
        .map(|v| v["name"].clone())
        .collect();
    json!({
        "acceptedNames": crd["spec"]["names"].clone(),
        "conditions": [condition("NamesAccepted", "NoConflicts"), condition("Established", "InitialNamesAccepted")],
        "storedVersions": stored,
    })
}

/// What the real server refuses on write that the double checks: repeated list-map keys, and CRDs
/// it cannot serve.
fn validate_write(ctx: &Ctx, obj: &Value) -> Result<(), ApiError> {
    if let Some((field, keys)) = schema::duplicate_list_key(&ctx.info, obj) {
        let kind = format!("{}.{}", ctx.info.kind, ctx.info.group);
        let name = meta_str(obj, "name").unwrap_or_default();
        return Err(ApiError::invalid(&kind, name, &field, &format!("Duplicate value: {keys}")));
    }
    if !is_crd_kind(ctx) {
        return Ok(());
    }
    let name = meta_str(obj, "name").unwrap_or_default();
    crd_resources(obj).map(|_| ()).map_err(|why| ApiError::invalid("CustomResourceDefinition", name, "spec", &why))
}

fn commit_create(ctx: &Ctx, store: &mut Store, obj: Value) -> Reply {
    validate_write(ctx, &obj)?;
    if ctx.query.dry_run() {
        return Ok((201, present(&ctx.info, &obj)));
    }
    if is_crd_kind(ctx) {
        store.registry.install_crd(&obj).map_err(ApiError::bad_request)?;
    }
    let stored = store.put(&ctx.info.key(), obj);
    Ok((201, present(&ctx.info, &stored)))
}

pub fn update(ctx: &Ctx, body: Value) -> Reply {
    check_type(ctx, &body)?;
    let mut store = lock(&ctx.shared.store);
    let old = store.get(&ctx.info.key(), ctx.namespace(), ctx.name()).cloned().ok_or_else(|| ctx.not_found())?;
    preconditions(ctx, &old, &body)?;
    let new = if ctx.path.subresource.as_deref() == Some("status") {
        status_only(&old, &body)
    } else {
        let mut new = body;
        preserve_on_update(&ctx.info, &old, &mut new);
        new
    };
    finish_update(ctx, &mut store, &old, new, true)
}

/// The commit path of every update: generation, field ownership, no-op detection, finalizers.
pub fn finish_update(ctx: &Ctx, store: &mut Store, old: &Value, mut new: Value, record: bool) -> Reply {
    let now = now_rfc3339();
    schema::normalize(&ctx.info, &mut new);
    let bump = i64::from(spec_changed(&ctx.info, old, &new));
    meta_mut(&mut new).insert("generation".into(), json!(generation(old) + bump));
    if record {
        let sub = ctx.path.subresource.as_deref().unwrap_or_default();
        managed::record_update(&ctx.info, sub, Some(old), &mut new, &ctx.manager, &now);
    }
    validate_write(ctx, &new)?;
    if same_content(old, &new) {
        return Ok((200, present(&ctx.info, old)));
    }
    if ctx.query.dry_run() {
        return Ok((200, present(&ctx.info, &new)));
    }
    let terminating = new["metadata"].get("deletionTimestamp").is_some_and(|t| !t.is_null());
    let finalizers_left = new["metadata"]["finalizers"].as_array().is_some_and(|f| !f.is_empty());
    if terminating && !finalizers_left {
        // The last finalizer is gone: the pending deletion completes now.
        let gone = remove_cascading(store, &ctx.info, ctx.namespace(), ctx.name()).ok_or_else(|| ctx.not_found())?;
        return Ok((200, present(&ctx.info, &gone)));
    }
    if is_crd_kind(ctx) {
        store.registry.install_crd(&new).map_err(ApiError::bad_request)?;
    }
    let stored = store.put(&ctx.info.key(), new);
    Ok((200, present(&ctx.info, &stored)))
}

pub fn patch(ctx: &Ctx, content_type: &str, body: &Bytes) -> Reply {
    let kind =
        PatchType::from_content_type(content_type).ok_or_else(|| ApiError::unsupported_media_type(content_type))?;
    if kind != PatchType::Apply && ctx.query.get("force").is_some() {
        return Err(ApiError::new(422, "Invalid", "force: Forbidden: may not be specified for non-apply patch"));
    }
    if ctx.path.subresource.as_deref() == Some("scale") {
        return super::scale::patch_scale(ctx, kind, body);
    }
    if kind == PatchType::Apply {
        return server_side_apply(ctx, body);
    }
    let doc = parse_json(body)?;
    let mut store = lock(&ctx.shared.store);
    let old = store.get(&ctx.info.key(), ctx.namespace(), ctx.name()).cloned().ok_or_else(|| ctx.not_found())?;
    let patched = apply_patch_document(kind, &old, &doc)?;
    preconditions(ctx, &old, &patched)?;
    let new = if ctx.path.subresource.as_deref() == Some("status") {
        status_only(&old, &patched)
    } else {
        let mut new = patched;
        preserve_on_update(&ctx.info, &old, &mut new);
        new
    };
    finish_update(ctx, &mut store, &old, new, true)
}

fn server_side_apply(ctx: &Ctx, body: &Bytes) -> Reply {
    let config: Value =
        serde_saphyr::from_slice(body).map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
    let Some(manager) = ctx.query.non_empty("fieldManager") else {
        return Err(ApiError::new(
            422,
            "Invalid",
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
        ));
    };
    let subresource = ctx.path.subresource.as_deref().unwrap_or_default();
    let now = now_rfc3339();
    let mut store = lock(&ctx.shared.store);
    let old = store.get(&ctx.info.key(), ctx.namespace(), ctx.name()).cloned();
    if old.is_none() && subresource == "status" {
        return Err(ctx.not_found());
    }
    let req = ApplyRequest {
        info: &ctx.info,
        subresource,
        manager,
        force: ctx.query.flag("force"),
        namespace: ctx.path.namespace.as_deref(),
        name: ctx.name(),
        now: &now,
    };
    let result = apply::apply(&req, old.as_ref(), &config)?;
    match old {
        Some(old) => {
            preconditions(ctx, &old, &config)?;
            finish_update(ctx, &mut store, &old, result, false)
        }
        None => {
            let obj = prepare_create(ctx, &store, result, &now)?;
            commit_create(ctx, &mut store, obj)
        }
    }
}
