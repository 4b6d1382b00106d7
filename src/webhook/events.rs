//! Where admission side effects go: Kubernetes Events on the checklist when an override is honoured.
//!
//! The decision only returns an [`OverrideEvent`]; the handler hands it to an [`EventSink`] after
//! answering, so a slow or failing Event write never delays or changes an admission.

use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use tokio::sync::mpsc;

pub use super::admit::OverrideEvent;

/// Receives the overrides the webhook honoured (never for dry-run requests).
pub trait EventSink: Send + Sync {
    fn override_used(&self, event: &OverrideEvent);
}

/// Logs overrides only; for processes without API access (tests, local runs).
#[derive(Clone, Copy, Debug, Default)]
pub struct LogOnlyEvents;

impl EventSink for LogOnlyEvents {
    fn override_used(&self, event: &OverrideEvent) {
        tracing::debug!(checklist = %event.checklist_key(), "override Event not published (no API client)");
    }
}

/// Keeps overrides in memory, for the unit tests that assert an Event was (or was not) emitted.
/// Test-only: the integration tests bring their own double (tests/webhook/support.rs).
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct MemoryEvents(std::sync::Mutex<Vec<OverrideEvent>>);

#[cfg(test)]
impl MemoryEvents {
    /// The overrides recorded so far, oldest first.
    pub(crate) fn recorded(&self) -> Vec<OverrideEvent> {
        self.0.lock().map(|events| events.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
impl EventSink for MemoryEvents {
    fn override_used(&self, event: &OverrideEvent) {
        if let Ok(mut events) = self.0.lock() {
            events.push(event.clone());
        }
    }
}

/// How many overrides may wait for publication; beyond that they are logged and dropped
/// rather than letting admissions queue behind the API server.
const QUEUE_DEPTH: usize = 256;

/// Publishes overrides as Kubernetes Events (`events.k8s.io/v1`) on the checklist, from a
/// background task.
#[derive(Clone, Debug)]
pub struct KubeEvents {
    queue: mpsc::Sender<OverrideEvent>,
}

impl KubeEvents {
    /// Starts the publishing task on the current Tokio runtime; it ends when every clone of the
    /// returned sink is dropped.
    pub fn spawn(client: kube::Client, reporter: Reporter) -> Self {
        let (queue, mut pending) = mpsc::channel::<OverrideEvent>(QUEUE_DEPTH);
        let recorder = Recorder::new(client, reporter);
        tokio::spawn(async move {
            while let Some(event) = pending.recv().await {
                let published = Event {
                    type_: EventType::Warning,
                    reason: "AdmissionOverridden".to_owned(),
                    note: Some(event.note()),
                    action: "Admit".to_owned(),
                    secondary: None,
                };
                if let Err(error) = recorder.publish(&published, &event.checklist).await {
                    tracing::error!(checklist = %event.checklist_key(), %error, "publishing override Event failed");
                }
            }
        });
        KubeEvents { queue }
    }
}

impl EventSink for KubeEvents {
    fn override_used(&self, event: &OverrideEvent) {
        if let Err(error) = self.queue.try_send(event.clone()) {
            tracing::error!(checklist = %event.checklist_key(), %error, "override Event dropped");
        }
    }
}
