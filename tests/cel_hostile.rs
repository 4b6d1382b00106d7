//! Hostile CEL against `readygate check`, run as the real binary: expressions that would run for
//! hours or allocate gigabytes are refused (exit 2, with the estimate), objects too large for an
//! admitted expression make the item Error, and no output format quotes a value of an object.
//!
//! The abusive cases run under a timeout, and the allocating one in a shell with a virtual-memory
//! limit: should the budget regress, the test fails instead of hanging CI or exhausting memory.

use std::time::Duration;

use assert_cmd::Command;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// Every case finishes in well under a second; the timeout only catches a regression.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Address space for the allocating case: the binary needs tens of MiB, the abusive expression
/// asked for 1.6 GB before the budget.
const MEMORY_LIMIT_KIB: u64 = 1024 * 1024;

fn checklist(items: &[(&str, &str)]) -> String {
    let mut text = String::from(
        "apiVersion: readygate.io/v1alpha1\nkind: ReadinessChecklist\nmetadata:\n  name: hostile\nspec:\n  items:\n",
    );
    for (name, check) in items {
        text.push_str(&format!(
            "  - name: {name}\n    title: {name}\n    section: CEL\n    severity: Critical\n    check:\n      \
             resource:\n{check}"
        ));
    }
    text
}

/// A `resource` check body (indented for [`checklist`]) with `all: <expr>`.
fn resource(api_version: &str, kind: &str, all: &str) -> String {
    let all = all.replace('\'', "''");
    format!("        apiVersion: {api_version}\n        kind: {kind}\n        all: '{all}'\n")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn write(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    path.to_str().expect("utf-8 path").to_owned()
}

fn check(dir: &TempDir, checklist: &str, manifests: &str, output: &str) -> Run {
    let checklist = write(dir, "checklist.yaml", checklist);
    let manifests = write(dir, "manifests.yaml", manifests);
    let out = Command::cargo_bin("readygate")
        .expect("binary")
        .args(["check", "-f", &checklist, "-o", output, &manifests])
        .timeout(TIMEOUT)
        .output()
        .expect("runs");
    Run {
        code: out.status.code().expect("exited, not killed by the timeout"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n";

#[test]
fn nested_ranges_are_refused_with_their_estimate() {
    let dir = TempDir::new().expect("tempdir");
    let expr = "lists.range(2000).all(a, lists.range(2000).all(b, lists.range(2000).all(c, true)))";
    let run = check(&dir, &checklist(&[("ranges", &resource("apps/v1", "Deployment", expr))]), DEPLOYMENT, "table");
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("items[0] (ranges).check.resource.all: CEL expression's estimated cost "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("exceeds the budget 1e7"), "{}", run.stderr);
}

/// Issue 13: a function CEL in Kubernetes lacks is refused when the checklist loads (exit 2, with
/// cel-go's message); Kubernetes' libraries evaluate.
#[test]
fn an_unknown_function_is_refused_and_the_kubernetes_libraries_evaluate() {
    let dir = TempDir::new().expect("tempdir");
    let unknown = resource("apps/v1", "Deployment", "quantty(string(object.spec.replicas)).sign() > 0");
    let run = check(&dir, &checklist(&[("unknown", &unknown)]), DEPLOYMENT, "table");
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("undeclared reference to 'quantty' (in container '')"), "{}", run.stderr);
    let known = resource(
        "apps/v1",
        "Deployment",
        "quantity(string(object.spec.replicas)).isLessThan(quantity('5')) && [3, 1].max() == object.spec.replicas",
    );
    let run = check(&dir, &checklist(&[("known", &known)]), DEPLOYMENT, "table");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn a_growing_string_is_refused_before_it_allocates() {
    let dir = TempDir::new().expect("tempdir");
    let expr = format!("'a'{}.size() > 0", ".replace('a','aaaaaaaaaa')".repeat(10));
    let checklist = write(&dir, "checklist.yaml", &checklist(&[("growth", &resource("apps/v1", "Deployment", &expr))]));
    let manifests = write(&dir, "manifests.yaml", DEPLOYMENT);
    let binary = assert_cmd::cargo::cargo_bin("readygate");
    // Before the budget this aborted the process ("memory allocation of 1600000000 bytes
    // failed"); under the limit a regression dies at once instead of taking the machine's memory.
    let script = format!("ulimit -v {MEMORY_LIMIT_KIB} && exec \"$0\" check -f \"$1\" \"$2\"");
    let out = Command::new("sh")
        .args(["-c", &script, binary.to_str().expect("utf-8"), &checklist, &manifests])
        .timeout(TIMEOUT)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("CEL expression's `replace` may build a value of "), "{stderr}");
}

#[test]
fn an_object_too_large_for_an_admitted_expression_makes_the_item_error() {
    let dir = TempDir::new().expect("tempdir");
    let expr = "object.data.all(a, object.data.all(b, object.data[a] != object.data[b] || a == b))";
    let entries: String = (0..3000).map(|i| format!("  key{i}: value-{i}\n")).collect();
    let config_map = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n{entries}");
    let run = check(&dir, &checklist(&[("unique", &resource("v1", "ConfigMap", expr))]), &config_map, "json");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("json report");
    let item = &report[0]["items"][0];
    assert_eq!(item["state"], "Error", "{item}");
    let message = item["message"].as_str().expect("message");
    assert!(message.starts_with("CEL cost budget exceeded: all: estimated cost "), "{message}");
    assert!(message.ends_with("for configmap/big"), "{message}");
}

/// Values that must appear nowhere: a Secret's value, its base64 and its digest, a literal env
/// value, and what only the last-applied annotation holds.
struct Secrets {
    value: &'static str,
    base64: &'static str,
    digest: String,
    env_value: &'static str,
    last_applied_value: &'static str,
}

fn secrets() -> Secrets {
    Secrets {
        value: "hunter2-correct-horse",
        base64: "aHVudGVyMi1jb3JyZWN0LWhvcnNl",
        digest: hex::encode(Sha256::digest("hunter2-correct-horse")),
        env_value: "literal-env-s3cr3t",
        last_applied_value: "applied-p4ssw0rd",
    }
}

fn manifests(s: &Secrets) -> String {
    let last_applied = format!(
        "{{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{{\"name\":\"db\"}},\"stringData\":{{\"password\":\"{}\"}}}}",
        s.last_applied_value
    );
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations:\n    \
         kubectl.kubernetes.io/last-applied-configuration: '{last_applied}'\ndata:\n  password: {}\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      \
         containers:\n      - name: api\n        image: api:1\n        env:\n        - name: TOKEN\n          \
         value: {}\n",
        s.base64, s.env_value
    )
}

/// Rules that make CEL errors about those values, as the issue found them.
fn leaky_checklist() -> String {
    let annotation = "object.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']";
    checklist(&[
        ("data-plus-one", &resource("v1", "Secret", "object.data + 1 == 2")),
        ("digest-as-key", &resource("v1", "Secret", "object.data[object.data.password.sha256] == 'x'")),
        ("digest-plus-one", &resource("v1", "Secret", "object.data.password.sha256 + 1 == 2")),
        ("digest-as-int", &resource("v1", "Secret", "int(object.data.password.sha256) == 2")),
        ("last-applied", &resource("v1", "Secret", &format!("{annotation} + 1 == 2"))),
        ("last-applied-key", &resource("v1", "Secret", &format!("object.data[{annotation}] == 'x'"))),
        (
            "env-plus-one",
            &resource("apps/v1", "Deployment", "object.spec.template.spec.containers[0].env[0].value + 1 == 2"),
        ),
        (
            "env-as-key",
            &resource(
                "apps/v1",
                "Deployment",
                "object.spec.template.spec.containers.all(c, c.env.all(e, object.spec[e.value] == 1))",
            ),
        ),
        (
            "env-as-duration",
            &resource(
                "apps/v1",
                "Deployment",
                "duration(object.spec.template.spec.containers[0].env[0].value) > duration('1s')",
            ),
        ),
    ])
}

#[test]
fn no_output_format_carries_a_value_digest_or_base64() {
    let s = secrets();
    let dir = TempDir::new().expect("tempdir");
    for output in ["table", "json", "yaml", "junit", "markdown"] {
        let run = check(&dir, &leaky_checklist(), &manifests(&s), output);
        // Every item failed or errored on its object: the report is not Go.
        assert!(matches!(run.code, 1 | 3), "{output}: exit {}: {}{}", run.code, run.stdout, run.stderr);
        for text in [&run.stdout, &run.stderr] {
            for needle in [s.value, s.base64, &s.digest, s.env_value, s.last_applied_value] {
                assert!(!text.contains(needle), "{output} quotes {needle}:\n{text}");
            }
        }
        // The items were evaluated and say why, by name.
        assert!(
            run.stdout.contains("data-plus-one") || run.stdout.contains("data plus one"),
            "{output}: {}",
            run.stdout
        );
    }
    let run = check(&dir, &leaky_checklist(), &manifests(&s), "json");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let messages: Vec<&str> =
        report[0]["items"].as_array().expect("items").iter().filter_map(|i| i["message"].as_str()).collect();
    assert_eq!(messages.len(), 9, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("no operator 'add' for map and int")), "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("No such key (a key that comes from the object, not shown)")),
        "{messages:?}"
    );
}
