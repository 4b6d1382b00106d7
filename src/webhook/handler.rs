//! The admission endpoints: read the body within limits, parse the review, call the pure decision,
//! apply its effects, log, count, answer.
//!
//! A plain service rather than a general router: three fixed POST paths, and every microsecond
//! here is paid again for each rollout the API server sends through the webhook.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};

use super::admit::workloads::{DeploymentView, TemplateOnly};
use super::admit::{self, AdmissionInput, Effect, Reason, Verdict};
use super::metrics::WebhookMetrics;
use super::review::{self, ReviewError};
use super::state::WebhookState;

pub const WORKLOADS_PATH: &str = "/validate/workloads";
pub const SIGNOFFS_PATH: &str = "/validate/signoffs";
pub const CHECKLISTS_PATH: &str = "/validate/checklists";

/// Largest request body accepted: the API server's own request limit is 3 MiB.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// Every answer is a complete body: an AdmissionReview or a short text.
pub type AdmissionResponse = Response<Full<Bytes>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    Workloads,
    Signoffs,
    Checklists,
}

impl Path {
    fn of(path: &str) -> Option<Self> {
        match path {
            WORKLOADS_PATH => Some(Path::Workloads),
            SIGNOFFS_PATH => Some(Path::Signoffs),
            CHECKLISTS_PATH => Some(Path::Checklists),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Path::Workloads => WORKLOADS_PATH,
            Path::Signoffs => SIGNOFFS_PATH,
            Path::Checklists => CHECKLISTS_PATH,
        }
    }
}

struct App {
    state: WebhookState,
    metrics: WebhookMetrics,
}

/// The admission endpoints, with the per-request timeout applied to body read and decision
/// alike. Cheap to clone; usable as a hyper service and as a tower service (in-process tests).
#[derive(Clone)]
pub struct AdmissionService {
    app: Arc<App>,
    request_timeout: Duration,
}

/// The admission endpoints over `state`, counted into `metrics`.
pub fn router(state: WebhookState, metrics: WebhookMetrics, request_timeout: Duration) -> AdmissionService {
    AdmissionService { app: Arc::new(App { state, metrics }), request_timeout }
}

impl AdmissionService {
    /// Answers one HTTP request; never fails (errors are answers too).
    pub async fn handle<B: RequestBody>(&self, request: Request<B>) -> AdmissionResponse {
        let Some(path) = Path::of(request.uri().path()) else {
            return text(
                StatusCode::NOT_FOUND,
                format!("no such path; readygate serves {WORKLOADS_PATH}, {SIGNOFFS_PATH} and {CHECKLISTS_PATH}"),
            );
        };
        if request.method() != Method::POST {
            let mut response = text(StatusCode::METHOD_NOT_ALLOWED, format!("{} accepts POST only", path.as_str()));
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
        let limit = self.request_timeout;
        match tokio::time::timeout(limit, self.app.admit(path, request.into_body())).await {
            Ok(response) => response,
            Err(_) => {
                tracing::warn!(
                    path = path.as_str(),
                    timeout_ms = limit.as_millis() as u64,
                    "admission request timed out"
                );
                text(StatusCode::REQUEST_TIMEOUT, format!("request not completed within {}s", limit.as_secs_f64()))
            }
        }
    }
}

/// A request body the service reads: bytes, with errors it can report (hyper's `Incoming` on
/// the server, axum's `Body` in tests).
pub trait RequestBody:
    hyper::body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>> + Send + 'static
{
}

impl<B> RequestBody for B where
    B: hyper::body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>> + Send + 'static
{
}

type Answer = Pin<Box<dyn Future<Output = Result<AdmissionResponse, Infallible>> + Send>>;

impl<B: RequestBody> hyper::service::Service<Request<B>> for AdmissionService {
    type Response = AdmissionResponse;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, request: Request<B>) -> Self::Future {
        let service = self.clone();
        Box::pin(async move { Ok(service.handle(request).await) })
    }
}

impl<B: RequestBody> tower::Service<Request<B>> for AdmissionService {
    type Response = AdmissionResponse;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        hyper::service::Service::call(&*self, request)
    }
}

fn text(status: StatusCode, message: String) -> AdmissionResponse {
    complete(status, "text/plain; charset=utf-8", message.into())
}

/// An answer whose body is all there: `status`, `content_type` and `body`.
fn complete(status: StatusCode, content_type: &'static str, body: Bytes) -> AdmissionResponse {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

impl App {
    async fn admit<B: RequestBody>(&self, path: Path, body: B) -> AdmissionResponse {
        let started = Instant::now();
        let (response, allowed, reason) = match read_body(body).await {
            Ok(body) => self.answer(path, &body),
            Err((status, message)) => {
                let reason = if status == StatusCode::PAYLOAD_TOO_LARGE { Reason::TooLarge } else { Reason::Malformed };
                tracing::warn!(path = path.as_str(), %status, message, "admission request refused");
                (text(status, message), false, reason)
            }
        };
        self.metrics.record_request(path.as_str(), allowed, reason.as_str(), started.elapsed().as_secs_f64());
        response
    }

    fn answer(&self, path: Path, body: &[u8]) -> (AdmissionResponse, bool, Reason) {
        if path == Path::Workloads
            && let Some(request) = review::parse_as::<DeploymentView<'_>, TemplateOnly<'_>>(body)
        {
            let verdict = admit::workloads::decide_parsed(&request, self.state.checklists(), self.state.now());
            return self.finish(path, &request, verdict);
        }
        let request = match review::parse(body) {
            Ok(request) => request,
            Err(ReviewError::BadRequest(message)) => {
                tracing::warn!(path = path.as_str(), message, "unreadable AdmissionReview");
                return (text(StatusCode::BAD_REQUEST, message), false, Reason::Malformed);
            }
            Err(ReviewError::Malformed { uid, message }) => {
                tracing::warn!(path = path.as_str(), uid, message, "malformed AdmissionRequest");
                let verdict = Verdict::deny(Reason::Malformed, 400, message);
                return (json(review::render(&uid, &verdict)), false, Reason::Malformed);
            }
        };
        let now = self.state.now();
        let checklists = self.state.checklists();
        let verdict = match path {
            Path::Workloads => admit::workloads::decide(&request, checklists, now),
            Path::Signoffs => admit::signoffs::decide(&request, checklists, now),
            Path::Checklists => admit::checklists::decide(&request),
        };
        self.finish(path, &request, verdict)
    }

    fn finish<O, P>(
        &self,
        path: Path,
        request: &AdmissionInput<'_, O, P>,
        verdict: Verdict,
    ) -> (AdmissionResponse, bool, Reason) {
        self.apply_effects(request, &verdict);
        log(path, request, &verdict);
        (json(review::render(&request.uid, &verdict)), verdict.allowed, verdict.reason)
    }

    /// The IO side of a verdict. A dry-run request leaves no trace but the log line and the
    /// request metric: no Event, no override count.
    fn apply_effects<O, P>(&self, request: &AdmissionInput<'_, O, P>, verdict: &Verdict) {
        for effect in &verdict.effects {
            match effect {
                Effect::Override(event) => {
                    tracing::info!(
                        checklist = %event.checklist_key(),
                        workload = event.workload,
                        user = event.user,
                        reason = event.reason,
                        dry_run = request.dry_run,
                        "admission override honoured"
                    );
                    if !request.dry_run {
                        self.state.events().override_used(event);
                        self.metrics.record_override(event.checklist.namespace.as_deref().unwrap_or_default());
                    }
                }
                Effect::Audited { checklist, decision } => tracing::info!(
                    checklist,
                    decision = decision.as_str(),
                    namespace = request.namespace(),
                    name = request.name(),
                    "admitted under Audit enforcement although the checklist is not Go"
                ),
            }
        }
    }
}

/// Whether an admission belongs in the audit trail at `info`: every denial, every admission let
/// through although a gating checklist is not Go (an override, Warn or Audit enforcement), and
/// every sign-off and checklist admission (governance actions, and few). The rest, workloads
/// allowed because every gate is Go, none applies or the request is not gated, is the bulk of the
/// traffic and logs at `debug`: the request metric counts it, and the API server's audit log
/// records it with readygate's `decision` audit annotation. The same choice as Gatekeeper's
/// `--log-denies`; one JSON line per allowed rollout cost 14% of an admission's instructions
/// (`benches/admission.rs`), plus a write to stderr (docs/operations.md).
fn audited(path: Path, verdict: &Verdict) -> bool {
    path != Path::Workloads
        || !verdict.allowed
        || matches!(verdict.reason, Reason::Override | Reason::Warn | Reason::Audit)
}

/// One line per admission (`info` for the audit trail, `debug` otherwise, see [`audited`]): who,
/// what, and the verdict; never the object's content.
fn log<O, P>(path: Path, request: &AdmissionInput<'_, O, P>, verdict: &Verdict) {
    macro_rules! admission_line {
        ($level:ident, $message:expr) => {
            tracing::$level!(
                path = path.as_str(),
                uid = %request.uid,
                kind = %request.kind,
                namespace = request.namespace(),
                name = request.name(),
                operation = request.operation.as_str(),
                user = request.user_info.username,
                dry_run = request.dry_run,
                decision = if verdict.allowed { "allowed" } else { "denied" },
                reason = verdict.reason.as_str(),
                message = $message,
                "admission"
            )
        };
    }
    if audited(path, verdict) {
        // An allowed verdict's message is empty; a denial's says why (never object content).
        let message = (!verdict.allowed).then_some(verdict.message.as_str());
        admission_line!(info, message);
    } else {
        admission_line!(debug, None::<&str>);
    }
    if verdict.reason == Reason::UnsupportedKind {
        tracing::warn!(path = path.as_str(), kind = %request.kind, "kind not handled on this path; allowed (check the webhook rules)");
    }
}

fn json(body: Vec<u8>) -> AdmissionResponse {
    complete(StatusCode::OK, "application/json", body.into())
}

/// The body, or the HTTP status and text to refuse it with.
async fn read_body<B: RequestBody>(body: B) -> Result<Bytes, (StatusCode, String)> {
    let too_large = || (StatusCode::PAYLOAD_TOO_LARGE, format!("request body exceeds {MAX_BODY_BYTES} bytes"));
    // A declared length over the limit is refused before a byte of it is read.
    if body.size_hint().lower() > MAX_BODY_BYTES as u64 {
        return Err(too_large());
    }
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(error) => Err((StatusCode::BAD_REQUEST, format!("reading the request body failed: {error}"))),
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use tower::ServiceExt;

    use super::*;
    use crate::webhook::admit::fixtures;
    use crate::webhook::events::MemoryEvents;
    use crate::webhook::state::ChecklistView;

    fn app() -> AdmissionService {
        let view: Arc<dyn ChecklistView> = Arc::new(Vec::new());
        router(WebhookState::new(view), WebhookMetrics::unregistered(), Duration::from_secs(10))
    }

    async fn post_to(path: &str, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
        let request = Request::post(path).body(Body::from(body)).expect("request");
        let response = app().oneshot(request).await.expect("infallible");
        let status = response.status();
        let body = response.into_body().collect().await.expect("body").to_bytes().to_vec();
        (status, body)
    }

    #[test]
    fn denials_overrides_warn_audit_and_governance_are_logged_at_info_the_rest_at_debug() {
        for reason in [Reason::Override, Reason::Warn, Reason::Audit] {
            assert!(audited(Path::Workloads, &Verdict::allow(reason)), "{reason:?} is in the audit trail");
        }
        for reason in [Reason::NoGo, Reason::Unknown, Reason::ReleaseMismatch, Reason::Malformed] {
            let denial = Verdict::deny(reason, 403, "no");
            assert!(audited(Path::Workloads, &denial), "a {reason:?} denial is in the audit trail");
        }
        for reason in [Reason::Go, Reason::NoChecklist, Reason::NotGated, Reason::UnsupportedKind] {
            assert!(!audited(Path::Workloads, &Verdict::allow(reason)), "an allowed {reason:?} logs at debug");
        }
        for path in [Path::Signoffs, Path::Checklists] {
            assert!(audited(path, &Verdict::allow(Reason::Valid)), "{path:?} admissions are in the audit trail");
        }
    }

    #[tokio::test]
    async fn oversized_bodies_get_413() {
        let (status, body) = post_to(WORKLOADS_PATH, vec![b' '; MAX_BODY_BYTES + 1]).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(String::from_utf8_lossy(&body).contains("exceeds"));
    }

    #[tokio::test]
    async fn unknown_paths_get_404_naming_the_real_ones() {
        let (status, body) = post_to("/mutate", b"{}".to_vec()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(String::from_utf8_lossy(&body).contains(WORKLOADS_PATH));
    }

    #[tokio::test]
    async fn a_slow_request_times_out_with_408() {
        let router =
            router(WebhookState::new(Arc::new(Vec::new())), WebhookMetrics::unregistered(), Duration::from_millis(50));
        let (_tx, rx) = tokio::sync::mpsc::channel::<Result<axum::body::Bytes, std::io::Error>>(1);
        let stream = tokio_stream_from(rx);
        let request = Request::post(WORKLOADS_PATH).body(Body::from_stream(stream)).expect("request");
        let response = router.oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
    }

    fn override_setup(dry_run: bool) -> (AdmissionService, Arc<MemoryEvents>, WebhookMetrics, String) {
        use crate::webhook::admit::fixtures::{checklist, deployment};
        let nogo = checklist("release").override_groups(&["sre-oncall"]).decision("NoGo", &["x"]).build();
        let view: Arc<dyn ChecklistView> = Arc::new(vec![nogo]);
        let events = Arc::new(MemoryEvents::default());
        let metrics = WebhookMetrics::unregistered();
        let state = WebhookState::new(view).with_events(events.clone()).with_clock(fixtures::now);
        let mut request =
            deployment("CREATE").annotation("readygate.io/override", "hotfix").user("bob", &["sre-oncall"]);
        if dry_run {
            request = request.dry_run();
        }
        let body =
            format!(r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}}"#, request.json());
        (router(state, metrics.clone(), Duration::from_secs(10)), events, metrics, body)
    }

    async fn allowed(router: AdmissionService, body: String) -> bool {
        let request = Request::post(WORKLOADS_PATH).body(Body::from(body)).expect("request");
        let response = router.oneshot(request).await.expect("infallible");
        let body = response.into_body().collect().await.expect("body").to_bytes();
        let review: serde_json::Value = serde_json::from_slice(&body).expect("json");
        review["response"]["allowed"] == true
    }

    fn overrides_counted(metrics: &WebhookMetrics) -> u64 {
        metrics.overrides.get_or_create(&crate::webhook::metrics::OverrideLabels { namespace: "shop".into() }).get()
    }

    #[tokio::test]
    async fn an_honoured_override_emits_one_event_and_counts_it() {
        let (router, events, metrics, body) = override_setup(false);
        assert!(allowed(router, body).await);
        let recorded = events.recorded();
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0].user, "bob");
        assert_eq!(overrides_counted(&metrics), 1);
    }

    #[tokio::test]
    async fn a_dry_run_override_leaves_no_event_and_no_override_count() {
        let (router, events, metrics, body) = override_setup(true);
        assert!(allowed(router, body).await);
        assert!(events.recorded().is_empty());
        assert_eq!(overrides_counted(&metrics), 0);
        let requests = metrics.requests.get_or_create(&crate::webhook::metrics::RequestLabels {
            path: WORKLOADS_PATH,
            verdict: "allowed",
            reason: "override",
        });
        assert_eq!(requests.get(), 1, "admissions are still counted");
    }

    fn tokio_stream_from(
        mut rx: tokio::sync::mpsc::Receiver<Result<axum::body::Bytes, std::io::Error>>,
    ) -> impl futures::Stream<Item = Result<axum::body::Bytes, std::io::Error>> {
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }
}
