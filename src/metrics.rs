//! Prometheus metrics (prefix `readygate`): item states and decisions per checklist, evaluation
//! time, status writes, watch health and leadership. Label values are bounded: object names
//! appear only for checklists and their items, which the cluster's owners chose.

pub mod exposition;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Metric, Registry};

use crate::api::{Decision, ItemState};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ItemLabels {
    pub namespace: String,
    pub checklist: String,
    pub item: String,
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    pub namespace: String,
    pub checklist: String,
    pub decision: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WindowLabels {
    pub namespace: String,
    pub checklist: String,
    pub window: String,
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChecklistLabels {
    pub namespace: String,
    pub checklist: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindReasonLabels {
    pub kind: String,
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: String,
}

const DECISIONS: [Decision; 3] = [Decision::Go, Decision::NoGo, Decision::Unknown];

/// The controller's metric families. Cheap to share behind an `Arc`.
#[derive(Clone, Debug)]
pub struct Metrics {
    item_state: Family<ItemLabels, Gauge>,
    decision: Family<DecisionLabels, Gauge>,
    evaluation_duration: Histogram,
    status_writes: Family<ResultLabels, Counter>,
    events: Family<ReasonLabels, Counter>,
    reconcile_errors: Family<ReasonLabels, Counter>,
    watch_restarts: Family<KindLabels, Counter>,
    watch_errors: Family<KindReasonLabels, Counter>,
    leader: Gauge,
    gate_wired: Family<ChecklistLabels, Gauge>,
    window_open: Family<WindowLabels, Gauge>,
    /// The window series set per checklist, to remove them when the window closes.
    windows_set: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<(String, String), WindowLabels>>>,
    waivers_expiring: Family<ChecklistLabels, Gauge>,
}

impl Metrics {
    /// Creates the families and registers them in `registry` (which should carry the
    /// `readygate` prefix: see [`registry`]).
    pub fn new(registry: &mut Registry) -> Self {
        Metrics {
            item_state: registry.registered("item_state", "1 for the current state of each checklist item"),
            decision: registry.registered("decision", "1 for the current decision of each checklist"),
            evaluation_duration: registry.registered_as(
                "evaluation_duration_seconds",
                "Time to evaluate one checklist (checks and decision, without probes)",
                Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            ),
            status_writes: registry.registered("status_writes", "Status patches, by result"),
            events: registry.registered("events", "Kubernetes Events published, by reason"),
            reconcile_errors: registry.registered("reconcile_errors", "Failed reconciles, by error kind"),
            watch_restarts: registry.registered("watch_restarts", "Watches that had to list again"),
            watch_errors: registry.registered("watch_errors", "Watch errors, by kind and reason"),
            leader: registry.registered("leader", "1 while this replica holds the leader lease"),
            gate_wired: registry.registered(
                "gate_wired",
                "Per gating checklist (Enforce or Warn): 1 when the workloads webhook receives its namespace, 0 when not",
            ),
            window_open: registry.registered(
                "gate_window_open",
                "1 while a gate's freeze or allowed window is open (kind Freeze or Allowed)",
            ),
            windows_set: Default::default(),
            waivers_expiring: registry.registered(
                "waivers_expiring_soon",
                "Counted waivers of a checklist that expire within the controller's lead time",
            ),
        }
    }

    /// Records the states of a checklist's items: 1 on the current state, the other states'
    /// series removed so each item has exactly one.
    pub fn record_items<'a>(
        &self,
        namespace: &str,
        checklist: &str,
        items: impl IntoIterator<Item = (&'a str, ItemState)>,
    ) {
        for (item, state) in items {
            set_only(&self.item_state, ItemState::ALL, state, |state| item_labels(namespace, checklist, item, state));
        }
    }

    /// Records a checklist's decision: 1 on it, the other decisions' series removed.
    pub fn record_decision(&self, namespace: &str, checklist: &str, decision: Decision) {
        set_only(&self.decision, DECISIONS, decision, |decision| decision_labels(namespace, checklist, decision));
    }

    /// Removes every series of a checklist that no longer exists (or whose items were renamed:
    /// `keep_items` lists the items to keep).
    pub fn forget_checklist(&self, namespace: &str, checklist: &str, keep_items: &[&str], items: &[String]) {
        for item in items.iter().filter(|i| !keep_items.contains(&i.as_str())) {
            for state in ItemState::ALL {
                self.item_state.remove(&item_labels(namespace, checklist, item, state));
            }
        }
        if keep_items.is_empty() {
            self.set_gate_wired(namespace, checklist, None);
            self.record_window(namespace, checklist, None);
            self.waivers_expiring
                .remove(&ChecklistLabels { namespace: namespace.to_owned(), checklist: checklist.to_owned() });
            for decision in DECISIONS {
                self.decision.remove(&decision_labels(namespace, checklist, decision));
            }
        }
    }

    /// The window open on a checklist's gate now (`None`: none): its series is 1, the series of
    /// a window that closed is removed, so the series starts and ends with the window.
    pub fn record_window(&self, namespace: &str, checklist: &str, open: Option<(&str, &str)>) {
        let key = (namespace.to_owned(), checklist.to_owned());
        let next = open.map(|(window, kind)| WindowLabels {
            namespace: namespace.to_owned(),
            checklist: checklist.to_owned(),
            window: window.to_owned(),
            kind: kind.to_owned(),
        });
        let mut set = self.windows_set.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(before) = set.get(&key)
            && Some(before) != next.as_ref()
        {
            self.window_open.remove(before);
        }
        match next {
            Some(labels) => {
                self.window_open.get_or_create(&labels).set(1);
                set.insert(key, labels);
            }
            None => {
                set.remove(&key);
            }
        }
    }

    pub fn record_expiring_waivers(&self, namespace: &str, checklist: &str, count: usize) {
        let labels = ChecklistLabels { namespace: namespace.to_owned(), checklist: checklist.to_owned() };
        self.waivers_expiring.get_or_create(&labels).set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    pub fn observe_evaluation(&self, seconds: f64) {
        self.evaluation_duration.observe(seconds);
    }

    pub fn status_write(&self, result: &str) {
        self.status_writes.get_or_create(&ResultLabels { result: result.to_owned() }).inc();
    }

    pub fn event(&self, reason: &str) {
        self.events.get_or_create(&ReasonLabels { reason: reason.to_owned() }).inc();
    }

    pub fn reconcile_error(&self, reason: &str) {
        self.reconcile_errors.get_or_create(&ReasonLabels { reason: reason.to_owned() }).inc();
    }

    pub fn watch_restarted(&self, kind: &str) {
        self.watch_restarts.get_or_create(&KindLabels { kind: kind.to_owned() }).inc();
    }

    pub fn watch_error(&self, kind: &str, reason: &str) {
        self.watch_errors.get_or_create(&KindReasonLabels { kind: kind.to_owned(), reason: reason.to_owned() }).inc();
    }

    /// Whether a gating checklist's namespace is wired to the workloads webhook; `None` removes
    /// the series (not gating, or wiring unknown).
    pub fn set_gate_wired(&self, namespace: &str, checklist: &str, wired: Option<bool>) {
        let labels = ChecklistLabels { namespace: namespace.to_owned(), checklist: checklist.to_owned() };
        match wired {
            Some(wired) => {
                self.gate_wired.get_or_create(&labels).set(i64::from(wired));
            }
            None => {
                self.gate_wired.remove(&labels);
            }
        }
    }

    pub fn set_leader(&self, leader: bool) {
        self.leader.set(i64::from(leader));
    }
}

fn item_labels(namespace: &str, checklist: &str, item: &str, state: ItemState) -> ItemLabels {
    ItemLabels {
        namespace: namespace.to_owned(),
        checklist: checklist.to_owned(),
        item: item.to_owned(),
        state: state.as_str().to_owned(),
    }
}

fn decision_labels(namespace: &str, checklist: &str, decision: Decision) -> DecisionLabels {
    DecisionLabels {
        namespace: namespace.to_owned(),
        checklist: checklist.to_owned(),
        decision: decision.as_str().to_owned(),
    }
}

/// Sets the series of `current` to 1 and removes those of the other `values`, so one series
/// stands for a state at a time (a query for `== 1` then never sees two).
fn set_only<L, V>(family: &Family<L, Gauge>, values: impl IntoIterator<Item = V>, current: V, labels: impl Fn(V) -> L)
where
    L: Clone + std::hash::Hash + Eq,
    V: PartialEq + Copy,
{
    for value in values {
        if value == current {
            family.get_or_create(&labels(value)).set(1);
        } else {
            family.remove(&labels(value));
        }
    }
}

/// Registration that hands the metric back, so a struct of families is built field by field
/// with each family's name and help beside its field, instead of created first and registered
/// after under a second mention of each field. The registry keeps a clone: clones of a metric
/// share its series.
pub trait Register {
    /// A default metric (`Family`, `Counter`, `Gauge`...), registered as `name`.
    fn registered<M: Metric + Clone + Default>(&mut self, name: &str, help: &str) -> M {
        self.registered_as(name, help, M::default())
    }

    /// `metric` (one that needs arguments, such as a histogram's buckets), registered as `name`.
    fn registered_as<M: Metric + Clone>(&mut self, name: &str, help: &str, metric: M) -> M;
}

impl Register for Registry {
    fn registered_as<M: Metric + Clone>(&mut self, name: &str, help: &str, metric: M) -> M {
        self.register(name, help, metric.clone());
        metric
    }
}

/// A registry with the `readygate` prefix, for [`Metrics::new`] and other components' metrics.
pub fn registry() -> Registry {
    Registry::with_prefix("readygate")
}

/// The registry in OpenMetrics text format (`/metrics` negotiates: see [`exposition`]).
pub fn encode(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, registry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_item_has_exactly_one_state_series() {
        let mut registry = registry();
        let metrics = Metrics::new(&mut registry);
        metrics.record_items("novacron", "v1", [("autoscaling", ItemState::Failed)]);
        metrics.record_items("novacron", "v1", [("autoscaling", ItemState::Passed)]);
        let text = encode(&registry);
        assert!(
            text.contains(
                r#"readygate_item_state{namespace="novacron",checklist="v1",item="autoscaling",state="Passed"} 1"#
            ),
            "{text}"
        );
        assert!(!text.contains(r#"state="Failed""#), "{text}");
    }

    #[test]
    fn forgetting_a_checklist_removes_its_series() {
        let mut registry = registry();
        let metrics = Metrics::new(&mut registry);
        metrics.record_items("n", "c", [("a", ItemState::Passed)]);
        metrics.record_decision("n", "c", Decision::Go);
        metrics.set_gate_wired("n", "c", Some(false));
        metrics.forget_checklist("n", "c", &[], &["a".to_owned()]);
        let text = encode(&registry);
        assert!(!text.contains(r#"checklist="c""#), "{text}");
    }

    #[test]
    fn counters_and_leader_are_exported_with_the_prefix() {
        let mut registry = registry();
        let metrics = Metrics::new(&mut registry);
        metrics.status_write("applied");
        metrics.watch_error("Deployment.apps", "list");
        metrics.set_leader(true);
        metrics.observe_evaluation(0.002);
        metrics.set_gate_wired("shop", "gate", Some(false));
        let text = encode(&registry);
        assert!(text.contains(r#"readygate_gate_wired{namespace="shop",checklist="gate"} 0"#), "{text}");
        assert!(text.contains(r#"readygate_status_writes_total{result="applied"} 1"#), "{text}");
        assert!(text.contains(r#"readygate_watch_errors_total{kind="Deployment.apps",reason="list"} 1"#), "{text}");
        assert!(text.contains("readygate_leader 1"), "{text}");
        assert!(text.contains("readygate_evaluation_duration_seconds_count 1"), "{text}");
    }
}
