//! Compact projections of live objects: only the fields the checks read, so that tens of
//! thousands of cached objects fit in a few tens of MiB and no literal env value or Secret value
//! ever sits in the controller's memory.
//!
//! A catalogue kind with a typed view is projected *through* it: its projection is the view
//! written back as JSON ([`View`]: `Serialize`, empty fields left out), plus the identity
//! metadata the inventory keeps of every object ([`metadata`]). Reading the view back from the
//! projection gives the view the checks would read from the whole object, so projected and
//! whole objects judge alike by construction (`tests/projection.rs` still proves it). Which
//! kinds go through which view is declared once, in [`view_projections!`]; no per-kind field
//! list exists beside it.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::view::{
    self, BindingView, CertificateView, CronJobView, HpaView, IngressView, IssuerView, LimitRangeView, NamespaceView,
    NetworkPolicyView, PdbView, ResourceQuotaView, RoleView, SecretView, ServiceView, SignoffView, View, WorkloadView,
};
use super::{CatalogueKind, Kind, Object, ObjectError};

/// The annotation `kubectl apply` keeps a full copy of the object in; never read by a check.
pub(crate) const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What replaces a non-empty literal env value: the checks only ask whether one is there.
pub const LITERAL_VALUE_MARKER: &str = "<literal>";

/// Declares, one view a line, the catalogue kinds projected through their view (each view's
/// `View::KINDS`).
macro_rules! view_projections {
    ($($view:ty),* $(,)?) => {
        /// How objects of `kind` are projected through their view, when the kind has one.
        fn view_projection(kind: CatalogueKind) -> Option<fn(Value) -> Value> {
            $(
                if <$view as View>::KINDS.contains(&kind) {
                    return Some(through_view::<$view>);
                }
            )*
            None
        }

        /// Every kind projected through a view, with the view's name (for tests and docs).
        #[cfg(test)]
        pub(crate) fn kinds_projected_through_views() -> Vec<(CatalogueKind, &'static str)> {
            let mut all = Vec::new();
            $(all.extend(<$view as View>::KINDS.iter().map(|kind| (*kind, stringify!($view))));)*
            all
        }

        /// The view of `kind` read from `value`, shown (or the error), for tests to compare.
        #[cfg(test)]
        fn read_view(kind: CatalogueKind, value: &Value) -> Option<String> {
            $(
                if <$view as View>::KINDS.contains(&kind) {
                    return Some(format!("{:?}", view::from_value::<$view>(value, String::new)));
                }
            )*
            None
        }
    };
}

view_projections! {
    WorkloadView,
    PdbView,
    HpaView,
    CronJobView,
    ResourceQuotaView,
    LimitRangeView,
    RoleView,
    BindingView,
    SecretView,
    ServiceView,
    IngressView,
    NetworkPolicyView,
    NamespaceView,
    CertificateView,
    IssuerView,
    SignoffView,
}

/// Keeps what the checks of `kind` read from `object` (its view, written back) and drops the
/// rest. Kinds the catalogue does not know (the `resource` check's CEL may read any field),
/// and whole copies ([`Kind::Whole`]), keep the whole object minus `managedFields`, the
/// last-applied annotation and the other bookkeeping [`metadata`] drops.
pub fn project(kind: &Kind, object: Value) -> Value {
    match kind.catalogue().map(view_projection) {
        Some(Some(through)) => through(object),
        // A catalogue kind no check reads through a view (ReadinessChecklist: the controller
        // keeps checklists in its own store, not in this cache) keeps its spec and status.
        Some(None) => spec_and_status(object),
        None => whole(object),
    }
}

/// The view of `V` written back, with the object's identity.
fn through_view<V: View>(object: Value) -> Value {
    let written = view::from_value::<V>(&object, String::new).map(|view| serde_json::to_value(&view));
    match (object, written) {
        (Value::Object(mut original), Ok(Ok(Value::Object(mut written)))) => {
            for key in ["apiVersion", "kind"] {
                insert_some(&mut written, key, original.remove(key));
            }
            let identity = original.remove("metadata").map(metadata).unwrap_or_default();
            match written.get_mut("metadata") {
                Some(Value::Object(kept)) => kept.extend(identity),
                _ => {
                    written.insert("metadata".to_owned(), Value::Object(identity));
                }
            }
            Value::Object(written)
        }
        // A shape the view cannot read (the API server's validation keeps such objects out of
        // a cluster for the built-in kinds): kept whole, so the check reports the same error
        // from the cache as from a file; literal env values are reduced all the same.
        (object, _) => {
            let mut kept = whole(object);
            reduce_literal_env(&mut kept);
            kept
        }
    }
}

/// The whole object minus bookkeeping.
fn whole(object: Value) -> Value {
    let Value::Object(mut map) = object else { return object };
    let mut out = identity(&mut map);
    out.extend(map);
    Value::Object(out)
}

/// Identity, `spec` and `status`.
fn spec_and_status(object: Value) -> Value {
    let Value::Object(mut map) = object else { return object };
    let mut out = identity(&mut map);
    for key in ["spec", "status"] {
        insert_some(&mut out, key, map.remove(key));
    }
    Value::Object(out)
}

/// `apiVersion`, `kind` and the kept [`metadata`], taken out of `map`.
fn identity(map: &mut Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for key in ["apiVersion", "kind"] {
        insert_some(&mut out, key, map.remove(key));
    }
    out.insert("metadata".to_owned(), Value::Object(map.remove("metadata").map(metadata).unwrap_or_default()));
    out
}

/// Builds the inventory object of `value` and projects it. For Secrets, `secret_keys` (when
/// given) limits the digests kept to the keys some `secret` item asks for.
///
/// Built first, projected after: `Object::from_value` reduces a Secret's values to digests, as
/// it does for every object offline, so a view reads the same input live and offline.
pub fn to_object(kind: &Kind, value: Value, secret_keys: Option<&BTreeSet<String>>) -> Result<Object, ObjectError> {
    let mut object = Object::from_value(value, None)?;
    if object.kind_key == CatalogueKind::Secret
        && let Some(keys) = secret_keys
        && let Some(Value::Object(data)) = object.data.get_mut("data")
    {
        data.retain(|key, _| keys.contains(key));
    }
    object.data = project(kind, std::mem::take(&mut object.data));
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
    pub fn to_object(&self, kind: &Kind, namespace: Option<&str>, name: &str) -> Object {
        let data: Value = serde_json::from_str(&self.json).unwrap_or(Value::Null);
        let labels = data
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|l| l.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned()))).collect())
            .unwrap_or_default();
        Object {
            api_version: self.api_version.to_string(),
            kind: self.kind.to_string(),
            kind_key: kind.clone(),
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

/// The metadata kept of every object: identity, labels, annotations (minus kubectl's copy of
/// the whole object), and what checks and messages read of its life (`generation` for
/// Certificates' staleness, `creationTimestamp`, `deletionTimestamp`, `uid`). Dropped:
/// `managedFields`, `resourceVersion`, owner references and the rest of the bookkeeping.
fn metadata(value: Value) -> Map<String, Value> {
    let Value::Object(mut map) = value else { return Map::new() };
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
    out
}

/// Replaces every non-empty literal `value` of an `env` list anywhere in `value` with
/// [`LITERAL_VALUE_MARKER`], keeping every shape as it was (for objects kept whole because their
/// view cannot read them).
fn reduce_literal_env(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "env"
                    && let Value::Array(vars) = child
                {
                    for var in vars.iter_mut().filter_map(Value::as_object_mut) {
                        if let Some(Value::String(literal)) = var.get_mut("value")
                            && !literal.is_empty()
                        {
                            *literal = LITERAL_VALUE_MARKER.to_owned();
                        }
                    }
                }
                reduce_literal_env(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(reduce_literal_env),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::inventory::kinds;
    use crate::inventory::view::workload::fixtures::deployment;

    fn kind(key: &str) -> Kind {
        Kind::from(key)
    }

    #[test]
    fn workloads_keep_what_the_rules_read() {
        let p = project(&kind(kinds::DEPLOYMENT), deployment());
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
        // Which resources are set, not their amounts: nothing judges those.
        assert_eq!(c["resources"]["limits"], json!({"memory": true}));
    }

    #[test]
    fn a_kind_with_a_view_projects_to_its_view_written_back() {
        let p = project(&kind(kinds::DEPLOYMENT), deployment());
        let view: WorkloadView = view::from_value(&deployment(), String::new).expect("reads");
        let mut expected = serde_json::to_value(&view).expect("writes");
        expected["apiVersion"] = json!("apps/v1");
        expected["metadata"] = json!({"name": "api", "namespace": "novacron", "labels": {"app": "api"},
            "generation": 4, "creationTimestamp": "2026-01-01T00:00:00Z", "annotations": {"team": "core"}});
        assert_eq!(p, expected);
        assert_eq!(view::from_value::<WorkloadView>(&p, String::new).expect("reads back"), view);
    }

    #[test]
    fn every_kind_the_controller_watches_is_projected_through_its_view() {
        let secrets = crate::controller::watches::WatchSpec::secret("n", "s", BTreeSet::new());
        for spec in crate::controller::watches::catalogue().into_iter().chain([secrets]) {
            let known = spec.kind_key.catalogue().expect("the catalogue's watches are of catalogue kinds");
            assert!(view_projection(known).is_some(), "{known:?} is watched but has no view in view_projections!");
        }
    }

    #[test]
    fn every_view_kind_is_registered_once_and_round_trips_over_the_corpus() {
        let registered = kinds_projected_through_views();
        let distinct: BTreeSet<CatalogueKind> = registered.iter().map(|(kind, _)| *kind).collect();
        assert_eq!(distinct.len(), registered.len(), "a kind has one view: {registered:?}");
        let Some(objects) = crate::checks::corpus::objects("", "corpus") else { return };
        let mut judged = 0;
        for object in objects {
            let Some((known, _)) = registered.iter().find(|(k, _)| object.kind_key == *k) else { continue };
            let projected = project(&Kind::from(*known), object.data.clone());
            let read = |value: &Value| read_view(*known, value);
            assert_eq!(read(&projected), read(&object.data), "{}: projection reads as the object", object.object_ref());
            judged += 1;
        }
        assert!(judged > 50, "the corpus holds objects of the view kinds ({judged})");
    }

    #[test]
    fn an_object_its_view_cannot_read_is_kept_whole_with_literals_reduced() {
        let mut bad = deployment();
        bad["spec"]["template"]["spec"]["containers"][0]["ports"] = json!("http");
        let p = project(&kind(kinds::DEPLOYMENT), bad.clone());
        let (from_cache, from_file) =
            (view::from_value::<WorkloadView>(&p, String::new), view::from_value::<WorkloadView>(&bad, String::new));
        assert_eq!(from_cache.expect_err("unreadable"), from_file.expect_err("unreadable"));
        assert!(!p.to_string().contains("s3cr3t-value"));
        assert_eq!(p.pointer("/spec/template/spec/containers/0/env/0/value"), Some(&json!(LITERAL_VALUE_MARKER)));
        assert!(p.pointer("/metadata/managedFields").is_none());
    }

    #[test]
    fn literal_env_values_never_survive_projection() {
        let p = project(&kind(kinds::DEPLOYMENT), deployment());
        let text = p.to_string();
        assert!(!text.contains("s3cr3t-value"));
        let env = p.pointer("/spec/template/spec/containers/0/env").expect("env kept");
        assert_eq!(env[0], json!({"name": "AUTH_SECRET", "value": LITERAL_VALUE_MARKER}));
        // An empty literal and a valueFrom are both "no literal": only the name is kept.
        assert_eq!(env[1], json!({"name": "EMPTY"}));
        assert_eq!(env[2], json!({"name": "DB_PASSWORD"}));
    }

    #[test]
    fn bulky_fields_are_dropped() {
        let p = project(&kind(kinds::DEPLOYMENT), deployment());
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
        let p = project(&kind(kinds::CRON_JOB), cj);
        assert_eq!(p.pointer("/spec/schedule"), Some(&json!("0 */6 * * *")));
        assert!(p.pointer("/spec/jobTemplate").is_none());
        assert_eq!(p.pointer("/status/lastSuccessfulTime"), Some(&json!("2026-01-01T00:00:00Z")));
    }

    #[test]
    fn rbac_objects_keep_rules_and_bindings() {
        let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "view"}, "rules": [{"verbs": ["get"]}],
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"x": "y"}}]}});
        let p = project(&kind(kinds::CLUSTER_ROLE), role.clone());
        assert_eq!(p["rules"], role["rules"]);
        assert_eq!(p["aggregationRule"], role["aggregationRule"]);
        let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "b", "namespace": "n"}, "roleRef": {"kind": "Role", "name": "r"},
            "subjects": [{"kind": "User", "name": "alice"}]});
        let p = project(&kind(kinds::ROLE_BINDING), binding.clone());
        assert_eq!(p["roleRef"], binding["roleRef"]);
        assert_eq!(p["subjects"], binding["subjects"]);
    }

    #[test]
    fn unknown_kinds_keep_everything_but_bookkeeping() {
        let sm = json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": {"name": "api", "namespace": "n", "managedFields": [{}],
                         "annotations": {LAST_APPLIED: "{}"}},
            "spec": {"endpoints": [{"port": "http"}]}, "extra": {"a": 1}});
        let p = project(&kind("ServiceMonitor.monitoring.coreos.com"), sm);
        assert_eq!(p.pointer("/spec/endpoints/0/port"), Some(&json!("http")));
        assert_eq!(p["extra"], json!({"a": 1}));
        assert!(p.pointer("/metadata/managedFields").is_none());
        assert!(p.pointer("/metadata/annotations").is_none());
    }

    #[test]
    fn compact_objects_round_trip_exactly() {
        let deployment_kind = kind(kinds::DEPLOYMENT);
        let object = to_object(&deployment_kind, deployment(), None).expect("valid");
        let compact = CompactObject::from_object(&object);
        assert!(compact.size() < 2048, "{} bytes", compact.size());
        let back = compact.to_object(&deployment_kind, Some("novacron"), "api");
        assert_eq!(back, object);
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "auth", "namespace": "n"},
            "data": {"AUTH_SECRET": "c2VjcmV0"}});
        let secret_kind = kind(kinds::SECRET);
        let secret = to_object(&secret_kind, secret, None).expect("valid secret");
        assert_eq!(CompactObject::from_object(&secret).to_object(&secret_kind, Some("n"), "auth"), secret);
    }

    #[test]
    fn secrets_keep_only_digests_of_the_keys_asked_for() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "auth", "namespace": "n"},
            "data": {"AUTH_SECRET": "c2VjcmV0", "OTHER": "b3RoZXI="}});
        let keys: BTreeSet<String> = ["AUTH_SECRET".to_owned()].into();
        let o = to_object(&kind(kinds::SECRET), secret, Some(&keys)).expect("valid secret");
        assert_eq!(o.get("/data/AUTH_SECRET/bytes"), Some(&json!(6)));
        assert!(o.get("/data/OTHER").is_none());
        assert!(!o.data.to_string().contains("c2VjcmV0"));
    }
}
