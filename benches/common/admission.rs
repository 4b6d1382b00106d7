//! The request both webhook benches send: a ~9.7 KB AdmissionReview for a Deployment UPDATE that
//! changes the pod template, as the API server sends it after a GitOps sync, and the webhook
//! state that admits it (one Go checklist gating the Deployment with `bindRelease`).

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use jiff::{SignedDuration, Timestamp};
use kube::runtime::{reflector, watcher};
use readygate::api::ReadinessChecklist;
use readygate::webhook::{AdmissionService, LogOnlyEvents, WORKLOADS_PATH, WebhookState};
use serde_json::{Value, json};

/// The webhook's state: one Go checklist gating the Deployment with `bindRelease`.
pub fn webhook_state() -> WebhookState {
    let mut writer = reflector::store::Writer::<ReadinessChecklist>::default();
    writer.apply_watcher_event(&watcher::Event::Init);
    let checklist: ReadinessChecklist = serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": "shop", "generation": 1, "uid": "1"},
        "spec": {"release": "v1.4.2", "items": [{"name": "cto-signoff", "severity": "Critical",
                 "check": {"manual": {"approvers": {"groups": ["cto"]}}}}],
                 "gate": {"selector": {"matchLabels": {"app.kubernetes.io/part-of": "shop"}}, "bindRelease": true}},
        "status": {"decision": "Go", "observedGeneration": 1,
                   "lastEvaluationTime": (Timestamp::now() - SignedDuration::from_secs(5)).to_string()}
    }))
    .expect("checklist");
    writer.apply_watcher_event(&watcher::Event::InitApply(checklist));
    writer.apply_watcher_event(&watcher::Event::InitDone);
    WebhookState::from_store(writer.as_reader(), Arc::new(LogOnlyEvents))
}

/// One admission through the service, without TLS or sockets: the body in, the answer's bytes out.
pub async fn admit_in_process(service: &AdmissionService, body: Bytes) -> Bytes {
    let request = hyper::Request::post(WORKLOADS_PATH).body(axum::body::Body::from(body)).expect("request");
    let response = service.handle(request).await;
    response.into_body().collect().await.map(|collected| collected.to_bytes()).unwrap_or_default()
}

/// A Deployment as the API server sends it after a server-side apply by a GitOps controller:
/// managedFields, an app container and a sidecar with env, probes and resources, status. The
/// UPDATE changes the app image, so the request is gated and fully judged.
fn deployment(image: &str) -> Value {
    let env: Vec<Value> = (0..6)
        .map(|i| json!({"name": format!("SHOP_SETTING_{i}"), "value": format!("value-{i}-with-some-length")}))
        .collect();
    let container = |name: &str, image: &str, port: i64| {
        json!({
            "name": name, "image": image, "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
            "env": env,
            "envFrom": [{"secretRef": {"name": format!("{name}-secrets")}}],
            "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
            "readinessProbe": {"httpGet": {"path": "/ready", "port": port, "scheme": "HTTP"},
                               "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
            "livenessProbe": {"httpGet": {"path": "/live", "port": port, "scheme": "HTTP"},
                              "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
            "lifecycle": {"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 5"]}}},
            "securityContext": {"runAsNonRoot": true, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
                                "capabilities": {"drop": ["ALL"]}},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "config", "mountPath": "/etc/shop", "readOnly": true}]
        })
    };
    let labels = json!({"app": "api", "app.kubernetes.io/name": "api", "app.kubernetes.io/part-of": "shop",
                        "app.kubernetes.io/version": "v1.4.2", "app.kubernetes.io/managed-by": "argocd"});
    let template = json!({
        "metadata": {"labels": labels, "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9102"}},
        "spec": {
            "serviceAccountName": "api", "terminationGracePeriodSeconds": 45, "restartPolicy": "Always",
            "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
            "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "fsGroup": 10001},
            "containers": [container("api", image, 8080), json!({"name": "statsd-exporter", "image": "prom/statsd-exporter:v0.26.1",
                "ports": [{"name": "metrics", "containerPort": 9102, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}}})],
            "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "config", "configMap": {"name": "api-config", "defaultMode": 420}}],
            "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100,
                "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "api"}}, "topologyKey": "kubernetes.io/hostname"}}]}},
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
        }
    });
    let spec = json!({
        "replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
        "selector": {"matchLabels": {"app": "api"}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
        "template": template
    });
    let managed = json!([
        {"manager": "argocd-controller", "operation": "Apply", "apiVersion": "apps/v1", "time": "2026-11-25T09:58:00Z",
         "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}, "f:app.kubernetes.io/name": {},
            "f:app.kubernetes.io/part-of": {}, "f:app.kubernetes.io/version": {}}},
            "f:spec": {"f:replicas": {}, "f:selector": {}, "f:strategy": {"f:rollingUpdate": {"f:maxSurge": {}, "f:maxUnavailable": {}},
            "f:type": {}}, "f:template": {"f:metadata": {"f:labels": {"f:app": {}}}, "f:spec": {"f:containers": {
            "k:{\"name\":\"api\"}": {".": {}, "f:env": {}, "f:image": {}, "f:name": {}, "f:ports": {}, "f:resources": {}}}}}}}},
        {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-11-25T09:59:00Z",
         "fieldsType": "FieldsV1", "subresource": "status", "fieldsV1": {"f:metadata": {"f:annotations": {
            "f:deployment.kubernetes.io/revision": {}}}, "f:status": {"f:availableReplicas": {}, "f:conditions": {},
            "f:observedGeneration": {}, "f:readyReplicas": {}, "f:replicas": {}, "f:updatedReplicas": {}}}}
    ]);
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {
            "name": "api", "namespace": "shop", "uid": "5d4e1a5c-1c9b-4a3e-9a43-2f0c1b7e8d11",
            "resourceVersion": "4811923", "generation": 42, "creationTimestamp": "2026-01-12T08:30:00Z",
            "labels": labels,
            "annotations": {"deployment.kubernetes.io/revision": "41"},
            "managedFields": managed
        },
        "spec": spec,
        "status": {"observedGeneration": 42, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3,
                   "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                                  {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}
    })
}

pub fn admission_review() -> Vec<u8> {
    json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "requestKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "requestResource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "name": "api", "namespace": "shop", "operation": "UPDATE",
            "userInfo": {"username": "system:serviceaccount:argocd:argocd-application-controller",
                         "uid": "2b5a1e2f-0b4c-4d8e-9b1a-7c6d5e4f3a2b",
                         "groups": ["system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"]},
            "object": deployment("registry.example.com/shop/api:v1.4.2"),
            "oldObject": deployment("registry.example.com/shop/api:v1.4.1"),
            "dryRun": false,
            "options": {"kind": "UpdateOptions", "apiVersion": "meta.k8s.io/v1", "fieldManager": "argocd-controller"}
        }
    })
    .to_string()
    .into_bytes()
}
