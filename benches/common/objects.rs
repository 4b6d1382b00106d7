//! The objects the controller load benchmarks create: namespaces shaped like real application
//! namespaces, with Deployments the size of real ones. Shared by `controller_load` (API double)
//! and `controller_real` (a real kube-apiserver).

use serde_json::{Value, json};

/// Objects per namespace, roughly the mix of a real application namespace.
pub const DEPLOYMENTS: usize = 40;
pub const SERVICES: usize = 30;
pub const HPAS: usize = 15;
pub const PDBS: usize = 10;
/// Plus the Namespace, a NetworkPolicy and a RoleBinding.
pub const PER_NAMESPACE: usize = DEPLOYMENTS + SERVICES + HPAS + PDBS + 3;

/// The objects of namespace `team-<index>`: the Namespace, Deployments, Services, HPAs, PDBs, a
/// NetworkPolicy and a RoleBinding ([`PER_NAMESPACE`] in all).
pub fn namespace(index: usize) -> Vec<Value> {
    let mut objects = Vec::with_capacity(PER_NAMESPACE);
    let ns = format!("team-{index:04}");
    objects.push(json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns, "team": format!("t{}", index % 17)}}}));
    for i in 0..DEPLOYMENTS {
        objects.push(deployment(&ns, &format!("svc-{i:02}"), i));
    }
    for i in 0..SERVICES {
        objects.push(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": format!("svc-{i:02}"), "namespace": ns, "labels": {"app": format!("svc-{i:02}")}},
            "spec": {"type": "ClusterIP", "clusterIP": format!("10.96.{}.{}", index % 250, i), "selector": {"app": format!("svc-{i:02}")},
                     "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
                     "sessionAffinity": "None", "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"]}}));
    }
    for i in 0..HPAS {
        objects.push(hpa(&ns, &format!("svc-{i:02}"), 2 + (i as i64 % 3)));
    }
    for i in 0..PDBS {
        objects.push(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": format!("svc-{i:02}"), "namespace": ns},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": format!("svc-{i:02}")}}},
            "status": {"currentHealthy": 3, "desiredHealthy": 1, "disruptionsAllowed": 2, "expectedPods": 3}}));
    }
    objects.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": ns}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}));
    objects.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "devs", "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"kind": "Group", "name": format!("team-{index}")}]}));
    objects
}

pub fn hpa(ns: &str, name: &str, min: i64) -> Value {
    json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                 "minReplicas": min, "maxReplicas": 10,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]},
        "status": {"currentReplicas": min, "desiredReplicas": min, "currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 41, "averageValue": "205m"}}}]}})
}

/// A Deployment the size of a real one (~6 KB): managedFields, last-applied annotation, status,
/// two containers with env, probes, resources and mounts.
pub fn deployment(ns: &str, name: &str, i: usize) -> Value {
    let container = |cname: &str, port: i64| {
        json!({
            "name": cname, "image": format!("registry.example.com/{name}/{cname}:1.{i}.0"),
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
            "env": [
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": format!("{name}-db"), "key": "url"}}},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317"}
            ],
            "readinessProbe": {"httpGet": {"path": "/ready", "port": "http", "scheme": "HTTP"}, "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
            "livenessProbe": {"httpGet": {"path": "/live", "port": "http", "scheme": "HTTP"}, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
            "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}},
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "config", "mountPath": "/etc/app", "readOnly": true}],
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"
        })
    };
    let spec = json!({
        "replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
        "selector": {"matchLabels": {"app": name}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
        "template": {
            "metadata": {"labels": {"app": name, "app.kubernetes.io/part-of": ns, "version": format!("1.{i}.0")},
                         "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"}},
            "spec": {
                "serviceAccountName": name, "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                "restartPolicy": "Always", "schedulerName": "default-scheduler",
                "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [container("app", 8080), container("sidecar", 9090)],
                "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "config", "configMap": {"name": "config-0", "defaultMode": 420}}],
                "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100,
                    "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": name}}, "topologyKey": "kubernetes.io/hostname"}}]}}
            }
        }
    });
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {
            "name": name, "namespace": ns,
            "labels": {"app": name, "app.kubernetes.io/part-of": ns, "app.kubernetes.io/managed-by": "Helm"},
            "annotations": {
                "deployment.kubernetes.io/revision": "7",
                "meta.helm.sh/release-name": ns,
                "kubectl.kubernetes.io/last-applied-configuration": serde_json::to_string(&json!({"spec": spec})).unwrap_or_default()
            },
            "managedFields": [
                {"manager": "helm", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}, "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {}}}}}},
                {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-01-01T00:00:00Z",
                 "fieldsType": "FieldsV1", "subresource": "status", "fieldsV1": {"f:status": {"f:availableReplicas": {}, "f:conditions": {}}}}
            ]
        },
        "spec": spec,
        "status": {"observedGeneration": 7, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability.", "lastUpdateTime": "2026-01-01T00:00:00Z", "lastTransitionTime": "2026-01-01T00:00:00Z"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"{name}-5d4f8b7c9\" has successfully progressed."), "lastUpdateTime": "2026-01-01T00:00:00Z", "lastTransitionTime": "2026-01-01T00:00:00Z"}
            ]}
    })
}
