//! Negotiation by `Accept`, and what the 0.0.4 encoding keeps and drops compared with OpenMetrics.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Unit;

use super::*;
use crate::api::{Decision, ItemState};
use crate::checks::fixtures::{assert_contains, assert_ends_with};
use crate::metrics::{Metrics, registry};
use crate::webhook::WebhookMetrics;

/// What Prometheus 2.5x and 3.x send by default.
const PROMETHEUS_SCRAPE: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;\
     q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

fn negotiate(accept: &str) -> Format {
    Format::negotiate(Some(accept))
}

#[test]
fn a_scraper_without_accept_gets_prometheus_text() {
    assert_eq!(Format::negotiate(None), Format::Prometheus);
    assert_eq!(negotiate(""), Format::Prometheus);
    assert_eq!(negotiate("*/*"), Format::Prometheus);
}

#[test]
fn prometheus_asking_for_openmetrics_first_gets_it() {
    assert_eq!(negotiate(PROMETHEUS_SCRAPE), Format::OpenMetrics);
    // Prometheus 2.x before 2.43 knew only the 0.0.1 draft.
    assert_eq!(
        negotiate("application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
        Format::OpenMetrics
    );
    assert_eq!(negotiate("application/openmetrics-text"), Format::OpenMetrics);
}

#[test]
fn a_higher_weight_wins_over_the_order_listed() {
    assert_eq!(negotiate("application/openmetrics-text;q=0.3, text/plain;version=0.0.4"), Format::Prometheus);
    assert_eq!(negotiate("text/plain;q=0.2, application/openmetrics-text;version=1.0.0;q=0.9"), Format::OpenMetrics);
}

#[test]
fn equal_weights_keep_the_clients_order() {
    assert_eq!(negotiate("text/plain;version=0.0.4, application/openmetrics-text"), Format::Prometheus);
    assert_eq!(negotiate("application/openmetrics-text, text/plain;version=0.0.4"), Format::OpenMetrics);
}

#[test]
fn refused_and_unreadable_weights_never_select_openmetrics() {
    assert_eq!(negotiate("application/openmetrics-text;q=0"), Format::Prometheus);
    assert_eq!(negotiate("application/openmetrics-text;q=0.0, text/plain;q=0.1"), Format::Prometheus);
    assert_eq!(negotiate("application/openmetrics-text;q=high"), Format::Prometheus);
    assert_eq!(negotiate("application/openmetrics-text;q=2"), Format::Prometheus);
}

#[test]
fn unsupported_versions_and_protobuf_fall_through_to_the_next_range() {
    assert_eq!(negotiate("application/openmetrics-text;version=2.0.0"), Format::Prometheus);
    assert_eq!(
        negotiate(
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;q=0.9"
        ),
        Format::OpenMetrics
    );
    assert_eq!(negotiate("text/plain;version=1.0.0, application/openmetrics-text;q=0.5"), Format::OpenMetrics);
}

#[test]
fn media_types_and_parameters_are_read_case_insensitively_and_unquoted() {
    assert_eq!(negotiate(r#" Application/OpenMetrics-Text ; Version="1.0.0" ; Q=1"#), Format::OpenMetrics);
    assert_eq!(negotiate(",,;,application/openmetrics-text"), Format::OpenMetrics);
}

#[test]
fn each_format_names_its_content_type() {
    assert_eq!(Format::Prometheus.content_type(), "text/plain; version=0.0.4; charset=utf-8");
    assert_eq!(Format::OpenMetrics.content_type(), "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

/// The process registry with every family holding a sample.
fn populated() -> Registry {
    let mut registry = registry();
    let metrics = Metrics::new(&mut registry);
    let webhook = WebhookMetrics::register(&mut registry);
    metrics.record_items("shop", "gate", [("autoscaling", ItemState::Failed)]);
    metrics.record_decision("shop", "gate", Decision::NoGo);
    metrics.observe_evaluation(0.003);
    metrics.status_write("applied");
    metrics.event("DecisionChanged");
    metrics.reconcile_error("kube");
    metrics.watch_restarted("Deployment.apps");
    metrics.watch_error("Certificate.cert-manager.io", "unavailable");
    metrics.set_leader(true);
    webhook.record_request("/validate/workloads", false, "nogo", 0.0004);
    webhook.record_override("shop");
    webhook.record_tls_reload(true);
    registry
}

/// The family a 0.0.4 sample belongs to, given the declared families and their types.
fn family_of<'a>(sample: &str, types: &'a [(String, String)]) -> Option<&'a (String, String)> {
    types.iter().find(|(name, kind)| {
        sample == name
            || (kind == "histogram"
                && ["_bucket", "_sum", "_count"].iter().any(|suffix| sample.strip_suffix(suffix) == Some(name)))
    })
}

#[test]
fn prometheus_text_declares_every_sample_under_its_own_name() {
    let text = encode(&populated(), Format::Prometheus);
    let mut helps: Vec<String> = Vec::new();
    let mut types: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            helps.push(rest.split_whitespace().next().expect("name").to_owned());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut fields = rest.split_whitespace();
            let name = fields.next().expect("name").to_owned();
            let kind = fields.next().expect("type").to_owned();
            assert!(["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind.as_str()), "{line}");
            assert_eq!(helps.last(), Some(&name), "HELP precedes TYPE for {name}");
            assert!(types.iter().all(|(n, _)| n != &name), "{name} declared twice");
            types.push((name, kind));
        } else {
            assert!(!line.starts_with('#'), "only HELP and TYPE comments in 0.0.4: {line}");
            let sample = line.split(['{', ' ']).next().expect("sample name");
            let family = family_of(sample, &types).unwrap_or_else(|| panic!("{sample} has no TYPE line:\n{text}"));
            assert_eq!(&types[types.len() - 1], family, "{sample} follows its own family's TYPE line");
        }
    }
    assert!(types.len() >= 13, "every family is exposed:\n{text}");
}

#[test]
fn prometheus_text_names_counter_families_with_total_and_has_no_eof() {
    let text = encode(&populated(), Format::Prometheus);
    assert_contains(&text, "# HELP readygate_status_writes_total Status patches, by result.\n");
    assert_contains(&text, "# TYPE readygate_status_writes_total counter\n");
    assert_contains(&text, "readygate_status_writes_total{result=\"applied\"} 1\n");
    assert_contains(
        &text,
        "readygate_admission_requests_total{path=\"/validate/workloads\",verdict=\"denied\",reason=\"nogo\"} 1\n",
    );
    assert_contains(&text, "# TYPE readygate_admission_duration_seconds histogram\n");
    assert_contains(&text, "readygate_admission_duration_seconds_bucket{path=\"/validate/workloads\",le=\"+Inf\"} 1");
    assert!(!text.contains("# EOF"), "{text}");
    assert!(!text.contains("_created"), "{text}");
}

#[test]
fn openmetrics_keeps_counter_families_without_total_and_ends_with_eof() {
    let text = encode(&populated(), Format::OpenMetrics);
    assert_contains(&text, "# TYPE readygate_status_writes counter\n");
    assert_contains(&text, "readygate_status_writes_total{result=\"applied\"} 1\n");
    assert_ends_with(&text, "# EOF\n");
}

#[test]
fn units_and_info_metrics_become_plain_0_0_4_families() {
    let mut registry = registry();
    let busy: Counter = Counter::default();
    busy.inc();
    registry.register_with_unit("busy", "Time spent busy", Unit::Seconds, busy);
    registry.register("build", "Build information", Info::new(vec![("version", "0.1.0")]));

    let text = encode(&registry, Format::Prometheus);
    assert!(!text.contains("# UNIT"), "{text}");
    assert_contains(&text, "# TYPE readygate_busy_seconds_total counter\nreadygate_busy_seconds_total 1\n");
    assert_contains(&text, "# TYPE readygate_build_info gauge\nreadygate_build_info{version=\"0.1.0\"} 1\n");

    let openmetrics = encode(&registry, Format::OpenMetrics);
    assert_contains(&openmetrics, "# UNIT readygate_busy_seconds seconds\n");
    assert_contains(&openmetrics, "# TYPE readygate_build info\n");
}

#[test]
fn help_text_is_escaped_for_0_0_4() {
    let mut registry = registry();
    registry.register("odd", "First line\nsecond \\ line", Counter::<u64>::default());
    let text = encode(&registry, Format::Prometheus);
    assert_contains(&text, "# HELP readygate_odd_total First line\\nsecond \\\\ line.\n");
}
