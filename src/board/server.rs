//! The board's HTTP server (axum): the overview, a page per checklist, their fragments, and
//! the server-sent event stream.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::Stream;
use jiff::Timestamp;
use kube::runtime::reflector::{ObjectRef, Store};
use maud::Markup;
use serde::Deserialize;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::events;
use super::pages::{self, Filter};
use super::source::{self, Change, Scope};
use crate::api::{ReadinessChecklist, ReadinessSignoff};
use crate::inventory::{Inventory, Object};

/// A running board.
pub struct Board {
    /// Where it listens (the port is known here when 0 was asked for).
    pub addr: SocketAddr,
    /// Ends once `shutdown` fired and open connections closed.
    pub task: JoinHandle<std::io::Result<()>>,
}

struct AppState {
    client: kube::Client,
    store: Store<ReadinessChecklist>,
    signoffs: source::Signoffs,
    changes: broadcast::Sender<Change>,
    shutdown: CancellationToken,
    content_security_policy: HeaderValue,
    /// `Host` values accepted; `None` accepts any (bound to a non-loopback address on purpose).
    hosts: Option<Vec<String>>,
}

/// Binds `addr`, starts the reflector and serves until `shutdown`.
pub async fn serve(
    client: kube::Client,
    scope: Scope,
    addr: SocketAddr,
    shutdown: CancellationToken,
) -> std::io::Result<Board> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let source = source::start(client.clone(), &scope, shutdown.child_token());
    let hosts = addr.ip().is_loopback().then(|| {
        let port = addr.port();
        vec![format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}"), addr.to_string()]
    });
    let csp = HeaderValue::from_str(&pages::content_security_policy())
        .map_err(|e| std::io::Error::other(format!("content security policy header: {e}")))?;
    let state = Arc::new(AppState {
        client,
        store: source.store,
        signoffs: source.signoffs,
        changes: source.changes,
        shutdown: shutdown.clone(),
        content_security_policy: csp,
        hosts,
    });
    let router = Router::new()
        .route("/", get(overview))
        .route("/checklists/{namespace}/{name}", get(checklist))
        .route("/events", get(events_stream))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state);
    let source_task = source.task;
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router).with_graceful_shutdown(shutdown.cancelled_owned()).await;
        source_task.abort();
        served
    });
    Ok(Board { addr, task })
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    /// `1`: only what goes inside `<main>`, for the page's script.
    #[serde(default)]
    fragment: Option<String>,
    #[serde(flatten)]
    filter: Filter,
}

impl PageQuery {
    fn fragment(&self) -> bool {
        self.fragment.as_deref() == Some("1")
    }
}

async fn overview(State(state): State<Arc<AppState>>, Query(query): Query<PageQuery>) -> Response {
    let checklists = state.store.state();
    let borrowed = checklists.iter().map(|c| &**c);
    let now = Timestamp::now();
    let markup = if query.fragment() {
        pages::overview(borrowed, &query.filter, now)
    } else {
        pages::overview_page(borrowed, &query.filter, now)
    };
    html(&state, StatusCode::OK, markup)
}

async fn checklist(
    State(state): State<Arc<AppState>>,
    Path((namespace, name)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> Response {
    let found = state.store.get(&ObjectRef::new(&name).within(&namespace));
    let Some(checklist) = found else {
        let markup =
            if query.fragment() { pages::gone(&namespace, &name) } else { pages::gone_page(&namespace, &name) };
        return html(&state, StatusCode::NOT_FOUND, markup);
    };
    let events = events::recent(state.client.clone(), &namespace, &name).await;
    let now = Timestamp::now();
    let inventory;
    let signoffs = if state.signoffs.forbidden() {
        pages::PageSignoffs::Forbidden
    } else {
        inventory = signoffs_in(&state.signoffs.store, &namespace);
        pages::PageSignoffs::Read(&inventory)
    };
    let markup = if query.fragment() {
        pages::checklist_main(&checklist, &signoffs, &events, now)
    } else {
        pages::checklist_page(&checklist, &signoffs, &events, now)
    };
    html(&state, StatusCode::OK, markup)
}

/// The ReadinessSignoffs of `namespace` as the engine reads them. One that does not convert
/// (it came from the API server, so it should) is left out with a warning: the page then shows
/// its item unsigned rather than failing.
fn signoffs_in(store: &Store<ReadinessSignoff>, namespace: &str) -> Inventory {
    let objects = store.state().into_iter().filter(|s| s.metadata.namespace.as_deref() == Some(namespace)).filter_map(
        |signoff| {
            let converted = serde_json::to_value(&*signoff)
                .map_err(|e| e.to_string())
                .and_then(|value| Object::from_value(value, Some(namespace)).map_err(|e| e.to_string()));
            converted
                .inspect_err(|error| {
                    let name = signoff.metadata.name.as_deref().unwrap_or_default();
                    tracing::warn!(%error, namespace, name, "ReadinessSignoff left out of the board");
                })
                .ok()
        },
    );
    Inventory::from_objects(objects)
}

async fn not_found(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let markup = maud::html! {
        (maud::DOCTYPE)
        html lang="en" { head { meta charset="utf-8"; title { "Not found" } }
            body { main { h1 { "Not found" } p { "Nothing at " code { (path) } ". " a href="/" { "Every checklist" } "." } } } }
    };
    html(&state, StatusCode::NOT_FOUND, markup)
}

/// `change` events (JSON: namespace and name, or `all`), ending when the board shuts down so
/// open pages do not hold the graceful shutdown.
async fn events_stream(State(state): State<Arc<AppState>>) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let receiver = state.changes.subscribe();
    let stop = state.shutdown.clone();
    let stream = futures::stream::unfold((receiver, stop), |(mut receiver, stop)| async move {
        let change = tokio::select! {
            () = stop.cancelled() => return None,
            received = receiver.recv() => match received {
                Ok(change) => change,
                // This page missed some: it refreshes whatever it shows.
                Err(broadcast::error::RecvError::Lagged(_)) => Change::everything(),
                Err(broadcast::error::RecvError::Closed) => return None,
            },
        };
        let data = serde_json::to_string(&change).unwrap_or_else(|_| r#"{"all":true}"#.to_owned());
        Some((Ok(SseEvent::default().event("change").data(data)), (receiver, stop)))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn html(state: &AppState, status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, state.content_security_policy.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Refuses requests addressed to another host name when bound to loopback (DNS rebinding),
/// and sets the headers every answer carries.
async fn guard(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if let Some(hosts) = &state.hosts {
        let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
        if !hosts.iter().any(|allowed| allowed.eq_ignore_ascii_case(host)) {
            return (StatusCode::MISDIRECTED_REQUEST, "this board answers only requests to its loopback address\n")
                .into_response();
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
