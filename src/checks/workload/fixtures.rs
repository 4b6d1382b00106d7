//! Test fixtures: workloads that meet every rule, to be broken one field at a time.

use serde_json::{Value, json};

use crate::api::WorkloadCheck;
use crate::checks::Outcome;
use crate::checks::fixtures::{self, World, object, resource};
use crate::inventory::Object;
use crate::inventory::view::WorkloadView;

/// A container meeting every rule: probes, resources, preStop, pinned image, non-root.
pub fn good_container(name: &str) -> Value {
    json!({
        "name": name,
        "image": format!("registry.example.com:5000/shop/{name}:1.4.2"),
        "ports": [{"name": "http", "containerPort": 8080}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
        "livenessProbe": {"httpGet": {"path": "/live", "port": "http"}},
        "startupProbe": {"httpGet": {"path": "/live", "port": "http"}},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}},
        "lifecycle": {"preStop": {"sleep": {"seconds": 5}}},
        "env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
        "securityContext": {"runAsNonRoot": true}
    })
}

/// A workload of `kind` named `name` whose pods carry `app: name` and run `containers`.
pub fn workload(kind: &str, name: &str, containers: Vec<Value>) -> Object {
    let mut spec = json!({
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"terminationGracePeriodSeconds": 45, "containers": containers}
        }
    });
    match kind {
        "Deployment" => {
            spec["replicas"] = json!(3);
            spec["strategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}});
        }
        "StatefulSet" => {
            spec["replicas"] = json!(3);
            spec["serviceName"] = json!(name);
        }
        _ => {
            spec["updateStrategy"] =
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}})
        }
    }
    object(json!({"apiVersion": "apps/v1", "kind": kind,
                  "metadata": {"name": name, "labels": {"app": name, "tier": "backend"}}, "spec": spec}))
}

pub fn deployment(name: &str) -> Object {
    workload("Deployment", name, vec![good_container(name)])
}

/// Sets (or with `Value::Null`, removes) the field of the object at a JSON pointer.
pub fn set(object: &mut Object, pointer: &str, value: Value) {
    fixtures::set(&mut object.data, pointer, value);
}

/// The typed view the checks read of a workload built here.
pub fn view(object: &Object) -> WorkloadView {
    crate::inventory::view::from_value(&object.data, || object.reference()).expect("a readable workload")
}

pub fn pdb(name: &str, api_version: &str, spec: Value) -> Object {
    resource(api_version, "PodDisruptionBudget", name, json!({"spec": spec}))
}

pub fn check(spec: Value) -> WorkloadCheck {
    serde_json::from_value(spec).expect("valid workload check")
}

pub fn run(spec: &WorkloadCheck, objects: Vec<Object>) -> Outcome {
    super::evaluate(spec, &World::new(objects).scope())
}
