//! Compact projections of live objects: only the fields the checks read, so that tens of
//! thousands of cached objects fit in a few tens of MiB and no literal env value or Secret value
//! ever sits in the controller's memory.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{Object, ObjectError, kinds};

/// The annotation `kubectl apply` keeps a full copy of the object in; never read by a check.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What replaces a non-empty literal env value: the checks only ask whether one is there.
pub const LITERAL_VALUE_MARKER: &str = "<literal>";

/// Keeps what the checks of `kind_key` read from `object` and drops the rest. Kinds the
/// catalogue does not know (the `resource` check's CEL may read any field) keep the whole object
/// minus `managedFields` and the last-applied annotation.
pub fn project(kind_key: &str, object: Value) -> Value {
    let Value::Object(mut map) = object else { return object };
    let mut out = Map::new();
    for key in ["apiVersion", "kind"] {
        if let Some(v) = map.remove(key) {
            out.insert(key.to_owned(), v);
        }
    }
    let metadata = map.remove("metadata").map(metadata).unwrap_or_else(|| Value::Object(Map::new()));
    out.insert("metadata".to_owned(), metadata);
    let spec = map.remove("spec");
    let status = map.remove("status");
    match kind_key {
        k if kinds::WORKLOADS.contains(&k) => {
            if let Some(spec) = spec {
                out.insert("spec".to_owned(), workload_spec(spec));
            }
        }
        kinds::CRON_JOB => {
            // The job template (a whole pod spec) is never judged, only the schedule and history.
            if let Some(Value::Object(mut spec)) = spec {
                spec.remove("jobTemplate");
                out.insert("spec".to_owned(), Value::Object(spec));
            }
            insert_some(&mut out, "status", status);
        }
        kinds::SERVICE
        | kinds::INGRESS
        | kinds::NETWORK_POLICY
        | kinds::LIMIT_RANGE
        | kinds::HPA
        | kinds::PDB
        | kinds::ISSUER
        | kinds::CLUSTER_ISSUER
        | kinds::SIGNOFF => insert_some(&mut out, "spec", spec),
        kinds::RESOURCE_QUOTA | kinds::CERTIFICATE | kinds::NAMESPACE | kinds::CHECKLIST => {
            insert_some(&mut out, "spec", spec);
            insert_some(&mut out, "status", status);
        }
        kinds::ROLE | kinds::CLUSTER_ROLE => {
            for key in ["rules", "aggregationRule"] {
                insert_some(&mut out, key, map.remove(key));
            }
        }
        kinds::ROLE_BINDING | kinds::CLUSTER_ROLE_BINDING => {
            for key in ["roleRef", "subjects"] {
                insert_some(&mut out, key, map.remove(key));
            }
        }
        kinds::SECRET => {
            // Object::from_value turns these into digests; nothing else of a Secret is read.
            for key in ["type", "data", "stringData"] {
                insert_some(&mut out, key, map.remove(key));
            }
        }
        _ => {
            insert_some(&mut out, "spec", spec);
            insert_some(&mut out, "status", status);
            out.extend(map);
        }
    }
    Value::Object(out)
}

/// Projects `value` and builds the inventory object. For Secrets, `secret_keys` (when given)
/// limits the digests kept to the keys some `secret` item asks for.
pub fn to_object(kind_key: &str, value: Value, secret_keys: Option<&BTreeSet<String>>) -> Result<Object, ObjectError> {
    let mut object = Object::from_value(project(kind_key, value), None)?;
    if object.kind_key == kinds::SECRET
        && let Some(keys) = secret_keys
        && let Some(Value::Object(data)) = object.data.get_mut("data")
    {
        data.retain(|key, _| keys.contains(key));
    }
    Ok(object)
}

/// A cached object at rest: identity plus its projection as JSON text. serde_json's `Value`
/// spends a B-tree node (~600 B) on every map, even `{}`-sized ones, so a projected Deployment
/// costs ~25 KB as a `Value` but ~2 KB as text; the controller keeps text and materializes only
/// the objects one evaluation reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompactObject {
    pub api_version: Box<str>,
    pub kind: Box<str>,
    json: Box<str>,
}

impl CompactObject {
    pub fn from_object(object: &Object) -> Self {
        CompactObject {
            api_version: object.api_version.as_str().into(),
            kind: object.kind.as_str().into(),
            json: object.data.to_string().into_boxed_str(),
        }
    }

    /// The object's JSON text.
    pub fn text(&self) -> &str {
        &self.json
    }

    /// Bytes held, for memory accounting.
    pub fn size(&self) -> usize {
        self.api_version.len() + self.kind.len() + self.json.len()
    }

    /// The object again. Built field by field rather than through `Object::from_value`, which
    /// would take the Secret digests it already made for values to digest.
    pub fn to_object(&self, kind_key: &str, namespace: Option<&str>, name: &str) -> Object {
        let data: Value = serde_json::from_str(&self.json).unwrap_or(Value::Null);
        let labels = data
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|l| l.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned()))).collect())
            .unwrap_or_default();
        Object {
            api_version: self.api_version.to_string(),
            kind: self.kind.to_string(),
            kind_key: kind_key.to_owned(),
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
            labels,
            data,
        }
    }
}

fn insert_some(out: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        out.insert(key.to_owned(), value);
    }
}

fn metadata(value: Value) -> Value {
    let Value::Object(mut map) = value else { return Value::Object(Map::new()) };
    let mut out = Map::new();
    for key in ["name", "namespace", "labels", "creationTimestamp", "generation", "deletionTimestamp", "uid"] {
        insert_some(&mut out, key, map.remove(key));
    }
    if let Some(Value::Object(mut annotations)) = map.remove("annotations") {
        annotations.remove(LAST_APPLIED);
        if !annotations.is_empty() {
            out.insert("annotations".to_owned(), Value::Object(annotations));
        }
    }
    Value::Object(out)
}

fn workload_spec(value: Value) -> Value {
    let Value::Object(mut spec) = value else { return Value::Object(Map::new()) };
    let mut out = Map::new();
    // volumeClaimTemplates: small, and what `resource` items on StatefulSets judge (storage
    // class and size), since catalogue kinds are cached projected, not whole.
    for key in ["replicas", "strategy", "updateStrategy", "selector", "volumeClaimTemplates"] {
        insert_some(&mut out, key, spec.remove(key));
    }
    if let Some(Value::Object(mut template)) = spec.remove("template") {
        let mut t = Map::new();
        if let Some(Value::Object(mut meta)) = template.remove("metadata") {
            let mut m = Map::new();
            insert_some(&mut m, "labels", meta.remove("labels"));
            t.insert("metadata".to_owned(), Value::Object(m));
        }
        if let Some(pod) = template.remove("spec") {
            t.insert("spec".to_owned(), pod_spec(pod));
        }
        out.insert("template".to_owned(), Value::Object(t));
    }
    Value::Object(out)
}

fn pod_spec(value: Value) -> Value {
    let Value::Object(mut pod) = value else { return Value::Object(Map::new()) };
    let mut out = Map::new();
    for key in ["terminationGracePeriodSeconds", "hostNetwork", "resources"] {
        insert_some(&mut out, key, pod.remove(key));
    }
    if let Some(sc) = pod.remove("securityContext") {
        out.insert("securityContext".to_owned(), security_context(sc));
    }
    for key in ["containers", "initContainers"] {
        if let Some(Value::Array(list)) = pod.remove(key) {
            out.insert(key.to_owned(), Value::Array(list.into_iter().map(container).collect()));
        }
    }
    Value::Object(out)
}

fn security_context(value: Value) -> Value {
    let Value::Object(mut sc) = value else { return Value::Object(Map::new()) };
    let mut out = Map::new();
    for key in ["runAsNonRoot", "runAsUser"] {
        insert_some(&mut out, key, sc.remove(key));
    }
    Value::Object(out)
}

fn container(value: Value) -> Value {
    let Value::Object(mut c) = value else { return value };
    let mut out = Map::new();
    for key in ["name", "image", "ports", "resources", "restartPolicy", "envFrom"] {
        insert_some(&mut out, key, c.remove(key));
    }
    // Probes and hooks count when they are objects; their content is never judged.
    for key in ["readinessProbe", "livenessProbe", "startupProbe"] {
        if let Some(probe) = c.remove(key) {
            out.insert(key.to_owned(), presence(probe));
        }
    }
    if let Some(Value::Object(mut lifecycle)) = c.remove("lifecycle") {
        let mut l = Map::new();
        if let Some(hook) = lifecycle.remove("preStop") {
            l.insert("preStop".to_owned(), presence(hook));
        }
        out.insert("lifecycle".to_owned(), Value::Object(l));
    }
    if let Some(sc) = c.remove("securityContext") {
        out.insert("securityContext".to_owned(), security_context(sc));
    }
    if let Some(Value::Array(env)) = c.remove("env") {
        out.insert("env".to_owned(), Value::Array(env.into_iter().map(env_var).collect()));
    }
    Value::Object(out)
}

/// `{}` for an object, the value itself otherwise (null, or a malformed scalar the checks reject).
fn presence(value: Value) -> Value {
    if value.is_object() { Value::Object(Map::new()) } else { value }
}

/// `{name, value, valueFrom}` with the literal value replaced by a marker (empty stays empty, so
/// "is a literal given" reads the same) and `valueFrom` reduced to which source kind it names.
fn env_var(value: Value) -> Value {
    let Value::Object(mut var) = value else { return value };
    let mut out = Map::new();
    insert_some(&mut out, "name", var.remove("name"));
    match var.remove("value") {
        Some(Value::String(s)) if s.is_empty() => {
            out.insert("value".to_owned(), Value::String(String::new()));
        }
        Some(Value::Null) | None => {}
        Some(_) => {
            out.insert("value".to_owned(), Value::String(LITERAL_VALUE_MARKER.to_owned()));
        }
    }
    match var.remove("valueFrom") {
        Some(Value::Object(source)) => {
            let kinds: Map<String, Value> = source.into_iter().map(|(k, _)| (k, Value::Object(Map::new()))).collect();
            out.insert("valueFrom".to_owned(), Value::Object(kinds));
        }
        Some(Value::Null) | None => {}
        Some(other) => {
            out.insert("valueFrom".to_owned(), other);
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": "api", "namespace": "novacron", "labels": {"app": "api"}, "generation": 4,
                "creationTimestamp": "2026-01-01T00:00:00Z", "resourceVersion": "991",
                "managedFields": [{"manager": "kubectl"}],
                "annotations": {LAST_APPLIED: "{\"huge\": true}", "team": "core"}
            },
            "spec": {
                "replicas": 3, "revisionHistoryLimit": 10,
                "selector": {"matchLabels": {"app": "api"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}},
                "template": {
                    "metadata": {"labels": {"app": "api"}, "annotations": {"checksum": "abc"}},
                    "spec": {
                        "terminationGracePeriodSeconds": 45,
                        "securityContext": {"runAsNonRoot": true, "fsGroup": 2000},
                        "volumes": [{"name": "cfg", "configMap": {"name": "cfg"}}],
                        "containers": [{
                            "name": "api", "image": "novacron/api:1.0.0",
                            "ports": [{"name": "http", "containerPort": 8090}],
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8090}},
                            "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
                            "resources": {"requests": {"cpu": "100m"}, "limits": {"memory": "1Gi"}},
                            "env": [
                                {"name": "AUTH_SECRET", "value": "s3cr3t-value"},
                                {"name": "EMPTY", "value": ""},
                                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}
                            ],
                            "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg"}]
                        }]
                    }
                }
            },
            "status": {"replicas": 3, "conditions": [{"type": "Available"}]}
        })
    }

    #[test]
    fn workloads_keep_what_the_rules_read() {
        let p = project(kinds::DEPLOYMENT, deployment());
        assert_eq!(p.pointer("/spec/replicas"), Some(&json!(3)));
        assert_eq!(p.pointer("/spec/strategy/rollingUpdate/maxUnavailable"), Some(&json!(0)));
        assert_eq!(p.pointer("/spec/template/metadata/labels/app"), Some(&json!("api")));
        assert_eq!(p.pointer("/spec/template/spec/terminationGracePeriodSeconds"), Some(&json!(45)));
        assert_eq!(p.pointer("/spec/template/spec/securityContext"), Some(&json!({"runAsNonRoot": true})));
        let c = p.pointer("/spec/template/spec/containers/0").expect("container kept");
        assert_eq!(c["image"], json!("novacron/api:1.0.0"));
        assert_eq!(c["ports"][0]["containerPort"], json!(8090));
        assert_eq!(c["readinessProbe"], json!({}));
        assert!(c.get("livenessProbe").is_none());
        assert_eq!(c["lifecycle"], json!({"preStop": {}}));
        assert_eq!(c["resources"]["limits"]["memory"], json!("1Gi"));
    }

    #[test]
    fn literal_env_values_never_survive_projection() {
        let p = project(kinds::DEPLOYMENT, deployment());
        let text = p.to_string();
        assert!(!text.contains("s3cr3t-value"));
        let env = p.pointer("/spec/template/spec/containers/0/env").expect("env kept");
        assert_eq!(env[0], json!({"name": "AUTH_SECRET", "value": LITERAL_VALUE_MARKER}));
        assert_eq!(env[1], json!({"name": "EMPTY", "value": ""}));
        assert_eq!(env[2], json!({"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {}}}));
    }

    #[test]
    fn bulky_fields_are_dropped() {
        let p = project(kinds::DEPLOYMENT, deployment());
        assert!(p.pointer("/metadata/managedFields").is_none());
        assert!(p.pointer("/metadata/resourceVersion").is_none());
        assert_eq!(p.pointer("/metadata/annotations"), Some(&json!({"team": "core"})));
        assert!(p.get("status").is_none());
        assert!(p.pointer("/spec/template/spec/volumes").is_none());
        assert!(p.pointer("/spec/template/metadata/annotations").is_none());
    }

    #[test]
    fn cron_jobs_drop_the_job_template_but_keep_history() {
        let cj = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup"},
            "spec": {"schedule": "0 */6 * * *", "suspend": false, "jobTemplate": {"spec": {"template": {}}}},
            "status": {"lastSuccessfulTime": "2026-01-01T00:00:00Z"}});
        let p = project(kinds::CRON_JOB, cj);
        assert_eq!(p.pointer("/spec/schedule"), Some(&json!("0 */6 * * *")));
        assert!(p.pointer("/spec/jobTemplate").is_none());
        assert_eq!(p.pointer("/status/lastSuccessfulTime"), Some(&json!("2026-01-01T00:00:00Z")));
    }

    #[test]
    fn rbac_objects_keep_rules_and_bindings() {
        let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "view"}, "rules": [{"verbs": ["get"]}],
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"x": "y"}}]}});
        let p = project(kinds::CLUSTER_ROLE, role.clone());
        assert_eq!(p["rules"], role["rules"]);
        assert_eq!(p["aggregationRule"], role["aggregationRule"]);
        let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "b", "namespace": "n"}, "roleRef": {"kind": "Role", "name": "r"},
            "subjects": [{"kind": "User", "name": "alice"}]});
        let p = project(kinds::ROLE_BINDING, binding.clone());
        assert_eq!(p["roleRef"], binding["roleRef"]);
        assert_eq!(p["subjects"], binding["subjects"]);
    }

    #[test]
    fn unknown_kinds_keep_everything_but_bookkeeping() {
        let sm = json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": {"name": "api", "namespace": "n", "managedFields": [{}],
                         "annotations": {LAST_APPLIED: "{}"}},
            "spec": {"endpoints": [{"port": "http"}]}, "extra": {"a": 1}});
        let p = project("ServiceMonitor.monitoring.coreos.com", sm);
        assert_eq!(p.pointer("/spec/endpoints/0/port"), Some(&json!("http")));
        assert_eq!(p["extra"], json!({"a": 1}));
        assert!(p.pointer("/metadata/managedFields").is_none());
        assert!(p.pointer("/metadata/annotations").is_none());
    }

    #[test]
    fn compact_objects_round_trip_exactly() {
        let object = to_object(kinds::DEPLOYMENT, deployment(), None).expect("valid");
        let compact = CompactObject::from_object(&object);
        assert!(compact.size() < 2048, "{} bytes", compact.size());
        let back = compact.to_object(kinds::DEPLOYMENT, Some("novacron"), "api");
        assert_eq!(back, object);
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "auth", "namespace": "n"},
            "data": {"AUTH_SECRET": "c2VjcmV0"}});
        let secret = to_object(kinds::SECRET, secret, None).expect("valid secret");
        assert_eq!(CompactObject::from_object(&secret).to_object(kinds::SECRET, Some("n"), "auth"), secret);
    }

    #[test]
    fn secrets_keep_only_digests_of_the_keys_asked_for() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "auth", "namespace": "n"},
            "data": {"AUTH_SECRET": "c2VjcmV0", "OTHER": "b3RoZXI="}});
        let keys: BTreeSet<String> = ["AUTH_SECRET".to_owned()].into();
        let o = to_object(kinds::SECRET, secret, Some(&keys)).expect("valid secret");
        assert_eq!(o.get("/data/AUTH_SECRET/bytes"), Some(&json!(6)));
        assert!(o.get("/data/OTHER").is_none());
        assert!(!o.data.to_string().contains("c2VjcmV0"));
    }
}
