//! Loopback servers the probes talk to: plain HTTP or rustls HTTPS with a CA made at test time
//! (pinned TLS versions), and a listener that accepts connections but never answers.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{RootCertStore, SupportedProtocolVersion};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// What a route answers: status, headers and body.
pub type Handler = fn(&Request<Incoming>) -> Response<Full<Bytes>>;

/// A running server; the accept loop stops when this is dropped.
pub struct Server {
    /// `http://127.0.0.1:PORT` or `https://localhost:PORT`.
    pub base: String,
    accept: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// A private CA and a certificate it signed for `localhost` and `127.0.0.1`.
pub struct Pki {
    pub roots: RootCertStore,
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl Pki {
    pub fn new() -> Self {
        let mut ca_params = CertificateParams::new(Vec::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "readygate probe test CA");
        let ca_key = KeyPair::generate().expect("CA key");
        let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);
        let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).expect("leaf params");
        leaf.subject_alt_names.push(SanType::IpAddress([127, 0, 0, 1].into()));
        let leaf_key = KeyPair::generate().expect("leaf key");
        let cert = leaf.signed_by(&leaf_key, &issuer).expect("leaf certificate");
        let mut roots = RootCertStore::empty();
        roots.add(ca.der().clone()).expect("trust the test CA");
        Pki {
            roots,
            chain: vec![cert.der().clone(), ca.der().clone()],
            key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
        }
    }

    fn acceptor(&self, versions: &[&'static SupportedProtocolVersion]) -> TlsAcceptor {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), PrivateKeyDer::Pkcs8(self.key.clone_key()))
            .expect("server certificate");
        TlsAcceptor::from(Arc::new(config))
    }
}

/// A plain HTTP server on loopback.
pub async fn plain(handler: Handler) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let accept = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(TokioIo::new(stream), handler));
        }
    });
    Server { base, accept }
}

/// An HTTPS server on loopback that speaks only `versions`, presenting `pki`'s certificate.
pub async fn https(pki: &Pki, versions: &[&'static SupportedProtocolVersion], handler: Handler) -> Server {
    let acceptor = pki.acceptor(versions);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("https://localhost:{}", listener.local_addr().expect("address").port());
    let accept = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that rejects the certificate ends the handshake; nothing to serve then.
                if let Ok(tls) = acceptor.accept(stream).await {
                    serve(TokioIo::new(tls), handler).await;
                }
            });
        }
    });
    Server { base, accept }
}

async fn serve<S>(io: TokioIo<S>, handler: Handler)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request: Request<Incoming>| async move { Ok::<_, Infallible>(handler(&request)) });
    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
}

/// A listener whose connections complete the TCP handshake (the kernel's backlog does that)
/// but never see a byte back: neither TLS nor HTTP ever answers.
pub async fn silent() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    (listener, address.to_string())
}

/// A loopback address where nothing listens: connections are refused.
pub async fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    address.to_string()
}

/// A response with `status`, `headers` and a short text body.
pub fn respond(status: u16, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::builder().status(status);
    for (name, value) in headers {
        response = response.header(*name, *value);
    }
    response.body(Full::new(body.into())).expect("response")
}
