//! String keys of the kinds the catalogue reads. Every lookup that names a kind
//! (`Inventory::get`, `checks::select`) takes them as `impl Into<Kind>`, and [`super::Kind`]
//! compares equal to them; the typed identities are in [`super::kind`].

use super::kind::CatalogueKind;

pub const DEPLOYMENT: &str = CatalogueKind::Deployment.key();
pub const STATEFUL_SET: &str = CatalogueKind::StatefulSet.key();
pub const DAEMON_SET: &str = CatalogueKind::DaemonSet.key();
pub const SERVICE: &str = CatalogueKind::Service.key();
pub const SECRET: &str = CatalogueKind::Secret.key();
pub const NAMESPACE: &str = CatalogueKind::Namespace.key();
pub const RESOURCE_QUOTA: &str = CatalogueKind::ResourceQuota.key();
pub const LIMIT_RANGE: &str = CatalogueKind::LimitRange.key();
pub const INGRESS: &str = CatalogueKind::Ingress.key();
pub const NETWORK_POLICY: &str = CatalogueKind::NetworkPolicy.key();
pub const HPA: &str = CatalogueKind::HorizontalPodAutoscaler.key();
pub const PDB: &str = CatalogueKind::PodDisruptionBudget.key();
pub const CRON_JOB: &str = CatalogueKind::CronJob.key();
pub const ROLE: &str = CatalogueKind::Role.key();
pub const CLUSTER_ROLE: &str = CatalogueKind::ClusterRole.key();
pub const ROLE_BINDING: &str = CatalogueKind::RoleBinding.key();
pub const CLUSTER_ROLE_BINDING: &str = CatalogueKind::ClusterRoleBinding.key();
pub const CERTIFICATE: &str = CatalogueKind::Certificate.key();
pub const ISSUER: &str = CatalogueKind::Issuer.key();
pub const CLUSTER_ISSUER: &str = CatalogueKind::ClusterIssuer.key();
pub const CHECKLIST: &str = CatalogueKind::ReadinessChecklist.key();
pub const SIGNOFF: &str = CatalogueKind::ReadinessSignoff.key();

/// The three workload kinds `workload` and `networkPolicy` judge.
pub const WORKLOADS: [&str; 3] = [DEPLOYMENT, STATEFUL_SET, DAEMON_SET];
