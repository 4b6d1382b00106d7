//! The API server double speaks the Kubernetes wire protocol the way kube-rs needs it: these
//! tests drive it with the real `kube::Client`, kube-runtime watchers and kube-lease-manager.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, ObjectReference};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams,
    WatchEvent, WatchParams,
};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource, ResourceExt};
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

/// Waits until the reflector's watch is open, so a watch fault hits it.
async fn watching(double: &ApiServerDouble) {
    assert!(eventually(Duration::from_secs(5), || double.active_watches("configmaps") == 1).await, "no watch opened");
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
    let bad_ns = status_of(
        Api::<ConfigMap>::namespaced(double.client(), "other")
            .create(&PostParams::default(), &{
                let mut c = config_map("x", json!({}));
                c.metadata.namespace = Some("default".into());
                c
            })
            .await,
    );
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
    let labelled =
        deploys.patch("web", &pp, &Patch::Merge(json!({"metadata": {"labels": {"tier": "front"}}}))).await.unwrap();
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
        .patch(
            "same",
            &PatchParams::apply("tool"),
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"key": "value"}})),
        )
        .await
        .unwrap();
    let again = cms
        .patch(
            "same",
            &PatchParams::apply("tool"),
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"key": "value"}})),
        )
        .await
        .unwrap();
    assert_eq!(rv(&again), rv(&applied), "re-applying the same configuration is a no-op");
    assert!(double.resource_version() <= before + 1);
}

/// A PATCH with a raw body, as kube sends it (kube only builds JSON patches with its optional
/// `jsonpatch` feature, which this crate does not enable).
async fn raw_patch(client: &Client, path: &str, content_type: &str, body: Value) -> kube::Result<Value> {
    let req = http::Request::patch(path)
        .header("content-type", content_type)
        .body(serde_json::to_vec(&body).unwrap())
        .unwrap();
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
    let cfg =
        |data: Value| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owned"}, "data": data});

    let created = cms
        .patch("owned", &PatchParams::apply("alice"), &Patch::Apply(cfg(json!({"a": "1", "b": "2"}))))
        .await
        .unwrap();
    assert_eq!(created.data.as_ref().unwrap().len(), 2, "apply creates a missing object");
    let managers: Vec<String> = created.managed_fields().iter().filter_map(|m| m.manager.clone()).collect();
    assert_eq!(managers, ["alice"]);

    let dropped =
        cms.patch("owned", &PatchParams::apply("alice"), &Patch::Apply(cfg(json!({"a": "1"})))).await.unwrap();
    assert_eq!(dropped.data.unwrap().keys().collect::<Vec<_>>(), ["a"], "a field alice stops applying is removed");

    let conflict =
        status_of(cms.patch("owned", &PatchParams::apply("bob"), &Patch::Apply(cfg(json!({"a": "other"})))).await);
    assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
    assert!(conflict.message.contains("conflict with \"alice\""), "{}", conflict.message);

    let forced = cms
        .patch("owned", &PatchParams::apply("bob").force(), &Patch::Apply(cfg(json!({"a": "other"}))))
        .await
        .unwrap();
    assert_eq!(forced.data.unwrap()["a"], "other");
    let missing_manager = status_of(cms.patch("owned", &PatchParams::default(), &Patch::Apply(cfg(json!({})))).await);
    assert_eq!(missing_manager.code, 422);
    let no_kind =
        status_of(cms.patch("owned", &PatchParams::apply("carol"), &Patch::Apply(json!({"data": {"c": "3"}}))).await);
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
    deploys
        .patch_scale("scaled", &PatchParams::default(), &Patch::Merge(json!({"spec": {"replicas": 5}})))
        .await
        .unwrap();
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
    let not_ops =
        status_of(client.request_text(raw("PATCH", &format!("{cms}/p"), "application/json-patch+json", "{}")).await);
    assert_eq!(not_ops.code, 400);
    let bad_selector =
        status_of(client.request_text(raw("GET", &format!("{cms}?labelSelector=a%20in%20(b"), "", "")).await);
    assert_eq!(bad_selector.code, 400);
    let unknown = status_of(client.request_text(raw("GET", "/apis/nope.io/v1/things", "", "")).await);
    assert_eq!((unknown.code, unknown.reason.as_str()), (404, "NotFound"));
    let bad_name = status_of(
        client.request_text(raw("POST", cms, "application/json", r#"{"metadata":{"name":"Not_Valid"}}"#)).await,
    );
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
    let statuses: Vec<u16> =
        double.request_log().iter().filter(|r| r.is(Verb::List, "configmaps")).map(|r| r.status).collect();
    assert_eq!(statuses, [429, 200]);
}

// ---- CRDs and discovery ------------------------------------------------------------------

#[tokio::test]
async fn serves_a_crd_posted_at_runtime_with_its_status_subresource() {
    let double = ApiServerDouble::start().await;
    let client = double.client();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let crd = crds.create(&PostParams::default(), &serde_json::from_value(widget_crd()).unwrap()).await.unwrap();
    let established =
        crd.status.unwrap().conditions.unwrap().iter().any(|c| c.type_ == "Established" && c.status == "True");
    assert!(established, "kube's await_condition(is_crd_established) must not hang");

    let api = widgets(client.clone());
    let created = api.create(&PostParams::default(), &widget("w1", 1)).await.unwrap();
    assert_eq!(created.types.as_ref().unwrap().kind, "Widget");
    let status = json!({"status": {"ready": true}, "spec": {"size": 99}});
    let with_status = api.patch_status("w1", &PatchParams::default(), &Patch::Merge(status)).await.unwrap();
    assert_eq!(
        (with_status.data["status"]["ready"].clone(), with_status.data["spec"]["size"].clone()),
        (json!(true), json!(1))
    );
    assert_eq!(generation(&with_status), 1);
    let resized = api.patch("w1", &PatchParams::default(), &Patch::Merge(json!({"spec": {"size": 2}}))).await.unwrap();
    assert_eq!(generation(&resized), 2);
    assert_eq!(api.list(&ListParams::default()).await.unwrap().items.len(), 1);

    crds.delete("widgets.example.com", &DeleteParams::default()).await.unwrap();
    assert_eq!(status_of(api.list(&ListParams::default()).await).code, 404, "deleting the CRD removes the kind");
}

#[tokio::test]
async fn prunes_unknown_fields_and_applies_schema_defaults_to_custom_objects() {
    let double = ApiServerDouble::start().await;
    let mut crd = widget_crd();
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = json!({
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {
                "size": {"type": "integer", "default": 1},
                "color": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            }},
            "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
        },
    });
    double.install_crd(crd);
    let api = widgets(double.client());
    let mut obj = widget("pruned", 0);
    obj.data["spec"] = json!({"color": "red", "extra": "dropped", "labels": {"any": "kept"}});
    obj.data["unknownTopLevel"] = json!(true);
    let created = api.create(&PostParams::default(), &obj).await.unwrap();
    assert_eq!(created.data["spec"], json!({"color": "red", "size": 1, "labels": {"any": "kept"}}));
    assert!(created.data.get("unknownTopLevel").is_none());

    let status =
        Patch::Apply(json!({"apiVersion": "example.com/v1", "kind": "Widget", "status": {"ready": true, "bogus": 1}}));
    let applied = api.patch_status("pruned", &PatchParams::apply("readygate").force(), &status).await.unwrap();
    assert_eq!(applied.data["status"], json!({"ready": true}), "status fields outside the schema vanish");
}

#[tokio::test]
async fn a_client_from_the_written_kubeconfig_reaches_the_double() {
    let double = ApiServerDouble::start().await;
    let file = double.write_kubeconfig();
    let kubeconfig = kube::config::Kubeconfig::read_from(file.path()).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.unwrap();
    assert_eq!(config.default_namespace, "default");
    let client = Client::try_from(config).unwrap();
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client);
    let names: Vec<String> =
        namespaces.list(&ListParams::default()).await.unwrap().iter().map(|n| n.name_any()).collect();
    assert_eq!(names, ["default", "kube-node-lease", "kube-public", "kube-system"]);
}

#[tokio::test]
async fn discovery_finds_built_ins_and_installed_crds() {
    let double = ApiServerDouble::start().await;
    double.install_crd(widget_crd());
    let wanted = [
        ("", "v1", "Namespace", false),
        ("", "v1", "Secret", true),
        ("apps", "v1", "Deployment", true),
        ("batch", "v1", "CronJob", true),
        ("autoscaling", "v2", "HorizontalPodAutoscaler", true),
        ("rbac.authorization.k8s.io", "v1", "ClusterRole", false),
        ("coordination.k8s.io", "v1", "Lease", true),
        ("events.k8s.io", "v1", "Event", true),
        ("example.com", "v1", "Widget", true),
    ];
    for aggregated in [false, true] {
        let discovery = kube::discovery::Discovery::new(double.client());
        let discovery = if aggregated { discovery.run_aggregated().await } else { discovery.run().await }.unwrap();
        for (group, version, kind, namespaced) in wanted {
            let (ar, caps) = discovery
                .resolve_gvk(&GroupVersionKind::gvk(group, version, kind))
                .unwrap_or_else(|| panic!("{kind} not discovered"));
            assert_eq!(caps.scope == kube::discovery::Scope::Namespaced, namespaced, "{kind} scope");
            assert!(caps.supports_operation(kube::discovery::verbs::WATCH));
            if kind == "Deployment" || kind == "Widget" {
                assert!(caps.subresources.iter().any(|(sub, _)| sub.plural == "status"), "{} has status", ar.plural);
            }
        }
    }
    double.set_aggregated_discovery(false);
    let legacy = kube::discovery::Discovery::new(double.client()).run_aggregated().await.unwrap();
    assert!(!legacy.has_group("apps"), "an older server answers aggregated requests with legacy documents");
}

// ---- watches -------------------------------------------------------------------------------

#[tokio::test]
async fn watch_delivers_added_modified_deleted_in_order() {
    let double = ApiServerDouble::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    let from = double.resource_version().to_string();
    let mut events = cms.watch(&WatchParams::default().disable_bookmarks(), &from).await.unwrap().boxed();
    cms.create(&PostParams::default(), &config_map("w", json!({}))).await.unwrap();
    cms.patch("w", &PatchParams::default(), &Patch::Merge(json!({"data": {"key": "v2"}}))).await.unwrap();
    cms.delete("w", &DeleteParams::default()).await.unwrap();
    let mut seen = Vec::new();
    let mut last_rv = 0;
    while seen.len() < 3 {
        let event = tokio::time::timeout(Duration::from_secs(5), events.next()).await.unwrap().unwrap().unwrap();
        let (kind, obj) = match event {
            WatchEvent::Added(o) => ("ADDED", o),
            WatchEvent::Modified(o) => ("MODIFIED", o),
            WatchEvent::Deleted(o) => ("DELETED", o),
            other => panic!("unexpected {other:?}"),
        };
        assert!(rv(&obj) > last_rv, "resourceVersions increase");
        last_rv = rv(&obj);
        seen.push(kind);
    }
    assert_eq!(seen, ["ADDED", "MODIFIED", "DELETED"]);
}

#[tokio::test]
async fn bookmarks_arrive_on_watches_that_allow_them() {
    let config = DoubleConfig { bookmark_interval: Duration::from_millis(100), ..Default::default() };
    let double = ApiServerDouble::start_with(config).await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    let mut events = cms.watch(&WatchParams::default(), "0").await.unwrap().boxed();
    let event = tokio::time::timeout(Duration::from_secs(2), events.next()).await.unwrap().unwrap().unwrap();
    let WatchEvent::Bookmark(bookmark) = event else { panic!("expected a bookmark, got {event:?}") };
    assert_eq!(bookmark.metadata.resource_version, double.resource_version().to_string());
}

#[tokio::test]
async fn watching_from_before_the_history_window_gets_410_expired() {
    let config = DoubleConfig { history_limit: 3, ..Default::default() };
    let double = ApiServerDouble::start_with(config).await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    let old = double.resource_version().to_string();
    for i in 0..5 {
        double.seed(config_map(&format!("churn-{i}"), json!({})));
    }
    let mut events = cms.watch(&WatchParams::default(), &old).await.unwrap().boxed();
    match events.next().await.unwrap().unwrap() {
        WatchEvent::Error(status) => {
            assert_eq!((status.code, status.reason.as_str()), (410, "Expired"))
        }
        other => panic!("expected 410 Expired, got {other:?}"),
    }
    assert!(events.next().await.is_none(), "the stream ends after the error");
}

#[tokio::test]
async fn a_watch_ends_after_its_timeout() {
    let double = ApiServerDouble::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    let started = Instant::now();
    let params = WatchParams::default().timeout(1).disable_bookmarks();
    let mut events = cms.watch(&params, &double.resource_version().to_string()).await.unwrap().boxed();
    assert!(tokio::time::timeout(Duration::from_secs(3), events.next()).await.unwrap().is_none());
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn deleting_a_namespace_deletes_what_it_contains() {
    let double = ApiServerDouble::start().await;
    let client = double.client();
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    let ns = serde_json::from_value(json!({"metadata": {"name": "team"}})).unwrap();
    let created = namespaces.create(&PostParams::default(), &ns).await.unwrap();
    assert_eq!(created.status.unwrap().phase.as_deref(), Some("Active"));
    let cms: Api<ConfigMap> = Api::namespaced(client, "team");
    cms.create(&PostParams::default(), &config_map("inside", json!({}))).await.unwrap();
    namespaces.delete("team", &DeleteParams::default()).await.unwrap();
    assert!(cms.list(&ListParams::default()).await.unwrap().items.is_empty());
    assert!(double.get_object("v1", "ConfigMap", Some("team"), "inside").is_none());
}

#[tokio::test]
async fn label_selectors_filter_lists_and_watches() {
    let double = ApiServerDouble::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    for (name, labels) in [("a", json!({"tier": "web", "env": "prod"})), ("b", json!({"tier": "db"})), ("c", json!({}))]
    {
        cms.create(&PostParams::default(), &config_map(name, labels)).await.unwrap();
    }
    let names = |selector: &'static str| {
        let cms = cms.clone();
        async move {
            let list = cms.list(&ListParams::default().labels(selector)).await.unwrap();
            list.items.iter().map(|c| c.name_any()).collect::<Vec<_>>()
        }
    };
    assert_eq!(names("tier=web").await, ["a"]);
    assert_eq!(names("tier!=web").await, ["b", "c"]);
    assert_eq!(names("tier in (web,db),env").await, ["a"]);
    assert_eq!(names("tier notin (db)").await, ["a", "c"]);
    assert_eq!(names("!tier").await, ["c"]);
    assert_eq!(cms.list(&ListParams::default().fields("metadata.name=b")).await.unwrap().items.len(), 1);

    let from = double.resource_version().to_string();
    let mut events =
        cms.watch(&WatchParams::default().labels("tier=web").disable_bookmarks(), &from).await.unwrap().boxed();
    cms.patch("b", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"tier": "web"}}})))
        .await
        .unwrap();
    cms.patch("c", &PatchParams::default(), &Patch::Merge(json!({"data": {"ignored": "yes"}}))).await.unwrap();
    cms.patch("a", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"tier": "gone"}}})))
        .await
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..2 {
        match tokio::time::timeout(Duration::from_secs(5), events.next()).await.unwrap().unwrap().unwrap() {
            WatchEvent::Added(o) => seen.push(format!("ADDED {}", o.name_any())),
            WatchEvent::Deleted(o) => seen.push(format!("DELETED {}", o.name_any())),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["ADDED b", "DELETED a"], "objects entering and leaving the selector");
}

#[tokio::test]
async fn paginates_lists_with_continue_tokens() {
    let double = ApiServerDouble::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    for i in 0..5 {
        double.seed(config_map(&format!("cm-{i}"), json!({})));
    }
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(2);
    let mut pages = 0;
    loop {
        let page = cms.list(&params).await.unwrap();
        pages += 1;
        names.extend(page.items.iter().map(|c| c.name_any()));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    assert_eq!((pages, names.len()), (3, 5));
    assert_eq!(names, ["cm-0", "cm-1", "cm-2", "cm-3", "cm-4"]);
}

#[tokio::test]
async fn watcher_syncs_and_survives_dropped_watches() {
    let double = ApiServerDouble::start().await;
    double.seed(config_map("before", json!({})));
    let store = config_map_reflector(double.client(), watcher::Config::default().page_size(1));
    tokio::time::timeout(Duration::from_secs(5), store.wait_until_ready()).await.unwrap().unwrap();
    assert!(has(&store, "before"));
    watching(&double).await;

    double.faults().drop_watches();
    double.seed(config_map("after", json!({})));
    assert!(eventually(Duration::from_secs(5), || has(&store, "after")).await);
    let watches = double.request_log().iter().filter(|r| r.is(Verb::Watch, "configmaps")).count();
    assert!(watches >= 2, "the watcher re-watched ({watches} watches)");
}

#[tokio::test]
async fn compaction_forces_the_watcher_to_relist_and_converge() {
    let double = ApiServerDouble::start().await;
    let store = config_map_reflector(double.client(), watcher::Config::default());
    tokio::time::timeout(Duration::from_secs(5), store.wait_until_ready()).await.unwrap().unwrap();
    watching(&double).await;

    // Slow the re-watch down so the change and the compaction happen before it arrives.
    double.faults().set_delay(Duration::from_millis(300));
    double.faults().drop_watches();
    double.seed(config_map("missed", json!({})));
    double.faults().compact();
    assert!(eventually(Duration::from_secs(10), || has(&store, "missed")).await);
    double.faults().set_delay(Duration::ZERO);
    let lists = double.request_log().iter().filter(|r| r.is(Verb::List, "configmaps")).count();
    assert!(lists >= 2, "the 410 made the watcher relist ({lists} lists)");
}

#[tokio::test]
async fn streaming_lists_send_initial_events_then_a_bookmark() {
    let double = ApiServerDouble::start().await;
    double.seed(config_map("streamed", json!({})));
    let store = config_map_reflector(double.client(), watcher::Config::default().streaming_lists());
    tokio::time::timeout(Duration::from_secs(5), store.wait_until_ready()).await.unwrap().unwrap();
    assert!(has(&store, "streamed"));
    let log = double.request_log();
    assert!(
        log.iter()
            .any(|r| r.is(Verb::Watch, "configmaps") && r.query_param("sendInitialEvents").as_deref() == Some("true"))
    );
    assert!(!log.iter().any(|r| r.is(Verb::List, "configmaps")), "no list was needed");
}

#[tokio::test]
async fn watcher_recovers_after_an_outage_on_the_same_port() {
    let double = ApiServerDouble::start().await;
    let store = config_map_reflector(double.client(), watcher::Config::default());
    tokio::time::timeout(Duration::from_secs(5), store.wait_until_ready()).await.unwrap().unwrap();
    watching(&double).await;
    let port = double.port();

    double.faults().go_down().await;
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err(), "connections are refused while down");
    double.seed(config_map("during-outage", json!({})));
    tokio::time::sleep(Duration::from_millis(500)).await;
    double.faults().come_up().await;
    assert_eq!(double.port(), port);
    assert!(eventually(Duration::from_secs(15), || has(&store, "during-outage")).await);
}

// ---- what the product's libraries do ------------------------------------------------------

#[tokio::test]
async fn lease_manager_grants_the_lease_to_one_holder_at_a_time() {
    use kube_lease_manager::{LeaseManagerBuilder, LeaseParams};
    let double = ApiServerDouble::start().await;
    let manager = |id: &str| {
        LeaseManagerBuilder::new(double.client(), "readygate-leader")
            .with_namespace("default")
            .with_parameters(LeaseParams::new(id, 3, 1))
            .build()
    };
    let (a, b) = (manager("replica-a").await.unwrap(), manager("replica-b").await.unwrap());
    // Shorter than the 3 s lease, so the loser cannot win by expiry; long enough for a slow machine.
    let race = Duration::from_millis(2500);
    let (ra, rb) = tokio::join!(tokio::time::timeout(race, a.changed()), tokio::time::timeout(race, b.changed()));
    let winners = [&ra, &rb].iter().filter(|r| matches!(r, Ok(Ok(true)))).count();
    assert_eq!(winners, 1, "exactly one replica leads: {ra:?} {rb:?}");
    let (leader, follower) = if matches!(ra, Ok(Ok(true))) { (a, b) } else { (b, a) };
    let holder = Api::<Lease>::namespaced(double.client(), "default").get("readygate-leader").await.unwrap();
    assert!(holder.spec.unwrap().holder_identity.is_some());

    leader.release().await.unwrap();
    let took_over = tokio::time::timeout(Duration::from_secs(6), follower.changed()).await;
    assert!(matches!(took_over, Ok(Ok(true))), "the other replica takes over: {took_over:?}");
}

#[tokio::test]
async fn event_recorder_creates_then_patches_events() {
    let double = ApiServerDouble::start().await;
    let client = double.client();
    let cm = Api::<ConfigMap>::namespaced(client.clone(), "default")
        .create(&PostParams::default(), &config_map("evented", json!({})))
        .await
        .unwrap();
    let reference: ObjectReference = cm.object_ref(&());
    let recorder = Recorder::new(client, Reporter { controller: "readygate".into(), instance: None });
    let event = Event {
        type_: EventType::Normal,
        reason: "Evaluated".into(),
        note: Some("all good".into()),
        action: "Evaluate".into(),
        secondary: None,
    };
    recorder.publish(&event, &reference).await.unwrap();
    recorder.publish(&event, &reference).await.unwrap();
    let stored = double.list_objects("events.k8s.io/v1", "Event");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["series"]["count"], 2);
    let log = double.request_log();
    assert_eq!(log.iter().filter(|r| r.is(Verb::Create, "events")).count(), 1);
    assert_eq!(log.iter().filter(|r| r.is(Verb::Patch, "events")).count(), 1);
}

#[test]
fn a_blocking_double_serves_synchronous_tests() {
    let double = support::BlockingDouble::start();
    double.seed(config_map("sync", json!({})));
    let cms: Api<ConfigMap> = Api::namespaced(double.client(), "default");
    // The test thread may block (as on a child process) while the double keeps serving.
    let url = format!("{}/api/v1/namespaces/default/configmaps/sync", double.url());
    let served = std::thread::spawn(move || {
        let mut stream =
            std::net::TcpStream::connect(url.trim_start_matches("http://").split('/').next().unwrap()).unwrap();
        let path = url.splitn(4, '/').nth(3).unwrap();
        std::io::Write::write_all(
            &mut stream,
            format!("GET /{path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .unwrap();
        let mut response = String::new();
        std::io::Read::read_to_string(&mut stream, &mut response).unwrap();
        response
    })
    .join()
    .unwrap();
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
    assert_eq!(double.block_on(cms.get("sync")).unwrap().name_any(), "sync");
}

#[tokio::test]
async fn a_repeated_list_map_key_is_refused_as_the_real_server_refuses_it() {
    // kube-apiserver v1.37 (tests/real_status.rs): `spec.items[1]: Duplicate value: {"name":"review"}`.
    use kube::CustomResourceExt;
    let double = ApiServerDouble::start().await;
    double.install_crd(readygate::api::ReadinessChecklist::crd());
    let gvk = GroupVersionKind::gvk("readygate.io", "v1alpha1", "ReadinessChecklist");
    let checklists: Api<DynamicObject> = Api::namespaced_with(double.client(), "default", &ApiResource::from_gvk(&gvk));
    let manual = json!({"manual": {"approvers": {"groups": ["cto"]}}});
    let twice: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "twice"},
        "spec": {"items": [{"name": "review", "check": manual}, {"name": "review", "check": manual}]}
    }))
    .unwrap();
    let refused = status_of(checklists.create(&PostParams::default(), &twice).await);
    assert_eq!((refused.code, refused.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        refused.message,
        r#"ReadinessChecklist.readygate.io "twice" is invalid: spec.items[1]: Duplicate value: {"name":"review"}"#
    );
    assert!(double.get_object("readygate.io/v1alpha1", "ReadinessChecklist", Some("default"), "twice").is_none());
}
