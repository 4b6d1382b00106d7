//! A real Kubernetes control plane for tests: etcd and kube-apiserver, built from the Go
//! modules pinned in `tests/cluster/go.mod` (scripts/test.sh builds them), started on free
//! loopback ports in a temporary folder.
//!
//! ```ignore
//! let plane = cluster::shared();                 // one per test binary; isolate by namespace
//! let admin = plane.client("admin").await;       // kube::Client per identity (identities.rs)
//! let out = plane.kubectl("alice", &["apply", "-f", "-"], Some(yaml));
//! let kubeconfig = plane.kubeconfig("readygate"); // for `readygate run`
//! ```
//!
//! The API server authenticates static tokens (`--token-auth-file`), authorizes with RBAC only
//! and runs its default admission plugins, webhooks included. Clients are made per call, on the
//! caller's runtime: a kube `Client` is bound to the runtime that built it, and tests each have
//! their own. The API double in `tests/support/` stays for what a real server cannot easily do:
//! fault injection, dropped watches, error storms.
#![allow(dead_code)]

#[path = "../../e2e_gate/pki.rs"]
pub mod pki;
#[path = "../../packaging/render.rs"]
pub mod render;
#[path = "../../packaging/tools.rs"]
pub mod tools;

mod binaries;
pub mod deploy;
mod https;
mod identities;
pub mod install;
mod process;
pub mod proxy;
pub mod readygate;
pub mod shop;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;

use identities::Identity;
#[allow(unused_imports)]
pub use identities::{READYGATE_NAMESPACE, READYGATE_SERVICE_ACCOUNT};
use pki::Ca;
use process::Supervised;

/// How long etcd and kube-apiserver may take to become ready on a loaded 2-core machine.
const STARTUP: Duration = Duration::from_secs(120);

/// How a control plane is started.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Serve watches straight from etcd (`--watch-cache=false`), so that an etcd compaction makes
    /// an old resourceVersion "too old" as it does for a real cluster's etcd-backed watches.
    pub no_watch_cache: bool,
}

/// Fields drop in order: kube-apiserver stops before etcd, etcd before its folder goes.
pub struct ControlPlane {
    apiserver: Mutex<Option<Supervised>>,
    etcd: Mutex<Option<Supervised>>,
    /// Removed by etcd's supervisor once etcd is gone (a shared plane is never dropped).
    dir: tempfile::TempDir,
    apiserver_binary: PathBuf,
    apiserver_args: Vec<String>,
    pub port: u16,
    pub etcd_port: u16,
    ca: Ca,
    identities: Vec<Identity>,
}

/// The control plane this test binary shares, started on first use. Tests isolate themselves
/// by namespace. It is never dropped; the supervisors stop etcd and kube-apiserver when the test
/// process exits (process.rs).
pub fn shared() -> &'static ControlPlane {
    static PLANE: OnceLock<ControlPlane> = OnceLock::new();
    PLANE.get_or_init(|| ControlPlane::start(Options::default()))
}

impl ControlPlane {
    /// Starts etcd and kube-apiserver and waits until `/readyz` answers `ok`. Blocking: it
    /// only sleeps and polls, so it is fine on a test's runtime thread for the few seconds it takes.
    pub fn start(options: Options) -> ControlPlane {
        let binaries = binaries::locate();
        let dir = tempfile::Builder::new().prefix("readygate-cluster-").tempdir().expect("control plane folder");
        let ca = Ca::new();
        let identities = identities::all();
        let files = write_files(dir.path(), &ca, &identities);

        let (etcd_port, peer_port, port) = (free_port(), free_port(), free_port());
        let etcd_args = etcd_args(dir.path(), etcd_port, peer_port);
        let etcd = Supervised::start("etcd", dir.path(), &binaries.etcd, &etcd_args, Some(dir.path()));
        let mut apiserver_args = apiserver_args(&files, etcd_port, port);
        if options.no_watch_cache {
            apiserver_args.push("--watch-cache=false".to_owned());
        }
        let plane = ControlPlane {
            dir,
            etcd: Mutex::new(Some(etcd)),
            apiserver: Mutex::new(None),
            apiserver_binary: binaries.kube_apiserver,
            apiserver_args,
            port,
            etcd_port,
            ca,
            identities,
        };
        plane.wait_for_etcd();
        plane.start_apiserver();
        plane
    }

    /// `https://127.0.0.1:PORT`.
    pub fn server(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The CA that signed the API server's certificate; tests use it to sign the webhook's too.
    pub fn ca(&self) -> &Ca {
        &self.ca
    }

    pub fn identity(&self, key: &str) -> &Identity {
        self.identities
            .iter()
            .find(|i| i.key == key)
            .unwrap_or_else(|| panic!("no identity {key:?}: see tests/support/cluster/identities.rs"))
    }

    /// The username the API server sees for `key` (e.g. readygate's ServiceAccount).
    pub fn username(&self, key: &str) -> &str {
        &self.identity(key).username
    }

    /// A kubeconfig file acting as `key`, with namespace `default`.
    pub fn kubeconfig(&self, key: &str) -> PathBuf {
        self.kubeconfig_via(key, self.port)
    }

    /// A kubeconfig acting as `key` that reaches the API server through `127.0.0.1:port` (a
    /// test's proxy; the serving certificate is for 127.0.0.1 whatever the port).
    pub fn kubeconfig_via(&self, key: &str, port: u16) -> PathBuf {
        let path = self.dir.path().join(format!("kubeconfig-{key}-{port}"));
        if !path.exists() {
            std::fs::write(&path, self.kubeconfig_yaml(key, port)).expect("writing a kubeconfig");
        }
        path
    }

    fn kubeconfig_yaml(&self, key: &str, port: u16) -> String {
        let identity = self.identity(key);
        let ca = base64::engine::general_purpose::STANDARD.encode(self.ca.pem());
        format!(
            "apiVersion: v1\nkind: Config\n\
             clusters:\n- name: real\n  cluster:\n    server: https://127.0.0.1:{port}\n    certificate-authority-data: {ca}\n\
             users:\n- name: {key}\n  user:\n    token: {token}\n\
             contexts:\n- name: {key}\n  context:\n    cluster: real\n    user: {key}\n    namespace: default\n\
             current-context: {key}\n",
            token = identity.token,
        )
    }

    /// A kube `Client` acting as `key`, bound to the calling test's runtime.
    pub async fn client(&self, key: &str) -> kube::Client {
        let kubeconfig = kube::config::Kubeconfig::read_from(self.kubeconfig(key)).expect("reading the kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &kube::config::KubeConfigOptions::default())
            .await
            .expect("a client config from the kubeconfig");
        kube::Client::try_from(config).expect("building a kube client")
    }

    /// `kubectl --kubeconfig <key's> args…` with `stdin`; its output whatever the exit status.
    pub fn kubectl(&self, key: &str, args: &[&str], stdin: Option<&str>) -> Output {
        let kubeconfig = self.kubeconfig(key);
        let mut all: Vec<&str> = vec!["--kubeconfig", kubeconfig.to_str().expect("UTF-8 path")];
        all.extend_from_slice(args);
        tools::output(&tools::kubectl(), &all, stdin)
    }

    /// Like `kubectl`, failing the test (with kubectl's stderr) unless it exits 0; its stdout.
    pub fn kubectl_ok(&self, key: &str, args: &[&str], stdin: Option<&str>) -> String {
        let output = self.kubectl(key, args, stdin);
        assert!(
            output.status.success(),
            "kubectl {} (as {key}) failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8 output")
    }

    /// Stops kube-apiserver (etcd keeps running).
    pub fn stop_apiserver(&self) {
        if let Some(apiserver) = lock(&self.apiserver).take() {
            apiserver.stop();
        }
    }

    /// Starts kube-apiserver on the same port and etcd, and waits for `/readyz`.
    pub fn start_apiserver(&self) {
        let mut apiserver = lock(&self.apiserver);
        assert!(apiserver.is_none(), "kube-apiserver is already running");
        let process =
            Supervised::start("kube-apiserver", self.dir.path(), &self.apiserver_binary, &self.apiserver_args, None);
        *apiserver = Some(process);
        drop(apiserver);
        self.wait_for_readyz();
    }

    /// Compacts etcd's history up to its current revision through etcd's JSON gateway, as the
    /// API server's periodic compaction does; returns that revision.
    pub fn compact_etcd(&self) -> i64 {
        let status = etcd_post(self.etcd_port, "/v3/kv/range", r#"{"key":"AA==","limit":1}"#);
        let revision: i64 = status["header"]["revision"]
            .as_str()
            .and_then(|r| r.parse().ok())
            .unwrap_or_else(|| panic!("etcd's range answer has no header.revision: {status}"));
        let body = format!(r#"{{"revision":"{revision}","physical":true}}"#);
        etcd_post(self.etcd_port, "/v3/kv/compaction", &body);
        revision
    }

    /// The tails of the etcd and kube-apiserver logs, for failure messages.
    pub fn logs(&self) -> String {
        let mut text = String::new();
        for process in [lock(&self.etcd), lock(&self.apiserver)] {
            if let Some(process) = process.as_ref() {
                text.push_str(&process.log_tail(40));
                text.push('\n');
            }
        }
        text
    }

    fn wait_for_etcd(&self) {
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Some((200, body)) = http_get(self.etcd_port, "/health")
                && body.contains("\"health\":\"true\"")
            {
                return;
            }
            let etcd = lock(&self.etcd);
            let process = etcd.as_ref().expect("etcd was started");
            if let Some(status) = process.exited() {
                panic!("etcd exited ({status}) before it was healthy:\n{}", process.log_tail(40));
            }
            assert!(Instant::now() < deadline, "etcd not healthy within {STARTUP:?}:\n{}", process.log_tail(40));
            drop(etcd);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_for_readyz(&self) {
        let deadline = Instant::now() + STARTUP;
        let tls = self.ca.client_config();
        let token = &self.identity("admin").token;
        let mut last;
        loop {
            match https::get(&tls, self.port, "/readyz", token) {
                Ok((200, _)) => return,
                Ok((status, body)) => last = format!("{status}: {body}"),
                Err(error) => last = error,
            }
            let apiserver = lock(&self.apiserver);
            let process = apiserver.as_ref().expect("kube-apiserver was started");
            if let Some(status) = process.exited() {
                panic!("kube-apiserver exited ({status}) before /readyz said ok:\n{}", process.log_tail(60));
            }
            assert!(
                Instant::now() < deadline,
                "kube-apiserver not ready within {STARTUP:?} (last /readyz: {last}):\n{}",
                process.log_tail(60)
            );
            drop(apiserver);
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The files kube-apiserver reads.
struct Files {
    serving_cert: PathBuf,
    serving_key: PathBuf,
    service_account_key: PathBuf,
    service_account_public: PathBuf,
    tokens: PathBuf,
    cert_dir: PathBuf,
}

fn write_files(dir: &Path, ca: &Ca, identities: &[Identity]) -> Files {
    let (cert, key) = ca.server_pair();
    // The ServiceAccount token signer; nothing here issues such tokens (identities are static
    // tokens), but kube-apiserver refuses to start without one.
    let signer = rcgen::KeyPair::generate().expect("service account signing key");
    let files = Files {
        serving_cert: dir.join("apiserver.crt"),
        serving_key: dir.join("apiserver.key"),
        service_account_key: dir.join("sa.key"),
        service_account_public: dir.join("sa.pub"),
        tokens: dir.join("tokens.csv"),
        cert_dir: dir.join("apiserver-certs"),
    };
    std::fs::write(&files.serving_cert, format!("{cert}{}", ca.pem())).expect("writing the serving certificate");
    std::fs::write(&files.serving_key, key).expect("writing the serving key");
    std::fs::write(&files.service_account_key, signer.serialize_pem()).expect("writing the signing key");
    std::fs::write(&files.service_account_public, signer.public_key_pem()).expect("writing the public key");
    std::fs::write(&files.tokens, identities::token_file(identities)).expect("writing the token file");
    files
}

fn etcd_args(dir: &Path, client_port: u16, peer_port: u16) -> Vec<String> {
    let client = format!("http://127.0.0.1:{client_port}");
    let peer = format!("http://127.0.0.1:{peer_port}");
    vec![
        "--name=test".to_owned(),
        format!("--data-dir={}", dir.join("etcd").display()),
        format!("--listen-client-urls={client}"),
        format!("--advertise-client-urls={client}"),
        format!("--listen-peer-urls={peer}"),
        format!("--initial-advertise-peer-urls={peer}"),
        format!("--initial-cluster=test={peer}"),
        // Test data need not survive a power cut; fsync on a shared disk costs seconds.
        "--unsafe-no-fsync=true".to_owned(),
        "--log-level=warn".to_owned(),
    ]
}

fn apiserver_args(files: &Files, etcd_port: u16, port: u16) -> Vec<String> {
    let path = |p: &PathBuf| p.display().to_string();
    vec![
        format!("--etcd-servers=http://127.0.0.1:{etcd_port}"),
        "--bind-address=127.0.0.1".to_owned(),
        "--advertise-address=127.0.0.1".to_owned(),
        // The `kubernetes` Service's endpoints would name 127.0.0.1, which Endpoints refuse;
        // nothing here reaches the API server through that Service.
        "--endpoint-reconciler-type=none".to_owned(),
        format!("--secure-port={port}"),
        format!("--tls-cert-file={}", path(&files.serving_cert)),
        format!("--tls-private-key-file={}", path(&files.serving_key)),
        format!("--cert-dir={}", path(&files.cert_dir)),
        format!("--token-auth-file={}", path(&files.tokens)),
        "--authorization-mode=RBAC".to_owned(),
        // Room for the bench's thousands of Services (a /24 holds 254).
        "--service-cluster-ip-range=10.0.0.0/16".to_owned(),
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local".to_owned(),
        format!("--service-account-key-file={}", path(&files.service_account_public)),
        format!("--service-account-signing-key-file={}", path(&files.service_account_key)),
        "--allow-privileged=true".to_owned(),
        "--profiling=false".to_owned(),
    ]
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().expect("bound").port()
}

/// Plain HTTP/1.0 GET on loopback (etcd's client port): `(status, body)`, `None` while closed.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    http_request(port, "GET", path, "")
}

fn etcd_post(port: u16, path: &str, body: &str) -> serde_json::Value {
    let (status, answer) =
        http_request(port, "POST", path, body).unwrap_or_else(|| panic!("etcd does not answer POST {path}"));
    assert_eq!(status, 200, "etcd POST {path} {body}: {answer}");
    serde_json::from_str(&answer).unwrap_or_else(|e| panic!("etcd POST {path}: {e}: {answer}"))
}

fn http_request(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Some((status, body))
}

/// Polls `probe` every 200 ms until it gives `Some`, for at most `within`; panics naming `what`
/// and showing `context()` (e.g. readygate's log) otherwise.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, context: impl Fn() -> String, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("{what}: not within {within:?}\n{}", context());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
