//! The real AdmissionReview corpus (`../shared/corpus/admission`): kubewarden's Deployment,
//! Service, Ingress, Pod, CronJob and Namespace requests and the Kubernetes API round-trip
//! fixtures. Every file gets a well-formed answer on every path; Deployments are gated.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::StatusCode;
use readygate::webhook::{CHECKLISTS_PATH, LogOnlyEvents, SIGNOFFS_PATH, WORKLOADS_PATH, WebhookMetrics};
use serde_json::{Value, json};

use crate::support::{answer, app, checklist, post};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/admission");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("notice: {} is absent; skipping the admission corpus tests", dir.display());
        None
    }
}

/// Every corpus file: (name, body to send). Kubewarden's bare AdmissionRequests are wrapped in
/// a v1 AdmissionReview; everything else is sent byte for byte.
fn bodies(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for folder in ["kubewarden-policies", "kubewarden-policy-server", "kubernetes-api-testdata"] {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(dir.join(folder)).expect("corpus folder").map(|e| e.expect("entry").path()).collect();
        entries.sort();
        for path in entries {
            let bytes = std::fs::read(&path).expect("corpus file");
            let name = format!("{folder}/{}", path.file_name().expect("name").to_string_lossy());
            let bare_request = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .filter(|v| v.get("request").is_none() && v.get("uid").is_some());
            let body = match bare_request {
                Some(request) => {
                    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request})
                        .to_string()
                        .into_bytes()
                }
                None => bytes,
            };
            files.push((name, body));
        }
    }
    assert!(files.len() >= 40, "corpus looks incomplete: {} files", files.len());
    files
}

/// A NoGo checklist gating every workload of namespace `default`.
fn nogo_everything() -> Value {
    let mut nogo = checklist("release", "NoGo", &["cto-signoff"]);
    nogo["metadata"]["namespace"] = json!("default");
    nogo["spec"]["gate"]["selector"] = json!({});
    nogo
}

fn request_of(body: &[u8]) -> Option<Value> {
    serde_json::from_slice::<Value>(body).ok()?.get("request").cloned()
}

#[tokio::test]
async fn every_corpus_file_gets_a_well_formed_answer_on_every_path() {
    let Some(dir) = corpus() else { return };
    let app =
        app(crate::support::state_of(vec![nogo_everything()], Arc::new(LogOnlyEvents)), WebhookMetrics::unregistered());
    for (name, body) in bodies(&dir) {
        for path in [WORKLOADS_PATH, SIGNOFFS_PATH, CHECKLISTS_PATH] {
            let (status, answer_body) = post(&app, path, body.clone()).await;
            if status == StatusCode::OK {
                let (review, _) = answer(&answer_body);
                let uid = request_of(&body).and_then(|r| r["uid"].as_str().map(str::to_owned));
                assert_eq!(Some(review.response.expect("response").uid), uid, "{name} on {path}");
            } else {
                assert_eq!(status, StatusCode::BAD_REQUEST, "{name} on {path}");
                assert!(!answer_body.is_empty(), "{name} on {path}: a 400 says why");
            }
        }
    }
}

#[tokio::test]
async fn kubewarden_deployment_creates_are_gated_by_the_namespace_checklists() {
    let Some(dir) = corpus() else { return };
    let nogo =
        app(crate::support::state_of(vec![nogo_everything()], Arc::new(LogOnlyEvents)), WebhookMetrics::unregistered());
    let mut go_checklist = nogo_everything();
    go_checklist["status"]["decision"] = json!("Go");
    go_checklist["status"]["blocking"] = json!([]);
    let go = app(crate::support::state_of(vec![go_checklist], Arc::new(LogOnlyEvents)), WebhookMetrics::unregistered());
    let mut judged = 0;
    for (name, body) in bodies(&dir) {
        let Some(request) = request_of(&body) else { continue };
        let is_deployment_create = request["kind"]["kind"] == "Deployment" && request["operation"] == "CREATE";
        if !is_deployment_create || request["namespace"] != "default" {
            continue;
        }
        let (_, denied) = post(&nogo, WORKLOADS_PATH, body.clone()).await;
        let (_, response) = answer(&denied);
        assert_eq!(response["allowed"], false, "{name}");
        assert!(response["status"]["message"].as_str().expect("message").contains("default/release is NoGo"), "{name}");
        let (_, admitted) = post(&go, WORKLOADS_PATH, body).await;
        assert_eq!(answer(&admitted).1["allowed"], true, "{name}");
        judged += 1;
    }
    assert!(judged >= 15, "only {judged} Deployment CREATEs judged");
}

#[tokio::test]
async fn kubewarden_updates_without_template_change_and_deletes_pass_a_nogo_gate() {
    let Some(dir) = corpus() else { return };
    let app =
        app(crate::support::state_of(vec![nogo_everything()], Arc::new(LogOnlyEvents)), WebhookMetrics::unregistered());
    for name in ["echo__update_accept.json", "echo__update_reject.json", "echo__delete_accept.json"] {
        let body = bodies(&dir).into_iter().find(|(n, _)| n.ends_with(name)).expect("corpus file").1;
        let (_, answer_body) = post(&app, WORKLOADS_PATH, body).await;
        assert_eq!(answer(&answer_body).1["allowed"], true, "{name}");
    }
}

#[tokio::test]
async fn the_api_round_trip_fixtures_are_answered_not_crashed_on() {
    let Some(dir) = corpus() else { return };
    let app = app(crate::support::state_of(vec![], Arc::new(LogOnlyEvents)), WebhookMetrics::unregistered());
    let v1 = std::fs::read(dir.join("kubernetes-api-testdata/admission.k8s.io.v1.AdmissionReview.json")).expect("v1");
    for path in [WORKLOADS_PATH, SIGNOFFS_PATH, CHECKLISTS_PATH] {
        let (status, body) = post(&app, path, v1.clone()).await;
        assert_eq!(status, StatusCode::OK);
        let (review, _) = answer(&body);
        let response = review.response.expect("response");
        assert_eq!(response.uid, "uidValue");
        assert!(response.allowed, "kind `kindValue` is not ours to judge");
    }
    let v1beta1 = std::fs::read(dir.join("kubernetes-api-testdata/admission.k8s.io.v1beta1.AdmissionReview.json"))
        .expect("v1beta1");
    let (status, body) = post(&app, WORKLOADS_PATH, v1beta1).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("admission.k8s.io/v1 only"));
}
