//! The live cache's projections are faithful: evaluating a checklist over projected objects (as
//! the controller caches them) gives exactly the result of evaluating it over the full objects
//! (as `readygate check` reads them from files).

use std::path::{Path, PathBuf};

use readygate::api::{ItemState, ReadinessChecklist};
use readygate::checks::Facts;
use readygate::engine;
use readygate::inventory::{Inventory, Kind, Object, live};
use serde_json::Value;

fn now() -> jiff::Timestamp {
    "2026-01-15T10:00:00Z".parse().expect("timestamp")
}

fn facts() -> Facts {
    Facts { server_version: Some("v1.31.2".parse().expect("version")), ..Facts::offline() }
}

/// Every document of a multi-document YAML file, `List`s flattened.
fn documents(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let documents: Vec<Value> = serde_saphyr::from_multiple(text).unwrap_or_else(|e| panic!("fixture YAML: {e}"));
    for value in documents {
        match value.get("items").and_then(Value::as_array) {
            Some(items) if value.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List")) => {
                out.extend(items.iter().cloned())
            }
            _ => out.push(value),
        }
    }
    out
}

fn is_checklist(v: &Value) -> bool {
    v.get("kind").and_then(Value::as_str) == Some("ReadinessChecklist")
}

fn kind_of(v: &Value) -> Kind {
    Kind::of(v.get("apiVersion").and_then(Value::as_str).unwrap_or_default(), v["kind"].as_str().unwrap_or_default())
}

/// The same objects twice: as files hold them, and as the live cache projects them.
fn inventories(objects: &[Value], namespace: &str) -> (Inventory, Inventory, usize, usize) {
    let mut full = Inventory::new();
    let mut projected = Inventory::new();
    let (mut full_bytes, mut projected_bytes) = (0, 0);
    for value in objects {
        let Ok(object) = Object::from_value(value.clone(), Some(namespace)) else { continue };
        full_bytes += object.data.to_string().len();
        full.insert(object);
        let mut served = value.clone();
        // The API server always sets the namespace the file may leave out.
        if !kind_of(value).is_cluster_scoped()
            && served.pointer("/metadata/namespace").is_none()
            && let Some(meta) = served.get_mut("metadata").and_then(Value::as_object_mut)
        {
            meta.insert("namespace".to_owned(), namespace.into());
        }
        // As the watch tasks build what the cache keeps.
        let object = live::to_object(&kind_of(value), served, None).expect("projection keeps identity");
        projected_bytes += object.data.to_string().len();
        projected.insert(object);
    }
    (full, projected, full_bytes, projected_bytes)
}

fn assert_same_results(checklists: &[ReadinessChecklist], objects: &[Value], source: &str) -> Vec<engine::Evaluation> {
    let mut results = Vec::new();
    for checklist in checklists {
        let namespace = checklist.metadata.namespace.clone().unwrap_or_else(|| "default".to_owned());
        let (full, projected, _, _) = inventories(objects, &namespace);
        let on_full = engine::evaluate(checklist, &full, &facts(), now());
        let on_projected = engine::evaluate(checklist, &projected, &facts(), now());
        pretty_assertions::assert_eq!(on_full, on_projected, "{source}: checklist {:?}", checklist.metadata.name);
        results.push(on_full);
    }
    results
}

#[test]
fn projected_objects_judge_like_full_objects() {
    let docs = documents(include_str!("fixtures/projection.yaml"));
    let checklists: Vec<ReadinessChecklist> = docs
        .iter()
        .filter(|d| is_checklist(d))
        .map(|d| serde_json::from_value(d.clone()).expect("checklist"))
        .collect();
    let objects: Vec<Value> = docs.into_iter().filter(|d| !is_checklist(d)).collect();
    let results = assert_same_results(&checklists, &objects, "fixtures/projection.yaml");
    // The comparison means something only if the checks really judged: both outcomes occur.
    let states: Vec<ItemState> = results.iter().flat_map(|e| e.items.iter().map(|i| i.state)).collect();
    assert!(states.contains(&ItemState::Passed), "{results:#?}");
    assert!(states.contains(&ItemState::Failed), "{results:#?}");
}

#[test]
fn projection_shrinks_objects_and_drops_literal_values() {
    let docs = documents(include_str!("fixtures/projection.yaml"));
    let objects: Vec<Value> = docs.into_iter().filter(|d| !is_checklist(d)).collect();
    let (_, projected, full_bytes, projected_bytes) = inventories(&objects, "novacron");
    assert!(projected_bytes * 10 < full_bytes * 9, "projected {projected_bytes} B of {full_bytes} B");
    let all_text: String =
        projected.kind_keys().flat_map(|k| projected.all(k).map(|o| o.data.to_string()).collect::<Vec<_>>()).collect();
    for literal in ["hunter2-literal", "also-literal", "literal-in-job", "Y2hhbmdlbWU=", "changeme"] {
        assert!(!all_text.contains(literal), "{literal} survived projection");
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// The NovaCron example: each folder of manifests, judged by every checklist of the example.
#[test]
fn the_novacron_example_judges_alike_when_projected() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/novacron");
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    if files.is_empty() {
        eprintln!("NOTICE: examples/novacron is absent; only the fixture set was compared");
        return;
    }
    let mut checklists = Vec::new();
    let mut sets: std::collections::BTreeMap<PathBuf, Vec<Value>> = Default::default();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable example");
        for doc in documents(&text) {
            if is_checklist(&doc) {
                checklists.push(serde_json::from_value::<ReadinessChecklist>(doc).expect("example checklist"));
            } else if doc.get("apiVersion").is_some() {
                sets.entry(file.parent().unwrap_or(&root).to_path_buf()).or_default().push(doc);
            }
        }
    }
    assert!(!checklists.is_empty(), "examples/novacron holds a checklist");
    for (dir, objects) in &sets {
        assert_same_results(&checklists, objects, &dir.display().to_string());
    }
}
