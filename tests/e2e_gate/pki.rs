//! Certificates made at test time: a CA, `localhost`/`127.0.0.1` server certificates it signs,
//! written the way the kubelet mounts a Secret (so a rotation swaps both files at once), and a
//! rustls client that trusts only that CA.

use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

/// A CA that signs server certificates for the webhook.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
    // Read by tests/support/cluster only; other tests include this file too.
    #[allow(dead_code)]
    pem: String,
}

impl Ca {
    pub fn new() -> Ca {
        let mut params = CertificateParams::new(Vec::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "readygate e2e CA");
        let key = KeyPair::generate().expect("CA key");
        let cert = params.self_signed(&key).expect("CA certificate");
        Ca { der: cert.der().clone(), pem: cert.pem(), issuer: Issuer::new(params, key) }
    }

    /// The CA certificate (PEM): a webhook configuration's caBundle, a kubeconfig's
    /// certificate-authority-data.
    #[allow(dead_code)]
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A server certificate and key (PEM) for `localhost` and `127.0.0.1`.
    pub fn server_pair(&self) -> (String, String) {
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("server params");
        params.subject_alt_names.push(SanType::IpAddress([127, 0, 0, 1].into()));
        let key = KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &self.issuer).expect("server certificate");
        (cert.pem(), key.serialize_pem())
    }

    /// What the API server uses to call the webhook: TLS trusting this CA only (the caBundle).
    pub fn client_config(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(self.der.clone()).expect("CA certificate is valid");
        let config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }
}

/// `tls.crt` and `tls.key` linked through `..data`, like a mounted Secret: a rotation writes a
/// new folder and swaps the link, so readers never see a new certificate with an old key.
pub struct CertDir {
    dir: tempfile::TempDir,
    generation: u32,
}

impl CertDir {
    pub fn new(cert_pem: &str, key_pem: &str) -> CertDir {
        let mut certs = CertDir { dir: tempfile::tempdir().expect("certificate folder"), generation: 0 };
        certs.rotate(cert_pem, key_pem);
        std::os::unix::fs::symlink("..data/tls.crt", certs.cert()).expect("tls.crt link");
        std::os::unix::fs::symlink("..data/tls.key", certs.key()).expect("tls.key link");
        certs
    }

    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("tls.crt")
    }

    pub fn key(&self) -> PathBuf {
        self.dir.path().join("tls.key")
    }

    pub fn rotate(&mut self, cert_pem: &str, key_pem: &str) {
        self.generation += 1;
        let name = format!("..gen_{}", self.generation);
        let folder = self.dir.path().join(&name);
        std::fs::create_dir(&folder).expect("generation folder");
        std::fs::write(folder.join("tls.crt"), cert_pem).expect("writing tls.crt");
        std::fs::write(folder.join("tls.key"), key_pem).expect("writing tls.key");
        let staged = self.dir.path().join("..data_tmp");
        std::os::unix::fs::symlink(&name, &staged).expect("staged ..data link");
        std::fs::rename(&staged, self.dir.path().join("..data")).expect("swapping ..data");
    }
}
