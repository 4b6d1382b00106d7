//! deploy/crds/ and charts/readygate/crds/ hold copies of the generated CRDs (kustomize loads no
//! file outside deploy/, Helm none outside the chart); these tests fail when a copy is stale.

use std::path::Path;

use readygate::cli::crd;

use super::render::{documents, repo};

fn assert_copy_is_current(dir: &str) {
    let regenerate = format!("run `cargo run -- crd --split {dir}/` and commit the result");
    let generated = crd::documents().expect("CRDs generate");
    for (file, text) in &generated {
        let stored = std::fs::read_to_string(repo().join(dir).join(file))
            .unwrap_or_else(|e| panic!("{dir}/{file} cannot be read ({e}): {regenerate}"));
        assert!(&stored == text, "{dir}/{file} is stale: {regenerate}");
    }
    let mut present: Vec<String> = std::fs::read_dir(repo().join(dir))
        .expect("folder exists")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name != "kustomization.yaml")
        .collect();
    present.sort();
    let expected: Vec<&String> = generated.iter().map(|(file, _)| file).collect();
    assert_eq!(present.iter().collect::<Vec<_>>(), expected, "{dir} holds other files: {regenerate}");
}

#[test]
fn the_kustomize_crd_copies_are_current() {
    assert_copy_is_current("deploy/crds");
}

#[test]
fn the_chart_crd_copies_are_current() {
    assert_copy_is_current("charts/readygate/crds");
}

#[test]
fn the_crd_kustomization_lists_every_copy() {
    let kustomization =
        std::fs::read_to_string(Path::new(&repo()).join("deploy/crds/kustomization.yaml")).expect("reads");
    let listed = &documents(&kustomization)[0]["resources"];
    let expected: Vec<String> = crd::documents().expect("CRDs generate").into_iter().map(|(file, _)| file).collect();
    assert_eq!(listed, &serde_json::json!(expected));
}
