//! Fixtures for the webhook tests: checklists fed through a reflector store, AdmissionReviews,
//! and a one-shot call into the in-process router.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use jiff::{SignedDuration, Timestamp};
use kube::core::DynamicObject;
use kube::core::admission::AdmissionReview;
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher;
use readygate::api::ReadinessChecklist;
use readygate::webhook::{AdmissionService, EventSink, OverrideEvent, WebhookMetrics, WebhookState, router};
use serde_json::{Value, json};
use tower::ServiceExt;

/// A checklist in `shop` gating `app=api` with Enforce, evaluated a minute ago.
pub fn checklist(name: &str, decision: &str, blocking: &[&str]) -> Value {
    json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": name, "namespace": "shop", "generation": 1, "uid": format!("uid-{name}")},
        "spec": {
            "release": "v1.0.0",
            "gate": {"selector": {"matchLabels": {"app": "api"}}, "enforcement": "Enforce",
                     "overrideGroups": ["sre-oncall"]},
            "items": [{"name": "cto-signoff", "severity": "Critical",
                       "check": {"manual": {"approvers": {"groups": ["cto"]}, "validFor": "7d"}}}]
        },
        "status": {"decision": decision, "observedGeneration": 1, "blocking": blocking,
                   "lastEvaluationTime": (Timestamp::now() - SignedDuration::from_secs(60)).to_string()}
    })
}

/// A reflector store holding `checklists`, filled the way a watcher fills it (and therefore
/// marked ready).
pub fn store_of(checklists: Vec<Value>) -> (Store<ReadinessChecklist>, reflector::store::Writer<ReadinessChecklist>) {
    let mut writer = reflector::store::Writer::<ReadinessChecklist>::default();
    writer.apply_watcher_event(&watcher::Event::Init);
    for checklist in checklists {
        let checklist: ReadinessChecklist = serde_json::from_value(checklist).expect("valid checklist");
        writer.apply_watcher_event(&watcher::Event::InitApply(checklist));
    }
    writer.apply_watcher_event(&watcher::Event::InitDone);
    (writer.as_reader(), writer)
}

pub fn state_of(checklists: Vec<Value>, events: Arc<dyn EventSink>) -> WebhookState {
    // Once initialised, the store stays readable (and ready) after its writer is gone.
    let (store, _writer) = store_of(checklists);
    WebhookState::from_store(store, events)
}

pub fn app(state: WebhookState, metrics: WebhookMetrics) -> AdmissionService {
    router(state, metrics, Duration::from_secs(10))
}

/// `deployment/api` in `shop` (labels app=api) by alice (group dev).
pub fn deployment_request(operation: &str) -> Value {
    let object = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop", "labels": {"app": "api"}},
        "spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "api"}},
                 "spec": {"containers": [{"name": "api", "image": "api:2"}]}}}
    });
    let mut old = object.clone();
    old["spec"]["template"]["spec"]["containers"][0]["image"] = json!("api:1");
    json!({
        "uid": "e911857d-c318-11e8-bbad-025000000001",
        "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
        "name": "api", "namespace": "shop", "operation": operation,
        "userInfo": {"username": "alice", "groups": ["dev", "system:authenticated"]},
        "object": object,
        "oldObject": if operation == "UPDATE" { old } else { Value::Null },
        "dryRun": false
    })
}

pub fn review(request: Value) -> String {
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}).to_string()
}

pub async fn post(app: &AdmissionService, path: &str, body: impl Into<Body>) -> (StatusCode, Vec<u8>) {
    let request = Request::post(path).header("content-type", "application/json").body(body.into()).expect("request");
    let response = app.clone().oneshot(request).await.expect("router is infallible");
    let status = response.status();
    (status, response.into_body().collect().await.expect("body").to_bytes().to_vec())
}

/// The response, read with kube-rs' own types (what a Rust client of the webhook would use),
/// after checking the envelope the API server requires.
pub fn answer(body: &[u8]) -> (AdmissionReview<DynamicObject>, Value) {
    let raw: Value = serde_json::from_slice(body).expect("response is JSON");
    assert_eq!(raw["apiVersion"], "admission.k8s.io/v1", "{raw}");
    assert_eq!(raw["kind"], "AdmissionReview", "{raw}");
    let review: AdmissionReview<DynamicObject> = serde_json::from_value(raw.clone()).expect("kube reads it");
    assert!(review.response.is_some(), "{raw}");
    (review, raw["response"].clone())
}

/// Keeps the overrides the webhook honoured, to assert an Event was (or was not) emitted.
#[derive(Debug, Default)]
pub struct MemoryEvents(Mutex<Vec<OverrideEvent>>);

impl MemoryEvents {
    pub fn recorded(&self) -> Vec<OverrideEvent> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl EventSink for MemoryEvents {
    fn override_used(&self, event: &OverrideEvent) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(event.clone());
    }
}
