//! HTTP(S) GETs for the `http` and `prometheus` checks: hyper over hyper-rustls (ring, Mozilla
//! roots), one connection per probe so the negotiated TLS version is observed for certain.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use tower::ServiceExt;

use crate::api::TlsVersion;
use crate::checks::HttpObservation;

/// Bodies larger than this are cut off (a Prometheus answer of this size is a query mistake).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// One response: what the `http` check judges, plus the body for Prometheus.
#[derive(Debug)]
pub struct Response {
    pub observation: HttpObservation,
    pub body: Bytes,
}

/// A reusable prober. Cheap to clone.
#[derive(Clone)]
pub struct HttpProber {
    connector: HttpsConnector<HttpConnector>,
}

impl HttpProber {
    /// Trusts Mozilla's root CAs (webpki-roots), as a browser would.
    pub fn new() -> Result<Self, rustls::Error> {
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(Arc::new(rustls::crypto::ring::default_provider()))?;
        Ok(HttpProber { connector: builder.https_or_http().enable_http1().build() })
    }

    /// Trusts exactly `roots` (tests, private CAs).
    pub fn with_roots(roots: rustls::RootCertStore) -> Result<Self, rustls::Error> {
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector =
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config).https_or_http().enable_http1().build();
        Ok(HttpProber { connector })
    }

    /// GETs `url` within `timeout` (connect, TLS handshake, headers and body together).
    /// Errors do not repeat the URL: the checks name it (without credentials) in front of them.
    pub async fn get(&self, url: &str, timeout: Duration) -> Result<Response, String> {
        match tokio::time::timeout(timeout, self.get_unbounded(url)).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {}", humanize(timeout))),
        }
    }

    async fn get_unbounded(&self, url: &str) -> Result<Response, String> {
        let uri: http::Uri = url.parse().map_err(|e| format!("invalid URL: {e}"))?;
        let authority = uri.authority().ok_or("URL has no host")?;
        let (host, authorization) = credentials::split(authority.as_str());
        let host = host.to_owned();
        let started = Instant::now();
        let stream = self.connector.clone().oneshot(uri.clone()).await.map_err(|e| crate::error::chain(&*e))?;
        let tls_version = match &stream {
            MaybeHttpsStream::Https(tls) => tls.inner().get_ref().1.protocol_version().and_then(tls_version),
            MaybeHttpsStream::Http(_) => None,
        };
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(stream).await.map_err(|e| e.to_string())?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut request = http::Request::get(path)
            .header(http::header::HOST, host)
            .header(http::header::USER_AGENT, concat!("readygate/", env!("CARGO_PKG_VERSION")))
            .header(http::header::ACCEPT, "*/*")
            .body(Empty::<Bytes>::new())
            .map_err(|e| e.to_string())?;
        if let Some(value) = authorization {
            request.headers_mut().insert(http::header::AUTHORIZATION, value);
        }
        let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers
                .entry(name.as_str().to_ascii_lowercase())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert(value);
        }
        let elapsed = started.elapsed();
        let body = Limited::new(response.into_body(), MAX_BODY_BYTES)
            .collect()
            .await
            .map_err(|e| format!("reading body: {e}"))?
            .to_bytes();
        driver.abort();
        Ok(Response { observation: HttpObservation { status, headers, tls_version, elapsed }, body })
    }
}

fn tls_version(version: rustls::ProtocolVersion) -> Option<TlsVersion> {
    match version {
        rustls::ProtocolVersion::TLSv1_2 => Some(TlsVersion::Tls12),
        rustls::ProtocolVersion::TLSv1_3 => Some(TlsVersion::Tls13),
        _ => None,
    }
}

fn humanize(d: Duration) -> String {
    if d.subsec_millis() == 0 { format!("{}s", d.as_secs()) } else { format!("{}ms", d.as_millis()) }
}

mod credentials;
#[cfg(test)]
mod tests;
