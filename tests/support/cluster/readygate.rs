//! `readygate run` against the real control plane: the binary this package builds, its webhook
//! on a free loopback port with a certificate from the control plane's CA (so the API server,
//! given that CA as caBundle, can call it), metrics on another port, its log in a file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::ControlPlane;
use super::free_port;
use super::pki::CertDir;

#[path = "../../replica/http_get.rs"]
mod http_get;

pub struct Readygate {
    child: tokio::process::Child,
    /// Plain-HTTP `/metrics`, `/healthz`, `/readyz`.
    pub metrics_port: u16,
    /// The HTTPS admission listener.
    pub webhook: SocketAddr,
    log: PathBuf,
    _certs: CertDir,
    _dir: tempfile::TempDir,
}

impl Readygate {
    /// `readygate run` as `identity` (normally `readygate`, the ServiceAccount), with leader
    /// election in readygate-system as deployed, plus `extra` flags.
    pub fn start(plane: &ControlPlane, identity: &str, extra: &[&str]) -> Readygate {
        Self::start_with_kubeconfig(plane, &plane.kubeconfig(identity), extra)
    }

    /// The same with a kubeconfig of the test's own (e.g. through a proxy).
    pub fn start_with_kubeconfig(plane: &ControlPlane, kubeconfig: &Path, extra: &[&str]) -> Readygate {
        let dir = tempfile::tempdir().expect("temporary directory");
        let log = dir.path().join("readygate.log");
        let (cert, key) = plane.ca().server_pair();
        let certs = CertDir::new(&cert, &key);
        let metrics_port = free_port();
        let webhook = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_readygate"))
            .arg("run")
            .arg(format!("--metrics-addr=127.0.0.1:{metrics_port}"))
            .arg(format!("--webhook-addr={webhook}"))
            .arg(format!("--tls-cert={}", certs.cert().display()))
            .arg(format!("--tls-key={}", certs.key().display()))
            .arg("--webhook-drain-delay=1s")
            .arg("--webhook-drain-timeout=5s")
            .args(extra)
            .env("KUBECONFIG", kubeconfig)
            .env("RUST_LOG", std::env::var("READYGATE_TEST_LOG").unwrap_or_else(|_| "info".to_owned()))
            .env_remove("POD_NAMESPACE")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .kill_on_drop(true)
            .spawn()
            .expect("starting readygate run");
        Readygate { child, metrics_port, webhook, log, _certs: certs, _dir: dir }
    }

    /// The URL the API server calls for webhook `path` (e.g. `/validate/workloads`).
    pub fn webhook_url(&self, path: &str) -> String {
        format!("https://{}{path}", self.webhook)
    }

    /// The process id, e.g. to read its resident memory from /proc.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// GET a path of the metrics server; `None` while it does not answer.
    pub async fn get(&self, path: &str) -> Option<(u16, String)> {
        http_get::get(self.metrics_port, path).await
    }

    /// The sum of the samples of metric family `name` whose labels contain every `labels` pair
    /// (`key="value"`); 0 when there is none.
    pub async fn metric(&self, name: &str, labels: &[&str]) -> f64 {
        let Some((_, body)) = self.get("/metrics").await else { return 0.0 };
        body.lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let (series, value) = line.rsplit_once(' ')?;
                let (family, label_text) = series.split_once('{').unwrap_or((series, ""));
                (family == name && labels.iter().all(|l| label_text.contains(l))).then(|| value.parse::<f64>().ok())?
            })
            .sum()
    }

    /// Waits for `/readyz` to answer 200; panics with the log otherwise.
    pub async fn wait_ready(&self, within: Duration) {
        http_get::wait_ready(self.metrics_port, within, Duration::from_millis(100), || self.log()).await;
    }

    /// SIGTERM, then the exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running").to_string();
        let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
        assert!(sent.success());
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(status) => status.expect("exit status"),
            Err(_) => panic!("readygate did not exit within 30 s of SIGTERM; log:\n{}", self.log()),
        }
    }
}
