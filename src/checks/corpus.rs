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
    let mut objects = Vec::new();
    for file in files(&full).into_iter().filter(|f| f.file_name().and_then(|n| n.to_str()).is_some_and(&keep)) {
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
    Some(objects)
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
