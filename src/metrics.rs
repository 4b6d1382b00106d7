//! Prometheus metrics (prefix `readygate`): item states and decisions per checklist, evaluation
//! time, status writes, watch health and leadership. Label values are bounded: object names
//! appear only for checklists and their items, which the cluster's owners chose.

pub mod exposition;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

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

const STATES: [ItemState; 6] =
    [ItemState::Passed, ItemState::Failed, ItemState::Pending, ItemState::Error, ItemState::Skipped, ItemState::Waived];
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
        let metrics = Metrics {
            item_state: Family::default(),
            decision: Family::default(),
            evaluation_duration: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            status_writes: Family::default(),
            events: Family::default(),
            reconcile_errors: Family::default(),
            watch_restarts: Family::default(),
            watch_errors: Family::default(),
            leader: Gauge::default(),
            gate_wired: Family::default(),
            window_open: Family::default(),
            windows_set: Default::default(),
            waivers_expiring: Family::default(),
        };
        registry.register("item_state", "1 for the current state of each checklist item", metrics.item_state.clone());
        registry.register("decision", "1 for the current decision of each checklist", metrics.decision.clone());
        registry.register(
            "evaluation_duration_seconds",
            "Time to evaluate one checklist (checks and decision, without probes)",
            metrics.evaluation_duration.clone(),
        );
        registry.register("status_writes", "Status patches, by result", metrics.status_writes.clone());
        registry.register("events", "Kubernetes Events published, by reason", metrics.events.clone());
        registry.register("reconcile_errors", "Failed reconciles, by error kind", metrics.reconcile_errors.clone());
        registry.register("watch_restarts", "Watches that had to list again", metrics.watch_restarts.clone());
        registry.register("watch_errors", "Watch errors, by kind and reason", metrics.watch_errors.clone());
        registry.register("leader", "1 while this replica holds the leader lease", metrics.leader.clone());
        registry.register(
            "gate_wired",
            "Per gating checklist (Enforce or Warn): 1 when the workloads webhook receives its namespace, 0 when not",
            metrics.gate_wired.clone(),
        );
        registry.register(
            "gate_window_open",
            "1 while a gate's freeze or allowed window is open (kind Freeze or Allowed)",
            metrics.window_open.clone(),
        );
        registry.register(
            "waivers_expiring_soon",
            "Counted waivers of a checklist that expire within the controller's lead time",
            metrics.waivers_expiring.clone(),
        );
        metrics
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
            for other in STATES {
                let labels = ItemLabels {
                    namespace: namespace.to_owned(),
                    checklist: checklist.to_owned(),
                    item: item.to_owned(),
                    state: other.as_str().to_owned(),
                };
                if other == state {
                    self.item_state.get_or_create(&labels).set(1);
                } else {
                    self.item_state.remove(&labels);
                }
            }
        }
    }

    pub fn record_decision(&self, namespace: &str, checklist: &str, decision: Decision) {
        for other in DECISIONS {
            let labels = DecisionLabels {
                namespace: namespace.to_owned(),
                checklist: checklist.to_owned(),
                decision: other.as_str().to_owned(),
            };
            if other == decision {
                self.decision.get_or_create(&labels).set(1);
            } else {
                self.decision.remove(&labels);
            }
        }
    }

    /// Removes every series of a checklist that no longer exists (or whose items were renamed:
    /// `keep_items` lists the items to keep).
    pub fn forget_checklist(&self, namespace: &str, checklist: &str, keep_items: &[&str], items: &[String]) {
        for item in items.iter().filter(|i| !keep_items.contains(&i.as_str())) {
            for state in STATES {
                self.item_state.remove(&ItemLabels {
                    namespace: namespace.to_owned(),
                    checklist: checklist.to_owned(),
                    item: item.clone(),
                    state: state.as_str().to_owned(),
                });
            }
        }
        if keep_items.is_empty() {
            self.set_gate_wired(namespace, checklist, None);
            self.record_window(namespace, checklist, None);
            self.waivers_expiring
                .remove(&ChecklistLabels { namespace: namespace.to_owned(), checklist: checklist.to_owned() });
            for decision in DECISIONS {
                self.decision.remove(&DecisionLabels {
                    namespace: namespace.to_owned(),
                    checklist: checklist.to_owned(),
                    decision: decision.as_str().to_owned(),
                });
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
