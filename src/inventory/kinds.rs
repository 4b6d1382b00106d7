//! Index keys of the kinds the catalogue reads, and which of them are cluster-scoped.

pub const DEPLOYMENT: &str = "Deployment.apps";
pub const STATEFUL_SET: &str = "StatefulSet.apps";
pub const DAEMON_SET: &str = "DaemonSet.apps";
pub const SERVICE: &str = "Service";
pub const SECRET: &str = "Secret";
pub const NAMESPACE: &str = "Namespace";
pub const RESOURCE_QUOTA: &str = "ResourceQuota";
pub const LIMIT_RANGE: &str = "LimitRange";
pub const INGRESS: &str = "Ingress.networking.k8s.io";
pub const NETWORK_POLICY: &str = "NetworkPolicy.networking.k8s.io";
pub const HPA: &str = "HorizontalPodAutoscaler.autoscaling";
pub const PDB: &str = "PodDisruptionBudget.policy";
pub const CRON_JOB: &str = "CronJob.batch";
pub const ROLE: &str = "Role.rbac.authorization.k8s.io";
pub const CLUSTER_ROLE: &str = "ClusterRole.rbac.authorization.k8s.io";
pub const ROLE_BINDING: &str = "RoleBinding.rbac.authorization.k8s.io";
pub const CLUSTER_ROLE_BINDING: &str = "ClusterRoleBinding.rbac.authorization.k8s.io";
pub const CERTIFICATE: &str = "Certificate.cert-manager.io";
pub const ISSUER: &str = "Issuer.cert-manager.io";
pub const CLUSTER_ISSUER: &str = "ClusterIssuer.cert-manager.io";
pub const CHECKLIST: &str = "ReadinessChecklist.readygate.io";
pub const SIGNOFF: &str = "ReadinessSignoff.readygate.io";

/// The three workload kinds `workload` and `networkPolicy` judge.
pub const WORKLOADS: [&str; 3] = [DEPLOYMENT, STATEFUL_SET, DAEMON_SET];

/// Cluster-scoped kinds among those a manifest set commonly holds. Anything else is treated as
/// namespaced, as `kubectl apply` would do for an unknown kind until discovery says otherwise.
const CLUSTER_SCOPED: &[&str] = &[
    NAMESPACE,
    CLUSTER_ROLE,
    CLUSTER_ROLE_BINDING,
    CLUSTER_ISSUER,
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

pub fn is_cluster_scoped(kind_key: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind_key)
}

/// Splits `Kind.group` back into (group, kind).
pub fn split_key(kind_key: &str) -> (&str, &str) {
    match kind_key.split_once('.') {
        Some((kind, group)) => (group, kind),
        None => ("", kind_key),
    }
}
