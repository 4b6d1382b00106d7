//! Object metadata rules the server owns: uids, names, timestamps, generation, status isolation.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value, json};

use super::errors::ApiError;
use super::resources::ResourceInfo;

pub fn now_rfc3339() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Random-looking identifiers without a `rand` dependency: a per-process random hasher over a
/// counter. Unique within a test run, which is all uids need here.
pub struct Ids {
    seed: RandomState,
    counter: AtomicU64,
}

impl Default for Ids {
    fn default() -> Self {
        Ids { seed: RandomState::new(), counter: AtomicU64::new(0) }
    }
}

impl Ids {
    fn next(&self) -> u64 {
        let mut h = self.seed.build_hasher();
        h.write_u64(self.counter.fetch_add(1, Ordering::Relaxed));
        h.finish()
    }

    /// A version-4-shaped UUID.
    pub fn uid(&self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }

    /// The 5-character suffix `generateName` gets, from the same alphabet as the real server.
    pub fn name_suffix(&self) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        let mut n = self.next();
        (0..5)
            .map(|_| {
                let c = ALPHABET[(n % ALPHABET.len() as u64) as usize];
                n /= ALPHABET.len() as u64;
                c as char
            })
            .collect()
    }
}

pub fn meta_str<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj["metadata"][key].as_str()
}

/// The object's metadata map, created if missing or not an object.
pub fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = json!({});
    }
    let map = obj.as_object_mut().expect("just made an object");
    let meta = map.entry("metadata").or_insert_with(|| json!({}));
    if !meta.is_object() {
        *meta = json!({});
    }
    meta.as_object_mut().expect("just made an object")
}

/// Names must be usable as path segments; most kinds also require a DNS-1123 subdomain
/// (RBAC kinds allow `system:...` names, namespaces need a DNS-1123 label).
pub fn validate_name(info: &ResourceInfo, name: &str) -> Result<(), ApiError> {
    let invalid = |why: &str| Err(ApiError::invalid(&info.kind, name, "metadata.name", why));
    if name.is_empty() {
        return invalid("Required value: name or generateName is required");
    }
    if name == "." || name == ".." || name.contains('/') || name.contains('%') {
        return invalid("Invalid value: may not contain '/' or '%' or be '.' or '..'");
    }
    if info.group == "rbac.authorization.k8s.io" {
        return Ok(());
    }
    let max = if info.plural == "namespaces" { 63 } else { 253 };
    let charset_ok =
        name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (c == '.' && max == 253));
    let ends_ok =
        name.starts_with(|c: char| c.is_ascii_alphanumeric()) && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if name.len() > max || !charset_ok || !ends_ok {
        return invalid(&format!(
            "Invalid value: {name:?}: a lowercase RFC 1123 name must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
        ));
    }
    Ok(())
}

/// Top-level fields that do not count towards `metadata.generation`.
fn ignored_for_generation(info: &ResourceInfo, key: &str) -> bool {
    matches!(key, "apiVersion" | "kind" | "metadata") || (key == "status" && info.has_status)
}

/// True when anything generation-relevant differs: `.spec`, or any other non-metadata field
/// (ConfigMap `data`, Role `rules`); `.status` only counts when there is no status subresource.
pub fn spec_changed(info: &ResourceInfo, old: &Value, new: &Value) -> bool {
    let strip = |v: &Value| -> Map<String, Value> {
        v.as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| !ignored_for_generation(info, k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    strip(old) != strip(new)
}

pub fn generation(obj: &Value) -> i64 {
    obj["metadata"]["generation"].as_i64().unwrap_or(0)
}

/// Carries over what a write to the main resource may not change: identity, creation time,
/// generation bookkeeping and, with a status subresource, `.status`.
pub fn preserve_on_update(info: &ResourceInfo, old: &Value, new: &mut Value) {
    let old_meta = old["metadata"].as_object().cloned().unwrap_or_default();
    let meta = meta_mut(new);
    for key in
        ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "managedFields"]
    {
        match old_meta.get(key) {
            Some(v) => meta.insert(key.into(), v.clone()),
            None => meta.remove(key),
        };
    }
    for key in ["name", "namespace", "resourceVersion", "selfLink"] {
        if let Some(v) = old_meta.get(key) {
            meta.insert(key.into(), v.clone());
        }
    }
    if info.has_status {
        set_status(new, old.get("status").cloned());
    }
    new["apiVersion"] = json!(info.api_version());
    new["kind"] = json!(info.kind);
}

/// A status write: the old object with only `.status` taken from `new`.
pub fn status_only(old: &Value, new: &Value) -> Value {
    let mut out = old.clone();
    set_status(&mut out, new.get("status").cloned());
    out
}

fn set_status(obj: &mut Value, status: Option<Value>) {
    if let Some(map) = obj.as_object_mut() {
        match status {
            Some(s) => map.insert("status".into(), s),
            None => map.remove("status"),
        };
    }
}

/// Compares two versions of an object the way the storage layer does before writing: a write
/// that changes nothing but bookkeeping is skipped (no resourceVersion bump, no event).
pub fn same_content(a: &Value, b: &Value) -> bool {
    normalise(a) == normalise(b)
}

fn normalise(v: &Value) -> Value {
    let mut v = v.clone();
    let meta = meta_mut(&mut v);
    meta.remove("resourceVersion");
    if let Some(Value::Array(entries)) = meta.get_mut("managedFields") {
        for e in entries.iter_mut().filter_map(Value::as_object_mut) {
            e.remove("time");
        }
    }
    v
}
