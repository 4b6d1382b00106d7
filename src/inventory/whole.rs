//! Whole objects for `resource` items: CEL may read any field, so the kinds those items name are
//! kept whole (minus `metadata.managedFields` and the last-applied annotation, which hold
//! nothing a rule should judge and, for Secrets, a copy of the values), live and offline alike.
//!
//! Kinds the live cache keeps as a projection (the catalogue's kinds: what its checks read and
//! nothing more) have their whole objects under a key of their own, [`key`], next to the
//! projection: the catalogue's checks keep their small views, `resource` items see everything.
//! Other kinds are cached whole anyway and keep their kind key.
//!
//! Secrets are never kept whole: their values are reduced to digests before an object exists
//! (`Object::from_value`), and live only the Secrets `secret` items name are watched at all.

use serde_json::Value;

use super::{Object, ObjectError, kinds};

/// The annotation `kubectl apply` keeps a full copy of the object in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What marks the inventory key of whole objects of a projected kind: `Deployment.apps/whole`.
/// A `/` never occurs in a kind key (`Kind.group`), so no real kind can collide with it.
const SUFFIX: &str = "/whole";

/// Kinds the live cache projects (`live::project` keeps only what their checks read). A test
/// below keeps this list and the projection in step.
const PROJECTED: &[&str] = &[
    kinds::DEPLOYMENT,
    kinds::STATEFUL_SET,
    kinds::DAEMON_SET,
    kinds::SERVICE,
    kinds::SECRET,
    kinds::NAMESPACE,
    kinds::RESOURCE_QUOTA,
    kinds::LIMIT_RANGE,
    kinds::INGRESS,
    kinds::NETWORK_POLICY,
    kinds::HPA,
    kinds::PDB,
    kinds::CRON_JOB,
    kinds::ROLE,
    kinds::CLUSTER_ROLE,
    kinds::ROLE_BINDING,
    kinds::CLUSTER_ROLE_BINDING,
    kinds::CERTIFICATE,
    kinds::ISSUER,
    kinds::CLUSTER_ISSUER,
    kinds::CHECKLIST,
    kinds::SIGNOFF,
];

/// Whether the live cache keeps `kind_key` as a projection (a catalogue kind, whose scope is
/// therefore known).
pub fn is_projected(kind_key: &str) -> bool {
    PROJECTED.contains(&kind_key)
}

/// Whether whole objects of `kind_key` live apart from its projection. Secrets never do: there
/// is no whole Secret to keep.
pub fn is_separate(kind_key: &str) -> bool {
    kind_key != kinds::SECRET && is_projected(kind_key)
}

/// The inventory key under which whole objects of `kind_key` are kept.
pub fn key(kind_key: &str) -> String {
    if is_separate(kind_key) { format!("{kind_key}{SUFFIX}") } else { kind_key.to_owned() }
}

/// The kind key an inventory key stands for: `Deployment.apps` for `Deployment.apps/whole`.
pub fn kind_of(key: &str) -> &str {
    key.strip_suffix(SUFFIX).unwrap_or(key)
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
    use crate::inventory::live;

    fn object_of(kind_key: &str) -> Value {
        let (group, kind) = kinds::split_key(kind_key);
        let api_version = if group.is_empty() { "v1".to_owned() } else { format!("{group}/v1") };
        json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}, "unjudged": {"a": 1}})
    }

    #[test]
    fn the_projected_kinds_are_those_the_live_projection_cuts() {
        for kind_key in PROJECTED {
            let projected = live::project(kind_key, object_of(kind_key));
            assert!(projected.get("unjudged").is_none(), "{kind_key} is projected");
        }
        for kind_key in ["ConfigMap", "StorageClass.storage.k8s.io", "ReplicaSet.apps", "Tenant.example.com"] {
            let projected = live::project(kind_key, object_of(kind_key));
            assert!(projected.get("unjudged").is_some(), "{kind_key} is kept whole");
            assert!(!is_separate(kind_key));
        }
    }

    #[test]
    fn projected_kinds_keep_whole_objects_under_a_key_of_their_own() {
        assert_eq!(key(kinds::DEPLOYMENT), "Deployment.apps/whole");
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
