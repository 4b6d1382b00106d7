//! Debian's real Prometheus server (`/usr/bin/prometheus`), started on a free loopback port with
//! its own temporary TSDB, scraping itself and a test exporter every second; killed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use readygate::probes::http::HttpProber;
use readygate::probes::prometheus;

/// How long the server may take to become ready and have scraped every target once.
const STARTUP: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(200);

/// A running Prometheus. Dropping it kills the process and removes its data.
pub struct PrometheusServer {
    pub url: String,
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for PrometheusServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl PrometheusServer {
    /// Starts Prometheus scraping itself (job `prometheus`) and `exporter` (job `novacron`,
    /// `host:port`), and waits until both targets are up. Panics with the server's log otherwise.
    pub async fn start(exporter: &str) -> Self {
        let binary = binary();
        // Another process may take the free port between our probe and Prometheus binding it.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut server = Self::spawn(&binary, exporter);
            match server.wait_until_scraped().await {
                Ok(()) => return server,
                Err(e) if attempts < 3 && server.log().contains("address already in use") => {
                    eprintln!("retrying Prometheus start: {e}");
                }
                Err(e) => panic!("Prometheus at {} did not come up: {e}\n--- log ---\n{}", server.url, server.log()),
            }
        }
    }

    fn spawn(binary: &Path, exporter: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(&config, config_yaml(port, exporter)).expect("write config");
        let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log file");
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        PrometheusServer { url: format!("http://127.0.0.1:{port}"), child, dir }
    }

    /// Ready, then both jobs scraped successfully (`up == 1` for two series), within [`STARTUP`].
    async fn wait_until_scraped(&mut self) -> Result<(), String> {
        let prober = HttpProber::new().map_err(|e| e.to_string())?;
        let deadline = Instant::now() + STARTUP;
        let mut last = String::from("no answer yet");
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}"));
            }
            let ready = prober.get(&format!("{}/-/ready", self.url), POLL).await;
            if ready.is_ok_and(|r| r.observation.status == 200) {
                match prometheus::query(&prober, &self.url, "count(up == 1)", POLL).await {
                    Ok(o) if o.values.first().is_some_and(|(_, v)| *v == 2.0) => return Ok(()),
                    Ok(o) => last = format!("targets up: {:?}", o.values),
                    Err(e) => last = e,
                }
            }
            tokio::time::sleep(POLL).await;
        }
        Err(format!("not scraped within {STARTUP:?} ({last})"))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }
}

/// Debian's binary, or one on PATH. Missing is a failure that says how to install it.
fn binary() -> PathBuf {
    let debian = PathBuf::from("/usr/bin/prometheus");
    if debian.is_file() {
        return debian;
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join("prometheus"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "the Prometheus server binary is missing (/usr/bin/prometheus, or `prometheus` on PATH); \
                 scripts/test.sh installs it (Debian package `prometheus`)"
            )
        })
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

fn config_yaml(port: u16, exporter: &str) -> String {
    format!(
        r#"global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: prometheus
    static_configs: [{{targets: ["127.0.0.1:{port}"]}}]
  - job_name: novacron
    static_configs: [{{targets: ["{exporter}"]}}]
"#
    )
}
