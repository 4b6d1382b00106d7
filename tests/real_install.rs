//! Installing readygate into a real kube-apiserver (tests/support/cluster): the CRDs must be
//! structural and every CEL rule within the cost budget, and every object that deploy/ and the
//! chart render must be accepted by server-side apply, after the cert-manager and
//! prometheus-operator CRDs they use. What is asserted is what the API server answered.

#[path = "support/cluster/mod.rs"]
mod cluster;
use std::path::Path;

use cluster::{install, render};
use serde_json::{Value, json};

const CRD_NAMES: [&str; 2] = ["readinesschecklists.readygate.io", "readinesssignoffs.readygate.io"];

#[test]
fn the_api_server_establishes_the_crds_with_every_cel_rule() {
    let plane = cluster::shared();
    for dir in install::addon_crd_dirs() {
        install::apply_crd_dir(plane, &dir);
    }
    let crds = Path::new(env!("CARGO_MANIFEST_DIR")).join("crds");
    let applied = install::apply_crd_dir(plane, &crds);
    for name in CRD_NAMES {
        assert!(applied.contains(&format!("customresourcedefinition.apiextensions.k8s.io/{name} serverside-applied")));
        let stored: Value =
            serde_json::from_str(&plane.kubectl_ok("admin", &["get", "crd", name, "-o", "json"], None)).expect("JSON");
        let conditions = stored["status"]["conditions"].as_array().expect("the CRD has conditions");
        let condition = |kind: &str| conditions.iter().find(|c| c["type"] == kind).map(|c| c["status"].clone());
        assert_eq!(condition("Established"), Some(json!("True")), "{name}: {conditions:?}");
        assert_eq!(condition("NamesAccepted"), Some(json!("True")), "{name}: {conditions:?}");
        assert_eq!(condition("NonStructuralSchema"), None, "{name} has a non-structural schema: {conditions:?}");

        // Nothing was pruned or dropped on the way in: the stored rules are the generated ones.
        let file = std::fs::read_to_string(crds.join(format!("{name}.yaml"))).expect("the CRD file");
        let generated: Value = serde_saphyr::from_str(&file).expect("YAML");
        assert_eq!(
            rules(&stored["spec"]["versions"]),
            rules(&generated["spec"]["versions"]),
            "{name}: the stored x-kubernetes-validations differ from crds/"
        );
    }
}

/// Every `x-kubernetes-validations` rule under `value`, in document order.
fn rules(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_rules(value, &mut found);
    assert!(!found.is_empty() || value.is_null(), "no rules found");
    found
}

fn collect_rules(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(validations)) = map.get("x-kubernetes-validations") {
                found.extend(validations.iter().map(|v| v["rule"].as_str().unwrap_or_default().to_owned()));
            }
            map.values().for_each(|v| collect_rules(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_rules(v, found)),
        _ => {}
    }
}

#[test]
fn every_object_rendered_from_deploy_and_the_chart_is_accepted_by_server_side_apply() {
    let plane = cluster::shared();
    install::crds(plane);
    install::apply_crd_dir(plane, &Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/readygate/crds"));
    // Helm installs into a namespace it is told to create; kustomize renders its own.
    install::namespace(plane, "readygate-system");
    let everything = json!({"secretChecks": {"enabled": true}, "metrics": {"serviceMonitor": {"enabled": true}},
                            "prometheusRule": {"enabled": true}});
    let renderings = [
        ("kustomize-deploy", render::kustomize_base()),
        ("kustomize-components", render::kustomize_with(&["components/secret-checks", "monitoring"])),
        ("helm-defaults", render::helm_template(json!({}))),
        ("helm-everything", render::helm_template(everything)),
    ];
    for (what, text) in renderings {
        let objects = render::documents(&text);
        assert!(objects.len() > 10, "{what} renders {} objects", objects.len());
        let output = install::apply(plane, "admin", what, &text);
        let (answer, warnings) =
            (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "{what}: the API server refused part of it:\n{answer}{warnings}");
        // Unknown or duplicate fields, deprecated APIs: the API server warns, kubectl prints it.
        assert_eq!(warnings, "", "{what}: the API server warned");
        let accepted: Vec<&str> = answer.lines().filter(|l| l.ends_with(" serverside-applied")).collect();
        assert_eq!(accepted.len(), objects.len(), "{what}: every object is applied:\n{answer}");

        // And each is stored as applied: read back by kind and name.
        for object in &objects {
            let kind = object["kind"].as_str().expect("kind");
            let api_version = object["apiVersion"].as_str().expect("apiVersion");
            let name = object["metadata"]["name"].as_str().expect("name");
            let namespace = object["metadata"]["namespace"].as_str().unwrap_or("default");
            let resource = format!("{}.{}", kind.to_lowercase(), api_version.split('/').rev().nth(1).unwrap_or(""));
            let resource = resource.trim_end_matches('.');
            let stored = plane.kubectl_ok(
                "admin",
                &["get", resource, name, "-n", namespace, "-o", "json", "--show-managed-fields"],
                None,
            );
            let stored: Value = serde_json::from_str(&stored).expect("JSON");
            let managers: Vec<&str> = stored["metadata"]["managedFields"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["manager"].as_str())
                .collect();
            assert!(managers.contains(&what), "{what}: {kind} {namespace}/{name} is managed by {managers:?}");
        }
    }
}
