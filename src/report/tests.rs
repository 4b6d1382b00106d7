//! Renderer scenarios over a small hand-built evaluation.

use serde_json::json;

use super::*;
use crate::api::{Decision, ItemState, Severity};
use crate::checks::fixtures::{assert_contains, assert_ends_with, assert_starts_with};

fn item(name: &str, section: Option<&str>, severity: Severity, state: ItemState, message: &str) -> ItemResult {
    ItemResult {
        name: name.to_owned(),
        title: format!("{name} title"),
        section: section.map(str::to_owned),
        severity,
        check: "manual",
        state,
        message: message.to_owned(),
    }
}

fn evaluation(items: Vec<ItemResult>) -> Evaluation {
    Evaluation::from_items("shop".to_owned(), "release".to_owned(), items)
}

fn sample() -> Evaluation {
    evaluation(vec![
        item("autoscaling", Some("Compute"), Severity::Critical, ItemState::Passed, "hpa/api min=3 max=10"),
        item("cto-signoff", Some("Sign-off"), Severity::Critical, ItemState::Pending, "awaiting user alice"),
        item("probes", Some("Compute"), Severity::High, ItemState::Failed, "deployment/api: no readiness probe"),
        item("latency", Some("Observability"), Severity::Low, ItemState::Skipped, "live only"),
        item("dashboards", Some("Observability"), Severity::High, ItemState::Waived, "waived by bob"),
        item("version", None, Severity::Critical, ItemState::Error, "atLeast: invalid version"),
    ])
}

fn plain() -> Options {
    Options::default()
}

#[test]
fn table_groups_items_by_section_in_order_of_first_appearance() {
    let text = render(Format::Table, &[sample()], &plain()).expect("renders");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "checklist shop/release: NoGo");
    assert_eq!(lines[1], "  Compute");
    assert!(lines[2].starts_with("    Passed   Critical  autoscaling  autoscaling title"), "{text}");
    assert!(lines[3].starts_with("    Failed   High      probes"), "{text}");
    assert_eq!(lines[4], "  Sign-off");
    assert_eq!(lines[6], "  Observability");
    assert_eq!(lines[9], "  General");
    assert_eq!(
        lines.last().copied(),
        Some(
            "  NoGo: 6 items: 1 passed, 1 failed, 1 pending, 1 error, 1 skipped, 1 waived; blocking: cto-signoff, version"
        )
    );
    assert!(!text.contains('\x1b'), "no colour unless asked");
}

#[test]
fn table_colours_states_only_when_asked() {
    let text = render(Format::Table, &[sample()], &Options { color: true, ..plain() }).expect("renders");
    assert_contains(&text, "\x1b[31mFailed \x1b[0m");
    assert_contains(&text, "\x1b[32mPassed \x1b[0m");
}

#[test]
fn table_cuts_long_messages_and_keeps_rows_on_one_line() {
    let long = "x".repeat(500) + "\nsecond line";
    let e = evaluation(vec![item("a", None, Severity::High, ItemState::Failed, &long)]);
    let text = render(Format::Table, &[e], &Options { max_message_chars: 40, ..plain() }).expect("renders");
    let row = text.lines().nth(1).expect("row");
    assert_ends_with(row, &format!("{}…", "x".repeat(39)));
    assert_eq!(text.lines().count(), 3);
}

#[test]
fn json_has_the_status_shape_per_checklist() {
    let text = render(Format::Json, &[sample()], &plain()).expect("renders");
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(value[0]["name"], "release");
    assert_eq!(value[0]["namespace"], "shop");
    assert_eq!(value[0]["decision"], "NoGo");
    assert_eq!(value[0]["blocking"], json!(["cto-signoff", "version"]));
    assert_eq!(
        value[0]["summary"],
        json!({"total": 6, "passed": 1, "failed": 1, "pending": 1, "error": 1, "skipped": 1, "waived": 1})
    );
    assert_eq!(
        value[0]["items"][1],
        json!({"name": "cto-signoff", "state": "Pending", "severity": "Critical", "message": "awaiting user alice",
               "title": "cto-signoff title", "section": "Sign-off"})
    );
    assert!(value[0]["items"][5].get("section").is_none());
}

#[test]
fn yaml_carries_the_same_data_as_json() {
    let yaml = render(Format::Yaml, &[sample()], &plain()).expect("renders");
    let json = render(Format::Json, &[sample()], &plain()).expect("renders");
    let from_yaml: serde_json::Value = serde_saphyr::from_str(&yaml).expect("yaml");
    let from_json: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(from_yaml, from_json);
}

#[test]
fn junit_maps_states_to_failures_errors_and_skips() {
    let text = render(Format::Junit, &[sample()], &plain()).expect("renders");
    assert_starts_with(
        &text,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"readygate\" tests=\"6\" failures=\"2\" errors=\"1\" skipped=\"1\">",
    );
    assert_contains(&text, "<testsuite name=\"shop/release\" tests=\"6\" failures=\"2\" errors=\"1\" skipped=\"1\">");
    assert_eq!(text.matches("<testcase ").count(), 6);
    assert_contains(&text, "<testcase classname=\"Compute\" name=\"autoscaling: autoscaling title\">");
    assert_contains(&text, "<failure type=\"Pending\" message=\"awaiting user alice\">");
    assert_contains(&text, "<error type=\"Error\"");
    assert_contains(&text, "<skipped message=\"live only\"/>");
    assert_contains(&text, "<system-out>Waived: waived by bob</system-out>");
    assert_contains(&text, "<testcase classname=\"shop/release\" name=\"version: version title\">");
}

#[test]
fn markdown_leads_with_the_decision_and_tabulates_each_section() {
    let text = render(Format::Markdown, &[sample()], &plain()).expect("renders");
    assert_starts_with(&text, "### Readiness checklist `shop/release`: **NoGo**\n\n6 items: 1 passed");
    assert_contains(&text, "**Blocking:** `cto-signoff`, `version`");
    assert_contains(
        &text,
        "#### Compute\n\n| State | Severity | Item | Title | Message |\n| --- | --- | --- | --- | --- |\n",
    );
    assert_contains(&text, "| Failed | High | `probes` | probes title | deployment/api: no readiness probe |");
    assert_eq!(text.matches("| State | Severity |").count(), 4, "one table per section");
}

#[test]
fn a_go_checklist_says_nothing_blocks() {
    let e = evaluation(vec![item("a", None, Severity::Critical, ItemState::Passed, "ok")]);
    assert_eq!(e.decision, Decision::Go);
    let markdown = render(Format::Markdown, std::slice::from_ref(&e), &plain()).expect("renders");
    assert_contains(&markdown, "No blocking items.");
    assert!(!markdown.contains("####"), "no section headings when no item has a section");
    let table = render(Format::Table, &[e], &plain()).expect("renders");
    assert_eq!(table.lines().last(), Some("  Go: 1 item: 1 passed"));
}

/// An item whose title, section, name and message carry terminal escapes and line breaks.
fn hostile() -> Evaluation {
    let mut bad = item("probe\u{1b}[2J", Some("Ops\nforged row"), Severity::Critical, ItemState::Failed, "x");
    bad.title = "\u{1b}]0;pwned\u{7}Title".to_owned();
    bad.message = "deployment/api: \u{1b}[31mred\u{9b}1m\nnext".to_owned();
    Evaluation::from_items("shop".to_owned(), "rel\u{1b}[2Jease".to_owned(), vec![bad])
}

#[test]
fn table_and_markdown_print_no_control_character_raw() {
    for format in [Format::Table, Format::Markdown] {
        let text = render(format, &[hostile()], &plain()).expect("renders");
        let raw: Vec<char> = text.chars().filter(|&c| c.is_control() && c != '\n').collect();
        assert!(raw.is_empty(), "{format:?} printed {raw:?}:\n{text}");
        assert!(text.contains("\\u{1b}]0;pwned\\u{7}") || text.contains("\\u{1b}\\]0;pwned\\u{7}"), "{text}");
        assert!(!text.contains("\nforged row"), "{format:?}: a section's newline forged a line:\n{text}");
    }
    let table = render(Format::Table, &[hostile()], &plain()).expect("renders");
    assert_starts_with(&table, "checklist shop/rel\\u{1b}[2Jease: NoGo\n");
    assert_contains(&table, "  Ops\\nforged row\n");
    assert_contains(&table, "red\\u{9b}1m next");
    assert_contains(&table, "blocking: probe\\u{1b}[2J");
}

#[test]
fn colours_stay_the_tables_own_escapes() {
    let colored = Options { color: true, ..plain() };
    let text = render(Format::Table, &[hostile()], &colored).expect("renders");
    // The only ESC bytes left open an SGR colour the table chose, never one from the input.
    for (at, _) in text.match_indices('\u{1b}') {
        let rest = &text[at..];
        assert!(["\u{1b}[0m", "\u{1b}[1m", "\u{1b}[31m"].iter().any(|sgr| rest.starts_with(sgr)), "{rest:?}");
    }
}
