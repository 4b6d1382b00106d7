//! `readygate board` over the API server double, in a real browser (Debian's chromium through
//! chromedriver, as tests/html_report.rs): the overview and its filters, a checklist page
//! rendered by the report's template with history and Events, a status change reaching an open
//! page without reload, a checklist deleted under an open page, markup in titles kept as text,
//! no console errors, and screenshots under target/screenshots/.

mod browser;
mod replica;
mod support;

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use browser::{BoardProcess, Browser, finish, output_dir};
use futures::FutureExt as _;
use replica::double;
use serde_json::{Value, json};
use support::ApiServerDouble;

const LIVE: Duration = Duration::from_secs(15);

fn now() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn manual() -> Value {
    json!({"manual": {"approvers": {"groups": ["cto"]}}})
}

/// A checklist as the controller leaves it: spec, and a current status with `states`.
fn checklist(namespace: &str, name: &str, items: &[(&str, &str, &str)], decision: &str) -> Value {
    let at = now();
    let spec_items: Vec<Value> = items
        .iter()
        .map(|(item, title, _)| json!({"name": item, "title": title, "section": "Release", "severity": "Critical", "check": manual()}))
        .collect();
    let passed = items.iter().filter(|(_, _, s)| *s == "Passed").count();
    let blocking: Vec<&str> = items.iter().filter(|(_, _, s)| *s != "Passed").map(|(i, _, _)| *i).collect();
    let status_items: Vec<Value> = items
        .iter()
        .map(|(item, _, state)| {
            json!({"name": item, "state": state, "severity": "Critical",
                                        "message": format!("{item} is {state} <b>really</b>")})
        })
        .collect();
    json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": name, "namespace": namespace, "generation": 1},
        "spec": {"release": "v2", "gate": {"selector": {"matchLabels": {"app": name}}, "enforcement": "Enforce"},
                 "items": spec_items},
        "status": {
            "decision": decision, "observedGeneration": 1, "lastEvaluationTime": at,
            "progress": format!("{passed}/{}", items.len()), "blocking": blocking, "blockingCount": blocking.len(),
            "summary": {"total": items.len(), "passed": passed, "failed": 0, "pending": items.len() - passed,
                        "error": 0, "skipped": 0, "waived": 0},
            "items": status_items,
            "history": [{"decision": decision, "time": at, "generation": 1}]
        }
    })
}

fn seed(double: &ApiServerDouble) {
    for namespace in ["shop", "pay"] {
        double.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}));
    }
    double.seed(checklist(
        "shop",
        "shop-v1",
        &[("api-ready", "API ready", "Passed"), ("cto-signoff", "CTO approval", "Pending")],
        "NoGo",
    ));
    double.seed(checklist("pay", "pay-v3", &[("ledger", "Ledger reconciled", "Passed")], "Go"));
    double.seed(checklist(
        "shop",
        "hostile",
        &[("probe", r#"<script>console.error("injected")</script> probe"#, "Pending")],
        "NoGo",
    ));
    double.seed(json!({
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": "shop-v1.1", "namespace": "shop"},
        "eventTime": "2026-11-25T10:00:00.000000Z", "reportingController": "readygate", "reportingInstance": "r",
        "action": "Evaluate", "reason": "DecisionNoGo", "type": "Warning", "note": "1 blocking item: cto-signoff",
        "regarding": {"apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist", "namespace": "shop", "name": "shop-v1"}
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_over_the_api_double_in_chromium() {
    let double = double(false).await;
    seed(&double);
    let config = double.write_kubeconfig();
    let board = BoardProcess::start(config.path(), &[]).await;
    let out = output_dir();
    let browser = Browser::start().await;
    let result = tokio::time::timeout(
        Duration::from_secs(180),
        AssertUnwindSafe(async {
            overview(&browser, &board, &double, &out).await;
            checklist_page(&browser, &board, &double, &out).await;
            hostile_page(&browser, &board).await;
            deleted_under_an_open_page(&browser, &board, &double, &out).await;
        })
        .catch_unwind(),
    )
    .await;
    finish(browser, board, result, String::new).await;
}

/// A user who may not list ReadinessSignoffs still gets the checklist's page, and its sign-off
/// and waiver sections say why they name nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_that_may_not_list_sign_offs_says_so_on_the_page() {
    let double = double(false).await;
    seed(&double);
    double.faults().fail_path_containing("/readinesssignoffs", 403);
    let config = double.write_kubeconfig();
    let board = BoardProcess::start(config.path(), &[]).await;
    let browser = Browser::start().await;
    let result = tokio::time::timeout(
        Duration::from_secs(120),
        AssertUnwindSafe(async {
            browser.goto(&format!("{}/checklists/shop/shop-v1", board.url)).await;
            browser
                .wait_until(
                    LIVE,
                    "the sign-off section says it cannot read sign-offs",
                    "return document.querySelector('#c0-signoffs .signoffs-unreadable') !== null;",
                )
                .await;
            assert!(browser.text("#c0-signoffs .signoffs-unreadable").await.contains("may not list ReadinessSignoffs"));
            assert!(browser.text("#c0-waivers .signoffs-unreadable").await.contains("may not list ReadinessSignoffs"));
            assert_eq!(browser.text("#c0-decision .decision").await, "NO-GO", "the rest of the page is shown");
            let signoff = browser.row_cells("#c0-signoffs tr[data-item='cto-signoff']").await;
            assert_eq!(&signoff[1..5], ["Pending", "—", "—", "—"], "{signoff:?}");
            browser.assert_no_console_errors_on("the checklist page without sign-offs").await;
        })
        .catch_unwind(),
    )
    .await;
    finish(browser, board, result, String::new).await;
}

async fn overview(browser: &Browser, board: &BoardProcess, double: &ApiServerDouble, out: &std::path::Path) {
    browser.goto(&format!("{}/", board.url)).await;
    assert_eq!(browser.title().await, "Release board");
    assert_eq!(
        browser.attributes("#checklists tbody tr", "data-checklist").await,
        ["pay/pay-v3", "shop/hostile", "shop/shop-v1"]
    );
    assert_eq!(browser.text("#counts").await, "3 of 3 checklists: 1 GO, 2 NO-GO, 0 UNKNOWN.");
    let row = browser.row_cells("#checklists tr[data-checklist='shop/shop-v1']").await;
    assert_eq!(row[0], "shop");
    assert_eq!(row[1], "shop-v1");
    assert_eq!(&row[2..6], ["v2", "NO-GO", "1/2", "1"], "{row:?}");
    assert_eq!(&row[7..], ["current", "Enforce"], "{row:?}");
    browser.wait_until_live(LIVE).await;
    browser.screenshot_viewport(&out.join("board-overview.png")).await;

    // A status change reaches the open overview without a reload.
    browser.script("window.boardMarker = 42; return null;").await;
    let mut changed = checklist("pay", "pay-v3", &[("ledger", "Ledger reconciled", "Pending")], "NoGo");
    changed["metadata"]["uid"] = double
        .get_object("readygate.io/v1alpha1", "ReadinessChecklist", Some("pay"), "pay-v3")
        .expect("stored")["metadata"]["uid"]
        .clone();
    double.seed(changed);
    browser
        .wait_until(
            LIVE,
            "pay-v3 turns NO-GO on the open overview",
            "return document.querySelector(\"tr[data-checklist='pay/pay-v3']\").dataset.decision === 'NoGo';",
        )
        .await;
    assert_eq!(browser.script("return window.boardMarker;").await, json!(42), "the page was not reloaded");
    assert_eq!(browser.text("#counts").await, "3 of 3 checklists: 0 GO, 3 NO-GO, 0 UNKNOWN.");

    // Filters.
    browser.goto(&format!("{}/?namespace=pay&decision=", board.url)).await;
    assert_eq!(browser.attributes("#checklists tbody tr", "data-checklist").await, ["pay/pay-v3"]);
    browser.goto(&format!("{}/?namespace=&decision=Go", board.url)).await;
    assert!(browser.text("#empty").await.contains("No checklist matches the filter"));
    browser.assert_accessible_structure().await;
    browser.assert_no_console_errors_on("the overview").await;
}

async fn checklist_page(browser: &Browser, board: &BoardProcess, double: &ApiServerDouble, out: &std::path::Path) {
    browser.goto(&format!("{}/checklists/shop/shop-v1", board.url)).await;
    assert_eq!(browser.title().await, "NO-GO shop/shop-v1: release board");
    assert_eq!(browser.text("#c0-decision .decision").await, "NO-GO");
    assert_eq!(browser.attributes("#c0-blocking tbody tr", "data-item").await, ["cto-signoff"]);
    assert_eq!(browser.text("#c0-items tr[data-item='api-ready'] td.state").await, "Passed");
    assert_eq!(
        browser.text("#c0-items tr[data-item='cto-signoff'] td.message").await,
        "cto-signoff is Pending <b>really</b>"
    );
    let signoff = browser.row_cells("#c0-signoffs tr[data-item='cto-signoff']").await;
    assert_eq!(&signoff[1..], ["Pending", "—", "—", "—", "cto-signoff is Pending <b>really</b>"], "{signoff:?}");
    assert_eq!(browser.row_cells("#history tbody tr").await[1], "NO-GO");
    let event = browser.row_cells("#events tr[data-reason='DecisionNoGo']").await;
    assert_eq!(&event[1..], ["Warning", "DecisionNoGo", "1 blocking item: cto-signoff"], "{event:?}");
    browser.wait_until_live(LIVE).await;
    browser.assert_accessible_structure().await;
    browser.screenshots("board-checklist", out).await;

    // A ReadinessSignoff approving the manual item appears on the open page as a sign-off
    // row, before the controller re-evaluates: the board watches sign-offs too.
    browser.script("window.boardMarker = 7; return null;").await;
    double.seed(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessSignoff",
        "metadata": {"name": "cto-approves", "namespace": "shop", "creationTimestamp": now()},
        "spec": {"checklist": "shop-v1", "item": "cto-signoff", "action": "Approve", "release": "v2",
                 "signer": {"username": "carol@example.com", "groups": ["cto"]},
                 "reason": "Rollback <em>rehearsed</em>", "expiresAt": "2099-01-01T00:00:00Z"}
    }));
    browser
        .wait_until(
            LIVE,
            "the sign-off row names the signer",
            "const c = document.querySelector(\"#c0-signoffs tr[data-item='cto-signoff'] td.signer\"); \
             return c !== null && c.textContent === 'carol@example.com';",
        )
        .await;
    let signoff = browser.row_cells("#c0-signoffs tr[data-item='cto-signoff']").await;
    assert_eq!(signoff[2], "carol@example.com", "{signoff:?}");
    assert_ne!(signoff[3], "—", "when it was signed: {signoff:?}");
    assert!(signoff[4].starts_with("2099-01-01"), "its expiry: {signoff:?}");
    assert_eq!(signoff[5], "Rollback <em>rehearsed</em>", "{signoff:?}");
    assert_eq!(browser.script("return window.boardMarker;").await, json!(7), "the page was not reloaded");

    // The controller's re-evaluation arrives: the open page turns GO without a reload.
    let mut signed = checklist(
        "shop",
        "shop-v1",
        &[("api-ready", "API ready", "Passed"), ("cto-signoff", "CTO approval", "Passed")],
        "Go",
    );
    signed["status"]["history"] = json!([{"decision": "Go", "time": now(), "generation": 1}, {"decision": "NoGo", "time": now(), "generation": 1}]);
    double.seed(signed);
    browser
        .wait_until(
            LIVE,
            "the open page shows GO",
            "return document.querySelector('#c0-decision .decision').textContent === 'GO';",
        )
        .await;
    assert_eq!(browser.script("return window.boardMarker;").await, json!(7), "the page was not reloaded");
    assert_eq!(browser.title().await, "GO shop/shop-v1: release board");
    assert!(browser.text("#c0-blocking").await.contains("No blocking items"));
    assert_eq!(browser.text("#c0-items tr[data-item='cto-signoff'] td.state").await, "Passed");
    assert_eq!(browser.attributes("#history tbody td.decision-cell", "data-decision").await, ["Go", "NoGo"]);
    browser.screenshot_viewport(&out.join("board-checklist-after-signoff.png")).await;
    browser.assert_no_console_errors_on("the checklist page").await;
}

async fn hostile_page(browser: &Browser, board: &BoardProcess) {
    browser.goto(&format!("{}/checklists/shop/hostile", board.url)).await;
    let scripts: u64 = serde_json::from_value(browser.script("return document.scripts.length;").await).expect("count");
    assert_eq!(scripts, 1, "only the board's own script");
    assert_eq!(
        browser.text("#c0-items tr[data-item='probe'] th").await,
        "<script>console.error(\"injected\")</script> probe\nprobe"
    );
    browser.assert_no_console_errors_on("the page with markup in a title").await;
}

async fn deleted_under_an_open_page(
    browser: &Browser,
    board: &BoardProcess,
    double: &ApiServerDouble,
    out: &std::path::Path,
) {
    browser.goto(&format!("{}/checklists/shop/shop-v1", board.url)).await;
    browser.wait_until_live(LIVE).await;
    double.delete_object("readygate.io/v1alpha1", "ReadinessChecklist", Some("shop"), "shop-v1").expect("deleted");
    browser
        .wait_until(LIVE, "the open page says the checklist is gone", "return !!document.getElementById('gone');")
        .await;
    let gone = browser.text("#gone").await;
    assert!(gone.contains("Checklist shop/shop-v1 does not exist"), "{gone:?}");
    assert_eq!(browser.title().await, "shop/shop-v1: not found");
    browser.screenshot_viewport(&out.join("board-gone.png")).await;
    expect_only_not_found(browser, "the page whose checklist was deleted").await;

    // Opened directly: the same page, as a 404.
    browser.goto(&format!("{}/checklists/shop/never-was", board.url)).await;
    assert!(browser.text("#gone").await.contains("Checklist shop/never-was does not exist"));
    expect_only_not_found(browser, "a checklist that never existed").await;
}

/// The browser logs a 404 answer as a failed load; that is the page working, not an error.
async fn expect_only_not_found(browser: &Browser, what: &str) {
    let errors = browser.console_errors().await;
    assert!(errors.iter().all(|e| e.contains("status of 404")), "console errors on {what}: {errors:?}");
}
