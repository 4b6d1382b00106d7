//! `readygate check --output html` in a real browser: Debian's chromium, headless, driven through
//! chromedriver (WebDriver, with fantoccini; Chrome DevTools commands through chromedriver's
//! `goog/cdp/execute` for colour-scheme and print emulation and full-page screenshots).
//!
//! The NovaCron good and bad reports and a report with markup in its titles are loaded from
//! `file://`; the tests assert on the rendered DOM, on computed colours (contrast in light and
//! dark mode, print), and on the browser's console. Screenshots go to `target/screenshots/`.
//! Without chromium and chromedriver the test fails: `scripts/test.sh` installs them.

mod browser;

#[path = "support/novacron_expected.rs"]
mod novacron_expected;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use browser::{Browser, output_dir};
use futures::FutureExt as _;
use readygate::api::{ItemState, Severity, SignoffAction};
use readygate::engine::{Evaluation, ItemResult, SignoffRecord};
use readygate::report::Options;
use serde_json::json;

const NOW: &str = "2026-11-25T10:00:00Z";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_reports_render_in_chromium() {
    let out = output_dir();
    let good = write_report(&out, "report-good.html", &["examples/novacron/good/"], 0);
    let bad = write_report(&out, "report-bad.html", &["examples/novacron/bad/"], 1);
    let hostile = write_hostile_report(&out);

    let browser = Browser::start().await;
    // A failed assertion must still end the session, or chromium outlives the test.
    let result = tokio::time::timeout(
        Duration::from_secs(180),
        AssertUnwindSafe(async {
            console_errors_are_caught(&browser).await;
            good_report(&browser, &good, &out).await;
            bad_report(&browser, &bad, &out).await;
            hostile_report(&browser, &hostile, &out).await;
        })
        .catch_unwind(),
    )
    .await;
    browser.stop().await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the browser tests did not finish within 3 minutes"),
    }
}

/// A control: an error a page logs reaches the log this test reads, so "no errors" means none.
async fn console_errors_are_caught(browser: &Browser) {
    browser
        .client
        .goto("data:text/html,<title>control</title><script>console.error('control error')</script>")
        .await
        .expect("loads");
    let errors = browser.console_errors().await;
    assert!(errors.iter().any(|e| e.contains("control error")), "the console log is read: {errors:?}");
}

async fn good_report(browser: &Browser, page: &Path, out: &Path) {
    browser.open(page).await;
    assert_eq!(browser.title().await, "GO novacron/novacron-v1: readiness report");
    assert_eq!(browser.text("#c0-decision .decision").await, "GO");
    let banner = browser.text("#c0-decision").await;
    assert!(banner.contains("Every Critical item passed or was waived."), "{banner}");
    assert!(banner.contains("86 items: 79 passed, 7 skipped."), "{banner}");
    assert!(browser.text("#c0-blocking").await.contains("No blocking items"));
    assert_eq!(browser.text("#c0-items tr[data-item='api-autoscaling'] td.state").await, "Passed");
    assert_eq!(browser.text("#c0-items tr[data-item='kubernetes-version'] td.state").await, "Skipped offline");
    let signoff = browser.row_cells("#c0-signoffs tr[data-item='cto-signoff']").await;
    assert_eq!(signoff[0], "CTO / Chief Architect approval\ncto-signoff");
    assert_eq!(&signoff[1..4], ["Passed", "alice.chen@novacron.io", "—"], "{signoff:?}");
    assert_eq!(signoff[5], "Architecture and release plan reviewed; approved for production");
    assert_eq!(browser.text("#evaluated-at time").await, "2026-11-25 10:00:00 UTC");
    browser.assert_accessible_structure().await;
    browser.assert_contrast("light").await;
    browser.screenshots("report-good", out).await;
    browser.assert_no_console_errors(page).await;
}

async fn bad_report(browser: &Browser, page: &Path, out: &Path) {
    browser.open(page).await;
    assert_eq!(browser.text("#c0-decision .decision").await, "NO-GO");
    let banner = browser.text("#c0-decision").await;
    assert!(banner.contains("11 blocking Critical items are failed or pending."), "{banner}");
    assert!(banner.contains("Pending: CTO / Chief Architect approval cto-signoff"), "{banner}");
    let blocking = browser.attributes("#c0-blocking tbody tr", "data-item").await;
    assert_eq!(blocking, novacron_expected::BAD_BLOCKING);
    // Blocking items come before the sections.
    let order: bool = serde_json::from_value(
        browser
            .script(
                "const b = document.querySelector('#c0-blocking'), s = document.querySelector('#c0-items');
                 return !!(b.compareDocumentPosition(s) & Node.DOCUMENT_POSITION_FOLLOWING);",
            )
            .await,
    )
    .expect("bool");
    assert!(order, "blocking items precede the sections");
    assert_eq!(browser.text("#c0-items tr[data-item='api-autoscaling'] td.state").await, "Failed");
    assert_eq!(
        browser.text("#c0-items tr[data-item='api-autoscaling'] td.message").await,
        "hpa/api minReplicas is 2, expected >= 3"
    );
    let signoff = browser.row_cells("#c0-signoffs tr[data-item='cto-signoff']").await;
    assert_eq!(&signoff[1..], ["Pending", "—", "—", "—", "awaiting sign-off by group cto"], "{signoff:?}");
    browser.assert_accessible_structure().await;
    browser.assert_contrast("light").await;
    browser.screenshots("report-bad", out).await;

    browser.emulate_media(json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]})).await;
    assert_eq!(browser.computed("body", "backgroundColor").await, "rgb(13, 17, 23)", "dark scheme applies");
    browser.assert_contrast("dark").await;
    browser.screenshots("report-bad-dark", out).await;

    browser.emulate_media(json!({"media": "print", "features": []})).await;
    assert_eq!(browser.computed("#c0-decision", "backgroundColor").await, "rgb(255, 255, 255)", "print: no fills");
    assert_eq!(browser.computed("#c0-decision", "color").await, "rgb(0, 0, 0)", "print: black text");
    browser.emulate_media(json!({"media": "", "features": []})).await;
    browser.assert_no_console_errors(page).await;
}

async fn hostile_report(browser: &Browser, page: &Path, out: &Path) {
    browser.open(page).await;
    let scripts: u64 = serde_json::from_value(browser.script("return document.scripts.length;").await).expect("count");
    assert_eq!(scripts, 0, "markup in titles, sections and messages stays text");
    let title = browser.text("#c0-items tr[data-item='probe'] th").await;
    assert_eq!(title, "<script>console.error(\"injected\")</script> probes\nprobe");
    let message = browser.text("#c0-items tr[data-item='probe'] td.message").await;
    assert_eq!(message, "<img src=x onerror=console.error(1)> & done");
    let section = browser.text("#c0-items h4").await;
    assert_eq!(section, "Apps </table><b>bold</b>");
    let signer = browser.text("#c0-signoffs tr[data-item='probe'] td.signer").await;
    assert_eq!(signer, r#"eve<script>console.error("injected")</script>"#);
    assert_eq!(browser.computed("body", "display").await, "block", "a <style> in a reason stays text");
    browser.screenshots("report-escaped", out).await;
    browser.assert_no_console_errors(page).await;
}

fn write_report(out: &Path, name: &str, manifests: &[&str], expected_code: i32) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(env!("CARGO_BIN_EXE_readygate"))
        .current_dir(root)
        .args(["check", "--now", NOW, "-o", "html", "-f", "examples/novacron/checklist.yaml"])
        .args(manifests)
        .output()
        .expect("runs readygate");
    assert_eq!(output.status.code(), Some(expected_code), "{}", String::from_utf8_lossy(&output.stderr));
    let path = out.join(name);
    std::fs::write(&path, &output.stdout).expect("write report");
    path
}

/// A report whose names, title, section, message and sign-off carry markup, rendered by the
/// same function `check --output html` uses.
fn write_hostile_report(out: &Path) -> PathBuf {
    let script = r#"<script>console.error("injected")</script>"#;
    let mut evaluation = Evaluation::from_items(
        "shop".to_owned(),
        "hostile".to_owned(),
        vec![ItemResult {
            name: "probe".to_owned(),
            title: format!("{script} probes"),
            section: Some("Apps </table><b>bold</b>".to_owned()),
            severity: Severity::Critical,
            check: "manual",
            state: ItemState::Passed,
            message: "<img src=x onerror=console.error(1)> & done".to_owned(),
        }],
    );
    evaluation.signoffs.push(SignoffRecord {
        object: "probe-approval".to_owned(),
        item: "probe".to_owned(),
        action: SignoffAction::Approve,
        signer: format!("eve{script}"),
        reason: "<style>body{display:none}</style>".to_owned(),
        signed_at: None,
        expires_at: None,
    });
    let html = readygate::report::html::render(&[evaluation], &Options { offline: true, ..Options::default() });
    let path = out.join("report-escaped.html");
    std::fs::write(&path, html).expect("write report");
    path
}
