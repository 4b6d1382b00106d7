//! The in-memory view the admission decisions read: checklists from a reflector cache, never the API server.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use jiff::Timestamp;
use kube::runtime::reflector::Store;

use super::events::{EventSink, LogOnlyEvents};
use crate::api::ReadinessChecklist;

/// Read access to the cached ReadinessChecklists. Implemented for a kube-runtime [`Store`] (live)
/// and for a plain `Vec` (tests, offline tools).
pub trait ChecklistView: Send + Sync {
    /// Every cached checklist of `namespace`.
    fn in_namespace(&self, namespace: &str) -> Vec<Arc<ReadinessChecklist>>;
}

impl ChecklistView for Store<ReadinessChecklist> {
    fn in_namespace(&self, namespace: &str) -> Vec<Arc<ReadinessChecklist>> {
        self.state_filter(|c| c.metadata.namespace.as_deref() == Some(namespace))
    }
}

impl ChecklistView for Vec<Arc<ReadinessChecklist>> {
    fn in_namespace(&self, namespace: &str) -> Vec<Arc<ReadinessChecklist>> {
        self.iter().filter(|c| c.metadata.namespace.as_deref() == Some(namespace)).cloned().collect()
    }
}

/// A readiness flag the health server reads (`/readyz`). The webhook raises it once it serves
/// from a synced cache and lowers it first thing on shutdown, so the Service stops routing to
/// this replica before connections drain.
#[derive(Clone, Debug, Default)]
pub struct Ready(Arc<AtomicBool>);

impl Ready {
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }
}

type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// Everything a request handler needs besides metrics: the checklist cache, where override
/// Events go, the clock (injectable for tests), and the readiness flag.
#[derive(Clone)]
pub struct WebhookState {
    checklists: Arc<dyn ChecklistView>,
    events: Arc<dyn EventSink>,
    clock: Clock,
    ready: Ready,
    synced: Option<Store<ReadinessChecklist>>,
}

impl WebhookState {
    /// A state over a reflector store; `serve` waits for the store's first sync before it
    /// reports ready, so a fresh replica never admits against an empty cache.
    pub fn from_store(store: Store<ReadinessChecklist>, events: Arc<dyn EventSink>) -> Self {
        WebhookState {
            checklists: Arc::new(store.clone()),
            events,
            clock: Arc::new(Timestamp::now),
            ready: Ready::default(),
            synced: Some(store),
        }
    }

    /// A state over any view (already complete, nothing to wait for). Events are only logged
    /// until [`WebhookState::with_events`] says otherwise.
    pub fn new(checklists: Arc<dyn ChecklistView>) -> Self {
        WebhookState {
            checklists,
            events: Arc::new(LogOnlyEvents),
            clock: Arc::new(Timestamp::now),
            ready: Ready::default(),
            synced: None,
        }
    }

    #[must_use]
    pub fn with_events(mut self, events: Arc<dyn EventSink>) -> Self {
        self.events = events;
        self
    }

    /// Replaces the clock (tests pin "now" to judge staleness deterministically).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    pub fn checklists(&self) -> &dyn ChecklistView {
        self.checklists.as_ref()
    }

    pub fn events(&self) -> &dyn EventSink {
        self.events.as_ref()
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// The handle the health server reads for `/readyz`.
    pub fn ready(&self) -> Ready {
        self.ready.clone()
    }

    /// Resolves once the cache has been filled from the API server (at once for a plain view).
    pub(crate) async fn wait_until_synced(&self) -> crate::Result<()> {
        let Some(store) = &self.synced else { return Ok(()) };
        // The store's readiness future wakes only the task that polled it last, and the
        // Controller sharing this store polls it too: ask again until it is ready, or this
        // replica would never serve.
        loop {
            match tokio::time::timeout(SYNC_POLL, store.wait_until_ready()).await {
                Ok(result) => {
                    return result.map_err(|e| crate::Error::config_from("checklist cache never synced", e));
                }
                Err(_) => continue,
            }
        }
    }
}

/// How often [`WebhookState::wait_until_synced`] asks the store again.
const SYNC_POLL: std::time::Duration = std::time::Duration::from_millis(100);

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::time::Duration;

    use kube::runtime::reflector::store::Writer;
    use kube::runtime::watcher::Event;

    use super::*;

    #[tokio::test]
    async fn notices_the_sync_while_another_task_waits_on_the_same_store() {
        let mut writer = Writer::<ReadinessChecklist>::default();
        let store = writer.as_reader();
        let state = WebhookState::from_store(store.clone(), Arc::new(LogOnlyEvents));
        let webhook = tokio::spawn(async move { state.wait_until_synced().await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        // The Controller waits after the webhook did, taking the store's only waker slot.
        let mut controller = pin!(store.wait_until_ready());
        assert!(futures::poll!(controller.as_mut()).is_pending());

        writer.apply_watcher_event(&Event::Init);
        writer.apply_watcher_event(&Event::InitDone);
        let synced = tokio::time::timeout(Duration::from_secs(5), webhook).await;
        assert!(matches!(synced, Ok(Ok(Ok(())))), "the webhook saw the sync: {synced:?}");
    }
}
