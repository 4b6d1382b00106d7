//! End to end: `readygate run` against the API double, its webhook called over TLS as the API
//! server calls it. A Deployment is denied while its checklist is NoGo, allowed once the
//! controller has written Go, and denied again when the controller can no longer refresh the
//! evaluation; readiness follows the caches and SIGTERM drains to exit 0. A checklist whose
//! evaluation never finishes starves neither the webhook, nor `/healthz`, nor shutdown.

#[path = "e2e_gate/gate.rs"]
mod gate;
#[path = "e2e_gate/pki.rs"]
mod pki;
mod replica;
#[path = "e2e_gate/runaway.rs"]
mod runaway;
mod support;

use std::time::{Duration, Instant};

use gate::{CHECKLIST, MAX_STALENESS, NAMESPACE, Webhook};
use pki::{Ca, CertDir};
use replica::{Replica, checklist_status, create_checklist, decision, eventually, seed_hpa, status_writes};
use serde_json::{Value, json};

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

/// The child process of the runaway tests (see `e2e_gate/runaway.rs`); run by the harness
/// itself, it checks that the stand-in evaluation really runs away.
#[test]
fn runaway_child_process() {
    runaway::run_if_child();
    runaway::check_the_stand_in();
}

/// Longest an admission or `/healthz` may take while an evaluation runs away: both answer in
/// milliseconds; this leaves room for a loaded machine, and is far below the API server's
/// timeout (and below the 10 s kubelet probe period).
const PROMPT: Duration = Duration::from_secs(2);
/// `--shutdown-timeout` in these tests; the pod's grace period plays this role in a cluster.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// A checklist in `shop` with no gate and one item; what it holds does not matter to the
/// runaway stand-in.
fn ungated_checklist(name: &str, item: Value) -> Value {
    json!({
        "apiVersion": "readygate.io/v1alpha1", "kind": "ReadinessChecklist",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"reevaluateEvery": "2s", "items": [item]}
    })
}

fn condition(double: &support::ApiServerDouble, name: &str, type_: &str) -> Option<(String, String, String)> {
    let status = checklist_status(double, NAMESPACE, name)?;
    let found = status["conditions"].as_array()?.iter().find(|c| c["type"] == type_)?.clone();
    let field = |f: &str| found[f].as_str().unwrap_or_default().to_owned();
    Some((field("status"), field("reason"), field("message")))
}

/// Admits a Deployment of the gated (Go) `shop` `rounds` times and GETs `/healthz` as often;
/// every answer must come within [`PROMPT`]. Returns the slowest of each.
async fn serving_stays_prompt(webhook: &Webhook<'_>, readygate: &Replica, rounds: usize) -> (Duration, Duration) {
    let review = gate::deployment_create("7d3f6c1e-0009", "alice", &["dev"], None);
    let (mut slowest_admission, mut slowest_health) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..rounds {
        let started = Instant::now();
        let response = webhook.admit(&review).await;
        let took = started.elapsed();
        assert_eq!(response["allowed"], true, "{response}");
        assert!(took < PROMPT, "an admission took {took:?} while an evaluation runs away; log:\n{}", readygate.log());
        slowest_admission = slowest_admission.max(took);

        let started = Instant::now();
        let health = tokio::time::timeout(PROMPT, readygate.get("/healthz")).await;
        let took = started.elapsed();
        assert!(matches!(health, Ok(Some((200, _)))), "/healthz did not answer within {PROMPT:?}: {health:?}");
        slowest_health = slowest_health.max(took);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (slowest_admission, slowest_health)
}

/// SIGTERM ends the process with 0 well within the shutdown deadline although an evaluation
/// still runs. Returns how long it took.
async fn terminates_promptly(readygate: Replica) -> Duration {
    let started = Instant::now();
    let exit = readygate.terminate().await;
    let took = started.elapsed();
    assert!(exit.success(), "SIGTERM drains and exits 0 while an evaluation runs away: {exit}");
    assert!(took < SHUTDOWN_TIMEOUT, "exit took {took:?}, the shutdown deadline is {SHUTDOWN_TIMEOUT:?}");
    took
}

/// Through the seam: checklists `runaway-a` and `runaway-b` never finish evaluating (they spin,
/// ignoring their deadline), as two abusive checklists did when they pinned both runtime workers
/// of a 2-core node. Their status says so (Unknown, Evaluated False DeadlineExceeded, a Warning
/// Event); each holds one evaluation thread and never more however often it is retried; the
/// gated checklist is still evaluated on the third thread; the webhook and `/healthz` answer
/// promptly; SIGTERM ends the process within its deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runaway_evaluation_starves_neither_serving_nor_shutdown() {
    let double = replica::double(false).await;
    gate::seed_gated_shop(&double, 3).await;
    let manual = json!({"name": "x", "severity": "Critical", "check": {"manual": {"approvers": {"users": ["a"]}}}});
    let runaways = ["runaway-a", "runaway-b"];
    for name in runaways {
        create_checklist(&double, ungated_checklist(name, manual.clone())).await;
    }
    let ca = Ca::new();
    let (cert, key) = ca.server_pair();
    let certs = CertDir::new(&cert, &key);
    let kubeconfig = double.write_kubeconfig();
    let extra = ["--evaluation-timeout=1s", "--evaluation-workers=3", "--shutdown-timeout=10s"];
    let (readygate, addr) = gate::start_with(kubeconfig.path(), &certs, &extra, runaway::child_command);
    readygate.wait_ready(READY).await;
    let webhook = Webhook { addr, tls: ca.client_config(), readygate: &readygate };

    for name in runaways {
        eventually(
            &double,
            &readygate,
            Duration::from_secs(15),
            "a runaway checklist is Unknown: DeadlineExceeded",
            |d| {
                decision(d, NAMESPACE, name).as_deref() == Some("Unknown")
                    && condition(d, name, "Evaluated").is_some_and(|(s, r, _)| s == "False" && r == "DeadlineExceeded")
            },
        )
        .await;
        let (_, _, message) = condition(&double, name, "Evaluated").expect("condition");
        assert!(message.contains("did not finish within 1s"), "{message}");
    }
    eventually(&double, &readygate, Duration::from_secs(15), "the gated checklist is still evaluated: Go", |d| {
        decision(d, NAMESPACE, CHECKLIST).as_deref() == Some("Go")
    })
    .await;

    let (admission, health) = serving_stays_prompt(&webhook, &readygate, 20).await;
    // Retries (1 s, 2 s, 4 s backoff) find the runaway still running: refused, not queued.
    let still_running = r#"readygate_evaluations_unfinished_total{reason="StillRunning"}"#;
    let deadline = Instant::now() + Duration::from_secs(15);
    while readygate.metric(still_running).await < 1.0 {
        assert!(Instant::now() < deadline, "no retry was refused as StillRunning; log:\n{}", readygate.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let busy = readygate.metric("readygate_evaluation_workers_busy").await;
    assert_eq!(busy, 2.0, "one thread held per runaway checklist, not more");
    let warning = double.request_log().iter().any(|r| {
        r.is(support::Verb::Create, "events") && r.body.as_ref().is_some_and(|b| b["reason"] == "DeadlineExceeded")
    });
    assert!(warning, "a DeadlineExceeded Event was published");
    let took = terminates_promptly(readygate).await;
    println!(
        "runaway evaluation: slowest admission {admission:?}, slowest /healthz {health:?}, SIGTERM to exit {took:?}"
    );
}

/// The same with a real abusive checklist: a CEL expression of 8e9 steps. Before the CEL budget
/// it runs away on its evaluation thread (Evaluated False, DeadlineExceeded); with the budget it
/// is cut short as an item Error. Either way the decision is Unknown, and serving and shutdown
/// are unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abusive_cel_checklist_starves_neither_serving_nor_shutdown() {
    let double = replica::double(false).await;
    gate::seed_gated_shop(&double, 3).await;
    double.seed(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": NAMESPACE},
                       "data": {"a": "b"}}),
    );
    let hog = json!({"name": "hog", "severity": "Critical", "check": {"resource": {"apiVersion": "v1", "kind": "ConfigMap",
        "all": "lists.range(2000).all(a, lists.range(2000).all(b, lists.range(2000).all(c, true)))"}}});
    create_checklist(&double, ungated_checklist("abusive", hog)).await;
    let ca = Ca::new();
    let (cert, key) = ca.server_pair();
    let certs = CertDir::new(&cert, &key);
    let kubeconfig = double.write_kubeconfig();
    let extra = ["--evaluation-timeout=2s", "--shutdown-timeout=10s"];
    let (readygate, addr) = gate::start(kubeconfig.path(), &certs, &extra);
    readygate.wait_ready(READY).await;
    let webhook = Webhook { addr, tls: ca.client_config(), readygate: &readygate };

    eventually(&double, &readygate, Duration::from_secs(20), "the abusive checklist is Unknown", |d| {
        decision(d, NAMESPACE, "abusive").as_deref() == Some("Unknown")
    })
    .await;
    let evaluated = condition(&double, "abusive", "Evaluated").expect("an Evaluated condition");
    eventually(&double, &readygate, Duration::from_secs(15), "the gated checklist is still evaluated: Go", |d| {
        decision(d, NAMESPACE, CHECKLIST).as_deref() == Some("Go")
    })
    .await;
    let (admission, health) = serving_stays_prompt(&webhook, &readygate, 20).await;
    let took = terminates_promptly(readygate).await;
    println!(
        "abusive CEL checklist (Evaluated {} {}): slowest admission {admission:?}, slowest /healthz {health:?}, \
         SIGTERM to exit {took:?}",
        evaluated.0, evaluated.1
    );
}
