//! In-process router scenarios: every path through the real handlers, with checklists served
//! from a reflector store.

use std::sync::Arc;

use axum::http::StatusCode;
use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;
use readygate::webhook::{
    CHECKLISTS_PATH, LogOnlyEvents, MAX_BODY_BYTES, SIGNOFFS_PATH, WORKLOADS_PATH, WebhookMetrics,
};
use serde_json::json;

use crate::support::{MemoryEvents, answer, app, checklist, deployment_request, post, review, state_of};

fn plain_app(checklists: Vec<serde_json::Value>) -> readygate::webhook::AdmissionService {
    app(state_of(checklists, Arc::new(LogOnlyEvents)), WebhookMetrics::unregistered())
}

#[tokio::test]
async fn a_nogo_checklist_from_the_store_denies_a_rollout_with_403_and_echoes_the_uid() {
    let app = plain_app(vec![checklist("release", "NoGo", &["cto-signoff"])]);
    let (status, body) = post(&app, WORKLOADS_PATH, review(deployment_request("UPDATE"))).await;
    assert_eq!(status, StatusCode::OK);
    let (review, response) = answer(&body);
    let response_typed = review.response.expect("response");
    assert_eq!(response_typed.uid, "e911857d-c318-11e8-bbad-025000000001");
    assert!(!response_typed.allowed);
    assert_eq!(response["status"]["code"], 403);
    let message = response["status"]["message"].as_str().expect("message");
    assert!(message.contains("readinesschecklist shop/release is NoGo; blocking: cto-signoff"), "{message}");
    assert!(message.contains("readygate status release -n shop"), "{message}");
    assert_eq!(response["auditAnnotations"]["decision"], "nogo");
    assert_eq!(response["auditAnnotations"]["checklist"], "shop/release");
}

#[tokio::test]
async fn a_go_checklist_admits_the_rollout() {
    let app = plain_app(vec![checklist("release", "Go", &[])]);
    let (_, body) = post(&app, WORKLOADS_PATH, review(deployment_request("CREATE"))).await;
    let (review, response) = answer(&body);
    assert!(review.response.expect("response").allowed);
    assert_eq!(response["auditAnnotations"]["decision"], "go");
}

#[tokio::test]
async fn warn_enforcement_admits_with_warnings_in_the_response() {
    let mut warn = checklist("release", "NoGo", &["cto-signoff"]);
    warn["spec"]["gate"]["enforcement"] = json!("Warn");
    let app = plain_app(vec![warn]);
    let (_, body) = post(&app, WORKLOADS_PATH, review(deployment_request("CREATE"))).await;
    let (review, _) = answer(&body);
    let response = review.response.expect("response");
    assert!(response.allowed);
    let warnings = response.warnings.expect("warnings");
    assert!(warnings[0].contains("enforcement is Warn"), "{warnings:?}");
}

#[tokio::test]
async fn an_override_emits_an_event_unless_dry_run() {
    for (dry_run, expected_events) in [(false, 1), (true, 0)] {
        let events = Arc::new(MemoryEvents::default());
        let app =
            app(state_of(vec![checklist("release", "NoGo", &["x"])], events.clone()), WebhookMetrics::unregistered());
        let mut request = deployment_request("UPDATE");
        request["object"]["metadata"]["annotations"] = json!({"readygate.io/override": "INC-7 hotfix"});
        request["userInfo"] = json!({"username": "bob", "groups": ["sre-oncall"]});
        request["dryRun"] = json!(dry_run);
        let (_, body) = post(&app, WORKLOADS_PATH, review(request)).await;
        let (_, response) = answer(&body);
        assert_eq!(response["allowed"], true);
        assert_eq!(response["auditAnnotations"]["override-reason"], "INC-7 hotfix");
        assert_eq!(events.recorded().len(), expected_events, "dry run {dry_run}");
    }
}

#[tokio::test]
async fn other_kinds_on_the_workloads_path_are_allowed() {
    let app = plain_app(vec![checklist("release", "NoGo", &[])]);
    let mut request = deployment_request("CREATE");
    request["kind"] = json!({"group": "", "version": "v1", "kind": "Service"});
    let (_, body) = post(&app, WORKLOADS_PATH, review(request)).await;
    assert_eq!(answer(&body).1["allowed"], true);
}

#[tokio::test]
async fn a_signoff_for_someone_else_is_refused() {
    let app = plain_app(vec![checklist("release", "NoGo", &["cto-signoff"])]);
    let request = json!({
        "uid": "s-9", "kind": {"group": "readygate.io", "version": "v1alpha1", "kind": "ReadinessSignoff"},
        "namespace": "shop", "name": "cto", "operation": "CREATE",
        "userInfo": {"username": "mallory", "groups": ["dev"]},
        "object": {"metadata": {"name": "cto", "namespace": "shop"},
                   "spec": {"checklist": "release", "item": "cto-signoff", "action": "Approve", "release": "v1.0.0",
                            "reason": "lgtm", "signer": {"username": "alice", "groups": ["cto"]}}}
    });
    let (_, body) = post(&app, SIGNOFFS_PATH, review(request)).await;
    let (_, response) = answer(&body);
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["code"], 403);
    assert!(response["status"]["message"].as_str().expect("message").contains("must be created by its signer"));
}

#[tokio::test]
async fn a_checklist_with_an_unknown_check_kind_is_refused_naming_the_item() {
    let app = plain_app(vec![]);
    let request = json!({
        "uid": "c-9", "kind": {"group": "readygate.io", "version": "v1alpha1", "kind": "ReadinessChecklist"},
        "namespace": "shop", "name": "release", "operation": "CREATE", "userInfo": {"username": "alice"},
        "object": {"apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
                   "metadata": {"name": "release", "namespace": "shop"},
                   "spec": {"items": [{"name": "a", "check": {"manual": {"approvers": {"users": ["x"]}}}},
                                      {"name": "b", "check": {"manual": {"approvers": {"users": ["x"]}}}},
                                      {"name": "c", "check": {"foo": {}}}]}}
    });
    let (_, body) = post(&app, CHECKLISTS_PATH, review(request)).await;
    let (_, response) = answer(&body);
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["code"], 422);
    let message = response["status"]["message"].as_str().expect("message");
    assert!(message.contains(r#"items[2].check: unknown check kind "foo""#), "{message}");
}

#[tokio::test]
async fn malformed_bodies_get_a_clear_400() {
    let app = plain_app(vec![]);
    let cases = [
        ("not json".to_owned(), "not an AdmissionReview JSON object"),
        (
            r#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{}}"#.to_owned(),
            "admission.k8s.io/v1 only",
        ),
        (r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.to_owned(), "has no request"),
        (
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{}}"#.to_owned(),
            "expected kind AdmissionReview",
        ),
        (review(json!({"kind": {}, "operation": "CREATE"})), "no uid to answer to"),
    ];
    for (body, expected) in cases {
        let (status, text) = post(&app, WORKLOADS_PATH, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let text = String::from_utf8_lossy(&text);
        assert!(text.contains(expected), "{body} -> {text}");
    }
}

#[tokio::test]
async fn a_malformed_request_with_a_uid_is_answered_with_a_denial() {
    let app = plain_app(vec![]);
    let (status, body) = post(&app, WORKLOADS_PATH, review(json!({"uid": "u-1", "kind": "Deployment"}))).await;
    assert_eq!(status, StatusCode::OK);
    let (review, response) = answer(&body);
    assert_eq!(review.response.expect("response").uid, "u-1");
    assert_eq!(response["allowed"], false);
    assert!(response["status"]["message"].as_str().expect("message").starts_with("malformed AdmissionRequest"));
}

#[tokio::test]
async fn bodies_over_3_mib_get_413_and_other_methods_405() {
    let app = plain_app(vec![]);
    let (status, _) = post(&app, WORKLOADS_PATH, vec![b'{'; MAX_BODY_BYTES + 1]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let request = axum::http::Request::get(WORKLOADS_PATH).body(axum::body::Body::empty()).expect("request");
    let response = tower::ServiceExt::oneshot(app, request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn admissions_are_counted_by_path_verdict_and_reason() {
    let mut registry = Registry::with_prefix("readygate");
    let metrics = WebhookMetrics::register(&mut registry);
    let app = app(state_of(vec![checklist("release", "NoGo", &[])], Arc::new(LogOnlyEvents)), metrics);
    post(&app, WORKLOADS_PATH, review(deployment_request("CREATE"))).await;
    post(&app, WORKLOADS_PATH, "garbage").await;
    let mut text = String::new();
    encode(&mut text, &registry).expect("encodes");
    assert!(
        text.contains(
            r#"readygate_admission_requests_total{path="/validate/workloads",verdict="denied",reason="nogo"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"reason="malformed"} 1"#), "{text}");
    assert!(text.contains(r#"readygate_admission_duration_seconds_count{path="/validate/workloads"} 2"#), "{text}");
}
