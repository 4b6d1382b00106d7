//! TLS for the webhook: rustls (ring), TLS 1.3 by default, ALPN h2 + http/1.1, and a certificate
//! that is swapped in place when the PEM files change (cert-manager rotates a mounted Secret by
//! replacing the `..data` symlink), without touching established connections.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, SupportedProtocolVersion};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::config::TlsMinVersion;
use super::metrics::WebhookMetrics;
use crate::{Error, Result};

/// The certificate currently served. Each handshake takes a clone of the `Arc`, so a swap
/// affects new handshakes only; connections keep the key they started with.
pub struct SwappableCert(RwLock<Arc<CertifiedKey>>);

impl SwappableCert {
    pub fn new(key: CertifiedKey) -> Self {
        SwappableCert(RwLock::new(Arc::new(key)))
    }

    pub fn current(&self) -> Arc<CertifiedKey> {
        Arc::clone(&self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    pub fn replace(&self, key: CertifiedKey) {
        *self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(key);
    }
}

impl fmt::Debug for SwappableCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SwappableCert").finish_non_exhaustive()
    }
}

impl ResolvesServerCert for SwappableCert {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// Reads a PEM chain and key and checks that they belong together.
pub fn load_certified_key(cert_pem: &[u8], key_pem: &[u8], provider: &CryptoProvider) -> Result<CertifiedKey> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::tls_from("certificate PEM", e))?;
    if chain.is_empty() {
        return Err(Error::tls("certificate PEM holds no CERTIFICATE block"));
    }
    // The first PKCS#8, PKCS#1 (RSA) or SEC1 (EC) key block, as rustls-pemfile's private_key did.
    let key = match PrivateKeyDer::from_pem_slice(key_pem) {
        Ok(key) => key,
        Err(pem::Error::NoItemsFound) => return Err(Error::tls("key PEM holds no private key block")),
        Err(e) => return Err(Error::tls_from("key PEM", e)),
    };
    CertifiedKey::from_der(chain, key, provider).map_err(|e| Error::tls_from("certificate and key", e))
}

/// The server configuration: ring provider, the given minimum version, ALPN h2 then http/1.1.
pub fn server_config(
    certs: Arc<SwappableCert>,
    min_version: TlsMinVersion,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<ServerConfig>> {
    let versions: &[&'static SupportedProtocolVersion] = match min_version {
        TlsMinVersion::Tls13 => &[&rustls::version::TLS13],
        TlsMinVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| Error::tls_from("protocol versions", e))?
        .with_no_client_auth()
        .with_cert_resolver(certs);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The certificate files and what was last seen in them.
pub struct CertFiles {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    served: Arc<SwappableCert>,
    /// Digest of the last content tried, good or bad, so a bad pair is reported once.
    last_seen: [u8; 32],
}

impl CertFiles {
    /// Loads the initial pair; the webhook does not start without one.
    pub fn load(cert: &Path, key: &Path, provider: Arc<CryptoProvider>) -> Result<Self> {
        let (cert_pem, key_pem) = read_pair(cert, key)?;
        let certified = load_certified_key(&cert_pem, &key_pem, &provider).map_err(|e| in_files(e, cert, key))?;
        Ok(CertFiles {
            cert: cert.to_owned(),
            key: key.to_owned(),
            provider,
            served: Arc::new(SwappableCert::new(certified)),
            last_seen: digest(&cert_pem, &key_pem),
        })
    }

    pub fn served(&self) -> Arc<SwappableCert> {
        Arc::clone(&self.served)
    }

    /// Re-reads both files; swaps the served pair when they hold a new valid one. Returns
    /// `Some(result)` when the content changed, `None` when it did not.
    pub fn reload(&mut self) -> Option<Result<()>> {
        let (cert_pem, key_pem) = match read_pair(&self.cert, &self.key) {
            Ok(pair) => pair,
            Err(error) => {
                // Unreadable files (mid-rotation, unmounted) are reported once per distinct state.
                let seen = digest(error.to_string().as_bytes(), b"");
                return (seen != self.last_seen).then(|| {
                    self.last_seen = seen;
                    Err(error)
                });
            }
        };
        let seen = digest(&cert_pem, &key_pem);
        if seen == self.last_seen {
            return None;
        }
        self.last_seen = seen;
        Some(load_certified_key(&cert_pem, &key_pem, &self.provider).map(|certified| self.served.replace(certified)))
    }

    /// Polls the files every `interval` until `shutdown`, logging and counting every change.
    pub async fn watch(mut self, interval: Duration, metrics: WebhookMetrics, shutdown: CancellationToken) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            match self.reload() {
                None => {}
                Some(Ok(())) => {
                    metrics.record_tls_reload(true);
                    tracing::info!(cert = %self.cert.display(), "webhook certificate reloaded");
                }
                Some(Err(error)) => {
                    metrics.record_tls_reload(false);
                    tracing::error!(
                        cert = %self.cert.display(),
                        key = %self.key.display(),
                        %error,
                        "new webhook certificate rejected; still serving the previous one"
                    );
                }
            }
        }
    }
}

/// Names the files a TLS error came from, in front of what was wrong with them.
fn in_files(error: Error, cert: &Path, key: &Path) -> Error {
    match error {
        Error::Tls { context, source } => {
            Error::Tls { context: format!("{} / {}: {context}", cert.display(), key.display()), source }
        }
        other => other,
    }
}

fn read_pair(cert: &Path, key: &Path) -> Result<(Vec<u8>, Vec<u8>)> {
    let read = |path: &Path| std::fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source });
    Ok((read(cert)?, read(key)?))
}

fn digest(cert: &[u8], key: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((cert.len() as u64).to_le_bytes());
    hasher.update(cert);
    hasher.update(key);
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    fn pair(name: &str) -> (String, String) {
        let cert = rcgen::generate_simple_self_signed(vec![name.to_owned()]).expect("cert");
        (cert.cert.pem(), cert.signing_key.serialize_pem())
    }

    fn write(dir: &Path, (cert, key): &(String, String)) {
        std::fs::write(dir.join("tls.crt"), cert).expect("write cert");
        std::fs::write(dir.join("tls.key"), key).expect("write key");
    }

    fn served_der(files: &CertFiles) -> Vec<u8> {
        files.served().current().cert[0].to_vec()
    }

    #[test]
    fn a_mismatched_pair_is_refused() {
        let (cert_a, _) = pair("a.example");
        let (_, key_b) = pair("b.example");
        let error = load_certified_key(cert_a.as_bytes(), key_b.as_bytes(), &provider()).expect_err("mismatch");
        assert!(error.to_string().contains("certificate and key"), "{error}");
    }

    #[test]
    fn keys_in_pkcs8_pkcs1_and_sec1_are_read_and_a_missing_key_is_named() {
        let (cert, key) = pair("a.example");
        assert!(load_certified_key(cert.as_bytes(), key.as_bytes(), &provider()).is_ok(), "PKCS#8");
        let error = load_certified_key(cert.as_bytes(), cert.as_bytes(), &provider()).expect_err("no key");
        assert!(error.to_string().contains("no private key block"), "{error}");
        let pkcs8 = PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("PKCS#8 key");
        assert!(matches!(pkcs8, PrivateKeyDer::Pkcs8(_)));
        for (label, expected_sec1) in [("RSA PRIVATE KEY", false), ("EC PRIVATE KEY", true)] {
            // Same bytes under another label: the reader goes by the label, as the old one did.
            let body = key.lines().filter(|l| !l.starts_with("-----")).collect::<Vec<_>>().join("\n");
            let relabelled = format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n");
            let read = PrivateKeyDer::from_pem_slice(relabelled.as_bytes()).expect("key");
            assert_eq!(matches!(read, PrivateKeyDer::Sec1(_)), expected_sec1);
            assert_eq!(matches!(read, PrivateKeyDer::Pkcs1(_)), !expected_sec1);
        }
    }

    #[test]
    fn pem_without_certificates_is_refused() {
        let (_, key) = pair("a.example");
        assert!(load_certified_key(b"not pem", key.as_bytes(), &provider()).is_err());
    }

    #[test]
    fn reload_swaps_a_new_pair_and_keeps_the_old_one_on_a_bad_pair() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), &pair("a.example"));
        let mut files =
            CertFiles::load(&dir.path().join("tls.crt"), &dir.path().join("tls.key"), provider()).expect("loads");
        let first = served_der(&files);
        assert!(files.reload().is_none(), "unchanged files are not reloaded");

        write(dir.path(), &pair("b.example"));
        assert!(matches!(files.reload(), Some(Ok(()))));
        let second = served_der(&files);
        assert_ne!(first, second);

        let (cert_c, _) = pair("c.example");
        std::fs::write(dir.path().join("tls.crt"), cert_c).expect("write");
        assert!(matches!(files.reload(), Some(Err(_))), "a cert without its key is rejected");
        assert_eq!(served_der(&files), second, "the previous pair is still served");
        assert!(files.reload().is_none(), "the same bad pair is reported once");
    }
}
