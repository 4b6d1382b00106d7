//! The public face of the double: start it, point clients at it, seed and inspect its state,
//! read the request log, and reach the fault controls.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use super::crud::present;
use super::delete::remove_cascading;
use super::faults::Faults;
use super::identity::User;
use super::log::RequestRecord;
use super::meta::{generation, meta_mut, meta_str, now_rfc3339, same_content, spec_changed};
use super::resources::{ResourceInfo, split_api_version};
use super::server::{Settings, Shared, bind, lock};
use super::store::Store;
use super::write::crd_status;

/// How the double behaves; `Default` is a v1.31 server with 1 s bookmarks.
#[derive(Debug, Clone)]
pub struct DoubleConfig {
    /// Reported by `/version`.
    pub git_version: String,
    /// How often watches with `allowWatchBookmarks=true` get a BOOKMARK (real servers: ~1 min).
    pub bookmark_interval: Duration,
    /// Changes kept for watch resumption; older resourceVersions get `410 Expired`.
    pub history_limit: usize,
    /// Answer aggregated discovery (v2) when asked; `false` behaves like a pre-1.26 server.
    pub aggregated_discovery: bool,
}

impl Default for DoubleConfig {
    fn default() -> Self {
        DoubleConfig {
            git_version: "v1.31.2".into(),
            bookmark_interval: Duration::from_secs(1),
            history_limit: 10_000,
            aggregated_discovery: true,
        }
    }
}

/// A stateful Kubernetes API server on `127.0.0.1`, plain HTTP, no authentication.
/// Dropping it stops the server.
pub struct ApiServerDouble {
    shared: Arc<Shared>,
    faults: Faults,
}

impl ApiServerDouble {
    pub async fn start() -> ApiServerDouble {
        Self::start_with(DoubleConfig::default()).await
    }

    pub async fn start_with(config: DoubleConfig) -> ApiServerDouble {
        let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0))).expect("binding 127.0.0.1:0 for the API double");
        let addr = listener.local_addr().expect("a bound listener has an address");
        let settings = Settings {
            git_version: config.git_version,
            bookmark_interval: config.bookmark_interval,
            aggregated_discovery: config.aggregated_discovery,
            user: User::default(),
        };
        let shared = Shared::new(addr, Store::new(config.history_limit), settings);
        shared.serve(listener);
        let double = ApiServerDouble { faults: Faults { shared: shared.clone() }, shared };
        // A fresh cluster already has these namespaces.
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            double.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}, "status": {"phase": "Active"}}));
        }
        double
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    pub fn port(&self) -> u16 {
        self.shared.addr.port()
    }

    /// A kubeconfig (no credentials, namespace `default`) pointing at this server.
    pub fn kubeconfig_yaml(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: double\n  cluster:\n    server: {}\n\
             contexts:\n- name: double\n  context:\n    cluster: double\n    user: double\n    namespace: default\n\
             current-context: double\nusers:\n- name: double\n  user: {{}}\n",
            self.url()
        )
    }

    /// Writes [`Self::kubeconfig_yaml`] to a temporary file (deleted when dropped), for
    /// `KUBECONFIG=... readygate run`.
    pub fn write_kubeconfig(&self) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().expect("creating a temporary kubeconfig");
        file.write_all(self.kubeconfig_yaml().as_bytes()).expect("writing the temporary kubeconfig");
        file
    }

    pub fn client(&self) -> kube::Client {
        let url = self.url().parse().expect("the double's URL is a valid URI");
        kube::Client::try_from(kube::Config::new(url)).expect("building a kube client for the double")
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Installs a CustomResourceDefinition (as `Value` or the typed k8s-openapi struct): its
    /// kinds become discoverable and servable at once, and it reports `Established`.
    pub fn install_crd(&self, crd: impl Serialize) -> Value {
        let mut crd = serde_json::to_value(crd).expect("a CRD serializes to JSON");
        crd["apiVersion"] = json!("apiextensions.k8s.io/v1");
        crd["kind"] = json!("CustomResourceDefinition");
        self.seed(crd)
    }

    fn resolve(&self, api_version: &str, kind: &str) -> ResourceInfo {
        let (group, version) = split_api_version(api_version);
        lock(&self.shared.store)
            .registry
            .find_kind(group, version, kind)
            .cloned()
            .unwrap_or_else(|| panic!("the double does not serve {api_version} {kind}: install its CRD first"))
    }

    /// Inserts or replaces an object directly (no admission, no status/spec separation, no
    /// schema pruning), with the usual watch event; seeding identical content is a no-op. Fills in uid, creationTimestamp and generation; a namespaced
    /// object without a namespace goes to `default`. Returns the stored object.
    pub fn seed(&self, obj: impl Serialize) -> Value {
        let mut obj = serde_json::to_value(obj).expect("a seeded object serializes to JSON");
        let api_version = obj["apiVersion"].as_str().expect("seeded objects need apiVersion").to_string();
        let kind = obj["kind"].as_str().expect("seeded objects need kind").to_string();
        let info = self.resolve(&api_version, &kind);
        let mut store = lock(&self.shared.store);
        let meta = meta_mut(&mut obj);
        if !info.namespaced {
            meta.remove("namespace");
        } else if meta.get("namespace").and_then(Value::as_str).is_none_or(str::is_empty) {
            meta.insert("namespace".into(), json!("default"));
        }
        meta.remove("resourceVersion");
        let name =
            meta_str(&obj, "name").filter(|n| !n.is_empty()).expect("seeded objects need metadata.name").to_string();
        let namespace = meta_str(&obj, "namespace").unwrap_or_default().to_string();
        let old = store.get(&info.key(), &namespace, &name).cloned();
        let (uid, created, next_generation) = match &old {
            Some(old) => (
                meta_str(old, "uid").unwrap_or_default().to_string(),
                meta_str(old, "creationTimestamp").unwrap_or_default().to_string(),
                generation(old) + i64::from(spec_changed(&info, old, &obj)),
            ),
            None => (store.ids.uid(), now_rfc3339(), 1),
        };
        let meta = meta_mut(&mut obj);
        meta.entry("uid").or_insert(json!(uid));
        meta.entry("creationTimestamp").or_insert(json!(created));
        meta.entry("generation").or_insert(json!(next_generation));
        if info.group == "apiextensions.k8s.io" && info.plural == "customresourcedefinitions" {
            if obj.get("status").is_none_or(Value::is_null) {
                obj["status"] = crd_status(&obj);
            }
            store.registry.install_crd(&obj).unwrap_or_else(|e| panic!("invalid CRD {name}: {e}"));
        }
        if let Some(old) = old.filter(|old| same_content(old, &obj)) {
            return present(&info, &old);
        }
        present(&info, &store.put(&info.key(), obj))
    }

    pub fn get_object(&self, api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let info = self.resolve(api_version, kind);
        let store = lock(&self.shared.store);
        store.get(&info.key(), namespace.unwrap_or_default(), name).map(|o| present(&info, o))
    }

    /// Every object of a kind, across namespaces, in (namespace, name) order.
    pub fn list_objects(&self, api_version: &str, kind: &str) -> Vec<Value> {
        let info = self.resolve(api_version, kind);
        let store = lock(&self.shared.store);
        store.list(&info.key(), None, None).map(|o| present(&info, o)).collect()
    }

    /// Deletes an object directly (ignoring finalizers), with the usual DELETED event.
    pub fn delete_object(&self, api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let info = self.resolve(api_version, kind);
        let mut store = lock(&self.shared.store);
        remove_cascading(&mut store, &info, namespace.unwrap_or_default(), name).map(|o| present(&info, &o))
    }

    /// Every request served so far, oldest first.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        lock(&self.shared.log).clone()
    }

    pub fn clear_request_log(&self) {
        lock(&self.shared.log).clear();
    }

    /// The current (global, etcd-like) resourceVersion.
    pub fn resource_version(&self) -> u64 {
        lock(&self.shared.store).current_rv()
    }

    /// Watch streams open right now on a resource (plural name, e.g. `configmaps`). A
    /// kube-runtime watcher reports `InitDone` before its watch request, so wait on this before
    /// injecting watch faults.
    pub fn active_watches(&self, plural: &str) -> usize {
        lock(&self.shared.store).active_watches(plural)
    }

    pub fn set_version(&self, git_version: &str) {
        lock(&self.shared.settings).git_version = git_version.to_string();
    }

    /// Takes effect for watches started afterwards.
    pub fn set_bookmark_interval(&self, every: Duration) {
        lock(&self.shared.settings).bookmark_interval = every;
    }

    /// Who every caller is from now on, as SelfSubjectReviews report it (default:
    /// `kubernetes-admin` in `system:masters` and `system:authenticated`).
    pub fn set_user(&self, username: &str, groups: &[&str]) {
        let groups = groups.iter().map(|g| g.to_string()).collect();
        lock(&self.shared.settings).user = User { username: username.to_string(), groups };
    }

    pub fn set_aggregated_discovery(&self, enabled: bool) {
        lock(&self.shared.settings).aggregated_discovery = enabled;
    }

    pub fn set_history_limit(&self, changes: usize) {
        lock(&self.shared.store).set_history_limit(changes);
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
    pub async fn wait_for(&self, timeout: Duration, mut condition: impl FnMut(&ApiServerDouble) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if condition(self) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops listening, drops every connection and ends all watches.
    pub async fn shutdown(self) {
        self.shared.go_down().await;
        self.shared.shutdown.cancel();
    }
}

impl Drop for ApiServerDouble {
    fn drop(&mut self) {
        self.shared.shutdown.cancel();
    }
}
