//! A headless Debian chromium driven through chromedriver (WebDriver, with fantoccini; Chrome
//! DevTools commands through chromedriver's `goog/cdp/execute` for colour-scheme and print
//! emulation and full-page screenshots), shared by the browser tests of the HTML report and the
//! board. Without chromium and chromedriver the tests fail: `scripts/test.sh` installs them.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// chromedriver and the session it drives; the driver (and with it chromium) ends on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Self {
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

    pub async fn stop(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }

    pub async fn open(&self, page: &Path) {
        let url = format!("file://{}", page.display());
        self.client.goto(&url).await.unwrap_or_else(|e| panic!("loading {url}: {e}"));
        // Start each page with a clean log, so errors are attributed to the page that logged them.
        let _ = self.console_errors().await;
    }

    /// Loads `url` (e.g. the board over http), starting with a clean console log.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("loading {url}: {e}"));
        let _ = self.console_errors().await;
    }

    /// The viewport as it is now, to `path`.
    pub async fn screenshot_viewport(&self, path: &Path) {
        let shot = self.client.screenshot().await.expect("screenshot");
        write_png(path, &shot);
    }

    pub async fn assert_no_console_errors_on(&self, what: &str) {
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "console errors on {what}: {errors:?}");
    }

    pub async fn title(&self) -> String {
        self.client.title().await.expect("title")
    }

    pub async fn text(&self, css: &str) -> String {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        element.text().await.unwrap_or_else(|e| panic!("{css} text: {e}"))
    }

    pub async fn row_cells(&self, css: &str) -> Vec<String> {
        let row = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        let mut cells = Vec::new();
        for cell in row.find_all(Locator::Css("th, td")).await.expect("cells") {
            cells.push(cell.text().await.expect("cell text"));
        }
        cells
    }

    pub async fn attributes(&self, css: &str, name: &str) -> Vec<String> {
        let mut values = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await.expect("elements") {
            values.push(element.attr(name).await.expect("attribute").unwrap_or_default());
        }
        values
    }

    pub async fn script(&self, body: &str) -> Value {
        self.client.execute(body, vec![]).await.unwrap_or_else(|e| panic!("script failed: {e}\n{body}"))
    }

    pub async fn computed(&self, css: &str, property: &str) -> String {
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
    pub async fn assert_accessible_structure(&self) {
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
    pub async fn assert_contrast(&self, scheme: &str) {
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

    pub async fn emulate_media(&self, params: Value) {
        self.cdp("Emulation.setEmulatedMedia", params).await;
    }

    /// The viewport as the page opens, the viewport at the sign-off table, and the whole page.
    pub async fn screenshots(&self, name: &str, out: &Path) {
        self.script("window.scrollTo(0, 0); return null;").await;
        let top = self.client.screenshot().await.expect("screenshot");
        write_png(&out.join(format!("{name}-top.png")), &top);
        self.script("document.querySelector('#c0-signoffs').scrollIntoView(); return null;").await;
        let signoffs = self.client.screenshot().await.expect("screenshot");
        write_png(&out.join(format!("{name}-signoffs.png")), &signoffs);
        self.script("window.scrollTo(0, 0); return null;").await;
        self.screenshot_full(&out.join(format!("{name}.png"))).await;
    }

    pub async fn screenshot_full(&self, path: &Path) {
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

    pub async fn assert_no_console_errors(&self, page: &Path) {
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "console errors on {}: {errors:?}", page.display());
    }

    /// Browser log entries at SEVERE (console.error, uncaught exceptions, CSP violations, failed
    /// loads) since the last call; chromedriver drains the log on each read.
    pub async fn console_errors(&self) -> Vec<String> {
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

    pub async fn cdp(&self, method: &str, params: Value) -> Value {
        self.command("goog/cdp/execute", json!({"cmd": method, "params": params})).await
    }

    pub async fn command(&self, path: &str, body: Value) -> Value {
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

pub fn find_tool(names: &[&str]) -> PathBuf {
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

pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("address").port()
}

/// `target/screenshots/`, next to the other build output, where people can look at the pages.
pub fn output_dir() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target dir").to_path_buf();
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

pub fn write_png(path: &Path, png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG"), "a PNG for {}", path.display());
    std::fs::write(path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// `readygate board` on a free loopback port, with `kubeconfig`; killed on drop.
pub struct BoardProcess {
    child: tokio::process::Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl BoardProcess {
    pub async fn start(kubeconfig: &Path, extra: &[&str]) -> BoardProcess {
        use tokio::io::AsyncBufReadExt as _;
        let dir = tempfile::tempdir().expect("temporary directory");
        let stderr = dir.path().join("board.stderr");
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_readygate"))
            .args(["board", "--address", "127.0.0.1:0"])
            .args(extra)
            .env("KUBECONFIG", kubeconfig)
            .env("RUST_LOG", "readygate=debug")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .kill_on_drop(true)
            .spawn()
            .expect("starting readygate board");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("readygate board printed no URL within 30 s: {}", read(&stderr)))
            .expect("stdout")
            .unwrap_or_else(|| panic!("readygate board exited: {}", read(&stderr)));
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {first:?}"))
            .trim_end_matches('/')
            .to_owned();
        BoardProcess { child, url, stderr, _dir: dir }
    }

    pub fn stderr(&self) -> String {
        read(&self.stderr)
    }

    /// SIGTERM, and the exit status (the board shuts down gracefully, open event streams too).
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running");
        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the board did not stop within 10 s of SIGTERM"))
            .expect("exit status")
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

impl Browser {
    /// Waits (up to `within`) until `script` (a function body) returns true in the page.
    pub async fn wait_until(&self, within: Duration, what: &str, script: &str) {
        let deadline = Instant::now() + within;
        loop {
            if self.script(script).await == Value::Bool(true) {
                return;
            }
            assert!(Instant::now() < deadline, "{what}: not within {within:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (up to `within`) until the board page's server-sent event stream is connected, so
    /// a change made next is one the page must receive live.
    pub async fn wait_until_live(&self, within: Duration) {
        self.wait_until(
            within,
            "the event stream connects",
            "return document.getElementById('live').textContent.startsWith('Live');",
        )
        .await;
    }
}

/// Ends a board test: stops the browser and SIGTERMs the board, then reports the run's outcome
/// (`run` is the test body under a timeout, its panic caught) with the board's stderr and
/// `context()` when it failed, and asserts the board stopped cleanly.
pub async fn finish(
    browser: Browser,
    board: BoardProcess,
    run: Result<std::thread::Result<()>, tokio::time::error::Elapsed>,
    context: impl Fn() -> String,
) {
    browser.stop().await;
    let stderr = board.stderr();
    let status = board.terminate().await;
    match run {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => {
            eprintln!("board stderr:\n{stderr}\n{}", context());
            std::panic::resume_unwind(panic)
        }
        Err(elapsed) => {
            panic!("the board test did not finish in time ({elapsed}); board stderr:\n{stderr}\n{}", context())
        }
    }
    assert!(status.success(), "SIGTERM stops the board cleanly: {status:?}\n{stderr}");
}
