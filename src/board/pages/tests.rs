use jiff::Timestamp;
use serde_json::json;

use super::*;
use crate::checks::fixtures::assert_contains;

const NOW: &str = "2026-11-25T10:00:00Z";

fn now() -> Timestamp {
    NOW.parse().expect("time")
}

fn checklist(namespace: &str, name: &str, decision: &str, evaluated: &str) -> ReadinessChecklist {
    serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": name, "namespace": namespace, "generation": 1, "uid": "u"},
        "spec": {"release": "v2", "gate": {"selector": {}, "enforcement": "Warn"}, "items": [
            {"name": "hsts", "title": "<script>alert(1)</script> HSTS", "severity": "Critical",
             "check": {"manual": {"approvers": {"users": ["a"]}}}}
        ]},
        "status": {"decision": decision, "observedGeneration": 1, "lastEvaluationTime": evaluated,
                   "progress": "0/1", "blocking": ["hsts"], "blockingCount": 1,
                   "summary": {"total": 1, "passed": 0, "failed": 0, "pending": 1, "error": 0, "skipped": 0, "waived": 0},
                   "items": [{"name": "hsts", "state": "Pending", "severity": "Critical",
                              "message": "awaiting <b>sign-off</b>"}],
                   "history": [{"decision": decision, "time": evaluated, "generation": 1}]}
    }))
    .expect("valid checklist")
}

fn none() -> PageSignoffs<'static> {
    static EMPTY: std::sync::OnceLock<Inventory> = std::sync::OnceLock::new();
    PageSignoffs::Read(EMPTY.get_or_init(Inventory::new))
}

fn approval(name: &str, signer: &str, groups: &[&str]) -> crate::inventory::Object {
    crate::inventory::Object::from_value(
        json!({
            "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessSignoff",
            "metadata": {"name": name, "namespace": "shop", "creationTimestamp": "2026-11-25T09:00:00Z"},
            "spec": {"checklist": "a", "item": "hsts", "action": "Approve", "release": "v2",
                     "signer": {"username": signer, "groups": groups}, "reason": "<i>checked</i> headers"}
        }),
        None,
    )
    .expect("valid sign-off")
}

/// The checklist most tests show: NoGo, evaluated a minute before `now()`.
fn nogo_checklist() -> ReadinessChecklist {
    checklist("shop", "a", "NoGo", "2026-11-25T09:59:00Z")
}

/// The NoGo checklist's page, with these sign-offs and no events.
fn nogo_page(signoffs: &PageSignoffs<'_>) -> String {
    checklist_main(&nogo_checklist(), signoffs, &Ok(vec![]), now()).into_string()
}

#[test]
fn the_sign_off_table_names_who_signed_as_the_report_does() {
    let signoffs = Inventory::from_objects([approval("by-a", "a", &[])]);
    let page = nogo_page(&PageSignoffs::Read(&signoffs));
    assert_contains(&page, r#"<td class="signer">a</td>"#);
    assert_contains(&page, "&lt;i&gt;checked&lt;/i&gt; headers");

    // Not an approver: it does not count, so the row stays unsigned, as `readygate check`
    // leaves it (the controller's item message says why).
    let signoffs = Inventory::from_objects([approval("by-b", "b", &[])]);
    let page = nogo_page(&PageSignoffs::Read(&signoffs));
    assert!(!page.contains(r#"class="signer""#), "{page}");

    let page = nogo_page(&PageSignoffs::Forbidden);
    assert_eq!(page.matches("you may not list ReadinessSignoffs").count(), 2, "both sections say so: {page}");
}

#[test]
fn a_waived_item_gets_a_waiver_row_with_who_and_until_when() {
    let mut waived = checklist("shop", "a", "Go", "2026-11-25T09:59:00Z");
    let item: crate::api::ChecklistItem = serde_json::from_value(json!({
        "name": "deps", "severity": "Critical", "waivableBy": {"users": ["w"]},
        "check": {"checklist": {"name": "missing"}}
    }))
    .expect("valid item");
    waived.spec.items.push(item);
    let status = waived.status.as_mut().expect("status");
    status.items.push(
        serde_json::from_value(json!({"name": "deps", "state": "Waived", "severity": "Critical",
                                      "message": "waived by w (readinesssignoff/waive-deps): known"}))
        .expect("valid item status"),
    );
    let waiver = crate::inventory::Object::from_value(
        json!({
            "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessSignoff",
            "metadata": {"name": "waive-deps", "namespace": "shop", "creationTimestamp": "2026-11-25T09:00:00Z"},
            "spec": {"checklist": "a", "item": "deps", "action": "Waive", "release": "v2",
                     "signer": {"username": "w"}, "reason": "known", "expiresAt": "2026-12-01T00:00:00Z"}
        }),
        None,
    )
    .expect("valid waiver");
    let signoffs = Inventory::from_objects([waiver]);
    let page = checklist_main(&waived, &PageSignoffs::Read(&signoffs), &Ok(vec![]), now()).into_string();
    let waivers = &page[page.find(r#"id="c0-waivers""#).expect("waiver section")..];
    assert_contains(waivers, r#"<tr data-item="deps">"#);
    assert_contains(waivers, r#"<td class="signer">w</td>"#);
    assert!(waivers.contains(r#"datetime="2026-12-01T00:00:00Z""#), "until when: {waivers}");
}

#[test]
fn rows_judge_freshness_as_the_webhook_does() {
    let current = Row::of(&nogo_checklist(), now());
    assert_eq!((current.decision, current.freshness), (Decision::NoGo, Freshness::Current));
    assert_eq!(current.enforcement, Some(Enforcement::Warn));
    assert_eq!(current.blocking, 1);
    let stale = Row::of(&checklist("shop", "a", "NoGo", "2026-11-25T08:00:00Z"), now());
    assert_eq!((stale.decision, stale.freshness), (Decision::Unknown, Freshness::Stale));
    let mut outdated = checklist("shop", "a", "Go", "2026-11-25T09:59:00Z");
    outdated.metadata.generation = Some(2);
    assert_eq!(Row::of(&outdated, now()).freshness, Freshness::Outdated);
    let mut never = checklist("shop", "a", "Go", "2026-11-25T09:59:00Z");
    never.status = None;
    assert_eq!(Row::of(&never, now()).freshness, Freshness::NotEvaluated);
}

#[test]
fn the_overview_filters_by_namespace_and_decision() {
    let all = [
        checklist("shop", "a", "NoGo", "2026-11-25T09:59:00Z"),
        checklist("pay", "b", "Go", "2026-11-25T09:59:00Z"),
        checklist("pay", "c", "NoGo", "2026-11-25T09:59:00Z"),
    ];
    let html = overview(&all, &Filter::default(), now()).into_string();
    assert_contains(&html, "3 of 3 checklists: 1 GO, 2 NO-GO, 0 UNKNOWN.");
    let filter = Filter { namespace: Some("pay".to_owned()), decision: Some("NoGo".to_owned()) };
    let html = overview(&all, &filter, now()).into_string();
    assert_contains(&html, "1 of 3 checklists");
    assert!(html.contains(r#"data-checklist="pay/c""#) && !html.contains(r#"data-checklist="pay/b""#));
    assert_contains(&html, r#"<option value="pay" selected>"#);
}

#[test]
fn user_text_is_escaped_and_the_only_script_is_the_hashed_one() {
    let page = checklist_page(&nogo_checklist(), &none(), &Ok(vec![]), now()).into_string();
    assert_contains(&page, "&lt;script&gt;alert(1)&lt;/script&gt; HSTS");
    assert_contains(&page, "awaiting &lt;b&gt;sign-off&lt;/b&gt;");
    assert_eq!(page.matches("<script>").count(), 1, "only the board's own script");
    let policy = content_security_policy();
    assert!(policy.contains("script-src 'sha256-") && !policy.contains("unsafe-inline'; script"), "{policy}");
    let events = Err("events.k8s.io is forbidden: <user> may not list".to_owned());
    let page = checklist_main(&nogo_checklist(), &none(), &events, now()).into_string();
    assert_contains(&page, "Events could not be read: events.k8s.io is forbidden: &lt;user&gt; may not list");
    let gone = gone_page("shop", "<x>").into_string();
    assert!(gone.contains("&lt;x&gt;") && gone.contains("does not exist"));
}

#[test]
fn a_checklist_page_shows_history_and_events_newest_first_as_given() {
    let events = Ok(vec![EventLine {
        time: Some(now()),
        kind: "Warning".to_owned(),
        reason: "DecisionNoGo".to_owned(),
        note: "1 blocking".to_owned(),
        count: 3,
    }]);
    let page = checklist_main(&nogo_checklist(), &none(), &events, now()).into_string();
    assert_contains(&page, r#"<tr data-reason="DecisionNoGo">"#);
    assert_contains(&page, "DecisionNoGo (×3)");
    assert_contains(&page, r#"class="decision-cell nogo" data-decision="NoGo""#);
    assert!(page.contains(r#"id="c0-decision""#), "the report's template renders the checklist");
}
