//! Discovery: `/version`, `/api`, `/apis`, `/apis/{group}` and `/apis/{group}/{version}`, in the
//! legacy format and (when asked for with the Accept header) aggregated discovery v2.

use http::Response;
use serde_json::{Value, json};

use super::errors::ApiError;
use super::identity;
use super::resources::{Registry, ResourceInfo};
use super::route::Target;
use super::server::{Body, Shared, error_response, json_response, lock, typed_json_response};

const VERBS: [&str; 8] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const SUB_VERBS: [&str; 3] = ["get", "patch", "update"];
/// Reviews are answered, never stored: `create` is all they serve.
const REVIEW_VERBS: [&str; 1] = ["create"];
pub const AGGREGATED_CONTENT_TYPE: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

pub fn version_info(git_version: &str) -> Value {
    let numbers: Vec<&str> = git_version.trim_start_matches('v').split(['.', '-', '+']).collect();
    json!({
        "major": numbers.first().copied().unwrap_or("1"),
        "minor": numbers.get(1).copied().unwrap_or("0"),
        "gitVersion": git_version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-10-22T20:28:14Z",
        "goVersion": "go1.22.8",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

pub fn serve(shared: &Shared, target: &Target, accept: &str) -> Response<Body> {
    let (aggregated_enabled, port) = (lock(&shared.settings).aggregated_discovery, shared.addr.port());
    // kube-rs asks for v2 with a fallback list; answer v2 only when this server "supports" it.
    let aggregated = aggregated_enabled && accept.contains("as=APIGroupDiscoveryList");
    let registry = lock(&shared.store).registry.clone();
    match target {
        Target::CoreVersions if aggregated => aggregated_list(&registry, true),
        Target::Groups if aggregated => aggregated_list(&registry, false),
        Target::CoreVersions => json_response(
            200,
            &json!({
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": format!("127.0.0.1:{port}")}],
            }),
        ),
        Target::Groups => {
            let groups: Vec<Value> = registry.groups().iter().map(|(g, vs)| group_json(g, vs)).collect();
            json_response(200, &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}))
        }
        Target::Group(name) => match registry.groups().iter().find(|(g, _)| g == name) {
            Some((g, vs)) => json_response(200, &group_json(g, vs)),
            None => error_response(&ApiError::not_found_path(&format!("/apis/{name}"))),
        },
        Target::GroupVersion { group, version } => {
            let resources = registry.in_group_version(group, version);
            if resources.is_empty() {
                return error_response(&ApiError::not_found_path(&format!("{group}/{version}")));
            }
            let gv = resources[0].api_version();
            let list: Vec<Value> = resources.iter().flat_map(|r| legacy_entries(r)).collect();
            json_response(
                200,
                &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list}),
            )
        }
        _ => error_response(&ApiError::not_found_path("discovery")),
    }
}

fn group_json(group: &str, versions: &[String]) -> Value {
    let gv = |v: &String| json!({"groupVersion": format!("{group}/{v}"), "version": v});
    json!({
        "kind": "APIGroup", "apiVersion": "v1", "name": group,
        "versions": versions.iter().map(gv).collect::<Vec<_>>(),
        "preferredVersion": versions.first().map(gv),
    })
}

/// The resource and its subresources, as `APIResourceList` lists them.
fn legacy_entries(r: &ResourceInfo) -> Vec<Value> {
    let mut main = json!({
        "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
        "kind": r.kind, "verbs": verbs(r),
    });
    if !r.short_names.is_empty() {
        main["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        main["categories"] = json!(r.categories);
    }
    let mut out = vec![main];
    if r.has_status {
        out.push(json!({"name": format!("{}/status", r.plural), "singularName": "", "namespaced": r.namespaced, "kind": r.kind, "verbs": SUB_VERBS}));
    }
    if r.scale.is_some() {
        out.push(json!({
            "name": format!("{}/scale", r.plural), "singularName": "", "namespaced": r.namespaced,
            "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": SUB_VERBS,
        }));
    }
    out
}

fn verbs(r: &ResourceInfo) -> &'static [&'static str] {
    if identity::is_review_resource(r) { &REVIEW_VERBS } else { &VERBS }
}

fn aggregated_resource(r: &ResourceInfo) -> Value {
    let mut subresources = Vec::new();
    if r.has_status {
        subresources.push(json!({
            "subresource": "status", "verbs": SUB_VERBS,
            "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        }));
    }
    if r.scale.is_some() {
        subresources.push(json!({
            "subresource": "scale", "verbs": SUB_VERBS,
            "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
        }));
    }
    json!({
        "resource": r.plural,
        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": r.singular, "verbs": verbs(r),
        "shortNames": r.short_names, "categories": r.categories,
        "subresources": subresources,
    })
}

fn aggregated_list(registry: &Registry, core: bool) -> Response<Body> {
    let groups: Vec<(String, Vec<String>)> =
        if core { vec![(String::new(), vec!["v1".to_string()])] } else { registry.groups() };
    let items: Vec<Value> = groups
        .iter()
        .map(|(g, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|v| {
                    let resources: Vec<Value> =
                        registry.in_group_version(g, v).into_iter().map(aggregated_resource).collect();
                    json!({"version": v, "resources": resources, "freshness": "Current"})
                })
                .collect();
            json!({"metadata": {"name": g}, "versions": versions})
        })
        .collect();
    let body = json!({"apiVersion": "apidiscovery.k8s.io/v2", "kind": "APIGroupDiscoveryList", "metadata": {}, "items": items});
    typed_json_response(200, &body, AGGREGATED_CONTENT_TYPE)
}
