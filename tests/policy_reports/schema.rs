//! The published PolicyReport / OpenReports CRDs (read from the shared corpus, never copied into
//! the repository) and validation of report objects against their OpenAPI schemas.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// `../shared/corpus/crds/policy-reports` beside the repository (or under `$READYGATE_CORPUS`).
pub fn crd_dir() -> PathBuf {
    let corpus = std::env::var_os("READYGATE_CORPUS")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let dir = corpus.join("crds/policy-reports");
    assert!(dir.is_dir(), "{} is missing: check out the shared test data beside the repository", dir.display());
    dir
}

/// The CRD of `wgpolicyk8s.io_policyreports.yaml` or `openreports.io_reports.yaml`.
pub fn crd(file: &str) -> Value {
    let path = crd_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

/// Validates `object` against the CRD's schema for its version, as the API server's strict
/// field validation does: unknown fields are errors (the server would prune them silently).
pub fn validate(crd: &Value, object: &Value) -> Result<(), Vec<String>> {
    let version = object["apiVersion"].as_str().and_then(|v| v.rsplit('/').next()).expect("apiVersion");
    let schema = crd["spec"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .find(|v| v["name"] == version)
        .unwrap_or_else(|| panic!("the CRD serves no version {version}"))["schema"]["openAPIV3Schema"]
        .clone();
    let mut schema = schema;
    close_objects(&mut schema);
    let validator = jsonschema::validator_for(&schema).expect("the CRD's schema compiles");
    let errors: Vec<String> = validator.iter_errors(object).map(|e| format!("{}: {e}", e.instance_path())).collect();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// OpenAPI's `properties` leave other keys open; a structural CRD schema does not. `metadata`
/// is the API server's to check (its schema here is only `type: object`).
fn close_objects(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else { return };
    let preserves = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if map.contains_key("properties") && !map.contains_key("additionalProperties") && !preserves {
        map.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    for (key, child) in map.iter_mut() {
        match key.as_str() {
            "properties" => child.as_object_mut().into_iter().flatten().for_each(|(_, s)| close_objects(s)),
            "items" | "additionalProperties" => close_objects(child),
            _ => {}
        }
    }
}
