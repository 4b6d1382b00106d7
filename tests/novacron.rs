//! The NovaCron example end to end: the README commands, the exact blocking items of `bad/`,
//! manifests on stdin, and docs/novacron.md kept in step with the checklist and its source.

#[path = "support/novacron_expected.rs"]
mod novacron_expected;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use readygate::api::{Check, ReadinessChecklist};
use serde_json::Value;

const CHECKLIST: &str = "examples/novacron/checklist.yaml";
const GOOD: &str = "examples/novacron/good/";
const BAD: &str = "examples/novacron/bad/";
/// A fixed evaluation time, so item messages do not depend on the day the suite runs.
const NOW: &str = "2026-11-25T12:00:00Z";

/// Items only the running system can decide: `readygate check` skips them.
const LIVE_ONLY: [&str; 7] = [
    "api-error-rate",
    "api-health-live",
    "api-latency",
    "backup-recent-success",
    "kubernetes-version",
    "metrics-endpoint",
    "no-critical-alerts",
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn readygate(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_readygate"));
    command.args(args).current_dir(repo()).env("NO_COLOR", "1");
    command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("readygate runs");
    if let Some(bytes) = stdin {
        child.stdin.take().expect("stdin is piped").write_all(bytes).expect("stdin accepts the manifests");
    }
    child.wait_with_output().expect("readygate finishes")
}

fn exit_code(output: &Output) -> i32 {
    output.status.code().unwrap_or_else(|| panic!("readygate was killed: {}", stderr(output)))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The one checklist report of a `--output json` run.
fn report(output: &Output) -> Value {
    let reports: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("json output ({e}): {}\nstderr: {}", stdout(output), stderr(output)));
    assert_eq!(reports.as_array().map(Vec::len), Some(1), "one report per checklist: {reports}");
    reports[0].clone()
}

fn check_json(manifests: &str) -> (i32, Value) {
    let output = readygate(&["check", "-f", CHECKLIST, manifests, "--now", NOW, "--output", "json"], None);
    (exit_code(&output), report(&output))
}

fn items(report: &Value) -> Vec<(String, String, String)> {
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let field = |k: &str| i[k].as_str().unwrap_or_default().to_owned();
            (field("name"), field("state"), field("message"))
        })
        .collect()
}

fn message_of(report: &Value, item: &str) -> String {
    items(report).into_iter().find(|(name, _, _)| name == item).map(|(_, _, m)| m).expect("item is reported")
}

fn checklist() -> ReadinessChecklist {
    let text = std::fs::read_to_string(repo().join(CHECKLIST)).expect("checklist readable");
    // Through JSON, as `readygate check` reads a checklist: from the loaded object's data.
    let value: Value = serde_saphyr::from_str(&text).expect("checklist is YAML");
    serde_json::from_value(value).expect("checklist parses as a ReadinessChecklist")
}

fn manifest_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
        .expect("manifest folder readable")
        .map(|e| e.expect("folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_readme_command_on_good_manifests_says_go() {
    let output = readygate(&["check", "-f", CHECKLIST, GOOD], None);
    assert_eq!(exit_code(&output), 0, "{}\n{}", stdout(&output), stderr(&output));
    assert!(stdout(&output).contains("novacron/novacron-v1: Go"), "{}", stdout(&output));
}

#[test]
fn good_manifests_pass_every_item_that_manifests_can_decide() {
    let (code, report) = check_json(GOOD);
    assert_eq!(code, 0);
    assert_eq!(report["decision"], "Go");
    assert_eq!(report["blocking"], serde_json::json!([]));
    for (name, state, message) in items(&report) {
        let expected = if LIVE_ONLY.contains(&name.as_str()) { "Skipped" } else { "Passed" };
        assert_eq!(state, expected, "{name}: {message}");
    }
}

#[test]
fn good_signoffs_approve_every_manual_item_by_an_approver() {
    let (_, report) = check_json(GOOD);
    let manual: Vec<String> =
        checklist().spec.items.iter().filter(|i| matches!(i.check, Check::Manual(_))).map(|i| i.name.clone()).collect();
    assert!(manual.len() > 30, "the document has many human sign-offs");
    for name in manual {
        let message = message_of(&report, &name);
        assert!(message.starts_with("approved by "), "{name}: {message}");
    }
}

#[test]
fn bad_manifests_are_no_go_and_block_on_exactly_their_mistakes() {
    let (code, report) = check_json(BAD);
    assert_eq!(code, 1);
    assert_eq!(report["decision"], "NoGo");
    let blocking: Vec<&str> =
        report["blocking"].as_array().expect("blocking").iter().filter_map(Value::as_str).collect();
    assert_eq!(blocking, novacron_expected::BAD_BLOCKING);
}

#[test]
fn each_blocking_item_of_bad_names_the_object_at_fault() {
    let (_, report) = check_json(BAD);
    let expectations: [(&str, &[&str]); 11] = [
        ("api-autoscaling", &["hpa/api", "minReplicas is 2"]),
        ("auth-secret-strength", &["novacron-auth", "AUTH_SECRET", "16"]),
        ("backup-hourly-incremental", &["backup-incremental"]),
        ("cto-signoff", &["cto"]),
        ("hsts", &["ingress/api", "ingress/frontend"]),
        ("network-default-deny", &["default-deny"]),
        ("no-cluster-admin", &["clusterrolebinding/novacron-worker-debug", "role/novacron-operator"]),
        ("no-literal-secret-env", &["deployment/api", "DB_PASSWORD"]),
        ("private-ports-services", &["service/postgres", "5432", "service/redis", "6379"]),
        ("rbac-boundaries", &["novacron-operators", "secrets"]),
        ("release-image-tag", &["deployment/api", "latest"]),
    ];
    for (item, fragments) in expectations {
        let message = message_of(&report, item);
        for fragment in fragments {
            assert!(message.contains(fragment), "{item} should mention {fragment:?}: {message}");
        }
    }
}

#[test]
fn no_message_reveals_a_secret_value() {
    let (_, report) = check_json(BAD);
    let text = report.to_string();
    // The literal password of bad/api.yaml and the AUTH_SECRET of bad/secrets.yaml (base64 and plain).
    for secret in ["Sup3rS3cret-2026", "Q0I2RjBkR0UweFMyS0s0bQ==", "CB6F0dGE0xS2KK4m"] {
        assert!(!text.contains(secret), "a report contains the secret {secret}");
    }
}

/// `cat DIR/*.yaml | readygate check -f checklist.yaml -`: the files are concatenated as they
/// are, the way `cat` (or a rendering tool) streams them.
fn piped(dir: &str) -> (i32, Value) {
    let stream: Vec<u8> =
        manifest_files(dir).iter().flat_map(|file| std::fs::read(file).expect("manifest readable")).collect();
    let output = readygate(&["check", "-f", CHECKLIST, "-", "--now", NOW, "--output", "json"], Some(&stream));
    (exit_code(&output), report(&output))
}

#[test]
fn manifests_piped_on_stdin_give_the_same_verdict_as_the_folder() {
    for (dir, code) in [(GOOD, 0), (BAD, 1)] {
        let (piped_code, from_stdin) = piped(dir);
        let (_, from_folder) = check_json(dir);
        assert_eq!(piped_code, code, "{dir} on stdin");
        assert_eq!(from_stdin, from_folder, "{dir} on stdin and as a folder");
    }
}

/// Backticked names in the "item" column (the second) of docs/novacron.md's tables, and the
/// first column of those rows (the document lines).
fn docs_novacron_rows() -> Vec<(String, BTreeSet<String>)> {
    let text = std::fs::read_to_string(repo().join("docs/novacron.md")).expect("docs/novacron.md readable");
    let mut rows = Vec::new();
    let mut in_line_table = false;
    for line in text.lines() {
        if line.starts_with("| document line |") {
            in_line_table = true;
            continue;
        }
        if !line.starts_with('|') {
            in_line_table = false;
            continue;
        }
        if !in_line_table || line.starts_with("| ---") {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let names = cells.get(1).map_or_else(BTreeSet::new, |cell| backticked(cell));
        rows.push((cells[0].to_owned(), names));
    }
    rows
}

fn backticked(text: &str) -> BTreeSet<String> {
    text.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

#[test]
fn docs_novacron_maps_lines_only_to_items_that_exist_and_uses_every_item() {
    let names: BTreeSet<String> = checklist().spec.items.iter().map(|i| i.name.clone()).collect();
    let rows = docs_novacron_rows();
    assert!(rows.len() >= 242, "docs/novacron.md maps every checkbox line ({} rows)", rows.len());
    let mut used = BTreeSet::new();
    for (line, items) in &rows {
        for item in items {
            assert!(names.contains(item), "docs/novacron.md maps {line:?} to unknown item {item}");
            used.insert(item.clone());
        }
    }
    let unused: Vec<_> = names.difference(&used).collect();
    assert!(unused.is_empty(), "items no document line maps to: {unused:?}");
}

/// Compares lines the way a reader would: ASCII words and punctuation only (the source file
/// carries mis-encoded arrows and emoji), no Markdown emphasis, single spaces.
fn normalize(text: &str) -> String {
    let ascii: String = text.chars().filter(|c| c.is_ascii() && *c != '*').collect();
    ascii.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_line_of_the_source_document_is_mapped() {
    let seed = repo().join("../shared/seed/novacron-production-readiness-checklist.md");
    let Ok(document) = std::fs::read_to_string(&seed) else {
        println!("NOTICE: {} is absent; skipping the line-by-line mapping check", seed.display());
        return;
    };
    let mapped: BTreeSet<String> = docs_novacron_rows().iter().map(|(line, _)| normalize(line)).collect();
    let lines: Vec<String> =
        document.lines().filter_map(|l| l.trim_start().strip_prefix("- [ ] ")).map(normalize).collect();
    assert_eq!(lines.len(), 242, "checkbox lines in the source document");
    let missing: Vec<&String> = lines.iter().filter(|l| !mapped.contains(*l)).collect();
    assert!(missing.is_empty(), "document lines docs/novacron.md does not map: {missing:#?}");
}

#[test]
fn every_critical_item_is_decidable_from_manifests() {
    for item in checklist().spec.items {
        if item.severity != readygate::api::Severity::Critical {
            continue;
        }
        let live_only = matches!(item.check, Check::Http(_) | Check::Prometheus(_) | Check::KubernetesVersion(_))
            || matches!(&item.check, Check::CronJob(c) if c.last_success_within.is_some());
        assert!(!live_only, "Critical item {} would be Skipped offline and make every check Unknown", item.name);
    }
}
