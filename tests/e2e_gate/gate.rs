//! The gated `shop` namespace, `readygate run` serving its webhook over TLS, AdmissionReviews as
//! the API server sends them, and plain HTTP probes of the metrics port.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::pki::CertDir;
use crate::replica::{Replica, create_checklist, seed_hpa};
use crate::support::ApiServerDouble;

pub const NAMESPACE: &str = "shop";
pub const CHECKLIST: &str = "shop-gate";
/// The checklist's `gate.maxStaleness`.
pub const MAX_STALENESS: Duration = Duration::from_secs(6);
/// The members of `gate.overrideGroups`.
pub const OVERRIDE_GROUP: &str = "sre-oncall";
/// Longest wait for one admission answer, connection and TLS handshake included.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// Namespace `shop`: HPA `web` with `minReplicas: hpa_min`, and a checklist gating
/// `app.kubernetes.io/part-of: shop` (Enforce) on one Critical item, `autoscaling`, that wants
/// at least 3. It re-evaluates every 2 s, so its status is refreshed well within maxStaleness.
pub async fn seed_gated_shop(double: &ApiServerDouble, hpa_min: i64) {
    double.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}));
    seed_hpa(double, hpa_min);
    create_checklist(
        double,
        json!({
            "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
            "metadata": {"name": CHECKLIST, "namespace": NAMESPACE},
            "spec": {
                "release": "v2",
                "reevaluateEvery": "2s",
                "gate": {"selector": {"matchLabels": {"app.kubernetes.io/part-of": "shop"}},
                         "enforcement": "Enforce", "maxStaleness": format!("{}s", MAX_STALENESS.as_secs()),
                         "overrideGroups": [OVERRIDE_GROUP]},
                "items": [{"name": "autoscaling", "severity": "Critical", "check": {"horizontalPodAutoscaler": {
                    "target": {"kind": "Deployment", "name": "web"}, "minReplicas": {"atLeast": 3}}}}]
            }
        }),
    )
    .await;
}

/// `readygate run` with the webhook on a free loopback port, certificates re-read every 200 ms
/// and a short drain, against the double `kubeconfig` points at.
pub fn start(kubeconfig: &Path, certs: &CertDir, extra: &[&str]) -> (Replica, SocketAddr) {
    start_with(kubeconfig, certs, extra, |args| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_readygate"));
        command.args(args);
        command
    })
}

/// [`start`], with `command` making the process from readygate's arguments.
pub fn start_with(
    kubeconfig: &Path,
    certs: &CertDir,
    extra: &[&str],
    command: impl FnOnce(&[String]) -> tokio::process::Command,
) -> (Replica, SocketAddr) {
    let webhook = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let (cert, key) = (certs.cert().display().to_string(), certs.key().display().to_string());
    let mut args = vec![
        format!("--webhook-addr={webhook}"),
        format!("--tls-cert={cert}"),
        format!("--tls-key={key}"),
        "--tls-reload-interval=200ms".to_owned(),
        "--webhook-drain-delay=2s".to_owned(),
        "--webhook-drain-timeout=5s".to_owned(),
        "--leader-election=false".to_owned(),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    (Replica::start_with(kubeconfig, &args, command), webhook)
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().expect("bound").port()
}

/// The AdmissionReview the API server sends for `kubectl create` of Deployment `shop/web`
/// (labelled part-of shop) by `user` in `groups`, with the override annotation when given.
pub fn deployment_create(uid: &str, user: &str, groups: &[&str], override_reason: Option<&str>) -> String {
    let labels = json!({"app": "web", "app.kubernetes.io/part-of": "shop", "app.kubernetes.io/version": "v2"});
    let mut metadata = json!({"name": "web", "namespace": NAMESPACE, "labels": labels});
    if let Some(reason) = override_reason {
        metadata["annotations"] = json!({"readygate.io/override": reason});
    }
    let object = json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata,
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web", "app.kubernetes.io/part-of": "shop"}},
                              "spec": {"containers": [{"name": "web", "image": "registry.example/web:v2"}]}}}
    });
    let mut all_groups: Vec<&str> = groups.to_vec();
    all_groups.push("system:authenticated");
    json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "requestKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "requestResource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "name": "web", "namespace": NAMESPACE, "operation": "CREATE",
            "userInfo": {"username": user, "groups": all_groups},
            "object": object, "oldObject": null, "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions", "fieldManager": "kubectl-create"}
        }
    })
    .to_string()
}

/// Calls the webhook of `readygate` as the API server does: HTTPS to `addr` (name `localhost`),
/// trusting only the CA of the webhook configuration's caBundle.
pub struct Webhook<'a> {
    pub addr: SocketAddr,
    pub tls: Arc<ClientConfig>,
    /// Whose log a failure shows.
    pub readygate: &'a Replica,
}

impl Webhook<'_> {
    /// POSTs `review` to `/validate/workloads` and returns the AdmissionReview's `response`,
    /// after checking the envelope the API server requires.
    pub async fn admit(&self, review: &str) -> Value {
        let answer = match tokio::time::timeout(ANSWER_WITHIN, self.post("/validate/workloads", review)).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(error)) => panic!("the webhook at {} did not answer: {error}; log:\n{}", self.addr, self.log()),
            Err(_) => {
                panic!("the webhook at {} did not answer within {ANSWER_WITHIN:?}; log:\n{}", self.addr, self.log())
            }
        };
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.content_type, "application/json");
        let review: Value = serde_json::from_str(&answer.body).expect("the answer is JSON");
        assert_eq!(review["apiVersion"], "admission.k8s.io/v1", "{review}");
        assert_eq!(review["kind"], "AdmissionReview", "{review}");
        review["response"].clone()
    }

    /// Admits `review` every 250 ms until `wanted` holds for the response (the webhook reads
    /// the controller's writes from its watch cache, a moment after the API server has them).
    pub async fn admit_until(&self, review: &str, within: Duration, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let response = self.admit(review).await;
            if wanted(&response) {
                return response;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not the expected answer within {within:?}: {response}; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    fn log(&self) -> String {
        self.readygate.log()
    }

    async fn post(&self, path: &str, body: &str) -> Result<Answer, String> {
        let tcp = TcpStream::connect(self.addr).await.map_err(|e| format!("connect: {e}"))?;
        let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake: {e}"))?;
        let request = hyper::Request::post(path)
            .header("host", "localhost")
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.to_owned())))
            .map_err(|e| e.to_string())?;
        send(tls, request).await
    }
}

/// One HTTP answer, read whole.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// GET `path` on the plain-HTTP metrics port, with `accept` as the Accept header; `None` while
/// nothing answers there.
pub async fn get(port: u16, path: &str, accept: Option<&str>) -> Option<Answer> {
    let mut request = hyper::Request::get(path).header("host", "localhost");
    if let Some(accept) = accept {
        request = request.header(hyper::header::ACCEPT, accept);
    }
    let request = request.body(Full::new(Bytes::new())).ok()?;
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    tokio::time::timeout(ANSWER_WITHIN, send(tcp, request)).await.ok()?.ok()
}

async fn send<IO>(io: IO, request: hyper::Request<Full<Bytes>>) -> Result<Answer, String>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(io)).await.map_err(|e| format!("HTTP handshake: {e}"))?;
    let connection = tokio::spawn(connection);
    let response = sender.send_request(request).await.map_err(|e| format!("request: {e}"))?;
    let status = response.status().as_u16();
    let content_type =
        response.headers().get(CONTENT_TYPE).and_then(|v: &HeaderValue| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = response.into_body().collect().await.map_err(|e| format!("reading the body: {e}"))?.to_bytes();
    connection.abort();
    Ok(Answer { status, content_type, body: String::from_utf8_lossy(&body).into_owned() })
}

/// The stored checklist's `status.lastEvaluationTime`.
pub fn last_evaluation(double: &ApiServerDouble) -> Option<jiff::Timestamp> {
    let status = crate::replica::checklist_status(double, NAMESPACE, CHECKLIST)?;
    status["lastEvaluationTime"].as_str()?.parse().ok()
}
