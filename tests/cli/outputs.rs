//! The report formats of `readygate check`: json, yaml, junit, markdown, html and table.

use super::*;

fn release(ws: &Workspace) -> PathBuf {
    ws.write("checklist.yaml", &checklist("release", true))
}

#[test]
fn json_lists_each_checklist_in_the_status_shape() {
    let ws = Workspace::new();
    let (code, stdout, _) = check(&["-f", arg(&release(&ws)), "-o", "json"], None);
    assert_eq!(code, 1);
    let reports = json_of(&stdout);
    let report = &reports.as_array().expect("a list")[0];
    let keys: Vec<&str> = report.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 6, "{keys:?}");
    for key in ["name", "namespace", "decision", "summary", "blocking", "items"] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert_eq!(report["decision"], "NoGo");
    assert_eq!(report["blocking"], serde_json::json!(["cto-signoff", "version"]));
    assert_eq!(report["summary"]["total"], 2);
    assert_eq!(report["summary"]["pending"], 1);
    assert_eq!(report["summary"]["skipped"], 1);
    let item = &report["items"][1];
    assert_eq!(item["name"], "cto-signoff");
    assert_eq!(item["state"], "Pending");
    assert_eq!(item["severity"], "Critical");
    assert!(item["message"].as_str().expect("message").contains("alice"));
}

#[test]
fn yaml_carries_what_json_carries() {
    let ws = Workspace::new();
    let cl = release(&ws);
    let (_, json, _) = check(&["-f", arg(&cl), "-o", "json"], None);
    let (code, yaml, _) = check(&["-f", arg(&cl), "-o", "yaml"], None);
    assert_eq!(code, 1);
    let from_yaml: Value = serde_saphyr::from_str(&yaml).expect("yaml output parses");
    assert_eq!(from_yaml, json_of(&json));
}

#[test]
fn junit_is_well_formed_with_one_testcase_per_item() {
    let ws = Workspace::new();
    let text = checklist("release", true).replace("CTO signed off", "CTO <signed> & \"off\"");
    let cl = ws.write("checklist.yaml", &text);
    let (code, xml, _) = check(&["-f", arg(&cl), "-o", "junit"], None);
    assert_eq!(code, 1);
    assert_well_formed(&xml);
    assert_eq!(xml.matches("<testcase ").count(), 2);
    assert!(xml.contains("<failure type=\"Pending\""), "{xml}");
    assert!(xml.contains("<skipped message="), "{xml}");
    assert!(xml.contains("name=\"cto-signoff: CTO &lt;signed&gt; &amp; &quot;off&quot;\""), "{xml}");
}

#[test]
fn markdown_has_the_decision_and_a_table_per_section() {
    let ws = Workspace::new();
    let (code, markdown, _) = check(&["-f", arg(&release(&ws)), "-o", "markdown"], None);
    assert_eq!(code, 1);
    assert!(markdown.contains("**NoGo**"), "{markdown}");
    assert!(markdown.contains("**Blocking:** `cto-signoff`, `version`"), "{markdown}");
    assert!(markdown.contains("#### Platform\n\n| State | Severity | Item | Title | Message |\n| --- |"), "{markdown}");
    assert!(markdown.contains("| Pending | Critical | `cto-signoff` | CTO signed off |"), "{markdown}");
}

#[test]
fn html_is_one_page_with_the_decision_and_live_only_items_marked_offline() {
    let ws = Workspace::new();
    let (code, html, _) = check(&["-f", arg(&release(&ws)), "-o", "html"], None);
    assert_eq!(code, 1);
    assert!(html.starts_with("<!DOCTYPE html><html lang=\"en\">") && html.ends_with("</html>"), "{html}");
    assert!(html.contains("<strong class=\"decision\">NO-GO</strong>"), "{html}");
    assert!(html.contains("Skipped offline"), "kubernetesVersion is live-only without --kube-version: {html}");
    assert!(html.contains("<time datetime=\"2026-11-25T10:00:00Z\">"), "evaluation time from --now: {html}");
}

#[test]
fn an_unknown_output_is_bad_input_listing_the_formats() {
    let ws = Workspace::new();
    let (code, stdout, stderr) = check(&["-f", arg(&release(&ws)), "-o", "pdf"], None);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("[possible values: table, json, yaml, junit, markdown, html]"), "{stderr}");
}

#[test]
fn table_is_plain_text_when_not_on_a_terminal() {
    let ws = Workspace::new();
    let (_, table, _) = check(&["-f", arg(&release(&ws))], None);
    assert!(!table.contains('\x1b'), "{table}");
    assert!(table.contains("  Platform\n    Skipped  Critical  version"), "{table}");
    assert!(table.contains("  Sign-off\n    Pending  Critical  cto-signoff"), "{table}");
}

/// A small XML well-formedness check: balanced tags, quoted attributes, escaped text.
fn assert_well_formed(xml: &str) {
    let body = xml.strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n").expect("xml declaration");
    let mut open: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find('<') {
        assert_text_escaped(&rest[..start]);
        let end = rest[start..].find('>').expect("tag closes") + start;
        let tag = &rest[start + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name), "closing tag matches");
        } else {
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let (name, attributes) = tag.split_once(' ').unwrap_or((tag, ""));
            assert_attributes_quoted(attributes);
            if !self_closing {
                open.push(name.to_owned());
            }
        }
        rest = &rest[end + 1..];
    }
    assert!(rest.trim().is_empty() && open.is_empty(), "unclosed: {open:?}");
}

fn assert_attributes_quoted(attributes: &str) {
    let mut rest = attributes.trim();
    while !rest.is_empty() {
        let (_, value) = rest.split_once("=\"").expect("attribute has a quoted value");
        let end = value.find('"').expect("value closes");
        assert_text_escaped(&value[..end]);
        rest = value[end + 1..].trim_start();
    }
}

fn assert_text_escaped(text: &str) {
    assert!(!text.contains('<') && !text.contains('"'), "unescaped text {text:?}");
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
        assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#10;"].contains(&entity), "bad entity {entity}");
    }
}
