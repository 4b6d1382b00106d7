//! `readygate check --output html` in a real browser: Debian's chromium, headless, driven through
//! chromedriver (WebDriver, with fantoccini; Chrome DevTools commands through chromedriver's
//! `goog/cdp/execute` for colour-scheme and print emulation and full-page screenshots).
//!
//! The NovaCron good and bad reports and a report with markup in its titles are loaded from
//! `file://`; the tests assert on the rendered DOM, on computed colours (contrast in light and
//! dark mode, print), and on the browser's console. Screenshots go to `target/screenshots/`.
//! Without chromium and chromedriver the test fails: `scripts/test.sh` installs them.

use std::net::TcpListener;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt as _;
use readygate::api::{ItemState, Severity, SignoffAction};
use readygate::engine::{Evaluation, ItemResult, SignoffRecord};
use readygate::report::Options;
use serde_json::{Value, json};

const NOW: &str = "2026-11-25T10:00:00Z";

/// The blocking items of the bad NovaCron deployment, as README.md lists them.
const BAD_BLOCKING: [&str; 11] = [
    "api-autoscaling",
    "auth-secret-strength",
    "backup-hourly-incremental",
    "cto-signoff",
    "hsts",
    "network-default-deny",
    "no-cluster-admin",
    "no-literal-secret-env",
    "private-ports-services",
    "rbac-boundaries",
    "release-image-tag",
];

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
    assert_eq!(blocking, BAD_BLOCKING);
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

/// chromedriver and the session it drives; the driver (and with it chromium) ends on drop.
struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Self {
        let chromium = find_tool(&["chromium", "chromium-browser"]);
        let chromedriver = find_tool(&["chromedriver"]);
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
        let profile = tempfile::tempdir().expect("profile dir");
        let capabilities: Capabilities = serde_json::from_value(json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        }))
        .expect("capabilities");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(capabilities.clone()).connect(&url).await {
                Ok(client) => break client,
                // chromedriver is still starting.
                Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(200)).await,
                Err(e) => panic!("no WebDriver session from {} on {url}: {e}", chromedriver.display()),
            }
        };
        Browser { client, driver, _profile: profile }
    }

    async fn stop(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }

    async fn open(&self, page: &Path) {
        let url = format!("file://{}", page.display());
        self.client.goto(&url).await.unwrap_or_else(|e| panic!("loading {url}: {e}"));
        // Start each page with a clean log, so errors are attributed to the page that logged them.
        let _ = self.console_errors().await;
    }

    async fn title(&self) -> String {
        self.client.title().await.expect("title")
    }

    async fn text(&self, css: &str) -> String {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        element.text().await.unwrap_or_else(|e| panic!("{css} text: {e}"))
    }

    async fn row_cells(&self, css: &str) -> Vec<String> {
        let row = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        let mut cells = Vec::new();
        for cell in row.find_all(Locator::Css("th, td")).await.expect("cells") {
            cells.push(cell.text().await.expect("cell text"));
        }
        cells
    }

    async fn attributes(&self, css: &str, name: &str) -> Vec<String> {
        let mut values = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await.expect("elements") {
            values.push(element.attr(name).await.expect("attribute").unwrap_or_default());
        }
        values
    }

    async fn script(&self, body: &str) -> Value {
        self.client.execute(body, vec![]).await.unwrap_or_else(|e| panic!("script failed: {e}\n{body}"))
    }

    async fn computed(&self, css: &str, property: &str) -> String {
        let value = self
            .client
            .execute(
                "return getComputedStyle(document.querySelector(arguments[0]))[arguments[1]];",
                vec![json!(css), json!(property)],
            )
            .await
            .expect("computed style");
        value.as_str().unwrap_or_default().to_owned()
    }

    /// Headings in order without skipped levels, a language, and every table with a caption
    /// and column headers that name their scope.
    async fn assert_accessible_structure(&self) {
        let problems = self
            .script(
                "const problems = [];
                 if (document.documentElement.lang !== 'en') problems.push('no lang');
                 if (document.querySelectorAll('h1').length !== 1) problems.push('one h1');
                 let last = 0;
                 for (const h of document.querySelectorAll('h1,h2,h3,h4,h5,h6')) {
                   const level = +h.tagName[1];
                   if (level > last + 1) problems.push('heading level skipped at ' + h.textContent);
                   last = level;
                 }
                 for (const t of document.querySelectorAll('table')) {
                   if (!t.caption || !t.caption.textContent.trim()) problems.push('table without caption');
                   if (t.querySelectorAll('thead th[scope=col]').length === 0) problems.push('table without column headers');
                   for (const r of t.tBodies[0].rows) if (!r.querySelector('th[scope=row]') && t.classList.contains('signoffs'))
                     problems.push('sign-off row without row header');
                 }
                 for (const c of document.querySelectorAll('td.state'))
                   if (!c.textContent.trim()) problems.push('state without text');
                 return problems;",
            )
            .await;
        assert_eq!(problems, json!([]), "accessibility structure");
    }

    /// WCAG AA: text in state cells, the banner, headings and body copy has a contrast ratio of
    /// at least 4.5:1 against the background it is painted on.
    async fn assert_contrast(&self, scheme: &str) {
        let low = self
            .script(
                "const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
                 const lum = ([r, g, b]) => {
                   const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
                   return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
                 };
                 const background = el => {
                   for (; el; el = el.parentElement) {
                     const c = rgb(getComputedStyle(el).backgroundColor);
                     if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
                   }
                   return [255, 255, 255];
                 };
                 const low = [];
                 for (const el of document.querySelectorAll('td, th, caption, h1, h2, h3, h4, p, li, .decision')) {
                   if (!el.textContent.trim()) continue;
                   const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
                   const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
                   if (ratio < 4.5) low.push(el.tagName + '.' + el.className + ' ' + ratio.toFixed(2) + ': ' + el.textContent.slice(0, 40));
                 }
                 return low;",
            )
            .await;
        assert_eq!(low, json!([]), "text below 4.5:1 contrast in the {scheme} scheme");
    }

    async fn emulate_media(&self, params: Value) {
        self.cdp("Emulation.setEmulatedMedia", params).await;
    }

    /// The viewport as the page opens, the viewport at the sign-off table, and the whole page.
    async fn screenshots(&self, name: &str, out: &Path) {
        self.script("window.scrollTo(0, 0); return null;").await;
        let top = self.client.screenshot().await.expect("screenshot");
        write_png(&out.join(format!("{name}-top.png")), &top);
        self.script("document.querySelector('#c0-signoffs').scrollIntoView(); return null;").await;
        let signoffs = self.client.screenshot().await.expect("screenshot");
        write_png(&out.join(format!("{name}-signoffs.png")), &signoffs);
        self.script("window.scrollTo(0, 0); return null;").await;
        self.screenshot_full(&out.join(format!("{name}.png"))).await;
    }

    async fn screenshot_full(&self, path: &Path) {
        let height = self.script("return Math.ceil(document.documentElement.scrollHeight);").await;
        let height = height.as_u64().expect("page height");
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
        let shot = self.cdp("Page.captureScreenshot", json!({"format": "png", "captureBeyondViewport": true})).await;
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({})).await;
        let data = shot["data"].as_str().expect("screenshot data");
        let png = base64::engine::general_purpose::STANDARD.decode(data).expect("base64 png");
        write_png(path, &png);
    }

    async fn assert_no_console_errors(&self, page: &Path) {
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "console errors on {}: {errors:?}", page.display());
    }

    /// Browser log entries at SEVERE (console.error, uncaught exceptions, CSP violations, failed
    /// loads) since the last call; chromedriver drains the log on each read.
    async fn console_errors(&self) -> Vec<String> {
        let log = self.command("se/log", json!({"type": "browser"})).await;
        log.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn cdp(&self, method: &str, params: Value) -> Value {
        self.command("goog/cdp/execute", json!({"cmd": method, "params": params})).await
    }

    async fn command(&self, path: &str, body: Value) -> Value {
        self.client
            .issue_cmd(SessionCommand { path: path.to_owned(), body })
            .await
            .unwrap_or_else(|e| panic!("WebDriver {path}: {e}"))
    }
}

/// A chromedriver extension endpoint under the session (`se/log`, `goog/cdp/execute`), which
/// fantoccini does not wrap.
#[derive(Debug)]
struct SessionCommand {
    path: String,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionCommand {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/{}", session.unwrap_or_default(), self.path))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

fn find_tool(names: &[&str]) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "{} not found on PATH: the HTML report is tested in a real browser; scripts/test.sh installs \
         Debian's chromium and chromium-driver",
        names.join(" or ")
    );
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("address").port()
}

/// `target/screenshots/`, next to the other build output, where people can look at the pages.
fn output_dir() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target dir").to_path_buf();
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

fn write_png(path: &Path, png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG"), "a PNG for {}", path.display());
    std::fs::write(path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
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
