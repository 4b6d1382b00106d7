//! Small builders for admission tests: checklists with a stored status, and AdmissionRequests.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::api::ReadinessChecklist;

pub fn now() -> Timestamp {
    "2026-11-25T10:00:00Z".parse().expect("timestamp")
}

fn ago(seconds: i64) -> String {
    (now() - SignedDuration::from_secs(seconds)).to_string()
}

/// A checklist `NAME` in namespace `shop`, gating `app=api` with Enforce, evaluated Go a
/// minute ago for its current generation.
pub struct ChecklistFixture(Value);

pub fn checklist(name: &str) -> ChecklistFixture {
    ChecklistFixture(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": name, "namespace": "shop", "generation": 1, "uid": format!("uid-{name}")},
        "spec": {
            "release": "v1.0.0",
            "gate": {"selector": {"matchLabels": {"app": "api"}}, "enforcement": "Enforce"},
            "items": [
                {"name": "cto-signoff", "severity": "Critical",
                 "check": {"manual": {"approvers": {"groups": ["cto"]}, "validFor": "7d"}}},
                {"name": "autoscaling", "severity": "Critical", "waivableBy": {"groups": ["platform-leads"]},
                 "check": {"horizontalPodAutoscaler": {"target": {"kind": "Deployment", "name": "api"}}}}
            ]
        },
        "status": {"decision": "Go", "observedGeneration": 1, "lastEvaluationTime": ago(60), "blocking": []}
    }))
}

impl ChecklistFixture {
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.0["metadata"]["namespace"] = json!(namespace);
        self
    }

    pub fn enforcement(mut self, enforcement: &str) -> Self {
        self.0["spec"]["gate"]["enforcement"] = json!(enforcement);
        self
    }

    pub fn selector(mut self, selector: Value) -> Self {
        self.0["spec"]["gate"]["selector"] = selector;
        self
    }

    pub fn no_gate(mut self) -> Self {
        if let Some(spec) = self.0["spec"].as_object_mut() {
            spec.remove("gate");
        }
        self
    }

    pub fn decision(mut self, decision: &str, blocking: &[&str]) -> Self {
        self.0["status"]["decision"] = json!(decision);
        self.0["status"]["blocking"] = json!(blocking);
        self
    }

    pub fn evaluated_ago(mut self, seconds: i64) -> Self {
        self.0["status"]["lastEvaluationTime"] = json!(ago(seconds));
        self
    }

    pub fn max_staleness(mut self, staleness: &str) -> Self {
        self.0["spec"]["gate"]["maxStaleness"] = json!(staleness);
        self
    }

    pub fn generations(mut self, generation: i64, observed: i64) -> Self {
        self.0["metadata"]["generation"] = json!(generation);
        self.0["status"]["observedGeneration"] = json!(observed);
        self
    }

    pub fn unevaluated(mut self) -> Self {
        if let Some(checklist) = self.0.as_object_mut() {
            checklist.remove("status");
        }
        self
    }

    pub fn release(mut self, release: Option<&str>) -> Self {
        match release {
            Some(release) => self.0["spec"]["release"] = json!(release),
            None => {
                if let Some(spec) = self.0["spec"].as_object_mut() {
                    spec.remove("release");
                }
            }
        }
        self
    }

    pub fn bind_release(mut self) -> Self {
        self.0["spec"]["gate"]["bindRelease"] = json!(true);
        self
    }

    pub fn override_groups(mut self, groups: &[&str]) -> Self {
        self.0["spec"]["gate"]["overrideGroups"] = json!(groups);
        self
    }

    /// Sets `spec.gate.<field>` (windows, soak time).
    pub fn gate(mut self, field: &str, value: Value) -> Self {
        self.0["spec"]["gate"][field] = value;
        self
    }

    /// Sets `status.history` from `(decision, seconds ago)`, newest first.
    pub fn history(mut self, entries: &[(&str, i64)]) -> Self {
        let history: Vec<Value> =
            entries.iter().map(|(decision, seconds)| json!({"decision": decision, "time": ago(*seconds)})).collect();
        self.0["status"]["history"] = json!(history);
        self
    }

    pub fn build(self) -> Arc<ReadinessChecklist> {
        Arc::new(serde_json::from_value(self.0).expect("valid checklist fixture"))
    }
}

/// An AdmissionRequest (the value of `AdmissionReview.request`) for `deployment/api` in `shop`,
/// by user alice of group dev: labels `app=api`, image `api:1`.
pub struct RequestFixture(Value);

pub fn deployment(operation: &str) -> RequestFixture {
    let object = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop", "labels": {"app": "api"},
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"big\":true}"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "api"}},
                 "template": {"metadata": {"labels": {"app": "api"}},
                              "spec": {"containers": [{"name": "api", "image": "api:1"}]}}},
        "status": {"replicas": 3}
    });
    let old_object = if operation == "UPDATE" || operation == "DELETE" { object.clone() } else { Value::Null };
    let object = if operation == "DELETE" { Value::Null } else { object };
    RequestFixture(json!({
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
        "name": "api", "namespace": "shop", "operation": operation,
        "userInfo": {"username": "alice", "groups": ["dev", "system:authenticated"]},
        "object": object, "oldObject": old_object, "dryRun": false
    }))
}

impl RequestFixture {
    pub fn image(mut self, image: &str) -> Self {
        self.0["object"]["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image);
        self
    }

    pub fn replicas(mut self, replicas: i64) -> Self {
        self.0["object"]["spec"]["replicas"] = json!(replicas);
        self
    }

    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.0["object"]["metadata"]["labels"][key] = json!(value);
        self
    }

    pub fn annotation(mut self, key: &str, value: &str) -> Self {
        self.0["object"]["metadata"]["annotations"][key] = json!(value);
        self
    }

    pub fn user(mut self, username: &str, groups: &[&str]) -> Self {
        self.0["userInfo"] = json!({"username": username, "groups": groups});
        self
    }

    pub fn dry_run(mut self) -> Self {
        self.0["dryRun"] = json!(true);
        self
    }

    pub fn sub_resource(mut self, sub_resource: &str) -> Self {
        self.0["subResource"] = json!(sub_resource);
        self
    }

    pub fn kind(mut self, group: &str, version: &str, kind: &str) -> Self {
        self.0["kind"] = json!({"group": group, "version": version, "kind": kind});
        self
    }

    /// Sets the value at a JSON pointer, creating the last key when missing.
    pub fn set(mut self, pointer: &str, value: Value) -> Self {
        let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
        match self.0.pointer_mut(parent).expect("parent exists") {
            Value::Object(map) => {
                map.insert(key.to_owned(), value);
            }
            slot => *slot.pointer_mut(&format!("/{key}")).expect("index exists") = value,
        }
        self
    }

    pub fn json(&self) -> String {
        self.0.to_string()
    }
}

/// A ReadinessSignoff request by alice (groups cto, dev) approving `cto-signoff` of `release`.
pub fn signoff(operation: &str) -> RequestFixture {
    let object = json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessSignoff",
        "metadata": {"name": "cto-v1", "namespace": "shop", "creationTimestamp": now().to_string()},
        "spec": {"checklist": "release", "item": "cto-signoff", "action": "Approve", "release": "v1.0.0",
                 "reason": "reviewed the plan", "signer": {"username": "alice", "groups": ["cto"]}}
    });
    let old_object = if operation == "CREATE" { Value::Null } else { object.clone() };
    RequestFixture(json!({
        "uid": "s-1",
        "kind": {"group": "readygate.io", "version": "v1alpha1", "kind": "ReadinessSignoff"},
        "resource": {"group": "readygate.io", "version": "v1alpha1", "resource": "readinesssignoffs"},
        "name": "cto-v1", "namespace": "shop", "operation": operation,
        "userInfo": {"username": "alice", "groups": ["cto", "dev", "system:authenticated"]},
        "object": if operation == "DELETE" { Value::Null } else { object },
        "oldObject": old_object
    }))
}

/// A ReadinessChecklist request carrying `spec`.
pub fn checklist_request(operation: &str, spec: Value) -> RequestFixture {
    let object = json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": "shop"},
        "spec": spec
    });
    RequestFixture(json!({
        "uid": "c-1",
        "kind": {"group": "readygate.io", "version": "v1alpha1", "kind": "ReadinessChecklist"},
        "resource": {"group": "readygate.io", "version": "v1alpha1", "resource": "readinesschecklists"},
        "name": "release", "namespace": "shop", "operation": operation,
        "userInfo": {"username": "alice"},
        "object": object.clone(),
        "oldObject": if operation == "UPDATE" { object } else { Value::Null }
    }))
}

/// The verdict denies for `reason` with a message that says `needle`. A failure shows the
/// whole verdict, where three separate asserts would show one field at a time.
#[track_caller]
pub fn assert_denied(verdict: &super::Verdict, reason: super::Reason, needle: &str) {
    assert!(
        !verdict.allowed && verdict.reason == reason && verdict.message.contains(needle),
        "expected a denial for {reason:?} saying {needle:?}, got {verdict:#?}"
    );
}
