//! Typed identities: which kind an object is ([`Kind`]) and which object it is ([`ObjectRef`]).
//!
//! A kind is identified by group and kind, not version: `autoscaling/v1` and `autoscaling/v2`
//! HorizontalPodAutoscalers are the same objects served twice, so they share one index. The
//! kinds the catalogue reads are an enum ([`CatalogueKind`]) carrying their version, plural and
//! scope; any other kind (a `resource` item's CRD) is a group/kind pair. The string form
//! (`Deployment.apps`, `Service`) stays available at the edges through [`Kind::key`] and
//! `From<&str>`.

use std::borrow::Cow;
use std::fmt;

/// Whether objects of a kind live in a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KindScope {
    Namespaced,
    Cluster,
}

/// What the catalogue knows of one of its kinds: where the API serves it and how it is keyed.
#[derive(Debug, PartialEq, Eq)]
pub struct KindInfo {
    /// API group (`""` for core).
    pub group: &'static str,
    /// The version watched live.
    pub version: &'static str,
    pub kind: &'static str,
    /// The resource name in URLs (`deployments`).
    pub plural: &'static str,
    pub scope: KindScope,
    /// `Kind` for the core group, `Kind.group` otherwise.
    pub key: &'static str,
}

macro_rules! catalogue_kinds {
    ($($variant:ident => ($group:literal, $version:literal, $plural:literal, $scope:ident, $key:literal)),* $(,)?) => {
        /// The kinds the check catalogue reads (and the controller's own kinds).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CatalogueKind {
            $($variant),*
        }

        impl CatalogueKind {
            /// Every catalogue kind, in declaration order.
            pub const ALL: &'static [CatalogueKind] = &[$(CatalogueKind::$variant),*];

            pub const fn info(self) -> &'static KindInfo {
                match self {
                    $(CatalogueKind::$variant => &KindInfo {
                        group: $group,
                        version: $version,
                        kind: stringify!($variant),
                        plural: $plural,
                        scope: KindScope::$scope,
                        key: $key,
                    }),*
                }
            }
        }
    };
}

catalogue_kinds! {
    Deployment => ("apps", "v1", "deployments", Namespaced, "Deployment.apps"),
    StatefulSet => ("apps", "v1", "statefulsets", Namespaced, "StatefulSet.apps"),
    DaemonSet => ("apps", "v1", "daemonsets", Namespaced, "DaemonSet.apps"),
    Service => ("", "v1", "services", Namespaced, "Service"),
    Secret => ("", "v1", "secrets", Namespaced, "Secret"),
    Namespace => ("", "v1", "namespaces", Cluster, "Namespace"),
    ResourceQuota => ("", "v1", "resourcequotas", Namespaced, "ResourceQuota"),
    LimitRange => ("", "v1", "limitranges", Namespaced, "LimitRange"),
    Ingress => ("networking.k8s.io", "v1", "ingresses", Namespaced, "Ingress.networking.k8s.io"),
    NetworkPolicy => ("networking.k8s.io", "v1", "networkpolicies", Namespaced, "NetworkPolicy.networking.k8s.io"),
    HorizontalPodAutoscaler => (
        "autoscaling", "v2", "horizontalpodautoscalers", Namespaced, "HorizontalPodAutoscaler.autoscaling"
    ),
    PodDisruptionBudget => ("policy", "v1", "poddisruptionbudgets", Namespaced, "PodDisruptionBudget.policy"),
    CronJob => ("batch", "v1", "cronjobs", Namespaced, "CronJob.batch"),
    Role => ("rbac.authorization.k8s.io", "v1", "roles", Namespaced, "Role.rbac.authorization.k8s.io"),
    ClusterRole => ("rbac.authorization.k8s.io", "v1", "clusterroles", Cluster, "ClusterRole.rbac.authorization.k8s.io"),
    RoleBinding => (
        "rbac.authorization.k8s.io", "v1", "rolebindings", Namespaced, "RoleBinding.rbac.authorization.k8s.io"
    ),
    ClusterRoleBinding => (
        "rbac.authorization.k8s.io", "v1", "clusterrolebindings", Cluster,
        "ClusterRoleBinding.rbac.authorization.k8s.io"
    ),
    Certificate => ("cert-manager.io", "v1", "certificates", Namespaced, "Certificate.cert-manager.io"),
    Issuer => ("cert-manager.io", "v1", "issuers", Namespaced, "Issuer.cert-manager.io"),
    ClusterIssuer => ("cert-manager.io", "v1", "clusterissuers", Cluster, "ClusterIssuer.cert-manager.io"),
    ReadinessChecklist => ("readygate.io", "v1alpha1", "readinesschecklists", Namespaced, "ReadinessChecklist.readygate.io"),
    ReadinessSignoff => ("readygate.io", "v1alpha1", "readinesssignoffs", Namespaced, "ReadinessSignoff.readygate.io"),
}

impl CatalogueKind {
    pub const fn key(self) -> &'static str {
        self.info().key
    }

    pub const fn group(self) -> &'static str {
        self.info().group
    }

    pub const fn kind(self) -> &'static str {
        self.info().kind
    }

    /// `group/version`, or `v1` for the core group.
    pub fn api_version(self) -> Cow<'static, str> {
        let info = self.info();
        if info.group.is_empty() {
            Cow::Borrowed(info.version)
        } else {
            format!("{}/{}", info.group, info.version).into()
        }
    }

    pub fn find(group: &str, kind: &str) -> Option<CatalogueKind> {
        Self::ALL.iter().copied().find(|k| k.group() == group && k.kind() == kind)
    }

    fn find_key(key: &str) -> Option<CatalogueKind> {
        Self::ALL.iter().copied().find(|k| k.key() == key)
    }
}

/// Cluster-scoped kinds outside the catalogue that a manifest set commonly holds, by key.
/// Anything else is treated as namespaced, as `kubectl apply` would do for an unknown kind until
/// discovery says otherwise.
const WELL_KNOWN_CLUSTER_SCOPED: &[&str] = &[
    "Node",
    "PersistentVolume",
    "StorageClass.storage.k8s.io",
    "CSIDriver.storage.k8s.io",
    "VolumeAttachment.storage.k8s.io",
    "PriorityClass.scheduling.k8s.io",
    "RuntimeClass.node.k8s.io",
    "IngressClass.networking.k8s.io",
    "CustomResourceDefinition.apiextensions.k8s.io",
    "APIService.apiregistration.k8s.io",
    "ValidatingWebhookConfiguration.admissionregistration.k8s.io",
    "MutatingWebhookConfiguration.admissionregistration.k8s.io",
    "ValidatingAdmissionPolicy.admissionregistration.k8s.io",
    "ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io",
    "PodSecurityPolicy.policy",
    "ClusterPolicy.kyverno.io",
];

/// A kind outside the catalogue: group (`""` for core) and kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKind {
    group: Box<str>,
    kind: Box<str>,
}

/// The identity of a kind, and the inventory's index key. Constructors normalize, so a
/// catalogue kind is always the `Catalogue` variant and equality and hashing agree with the
/// string key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Catalogue(CatalogueKind),
    Other(GroupKind),
    /// Whole objects of a catalogue kind, which the live cache otherwise keeps as its view's
    /// projection: `resource` items read them, indexed apart (`Deployment.apps/whole`) so the
    /// catalogue's checks keep their small projections (see `inventory::whole`).
    Whole(CatalogueKind),
}

/// What ends the string key of [`Kind::Whole`]. A `/` never occurs in a kind key
/// (`Kind.group`), so no real kind can collide with it.
const WHOLE_SUFFIX: &str = "/whole";

impl Kind {
    pub fn new(group: &str, kind: &str) -> Kind {
        match CatalogueKind::find(group, kind) {
            Some(known) => Kind::Catalogue(known),
            None => Kind::Other(GroupKind { group: group.into(), kind: kind.into() }),
        }
    }

    /// The kind of an object of `api_version` (`apps/v1`, `v1`) and `kind`.
    pub fn of(api_version: &str, kind: &str) -> Kind {
        Kind::new(group_of(api_version), kind)
    }

    /// Parses the string key (`Kind.group` or `Kind`), the inverse of [`Kind::key`].
    pub fn from_key(key: &str) -> Kind {
        if let Some(known) = CatalogueKind::find_key(key) {
            return Kind::Catalogue(known);
        }
        if let Some(known) = key.strip_suffix(WHOLE_SUFFIX).and_then(CatalogueKind::find_key) {
            return Kind::Whole(known);
        }
        let (group, kind) = match key.split_once('.') {
            Some((kind, group)) => (group, kind),
            None => ("", key),
        };
        Kind::new(group, kind)
    }

    /// `Kind` for the core group, `Kind.group` otherwise.
    pub fn key(&self) -> Cow<'static, str> {
        match self {
            Kind::Catalogue(known) => Cow::Borrowed(known.key()),
            Kind::Other(gk) => Cow::Owned(key_of(&gk.group, &gk.kind)),
            Kind::Whole(known) => Cow::Owned(format!("{}{WHOLE_SUFFIX}", known.key())),
        }
    }

    pub fn group(&self) -> &str {
        match self {
            Kind::Catalogue(known) | Kind::Whole(known) => known.group(),
            Kind::Other(gk) => &gk.group,
        }
    }

    /// The kind's name (`Deployment`).
    pub fn kind(&self) -> &str {
        match self {
            Kind::Catalogue(known) | Kind::Whole(known) => known.kind(),
            Kind::Other(gk) => &gk.kind,
        }
    }

    /// The catalogue kind this is, as the catalogue's checks read it (not its whole copies).
    pub fn catalogue(&self) -> Option<CatalogueKind> {
        match self {
            Kind::Catalogue(known) => Some(*known),
            Kind::Other(_) | Kind::Whole(_) => None,
        }
    }

    /// The kind itself: `Deployment.apps` for the whole copies of Deployments too.
    pub fn of_objects(&self) -> Kind {
        match self {
            Kind::Whole(known) => Kind::Catalogue(*known),
            other => other.clone(),
        }
    }

    /// Whether `key` is this kind's string key, without building it.
    pub fn is_key(&self, key: &str) -> bool {
        match self {
            Kind::Catalogue(known) => known.key() == key,
            Kind::Other(gk) => key_names(key, &gk.group, &gk.kind),
            Kind::Whole(known) => key.strip_suffix(WHOLE_SUFFIX) == Some(known.key()),
        }
    }

    /// The scope when it is known without asking the cluster: catalogue kinds and a list of
    /// well-known cluster-scoped ones. `None`: ask discovery or the manifests' CRDs.
    pub fn known_scope(&self) -> Option<KindScope> {
        match self {
            Kind::Catalogue(known) | Kind::Whole(known) => Some(known.info().scope),
            Kind::Other(gk) => WELL_KNOWN_CLUSTER_SCOPED
                .iter()
                .any(|key| key_names(key, &gk.group, &gk.kind))
                .then_some(KindScope::Cluster),
        }
    }

    /// Cluster-scoped as far as is known here; unknown kinds count as namespaced.
    pub fn is_cluster_scoped(&self) -> bool {
        self.known_scope() == Some(KindScope::Cluster)
    }
}

impl From<CatalogueKind> for Kind {
    fn from(known: CatalogueKind) -> Kind {
        Kind::Catalogue(known)
    }
}

impl From<&str> for Kind {
    fn from(key: &str) -> Kind {
        Kind::from_key(key)
    }
}

impl From<&&str> for Kind {
    fn from(key: &&str) -> Kind {
        Kind::from_key(key)
    }
}

impl From<&String> for Kind {
    fn from(key: &String) -> Kind {
        Kind::from_key(key)
    }
}

impl From<String> for Kind {
    fn from(key: String) -> Kind {
        Kind::from_key(&key)
    }
}

impl From<Cow<'_, str>> for Kind {
    fn from(key: Cow<'_, str>) -> Kind {
        Kind::from_key(&key)
    }
}

impl From<&Kind> for Kind {
    fn from(kind: &Kind) -> Kind {
        kind.clone()
    }
}

/// Comparing with a string key (`object.kind_key == kinds::SECRET`), without building one.
impl PartialEq<str> for Kind {
    fn eq(&self, key: &str) -> bool {
        self.is_key(key)
    }
}

impl PartialEq<&str> for Kind {
    fn eq(&self, key: &&str) -> bool {
        self.is_key(key)
    }
}

impl PartialEq<CatalogueKind> for Kind {
    fn eq(&self, known: &CatalogueKind) -> bool {
        *self == Kind::Catalogue(*known)
    }
}

impl PartialEq<String> for Kind {
    fn eq(&self, key: &String) -> bool {
        self.is_key(key)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Catalogue(known) => f.write_str(known.key()),
            Kind::Other(gk) if gk.group.is_empty() => f.write_str(&gk.kind),
            Kind::Other(gk) => write!(f, "{}.{}", gk.kind, gk.group),
            Kind::Whole(known) => write!(f, "{}{WHOLE_SUFFIX}", known.key()),
        }
    }
}

/// The group part of an apiVersion (`apps/v1` -> `apps`, `v1` -> ``).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

/// The string key of a kind: `Kind` for the core group, `Kind.group` otherwise.
fn key_of(group: &str, kind: &str) -> String {
    if group.is_empty() { kind.to_owned() } else { format!("{kind}.{group}") }
}

/// Whether `key` is the string key of group/kind, without building it.
fn key_names(key: &str, group: &str, kind: &str) -> bool {
    match key.split_once('.') {
        Some((k, g)) => k == kind && g == group,
        None => group.is_empty() && key == kind,
    }
}

/// The namespace part of an index key: `""` stands for "cluster-scoped, or no namespace". The
/// one place that decides it, for the offline inventory and the live cache alike.
pub fn namespace_key(namespace: Option<&str>) -> &str {
    namespace.unwrap_or_default()
}

/// The inverse of [`namespace_key`].
pub fn namespace_of_key(key: &str) -> Option<&str> {
    (!key.is_empty()).then_some(key)
}

/// One object's identity: kind, namespace (`None` for cluster-scoped) and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    pub kind: Kind,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    /// An empty namespace is no namespace.
    pub fn new(kind: impl Into<Kind>, namespace: Option<&str>, name: &str) -> ObjectRef {
        ObjectRef {
            kind: kind.into(),
            namespace: namespace.and_then(namespace_of_key).map(str::to_owned),
            name: name.to_owned(),
        }
    }

    /// The namespace part of the index key (see [`namespace_key`]).
    pub fn namespace_key(&self) -> &str {
        namespace_key(self.namespace.as_deref())
    }

    /// `deployment/api`: how messages name the objects they judged.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.kind.kind().to_ascii_lowercase(), self.name)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn catalogue_kinds_round_trip_through_their_keys() {
        for known in CatalogueKind::ALL {
            let kind = Kind::from(*known);
            assert_eq!(Kind::from_key(&kind.key()), kind, "{known:?}");
            assert_eq!(Kind::new(known.group(), known.kind()), kind);
            assert_eq!(kind.to_string(), known.key());
            assert_eq!(Kind::of(&known.api_version(), known.kind()), kind);
        }
        let keys: HashSet<&str> = CatalogueKind::ALL.iter().map(|k| k.key()).collect();
        assert_eq!(keys.len(), CatalogueKind::ALL.len(), "keys are unique");
    }

    #[test]
    fn other_kinds_normalize_to_the_catalogue_when_they_name_one() {
        assert_eq!(Kind::of("apps/v1beta2", "Deployment"), Kind::Catalogue(CatalogueKind::Deployment));
        assert_eq!(Kind::from_key("Deployment.apps"), Kind::Catalogue(CatalogueKind::Deployment));
        let monitor = Kind::of("monitoring.coreos.com/v1", "ServiceMonitor");
        assert_eq!(monitor.catalogue(), None);
        assert_eq!(monitor.key(), "ServiceMonitor.monitoring.coreos.com");
        assert_eq!(Kind::from_key("ServiceMonitor.monitoring.coreos.com"), monitor);
        assert_eq!(Kind::of("v1", "ConfigMap").key(), "ConfigMap");
        assert_eq!(Kind::from_key("ConfigMap").group(), "");
    }

    #[test]
    fn whole_copies_have_a_key_of_their_own_and_compare_with_strings() {
        let whole = Kind::Whole(CatalogueKind::Deployment);
        assert_eq!(whole.key(), "Deployment.apps/whole");
        assert_eq!(Kind::from_key("Deployment.apps/whole"), whole);
        assert_eq!(whole.to_string(), "Deployment.apps/whole");
        assert_eq!((whole.kind(), whole.group(), whole.catalogue()), ("Deployment", "apps", None));
        assert_eq!(whole.of_objects(), Kind::Catalogue(CatalogueKind::Deployment));
        assert_eq!(whole.known_scope(), Some(KindScope::Namespaced));
        assert!(whole == "Deployment.apps/whole" && whole != "Deployment.apps");
        let deployment = Kind::from(CatalogueKind::Deployment);
        assert!(deployment == "Deployment.apps" && deployment != "Deployment.apps/whole");
        let monitor = Kind::of("monitoring.coreos.com/v1", "ServiceMonitor");
        assert!(monitor == "ServiceMonitor.monitoring.coreos.com" && monitor != "ServiceMonitor");
        assert!(Kind::of("v1", "ConfigMap") == "ConfigMap");
    }

    #[test]
    fn scope_is_known_for_the_catalogue_and_well_known_kinds_only() {
        assert!(Kind::from(CatalogueKind::ClusterRole).is_cluster_scoped());
        assert!(!Kind::from(CatalogueKind::Deployment).is_cluster_scoped());
        assert_eq!(Kind::of("storage.k8s.io/v1", "StorageClass").known_scope(), Some(KindScope::Cluster));
        assert_eq!(Kind::of("example.com/v1", "Widget").known_scope(), None);
        assert_eq!(CatalogueKind::HorizontalPodAutoscaler.api_version(), "autoscaling/v2");
        assert_eq!(CatalogueKind::Service.api_version(), "v1");
    }

    #[test]
    fn object_refs_build_the_namespace_key_in_one_place() {
        let api = ObjectRef::new(CatalogueKind::Deployment, Some("novacron"), "api");
        assert_eq!(api.namespace_key(), "novacron");
        assert_eq!(api.reference(), "deployment/api");
        assert_eq!(api.to_string(), "Deployment.apps novacron/api");
        let view = ObjectRef::new("ClusterRole.rbac.authorization.k8s.io", Some(""), "view");
        assert_eq!(view.namespace, None);
        assert_eq!(view.namespace_key(), "");
        assert_eq!(view.to_string(), "ClusterRole.rbac.authorization.k8s.io view");
        assert_eq!(namespace_of_key(view.namespace_key()), None);
    }
}
