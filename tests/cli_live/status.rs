//! `readygate status`: exit codes from the stored decision as readers judge it, namespaces, views.

use std::io::Write;

use serde_json::{Value, json};
use tempfile::NamedTempFile;

use super::*;

#[test]
fn status_exits_0_and_shows_the_items_of_a_go_checklist() {
    let cluster = Cluster::new();
    cluster.checklist("default", "release", Some(stored(ONE_MINUTE_AGO, 1, "Passed")));
    let (code, stdout, stderr) = status_of(&cluster, &["release"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("checklist default/release: Go\n"), "{stdout}");
    assert!(stdout.contains("approved by alice (readinesssignoff/cto): reviewed"), "{stdout}");
    assert!(stdout.contains("CTO signed off"), "titles come from the spec: {stdout}");
    assert!(!stdout.contains("note:"), "{stdout}");
}

#[test]
fn status_exits_1_and_names_the_blocking_items_of_a_no_go_checklist() {
    let cluster = Cluster::new();
    cluster.checklist("default", "release", Some(stored(ONE_MINUTE_AGO, 1, "Pending")));
    let (code, stdout, _) = status_of(&cluster, &["release"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("NoGo: 3 items: 2 passed, 1 pending; blocking: cto-signoff"), "{stdout}");
}

#[test]
fn status_exits_3_saying_the_status_is_stale() {
    let cluster = Cluster::new();
    cluster.checklist("default", "release", Some(stored("2026-11-25T09:00:00Z", 1, "Passed")));
    let (code, stdout, _) = status_of(&cluster, &["release"]);
    assert_eq!(code, 3, "{stdout}");
    assert!(stdout.starts_with("checklist default/release: Unknown\n"), "{stdout}");
    assert!(
        stdout.contains(
            "note: status is stale: last evaluation is 3600s old (maxStaleness 600s); the stored decision is Go"
        ),
        "{stdout}"
    );
}

#[test]
fn status_exits_3_when_the_evaluation_is_for_an_older_generation() {
    let cluster = Cluster::new();
    cluster.checklist("default", "release", Some(stored(ONE_MINUTE_AGO, 1, "Passed")));
    let mut changed =
        cluster.double.get_object(API_VERSION, "ReadinessChecklist", Some("default"), "release").expect("seeded");
    changed["metadata"]["generation"] = json!(2);
    cluster.double.seed(changed);
    let (code, stdout, _) = status_of(&cluster, &["release"]);
    assert_eq!(code, 3, "{stdout}");
    assert!(
        stdout.contains("note: status is outdated: evaluation is for generation 1, spec is at generation 2"),
        "{stdout}"
    );
}

#[test]
fn status_exits_3_before_the_first_evaluation() {
    let cluster = Cluster::new();
    cluster.checklist("default", "release", None);
    let (code, stdout, _) = status_of(&cluster, &["release"]);
    assert_eq!(code, 3, "{stdout}");
    assert!(stdout.contains("Skipped  Critical  version"), "{stdout}");
    assert!(stdout.contains("note: not evaluated yet (is the readygate controller running?)"), "{stdout}");
}

#[test]
fn status_lists_every_namespace_with_all_namespaces() {
    let cluster = Cluster::new();
    cluster.checklist("novacron", "release", Some(stored(ONE_MINUTE_AGO, 1, "Passed")));
    cluster.checklist("payments", "release", Some(stored(ONE_MINUTE_AGO, 1, "Pending")));
    cluster.checklist("payments", "hotfix", Some(stored(ONE_MINUTE_AGO, 1, "Passed")));
    let (code, stdout, _) = status_of(&cluster, &["-A", "-o", "json"]);
    assert_eq!(code, 1, "NoGo anywhere wins: {stdout}");
    let entries: Value = serde_json::from_str(&stdout).expect("JSON");
    let seen: Vec<(&str, &str, &str)> = entries
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| {
            (
                e["namespace"].as_str().unwrap_or(""),
                e["name"].as_str().unwrap_or(""),
                e["decision"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(seen, [("novacron", "release", "Go"), ("payments", "hotfix", "Go"), ("payments", "release", "NoGo")]);
}

#[test]
fn status_lists_only_the_namespace_asked_for() {
    let cluster = Cluster::new();
    cluster.checklist("novacron", "release", Some(stored(ONE_MINUTE_AGO, 1, "Passed")));
    cluster.checklist("payments", "release", Some(stored(ONE_MINUTE_AGO, 1, "Pending")));
    let (code, stdout, _) = status_of(&cluster, &["-n", "novacron"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("checklist novacron/release: Go") && !stdout.contains("payments"), "{stdout}");
}

#[test]
fn status_prints_json_in_the_status_shape_with_the_reason_for_unknown() {
    let cluster = Cluster::new();
    cluster.checklist("default", "release", Some(stored("2026-11-25T09:00:00Z", 1, "Passed")));
    let (code, stdout, _) = status_of(&cluster, &["release", "-o", "json"]);
    assert_eq!(code, 3);
    let entries: Value = serde_json::from_str(&stdout).expect("JSON");
    let entry = &entries[0];
    let mut keys: Vec<&str> = entry.as_object().expect("an object").keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["blocking", "decision", "decisionReason", "items", "name", "namespace", "summary"]);
    assert_eq!(entry["decision"], "Unknown");
    assert!(entry["decisionReason"].as_str().expect("a reason").starts_with("status is stale"));
    assert_eq!(entry["summary"]["passed"], 3);
    assert_eq!(
        entry["items"][1],
        json!({"name": "cto-signoff", "state": "Passed", "severity": "Critical",
               "message": "approved by alice (readinesssignoff/cto): reviewed", "title": "CTO signed off", "section": "Sign-off"})
    );
}

#[test]
fn status_prints_yaml_in_the_same_shape() {
    let cluster = Cluster::new();
    cluster.checklist("default", "release", Some(stored(ONE_MINUTE_AGO, 1, "Pending")));
    let (code, stdout, _) = status_of(&cluster, &["-o", "yaml"]);
    assert_eq!(code, 1);
    let entries: Value = serde_saphyr::from_str(&stdout).expect("YAML");
    assert_eq!(entries[0]["name"], "release");
    assert_eq!(entries[0]["blocking"], json!(["cto-signoff"]));
    assert!(entries[0].get("decisionReason").is_none(), "a current status needs no reason: {stdout}");
}

#[test]
fn status_quotes_the_reason_in_markdown_and_logs_it_for_junit() {
    let cluster = Cluster::new();
    cluster.checklist("default", "release", None);
    let (_, markdown, _) = status_of(&cluster, &["release", "-o", "markdown"]);
    assert!(markdown.contains("> **Note:** not evaluated yet"), "{markdown}");
    let (code, junit, stderr) = status_of(&cluster, &["release", "-o", "junit"]);
    assert_eq!(code, 3);
    assert!(junit.contains("<property name=\"decision\" value=\"Unknown\"/>"), "{junit}");
    assert!(stderr.contains("note: readinesschecklist/release in namespace default: not evaluated yet"), "{stderr}");
}

#[test]
fn status_uses_the_kubeconfig_context_namespace_by_default() {
    let cluster = Cluster::new();
    cluster.checklist("novacron", "release", Some(stored(ONE_MINUTE_AGO, 1, "Passed")));
    let mut kubeconfig = NamedTempFile::new().expect("temp file");
    let text = cluster.double.kubeconfig_yaml().replace("namespace: default", "namespace: novacron");
    kubeconfig.write_all(text.as_bytes()).expect("written");
    let (code, stdout, stderr) = run_with_kubeconfig(kubeconfig.path(), &["status", "--now", NOW, "release"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("checklist novacron/release: Go"), "{stdout}");
}

#[test]
fn status_exits_2_when_the_checklist_does_not_exist() {
    let cluster = Cluster::new();
    cluster.checklist("default", "release", None);
    let (code, stdout, stderr) = status_of(&cluster, &["nope"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert_eq!(stderr, "readygate: error: readinesschecklist/nope not found in namespace default\n");
}

#[test]
fn status_exits_2_when_the_namespace_has_no_checklist() {
    let cluster = Cluster::new();
    let (code, _, stderr) = status_of(&cluster, &[]);
    assert_eq!(code, 2, "no checklists must not read as Go");
    assert_eq!(stderr, "readygate: error: no ReadinessChecklist in namespace default\n");
}

#[test]
fn status_exits_2_when_readygate_is_not_installed() {
    let double = BlockingDouble::start();
    let kubeconfig = double.write_kubeconfig();
    let (code, _, stderr) = run_with_kubeconfig(kubeconfig.path(), &["status", "-A"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("does not serve readinesschecklists.readygate.io: are the readygate CRDs installed?"),
        "{stderr}"
    );
}

#[test]
fn status_refuses_a_name_with_all_namespaces() {
    let cluster = Cluster::new();
    let (code, _, stderr) = status_of(&cluster, &["-A", "release"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

#[test]
fn status_exits_2_when_the_api_cannot_be_reached() {
    let cluster = Cluster::new();
    let (kubeconfig, url) = (cluster.double.write_kubeconfig(), cluster.double.url());
    drop(cluster);
    let (code, _, stderr) = run_with_kubeconfig(kubeconfig.path(), &["status"]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with(&format!("readygate: error: cannot reach the Kubernetes API at {url}/: ")), "{stderr}");
}
