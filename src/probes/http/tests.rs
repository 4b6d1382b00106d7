use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;
use crate::checks::fixtures::assert_contains;

const REPLY: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nStrict-Transport-Security: max-age=63072000\r\nX-Multi: a\r\nX-Multi: b\r\nConnection: close\r\n\r\nok";

async fn read_request<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) {
    let mut buf = vec![0u8; 4096];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// A one-shot plain HTTP server answering `REPLY`; returns its base URL.
async fn plain_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        if let Ok((mut stream, _)) = listener.accept().await {
            read_request(&mut stream).await;
            let _ = stream.write_all(REPLY).await;
        }
    });
    format!("http://{addr}")
}

/// A one-shot HTTPS server for `localhost` limited to `versions`; returns its URL and a root
/// store trusting it.
async fn tls_server(versions: &[&'static rustls::SupportedProtocolVersion]) -> (String, rustls::RootCertStore) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let cert = certified.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(versions)
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        if let Ok((stream, _)) = listener.accept().await
            && let Ok(mut tls) = acceptor.accept(stream).await
        {
            read_request(&mut tls).await;
            let _ = tls.write_all(REPLY).await;
            let _ = tls.shutdown().await;
        }
    });
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).expect("root");
    (format!("https://localhost:{port}/healthz"), roots)
}

#[tokio::test]
async fn records_status_headers_and_body_over_plain_http() {
    let url = plain_server().await;
    let prober = HttpProber::new().expect("prober");
    let response = prober.get(&url, Duration::from_secs(5)).await.expect("answered");
    assert_eq!(response.observation.status, 200);
    assert_eq!(response.observation.tls_version, None);
    assert_eq!(response.observation.headers.get("x-multi").map(String::as_str), Some("a, b"));
    assert_eq!(
        response.observation.headers.get("strict-transport-security").map(String::as_str),
        Some("max-age=63072000")
    );
    assert_eq!(&response.body[..], b"ok");
}

#[tokio::test]
async fn records_the_negotiated_tls_version() {
    let (url, roots) = tls_server(&[&rustls::version::TLS13]).await;
    let prober = HttpProber::with_roots(roots).expect("prober");
    let response = prober.get(&url, Duration::from_secs(5)).await.expect("answered");
    assert_eq!(response.observation.tls_version, Some(TlsVersion::Tls13));

    let (url, roots) = tls_server(&[&rustls::version::TLS12]).await;
    let prober = HttpProber::with_roots(roots).expect("prober");
    let response = prober.get(&url, Duration::from_secs(5)).await.expect("answered");
    assert_eq!(response.observation.tls_version, Some(TlsVersion::Tls12));
}

#[tokio::test]
async fn untrusted_certificates_are_errors_that_say_so() {
    let (url, _roots) = tls_server(&[&rustls::version::TLS13]).await;
    let prober = HttpProber::new().expect("prober");
    let error = prober.get(&url, Duration::from_secs(5)).await.expect_err("untrusted");
    assert!(error.contains("certificate") || error.contains("Certificate"), "{error}");
}

#[tokio::test]
async fn silent_servers_time_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let holder = tokio::spawn(async move {
        let accepted = listener.accept().await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(accepted);
    });
    let prober = HttpProber::new().expect("prober");
    let error = prober.get(&url, Duration::from_millis(300)).await.expect_err("times out");
    assert_contains(&error, "no answer within 300ms");
    holder.abort();
}

#[tokio::test]
async fn refused_connections_are_errors() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let prober = HttpProber::new().expect("prober");
    assert!(prober.get(&url, Duration::from_secs(2)).await.is_err());
}
