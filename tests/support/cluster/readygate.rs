//! `readygate run` against the real control plane: the binary this package builds, its webhook
//! on a free loopback port with a certificate from the control plane's CA (so the API server,
//! given that CA as caBundle, can call it), metrics on another port, its log in a file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::ControlPlane;
use super::free_port;
use super::pki::CertDir;

#[path = "../../replica/run_process.rs"]
mod run_process;

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
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_readygate"));
        command
            .arg("run")
            .arg(format!("--metrics-addr=127.0.0.1:{metrics_port}"))
            .arg(format!("--webhook-addr={webhook}"))
            .arg(format!("--tls-cert={}", certs.cert().display()))
            .arg(format!("--tls-key={}", certs.key().display()))
            .arg("--webhook-drain-delay=1s")
            .arg("--webhook-drain-timeout=5s")
            .args(extra);
        let child = run_process::spawn(command, kubeconfig, &log);
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
        run_process::get(self.metrics_port, path).await
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
        run_process::wait_ready(self.metrics_port, within, Duration::from_millis(100), || self.log()).await;
    }

    /// SIGTERM, then the exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let log = self.log.clone();
        run_process::terminate(&mut self.child, || std::fs::read_to_string(&log).unwrap_or_default()).await
    }
}
