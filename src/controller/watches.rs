//! Watch tasks: one `kube::runtime::watcher` per kind (or per named Secret) over
//! `Api<DynamicObject>`, projecting every object into the shared [`Cache`], with a capped backoff
//! and "kind unavailable" detection (404: not served / no CRD, 403: forbidden).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;
use kube::runtime::watcher::{self, Event};
use tokio_util::sync::CancellationToken;

use super::backoff::CappedBackoff;
use super::cache::{Cache, Entry};
use crate::inventory::{CatalogueKind, Kind, Object, ObjectRef, live, whole};
use crate::metrics::Metrics;

/// How long to wait before asking again about a kind the cluster does not serve (a CRD may be
/// installed later); much longer than the outage backoff, so missing kinds cost little.
pub const UNAVAILABLE_RETRY: Duration = Duration::from_secs(30);

/// Objects per list page. Each page arrives as full objects (a Deployment parses to ~100 KB of
/// `serde_json::Value`); small pages keep that transient peak, which the allocator rarely gives
/// back, at a few MiB instead of the ~50 MiB of client-go's 500.
pub const LIST_PAGE_SIZE: u32 = 50;

/// One watch: which kind, and optionally one namespace and one object name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WatchSpec {
    /// The inventory key its objects go under.
    pub kind_key: Kind,
    /// `group/version` or `v1`.
    pub api_version: String,
    pub kind: String,
    /// Known plural for built-in kinds; `None` resolves the kind through discovery.
    pub plural: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// For Secrets: the only keys whose digests are kept.
    pub secret_keys: Option<BTreeSet<String>>,
    /// Keeps whole objects (for `resource` items, `inventory::whole`) rather than projections;
    /// `kind_key` is then the whole objects' inventory key.
    pub whole: bool,
}

impl WatchSpec {
    /// A catalogue kind served by every cluster, at its known version and plural.
    fn builtin(kind: CatalogueKind) -> Self {
        let info = kind.info();
        WatchSpec {
            kind_key: kind.into(),
            api_version: kind.api_version().into_owned(),
            kind: info.kind.to_owned(),
            plural: Some(info.plural.to_owned()),
            namespace: None,
            name: None,
            secret_keys: None,
            whole: false,
        }
    }

    /// A kind found through discovery (CRDs, the `resource` check's kinds).
    pub fn discovered(api_version: &str, kind: &str) -> Self {
        WatchSpec {
            kind_key: Kind::of(api_version, kind),
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            plural: None,
            namespace: None,
            name: None,
            secret_keys: None,
            whole: false,
        }
    }

    /// Whole objects of a kind `resource` items judge, found through discovery (which also says
    /// whether the kind is cluster-scoped: the API server then gives its objects no namespace).
    pub fn whole(api_version: &str, kind: &str) -> Self {
        let discovered = Self::discovered(api_version, kind);
        WatchSpec { kind_key: whole::key(&discovered.kind_key), whole: true, ..discovered }
    }

    /// One Secret, keeping only the digests of `keys`.
    pub fn secret(namespace: &str, name: &str, keys: BTreeSet<String>) -> Self {
        WatchSpec {
            namespace: Some(namespace.to_owned()),
            name: Some(name.to_owned()),
            secret_keys: Some(keys),
            ..Self::builtin(CatalogueKind::Secret)
        }
    }

    /// A short stable identity for logs, readiness and the watch set.
    pub fn id(&self) -> String {
        match (&self.namespace, &self.name) {
            (Some(ns), Some(name)) => format!("{} {ns}/{name}", self.kind_key),
            (Some(ns), None) => format!("{} in {ns}", self.kind_key),
            _ => self.kind_key.to_string(),
        }
    }

    /// Whether a cached object of this kind belongs to this watch (a relist replaces exactly
    /// those).
    pub fn owns(&self, namespace: Option<&str>, name: &str) -> bool {
        self.namespace.as_deref().is_none_or(|ns| namespace == Some(ns))
            && self.name.as_deref().is_none_or(|n| n == name)
    }

    fn gvk(&self) -> GroupVersionKind {
        let (group, version) = match self.api_version.rsplit_once('/') {
            Some((g, v)) => (g, v),
            None => ("", self.api_version.as_str()),
        };
        GroupVersionKind::gvk(group, version, &self.kind)
    }
}

/// The kinds the catalogue reads, watched cluster-wide for the life of the process.
/// cert-manager kinds go through discovery: they exist only where cert-manager is installed.
pub fn catalogue() -> Vec<WatchSpec> {
    use CatalogueKind::*;
    let builtin = [
        Deployment,
        StatefulSet,
        DaemonSet,
        Service,
        Namespace,
        ResourceQuota,
        LimitRange,
        Ingress,
        NetworkPolicy,
        HorizontalPodAutoscaler,
        PodDisruptionBudget,
        CronJob,
        Role,
        ClusterRole,
        RoleBinding,
        ClusterRoleBinding,
        ReadinessSignoff,
    ];
    let mut specs: Vec<WatchSpec> = builtin.into_iter().map(WatchSpec::builtin).collect();
    for kind in [Certificate, Issuer, ClusterIssuer] {
        specs.push(WatchSpec::discovered(&kind.api_version(), kind.kind()));
    }
    specs
}

/// What a watch task needs besides its spec.
#[derive(Clone)]
pub struct WatchContext {
    pub client: kube::Client,
    pub cache: Arc<Cache>,
    pub metrics: Arc<Metrics>,
}

/// Runs one watch until `cancel` fires. `settled` is called once the first list completed or
/// the kind proved unavailable: from then on the cache's view of this kind is decided.
pub async fn run(spec: WatchSpec, ctx: WatchContext, cancel: CancellationToken, settled: impl Fn() + Send) {
    let Some(resource) = resolve(&spec, &ctx, &cancel, &settled).await else { return };
    let api: Api<DynamicObject> = match &spec.namespace {
        Some(ns) => Api::namespaced_with(ctx.client.clone(), ns, &resource),
        None => Api::all_with(ctx.client.clone(), &resource),
    };
    let mut config = watcher::Config::default().page_size(LIST_PAGE_SIZE);
    if let Some(name) = &spec.name {
        config = config.fields(&format!("metadata.name={name}"));
    }
    let mut stream = watcher::watcher(api, config).boxed();
    let mut backoff = CappedBackoff::watch();
    let mut buffer: Vec<Entry> = Vec::new();
    let mut lists = 0u64;
    // Whether this watch has listed the kind before: a refusal after that is most likely the
    // API server's authorizer still warming up after a restart (it answers 403 until its RBAC
    // caches sync), so it is retried at the watch's own backoff rather than after
    // UNAVAILABLE_RETRY, which would keep status stale for half a minute after every restart.
    let mut listed_before = false;
    loop {
        let next = tokio::select! {
            () = cancel.cancelled() => break,
            next = stream.next() => next,
        };
        match next {
            Some(Ok(Event::Init)) => {
                buffer.clear();
                lists += 1;
                if lists > 1 {
                    ctx.metrics.watch_restarted(&spec.kind_key.key());
                }
            }
            Some(Ok(Event::InitApply(object))) => {
                if let Some(object) = convert(&spec, object) {
                    buffer.push(Entry::new(&object));
                }
            }
            Some(Ok(Event::InitDone)) => {
                ctx.cache.replace(&spec.kind_key, |ns, name| spec.owns(ns, name), std::mem::take(&mut buffer));
                ctx.cache.clear_unavailable(&spec.kind_key);
                listed_before = true;
                backoff.reset();
                settled();
                tracing::debug!(watch = %spec.id(), "listed");
            }
            Some(Ok(Event::Apply(object))) => {
                backoff.reset();
                if let Some(object) = convert(&spec, object) {
                    ctx.cache.apply(object);
                }
            }
            Some(Ok(Event::Delete(object))) => {
                backoff.reset();
                let name = object.metadata.name.as_deref().unwrap_or_default();
                ctx.cache.delete(ObjectRef::new(&spec.kind_key, object.metadata.namespace.as_deref(), name));
            }
            Some(Err(error)) => {
                let delay = match unavailable_reason(&spec, &error) {
                    Some(reason) => {
                        ctx.metrics.watch_error(&spec.kind_key.key(), "unavailable");
                        tracing::info!(watch = %spec.id(), %reason, "kind unavailable");
                        ctx.cache.set_unavailable(&spec.kind_key, reason);
                        settled();
                        match listed_before {
                            true => backoff.next().unwrap_or(super::backoff::WATCH_MAX),
                            false => UNAVAILABLE_RETRY,
                        }
                    }
                    None => {
                        ctx.metrics.watch_error(&spec.kind_key.key(), error_label(&error));
                        tracing::warn!(watch = %spec.id(), %error, "watch failed; retrying");
                        backoff.next().unwrap_or(super::backoff::WATCH_MAX)
                    }
                };
                tokio::select! {
                    () = cancel.cancelled() => break,
                    () = tokio::time::sleep(delay) => {}
                }
            }
            None => break,
        }
    }
}

/// The ApiResource to watch: known for built-ins, from discovery otherwise (retried while the
/// API server is unreachable; a kind it does not serve is marked unavailable meanwhile).
async fn resolve(
    spec: &WatchSpec,
    ctx: &WatchContext,
    cancel: &CancellationToken,
    settled: &impl Fn(),
) -> Option<ApiResource> {
    if let Some(plural) = &spec.plural {
        return Some(ApiResource::from_gvk_with_plural(&spec.gvk(), plural));
    }
    let mut backoff = CappedBackoff::watch();
    loop {
        let delay = match kube::discovery::pinned_kind(&ctx.client, &spec.gvk()).await {
            Ok((resource, _)) => return Some(resource),
            Err(error) => match discovery_missing(&error) {
                true => {
                    let reason = format!("the API server does not serve {} {}", spec.api_version, spec.kind);
                    ctx.cache.set_unavailable(&spec.kind_key, reason);
                    settled();
                    UNAVAILABLE_RETRY
                }
                false => {
                    tracing::warn!(watch = %spec.id(), %error, "discovery failed; retrying");
                    ctx.metrics.watch_error(&spec.kind_key.key(), "discovery");
                    backoff.next().unwrap_or(super::backoff::WATCH_MAX)
                }
            },
        };
        tokio::select! {
            () = cancel.cancelled() => return None,
            () = tokio::time::sleep(delay) => {}
        }
    }
}

fn discovery_missing(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) => status.code == 404,
        kube::Error::Discovery(_) => true,
        _ => false,
    }
}

/// List responses omit `apiVersion`/`kind` on items; the watch knows them.
fn convert(spec: &WatchSpec, object: DynamicObject) -> Option<Object> {
    let mut value = serde_json::to_value(object).ok()?;
    if let Some(map) = value.as_object_mut() {
        map.insert("apiVersion".to_owned(), spec.api_version.clone().into());
        map.insert("kind".to_owned(), spec.kind.clone().into());
    }
    let object = match spec.whole {
        true => whole::to_object(value, None),
        false => live::to_object(&spec.kind_key, value, spec.secret_keys.as_ref()),
    };
    match object {
        Ok(object) => Some(object),
        Err(error) => {
            tracing::warn!(watch = %spec.id(), %error, "skipping malformed object");
            None
        }
    }
}

/// Some(reason) when the error means "this kind cannot be read here" rather than an outage.
pub fn unavailable_reason(spec: &WatchSpec, error: &watcher::Error) -> Option<String> {
    let status = match error {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => s.as_ref(),
        watcher::Error::WatchError(s) => s.as_ref(),
        _ => return None,
    };
    match status.code {
        404 => Some(format!("the API server does not serve {} {}", spec.api_version, spec.kind)),
        403 => Some(format!("forbidden to list {}: {}", whole::kind_of(&spec.kind_key), status.message)),
        _ => None,
    }
}

fn error_label(error: &watcher::Error) -> &'static str {
    match error {
        watcher::Error::InitialListFailed(_) => "list",
        watcher::Error::WatchStartFailed(_) => "watch_start",
        watcher::Error::WatchError(s) if s.code == 410 => "expired",
        watcher::Error::WatchError(_) => "watch_error",
        watcher::Error::WatchFailed(_) => "watch_failed",
        watcher::Error::NoResourceVersion => "no_resource_version",
    }
}

#[cfg(test)]
mod tests {
    use kube::core::Status;

    use super::*;
    use crate::inventory::kinds;

    fn api_error(code: u16) -> watcher::Error {
        watcher::Error::InitialListFailed(kube::Error::Api(Box::new(Status {
            code,
            message: "denied".into(),
            ..Status::default()
        })))
    }

    #[test]
    fn missing_and_forbidden_kinds_are_unavailable_outages_are_not() {
        let spec = WatchSpec::discovered("cert-manager.io/v1", "Certificate");
        assert_eq!(
            unavailable_reason(&spec, &api_error(404)).as_deref(),
            Some("the API server does not serve cert-manager.io/v1 Certificate")
        );
        assert!(unavailable_reason(&spec, &api_error(403)).is_some_and(|r| r.starts_with("forbidden")));
        assert_eq!(unavailable_reason(&spec, &api_error(503)), None);
        assert_eq!(unavailable_reason(&spec, &watcher::Error::NoResourceVersion), None);
    }

    #[test]
    fn a_secret_watch_owns_only_its_secret() {
        let spec = WatchSpec::secret("novacron", "auth", BTreeSet::from(["AUTH_SECRET".to_owned()]));
        assert!(spec.owns(Some("novacron"), "auth"));
        assert!(!spec.owns(Some("novacron"), "db"));
        assert!(!spec.owns(Some("other"), "auth"));
        assert_eq!(spec.id(), "Secret novacron/auth");
    }

    #[test]
    fn the_catalogue_covers_every_kind_the_checks_read() {
        let watched: BTreeSet<Kind> = catalogue().into_iter().map(|s| s.kind_key).collect();
        for kind in [kinds::DEPLOYMENT, kinds::HPA, kinds::PDB, kinds::CLUSTER_ROLE_BINDING, kinds::CERTIFICATE] {
            assert!(watched.contains(&kind.into()), "{kind} is watched");
        }
        assert!(!watched.contains(&kinds::SECRET.into()), "Secrets only by name, when enabled");
    }

    #[test]
    fn discovered_kinds_get_their_index_key() {
        let spec = WatchSpec::discovered("monitoring.coreos.com/v1", "ServiceMonitor");
        assert_eq!(spec.kind_key, "ServiceMonitor.monitoring.coreos.com");
        assert_eq!(spec.gvk(), GroupVersionKind::gvk("monitoring.coreos.com", "v1", "ServiceMonitor"));
        assert_eq!(WatchSpec::discovered("v1", "ConfigMap").kind_key, "ConfigMap");
    }
}
