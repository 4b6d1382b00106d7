//! End to end: `readygate run` against the API double, its webhook called over TLS as the API
//! server calls it. A Deployment is denied while its checklist is NoGo, allowed once the
//! controller has written Go, and denied again when the controller can no longer refresh the
//! evaluation; readiness follows the caches and SIGTERM drains to exit 0.

#[path = "e2e_gate/gate.rs"]
mod gate;
#[path = "e2e_gate/pki.rs"]
mod pki;
mod replica;
mod support;

use std::time::Duration;

use gate::{CHECKLIST, MAX_STALENESS, NAMESPACE, Webhook};
use pki::{Ca, CertDir};
use replica::{decision, eventually, seed_hpa, status_writes};

/// Startup on a loaded machine: the binary is built, but the caches list every kind once.
const READY: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_follows_the_live_checklist_from_nogo_to_go_to_stale() {
    let double = replica::double(false).await;
    gate::seed_gated_shop(&double, 2).await;
    let ca = Ca::new();
    let (cert, key) = ca.server_pair();
    let certs = CertDir::new(&cert, &key);
    let kubeconfig = double.write_kubeconfig();
    let (readygate, addr) = gate::start(kubeconfig.path(), &certs, &[]);
    readygate.wait_ready(READY).await;
    let webhook = Webhook { addr, tls: ca.client_config(), readygate: &readygate };
    let review = gate::deployment_create("7d3f6c1e-0001", "alice", &["dev"], None);

    eventually(&double, &readygate, Duration::from_secs(15), "the controller writes NoGo", |d| {
        decision(d, NAMESPACE, CHECKLIST).as_deref() == Some("NoGo")
    })
    .await;
    // The webhook reads the write from its watch cache, a moment later; until then it denies
    // as Unknown (not evaluated yet).
    let denied = webhook
        .admit_until(&review, Duration::from_secs(5), |r| {
            r["status"]["message"].as_str().is_some_and(|m| m.contains(" is NoGo"))
        })
        .await;
    assert_eq!(denied["uid"], "7d3f6c1e-0001", "{denied}");
    assert_eq!(denied["allowed"], false, "{denied}");
    assert_eq!(denied["status"]["code"], 403, "{denied}");
    let message = denied["status"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("deployment/web"), "names the workload: {message}");
    assert!(message.contains("readinesschecklist shop/shop-gate is NoGo"), "names the checklist: {message}");
    assert!(message.contains("blocking: autoscaling"), "lists the blocking item: {message}");

    seed_hpa(&double, 3);
    eventually(&double, &readygate, Duration::from_secs(10), "the controller writes Go", |d| {
        decision(d, NAMESPACE, CHECKLIST).as_deref() == Some("Go")
    })
    .await;
    let allowed = webhook.admit_until(&review, Duration::from_secs(5), |r| r["allowed"] == true).await;
    assert_eq!(allowed["uid"], "7d3f6c1e-0001");
    assert!(allowed["status"]["message"].as_str().unwrap_or_default().is_empty(), "{allowed}");

    // The controller keeps evaluating but can no longer write: the stored Go ages past maxStaleness.
    double.faults().fail_requests_matching(|r| r.is_status_write(), 500);
    let stale = webhook.admit_until(&review, MAX_STALENESS + Duration::from_secs(10), |r| r["allowed"] == false).await;
    let answered = jiff::Timestamp::now();
    let message = stale["status"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("readinesschecklist shop/shop-gate is Unknown"), "{message}");
    assert!(message.contains("maxStaleness 6s"), "the reason is staleness: {message}");
    assert_eq!(stale["status"]["code"], 403, "{stale}");

    let stored = gate::last_evaluation(&double).expect("the stored status has lastEvaluationTime");
    let age = answered.duration_since(stored);
    assert!(age >= jiff::SignedDuration::try_from(MAX_STALENESS).expect("fits"), "denied after only {age:?}");
    assert_eq!(decision(&double, NAMESPACE, CHECKLIST).as_deref(), Some("Go"), "stale, not NoGo");
    let refused = status_writes(&double.request_log()).into_iter().filter(|r| r.status == 500).count();
    assert!(refused >= 1, "the controller tried to refresh the status; log:\n{}", readygate.log());
    let denials = r#"readygate_admission_requests_total{path="/validate/workloads",verdict="denied",reason="unknown"}"#;
    assert!(readygate.metric(denials).await >= 1.0, "stale denials are counted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_waits_for_the_checklist_cache_and_sigterm_fails_it_before_a_clean_exit() {
    let double = replica::double(false).await;
    gate::seed_gated_shop(&double, 3).await;
    let ca = Ca::new();
    let (cert, key) = ca.server_pair();
    let certs = CertDir::new(&cert, &key);
    let kubeconfig = double.write_kubeconfig();
    // Checklists cannot be listed yet: everything else syncs, the checklist cache does not.
    double.faults().fail_path_containing("readinesschecklists", 500);
    let (readygate, _) = gate::start(kubeconfig.path(), &certs, &[]);

    let unready = wait_for_readyz(readygate.port, READY, |status| status != 0).await;
    assert_eq!(unready.0, 503, "not ready before the checklists are listed: {}", unready.1);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (status, pending) = wait_for_readyz(readygate.port, READY, |_| true).await;
    assert_eq!(status, 503, "{pending}");
    assert!(pending.contains("ReadinessChecklist.readygate.io"), "names what it waits for: {pending}");

    double.faults().clear_failures();
    readygate.wait_ready(READY).await;

    let port = readygate.port;
    let started = tokio::time::Instant::now();
    let (exit, draining) =
        tokio::join!(readygate.terminate(), wait_for_readyz(port, Duration::from_secs(15), |status| status != 200));
    assert!(exit.success(), "SIGTERM drains and exits 0: {exit}");
    assert!(started.elapsed() < Duration::from_secs(15), "exited within the drain deadline: {:?}", started.elapsed());
    assert_eq!(draining.0, 503, "readiness fails while the webhook drains: {}", draining.1);
    assert!(draining.1.contains("shutting-down"), "{}", draining.1);
}

/// Polls `/readyz` every 50 ms until `until(status)` holds (status 0: nothing answers);
/// returns the status and body then.
async fn wait_for_readyz(port: u16, within: Duration, until: impl Fn(u16) -> bool) -> (u16, String) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (status, body) = match gate::get(port, "/readyz", None).await {
            Some(answer) => (answer.status, answer.body),
            None => (0, String::new()),
        };
        if until(status) {
            return (status, body);
        }
        assert!(tokio::time::Instant::now() < deadline, "/readyz: last {status} {body:?} after {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
