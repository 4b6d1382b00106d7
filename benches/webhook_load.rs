//! Load generator for the admission webhook: 1, 64 and 1024 concurrent keep-alive TLS
//! connections send a ~9 KB Deployment UPDATE AdmissionReview to the real webhook and, in the
//! same run, to a floor server (bare hyper + rustls with the same TLS settings answering a fixed
//! AdmissionReview). Prints req/s, p50/p99/max latency and error counts for both, and resident
//! memory at start and after 100k webhook requests.
//!
//! `cargo bench --bench webhook_load` (env `LOAD_PHASE_SECS`, default 3, sets each phase's length).

#[path = "common/harness_mode.rs"]
mod harness_mode;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use jiff::{SignedDuration, Timestamp};
use kube::runtime::reflector;
use kube::runtime::watcher;
use readygate::api::ReadinessChecklist;
use readygate::webhook::tls::{SwappableCert, load_certified_key, server_config};
use readygate::webhook::{
    LogOnlyEvents, Server, TlsMinVersion, WORKLOADS_PATH, WebhookArgs, WebhookMetrics, WebhookState,
};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::{TlsAcceptor, TlsConnector};

const CONCURRENCY: [usize; 3] = [1, 64, 1024];
const MEMORY_AFTER_REQUESTS: u64 = 100_000;

fn main() {
    if !harness_mode::is_bench_run("webhook_load") {
        return;
    }
    let phase = Duration::from_secs(std::env::var("LOAD_PHASE_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(3));
    let servers = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let clients = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");

    let pki = Pki::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::write(&cert, &pki.cert_pem).expect("cert");
    std::fs::write(&key, &pki.key_pem).expect("key");
    let body = Bytes::from(admission_review());
    let rss_start = rss_kib();
    let decision_cost = in_process_cost(&body);

    let webhook = servers.block_on(start_webhook(&cert, &key));
    let floor = servers.block_on(start_floor(&pki));
    let client = pki.client();

    println!("readygate webhook load: {} B AdmissionReview (Deployment UPDATE changing the pod template),", body.len());
    println!(
        "{} s per phase, HTTP/1.1 keep-alive over TLS 1.3, server and load generator on this machine ({} cores)",
        phase.as_secs(),
        cores()
    );
    println!(
        "in-process cost of the webhook's work per request (router: body, parse, decide, answer; no TLS): {:.1} us",
        decision_cost.as_secs_f64() * 1e6
    );
    println!();
    println!(
        "{:<8} {:>6} {:>9} {:>10} {:>9} {:>9} {:>9} {:>7}",
        "target", "conns", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors"
    );
    let mut rows = Vec::new();
    let mut webhook_requests = 0;
    for &conns in &CONCURRENCY {
        for (name, addr, path) in [("webhook", webhook, WORKLOADS_PATH), ("floor", floor, "/")] {
            let result = clients.block_on(drive(addr, path, client.clone(), body.clone(), conns, phase));
            println!("{}", result.row(name, conns));
            if name == "webhook" {
                webhook_requests += result.requests;
            }
            rows.push((name, conns, result));
        }
    }
    while webhook_requests < MEMORY_AFTER_REQUESTS {
        let result = clients.block_on(drive(webhook, WORKLOADS_PATH, client.clone(), body.clone(), 64, phase));
        webhook_requests += result.requests;
    }
    let rss_after = rss_kib();

    println!();
    println!("{:<6} {:>22} {:>22} {:>8}", "conns", "throughput vs floor", "p99 vs floor", "verdict");
    let mut all_pass = true;
    for &conns in &CONCURRENCY {
        let find = |target: &str| rows.iter().find(|(n, c, _)| *n == target && *c == conns).map(|(_, _, r)| r);
        let (Some(w), Some(f)) = (find("webhook"), find("floor")) else { continue };
        let throughput = w.rate() / f.rate();
        let p99 = w.percentile(0.99).as_secs_f64() / f.percentile(0.99).as_secs_f64().max(1e-9);
        let pass = throughput >= 0.8 && p99 <= 1.5 && w.errors == 0 && f.errors == 0;
        all_pass &= pass;
        println!("{conns:<6} {:>21.0}% {:>21.2}x {:>8}", throughput * 100.0, p99, if pass { "ok" } else { "MISSED" });
    }
    println!("targets: throughput >= 80% of the floor, p99 <= 1.5x the floor's, zero errors");
    println!();
    println!(
        "resident memory (whole process: both servers and the load generator): {:.1} MiB at start, {:.1} MiB after {} webhook requests",
        rss_start as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        webhook_requests
    );
    println!("overall: {}", if all_pass { "all targets met" } else { "some targets missed" });
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `VmRSS` of this process, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

struct Pki {
    ca: rustls::pki_types::CertificateDer<'static>,
    cert_pem: String,
    key_pem: String,
}

impl Pki {
    fn new() -> Self {
        let mut ca_params = rcgen::CertificateParams::new(Vec::new()).expect("params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_key = rcgen::KeyPair::generate().expect("key");
        let ca = ca_params.self_signed(&ca_key).expect("ca");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        let leaf_key = rcgen::KeyPair::generate().expect("key");
        let cert = leaf.signed_by(&leaf_key, &issuer).expect("leaf");
        Pki { ca: ca.der().clone(), cert_pem: cert.pem(), key_pem: leaf_key.serialize_pem() }
    }

    fn client(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.clone()).expect("root");
        let mut config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

/// The webhook's state: one Go checklist gating the Deployment with `bindRelease`.
fn webhook_state() -> WebhookState {
    let mut writer = reflector::store::Writer::<ReadinessChecklist>::default();
    writer.apply_watcher_event(&watcher::Event::Init);
    let checklist: ReadinessChecklist = serde_json::from_value(json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": "release", "namespace": "shop", "generation": 1, "uid": "1"},
        "spec": {"release": "v1.4.2", "items": [{"name": "cto-signoff", "severity": "Critical",
                 "check": {"manual": {"approvers": {"groups": ["cto"]}}}}],
                 "gate": {"selector": {"matchLabels": {"app.kubernetes.io/part-of": "shop"}}, "bindRelease": true}},
        "status": {"decision": "Go", "observedGeneration": 1,
                   "lastEvaluationTime": (Timestamp::now() - SignedDuration::from_secs(5)).to_string()}
    }))
    .expect("checklist");
    writer.apply_watcher_event(&watcher::Event::InitApply(checklist));
    writer.apply_watcher_event(&watcher::Event::InitDone);
    WebhookState::from_store(writer.as_reader(), Arc::new(LogOnlyEvents))
}

/// What the webhook adds to the floor per request: body in, parse, decide, answer out, through
/// the router without TLS or sockets.
fn in_process_cost(body: &Bytes) -> Duration {
    use tower::ServiceExt;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let app = readygate::webhook::router(webhook_state(), WebhookMetrics::unregistered(), Duration::from_secs(10));
    let rounds = 20_000;
    let started = Instant::now();
    for _ in 0..rounds {
        let request = hyper::Request::post(WORKLOADS_PATH).body(axum::body::Body::from(body.clone())).expect("request");
        let allowed = runtime.block_on(async {
            let response = app.clone().oneshot(request).await.expect("infallible");
            let bytes = response.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
            contains(&bytes, b"\"allowed\":true")
        });
        assert!(allowed, "the benchmark request must be admitted");
    }
    started.elapsed() / rounds
}

async fn start_webhook(cert: &std::path::Path, key: &std::path::Path) -> SocketAddr {
    let state = webhook_state();
    let mut args = WebhookArgs::new(cert, key);
    args.webhook_addr = SocketAddr::from(([127, 0, 0, 1], 0));
    args.tls_min_version = TlsMinVersion::Tls13;
    args.webhook_max_connections = 4096;
    let server = Server::bind(args, state, WebhookMetrics::unregistered()).await.expect("webhook binds");
    let addr = server.local_addr().expect("addr");
    tokio::spawn(server.run(tokio_util::sync::CancellationToken::new()));
    addr
}

/// The floor: what any Rust HTTPS admission server costs at least. Same TLS configuration and
/// HTTP stack as the webhook; reads the body and answers a fixed AdmissionReview.
async fn start_floor(pki: &Pki) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = load_certified_key(pki.cert_pem.as_bytes(), pki.key_pem.as_bytes(), &provider).expect("pair");
    let config = server_config(Arc::new(SwappableCert::new(key)), TlsMinVersion::Tls13, provider).expect("config");
    let acceptor = TlsAcceptor::from(config);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("floor binds");
    let addr = listener.local_addr().expect("addr");
    let answer = Bytes::from_static(
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":true,"status":{}}}"#,
    );
    tokio::spawn(async move {
        let builder = Arc::new(auto::Builder::new(TokioExecutor::new()));
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let (acceptor, builder, answer) = (acceptor.clone(), builder.clone(), answer.clone());
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let Ok(tls) = acceptor.accept(stream).await else { return };
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let answer = answer.clone();
                    async move {
                        let _ = request.into_body().collect().await;
                        Ok::<_, Infallible>(
                            hyper::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(answer))
                                .expect("response"),
                        )
                    }
                });
                let _ = builder.serve_connection(TokioIo::new(tls), service).await;
            });
        }
    });
    addr
}

struct PhaseResult {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    latencies_us: Vec<u32>,
}

impl PhaseResult {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, q: f64) -> Duration {
        if self.latencies_us.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies_us.len() as f64 - 1.0) * q).round() as usize;
        Duration::from_micros(u64::from(self.latencies_us[index]))
    }

    fn row(&self, name: &str, conns: usize) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "{name:<8} {conns:>6} {:>9} {:>10.0} {:>9.3} {:>9.3} {:>9.3} {:>7}",
            self.requests,
            self.rate(),
            ms(self.percentile(0.5)),
            ms(self.percentile(0.99)),
            ms(self.percentile(1.0)),
            self.errors
        )
    }
}

/// Opens `conns` connections (handshakes not timed), then sends requests back to back on each
/// until `phase` has passed.
async fn drive(
    addr: SocketAddr,
    path: &'static str,
    client: Arc<ClientConfig>,
    body: Bytes,
    conns: usize,
    phase: Duration,
) -> PhaseResult {
    let errors = Arc::new(AtomicU64::new(0));
    let opening = Arc::new(Semaphore::new(64));
    let mut senders = Vec::with_capacity(conns);
    let mut openers = Vec::with_capacity(conns);
    for _ in 0..conns {
        let (client, opening) = (client.clone(), opening.clone());
        openers.push(tokio::spawn(async move {
            let _permit = opening.acquire().await.ok()?;
            let tcp = TcpStream::connect(addr).await.ok()?;
            let _ = tcp.set_nodelay(true);
            let tls = TlsConnector::from(client).connect(ServerName::try_from("localhost").ok()?, tcp).await.ok()?;
            let (sender, connection) = http1::handshake::<_, Full<Bytes>>(TokioIo::new(tls)).await.ok()?;
            tokio::spawn(connection);
            Some(sender)
        }));
    }
    for opener in openers {
        match opener.await.ok().flatten() {
            Some(sender) => senders.push(sender),
            None => {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    let started = Instant::now();
    let deadline = started + phase;
    let workers: Vec<_> = senders
        .into_iter()
        .map(|mut sender| {
            let (body, errors) = (body.clone(), errors.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(4096);
                while Instant::now() < deadline {
                    let request = hyper::Request::post(path)
                        .header("host", "localhost")
                        .header("content-type", "application/json")
                        .body(Full::new(body.clone()))
                        .expect("request");
                    let sent = Instant::now();
                    let ok = match sender.send_request(request).await {
                        Ok(response) if response.status() == hyper::StatusCode::OK => {
                            match response.into_body().collect().await {
                                Ok(collected) => contains(&collected.to_bytes(), b"\"allowed\":true"),
                                Err(_) => false,
                            }
                        }
                        _ => false,
                    };
                    if ok {
                        latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                        if sender.ready().await.is_err() {
                            break;
                        }
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies_us = Vec::new();
    for worker in workers {
        latencies_us.extend(worker.await.unwrap_or_default());
    }
    let elapsed = started.elapsed();
    latencies_us.sort_unstable();
    PhaseResult { requests: latencies_us.len() as u64, errors: errors.load(Ordering::Relaxed), elapsed, latencies_us }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A Deployment as the API server sends it after a server-side apply by a GitOps controller:
/// managedFields, an app container and a sidecar with env, probes and resources, status. The
/// UPDATE changes the app image, so the request is gated and fully judged.
fn deployment(image: &str) -> Value {
    let env: Vec<Value> = (0..6)
        .map(|i| json!({"name": format!("SHOP_SETTING_{i}"), "value": format!("value-{i}-with-some-length")}))
        .collect();
    let container = |name: &str, image: &str, port: i64| {
        json!({
            "name": name, "image": image, "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
            "env": env,
            "envFrom": [{"secretRef": {"name": format!("{name}-secrets")}}],
            "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
            "readinessProbe": {"httpGet": {"path": "/ready", "port": port, "scheme": "HTTP"},
                               "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
            "livenessProbe": {"httpGet": {"path": "/live", "port": port, "scheme": "HTTP"},
                              "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
            "lifecycle": {"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 5"]}}},
            "securityContext": {"runAsNonRoot": true, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
                                "capabilities": {"drop": ["ALL"]}},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "config", "mountPath": "/etc/shop", "readOnly": true}]
        })
    };
    let labels = json!({"app": "api", "app.kubernetes.io/name": "api", "app.kubernetes.io/part-of": "shop",
                        "app.kubernetes.io/version": "v1.4.2", "app.kubernetes.io/managed-by": "argocd"});
    let template = json!({
        "metadata": {"labels": labels, "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9102"}},
        "spec": {
            "serviceAccountName": "api", "terminationGracePeriodSeconds": 45, "restartPolicy": "Always",
            "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
            "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "fsGroup": 10001},
            "containers": [container("api", image, 8080), json!({"name": "statsd-exporter", "image": "prom/statsd-exporter:v0.26.1",
                "ports": [{"name": "metrics", "containerPort": 9102, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}}})],
            "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "config", "configMap": {"name": "api-config", "defaultMode": 420}}],
            "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100,
                "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "api"}}, "topologyKey": "kubernetes.io/hostname"}}]}},
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
        }
    });
    let spec = json!({
        "replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
        "selector": {"matchLabels": {"app": "api"}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
        "template": template
    });
    let managed = json!([
        {"manager": "argocd-controller", "operation": "Apply", "apiVersion": "apps/v1", "time": "2026-11-25T09:58:00Z",
         "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}, "f:app.kubernetes.io/name": {},
            "f:app.kubernetes.io/part-of": {}, "f:app.kubernetes.io/version": {}}},
            "f:spec": {"f:replicas": {}, "f:selector": {}, "f:strategy": {"f:rollingUpdate": {"f:maxSurge": {}, "f:maxUnavailable": {}},
            "f:type": {}}, "f:template": {"f:metadata": {"f:labels": {"f:app": {}}}, "f:spec": {"f:containers": {
            "k:{\"name\":\"api\"}": {".": {}, "f:env": {}, "f:image": {}, "f:name": {}, "f:ports": {}, "f:resources": {}}}}}}}},
        {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-11-25T09:59:00Z",
         "fieldsType": "FieldsV1", "subresource": "status", "fieldsV1": {"f:metadata": {"f:annotations": {
            "f:deployment.kubernetes.io/revision": {}}}, "f:status": {"f:availableReplicas": {}, "f:conditions": {},
            "f:observedGeneration": {}, "f:readyReplicas": {}, "f:replicas": {}, "f:updatedReplicas": {}}}}
    ]);
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {
            "name": "api", "namespace": "shop", "uid": "5d4e1a5c-1c9b-4a3e-9a43-2f0c1b7e8d11",
            "resourceVersion": "4811923", "generation": 42, "creationTimestamp": "2026-01-12T08:30:00Z",
            "labels": labels,
            "annotations": {"deployment.kubernetes.io/revision": "41"},
            "managedFields": managed
        },
        "spec": spec,
        "status": {"observedGeneration": 42, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3,
                   "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                                  {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}
    })
}

fn admission_review() -> Vec<u8> {
    json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "requestKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "requestResource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "name": "api", "namespace": "shop", "operation": "UPDATE",
            "userInfo": {"username": "system:serviceaccount:argocd:argocd-application-controller",
                         "uid": "2b5a1e2f-0b4c-4d8e-9b1a-7c6d5e4f3a2b",
                         "groups": ["system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"]},
            "object": deployment("registry.example.com/shop/api:v1.4.2"),
            "oldObject": deployment("registry.example.com/shop/api:v1.4.1"),
            "dryRun": false,
            "options": {"kind": "UpdateOptions", "apiVersion": "meta.k8s.io/v1", "fieldManager": "argocd-controller"}
        }
    })
    .to_string()
    .into_bytes()
}
