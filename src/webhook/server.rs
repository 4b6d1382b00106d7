//! The HTTPS listener: TLS handshakes with a deadline, HTTP/1.1 and HTTP/2 on one port, a bound on
//! concurrent connections, certificate reloads, and a graceful shutdown that fails readiness first.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::config::WebhookArgs;
use super::handler::router;
use super::metrics::WebhookMetrics;
use super::state::WebhookState;
use super::tls::{self, CertFiles};
use crate::{Error, Result};

/// A bound, not yet serving webhook (tests bind port 0 and read [`Server::local_addr`]).
pub struct Server {
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    certs: CertFiles,
    config: WebhookArgs,
    state: WebhookState,
    metrics: WebhookMetrics,
}

/// Binds and serves until `shutdown` is cancelled; see [`Server::run`].
pub async fn serve(
    config: WebhookArgs,
    state: WebhookState,
    metrics: WebhookMetrics,
    shutdown: CancellationToken,
) -> Result<()> {
    Server::bind(config, state, metrics).await?.run(shutdown).await
}

impl Server {
    /// Loads the certificate pair and binds the listener; fails early on either.
    pub async fn bind(config: WebhookArgs, state: WebhookState, metrics: WebhookMetrics) -> Result<Self> {
        let (cert, key) = config.tls_paths()?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = CertFiles::load(&cert, &key, Arc::clone(&provider))?;
        let tls = tls::server_config(certs.served(), config.tls_min_version, provider)?;
        let listener = TcpListener::bind(config.webhook_addr).await.map_err(|e| {
            Error::Config(format!("cannot listen on {} for the admission webhook: {e}", config.webhook_addr))
        })?;
        Ok(Server { listener, tls, certs, config, state, metrics })
    }

    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener.local_addr().map_err(|e| Error::Config(format!("webhook listener address: {e}")))
    }

    /// Serves until `shutdown`. Readiness goes up once the checklist cache has synced. On
    /// shutdown it goes down first; the listener keeps accepting for the drain delay (while
    /// endpoints update), then stops; in-flight requests get the drain timeout to finish while
    /// idle keep-alive connections close and HTTP/2 connections receive GOAWAY.
    pub async fn run(self, shutdown: CancellationToken) -> Result<()> {
        let Server { listener, tls, certs, config, state, metrics } = self;
        let ready = state.ready();
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            synced = state.wait_until_synced() => synced?,
        }
        let reload_stop = shutdown.child_token();
        let reloads =
            tokio::spawn(certs.watch(config.tls_reload_interval.as_std(), metrics.clone(), reload_stop.clone()));

        let service = router(state, metrics, config.webhook_request_timeout.as_std());
        let handshake_timeout = config.webhook_header_timeout.as_std();
        let builder = Arc::new(http_builder(handshake_timeout));
        let acceptor = TlsAcceptor::from(tls);
        let slots = Arc::new(Semaphore::new(config.webhook_max_connections.max(1)));
        let graceful = GracefulShutdown::new();
        let drain_delay = config.webhook_drain_delay.as_std();
        let stop_accepting = async {
            shutdown.cancelled().await;
            ready.set(false);
            tracing::info!(delay_ms = drain_delay.as_millis() as u64, "webhook shutting down: readiness failed");
            tokio::time::sleep(drain_delay).await;
        };
        tokio::pin!(stop_accepting);

        ready.set(true);
        tracing::info!(addr = %config.webhook_addr, "admission webhook serving");
        loop {
            let slot = tokio::select! {
                biased;
                _ = &mut stop_accepting => break,
                slot = Arc::clone(&slots).acquire_owned() => match slot {
                    Ok(slot) => slot,
                    Err(_) => break,
                },
            };
            let (stream, peer) = tokio::select! {
                biased;
                _ = &mut stop_accepting => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Typically EMFILE: back off instead of spinning.
                        tracing::warn!(%error, "accepting a webhook connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let acceptor = acceptor.clone();
            let builder = Arc::clone(&builder);
            let service = service.clone();
            let watcher = graceful.watcher();
            tokio::spawn(async move {
                let _slot = slot;
                let Some(tls) = handshake(acceptor, stream, peer, handshake_timeout).await else { return };
                let connection = builder.serve_connection(TokioIo::new(tls), service);
                if let Err(error) = watcher.watch(connection).await {
                    tracing::debug!(%peer, %error, "webhook connection ended with an error");
                }
            });
        }
        drop(listener);

        let drain_timeout = config.webhook_drain_timeout.as_std();
        tracing::info!(connections = graceful.count(), "webhook draining connections");
        if tokio::time::timeout(drain_timeout, graceful.shutdown()).await.is_err() {
            tracing::warn!(timeout_ms = drain_timeout.as_millis() as u64, "webhook drain deadline passed; closing");
        }
        reload_stop.cancel();
        let _ = reloads.await;
        tracing::info!("admission webhook stopped");
        Ok(())
    }
}

/// HTTP/1.1 with a header deadline, and HTTP/2, on the same connection type.
fn http_builder(header_timeout: Duration) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout).keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(256)
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(10));
    builder
}

async fn handshake(
    acceptor: TlsAcceptor,
    stream: TcpStream,
    peer: SocketAddr,
    limit: Duration,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    let _ = stream.set_nodelay(true);
    match tokio::time::timeout(limit, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Some(tls),
        Ok(Err(error)) => {
            tracing::debug!(%peer, %error, "webhook TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(%peer, "webhook TLS handshake timed out");
            None
        }
    }
}
