//! Test fixtures: workloads that meet every rule, to be broken one field at a time.

use serde_json::{Value, json};

use super::super::{Facts, Outcome, Scope};
use crate::api::WorkloadCheck;
use crate::inventory::{Inventory, Object};

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
    Object::from_value(
        json!({"apiVersion": "apps/v1", "kind": kind,
               "metadata": {"name": name, "namespace": "shop", "labels": {"app": name, "tier": "backend"}},
               "spec": spec}),
        None,
    )
    .expect("valid workload")
}

pub fn deployment(name: &str) -> Object {
    workload("Deployment", name, vec![good_container(name)])
}

/// Sets (or with `Value::Null`, removes) the field at a JSON pointer, creating parents.
pub fn set(object: &mut Object, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer with a parent");
    let mut target = &mut object.data;
    for part in parent.split('/').skip(1) {
        target = match target {
            Value::Array(items) => &mut items[part.parse::<usize>().expect("array index")],
            other => &mut other[part],
        };
    }
    if value.is_null() {
        if let Some(map) = target.as_object_mut() {
            map.remove(key);
        }
    } else if let Value::Array(items) = target {
        items[key.parse::<usize>().expect("array index")] = value;
    } else {
        target[key] = value;
    }
}

pub fn pdb(name: &str, api_version: &str, spec: Value) -> Object {
    Object::from_value(
        json!({"apiVersion": api_version, "kind": "PodDisruptionBudget",
               "metadata": {"name": name, "namespace": "shop"}, "spec": spec}),
        None,
    )
    .expect("valid pdb")
}

pub fn check(spec: Value) -> WorkloadCheck {
    serde_json::from_value(spec).expect("valid workload check")
}

pub fn run(spec: &WorkloadCheck, objects: Vec<Object>) -> Outcome {
    let inventory = Inventory::from_objects(objects);
    let facts = Facts::offline();
    let scope = Scope { namespace: "shop", inventory: &inventory, facts: &facts, now: jiff::Timestamp::UNIX_EPOCH };
    super::evaluate(spec, &scope)
}
