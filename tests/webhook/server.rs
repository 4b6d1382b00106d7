//! The HTTPS server for real: certificate rotation without dropping in-flight requests, TLS
//! versions, HTTP/2, body and connection limits, slow clients, readiness and graceful shutdown.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::StatusCode;
use readygate::webhook::{LogOnlyEvents, MAX_BODY_BYTES, TlsMinVersion, WORKLOADS_PATH, WebhookState};
use rustls::version::{TLS12, TLS13};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{checklist, deployment_request, review, state_of};
use crate::tls_support::{
    SecretDir, args, client, connect, eventually, full, h1, h2, pki, post, read, served_cert, start, streamed,
};

pub fn go_state() -> WebhookState {
    state_of(vec![checklist("release", "Go", &[])], Arc::new(LogOnlyEvents))
}

pub fn body() -> String {
    review(deployment_request("UPDATE"))
}

pub fn allowed(body: &[u8]) -> bool {
    let review: serde_json::Value = serde_json::from_slice(body).expect("review");
    review["response"]["allowed"] == true
}

#[tokio::test]
async fn a_rotated_certificate_is_served_to_new_connections_while_old_requests_complete() {
    let (a, b) = (pki("ca-a"), pki("ca-b"));
    let mut secret = SecretDir::new(&a);
    let server = start(args(&secret), go_state()).await;
    let trust_both = client(&[&a, &b], &[&TLS13], &[b"http/1.1"]);

    let old = connect(server.addr, trust_both.clone()).await.expect("connects");
    assert_eq!(served_cert(&old), a.cert_der);
    let (mut old_sender, _old_conn) = h1(old).await;
    let (chunks, streamed_body) = streamed();
    let text = body();
    let (first, second) = text.as_bytes().split_at(text.len() / 2);
    let in_flight = tokio::spawn(old_sender.send_request(post(WORKLOADS_PATH, streamed_body)));
    chunks.send(Bytes::copy_from_slice(first)).await.expect("first half");

    secret.rotate(&b.cert_pem, &b.key_pem);
    let mut rotated = false;
    for _ in 0..100 {
        let fresh = connect(server.addr, trust_both.clone()).await.expect("connects");
        if served_cert(&fresh) == b.cert_der {
            rotated = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(rotated, "new connections get certificate B");

    chunks.send(Bytes::copy_from_slice(second)).await.expect("second half");
    drop(chunks);
    let response = in_flight.await.expect("task").expect("the in-flight request completes");
    let (status, answer) = read(response).await;
    assert_eq!(status, StatusCode::OK);
    assert!(allowed(&answer));
    let reloads =
        server.metrics.tls_reloads.get_or_create(&readygate::webhook::metrics::ReloadLabels { result: "success" });
    assert_eq!(reloads.get(), 1);
    server.shutdown.cancel();
}

#[tokio::test]
async fn a_bad_new_pair_keeps_the_old_certificate_and_counts_an_error() {
    let (a, b) = (pki("ca-a"), pki("ca-b"));
    let mut secret = SecretDir::new(&a);
    let server = start(args(&secret), go_state()).await;
    secret.rotate(&b.cert_pem, &a.key_pem);
    let errors =
        server.metrics.tls_reloads.get_or_create(&readygate::webhook::metrics::ReloadLabels { result: "error" });
    eventually(|| errors.get() == 1, "the mismatched pair is rejected").await;
    let tls = connect(server.addr, client(&[&a, &b], &[&TLS13], &[])).await.expect("still serving");
    assert_eq!(served_cert(&tls), a.cert_der);
    server.shutdown.cancel();
}

#[tokio::test]
async fn tls_1_2_is_refused_by_default_and_accepted_when_allowed() {
    let a = pki("ca-a");
    let secret = SecretDir::new(&a);
    let strict = start(args(&secret), go_state()).await;
    assert!(connect(strict.addr, client(&[&a], &[&TLS12], &[])).await.is_err(), "TLS 1.2 refused");
    assert!(connect(strict.addr, client(&[&a], &[&TLS13], &[])).await.is_ok());

    let mut lenient_args = args(&secret);
    lenient_args.tls_min_version = TlsMinVersion::Tls12;
    let lenient = start(lenient_args, go_state()).await;
    let tls = connect(lenient.addr, client(&[&a], &[&TLS12], &[b"http/1.1"])).await.expect("TLS 1.2 accepted");
    let (mut sender, _conn) = h1(tls).await;
    let (status, answer) = read(sender.send_request(post(WORKLOADS_PATH, full(body()))).await.expect("response")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(allowed(&answer));
    strict.shutdown.cancel();
    lenient.shutdown.cancel();
}

#[tokio::test]
async fn http2_is_negotiated_by_alpn_and_serves_concurrent_streams() {
    let a = pki("ca-a");
    let secret = SecretDir::new(&a);
    let server = start(args(&secret), go_state()).await;
    let tls = connect(server.addr, client(&[&a], &[&TLS13], &[b"h2"])).await.expect("connects");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (sender, _conn) = h2(tls).await;
    let requests = (0..8).map(|_| {
        let mut sender = sender.clone();
        async move { read(sender.send_request(post(WORKLOADS_PATH, full(body()))).await.expect("response")).await }
    });
    for (status, answer) in futures::future::join_all(requests).await {
        assert_eq!(status, StatusCode::OK);
        assert!(allowed(&answer));
    }
    server.shutdown.cancel();
}

#[tokio::test]
async fn a_body_over_3_mib_is_rejected_with_413() {
    let a = pki("ca-a");
    let secret = SecretDir::new(&a);
    let server = start(args(&secret), go_state()).await;
    let (mut sender, _conn) = h1(connect(server.addr, client(&[&a], &[&TLS13], &[])).await.expect("connects")).await;
    let response = sender.send_request(post(WORKLOADS_PATH, full(vec![b' '; MAX_BODY_BYTES + 1]))).await;
    let (status, _) = read(response.expect("response")).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    server.shutdown.cancel();
}

#[tokio::test]
async fn a_client_sending_headers_slowly_is_cut_off_and_others_are_served_meanwhile() {
    let a = pki("ca-a");
    let secret = SecretDir::new(&a);
    let mut fast_timeouts = args(&secret);
    fast_timeouts.webhook_header_timeout = "300ms".parse().expect("duration");
    let server = start(fast_timeouts, go_state()).await;
    let config = client(&[&a], &[&TLS13], &[b"http/1.1"]);

    let mut slow = connect(server.addr, config.clone()).await.expect("connects");
    slow.write_all(b"POST /validate/workloads HTTP/1.1\r\nHost: local").await.expect("partial headers");
    let started = Instant::now();

    let (mut sender, _conn) = h1(connect(server.addr, config).await.expect("connects")).await;
    let (status, _) = read(sender.send_request(post(WORKLOADS_PATH, full(body()))).await.expect("response")).await;
    assert_eq!(status, StatusCode::OK, "another client is served while the slow one dawdles");

    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the server closes the slow connection");
    assert!(started.elapsed() < Duration::from_secs(3), "closed after the header timeout");

    // A client that never starts the TLS handshake is dropped as well.
    let mut silent = tokio::net::TcpStream::connect(server.addr).await.expect("tcp");
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "silent client is disconnected: {read:?}");
    server.shutdown.cancel();
}

/// Was `connections_beyond_the_limit_wait_for_a_free_slot`: it pinned the flaw of issue 8 (two
/// silent connections kept the third out). At the limit an idle connection now makes room; only
/// connections with a request in flight make a new one wait.
#[tokio::test]
async fn at_the_limit_an_idle_connection_makes_room_and_busy_ones_make_the_next_wait() {
    let a = pki("ca-a");
    let secret = SecretDir::new(&a);
    let mut limited = args(&secret);
    limited.webhook_max_connections = 2;
    let server = start(limited, go_state()).await;
    let config = client(&[&a], &[&TLS13], &[b"http/1.1"]);
    let mut first = connect(server.addr, config.clone()).await.expect("first");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = connect(server.addr, config.clone()).await.expect("second");
    let third = tokio::time::timeout(Duration::from_secs(5), connect(server.addr, config.clone())).await;
    assert!(matches!(third, Ok(Ok(_))), "the third connection is admitted at once");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), first.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection idle longest was closed to make room");

    // Both open connections with a request in flight: the next one waits until one is done.
    drop(third);
    let (mut busy_a, _conn_a) = h1(second).await;
    let (mut busy_b, _conn_b) = h1(connect(server.addr, config.clone()).await.expect("replacement")).await;
    let text = body();
    let (head, tail) = text.as_bytes().split_at(100);
    let (chunks_a, body_a) = streamed();
    let (chunks_b, body_b) = streamed();
    let in_flight_a = tokio::spawn(busy_a.send_request(post(WORKLOADS_PATH, body_a)));
    let in_flight_b = tokio::spawn(busy_b.send_request(post(WORKLOADS_PATH, body_b)));
    chunks_a.send(Bytes::copy_from_slice(head)).await.expect("head a");
    chunks_b.send(Bytes::copy_from_slice(head)).await.expect("head b");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting = tokio::spawn(connect(server.addr, config));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "no handshake while every connection has a request in flight");
    chunks_a.send(Bytes::copy_from_slice(tail)).await.expect("tail a");
    drop(chunks_a);
    let (status, _) = read(in_flight_a.await.expect("task").expect("answered")).await;
    assert_eq!(status, StatusCode::OK);
    let admitted = tokio::time::timeout(Duration::from_secs(5), waiting).await;
    assert!(matches!(admitted, Ok(Ok(Ok(_)))), "admitted once a connection went idle");
    chunks_b.send(Bytes::copy_from_slice(tail)).await.expect("tail b");
    drop(chunks_b);
    let (status, _) = read(in_flight_b.await.expect("task").expect("the busy request is not cut")).await;
    assert_eq!(status, StatusCode::OK);
    server.shutdown.cancel();
}

#[tokio::test]
async fn readiness_waits_for_the_checklist_cache_to_sync() {
    let a = pki("ca-a");
    let secret = SecretDir::new(&a);
    let mut writer = kube::runtime::reflector::store::Writer::<readygate::api::ReadinessChecklist>::default();
    let state = WebhookState::from_store(writer.as_reader(), Arc::new(LogOnlyEvents));
    let ready = state.ready();
    let server =
        readygate::webhook::Server::bind(args(&secret), state, readygate::webhook::WebhookMetrics::unregistered())
            .await
            .expect("binds");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let handle = tokio::spawn(server.run(shutdown.clone()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!ready.is_ready(), "not ready before the cache synced");
    writer.apply_watcher_event(&kube::runtime::watcher::Event::Init);
    writer.apply_watcher_event(&kube::runtime::watcher::Event::InitDone);
    eventually(|| ready.is_ready(), "ready once synced").await;
    shutdown.cancel();
    handle.await.expect("task").expect("clean stop");
}

#[tokio::test]
async fn shutdown_fails_readiness_first_finishes_in_flight_requests_and_closes_idle_connections() {
    let a = pki("ca-a");
    let secret = SecretDir::new(&a);
    let mut slow_drain = args(&secret);
    slow_drain.webhook_drain_delay = "300ms".parse().expect("duration");
    let server = start(slow_drain, go_state()).await;
    let config = client(&[&a], &[&TLS13], &[b"http/1.1"]);

    let (mut idle, idle_conn) = h1(connect(server.addr, config.clone()).await.expect("connects")).await;
    let (status, _) = read(idle.send_request(post(WORKLOADS_PATH, full(body()))).await.expect("response")).await;
    assert_eq!(status, StatusCode::OK);

    let (mut busy, _busy_conn) = h1(connect(server.addr, config.clone()).await.expect("connects")).await;
    let (chunks, streamed_body) = streamed();
    let text = body();
    let (first, second) = text.as_bytes().split_at(100);
    let in_flight = tokio::spawn(busy.send_request(post(WORKLOADS_PATH, streamed_body)));
    chunks.send(Bytes::copy_from_slice(first)).await.expect("first part");
    tokio::time::sleep(Duration::from_millis(50)).await;

    let started = Instant::now();
    server.shutdown.cancel();
    eventually(|| !server.ready.is_ready(), "readiness fails at once").await;
    assert!(started.elapsed() < Duration::from_millis(300), "readiness fails before the listener stops");

    tokio::time::timeout(Duration::from_secs(3), idle_conn)
        .await
        .expect("idle keep-alive connection closed")
        .expect("task");
    chunks.send(Bytes::copy_from_slice(second)).await.expect("rest of the body");
    drop(chunks);
    let (status, answer) = read(in_flight.await.expect("task").expect("in-flight request completes")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(allowed(&answer));
    tokio::time::timeout(Duration::from_secs(5), server.handle)
        .await
        .expect("server stops")
        .expect("task")
        .expect("ok");
    assert!(connect(server.addr, config).await.is_err(), "no new connections after shutdown");
}
