//! The API server double speaks the Kubernetes wire protocol the way kube-rs needs it: these
//! tests drive it with the real `kube::Client`, kube-runtime watchers and kube-lease-manager.

mod support;

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, ObjectReference};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use support::{ApiServerDouble, DoubleConfig, Verb};

// ---- fixtures ----------------------------------------------------------------------------

fn config_map(name: &str, labels: Value) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": {"key": "value"},
    }))
    .unwrap()
}

fn deployment(name: &str, replicas: i32) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]},
            },
        },
    }))
    .unwrap()
}

fn widget_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                "subresources": {"status": {}},
            }],
        },
    })
}

fn widgets(client: Client) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("example.com", "v1", "Widget");
    Api::namespaced_with(client, "default", &ApiResource::from_gvk_with_plural(&gvk, "widgets"))
}

fn widget(name: &str, size: i64) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": name}, "spec": {"size": size},
    }))
    .unwrap()
}

/// The `Status` a failed call carried.
fn status_of<T: std::fmt::Debug>(result: kube::Result<T>) -> kube::core::Status {
    match result {
        Err(kube::Error::Api(status)) => *status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn rv<K: kube::Resource>(obj: &K) -> u64 {
    obj.resource_version().unwrap().parse().unwrap()
}

fn generation<K: kube::Resource>(obj: &K) -> i64 {
    obj.meta().generation.unwrap()
}

/// A reflector over config maps in `default`, driven in the background with the default
/// watcher config and backoff, as a controller would run it.
fn config_map_reflector(client: Client, config: watcher::Config) -> Store<ConfigMap> {
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let (reader, writer) = reflector::store();
    let stream = reflector::reflector(writer, watcher(api, config)).default_backoff().applied_objects();
    tokio::spawn(stream.for_each(|_| async {}));
    reader
}

async fn eventually(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition()
}

fn has(store: &Store<ConfigMap>, name: &str) -> bool {
    store.state().iter().any(|cm| cm.name_any() == name)
}

// ---- basics ------------------------------------------------------------------------------

#[tokio::test]
async fn serves_the_version_it_is_told_to() {
    let double = ApiServerDouble::start().await;
    assert_eq!(double.client().apiserver_version().await.unwrap().git_version, "v1.31.2");
    double.set_version("v1.29.4");
    let info = double.client().apiserver_version().await.unwrap();
    assert_eq!((info.major.as_str(), info.minor.as_str(), info.git_version.as_str()), ("1", "29", "v1.29.4"));
}

#[tokio::test]
async fn creates_gets_lists_and_deletes_a_config_map() {
    let double = ApiServerDouble::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");

    let created = cms.create(&PostParams::default(), &config_map("settings", json!({}))).await.unwrap();
    assert!(created.metadata.uid.is_some() && created.metadata.creation_timestamp.is_some());
    assert_eq!(created.namespace().as_deref(), Some("default"));
    assert_eq!(cms.get("settings").await.unwrap().data, created.data);
    let list = cms.list(&ListParams::default()).await.unwrap();
    assert_eq!(list.items.len(), 1);
    assert_eq!(list.metadata.resource_version, Some(double.resource_version().to_string()));

    let deleted = cms.delete("settings", &DeleteParams::default()).await.unwrap();
    assert_eq!(deleted.left().map(|cm| cm.name_any()).as_deref(), Some("settings"));
    let missing = status_of(cms.get("settings").await);
    assert_eq!((missing.code, missing.reason.as_str()), (404, "NotFound"));
    assert_eq!(missing.message, "configmaps \"settings\" not found");
    assert!(cms.get_opt("settings").await.unwrap().is_none());
    assert_eq!(status_of(cms.delete("settings", &DeleteParams::default()).await).code, 404);
}

#[tokio::test]
async fn rejects_a_duplicate_create_with_already_exists() {
    let double = ApiServerDouble::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    cms.create(&PostParams::default(), &config_map("once", json!({}))).await.unwrap();
    let dup = status_of(cms.create(&PostParams::default(), &config_map("once", json!({}))).await);
    assert_eq!((dup.code, dup.reason.as_str()), (409, "AlreadyExists"));
}

#[tokio::test]
async fn rejects_an_update_with_a_stale_resource_version() {
    let double = ApiServerDouble::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    let original = cms.create(&PostParams::default(), &config_map("cas", json!({}))).await.unwrap();
    let mut first = original.clone();
    first.data = Some([("key".to_string(), "first".to_string())].into());
    let updated = cms.replace("cas", &PostParams::default(), &first).await.unwrap();
    assert!(rv(&updated) > rv(&original));

    let mut stale = original.clone();
    stale.data = Some([("key".to_string(), "stale".to_string())].into());
    let conflict = status_of(cms.replace("cas", &PostParams::default(), &stale).await);
    assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
    assert_eq!(cms.get("cas").await.unwrap().data.unwrap()["key"], "first");
}

#[tokio::test]
async fn assigns_generate_name_and_stores_nothing_on_dry_run() {
    let double = ApiServerDouble::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    let mut cm = config_map("", json!({}));
    cm.metadata.name = None;
    cm.metadata.generate_name = Some("gen-".into());
    let created = cms.create(&PostParams::default(), &cm).await.unwrap();
    assert!(created.name_any().starts_with("gen-") && created.name_any().len() == 9);

    let dry = PostParams { dry_run: true, ..Default::default() };
    cms.create(&dry, &config_map("ghost", json!({}))).await.unwrap();
    assert!(cms.get_opt("ghost").await.unwrap().is_none());
    let bad_ns = status_of(Api::<ConfigMap>::namespaced(double.client(), "other").create(&PostParams::default(), &{
        let mut c = config_map("x", json!({}));
        c.metadata.namespace = Some("default".into());
        c
    }).await);
    assert_eq!(bad_ns.code, 400);
}

// ---- status, generation, patches -----------------------------------------------------------

#[tokio::test]
async fn bumps_generation_for_spec_changes_only() {
    let double = ApiServerDouble::start().await;
    let deploys: Api<Deployment> = Api::namespaced(double.client(), "default");
    let created = deploys.create(&PostParams::default(), &deployment("web", 1)).await.unwrap();
    assert_eq!(generation(&created), 1);

    let pp = PatchParams::default();
    let labelled = deploys.patch("web", &pp, &Patch::Merge(json!({"metadata": {"labels": {"tier": "front"}}}))).await.unwrap();
    assert_eq!(generation(&labelled), 1, "metadata changes keep the generation");
    assert!(rv(&labelled) > rv(&created));

    let status = json!({"status": {"replicas": 1, "readyReplicas": 1, "observedGeneration": 1}});
    let with_status = deploys.patch_status("web", &pp, &Patch::Merge(status)).await.unwrap();
    assert_eq!(generation(&with_status), 1, "status changes keep the generation");
    assert_eq!(with_status.status.unwrap().ready_replicas, Some(1));

    let scaled = deploys.patch("web", &pp, &Patch::Merge(json!({"spec": {"replicas": 3}}))).await.unwrap();
    assert_eq!(generation(&scaled), 2);
}

#[tokio::test]
async fn keeps_status_and_spec_apart() {
    let double = ApiServerDouble::start().await;
    let deploys: Api<Deployment> = Api::namespaced(double.client(), "default");
    let mut with_status = deployment("api", 2);
    with_status.status = Some(serde_json::from_value(json!({"replicas": 9})).unwrap());
    let created = deploys.create(&PostParams::default(), &with_status).await.unwrap();
    assert!(created.status.is_none(), "status is dropped on create");

    let mut main_write = created.clone();
    main_write.status = Some(serde_json::from_value(json!({"replicas": 5})).unwrap());
    let after_main = deploys.replace("api", &PostParams::default(), &main_write).await.unwrap();
    assert!(after_main.status.is_none(), "writes to the main resource ignore status");

    let mut status_write = after_main.clone();
    status_write.spec.replicas = Some(7);
    status_write.status = Some(serde_json::from_value(json!({"replicas": 2})).unwrap());
    let after_status = deploys.replace_status("api", &PostParams::default(), &status_write).await.unwrap();
    assert_eq!(after_status.spec.replicas, Some(2), "status writes ignore spec");
    assert_eq!(after_status.status.clone().unwrap().replicas, Some(2));
    assert_eq!(generation(&after_status), 1);
}

#[tokio::test]
async fn a_patch_that_changes_nothing_keeps_the_resource_version() {
    let double = ApiServerDouble::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    let created = cms.create(&PostParams::default(), &config_map("same", json!({"a": "1"}))).await.unwrap();
    let before = double.resource_version();
    let pp = PatchParams::default();
    let patched = cms.patch("same", &pp, &Patch::Merge(json!({"metadata": {"labels": {"a": "1"}}}))).await.unwrap();
    assert_eq!(rv(&patched), rv(&created));
    let applied = cms
        .patch("same", &PatchParams::apply("tool"), &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"key": "value"}})))
        .await
        .unwrap();
    let again = cms
        .patch("same", &PatchParams::apply("tool"), &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"key": "value"}})))
        .await
        .unwrap();
    assert_eq!(rv(&again), rv(&applied), "re-applying the same configuration is a no-op");
    assert!(double.resource_version() <= before + 1);
}

/// A PATCH with a raw body, as kube sends it (kube only builds JSON patches with its optional
/// `jsonpatch` feature, which this crate does not enable).
async fn raw_patch(client: &Client, path: &str, content_type: &str, body: Value) -> kube::Result<Value> {
    let req = http::Request::patch(path).header("content-type", content_type).body(serde_json::to_vec(&body).unwrap()).unwrap();
    client.request::<Value>(req).await
}

#[tokio::test]
async fn applies_json_patches_and_rejects_failed_tests() {
    let double = ApiServerDouble::start().await;
    let client = double.client();
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
    deploys.create(&PostParams::default(), &deployment("jp", 1)).await.unwrap();
    let path = "/apis/apps/v1/namespaces/default/deployments/jp";
    let ops = json!([
        {"op": "test", "path": "/spec/replicas", "value": 1},
        {"op": "replace", "path": "/spec/replicas", "value": 4},
        {"op": "add", "path": "/metadata/annotations", "value": {"owner": "team-a"}},
        {"op": "remove", "path": "/metadata/labels/app"},
    ]);
    let patched = raw_patch(&client, path, "application/json-patch+json", ops).await.unwrap();
    assert_eq!(patched["spec"]["replicas"], 4);
    assert_eq!(patched["metadata"]["annotations"]["owner"], "team-a");
    assert!(patched["metadata"]["labels"].get("app").is_none());

    let failing = json!([{"op": "test", "path": "/spec/replicas", "value": 1}]);
    let err = status_of(raw_patch(&client, path, "application/json-patch+json", failing).await);
    assert_eq!(err.code, 422);
    let strategic = json!({"spec": {"replicas": 6}});
    let patched = raw_patch(&client, path, "application/strategic-merge-patch+json", strategic).await.unwrap();
    assert_eq!(patched["spec"]["replicas"], 6);
}

#[tokio::test]
async fn server_side_apply_creates_merges_and_resolves_ownership() {
    let double = ApiServerDouble::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    let cfg = |data: Value| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owned"}, "data": data});

    let created = cms.patch("owned", &PatchParams::apply("alice"), &Patch::Apply(cfg(json!({"a": "1", "b": "2"})))).await.unwrap();
    assert_eq!(created.data.as_ref().unwrap().len(), 2, "apply creates a missing object");
    let managers: Vec<String> = created.managed_fields().iter().filter_map(|m| m.manager.clone()).collect();
    assert_eq!(managers, ["alice"]);

    let dropped = cms.patch("owned", &PatchParams::apply("alice"), &Patch::Apply(cfg(json!({"a": "1"})))).await.unwrap();
    assert_eq!(dropped.data.unwrap().keys().collect::<Vec<_>>(), ["a"], "a field alice stops applying is removed");

    let conflict = status_of(cms.patch("owned", &PatchParams::apply("bob"), &Patch::Apply(cfg(json!({"a": "other"})))).await);
    assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
    assert!(conflict.message.contains("conflict with \"alice\""), "{}", conflict.message);

    let forced = cms.patch("owned", &PatchParams::apply("bob").force(), &Patch::Apply(cfg(json!({"a": "other"})))).await.unwrap();
    assert_eq!(forced.data.unwrap()["a"], "other");
    let missing_manager = status_of(cms.patch("owned", &PatchParams::default(), &Patch::Apply(cfg(json!({})))).await);
    assert_eq!(missing_manager.code, 422);
    let no_kind = status_of(cms.patch("owned", &PatchParams::apply("carol"), &Patch::Apply(json!({"data": {"c": "3"}}))).await);
    assert_eq!(no_kind.code, 400);
}

#[tokio::test]
async fn scales_deployments_through_the_scale_subresource() {
    let double = ApiServerDouble::start().await;
    let deploys: Api<Deployment> = Api::namespaced(double.client(), "default");
    deploys.create(&PostParams::default(), &deployment("scaled", 2)).await.unwrap();
    let scale = deploys.get_scale("scaled").await.unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(2));
    assert_eq!(scale.status.unwrap().selector.as_deref(), Some("app=scaled"));
    deploys.patch_scale("scaled", &PatchParams::default(), &Patch::Merge(json!({"spec": {"replicas": 5}}))).await.unwrap();
    let after = deploys.get("scaled").await.unwrap();
    assert_eq!((after.spec.replicas, generation(&after)), (Some(5), 2));
}

#[tokio::test]
async fn finalizers_hold_a_deletion_until_they_are_removed() {
    let double = ApiServerDouble::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    let mut cm = config_map("held", json!({}));
    cm.metadata.finalizers = Some(vec!["example.com/cleanup".into()]);
    cms.create(&PostParams::default(), &cm).await.unwrap();
    cms.delete("held", &DeleteParams::default()).await.unwrap();
    let terminating = cms.get("held").await.unwrap();
    assert!(terminating.metadata.deletion_timestamp.is_some());
    cms.patch("held", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"finalizers": null}}))).await.unwrap();
    assert!(cms.get_opt("held").await.unwrap().is_none());
}

// ---- malformed input and injected failures ------------------------------------------------

#[tokio::test]
async fn malformed_requests_get_a_status_not_a_crash() {
    let double = ApiServerDouble::start().await;
    let client = double.client();
    let raw = |method: &str, path: &str, content_type: &str, body: &str| {
        http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", content_type)
            .body(body.as_bytes().to_vec())
            .unwrap()
    };
    let cms = "/api/v1/namespaces/default/configmaps";
    let bad_json = status_of(client.request_text(raw("POST", cms, "application/json", "{not json")).await);
    assert_eq!((bad_json.code, bad_json.reason.as_str()), (400, "BadRequest"));
    client.request_text(raw("POST", cms, "application/json", r#"{"metadata":{"name":"p"}}"#)).await.unwrap();
    let bad_type = status_of(client.request_text(raw("PATCH", &format!("{cms}/p"), "text/plain", "{}")).await);
    assert_eq!(bad_type.code, 415);
    let not_ops = status_of(client.request_text(raw("PATCH", &format!("{cms}/p"), "application/json-patch+json", "{}")).await);
    assert_eq!(not_ops.code, 400);
    let bad_selector = status_of(client.request_text(raw("GET", &format!("{cms}?labelSelector=a%20in%20(b"), "", "")).await);
    assert_eq!(bad_selector.code, 400);
    let unknown = status_of(client.request_text(raw("GET", "/apis/nope.io/v1/things", "", "")).await);
    assert_eq!((unknown.code, unknown.reason.as_str()), (404, "NotFound"));
    let bad_name = status_of(client.request_text(raw("POST", cms, "application/json", r#"{"metadata":{"name":"Not_Valid"}}"#)).await);
    assert_eq!((bad_name.code, bad_name.reason.as_str()), (422, "Invalid"));
}

#[tokio::test]
async fn injected_server_errors_surface_to_the_client() {
    let double = ApiServerDouble::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    double.faults().fail_next(1, 500);
    let err = status_of(cms.list(&ListParams::default()).await);
    assert_eq!((err.code, err.reason.as_str()), (500, "InternalError"));
    cms.list(&ListParams::default()).await.unwrap();

    double.faults().fail_requests_matching(|r| r.verb == Verb::Create, 500);
    assert_eq!(status_of(cms.create(&PostParams::default(), &config_map("x", json!({}))).await).code, 500);
    double.faults().clear_failures();
    cms.create(&PostParams::default(), &config_map("x", json!({}))).await.unwrap();
}

#[tokio::test]
async fn too_many_requests_is_retried_by_the_client_after_retry_after() {
    let double = ApiServerDouble::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    double.faults().fail_next(1, 429);
    let started = Instant::now();
    cms.list(&ListParams::default()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900), "kube-rs waits for Retry-After: 1");
    let statuses: Vec<u16> = double.request_log().iter().filter(|r| r.is(Verb::List, "configmaps")).map(|r| r.status).collect();
    assert_eq!(statuses, [429, 200]);
}
