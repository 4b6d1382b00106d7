//! `readygate board` over the real kube-apiserver (tests/support/cluster), as user alice with
//! the namespace-scoped read access people get: readygate's controller evaluates the shop, the
//! board shows it in chromium, and an HPA edit that turns the checklist GO reaches the open page
//! without reload; the controller's Events show on the page. Someone who may not list
//! checklists cluster-wide gets the context's namespace and a note saying so.

mod browser;
#[path = "support/cluster/mod.rs"]
mod cluster;

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use browser::{BoardProcess, Browser, finish, output_dir};
use cluster::readygate::Readygate;
use cluster::{ControlPlane, deploy, eventually, shop};
use futures::FutureExt as _;
use serde_json::json;

const NAMESPACE: &str = "shop-board";
const READY: Duration = Duration::from_secs(60);
const LIVE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_over_the_real_api_server_in_chromium() {
    let plane = cluster::shared();
    deploy::install_rbac(plane, &[]);
    let readygate = Readygate::start(plane, "readygate", &["--leader-namespace=readygate-system"]);
    readygate.wait_ready(READY).await;
    shop::seed(plane, NAMESPACE, 2);
    decision_is(plane, &readygate, "NoGo").await;

    // alice may not list checklists in every namespace: the context's namespace, with a note.
    let narrow = BoardProcess::start(&plane.kubeconfig("alice"), &[]).await;
    let note = narrow.stderr();
    assert!(
        note.contains("you may not list ReadinessChecklists in every namespace; showing namespace default"),
        "{note}"
    );
    assert!(narrow.terminate().await.success());

    let board = BoardProcess::start(&plane.kubeconfig("alice"), &["-n", NAMESPACE]).await;
    let browser = Browser::start().await;
    let result = tokio::time::timeout(
        Duration::from_secs(240),
        AssertUnwindSafe(pages(&browser, &board, plane, &readygate)).catch_unwind(),
    )
    .await;
    finish(browser, board, result, || format!("readygate log:\n{}", readygate.log())).await;
    assert!(readygate.terminate().await.success());
}

async fn pages(browser: &Browser, board: &BoardProcess, plane: &ControlPlane, readygate: &Readygate) {
    let out = output_dir();
    browser.goto(&format!("{}/", board.url)).await;
    let row = browser.row_cells(&format!("#checklists tr[data-checklist='{NAMESPACE}/shop-gate']")).await;
    assert_eq!(&row[..4], [NAMESPACE, "shop-gate", "v2", "NO-GO"], "{row:?}");
    assert_eq!(&row[7..], ["current", "Enforce"], "{row:?}");
    browser.assert_no_console_errors_on("the overview").await;

    let page = format!("{}/checklists/{NAMESPACE}/shop-gate", board.url);
    browser.goto(&page).await;
    assert_eq!(browser.text("#c0-decision .decision").await, "NO-GO");
    assert_eq!(browser.attributes("#c0-blocking tbody tr", "data-item").await, ["autoscaling"]);
    assert_eq!(browser.text("#c0-items tr[data-item='autoscaling'] td.state").await, "Failed");
    let signoff = browser.row_cells("#c0-signoffs tr[data-item='approval']").await;
    assert_eq!(&signoff[1..5], ["Pending", "—", "—", "—"], "{signoff:?}");
    browser.wait_until_live(LIVE).await;
    browser.script("window.boardMarker = 1; return null;").await;
    shop::set_hpa_min(plane, NAMESPACE, 3);
    browser
        .wait_until(
            LIVE,
            "GO reaches the open page",
            "return document.querySelector('#c0-decision .decision').textContent === 'GO';",
        )
        .await;
    assert_eq!(browser.script("return window.boardMarker;").await, json!(1), "the page was not reloaded");
    assert_eq!(browser.text("#c0-items tr[data-item='autoscaling'] td.state").await, "Passed");
    assert_eq!(browser.attributes("#history tbody td.decision-cell", "data-decision").await[0], "Go");
    browser.assert_no_console_errors_on("the checklist page").await;

    // The controller's Events, as alice may read them (they may trail the status write).
    let (browser_ref, page_ref) = (browser, &page);
    eventually(
        LIVE,
        "DecisionNoGo and DecisionGo Events on the page",
        || readygate.log(),
        || async move {
            browser_ref.goto(page_ref).await;
            let reasons = browser_ref.attributes("#events tbody tr", "data-reason").await;
            (reasons.iter().any(|r| r == "DecisionGo") && reasons.iter().any(|r| r == "DecisionNoGo")).then_some(())
        },
    )
    .await;
    browser.screenshots("board-real-checklist", &out).await;
    browser.assert_no_console_errors_on("the checklist page with Events").await;
}

async fn decision_is(plane: &ControlPlane, readygate: &Readygate, wanted: &str) {
    let admin = &plane.client("admin").await;
    eventually(
        LIVE,
        "the controller's first decision",
        || readygate.log(),
        || async move { (shop::decision(admin, NAMESPACE).await.as_deref() == Some(wanted)).then_some(()) },
    )
    .await;
}
