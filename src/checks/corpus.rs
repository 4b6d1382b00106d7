//! Test support: objects from the shared corpus of real manifests (`../shared/corpus/manifests`),
//! read with serde-saphyr alone so check tests do not depend on the manifest loader.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::inventory::Object;

/// Every object under `path` (a file, or a folder walked for `.yaml`/`.yml`/`.json`), `List`s
/// expanded, with `namespace` given to objects without one. Documents that are not Kubernetes
/// objects (a `Kustomization` has no name) are skipped. `None`, with a notice, when the corpus
/// is absent, so the calling test can stop.
pub(crate) fn objects(path: &str, namespace: &str) -> Option<Vec<Object>> {
    objects_of_files(path, namespace, |_| true)
}

/// [`objects`], reading only the files whose name `keep` accepts.
pub(crate) fn objects_of_files(path: &str, namespace: &str, keep: impl Fn(&str) -> bool) -> Option<Vec<Object>> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/manifests").join(path);
    if !full.exists() {
        println!("NOTICE: corpus path {} is absent; skipping this corpus test", full.display());
        return None;
    }
    Some(read_objects(&full, namespace, keep))
}

/// The objects of the repository's own files under `path` (`examples/novacron`,
/// `tests/fixtures/projection.yaml`), read as [`objects`] reads the corpus.
pub(crate) fn repository_objects(path: &str, namespace: &str) -> Vec<Object> {
    read_objects(&Path::new(env!("CARGO_MANIFEST_DIR")).join(path), namespace, |_| true)
}

fn read_objects(full: &Path, namespace: &str, keep: impl Fn(&str) -> bool) -> Vec<Object> {
    let mut objects = Vec::new();
    for file in files(full).into_iter().filter(|f| f.file_name().and_then(|n| n.to_str()).is_some_and(&keep)) {
        let text = std::fs::read_to_string(&file).expect("readable corpus file");
        let documents: Vec<Value> = serde_saphyr::from_multiple(&text).expect("corpus file is valid YAML");
        for value in documents {
            let is_list = value.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List"));
            let items = if is_list {
                value.get("items").and_then(Value::as_array).cloned().unwrap_or_default()
            } else {
                vec![value]
            };
            objects.extend(items.into_iter().filter_map(|item| Object::from_value(item, Some(namespace)).ok()));
        }
    }
    objects
}

fn files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(path).expect("readable corpus folder").map(|e| e.expect("folder entry").path()).collect();
    entries.sort();
    entries
        .into_iter()
        .flat_map(|p| {
            if p.is_dir() {
                files(&p)
            } else if p.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "yaml" | "yml" | "json")) {
                vec![p]
            } else {
                vec![]
            }
        })
        .collect()
}

/// An object of the kind a corpus CRD (`../shared/corpus/crds/<file>`) defines, at `version`,
/// with every field its schema declares set to a value of the declared type: a view of the kind
/// tried on it reads each of its fields under cert-manager's (or whoever's) real names, and a
/// field the view misspells stays unset. `None`, with a notice, when the corpus is absent.
pub(crate) fn crd_example(file: &str, version: &str) -> Option<Value> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/crds").join(file);
    if !full.exists() {
        println!("NOTICE: corpus CRD {} is absent; skipping this corpus test", full.display());
        return None;
    }
    let text = std::fs::read_to_string(&full).expect("readable corpus CRD");
    let crd: Value = serde_saphyr::from_str(&text).expect("corpus CRD is valid YAML");
    let group = crd["spec"]["group"].as_str().expect("CRD group");
    let served = crd["spec"]["versions"].as_array().expect("CRD versions");
    let schema = served.iter().find(|v| v["name"] == version).expect("CRD serves the version");
    let mut example = sample(&schema["schema"]["openAPIV3Schema"]);
    example["apiVersion"] = format!("{group}/{version}").into();
    example["kind"] = crd["spec"]["names"]["kind"].clone();
    example["metadata"] = serde_json::json!({"name": "example"});
    Some(example)
}

/// A value of the type `schema` declares: its first `enum` value, an RFC 3339 time for
/// `format: date-time`, and for objects every declared property (plus one entry when it allows
/// others) and for lists one element, each sampled in turn.
fn sample(schema: &Value) -> Value {
    if let Some(first) = schema["enum"].get(0) {
        return first.clone();
    }
    if schema["x-kubernetes-int-or-string"] == true {
        return 1.into();
    }
    match schema["type"].as_str() {
        Some("string") if schema["format"] == "date-time" => "2027-01-01T00:00:00Z".into(),
        Some("string") => "value".into(),
        Some("integer") => 1.into(),
        Some("number") => 1.5.into(),
        Some("boolean") => true.into(),
        Some("array") => Value::Array(vec![sample(&schema["items"])]),
        _ => {
            let mut object: serde_json::Map<String, Value> = schema["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, property)| (name.clone(), sample(property)))
                .collect();
            if schema["additionalProperties"].is_object() {
                object.insert("key".to_owned(), sample(&schema["additionalProperties"]));
            }
            Value::Object(object)
        }
    }
}
