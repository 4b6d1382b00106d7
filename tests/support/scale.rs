//! The `scale` subresource: an `autoscaling/v1 Scale` view over a replicas field.

use bytes::Bytes;
use serde_json::{Value, json};

use super::crud::{Ctx, parse_json};
use super::errors::ApiError;
use super::meta::meta_str;
use super::patch::{PatchType, apply_patch_document};
use super::select::label_selector_string;
use super::server::lock;
use super::store::Store;
use super::write::{Reply, finish_update};

fn segments(path: &str) -> Vec<&str> {
    path.split('.').filter(|s| !s.is_empty()).collect()
}

fn at<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    segments(path).into_iter().try_fold(obj, |v, seg| v.get(seg))
}

fn scale_of(ctx: &Ctx, obj: &Value) -> Value {
    let paths = ctx.info.scale.clone().expect("routing only sends scale requests for kinds with a scale subresource");
    let spec = at(obj, &paths.spec_replicas).and_then(Value::as_i64).unwrap_or(0);
    let status = at(obj, &paths.status_replicas).and_then(Value::as_i64).unwrap_or(0);
    let selector = match &paths.label_selector {
        Some(p) => at(obj, p).and_then(Value::as_str).unwrap_or_default().to_string(),
        None => label_selector_string(&obj["spec"]["selector"]),
    };
    let m = &obj["metadata"];
    json!({
        "apiVersion": "autoscaling/v1", "kind": "Scale",
        "metadata": {
            "name": m["name"], "namespace": m["namespace"], "uid": m["uid"],
            "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"],
        },
        "spec": {"replicas": spec},
        "status": {"replicas": status, "selector": selector},
    })
}

fn current(ctx: &Ctx, store: &Store) -> Result<Value, ApiError> {
    store.get(&ctx.info.key(), ctx.namespace(), ctx.name()).cloned().ok_or_else(|| ctx.not_found())
}

pub fn get_scale(ctx: &Ctx) -> Reply {
    let store = lock(&ctx.shared.store);
    Ok((200, scale_of(ctx, &current(ctx, &store)?)))
}

/// Writes `scale.spec.replicas` through to the object.
fn write_scale(ctx: &Ctx, store: &mut Store, old: &Value, scale: &Value) -> Reply {
    if meta_str(scale, "resourceVersion")
        .is_some_and(|rv| !rv.is_empty() && Some(rv) != meta_str(old, "resourceVersion"))
    {
        return Err(ApiError::stale_resource_version(&ctx.subject()));
    }
    let replicas = scale["spec"]["replicas"].as_i64().filter(|r| *r >= 0).ok_or_else(|| {
        ApiError::invalid("Scale", ctx.name(), "spec.replicas", "Invalid value: must be a non-negative integer")
    })?;
    let paths = ctx.info.scale.clone().expect("routing only sends scale requests for kinds with a scale subresource");
    let mut new = old.clone();
    let segs = segments(&paths.spec_replicas);
    let Some((last, parents)) = segs.split_last() else {
        return Err(ApiError::new(500, "InternalError", "empty specReplicasPath"));
    };
    let mut node = &mut new;
    for seg in parents {
        if !node[*seg].is_object() {
            node[*seg] = json!({});
        }
        node = &mut node[*seg];
    }
    node[*last] = json!(replicas);
    let (code, obj) = finish_update(ctx, store, old, new, true)?;
    Ok((code, scale_of(ctx, &obj)))
}

pub fn update_scale(ctx: &Ctx, body: Value) -> Reply {
    let mut store = lock(&ctx.shared.store);
    let old = current(ctx, &store)?;
    write_scale(ctx, &mut store, &old, &body)
}

pub fn patch_scale(ctx: &Ctx, kind: PatchType, body: &Bytes) -> Reply {
    if kind == PatchType::Apply {
        return Err(ApiError::unsupported_media_type("application/apply-patch+yaml (not served for scale here)"));
    }
    let doc = parse_json(body)?;
    let mut store = lock(&ctx.shared.store);
    let old = current(ctx, &store)?;
    let patched = apply_patch_document(kind, &scale_of(ctx, &old), &doc)?;
    write_scale(ctx, &mut store, &old, &patched)
}
