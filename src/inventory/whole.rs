//! Whole objects for `resource` items: CEL may read any field, so the kinds those items name are
//! kept whole (minus `metadata.managedFields` and the last-applied annotation, which hold
//! nothing a rule should judge and, for Secrets, a copy of the values), live and offline alike.
//!
//! Kinds the live cache keeps as a projection (the catalogue's kinds: what its checks read and
//! nothing more) have their whole objects under a key of their own, [`key`] ([`Kind::Whole`]),
//! next to the projection: the catalogue's checks keep their small views, `resource` items see everything.
//! Other kinds are cached whole anyway and keep their kind key.
//!
//! Secrets are never kept whole: their values are reduced to digests before an object exists
//! (`Object::from_value`), and live only the Secrets `secret` items name are watched at all.

use serde_json::Value;

use super::{CatalogueKind, Kind, Object, ObjectError};

/// The annotation `kubectl apply` keeps a full copy of the object in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Whether the live cache keeps objects of `kind` as a projection: every catalogue kind does
/// (`live::project` keeps only what their checks read), so their scope is known too.
pub fn is_projected(kind: &Kind) -> bool {
    kind.catalogue().is_some()
}

/// Whether whole objects of `kind` live apart from its projection. Secrets never do: there
/// is no whole Secret to keep.
pub fn is_separate(kind: &Kind) -> bool {
    kind.catalogue().is_some_and(|known| known != CatalogueKind::Secret)
}

/// The inventory key under which whole objects of `kind` are kept: [`Kind::Whole`] for a
/// projected kind, the kind itself otherwise.
pub fn key(kind: impl Into<Kind>) -> Kind {
    match kind.into() {
        Kind::Catalogue(known) if known != CatalogueKind::Secret => Kind::Whole(known),
        other => other,
    }
}

/// The kind an inventory key stands for: `Deployment.apps` for `Deployment.apps/whole`.
pub fn kind_of(key: &Kind) -> Kind {
    key.of_objects()
}

/// Drops `metadata.managedFields` and the last-applied annotation (and `annotations` when that
/// was the only one), in place.
pub fn strip_bookkeeping(object: &mut Value) {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else { return };
    metadata.remove("managedFields");
    if let Some(Value::Object(annotations)) = metadata.get_mut("annotations") {
        annotations.remove(LAST_APPLIED);
        if annotations.is_empty() {
            metadata.remove("annotations");
        }
    }
}

/// A whole object as `resource` items read it, under [`key`]. Secrets come out reduced, as
/// `Object::from_value` always makes them.
pub fn to_object(mut value: Value, default_namespace: Option<&str>) -> Result<Object, ObjectError> {
    strip_bookkeeping(&mut value);
    let mut object = Object::from_value(value, default_namespace)?;
    object.kind_key = key(&object.kind_key);
    Ok(object)
}

/// The whole copy of an object already loaded (offline: manifests are whole).
pub fn copy_of(object: &Object) -> Object {
    let mut copy = object.clone();
    strip_bookkeeping(&mut copy.data);
    copy.kind_key = key(&object.kind_key);
    copy
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::inventory::{kinds, live};

    fn object_of(kind: &Kind) -> Value {
        let group = kind.group();
        let api_version = if group.is_empty() { "v1".to_owned() } else { format!("{group}/v1") };
        json!({"apiVersion": api_version, "kind": kind.kind(), "metadata": {"name": "x"}, "unjudged": {"a": 1}})
    }

    #[test]
    fn the_projected_kinds_are_those_the_live_projection_cuts() {
        for known in CatalogueKind::ALL {
            let kind = Kind::from(*known);
            assert!(is_projected(&kind));
            let projected = live::project(&kind, object_of(&kind));
            assert!(projected.get("unjudged").is_none(), "{kind} is projected");
        }
        for key in ["ConfigMap", "StorageClass.storage.k8s.io", "ReplicaSet.apps", "Tenant.example.com"] {
            let kind = Kind::from(key);
            let projected = live::project(&kind, object_of(&kind));
            assert!(projected.get("unjudged").is_some(), "{kind} is kept whole");
            assert!(!is_projected(&kind) && !is_separate(&kind));
        }
    }

    #[test]
    fn projected_kinds_keep_whole_objects_under_a_key_of_their_own() {
        assert_eq!(key(kinds::DEPLOYMENT), "Deployment.apps/whole");
        assert_eq!(key(kinds::DEPLOYMENT), Kind::Whole(CatalogueKind::Deployment));
        assert_eq!(kind_of(&key(kinds::DEPLOYMENT)), kinds::DEPLOYMENT);
        assert_eq!(key("ServiceMonitor.monitoring.coreos.com"), "ServiceMonitor.monitoring.coreos.com");
        assert_eq!(key(kinds::SECRET), kinds::SECRET, "no whole Secret exists");
    }

    #[test]
    fn whole_objects_lose_only_bookkeeping() {
        let value = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "n", "resourceVersion": "7", "managedFields": [{}],
                         "annotations": {LAST_APPLIED: "{}", "team": "core"}},
            "spec": {"template": {"spec": {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}}},
            "status": {"replicas": 1}});
        let object = to_object(value, None).expect("valid");
        assert_eq!(object.kind_key, "Deployment.apps/whole");
        assert_eq!(object.str_at("/spec/template/spec/securityContext/seccompProfile/type"), Some("RuntimeDefault"));
        assert_eq!(object.get("/metadata/annotations"), Some(&json!({"team": "core"})));
        assert_eq!(object.str_at("/metadata/resourceVersion"), Some("7"));
        assert!(object.get("/metadata/managedFields").is_none());
        assert_eq!(object.i64_at("/status/replicas"), Some(1));
    }

    #[test]
    fn a_whole_secret_is_still_reduced() {
        let value = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "annotations": {LAST_APPLIED: "{\"stringData\":{\"pw\":\"hunter2\"}}"}},
            "data": {"pw": "aHVudGVyMg=="}});
        let object = to_object(value, Some("n")).expect("valid");
        let text = object.data.to_string();
        assert!(!text.contains("hunter2") && !text.contains("aHVudGVyMg=="), "{text}");
        assert!(object.get("/metadata/annotations").is_none());
        assert_eq!(object.i64_at("/data/pw/bytes"), Some(7));
    }
}
