//! The `http` check against local rustls servers (a CA made at test time, TLS 1.2-only and
//! TLS 1.3 variants) and plain HTTP: what the probe records, and how the check judges it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use readygate::api::{ItemState, TlsVersion};
use readygate::probes::http::HttpProber;
use rustls::version::{TLS12, TLS13};
use serde_json::{Value, json};

use crate::server::{self, Pki, respond};
use crate::support::{assert_item, checklist, evaluate_live};

const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Requests `/counted` has answered in this process.
static COUNTED: AtomicUsize = AtomicUsize::new(0);

/// NovaCron's API: a healthy endpoint with security headers, one with a short HSTS, one in
/// maintenance, one that counts its requests, and one that echoes the request's Host and Authorization headers back.
fn novacron(request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let seen = |name: hyper::header::HeaderName| {
        request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("(none)").to_owned()
    };
    match request.uri().path() {
        "/healthz" => respond(200, &[("strict-transport-security", HSTS), ("x-frame-options", "DENY")], "ok"),
        "/short-hsts" => respond(200, &[("strict-transport-security", "max-age=300")], "ok"),
        "/maintenance" => respond(503, &[("retry-after", "120")], "down for maintenance"),
        "/echo" => {
            let host = seen(hyper::header::HOST);
            let authorization = seen(hyper::header::AUTHORIZATION);
            respond(200, &[("x-seen-host", host.as_str()), ("x-seen-authorization", authorization.as_str())], "")
        }
        "/counted" => {
            COUNTED.fetch_add(1, Ordering::SeqCst);
            respond(200, &[], "ok")
        }
        _ => respond(404, &[], "not found"),
    }
}

fn item(name: &str, url: &str, extra: Value) -> Value {
    let mut check = json!({"url": url});
    if let (Some(check), Some(extra)) = (check.as_object_mut(), extra.as_object()) {
        check.extend(extra.clone());
    }
    json!({"name": name, "check": {"http": check}})
}

#[tokio::test]
async fn the_probe_records_the_negotiated_tls_version_status_and_headers() {
    let pki = Pki::new();
    let prober = HttpProber::with_roots(pki.roots.clone()).expect("prober");
    for (versions, expected) in [(&[&TLS13][..], TlsVersion::Tls13), (&[&TLS12][..], TlsVersion::Tls12)] {
        let api = server::https(&pki, versions, novacron).await;
        let response = prober.get(&format!("{}/healthz", api.base), Duration::from_secs(5)).await.expect("answered");
        let observed = response.observation;
        assert_eq!(observed.tls_version, Some(expected));
        assert_eq!(observed.status, 200);
        assert_eq!(observed.headers.get("strict-transport-security").map(String::as_str), Some(HSTS));
        assert_eq!(observed.headers.get("x-frame-options").map(String::as_str), Some("DENY"));
        assert_eq!(&response.body[..], b"ok");
    }
}

#[tokio::test]
async fn min_tls_1_3_passes_against_tls_1_3_and_fails_against_a_tls_1_2_only_server() {
    let pki = Pki::new();
    let modern = server::https(&pki, &[&TLS13], novacron).await;
    let legacy = server::https(&pki, &[&TLS12], novacron).await;
    let list = checklist(vec![
        item("modern-needs-1-3", &format!("{}/healthz", modern.base), json!({"minTlsVersion": "1.3"})),
        item("legacy-needs-1-3", &format!("{}/healthz", legacy.base), json!({"minTlsVersion": "1.3"})),
        item("legacy-needs-1-2", &format!("{}/healthz", legacy.base), json!({"minTlsVersion": "1.2"})),
    ]);
    let evaluation = evaluate_live(HttpProber::with_roots(pki.roots.clone()).expect("prober"), &list).await;
    let modern_target = format!("GET {}/healthz: 200, TLS 1.3, ", modern.base);
    assert_item(&evaluation, "modern-needs-1-3", ItemState::Passed, &[&modern_target]);
    assert_item(&evaluation, "legacy-needs-1-3", ItemState::Failed, &["TLS 1.2, needs >= 1.3"]);
    assert_item(&evaluation, "legacy-needs-1-2", ItemState::Passed, &["200, TLS 1.2, "]);
}

#[tokio::test]
async fn required_headers_are_matched_by_regex_and_mismatches_are_named() {
    let pki = Pki::new();
    let api = server::https(&pki, &[&TLS13], novacron).await;
    let long_hsts =
        json!({"requireHeaders": {"Strict-Transport-Security": "max-age=\\d{8,}", "X-Frame-Options": "^DENY$"}});
    let list = checklist(vec![
        item("hsts-on-healthz", &format!("{}/healthz", api.base), long_hsts.clone()),
        item("hsts-too-short", &format!("{}/short-hsts", api.base), long_hsts),
    ]);
    let evaluation = evaluate_live(HttpProber::with_roots(pki.roots.clone()).expect("prober"), &list).await;
    assert_item(&evaluation, "hsts-on-healthz", ItemState::Passed, &["200, TLS 1.3"]);
    assert_item(
        &evaluation,
        "hsts-too-short",
        ItemState::Failed,
        &[
            r#"strict-transport-security header "max-age=300" does not match /max-age=\d{8,}/"#,
            "no x-frame-options header",
        ],
    );
}

#[tokio::test]
async fn the_status_must_be_one_of_expect_status() {
    let pki = Pki::new();
    let api = server::https(&pki, &[&TLS13], novacron).await;
    let url = format!("{}/maintenance", api.base);
    let list = checklist(vec![
        item("healthy", &url, json!({})),
        item(
            "maintenance-announced",
            &url,
            json!({"expectStatus": [503], "requireHeaders": {"Retry-After": "^\\d+$"}}),
        ),
        item("redirect-or-ok", &url, json!({"expectStatus": [200, 301]})),
    ]);
    let evaluation = evaluate_live(HttpProber::with_roots(pki.roots.clone()).expect("prober"), &list).await;
    assert_item(&evaluation, "healthy", ItemState::Failed, &["status 503, expected 200"]);
    assert_item(&evaluation, "maintenance-announced", ItemState::Passed, &["503, TLS 1.3"]);
    assert_item(&evaluation, "redirect-or-ok", ItemState::Failed, &["status 503, expected one of 200, 301"]);
}

#[tokio::test]
async fn a_server_that_never_answers_is_an_error_once_the_timeout_passes() {
    let (_listener, address) = server::silent().await;
    let list = checklist(vec![item("silent", &format!("https://{address}/healthz"), json!({"timeout": "300ms"}))]);
    let started = Instant::now();
    let evaluation = evaluate_live(HttpProber::new().expect("prober"), &list).await;
    let took = started.elapsed();
    assert_item(&evaluation, "silent", ItemState::Error, &["no answer within 300ms"]);
    assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(3), "took {took:?}");
}

#[tokio::test]
async fn plain_http_fails_a_minimum_tls_version() {
    let api = server::plain(novacron).await;
    let url = format!("{}/healthz", api.base);
    let list = checklist(vec![
        item("needs-tls", &url, json!({"minTlsVersion": "1.2"})),
        item("plain-is-fine", &url, json!({})),
    ]);
    let evaluation = evaluate_live(HttpProber::new().expect("prober"), &list).await;
    assert_item(&evaluation, "needs-tls", ItemState::Failed, &["served over plain HTTP, needs TLS >= 1.2"]);
    assert_item(&evaluation, "plain-is-fine", ItemState::Passed, &["200, plain HTTP"]);
}

#[tokio::test]
async fn the_production_prober_refuses_a_certificate_from_an_unknown_ca() {
    let pki = Pki::new();
    let api = server::https(&pki, &[&TLS13], novacron).await;
    let list = checklist(vec![item("untrusted", &format!("{}/healthz", api.base), json!({"timeout": "5s"}))]);
    let evaluation = evaluate_live(HttpProber::new().expect("prober"), &list).await;
    assert_item(&evaluation, "untrusted", ItemState::Error, &["UnknownIssuer"]);
}

#[tokio::test]
async fn credentials_in_the_url_go_in_basic_auth_not_in_the_host_header() {
    let api = server::plain(novacron).await;
    let authority = api.base.trim_start_matches("http://");
    let url = format!("http://probe:s3cret@{authority}/echo");
    let response = HttpProber::new().expect("prober").get(&url, Duration::from_secs(5)).await.expect("answered");
    let headers = &response.observation.headers;
    assert_eq!(headers.get("x-seen-host").map(String::as_str), Some(authority));
    // base64("probe:s3cret")
    assert_eq!(headers.get("x-seen-authorization").map(String::as_str), Some("Basic cHJvYmU6czNjcmV0"));
}

#[tokio::test]
async fn probe_errors_never_show_credentials_from_the_url() {
    let http_url = format!("http://probe:s3cret@{}/healthz", server::closed_port().await);
    let (_listener, silent) = server::silent().await;
    let prometheus_url = format!("http://probe:s3cret@{silent}");
    let list = checklist(vec![
        item("refused", &http_url, json!({})),
        json!({"name": "silent", "check": {"prometheus": {
            "url": prometheus_url, "query": "up", "expect": {"lessThan": 1}, "timeout": "200ms"}}}),
    ]);
    let evaluation = evaluate_live(HttpProber::new().expect("prober"), &list).await;
    for result in &evaluation.items {
        assert_eq!(result.state, ItemState::Error, "{}: {}", result.name, result.message);
        assert!(!result.message.contains("s3cret"), "{}: {}", result.name, result.message);
    }
}

#[tokio::test]
async fn an_endpoint_several_items_name_is_probed_once_per_evaluation() {
    let api = server::plain(novacron).await;
    let counted = format!("{}/counted", api.base);
    let list = checklist(vec![
        item("counted-status", &counted, json!({})),
        item("healthz", &format!("{}/healthz", api.base), json!({})),
        item("counted-again", &counted, json!({"expectStatus": [200, 204]})),
    ]);
    let evaluation = evaluate_live(HttpProber::new().expect("prober"), &list).await;
    assert!(evaluation.items.iter().all(|i| i.state == ItemState::Passed), "{:?}", evaluation.items);
    assert_eq!(COUNTED.load(Ordering::SeqCst), 1, "items need not be adjacent to share a probe");
}
