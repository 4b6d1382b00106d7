//! The webhook's command-line settings, a `clap::Args` group `readygate run` flattens.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::api::Duration;

/// Lowest TLS version the webhook accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TlsMinVersion {
    #[value(name = "1.2")]
    Tls12,
    #[default]
    #[value(name = "1.3")]
    Tls13,
}

#[derive(Clone, Debug, PartialEq, Eq, clap::Args)]
pub struct WebhookArgs {
    /// Address of the HTTPS admission listener.
    #[arg(long, env = "READYGATE_WEBHOOK_ADDR", default_value = "0.0.0.0:8443")]
    pub webhook_addr: SocketAddr,
    /// PEM certificate chain served by the webhook; re-read when the file changes.
    #[arg(long, env = "READYGATE_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of the certificate; re-read when the file changes.
    #[arg(long, env = "READYGATE_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Lowest TLS version accepted (1.3 unless old clients require 1.2).
    #[arg(long, value_enum, default_value = "1.3")]
    pub tls_min_version: TlsMinVersion,
    /// How often the certificate files are checked for a new pair.
    #[arg(long, default_value = "5s")]
    pub tls_reload_interval: Duration,
    /// Connections kept open. At the cap a new connection closes the one idle longest; it waits
    /// (in the listen backlog) only while every open connection has a request in flight.
    #[arg(long, default_value_t = 2048)]
    pub webhook_max_connections: usize,
    /// Connections kept open per client address. At the cap the client's own longest-idle
    /// connection makes room, so the API server is never refused for another client's sake.
    #[arg(long, default_value_t = 1024)]
    pub webhook_max_connections_per_peer: usize,
    /// How long a keep-alive connection (HTTP/1.1 or HTTP/2) may stay idle between requests.
    /// A new connection must send its first request within `--webhook-header-timeout`.
    #[arg(long, default_value = "1m")]
    pub webhook_idle_timeout: Duration,
    /// Longest time to read a request body and answer it: the webhook configurations'
    /// `timeoutSeconds`, after which the API server has given up on the answer anyway.
    #[arg(long, default_value = "5s")]
    pub webhook_request_timeout: Duration,
    /// Longest time for a TLS handshake, for request headers, and from accept to the first
    /// request, so slow or silent clients can't hold a slot.
    #[arg(long, default_value = "5s")]
    pub webhook_header_timeout: Duration,
    /// After shutdown starts: how long to keep accepting while `/readyz` fails and endpoints update.
    #[arg(long, default_value = "5s")]
    pub webhook_drain_delay: Duration,
    /// After that: how long in-flight requests may take before connections are dropped.
    #[arg(long, default_value = "20s")]
    pub webhook_drain_timeout: Duration,
}

fn secs(value: u64) -> Duration {
    Duration::from_std(std::time::Duration::from_secs(value))
}

impl WebhookArgs {
    /// The defaults of the flags, with the given certificate pair.
    pub fn new(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        WebhookArgs {
            webhook_addr: SocketAddr::from(([0, 0, 0, 0], 8443)),
            tls_cert: Some(cert.into()),
            tls_key: Some(key.into()),
            tls_min_version: TlsMinVersion::Tls13,
            tls_reload_interval: secs(5),
            webhook_max_connections: 2048,
            webhook_max_connections_per_peer: 1024,
            webhook_idle_timeout: secs(60),
            webhook_request_timeout: secs(5),
            webhook_header_timeout: secs(5),
            webhook_drain_delay: secs(5),
            webhook_drain_timeout: secs(20),
        }
    }

    /// The connection bounds these flags set.
    pub fn connection_limits(&self) -> super::connections::Limits {
        super::connections::Limits {
            max_total: self.webhook_max_connections,
            max_per_peer: self.webhook_max_connections_per_peer,
            first_request: self.webhook_header_timeout.as_std(),
            idle: self.webhook_idle_timeout.as_std(),
        }
    }

    /// Both certificate paths; the webhook has no plaintext listener to fall back to.
    pub fn tls_paths(&self) -> crate::Result<(PathBuf, PathBuf)> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok((cert.clone(), key.clone())),
            _ => Err(crate::Error::config(
                "the admission webhook serves HTTPS only: --tls-cert and --tls-key are both required",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        webhook: WebhookArgs,
    }

    #[test]
    fn flag_defaults_match_new() {
        let cli = Cli::try_parse_from(["readygate", "--tls-cert", "c.pem", "--tls-key", "k.pem"]).expect("parses");
        assert_eq!(cli.webhook, WebhookArgs::new("c.pem", "k.pem"));
    }

    #[test]
    fn tls_min_version_accepts_1_2() {
        let cli = Cli::try_parse_from(["readygate", "--tls-min-version", "1.2"]).expect("parses");
        assert_eq!(cli.webhook.tls_min_version, TlsMinVersion::Tls12);
        assert!(Cli::try_parse_from(["readygate", "--tls-min-version", "1.1"]).is_err());
    }

    #[test]
    fn missing_certificate_paths_are_a_clear_error() {
        let cli = Cli::try_parse_from(["readygate"]).expect("parses");
        let error = cli.webhook.tls_paths().expect_err("no plaintext");
        assert!(error.to_string().contains("--tls-cert and --tls-key"));
    }
}
