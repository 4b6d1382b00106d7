//! Whether each gating checklist's namespace is wired to the workloads webhook, so that a gate
//! that cannot fire says so (condition `GateWired`, an Event once, metric `readygate_gate_wired`)
//! instead of silently admitting everything.
//!
//! The controller learns wiring from two watches of its own ([`watch`]): Namespaces as metadata
//! only (their labels), and the one ValidatingWebhookConfiguration named by
//! `--webhook-configuration` (its workloads webhook's namespaceSelector). They are separate from
//! the inventory's watches on purpose: this view needs labels by namespace name and must say
//! precisely which namespace's wiring changed, which the inventory's per-kind change
//! notifications do not; a metadata-only watch of Namespaces is cheap.

pub mod condition;
pub mod judge;
pub mod watch;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use futures::channel::mpsc;
use jiff::Timestamp;
use kube::runtime::reflector::ObjectRef;

pub use condition::{CONDITION_GATE_WIRED, GateWiring, event, gating_enforcement};
pub use judge::{Judgement, WORKLOADS_WEBHOOK, WorkloadsWebhook};

use crate::api::{ReadinessChecklist, ReadinessChecklistStatus};
use crate::metrics::Metrics;

/// The default `--webhook-configuration`: deploy/'s ValidatingWebhookConfiguration.
pub const DEFAULT_CONFIGURATION: &str = "readygate";

/// Whose wiring may have changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Namespace(String),
    Everywhere,
}

/// One watched source: not listed yet, failed before its first list, or listed.
#[derive(Clone, Debug, Default)]
enum Listing<T> {
    #[default]
    Pending,
    Failed(String),
    Listed(T),
}

#[derive(Default)]
struct State {
    /// Labels by namespace name.
    namespaces: Listing<HashMap<String, BTreeMap<String, String>>>,
    /// `None`: no such configuration, or it has no workloads webhook.
    webhook: Listing<Option<WorkloadsWebhook>>,
}

/// The wiring view, shared by its watch tasks (writers) and reconciles (readers).
pub struct Wiring {
    configuration: String,
    state: RwLock<State>,
    changes: mpsc::UnboundedSender<Scope>,
}

impl Wiring {
    /// A view of `configuration`'s workloads webhook, and the stream of scopes whose wiring may
    /// have changed (for the trigger mapper: [`affected`]).
    pub fn new(configuration: &str) -> (Arc<Wiring>, mpsc::UnboundedReceiver<Scope>) {
        let (changes, receiver) = mpsc::unbounded();
        let wiring = Wiring { configuration: configuration.to_owned(), state: RwLock::default(), changes };
        (Arc::new(wiring), receiver)
    }

    pub fn configuration(&self) -> &str {
        &self.configuration
    }

    /// How `namespace` is wired; `None` while the watches have not listed (or the namespace is
    /// not seen yet).
    pub fn judge(&self, namespace: &str) -> Option<Judgement> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let webhook = match &state.webhook {
            Listing::Pending => return None,
            Listing::Failed(reason) => return Some(Judgement::Unreadable { reason: reason.clone() }),
            Listing::Listed(webhook) => webhook.as_ref(),
        };
        let no_labels = BTreeMap::new();
        let labels = match (&state.namespaces, webhook) {
            // Without a webhook the labels do not matter.
            (_, None) => &no_labels,
            (Listing::Pending, _) => return None,
            (Listing::Failed(reason), _) => return Some(Judgement::Unreadable { reason: reason.clone() }),
            (Listing::Listed(namespaces), Some(_)) => namespaces.get(namespace)?,
        };
        Some(judge::judge(&self.configuration, webhook, namespace, labels))
    }

    /// Sets `GateWired` on `next` for `checklist` (see [`condition::apply`]) and records the
    /// `readygate_gate_wired` series.
    pub fn settle(
        &self,
        checklist: &ReadinessChecklist,
        next: &mut ReadinessChecklistStatus,
        previous: Option<&ReadinessChecklistStatus>,
        metrics: &Metrics,
        now: Timestamp,
    ) {
        let namespace = checklist.metadata.namespace.as_deref().unwrap_or_default();
        let name = checklist.metadata.name.as_deref().unwrap_or_default();
        let Some(enforcement) = gating_enforcement(checklist) else {
            condition::apply(next, previous, GateWiring::NotGated, None, now);
            metrics.set_gate_wired(namespace, name, None);
            return;
        };
        let judgement = self.judge(namespace);
        let wiring = match &judgement {
            None => GateWiring::Pending,
            Some(j) => GateWiring::Judged(condition::describe(j, &self.configuration, namespace, enforcement)),
        };
        condition::apply(next, previous, wiring, checklist.metadata.generation, now);
        if let Some(judgement) = &judgement {
            metrics.set_gate_wired(namespace, name, condition::metric_value(judgement));
        }
    }

    fn notify(&self, scope: Scope) {
        // The receiver lives as long as the controller; a closed channel means shutdown.
        let _ = self.changes.unbounded_send(scope);
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The gating checklists whose wiring `scope` may have changed.
pub fn affected(scope: &Scope, checklists: &[Arc<ReadinessChecklist>]) -> Vec<ObjectRef<ReadinessChecklist>> {
    checklists
        .iter()
        .filter(|c| gating_enforcement(c).is_some())
        .filter(|c| match scope {
            Scope::Namespace(namespace) => c.metadata.namespace.as_deref() == Some(namespace.as_str()),
            Scope::Everywhere => true,
        })
        .map(|c| ObjectRef::from_obj(c.as_ref()))
        .collect()
}

#[cfg(test)]
mod tests;
