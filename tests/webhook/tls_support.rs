//! TLS fixtures: CAs and leaf certificates made at test time, a Secret-like certificate folder
//! rotated by swapping its `..data` symlink, TLS clients, and a running webhook server.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};
use readygate::webhook::{Ready, Server, WebhookArgs, WebhookMetrics, WebhookState};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_util::sync::CancellationToken;

pub type Body = BoxBody<Bytes, Infallible>;

/// A CA and a `localhost` / `127.0.0.1` certificate it signed.
pub struct Pki {
    pub ca_der: CertificateDer<'static>,
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: Vec<u8>,
}

pub fn pki(organisation: &str) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::OrganizationName, organisation);
    let ca_key = KeyPair::generate().expect("CA key");
    let ca = ca_params.self_signed(&ca_key).expect("CA cert");
    let issuer = Issuer::new(ca_params, ca_key);
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).expect("leaf params");
    leaf.subject_alt_names.push(SanType::IpAddress([127, 0, 0, 1].into()));
    let leaf_key = KeyPair::generate().expect("leaf key");
    let cert = leaf.signed_by(&leaf_key, &issuer).expect("leaf cert");
    Pki {
        ca_der: ca.der().clone(),
        cert_pem: cert.pem(),
        key_pem: leaf_key.serialize_pem(),
        cert_der: cert.der().to_vec(),
    }
}

/// A folder laid out like a mounted Secret: `tls.crt -> ..data/tls.crt`, `..data -> ..gen`.
pub struct SecretDir {
    pub dir: tempfile::TempDir,
    generation: u32,
}

impl SecretDir {
    pub fn new(pki: &Pki) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut secret = SecretDir { dir, generation: 0 };
        secret.write_generation(&pki.cert_pem, &pki.key_pem);
        std::os::unix::fs::symlink("..data/tls.crt", secret.cert()).expect("cert link");
        std::os::unix::fs::symlink("..data/tls.key", secret.key()).expect("key link");
        secret
    }

    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("tls.crt")
    }

    pub fn key(&self) -> PathBuf {
        self.dir.path().join("tls.key")
    }

    /// What the kubelet does on a Secret update: write a new generation folder, then atomically
    /// rename a fresh `..data` symlink over the old one.
    pub fn rotate(&mut self, cert_pem: &str, key_pem: &str) {
        self.write_generation(cert_pem, key_pem);
    }

    fn write_generation(&mut self, cert_pem: &str, key_pem: &str) {
        self.generation += 1;
        let name = format!("..gen_{}", self.generation);
        let folder = self.dir.path().join(&name);
        std::fs::create_dir(&folder).expect("generation folder");
        std::fs::write(folder.join("tls.crt"), cert_pem).expect("cert");
        std::fs::write(folder.join("tls.key"), key_pem).expect("key");
        let staged = self.dir.path().join("..data_tmp");
        std::os::unix::fs::symlink(&name, &staged).expect("staged link");
        std::fs::rename(&staged, self.dir.path().join("..data")).expect("swap ..data");
    }
}

pub fn client(cas: &[&Pki], versions: &[&'static SupportedProtocolVersion], alpn: &[&[u8]]) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for ca in cas {
        roots.add(ca.ca_der.clone()).expect("CA");
    }
    let mut config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(versions)
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

pub async fn connect(addr: SocketAddr, config: Arc<ClientConfig>) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").expect("name");
    TlsConnector::from(config).connect(name, tcp).await
}

/// The certificate the server presented on this connection.
pub fn served_cert(tls: &TlsStream<TcpStream>) -> Vec<u8> {
    tls.get_ref().1.peer_certificates().expect("server certificate")[0].to_vec()
}

/// An HTTP/1.1 client on `tls`; the returned handle ends when the connection closes.
pub async fn h1(tls: TlsStream<TcpStream>) -> (http1::SendRequest<Body>, tokio::task::JoinHandle<()>) {
    let (sender, connection) = http1::handshake(TokioIo::new(tls)).await.expect("http/1.1 handshake");
    (sender, tokio::spawn(async move { drop(connection.await) }))
}

pub async fn h2(tls: TlsStream<TcpStream>) -> (http2::SendRequest<Body>, tokio::task::JoinHandle<()>) {
    let (sender, connection) =
        http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await.expect("http/2 handshake");
    (sender, tokio::spawn(async move { drop(connection.await) }))
}

pub fn full(body: impl Into<Bytes>) -> Body {
    Full::new(body.into()).boxed()
}

/// A body whose chunks the test sends when it wants; the body ends when the sender is dropped.
pub fn streamed() -> (mpsc::Sender<Bytes>, Body) {
    let (sender, mut receiver) = mpsc::channel::<Bytes>(4);
    let stream = futures::stream::poll_fn(move |cx| {
        receiver.poll_recv(cx).map(|chunk| chunk.map(|bytes| Ok::<_, Infallible>(Frame::data(bytes))))
    });
    (sender, StreamBody::new(stream).boxed())
}

pub fn post(path: &str, body: Body) -> hyper::Request<Body> {
    hyper::Request::post(path)
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(body)
        .expect("request")
}

pub async fn read(response: hyper::Response<hyper::body::Incoming>) -> (hyper::StatusCode, Vec<u8>) {
    let status = response.status();
    (status, response.into_body().collect().await.expect("body").to_bytes().to_vec())
}

pub struct Running {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    pub handle: tokio::task::JoinHandle<readygate::Result<()>>,
    pub ready: Ready,
    pub metrics: WebhookMetrics,
}

/// Test-speed settings: loopback, fast reloads, short drain.
pub fn args(secret: &SecretDir) -> WebhookArgs {
    let mut args = WebhookArgs::new(secret.cert(), secret.key());
    args.webhook_addr = SocketAddr::from(([127, 0, 0, 1], 0));
    args.tls_reload_interval = "100ms".parse().expect("duration");
    args.webhook_drain_delay = "0s".parse().expect("duration");
    args.webhook_drain_timeout = "5s".parse().expect("duration");
    args
}

pub async fn start(args: WebhookArgs, state: WebhookState) -> Running {
    let metrics = WebhookMetrics::unregistered();
    let ready = state.ready();
    let server = Server::bind(args, state, metrics.clone()).await.expect("server binds");
    let addr = server.local_addr().expect("address");
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(server.run(shutdown.clone()));
    let running = Running { addr, shutdown, handle, ready, metrics };
    eventually(|| running.ready.is_ready(), "the server becomes ready").await;
    running
}

/// Polls `condition` for up to 5 s.
pub async fn eventually(mut condition: impl FnMut() -> bool, what: &str) {
    for _ in 0..100 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}
