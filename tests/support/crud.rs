//! Resource endpoints: scope and subresource checks, method dispatch, get and paginated list.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Response};
use serde_json::{Value, json};

use super::errors::{ApiError, Subject};
use super::log::RequestRecord;
use super::resources::ResourceInfo;
use super::route::{Query, ResourcePath};
use super::select::Selectors;
use super::server::{Body, Shared, error_response, json_response, lock};
use super::{watch, write};

/// Everything a handler needs to know about the request.
pub struct Ctx<'a> {
    pub shared: &'a Arc<Shared>,
    pub info: ResourceInfo,
    pub path: &'a ResourcePath,
    pub query: &'a Query,
    /// `fieldManager`, or the user agent's product name as the real server derives it.
    pub manager: String,
}

impl Ctx<'_> {
    pub fn namespace(&self) -> &str {
        self.path.namespace.as_deref().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.path.name.as_deref().unwrap_or_default()
    }

    pub fn subject(&self) -> Subject<'_> {
        Subject { group: &self.info.group, plural: &self.info.plural, name: self.name() }
    }

    pub fn not_found(&self) -> ApiError {
        ApiError::not_found(&self.subject())
    }
}

/// An object as served at the requested version (storage keeps whatever version wrote it;
/// like a CRD with conversion strategy `None`, only `apiVersion` changes).
pub fn present(info: &ResourceInfo, obj: &Value) -> Value {
    let mut out = obj.clone();
    if let Some(map) = out.as_object_mut() {
        map.insert("apiVersion".into(), json!(info.api_version()));
        map.insert("kind".into(), json!(info.kind));
    }
    out
}

pub async fn serve(
    shared: &Arc<Shared>,
    method: &Method,
    path: &ResourcePath,
    query: &Query,
    headers: &HeaderMap,
    body: &Bytes,
    record: &RequestRecord,
) -> Response<Body> {
    let info = lock(&shared.store).registry.find(&path.group, &path.version, &path.plural).cloned();
    let unknown = || error_response(&ApiError::not_found_path(&record.path));
    let Some(info) = info else { return unknown() };
    let scope_ok = match (info.namespaced, path.namespace.is_some()) {
        (false, true) => false,
        // Namespaced kinds can be listed and watched across namespaces, nothing else.
        (true, false) => path.name.is_none() && *method == Method::GET,
        _ => true,
    };
    let sub_ok = match path.subresource.as_deref() {
        None => true,
        Some("status") => info.has_status,
        Some("scale") => info.scale.is_some(),
        Some(_) => false,
    };
    if !scope_ok || !sub_ok {
        return unknown();
    }
    let manager = query.non_empty("fieldManager").map(String::from).unwrap_or_else(|| {
        let ua = record.user_agent.as_deref().unwrap_or_default();
        ua.split('/').next().filter(|s| !s.is_empty()).unwrap_or("unknown").to_string()
    });
    let ctx = Ctx { shared, info, path, query, manager };
    let content_type = headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let named = path.name.is_some();
    let scale = path.subresource.as_deref() == Some("scale");
    let result = match (method.as_str(), named) {
        ("GET", _) if query.flag("watch") => return watch::serve(&ctx).await,
        ("GET", true) if scale => write::get_scale(&ctx),
        ("GET", true) => get(&ctx),
        ("GET", false) => list(&ctx),
        ("POST", false) => parse_json(body).and_then(|b| write::create(&ctx, b)),
        ("PUT", true) if scale => parse_json(body).and_then(|b| write::update_scale(&ctx, b)),
        ("PUT", true) => parse_json(body).and_then(|b| write::update(&ctx, b)),
        ("PATCH", true) => write::patch(&ctx, content_type, body),
        ("DELETE", true) => write::delete(&ctx, body),
        ("DELETE", false) => write::delete_collection(&ctx),
        (m, _) => Err(ApiError::method_not_allowed(m)),
    };
    match result {
        Ok((code, value)) => json_response(code, &value),
        Err(e) => error_response(&e),
    }
}

pub fn parse_json(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))
}

fn get(ctx: &Ctx) -> Result<(u16, Value), ApiError> {
    let store = lock(&ctx.shared.store);
    let obj = store.get(&ctx.info.key(), ctx.namespace(), ctx.name()).ok_or_else(|| ctx.not_found())?;
    Ok((200, present(&ctx.info, obj)))
}

pub fn selectors(query: &Query) -> Result<Selectors, ApiError> {
    Selectors::parse(query.get("labelSelector"), query.get("fieldSelector")).map_err(ApiError::bad_request)
}

/// Continue tokens name the list's resourceVersion and the last key served, hex-encoded.
fn encode_continue(rv: u64, ns: &str, name: &str) -> String {
    hex::encode(json!({"rv": rv, "start": [ns, name]}).to_string())
}

fn decode_continue(token: &str) -> Option<(u64, (String, String))> {
    let v: Value = serde_json::from_slice(&hex::decode(token).ok()?).ok()?;
    let start = (v["start"][0].as_str()?.to_string(), v["start"][1].as_str()?.to_string());
    Some((v["rv"].as_u64()?, start))
}

/// Lists are served from current state; a `limit` pages through it with a continue token.
/// Later pages report the first page's resourceVersion, as a consistent snapshot would.
fn list(ctx: &Ctx) -> Result<(u16, Value), ApiError> {
    let sel = selectors(ctx.query)?;
    let store = lock(&ctx.shared.store);
    let (list_rv, after) = match ctx.query.non_empty("continue") {
        None => (store.current_rv(), None),
        Some(token) => {
            let (rv, after) =
                decode_continue(token).ok_or_else(|| ApiError::bad_request("continue key is not valid"))?;
            if rv < store.compacted_rv() {
                return Err(ApiError::expired(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
                ));
            }
            (rv, Some(after))
        }
    };
    if ctx.query.get("resourceVersionMatch") == Some("Exact") {
        let rv: u64 = ctx.query.get("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(0);
        if rv < store.compacted_rv() {
            return Err(ApiError::expired(format!("too old resource version: {rv} ({})", store.compacted_rv())));
        }
    }
    let limit = ctx.query.get("limit").and_then(|l| l.parse::<usize>().ok()).filter(|l| *l > 0).unwrap_or(usize::MAX);
    let ns = ctx.path.namespace.as_deref();
    let mut matching = store.list(&ctx.info.key(), ns, after.as_ref()).filter(|o| sel.matches(o));
    let items: Vec<Value> = matching.by_ref().take(limit).map(|o| present(&ctx.info, o)).collect();
    let remaining = matching.count();
    let mut metadata = json!({"resourceVersion": list_rv.to_string()});
    if remaining > 0
        && let Some(last) = items.last()
    {
        let key = super::store::name_key(last);
        metadata["continue"] = json!(encode_continue(list_rv, &key.0, &key.1));
        metadata["remainingItemCount"] = json!(remaining);
    }
    Ok((
        200,
        json!({"apiVersion": ctx.info.api_version(), "kind": ctx.info.list_kind(), "metadata": metadata, "items": items}),
    ))
}
