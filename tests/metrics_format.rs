//! `/metrics` of a running `readygate run`, after an evaluation, admissions, an override, a
//! certificate rotation, a relist and a refused status write: the Prometheus text 0.0.4 answer passes
//! `promtool check metrics`, the OpenMetrics answer (on request) is complete, and every family
//! the operations docs and alerts rely on is there.

// Shared with tests/e2e_gate.rs, which uses all of it.
#[path = "e2e_gate/gate.rs"]
#[allow(dead_code)]
mod gate;
#[path = "e2e_gate/pki.rs"]
mod pki;
mod replica;
mod support;
#[path = "packaging/tools.rs"]
#[allow(dead_code)]
mod tools;

use std::time::Duration;

use gate::{Answer, CHECKLIST, NAMESPACE, OVERRIDE_GROUP, Webhook};
use pki::{Ca, CertDir};
use replica::{Replica, decision, eventually};

const READY: Duration = Duration::from_secs(20);
/// What Prometheus 2.5x and 3.x send when scraping.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
     version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// Families and their 0.0.4 types: item states, decisions, evaluation time, status writes,
/// watch health, leadership, admissions, overrides and certificate reloads.
const FAMILIES: [(&str, &str); 13] = [
    ("readygate_item_state", "gauge"),
    ("readygate_decision", "gauge"),
    ("readygate_evaluation_duration_seconds", "histogram"),
    ("readygate_status_writes_total", "counter"),
    ("readygate_events_total", "counter"),
    ("readygate_reconcile_errors_total", "counter"),
    ("readygate_watch_restarts_total", "counter"),
    ("readygate_watch_errors_total", "counter"),
    ("readygate_leader", "gauge"),
    ("readygate_admission_requests_total", "counter"),
    ("readygate_admission_duration_seconds", "histogram"),
    ("readygate_admission_overrides_total", "counter"),
    ("readygate_tls_reloads_total", "counter"),
];

/// Samples each scenario step must have produced.
const SAMPLES: [&str; 14] = [
    r#"readygate_item_state{namespace="shop",checklist="shop-gate",item="autoscaling",state="Failed"} 1"#,
    r#"readygate_decision{namespace="shop",checklist="shop-gate",decision="NoGo"} 1"#,
    "readygate_evaluation_duration_seconds_count ",
    r#"readygate_status_writes_total{result="applied"} "#,
    r#"readygate_status_writes_total{result="error"} "#,
    "readygate_reconcile_errors_total{reason=",
    r#"readygate_watch_errors_total{kind="Deployment.apps",reason="expired"} "#,
    r#"readygate_watch_restarts_total{kind="Deployment.apps"} "#,
    "readygate_leader 1",
    r#"readygate_admission_requests_total{path="/validate/workloads",verdict="denied",reason="nogo"} 1"#,
    r#"readygate_admission_requests_total{path="/validate/workloads",verdict="allowed",reason="override"} 1"#,
    r#"readygate_admission_duration_seconds_count{path="/validate/workloads"} "#,
    r#"readygate_admission_overrides_total{namespace="shop"} 1"#,
    r#"readygate_tls_reloads_total{result="success"} "#,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_pass_promtool_and_cover_every_family() {
    let promtool = tools::promtool_path();
    let double = replica::double(false).await;
    gate::seed_gated_shop(&double, 2).await;
    let ca = Ca::new();
    let (cert, key) = ca.server_pair();
    let mut certs = CertDir::new(&cert, &key);
    let kubeconfig = double.write_kubeconfig();
    let (readygate, addr) = gate::start(kubeconfig.path(), &certs, &[]);
    readygate.wait_ready(READY).await;
    eventually(&double, &readygate, Duration::from_secs(15), "the controller writes NoGo", |d| {
        decision(d, NAMESPACE, CHECKLIST).as_deref() == Some("NoGo")
    })
    .await;

    let webhook = Webhook { addr, tls: ca.client_config(), readygate: &readygate };
    // Once the webhook's cache has the NoGo (a moment after the API server has it).
    let nogo = gate::deployment_create("uid-denied", "alice", &["dev"], None);
    let denied = webhook
        .admit_until(&nogo, Duration::from_secs(5), |r| {
            r["status"]["message"].as_str().is_some_and(|m| m.contains(" is NoGo"))
        })
        .await;
    assert_eq!(denied["allowed"], false, "{denied}");
    let hotfix = gate::deployment_create("uid-override", "bob", &[OVERRIDE_GROUP], Some("hotfix INC-42"));
    let overridden = webhook.admit(&hotfix).await;
    assert_eq!(overridden["allowed"], true, "{overridden}");

    let (cert, key) = ca.server_pair();
    certs.rotate(&cert, &key);
    // A relist: the history the watches would resume from is gone.
    double.faults().compact();
    double.faults().drop_watches();
    // A failed reconcile: the next status refresh is refused.
    double.faults().fail_requests_matching(|r| r.is_status_write(), 500);
    until_sample(&readygate, r#"readygate_tls_reloads_total{result="success"} "#).await;
    until_sample(&readygate, r#"readygate_watch_restarts_total{kind="Deployment.apps"} "#).await;
    until_sample(&readygate, r#"readygate_status_writes_total{result="error"} "#).await;
    double.faults().clear_failures();

    let text = scrape(&readygate, None).await;
    assert_eq!(text.content_type, "text/plain; version=0.0.4; charset=utf-8");
    tools::run(&promtool, ["check", "metrics"], Some(text.body.as_str()));
    assert!(!text.body.contains("# EOF"), "{}", text.body);
    for (family, kind) in FAMILIES {
        assert!(
            text.body.contains(&format!("\n# TYPE {family} {kind}\n")),
            "{family} ({kind}) missing:\n{}",
            text.body
        );
    }
    for sample in SAMPLES {
        assert!(text.body.lines().any(|l| l.starts_with(sample)), "no sample `{sample}`:\n{}", text.body);
    }

    let openmetrics = scrape(&readygate, Some(PROMETHEUS_ACCEPT)).await;
    assert_eq!(openmetrics.content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assert!(openmetrics.body.ends_with("\n# EOF\n"), "{}", openmetrics.body);
    assert!(openmetrics.body.contains("\n# TYPE readygate_admission_requests counter\n"), "{}", openmetrics.body);
}

async fn scrape(readygate: &Replica, accept: Option<&str>) -> Answer {
    let answer = gate::get(readygate.port, "/metrics", accept).await.expect("the metrics port answers");
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer
}

/// Waits until a line of the 0.0.4 exposition starts with `sample`.
async fn until_sample(readygate: &Replica, sample: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let body = scrape(readygate, None).await.body;
        if body.lines().any(|l| l.starts_with(sample)) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "no `{sample}` within 15 s; log:\n{}", readygate.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
