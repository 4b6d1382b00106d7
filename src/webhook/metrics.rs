//! The webhook's Prometheus families, registered into the process registry (which adds the `readygate` prefix).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::metrics::Register;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub path: &'static str,
    pub verdict: &'static str,
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PathLabels {
    pub path: &'static str,
}

/// Overrides are counted per checklist namespace only: checklist and user names would make the
/// label set unbounded.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OverrideLabels {
    pub namespace: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CloseLabels {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabels {
    pub result: &'static str,
}

/// Cheap to clone: every family is shared.
#[derive(Clone, Debug)]
pub struct WebhookMetrics {
    pub requests: Family<RequestLabels, Counter>,
    pub duration: Family<PathLabels, Histogram>,
    pub overrides: Family<OverrideLabels, Counter>,
    pub tls_reloads: Family<ReloadLabels, Counter>,
    pub connections_closed: Family<CloseLabels, Counter>,
}

fn duration_histogram() -> Histogram {
    // 50 µs .. ~3 s: decisions take microseconds; the tail catches slow clients and the timeout.
    Histogram::new(exponential_buckets(0.000_05, 3.0, 11))
}

impl WebhookMetrics {
    /// Families not registered anywhere (tests, benchmarks): registered into a registry that
    /// is dropped, so they are built exactly as served ones are.
    pub fn unregistered() -> Self {
        Self::register(&mut Registry::default())
    }

    pub fn register(registry: &mut Registry) -> Self {
        WebhookMetrics {
            requests: registry.registered(
                "admission_requests",
                "Admission requests answered, by path, verdict (allowed/denied) and reason",
            ),
            duration: registry.registered_as(
                "admission_duration_seconds",
                "Time to answer an admission request, body read included",
                Family::new_with_constructor(duration_histogram),
            ),
            overrides: registry.registered(
                "admission_overrides",
                "Admissions allowed by the readygate.io/override annotation, by checklist namespace",
            ),
            tls_reloads: registry.registered("tls_reloads", "Webhook certificate reloads, by result (success/error)"),
            connections_closed: registry.registered(
                "webhook_connections_closed",
                "Webhook connections the server closed or refused, by reason (no_request, idle, evicted, refused)",
            ),
        }
    }

    pub fn record_request(&self, path: &'static str, allowed: bool, reason: &'static str, seconds: f64) {
        let verdict = if allowed { "allowed" } else { "denied" };
        self.requests.get_or_create(&RequestLabels { path, verdict, reason }).inc();
        self.duration.get_or_create(&PathLabels { path }).observe(seconds);
    }

    pub fn record_override(&self, namespace: &str) {
        self.overrides.get_or_create(&OverrideLabels { namespace: namespace.to_owned() }).inc();
    }

    pub fn record_connection_closed(&self, reason: &'static str) {
        self.connections_closed.get_or_create(&CloseLabels { reason }).inc();
    }

    pub fn record_tls_reload(&self, ok: bool) {
        self.tls_reloads.get_or_create(&ReloadLabels { result: if ok { "success" } else { "error" } }).inc();
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;

    use super::*;
    use crate::checks::fixtures::assert_contains;

    #[test]
    fn families_are_exposed_under_the_registry_prefix() {
        let mut registry = Registry::with_prefix("readygate");
        let metrics = WebhookMetrics::register(&mut registry);
        metrics.record_request("/validate/workloads", false, "nogo", 0.0002);
        metrics.record_override("shop");
        metrics.record_tls_reload(false);
        let mut text = String::new();
        encode(&mut text, &registry).expect("encodes");
        assert_contains(
            &text,
            r#"readygate_admission_requests_total{path="/validate/workloads",verdict="denied",reason="nogo"} 1"#,
        );
        assert_contains(&text, r#"readygate_admission_duration_seconds_count{path="/validate/workloads"} 1"#);
        assert_contains(&text, r#"readygate_admission_overrides_total{namespace="shop"} 1"#);
        assert_contains(&text, r#"readygate_tls_reloads_total{result="error"} 1"#);
    }
}
