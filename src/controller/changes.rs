//! The queue of change notifications from the cache (watch tasks) to the trigger mapper: bounded,
//! and never losing a change.
//!
//! A change is a key, `(kind, namespace)`, not an event: the trigger mapper turns it into "every
//! checklist there that reads the kind". So a change already queued absorbs a repeat of itself,
//! and "that kind, in any namespace" absorbs the kind's namespaced changes. The queue holds at
//! most [`NAMESPACED_LIMIT`] namespaced changes; one more coarsens its kind to "any namespace"
//! (more checklists re-evaluate than strictly needed, none is missed). "Any namespace" entries
//! number at most the kinds watched, so the queue stays bounded whatever the event rate, and a
//! sender never blocks or drops: watch tasks keep draining their streams while reconciles run.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::Stream;
use tokio::sync::mpsc;

use super::cache::Change;

/// Distinct namespaced changes queued before a further one coarsens its kind.
pub const NAMESPACED_LIMIT: usize = 1024;

/// The cache's end: `send` never blocks and never fails while the receiver lives.
pub struct ChangeSender {
    queue: Arc<Mutex<Queue>>,
    /// At most one pending wake-up: the receiver drains the whole queue per wake.
    wake: mpsc::Sender<()>,
}

/// The trigger mapper's end.
pub struct ChangeReceiver {
    queue: Arc<Mutex<Queue>>,
    wake: mpsc::Receiver<()>,
}

/// A queue of changes without repeats, oldest first.
struct Queue {
    order: VecDeque<Change>,
    queued: HashSet<Change>,
    namespaced: usize,
    limit: usize,
}

/// A bounded, coalescing change queue (see the module's documentation).
pub fn channel() -> (ChangeSender, ChangeReceiver) {
    with_limit(NAMESPACED_LIMIT)
}

fn with_limit(limit: usize) -> (ChangeSender, ChangeReceiver) {
    let queue = Arc::new(Mutex::new(Queue { order: VecDeque::new(), queued: HashSet::new(), namespaced: 0, limit }));
    let (wake_tx, wake_rx) = mpsc::channel(1);
    (ChangeSender { queue: Arc::clone(&queue), wake: wake_tx }, ChangeReceiver { queue, wake: wake_rx })
}

impl ChangeSender {
    pub fn send(&self, change: Change) {
        let queued = lock(&self.queue).push(change);
        if queued {
            // Full: a wake-up is already pending and the receiver drains everything on it.
            // Closed: the receiver is gone, which only happens at shutdown.
            let _ = self.wake.try_send(());
        }
    }
}

impl ChangeReceiver {
    /// The oldest queued change, if any, without waiting.
    pub fn try_next(&mut self) -> Option<Change> {
        lock(&self.queue).pop()
    }

    /// Changes as they come; ends when the sender is dropped and the queue is empty.
    pub fn into_stream(self) -> impl Stream<Item = Change> + Send {
        futures::stream::unfold(self, |mut rx| async move {
            loop {
                if let Some(change) = rx.try_next() {
                    return Some((change, rx));
                }
                rx.wake.recv().await?;
            }
        })
    }
}

impl Queue {
    /// Queues `change` unless something queued already covers it; true when the queue grew.
    fn push(&mut self, change: Change) -> bool {
        if self.queued.contains(&change) || self.queued.contains(&Change::everywhere(&change.kind_key)) {
            return false;
        }
        let change = if change.namespace.is_some() && self.namespaced >= self.limit {
            tracing::debug!(kind = %change.kind_key, limit = self.limit,
                "change queue full: coarsening the kind's changes to any namespace");
            Change::everywhere(&change.kind_key)
        } else {
            change
        };
        if change.namespace.is_none() {
            // "Any namespace" covers the kind's namespaced changes: they go.
            let kind = &change.kind_key;
            let before = self.order.len();
            self.order.retain(|c| c.kind_key != *kind || c.namespace.is_none());
            self.queued.retain(|c| c.kind_key != *kind || c.namespace.is_none());
            self.namespaced -= before - self.order.len();
        } else {
            self.namespaced += 1;
        }
        self.queued.insert(change.clone());
        self.order.push_back(change);
        true
    }

    fn pop(&mut self) -> Option<Change> {
        let change = self.order.pop_front()?;
        self.queued.remove(&change);
        if change.namespace.is_some() {
            self.namespaced -= 1;
        }
        Some(change)
    }
}

fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    queue.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    fn at(kind: &str, ns: &str) -> Change {
        Change { kind_key: kind.into(), namespace: Some(ns.to_owned()) }
    }

    fn drain(rx: &mut ChangeReceiver) -> Vec<Change> {
        std::iter::from_fn(|| rx.try_next()).collect()
    }

    #[test]
    fn repeats_coalesce_and_order_is_kept() {
        let (tx, mut rx) = channel();
        for change in [at("A", "a"), at("B", "a"), at("A", "a"), at("A", "b")] {
            tx.send(change);
        }
        assert_eq!(drain(&mut rx), [at("A", "a"), at("B", "a"), at("A", "b")]);
        tx.send(at("A", "a"));
        assert_eq!(drain(&mut rx), [at("A", "a")], "a change delivered may come again");
    }

    #[test]
    fn any_namespace_absorbs_the_kinds_namespaced_changes() {
        let (tx, mut rx) = channel();
        tx.send(at("A", "a"));
        tx.send(at("B", "a"));
        tx.send(Change::everywhere("A"));
        tx.send(at("A", "c"));
        assert_eq!(drain(&mut rx), [at("B", "a"), Change::everywhere("A")]);
    }

    #[test]
    fn a_full_queue_coarsens_the_kind_and_loses_no_change() {
        let (tx, mut rx) = with_limit(3);
        for ns in ["a", "b", "c"] {
            tx.send(at("A", ns));
        }
        tx.send(at("B", "d"));
        tx.send(at("B", "e"));
        let got = drain(&mut rx);
        // Every change sent is covered by one delivered, and the queue never held more than
        // the limit of namespaced changes plus one "any namespace" per kind.
        assert_eq!(got, [at("A", "a"), at("A", "b"), at("A", "c"), Change::everywhere("B")]);
        for ns in ["f", "g", "h", "i"] {
            tx.send(at("C", ns));
        }
        // The fourth coarsens C, which takes the place of its three namespaced changes.
        assert_eq!(drain(&mut rx), [Change::everywhere("C")]);
    }

    #[tokio::test]
    async fn the_stream_wakes_for_changes_sent_later_and_ends_with_the_sender() {
        let (tx, rx) = channel();
        let mut stream = Box::pin(rx.into_stream());
        let sender = tokio::spawn(async move {
            for ns in ["a", "b"] {
                tokio::task::yield_now().await;
                tx.send(at("A", ns));
            }
        });
        assert_eq!(stream.next().await, Some(at("A", "a")));
        assert_eq!(stream.next().await, Some(at("A", "b")));
        sender.await.expect("sender task");
        assert_eq!(stream.next().await, None);
    }
}
