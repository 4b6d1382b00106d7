//! The manifest loader against real-world Kubernetes files from `../shared/corpus` (never copied
//! into the repository). Without the corpus these tests print a notice and pass vacuously.
//!
//! Files that are expected not to load, and why (everything else must load):
//! - `manifests/cert-manager-docs/usage/certificate__block9.yaml`: a documentation snippet that
//!   shows only a Certificate's `spec`; it has no `metadata.name`, so it is no object.
//!
//! Other odd files load on purpose: the `kubernetes-docs-examples` in YAML flow style
//! (`{ apiVersion: "v1", ... }`), `kubernetes-api-testdata` with placeholder values in every
//! field (valid objects nevertheless), and kustomize `kustomization.yaml` files (build
//! configuration, passed over).

use std::path::{Path, PathBuf};

use readygate::inventory::manifests;
use serde_json::Value;

const EXPECTED_FAILURES: &[(&str, &str)] =
    &[("manifests/cert-manager-docs/usage/certificate__block9.yaml", "Certificate has no metadata.name")];

fn corpus() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if root.is_dir() {
        Some(root)
    } else {
        eprintln!("NOTICE: {} is absent; the corpus tests did not run", root.display());
        None
    }
}

/// Every `.yaml`, `.yml` and `.json` file under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn relative<'a>(root: &Path, path: &'a Path) -> &'a str {
    path.strip_prefix(root).expect("under the corpus").to_str().expect("utf-8 path")
}

#[test]
fn every_manifest_and_crd_file_loads() {
    let Some(root) = corpus() else { return };
    let mut loaded_files = 0;
    for path in [root.join("manifests"), root.join("crds")].iter().flat_map(|dir| files_under(dir)) {
        let name = relative(&root, &path);
        let result = manifests::load(std::slice::from_ref(&path), "corpus");
        match EXPECTED_FAILURES.iter().find(|(file, _)| *file == name) {
            Some((_, reason)) => {
                let error = result.expect_err("a known-odd file fails").to_string();
                assert!(error.contains(reason), "{name} fails for another reason: {error}");
            }
            None => {
                result.unwrap_or_else(|e| panic!("{name} does not load: {e}"));
                loaded_files += 1;
            }
        }
    }
    assert!(loaded_files > 250, "only {loaded_files} files found: is the corpus complete?");
}

#[test]
fn a_whole_source_folder_loads_as_its_files_do() {
    let Some(root) = corpus() else { return };
    let folder = root.join("manifests/kube-prometheus");
    let together = manifests::load(std::slice::from_ref(&folder), "monitoring").expect("folder loads");
    let one_by_one: usize = files_under(&folder)
        .iter()
        .map(|file| manifests::load(std::slice::from_ref(file), "monitoring").expect("file loads").len())
        .sum();
    assert_eq!(together.len(), one_by_one);
    assert!(together.iter().any(|o| o.kind == "Deployment" && o.namespace.as_deref() == Some("monitoring")));
}

#[test]
fn every_object_reports_the_line_where_its_document_starts() {
    let Some(root) = corpus() else { return };
    for path in files_under(&root.join("manifests")) {
        let name = relative(&root, &path);
        if EXPECTED_FAILURES.iter().any(|(file, _)| *file == name) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let lines: Vec<&str> = text.lines().collect();
        let loaded = manifests::load_with_sources(std::slice::from_ref(&path), "corpus").expect("loads");
        for (index, item) in loaded.iter().enumerate() {
            let start = item.source.line().unwrap_or_else(|| panic!("{name}: no line for {}", item.object.name));
            // The document runs up to the start of the next document holding an object.
            let end = loaded[index + 1..]
                .iter()
                .find(|next| next.source.document() != item.source.document())
                .and_then(|next| next.source.line())
                .map_or(lines.len(), |line| line - 1);
            let document = lines[start - 1..end].join("\n");
            assert!(
                document.contains(&item.object.name),
                "{name}: document {} said to start on line {start} does not hold {}",
                item.source.document(),
                item.object.reference()
            );
        }
    }
}

#[test]
fn yaml_and_json_forms_of_the_same_object_load_alike() {
    let Some(root) = corpus() else { return };
    let mut pairs = 0;
    for json in files_under(&root.join("manifests/kubernetes-api-testdata")) {
        let yaml = json.with_extension("yaml");
        if json.extension().is_none_or(|e| e != "json") || !yaml.exists() {
            continue;
        }
        let from_json = manifests::load(std::slice::from_ref(&json), "corpus").expect("json loads");
        let from_yaml = manifests::load(std::slice::from_ref(&yaml), "corpus").expect("yaml loads");
        assert_eq!(from_json, from_yaml, "{} differs from its YAML form", relative(&root, &json));
        pairs += 1;
    }
    assert!(pairs > 0, "no JSON/YAML pairs found");
}

#[test]
fn admission_fixtures_parse() {
    let Some(root) = corpus() else { return };
    let mut parsed = 0;
    for path in files_under(&root.join("admission")) {
        let name = relative(&root, &path);
        let text = std::fs::read_to_string(&path).expect("readable");
        let value: Value = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
        } else {
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let shape_known = value.get("request").is_some()
            || (value.get("uid").is_some() && value.get("operation").is_some())
            || value.get("kind").is_some();
        assert!(shape_known, "{name} is neither an AdmissionReview, a bare request nor an object");
        parsed += 1;
    }
    assert!(parsed > 40, "only {parsed} admission fixtures found");
}
