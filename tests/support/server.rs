//! The HTTP edge: a plain HTTP/1.1 listener that can go down and come back on the same port,
//! injected latency and failures, the request log, and routing to the handlers.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::errors::ApiError;
use super::faults::FaultState;
use super::log::RequestRecord;
use super::patch::PatchType;
use super::route::{self, Query, Target};
use super::store::Store;
use super::{crud, discovery, identity};

pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// Server behaviour tests may change while it runs.
pub struct Settings {
    pub git_version: String,
    pub bookmark_interval: Duration,
    pub aggregated_discovery: bool,
    /// Who every request is, as SelfSubjectReviews report it.
    pub user: identity::User,
}

struct Listening {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

pub struct Shared {
    pub addr: SocketAddr,
    pub store: Mutex<Store>,
    pub settings: Mutex<Settings>,
    pub faults: FaultState,
    pub log: Mutex<Vec<RequestRecord>>,
    /// Cancelled when the double is shut down or dropped; ends every task it spawned.
    pub shutdown: CancellationToken,
    listening: Mutex<Option<Listening>>,
}

/// A poisoned lock only means another test thread panicked; the data is still usable.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// SO_REUSEADDR lets the port be bound again right after an outage, despite TIME_WAIT sockets.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

impl Shared {
    pub fn new(addr: SocketAddr, store: Store, settings: Settings) -> Arc<Shared> {
        Arc::new(Shared {
            addr,
            store: Mutex::new(store),
            settings: Mutex::new(settings),
            faults: FaultState::default(),
            log: Mutex::new(Vec::new()),
            shutdown: CancellationToken::new(),
            listening: Mutex::new(None),
        })
    }

    pub fn is_up(&self) -> bool {
        lock(&self.listening).is_some()
    }

    pub fn serve(self: &Arc<Self>, listener: TcpListener) {
        let stop = self.shutdown.child_token();
        let task = tokio::spawn(accept_loop(self.clone(), listener, stop.clone()));
        if let Some(previous) = lock(&self.listening).replace(Listening { stop, task }) {
            previous.stop.cancel();
        }
    }

    pub fn come_up(self: &Arc<Self>) -> io::Result<()> {
        if self.is_up() {
            return Ok(());
        }
        let listener = bind(self.addr)?;
        self.serve(listener);
        Ok(())
    }

    /// Returns once the listener is closed and every connection has been dropped.
    pub async fn go_down(&self) {
        let listening = lock(&self.listening).take();
        if let Some(l) = listening {
            l.stop.cancel();
            let _ = l.task.await;
        }
    }
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, stop: CancellationToken) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(handle(shared, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        }
    }
    drop(listener);
    // Aborting the connection tasks closes their sockets, as a crashed API server would.
    connections.shutdown().await;
}

fn parse_body(bytes: &Bytes, patch_type: Option<&str>) -> Option<Value> {
    if bytes.is_empty() {
        return None;
    }
    if patch_type == Some("apply") {
        return serde_saphyr::from_slice(bytes).ok();
    }
    serde_json::from_slice(bytes).ok()
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let bytes = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    let header = |name: header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(String::from);
    let path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or_default().to_string();
    let query = Query::parse(&raw_query);
    let target = route::parse_path(&path);
    let content_type = header(header::CONTENT_TYPE);
    let patch_type = (parts.method == Method::PATCH)
        .then(|| PatchType::from_content_type(content_type.as_deref().unwrap_or_default()))
        .flatten()
        .map(PatchType::label);
    let resource = match &target {
        Target::Resource(r) => Some(r.clone()),
        _ => None,
    };
    let (group, version) = match &target {
        Target::Resource(r) => (r.group.clone(), r.version.clone()),
        Target::GroupVersion { group, version } => (group.clone(), version.clone()),
        _ => Default::default(),
    };
    let mut record = RequestRecord {
        method: parts.method.to_string(),
        verb: route::classify(parts.method.as_str(), &target, &query),
        path,
        query: raw_query,
        group,
        version,
        resource: resource.as_ref().map(|r| r.plural.clone()),
        subresource: resource.as_ref().and_then(|r| r.subresource.clone()),
        namespace: resource.as_ref().and_then(|r| r.namespace.clone()),
        name: resource.as_ref().and_then(|r| r.name.clone()),
        field_manager: query.non_empty("fieldManager").map(String::from),
        patch_type,
        content_type,
        user_agent: header(header::USER_AGENT),
        body: parse_body(&bytes, patch_type),
        status: 0,
    };
    let delay = shared.faults.delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let response = match shared.faults.injected(&record) {
        Some(err) => error_response(&err),
        None => {
            let accept = header(header::ACCEPT).unwrap_or_default();
            dispatch(&shared, &parts.method, &parts.headers, &target, &query, &bytes, &record, &accept).await
        }
    };
    record.status = response.status().as_u16();
    lock(&shared.log).push(record);
    response
}

#[allow(clippy::too_many_arguments)]
async fn dispatch(
    shared: &Arc<Shared>,
    method: &Method,
    headers: &http::HeaderMap,
    target: &Target,
    query: &Query,
    body: &Bytes,
    record: &RequestRecord,
    accept: &str,
) -> Response<Body> {
    if !matches!(target, Target::Resource(_) | Target::Unknown) && *method != Method::GET {
        return error_response(&ApiError::method_not_allowed(method.as_str()));
    }
    match target {
        Target::Version => {
            let version = lock(&shared.settings).git_version.clone();
            json_response(200, &discovery::version_info(&version))
        }
        Target::Health => text_response(200, "ok"),
        Target::Resource(path) if identity::is_review(path) => identity::serve(shared, method, path, body),
        Target::Resource(path) => crud::serve(shared, method, path, query, headers, body, record).await,
        Target::Unknown => error_response(&ApiError::not_found_path(&record.path)),
        discovery_target => discovery::serve(shared, discovery_target, accept),
    }
}

fn respond(code: u16, content_type: &str, body: Body) -> Response<Body> {
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

fn full(bytes: Vec<u8>) -> Body {
    Full::new(Bytes::from(bytes)).boxed_unsync()
}

pub fn typed_json_response(code: u16, value: &Value, content_type: &str) -> Response<Body> {
    respond(code, content_type, full(serde_json::to_vec(value).unwrap_or_default()))
}

pub fn json_response(code: u16, value: &Value) -> Response<Body> {
    typed_json_response(code, value, "application/json")
}

pub fn text_response(code: u16, text: &str) -> Response<Body> {
    respond(code, "text/plain; charset=utf-8", full(text.as_bytes().to_vec()))
}

pub fn error_response(err: &ApiError) -> Response<Body> {
    let mut resp = json_response(err.code, &err.to_status());
    if let Some(secs) = err.retry_after {
        resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// A chunked `200` whose body is whatever arrives on `rx`, until the sender is dropped.
pub fn streaming_response(mut rx: mpsc::Receiver<Bytes>) -> Response<Body> {
    let frames = futures::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b)))));
    respond(200, "application/json", StreamBody::new(frames).boxed_unsync())
}
