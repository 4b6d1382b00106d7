//! The admin HTTP server, for the kubelet and Prometheus rather than for users: `/metrics`
//! (Prometheus text 0.0.4, or OpenMetrics when the scraper's `Accept` asks for it), `/healthz`
//! (the process runs), `/readyz` (caches synced, so the webhook answers from a complete view).
//! It serves the controller's and the webhook's metrics alike, so it belongs to neither.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

use crate::controller::readiness::Readiness;
use crate::metrics::exposition::{self, Format};

#[derive(Clone)]
struct AdminState {
    registry: Arc<Registry>,
    readiness: Readiness,
}

pub fn router(registry: Arc<Registry>, readiness: Readiness) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(AdminState { registry, readiness })
}

async fn metrics(State(state): State<AdminState>, headers: HeaderMap) -> impl IntoResponse {
    // A request may carry several Accept lines; they read as one comma-separated list.
    let accept: Vec<&str> = headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).collect();
    let format = Format::negotiate(Some(&accept.join(",")));
    (
        [(header::CONTENT_TYPE, format.content_type()), (header::VARY, "Accept")],
        exposition::encode(&state.registry, format),
    )
}

async fn readyz(State(state): State<AdminState>) -> impl IntoResponse {
    if state.readiness.is_ready() {
        (StatusCode::OK, "ready".to_owned())
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, format!("waiting for: {}", state.readiness.pending().join(", ")))
    }
}

/// Binds `addr` and serves until `shutdown`. Returns the bound address once listening (so
/// `:0` works) and the serving task.
pub async fn serve(
    addr: SocketAddr,
    registry: Arc<Registry>,
    readiness: Readiness,
    shutdown: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = router(registry, readiness);
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await {
            tracing::error!(%error, "metrics server failed");
        }
    });
    Ok((bound, task))
}

#[cfg(test)]
mod tests {
    use tower::ServiceExt;

    use super::*;

    async fn get_path(app: Router, path: &str) -> (StatusCode, String) {
        let (status, _, body) = get_accepting(app, path, None).await;
        (status, body)
    }

    /// Status, content type and body of a GET with an optional `Accept` header.
    async fn get_accepting(app: Router, path: &str, accept: Option<&str>) -> (StatusCode, String, String) {
        let mut request = axum::http::Request::get(path);
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT, accept);
        }
        let response = app.oneshot(request.body(axum::body::Body::empty()).expect("request")).await.expect("answered");
        let status = response.status();
        let content_type =
            response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
        (status, content_type, String::from_utf8_lossy(&body).into_owned())
    }

    fn app_with_a_status_write() -> Router {
        let mut registry = crate::metrics::registry();
        let metrics = crate::metrics::Metrics::new(&mut registry);
        metrics.status_write("applied");
        router(Arc::new(registry), Readiness::always())
    }

    #[tokio::test]
    async fn scrapers_without_accept_get_prometheus_text_0_0_4() {
        let (status, content_type, body) = get_accepting(app_with_a_status_write(), "/metrics", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
        assert!(body.contains("# TYPE readygate_status_writes_total counter\n"), "{body}");
        assert!(!body.contains("# EOF"), "{body}");
    }

    #[tokio::test]
    async fn scrapers_asking_for_openmetrics_get_it() {
        let accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        let (status, content_type, body) = get_accepting(app_with_a_status_write(), "/metrics", Some(accept)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
        assert!(body.contains("# TYPE readygate_status_writes counter\n"), "{body}");
        assert!(body.ends_with("# EOF\n"), "{body}");
    }

    #[tokio::test]
    async fn readyz_waits_for_the_caches() {
        let readiness = Readiness::new();
        readiness.register("Deployment.apps");
        readiness.seal();
        let app = router(Arc::new(crate::metrics::registry()), readiness.clone());
        let (status, body) = get_path(app.clone(), "/readyz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, "waiting for: Deployment.apps");
        readiness.mark_synced("Deployment.apps");
        assert_eq!(get_path(app.clone(), "/readyz").await.0, StatusCode::OK);
        assert_eq!(get_path(app, "/healthz").await, (StatusCode::OK, "ok".to_owned()));
    }

    #[tokio::test]
    async fn metrics_are_served_in_text_format() {
        let mut registry = crate::metrics::registry();
        let metrics = crate::metrics::Metrics::new(&mut registry);
        metrics.set_leader(true);
        let app = router(Arc::new(registry), Readiness::always());
        let (status, body) = get_path(app, "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("readygate_leader 1"), "{body}");
    }
}
