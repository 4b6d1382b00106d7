//! The HTTPS listener: TLS handshakes with a deadline, HTTP/1.1 and HTTP/2 on one port, bounds on
//! connections in number and idle time (see [`super::connections`]), certificate reloads, and a
//! graceful shutdown that fails readiness first.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::config::WebhookArgs;
use super::connections::{CLOSE_GRACE, CloseReason, Connections, Slot};
use super::handler::{AdmissionService, router};
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
            Error::config_from(format!("cannot listen on {} for the admission webhook", config.webhook_addr), e)
        })?;
        Ok(Server { listener, tls, certs, config, state, metrics })
    }

    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener.local_addr().map_err(|e| Error::config_from("webhook listener address", e))
    }

    /// Serves until `shutdown`. Readiness goes up once the checklist cache has synced. On
    /// shutdown it goes down first; the listener keeps accepting for the drain delay (while
    /// endpoints update), then stops; in-flight requests get the drain timeout to finish while
    /// idle keep-alive connections close and HTTP/2 connections receive GOAWAY. Connections are
    /// admitted, timed and evicted as [`super::connections`] describes.
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

        let service = router(state, metrics.clone(), config.webhook_request_timeout.as_std());
        let handshake_timeout = config.webhook_header_timeout.as_std();
        let builder = Arc::new(http_builder(handshake_timeout));
        let acceptor = TlsAcceptor::from(tls);
        let connections = Connections::new(config.connection_limits());
        // Fired when the listener stops (after the drain delay): connections close gracefully.
        let draining = CancellationToken::new();
        // Fired when the drain deadline passes: connections still open are dropped.
        let force_close = CancellationToken::new();
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
            // Evicts an idle connection at a cap; waits only while every connection is busy.
            let slot = tokio::select! {
                biased;
                _ = &mut stop_accepting => break,
                slot = connections.admit(peer.ip()) => match slot {
                    Ok(slot) => slot,
                    Err(refused) => {
                        tracing::debug!(%peer, %refused, "webhook connection refused");
                        metrics.record_connection_closed("refused");
                        continue;
                    }
                },
            };
            let connection = Connection {
                acceptor: acceptor.clone(),
                builder: Arc::clone(&builder),
                service: service.clone(),
                metrics: metrics.clone(),
                draining: draining.clone(),
                force_close: force_close.clone(),
                handshake_timeout,
            };
            tokio::spawn(connection.serve(stream, peer, slot, Arc::clone(&connections)));
        }
        drop(listener);
        connections.stop();
        draining.cancel();

        let drain_timeout = config.webhook_drain_timeout.as_std();
        tracing::info!(connections = connections.count(), "webhook draining connections");
        if tokio::time::timeout(drain_timeout, connections.drained()).await.is_err() {
            tracing::warn!(timeout_ms = drain_timeout.as_millis() as u64, "webhook drain deadline passed; closing");
            force_close.cancel();
        }
        reload_stop.cancel();
        let _ = reloads.await;
        tracing::info!("admission webhook stopped");
        Ok(())
    }
}

/// What one connection's task needs.
struct Connection {
    acceptor: TlsAcceptor,
    builder: Arc<auto::Builder<TokioExecutor>>,
    service: AdmissionService,
    metrics: WebhookMetrics,
    draining: CancellationToken,
    force_close: CancellationToken,
    handshake_timeout: Duration,
}

impl Connection {
    /// Handshake, then HTTP until the peer closes, the connection idles past its deadline, it is
    /// evicted, or the server drains. A connection told to close gets [`CLOSE_GRACE`] to go (the
    /// drain timeout when the server drains) and is then dropped.
    async fn serve(self, stream: TcpStream, peer: SocketAddr, slot: Slot, connections: Arc<Connections>) {
        let activity = Arc::clone(slot.activity());
        let limits = *connections.limits();
        let tls = tokio::select! {
            tls = handshake(self.acceptor, stream, peer, self.handshake_timeout) => match tls {
                Some(tls) => tls,
                None => return,
            },
            () = activity.evicted() => {
                self.metrics.record_connection_closed(CloseReason::Evicted.as_str());
                return;
            },
            () = self.draining.cancelled() => return,
        };
        let counted = {
            let (service, activity) = (self.service, Arc::clone(&activity));
            hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let (service, in_flight) = (service.clone(), activity.begin());
                async move {
                    let response = service.handle(request).await;
                    drop(in_flight);
                    Ok::<_, std::convert::Infallible>(response)
                }
            })
        };
        let connection = self.builder.serve_connection(TokioIo::new(tls), counted);
        tokio::pin!(connection);
        // Once told to close, a connection gets no further timers or signals but `close_by`: the
        // moment it is dropped regardless (`None` while draining: `force_close` ends it then).
        let mut closing = false;
        let mut close_by: Option<tokio::time::Instant> = None;
        loop {
            let idle_deadline = if closing { None } else { activity.idle_deadline(&limits) };
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%peer, %error, "webhook connection ended with an error");
                    }
                    break;
                }
                () = self.force_close.cancelled() => break,
                () = self.draining.cancelled(), if !closing => {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
                () = activity.evicted(), if !closing => {
                    self.metrics.record_connection_closed(CloseReason::Evicted.as_str());
                    connection.as_mut().graceful_shutdown();
                    (closing, close_by) = (true, Some(tokio::time::Instant::now() + CLOSE_GRACE));
                }
                () = sleep_until_deadline(idle_deadline) => {
                    // Still idle at the deadline (a request that started since moved it).
                    if let Some((at, reason)) = activity.idle_deadline(&limits)
                        && at <= tokio::time::Instant::now()
                    {
                        tracing::debug!(%peer, reason = reason.as_str(), "closing an idle webhook connection");
                        self.metrics.record_connection_closed(reason.as_str());
                        connection.as_mut().graceful_shutdown();
                        (closing, close_by) = (true, Some(tokio::time::Instant::now() + CLOSE_GRACE));
                    }
                }
                () = activity.changed() => {}
                () = sleep_until_deadline(close_by) => {
                    tracing::debug!(%peer, "webhook connection did not close in time; dropped");
                    break;
                }
            }
        }
        drop(slot);
    }
}

/// Sleeps until `deadline`; forever without one.
async fn sleep_until_deadline<T: DeadlineAt>(deadline: Option<T>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.at()).await,
        None => std::future::pending().await,
    }
}

trait DeadlineAt {
    fn at(&self) -> tokio::time::Instant;
}

impl DeadlineAt for tokio::time::Instant {
    fn at(&self) -> tokio::time::Instant {
        *self
    }
}

impl DeadlineAt for (tokio::time::Instant, CloseReason) {
    fn at(&self) -> tokio::time::Instant {
        self.0
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
