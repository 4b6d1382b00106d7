//! The Argo CD health check in docs/gitops.md, run by Lua 5.1 against checklists in each state.

use serde_json::{Value, json};

use super::render::repo;
use super::tools::{lua, run};

const KEY: &str = "resource.customizations.health.readygate.io_ReadinessChecklist: |";

/// The Lua script as the docs give it (the block under the argocd-cm key, dedented).
fn documented_script() -> String {
    let docs = std::fs::read_to_string(repo().join("docs/gitops.md")).expect("docs/gitops.md");
    let start = docs.find(KEY).unwrap_or_else(|| panic!("docs/gitops.md has no `{KEY}`"));
    let body = &docs[start + KEY.len()..];
    let body = &body[..body.find("```").expect("the YAML block ends")];
    body.lines().skip(1).map(|line| line.strip_prefix("    ").unwrap_or(line)).collect::<Vec<_>>().join("\n")
}

/// JSON as a Lua table constructor; nulls become absent keys, as in Argo CD.
fn lua_value(value: &Value) -> String {
    match value {
        Value::Null => "nil".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Array(items) => format!("{{{}}}", items.iter().map(lua_value).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("[{k:?}] = {}", lua_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Runs the documented script on `checklist` as Argo CD does (`obj` bound, `hs` returned).
fn health(checklist: Value) -> (String, String) {
    let program = format!(
        "obj = {}\nlocal function health()\n{}\nend\nlocal hs = health()\nio.write(hs.status, \"\\n\", hs.message or \"\")\n",
        lua_value(&checklist),
        documented_script()
    );
    let out = run(&lua(), ["-"], Some(&program));
    let (status, message) = out.split_once('\n').expect("status and message");
    (status.to_owned(), message.to_owned())
}

fn checklist(generation: i64, status: Value) -> Value {
    json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": "shop", "generation": generation},
        "spec": {"items": []},
        "status": status,
    })
}

fn evaluated(decision: &str, passed: i64, blocking: &[&str]) -> Value {
    json!({
        "decision": decision, "observedGeneration": 3, "blocking": blocking,
        "summary": {"total": 4, "passed": passed, "waived": 1, "failed": 3 - passed, "pending": 0, "error": 0, "skipped": 0},
    })
}

#[test]
fn argo_cd_sees_a_go_checklist_as_healthy() {
    let health = health(checklist(3, evaluated("Go", 3, &[])));
    assert_eq!(health, ("Healthy".to_owned(), "Go (4/4 items pass)".to_owned()));
}

#[test]
fn argo_cd_sees_a_no_go_checklist_as_degraded_with_its_blocking_items() {
    let health = health(checklist(3, evaluated("NoGo", 1, &["cto-signoff", "autoscaling"])));
    assert_eq!(health, ("Degraded".to_owned(), "NoGo (2/4 items pass); blocking: cto-signoff, autoscaling".to_owned()));
}

#[test]
fn argo_cd_sees_unknown_unevaluated_and_outdated_checklists_as_progressing() {
    assert_eq!(health(checklist(3, evaluated("Unknown", 3, &[]))).0, "Progressing");
    let unevaluated = health(checklist(1, Value::Null));
    assert_eq!(unevaluated, ("Progressing".to_owned(), "Waiting for readygate to evaluate the checklist".to_owned()));
    let outdated = health(checklist(4, evaluated("Go", 3, &[])));
    assert_eq!(outdated, ("Progressing".to_owned(), "Waiting for readygate to evaluate generation 4".to_owned()));
}
