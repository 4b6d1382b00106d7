//! One Kubernetes object as the checks see it: identity, labels, and its (possibly projected) JSON.

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::kind::{CatalogueKind, Kind, ObjectRef};

/// An object of any kind. `data` is the whole object as JSON (offline) or a compact projection
/// holding only what the checks read (live). Secret values are replaced by their length and
/// SHA-256 before an `Object` exists, so no secret ever sits in an inventory.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    /// The inventory's index key: the object's kind ([`Kind::Whole`] for the whole copy of an
    /// object whose kind is also kept as a projection). Compares with string keys
    /// (`object.kind_key == kinds::SECRET`).
    pub kind_key: Kind,
    pub namespace: Option<String>,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub data: Value,
}

/// Why a JSON value is not a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    #[error("object has no apiVersion")]
    MissingApiVersion,
    #[error("object has no kind")]
    MissingKind,
    #[error("{kind} has no metadata.name")]
    MissingName { kind: String },
    #[error("object is not a mapping")]
    NotAnObject,
}

impl Object {
    /// Builds an object from its JSON. `default_namespace` is given to namespaced objects that
    /// carry none (like kubectl's `-n`); pass `None` to keep them without one.
    pub fn from_value(mut data: Value, default_namespace: Option<&str>) -> Result<Object, ObjectError> {
        let map = data.as_object().ok_or(ObjectError::NotAnObject)?;
        let api_version = map
            .get("apiVersion")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or(ObjectError::MissingApiVersion)?
            .to_owned();
        let kind = map
            .get("kind")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or(ObjectError::MissingKind)?
            .to_owned();
        let metadata = map.get("metadata");
        let name = metadata
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ObjectError::MissingName { kind: kind.clone() })?
            .to_owned();
        let labels = metadata
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object)
            .map(|l| l.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned()))).collect())
            .unwrap_or_default();
        let kind_key = Kind::of(&api_version, &kind);
        let namespace = match metadata.and_then(|m| m.get("namespace")).and_then(Value::as_str) {
            Some(ns) if !ns.is_empty() => Some(ns.to_owned()),
            _ if kind_key.is_cluster_scoped() => None,
            _ => default_namespace.map(str::to_owned),
        };
        if kind_key == CatalogueKind::Secret {
            redact_secret(&mut data);
        }
        Ok(Object { api_version, kind, kind_key, namespace, name, labels, data })
    }

    /// Kind, namespace and name: the object's place in an inventory.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef::new(&self.kind_key, self.namespace.as_deref(), &self.name)
    }

    /// The API group (`""` for core).
    pub fn group(&self) -> &str {
        self.kind_key.group()
    }

    /// A JSON pointer into the object (`/spec/replicas`).
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        self.data.pointer(pointer)
    }

    pub fn str_at(&self, pointer: &str) -> Option<&str> {
        self.get(pointer).and_then(Value::as_str)
    }

    pub fn i64_at(&self, pointer: &str) -> Option<i64> {
        self.get(pointer).and_then(Value::as_i64)
    }

    pub fn annotations(&self) -> Option<&serde_json::Map<String, Value>> {
        self.get("/metadata/annotations").and_then(Value::as_object)
    }

    /// `deployment/api`: how messages name the objects they judged.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.kind.to_ascii_lowercase(), self.name)
    }
}

/// Replaces every value of `data` and `stringData` with `{bytes, sha256}` of the decoded value,
/// which is all the `secret` check needs. Undecodable base64 keeps only a marker.
fn redact_secret(secret: &mut Value) {
    use base64::Engine as _;
    let Some(map) = secret.as_object_mut() else { return };
    let mut digests = serde_json::Map::new();
    if let Some(Value::Object(data)) = map.remove("data") {
        for (key, value) in data {
            let decoded = value.as_str().and_then(|s| base64::engine::general_purpose::STANDARD.decode(s.trim()).ok());
            digests.insert(key, digest(decoded.as_deref()));
        }
    }
    // stringData wins over data for the same key, as the API server merges it.
    if let Some(Value::Object(data)) = map.remove("stringData") {
        for (key, value) in data {
            digests.insert(key, digest(value.as_str().map(str::as_bytes)));
        }
    }
    map.insert("data".to_owned(), Value::Object(digests));
}

fn digest(bytes: Option<&[u8]>) -> Value {
    match bytes {
        Some(bytes) => serde_json::json!({
            "bytes": bytes.len(),
            "sha256": hex::encode(Sha256::digest(bytes)),
        }),
        None => serde_json::json!({ "undecodable": true }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn namespaced_objects_take_the_default_namespace() {
        let o = Object::from_value(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"}}),
            Some("novacron"),
        )
        .expect("valid");
        assert_eq!(o.namespace.as_deref(), Some("novacron"));
        assert_eq!(o.kind_key, "Deployment.apps");
        assert_eq!(o.reference(), "deployment/api");
    }

    #[test]
    fn cluster_scoped_objects_never_get_a_namespace() {
        let o = Object::from_value(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "viewer"}}),
            Some("novacron"),
        )
        .expect("valid");
        assert_eq!(o.namespace, None);
    }

    #[test]
    fn secret_values_are_replaced_by_digests() {
        let o = Object::from_value(
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "auth"},
                   "data": {"AUTH_SECRET": "c2VjcmV0"}, "stringData": {"PLAIN": "hunter2"}}),
            None,
        )
        .expect("valid");
        let text = o.data.to_string();
        assert!(!text.contains("c2VjcmV0") && !text.contains("hunter2") && !text.contains("secret\""));
        assert_eq!(o.get("/data/AUTH_SECRET/bytes"), Some(&json!(6)));
        assert_eq!(
            o.str_at("/data/PLAIN/sha256"),
            Some("f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7")
        );
    }

    #[test]
    fn objects_without_identity_are_rejected() {
        assert_eq!(Object::from_value(json!({"kind": "X"}), None), Err(ObjectError::MissingApiVersion));
        assert_eq!(Object::from_value(json!({"apiVersion": "v1"}), None), Err(ObjectError::MissingKind));
        assert!(matches!(
            Object::from_value(json!({"apiVersion": "v1", "kind": "Service", "metadata": {}}), None),
            Err(ObjectError::MissingName { .. })
        ));
        assert_eq!(Object::from_value(json!([1]), None), Err(ObjectError::NotAnObject));
    }
}
