//! Connections bounded in time and number: silent TLS connections, HTTP/1.1 and HTTP/2, cannot
//! keep a valid AdmissionReview from its answer, and idle connections are closed at their
//! deadline. Loopback only; clients take source addresses across 127.0.0.0/8 to play several
//! peers.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::StatusCode;
use readygate::webhook::WORKLOADS_PATH;
use readygate::webhook::metrics::CloseLabels;
use rustls::ClientConfig;
use rustls::version::TLS13;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::client::TlsStream;

use crate::server::{allowed, body, go_state};
use crate::tls_support::{Pki, SecretDir, args, client, full, h1, h2, pki, post, read, start};

/// What the API server waits for an answer (the webhook configurations' `timeoutSeconds`).
const ANSWER_WITHIN: Duration = Duration::from_secs(5);
/// The silent connections of the flood test: the figure.
const SILENT: usize = 2048;
/// Of those, how many negotiate HTTP/2 and send its preface and SETTINGS, but no request.
const SILENT_H2: usize = 64;

/// A TLS connection to `addr` whose TCP source address is `source`.
async fn connect_from(
    addr: SocketAddr,
    source: IpAddr,
    config: Arc<ClientConfig>,
) -> std::io::Result<TlsStream<TcpStream>> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    let tcp = socket.connect(addr).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    tokio_rustls::TlsConnector::from(config).connect(name, tcp).await
}

/// Both ends of every connection live in this process: raises the soft open-file limit to what
/// that needs (within the hard limit), as many machines start at 1,024. Fails clearly otherwise.
fn ensure_open_files(needed: u64) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_none_or(|current| current >= needed) {
        return;
    }
    let raised = limit.maximum.map_or(needed, |maximum| maximum.min(needed));
    setrlimit(Resource::Nofile, Rlimit { current: Some(raised), maximum: limit.maximum })
        .expect("raising RLIMIT_NOFILE");
    assert!(raised >= needed, "this test needs {needed} open files; the hard limit is {:?}", limit.maximum);
}

fn loopback(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

/// Opens `count` TLS connections from `sources` in turn, 32 handshakes at a time, and keeps them
/// silent: HTTP/1.1 ones send nothing after the handshake, HTTP/2 ones their preface only.
async fn open_silent(
    addr: SocketAddr,
    pki: &Pki,
    sources: &[IpAddr],
    count: usize,
    h2_count: usize,
) -> (Vec<TlsStream<TcpStream>>, Vec<hyper::client::conn::http2::SendRequest<crate::tls_support::Body>>) {
    let h1_config = client(&[pki], &[&TLS13], &[b"http/1.1"]);
    let h2_config = client(&[pki], &[&TLS13], &[b"h2"]);
    let opening = Arc::new(tokio::sync::Semaphore::new(32));
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let source = sources[i % sources.len()];
            let config = if i < h2_count { h2_config.clone() } else { h1_config.clone() };
            let opening = opening.clone();
            tokio::spawn(async move {
                let _permit = opening.acquire().await.expect("semaphore");
                connect_from(addr, source, config).await
            })
        })
        .collect();
    let mut silent_h1 = Vec::new();
    let mut silent_h2 = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        let tls = task.await.expect("task").unwrap_or_else(|e| panic!("silent connection {i} failed: {e}"));
        if i < h2_count {
            // The HTTP/2 handshake: preface and SETTINGS exchanged, no stream opened.
            let (sender, _connection) = h2(tls).await;
            silent_h2.push(sender);
        } else {
            silent_h1.push(tls);
        }
    }
    (silent_h1, silent_h2)
}

/// 2,048 silent TLS connections (64 of them HTTP/2) at the default connection caps, half from
/// the API server's own address: a valid AdmissionReview from that address is answered within
/// the API server's timeout. The first-request deadline is set far out here, so what gets the
/// request through is eviction at the caps, not a timer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_request_is_answered_while_2048_silent_tls_connections_are_open() {
    // Client and server side of each connection, plus what the rest of the harness holds.
    ensure_open_files(2 * SILENT as u64 + 512);
    let a = pki("ca-a");
    let secret = SecretDir::new(&a);
    let mut flood = args(&secret);
    assert_eq!((flood.webhook_max_connections, flood.webhook_max_connections_per_peer), (2048, 1024), "defaults");
    flood.webhook_header_timeout = "120s".parse().expect("duration");
    flood.webhook_idle_timeout = "120s".parse().expect("duration");
    let server = start(flood, go_state()).await;

    let apiserver = loopback(1);
    // Half from the API server's address (its per-peer cap), half from seven other peers.
    let mut sources = vec![apiserver; 7];
    sources.extend((2..=8).map(loopback));
    let opened = Instant::now();
    let (silent_h1, silent_h2) = open_silent(server.addr, &a, &sources, SILENT, SILENT_H2).await;
    let opening = opened.elapsed();
    assert_eq!(silent_h1.len() + silent_h2.len(), SILENT);

    let started = Instant::now();
    let answer = tokio::time::timeout(ANSWER_WITHIN, async {
        let tls = connect_from(server.addr, apiserver, client(&[&a], &[&TLS13], &[b"http/1.1"])).await?;
        let (mut sender, _connection) = h1(tls).await;
        let response = sender.send_request(post(WORKLOADS_PATH, full(body()))).await.map_err(std::io::Error::other)?;
        Ok::<_, std::io::Error>(read(response).await)
    })
    .await;
    let latency = started.elapsed();
    let (status, review) = answer
        .unwrap_or_else(|_| panic!("no answer within {ANSWER_WITHIN:?} with {SILENT} silent connections open"))
        .expect("the request is answered");
    assert_eq!(status, StatusCode::OK);
    assert!(allowed(&review));
    let evicted = server.metrics.connections_closed.get_or_create(&CloseLabels { reason: "evicted" }).get();
    assert!(evicted >= 1, "room was made by closing a silent connection");
    println!(
        "{SILENT} silent connections ({SILENT_H2} HTTP/2) opened in {opening:?}; valid request answered in {latency:?}; \
         {evicted} connections evicted"
    );
    drop((silent_h1, silent_h2));
    server.shutdown.cancel();
}

/// Connections that send nothing after the handshake, or nothing after a request, are closed at
/// their deadline: HTTP/1.1 and HTTP/2 alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_are_closed_at_the_first_request_deadline() {
    let a = pki("ca-a");
    let secret = SecretDir::new(&a);
    let mut quick = args(&secret);
    quick.webhook_header_timeout = "300ms".parse().expect("duration");
    let server = start(quick, go_state()).await;
    let within = Duration::from_secs(5);

    // HTTP/1.1, silent after the handshake (hyper's own header timer never starts: nothing came).
    let started = Instant::now();
    let config = client(&[&a], &[&TLS13], &[b"http/1.1"]);
    let mut silent = crate::tls_support::connect(server.addr, config).await.expect("connects");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(within, silent.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "a silent HTTP/1.1 connection is closed");
    assert_between(started.elapsed(), Duration::from_millis(250), "silent HTTP/1.1");

    // HTTP/2, preface and SETTINGS but no stream: closed too (GOAWAY), pings notwithstanding.
    let started = Instant::now();
    let config = client(&[&a], &[&TLS13], &[b"h2"]);
    let (_sender, connection) = h2(crate::tls_support::connect(server.addr, config).await.expect("connects")).await;
    tokio::time::timeout(within, connection).await.expect("a silent HTTP/2 connection is closed").expect("task");
    assert_between(started.elapsed(), Duration::from_millis(250), "silent HTTP/2");

    let closed = server.metrics.connections_closed.get_or_create(&CloseLabels { reason: "no_request" }).get();
    assert_eq!(closed, 2, "both silent connections");
    server.shutdown.cancel();
}

/// Keep-alive connections idle after a request are closed after the idle timeout. (For HTTP/1.1,
/// hyper's header timer also runs while it waits for the next request, so there the shorter of
/// the two applies; this test sets the idle timeout below the header timeout to see it work.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_connections_are_closed_after_the_idle_timeout() {
    let a = pki("ca-a");
    let secret = SecretDir::new(&a);
    let mut quick = args(&secret);
    quick.webhook_header_timeout = "3s".parse().expect("duration");
    quick.webhook_idle_timeout = "400ms".parse().expect("duration");
    let server = start(quick, go_state()).await;
    let within = Duration::from_secs(5);

    let config = client(&[&a], &[&TLS13], &[b"http/1.1"]);
    let (mut sender, connection) = h1(crate::tls_support::connect(server.addr, config).await.expect("connects")).await;
    let (status, _) = read(sender.send_request(post(WORKLOADS_PATH, full(body()))).await.expect("response")).await;
    assert_eq!(status, StatusCode::OK);
    let answered = Instant::now();
    tokio::time::timeout(within, connection).await.expect("an idle keep-alive connection is closed").expect("task");
    assert_between(answered.elapsed(), Duration::from_millis(350), "idle HTTP/1.1 keep-alive");

    // HTTP/2 after two requests: closed although its pings would keep it alive.
    let config = client(&[&a], &[&TLS13], &[b"h2"]);
    let (mut sender, connection) = h2(crate::tls_support::connect(server.addr, config).await.expect("connects")).await;
    for _ in 0..2 {
        let (status, _) = read(sender.send_request(post(WORKLOADS_PATH, full(body()))).await.expect("response")).await;
        assert_eq!(status, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let answered = Instant::now() - Duration::from_millis(200);
    tokio::time::timeout(within, connection).await.expect("an idle HTTP/2 connection is closed").expect("task");
    assert_between(answered.elapsed(), Duration::from_millis(350), "idle HTTP/2");

    let closed = server.metrics.connections_closed.get_or_create(&CloseLabels { reason: "idle" }).get();
    assert_eq!(closed, 2, "both keep-alive connections, by the idle timer");
    server.shutdown.cancel();
}

/// A busy connection is not an idle one: a request whose body is still arriving keeps its
/// connection past the idle deadlines (the request timeout bounds it instead).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_with_a_request_in_flight_outlives_the_idle_deadline() {
    let a = pki("ca-a");
    let secret = SecretDir::new(&a);
    let mut quick = args(&secret);
    quick.webhook_header_timeout = "300ms".parse().expect("duration");
    quick.webhook_idle_timeout = "300ms".parse().expect("duration");
    let server = start(quick, go_state()).await;
    let config = client(&[&a], &[&TLS13], &[b"http/1.1"]);
    let (mut sender, _connection) = h1(crate::tls_support::connect(server.addr, config).await.expect("connects")).await;
    let (chunks, streamed) = crate::tls_support::streamed();
    let text = body();
    let (first, second) = text.as_bytes().split_at(100);
    let in_flight = tokio::spawn(sender.send_request(post(WORKLOADS_PATH, streamed)));
    chunks.send(bytes::Bytes::copy_from_slice(first)).await.expect("first part");
    tokio::time::sleep(Duration::from_secs(1)).await;
    chunks.send(bytes::Bytes::copy_from_slice(second)).await.expect("rest of the body");
    drop(chunks);
    let (status, review) = read(in_flight.await.expect("task").expect("answered")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(allowed(&review));
    server.shutdown.cancel();
}

/// Closed no sooner than `at_least` (the deadline, less timer slack), and well before the 5 s the
/// caller waited.
fn assert_between(elapsed: Duration, at_least: Duration, what: &str) {
    assert!(elapsed >= at_least, "{what}: closed after {elapsed:?}, before its deadline");
    assert!(elapsed < Duration::from_secs(3), "{what}: closed only after {elapsed:?}");
}
