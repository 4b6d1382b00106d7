//! The HTML report's structure and escaping, on hand-built evaluations. The rendered page is
//! checked in a real browser by `tests/html_report.rs`.

use jiff::Timestamp;

use super::*;
use crate::api::{Decision, ItemState, Severity, SignoffAction};
use crate::checks::fixtures::{assert_contains, assert_starts_with};
use crate::engine::{Evaluation, ItemResult, SignoffRecord};

fn item(
    name: &str,
    title: &str,
    check: &'static str,
    severity: Severity,
    state: ItemState,
    message: &str,
) -> ItemResult {
    ItemResult {
        name: name.to_owned(),
        title: title.to_owned(),
        section: Some("Compute".to_owned()),
        severity,
        check,
        state,
        message: message.to_owned(),
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn offline() -> Options {
    Options { offline: true, ..Options::default() }
}

#[test]
fn user_text_is_escaped_everywhere() {
    let hostile = "<script>alert(1)</script>";
    let mut evaluation = Evaluation::from_items(
        "shop".to_owned(),
        format!("rel{hostile}"),
        vec![ItemResult {
            section: Some(format!("Sec{hostile}")),
            ..item("cto", &format!("Title {hostile}"), "manual", Severity::Critical, ItemState::Passed, hostile)
        }],
    );
    evaluation.signoffs.push(SignoffRecord {
        object: "s".to_owned(),
        item: "cto".to_owned(),
        action: SignoffAction::Approve,
        signer: format!("eve{hostile}"),
        reason: format!("\"quoted\" & {hostile}"),
        signed_at: None,
        expires_at: None,
    });
    let html = render(&[evaluation], &offline());
    assert!(!html.contains("<script"), "{html}");
    assert_contains(&html, "Title &lt;script&gt;alert(1)&lt;/script&gt;");
    assert_contains(&html, "Sec&lt;script&gt;");
    assert_contains(&html, "eve&lt;script&gt;");
    assert_contains(&html, "&quot;quoted&quot; &amp; &lt;script&gt;");
    assert!(html.contains("rel&lt;script&gt;"), "title and heading: {html}");
}

#[test]
fn page_is_self_contained_and_declares_language_and_policy() {
    let evaluation = Evaluation::from_items("shop".to_owned(), "release".to_owned(), vec![]);
    let html = render(&[evaluation], &Options::default());
    assert_starts_with(&html, "<!DOCTYPE html><html lang=\"en\">");
    assert_contains(&html, "default-src 'none'");
    for external in ["<link", "<script", "src=", "url(", "@import"] {
        assert!(!html.contains(external), "fetches nothing ({external}): {html}");
    }
    assert!(STYLE.contains("prefers-color-scheme: dark") && STYLE.contains("@media print"));
}

#[test]
fn banner_says_why_a_release_is_blocked_and_blocking_items_come_first() {
    let evaluation = Evaluation::from_items(
        "shop".to_owned(),
        "release".to_owned(),
        vec![
            item("autoscaling", "Autoscaling", "hpa", Severity::Critical, ItemState::Passed, "hpa/api ok"),
            item("probes", "Readiness probes", "workload", Severity::Critical, ItemState::Failed, "no probe"),
            item("latency", "p99 latency", "prometheus", Severity::High, ItemState::Skipped, "live only"),
        ],
    );
    let html = render(&[evaluation], &offline());
    assert_contains(&html, "<title>NO-GO shop/release: readiness report</title>");
    assert_contains(&html, "<strong class=\"decision\">NO-GO</strong>");
    assert_contains(&html, "1 blocking Critical item is failed or pending.");
    let blocking = html.find("c0-blocking-title").expect("blocking section");
    let sections = html.find("c0-items-title").expect("items section");
    assert!(blocking < sections, "blocking items come before the sections");
    assert_contains(&html, "<th scope=\"col\">State</th>");
    assert_contains(&html, "Skipped offline");
}

#[test]
fn unknown_names_the_undecided_items_and_go_says_all_passed() {
    let unknown = Evaluation::from_items(
        "shop".to_owned(),
        "release".to_owned(),
        vec![item("version", "Version", "kubernetesVersion", Severity::Critical, ItemState::Skipped, "offline")],
    );
    let html = render(&[unknown], &Options::default());
    assert_contains(&html, ">UNKNOWN</strong>");
    assert_contains(&html, "1 Critical item could not be decided");
    assert_contains(&html, "<li>Skipped: Version <code>version</code></li>");
    assert!(!html.contains("Skipped offline"), "live evaluations say Skipped only: {html}");

    let mut stale = Evaluation::from_items("shop".to_owned(), "release".to_owned(), vec![]);
    stale.decision = Decision::Unknown;
    let html = render(&[stale], &Options::default());
    assert_contains(&html, "No current evaluation decides this checklist");

    let go = Evaluation::from_items("shop".to_owned(), "release".to_owned(), vec![]);
    let html = render(&[go], &Options::default());
    assert!(html.contains(">GO</strong>") && html.contains("Every Critical item passed or was waived."), "{html}");
}

#[test]
fn signoffs_and_waivers_show_who_when_why_and_until_when() {
    let mut evaluation = Evaluation::from_items(
        "shop".to_owned(),
        "release".to_owned(),
        vec![
            item("cto", "CTO sign-off", "manual", Severity::Critical, ItemState::Passed, "approved"),
            item(
                "security",
                "Security sign-off",
                "manual",
                Severity::Critical,
                ItemState::Pending,
                "awaiting sign-off by group security",
            ),
            item("hsts", "HSTS", "ingress", Severity::High, ItemState::Waived, "waived"),
        ],
    );
    evaluation.evaluated_at = Some(at("2026-12-07T10:00:00Z"));
    evaluation.signoffs = vec![
        SignoffRecord {
            object: "cto-approval".to_owned(),
            item: "cto".to_owned(),
            action: SignoffAction::Approve,
            signer: "marta".to_owned(),
            reason: "reviewed".to_owned(),
            signed_at: Some(at("2026-12-06T09:30:00Z")),
            expires_at: Some(at("2026-12-20T00:00:00Z")),
        },
        SignoffRecord {
            object: "hsts-waiver".to_owned(),
            item: "hsts".to_owned(),
            action: SignoffAction::Waive,
            signer: "sam".to_owned(),
            reason: "CDN sets HSTS".to_owned(),
            signed_at: None,
            expires_at: Some(at("2026-12-31T00:00:00Z")),
        },
    ];
    let html = render(&[evaluation], &Options::default());
    assert_contains(&html, "<time datetime=\"2026-12-07T10:00:00Z\">2026-12-07 10:00:00 UTC</time>");
    assert!(
        html.contains("<td class=\"signer\">marta</td><td><time datetime=\"2026-12-06T09:30:00Z\">"),
        "approval row: {html}"
    );
    assert!(html.contains("awaiting sign-off by group security"), "pending row says what it waits for: {html}");
    assert_contains(&html, "<td class=\"signer\">sam</td><td>—</td><td><time datetime=\"2026-12-31T00:00:00Z\">");
    assert_contains(&html, "CDN sets HSTS");
}

#[test]
fn no_evaluations_is_a_page_that_says_so() {
    let html = render(&[], &Options::default());
    assert_contains(&html, "No readiness checklists were evaluated.");
}
