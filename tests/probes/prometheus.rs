//! The `prometheus` check against Debian's real Prometheus server scraping a NovaCron-like
//! exporter: values meeting or missing the expectation, empty results, PromQL errors as the
//! server words them, and servers that refuse or never answer.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use readygate::api::{Decision, ItemState};
use readygate::probes::http::HttpProber;
use serde_json::{Value, json};

use crate::prometheus_server::PrometheusServer;
use crate::server::{self, respond};
use crate::support::{assert_item, checklist, evaluate_live};

/// Error ratios per service, as the NovaCron exporter reports them; `billing` is over budget.
fn exporter(_: &Request<Incoming>) -> Response<Full<Bytes>> {
    let body = "# HELP novacron_error_ratio Share of requests answered with a 5xx.\n\
                # TYPE novacron_error_ratio gauge\n\
                novacron_error_ratio{service=\"api\"} 0.004\n\
                novacron_error_ratio{service=\"billing\"} 0.07\n";
    respond(200, &[("content-type", "text/plain; version=0.0.4")], body)
}

fn item(name: &str, url: &str, query: &str, expect: Value, extra: Value) -> Value {
    let mut check = json!({"url": url, "query": query, "expect": expect});
    if let (Some(check), Some(extra)) = (check.as_object_mut(), extra.as_object()) {
        check.extend(extra.clone());
    }
    json!({"name": name, "check": {"prometheus": check}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_server_is_judged_series_by_series() {
    let exporter = server::plain(exporter).await;
    let prometheus = PrometheusServer::start(exporter.base.trim_start_matches("http://")).await;
    let url = prometheus.url.as_str();
    let ratio = r#"novacron_error_ratio{service="api"}"#;
    let retired = r#"novacron_error_ratio{service="retired"}"#;
    let list = checklist(vec![
        item("api-errors-below-one-percent", url, ratio, json!({"lessThan": 0.01}), json!({})),
        item("every-service-below-one-percent", url, "novacron_error_ratio", json!({"lessThan": 0.01}), json!({})),
        item("prometheus-scrapes-itself", url, r#"up{job="prometheus"}"#, json!({"equals": 1}), json!({})),
        item("two-services-report", url, "scalar(count(novacron_error_ratio))", json!({"equals": 2}), json!({})),
        item("retired-may-be-silent", url, retired, json!({"lessThan": 0.01}), json!({"emptyIs": "Pass"})),
        item("retired-must-report", url, retired, json!({"lessThan": 0.01}), json!({})),
        item("ratio-without-traffic", url, "vector(0) / vector(0)", json!({"lessThan": 0.01}), json!({})),
        item("unbalanced-parenthesis", url, "sum(rate(novacron_error_ratio[5m])", json!({"lessThan": 1}), json!({})),
        item("range-vector", url, "novacron_error_ratio[1m]", json!({"lessThan": 1}), json!({})),
    ]);

    let evaluation = evaluate_live(HttpProber::new().expect("prober"), &list).await;

    let target = format!("query {ratio:?} at {url}");
    assert_item(&evaluation, "api-errors-below-one-percent", ItemState::Passed, &[&target, "= 0.004 (< 0.01)"]);
    assert_item(
        &evaluation,
        "every-service-below-one-percent",
        ItemState::Failed,
        &[r#"service="billing""#, "= 0.07, expected < 0.01"],
    );
    let offending = &crate::support::item(&evaluation, "every-service-below-one-percent").message;
    assert!(!offending.contains(r#"service="api""#), "only the offender is named: {offending}");
    assert_item(&evaluation, "prometheus-scrapes-itself", ItemState::Passed, &["= 1 (== 1)"]);
    assert_item(&evaluation, "two-services-report", ItemState::Passed, &["= 2 (== 2)"]);
    assert_item(&evaluation, "retired-may-be-silent", ItemState::Passed, &["returned no data (emptyIs: Pass)"]);
    assert_item(&evaluation, "retired-must-report", ItemState::Failed, &["query returned no data"]);
    assert_item(&evaluation, "ratio-without-traffic", ItemState::Failed, &["= NaN, expected < 0.01"]);
    assert_item(
        &evaluation,
        "unbalanced-parenthesis",
        ItemState::Error,
        &["HTTP 400", "bad_data", "parse error", "unclosed left parenthesis"],
    );
    assert_item(&evaluation, "range-vector", ItemState::Error, &["range vector"]);
    assert_eq!(evaluation.decision, Decision::NoGo);
    assert_eq!(
        evaluation.blocking,
        [
            "every-service-below-one-percent",
            "range-vector",
            "ratio-without-traffic",
            "retired-must-report",
            "unbalanced-parenthesis"
        ]
    );
}

#[tokio::test]
async fn an_unreachable_prometheus_is_an_error_with_the_cause() {
    let url = format!("http://{}", server::closed_port().await);
    let list = checklist(vec![item("errors", &url, "up", json!({"lessThan": 1}), json!({"timeout": "5s"}))]);
    let evaluation = evaluate_live(HttpProber::new().expect("prober"), &list).await;
    assert_item(&evaluation, "errors", ItemState::Error, &[&format!("query \"up\" at {url}: "), "refused"]);
    // An item that could not be judged leaves the decision open rather than failing it.
    assert_eq!(evaluation.decision, Decision::Unknown);
}

#[tokio::test]
async fn a_prometheus_that_never_answers_is_an_error_once_the_timeout_passes() {
    let (_listener, address) = server::silent().await;
    let url = format!("http://{address}");
    let list = checklist(vec![item("errors", &url, "up", json!({"lessThan": 1}), json!({"timeout": "500ms"}))]);
    let started = Instant::now();
    let evaluation = evaluate_live(HttpProber::new().expect("prober"), &list).await;
    let took = started.elapsed();
    assert_item(&evaluation, "errors", ItemState::Error, &["no answer within 500ms"]);
    assert!(took >= Duration::from_millis(500) && took < Duration::from_secs(3), "took {took:?}");
}
