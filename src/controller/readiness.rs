//! Cache readiness: `/readyz` and the first evaluations wait until every registered watch has
//! listed once (or found its kind unavailable), so no decision is made on a half-filled cache.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// What `/readyz` reports as pending once the [`Readiness::stop_with`] signal fired.
pub const SHUTTING_DOWN: &str = "shutting-down";

/// A cloneable handle: watches register and mark themselves synced; readers ask or wait.
#[derive(Clone)]
pub struct Readiness {
    inner: Arc<Inner>,
}

struct Inner {
    pending: Mutex<Pending>,
    ready: watch::Sender<bool>,
}

/// A condition outside the caches that `/readyz` also waits for, such as the admission webhook
/// serving.
type Condition = Arc<dyn Fn() -> bool + Send + Sync>;

#[derive(Default)]
struct Pending {
    keys: HashSet<String>,
    /// Named conditions checked on every `/readyz`; unlike synced watches they may fall again.
    conditions: Vec<(String, Condition)>,
    /// Set once every watch known at startup has registered: an empty pending set before that
    /// only means nothing registered yet.
    sealed: bool,
    /// The process's shutdown signal: once it fires, unready for good, whatever has synced.
    stop_signal: Option<CancellationToken>,
}

impl Default for Readiness {
    fn default() -> Self {
        Self::new()
    }
}

impl Readiness {
    pub fn new() -> Self {
        let (ready, _) = watch::channel(false);
        Readiness { inner: Arc::new(Inner { pending: Mutex::default(), ready }) }
    }

    /// A handle that is ready from the start (for tests and for processes without caches).
    pub fn always() -> Self {
        let readiness = Self::new();
        readiness.seal();
        readiness
    }

    /// Something must sync before the process is ready.
    pub fn register(&self, key: &str) {
        self.lock().keys.insert(key.to_owned());
        self.publish();
    }

    pub fn mark_synced(&self, key: &str) {
        self.lock().keys.remove(key);
        self.publish();
    }

    /// Every startup watch has registered; readiness now follows the pending set alone.
    pub fn seal(&self) {
        self.lock().sealed = true;
        self.publish();
    }

    /// Once `signal` (the process's shutdown) fires, `/readyz` fails for good, so the Service
    /// stops routing here while in-flight work drains. The signal is read at each question rather
    /// than by a task waiting for it, so nothing reacting to the same signal (the webhook lowering
    /// its flag) can be seen before readiness reports the shutdown. [`Readiness::wait`] is
    /// unaffected: reconciles still in flight must not hang on it.
    pub fn stop_with(&self, signal: CancellationToken) {
        self.lock().stop_signal = Some(signal);
    }

    /// `/readyz` also waits for `condition` (named `name` while it is false). [`Readiness::wait`]
    /// does not: reconciles only need the caches.
    pub fn require(&self, name: &str, condition: impl Fn() -> bool + Send + Sync + 'static) {
        self.lock().conditions.push((name.to_owned(), Arc::new(condition)));
    }

    /// Synced, every required condition holds, and not shutting down.
    pub fn is_ready(&self) -> bool {
        let pending = self.lock();
        *self.inner.ready.borrow() && !pending.is_stopping() && pending.conditions.iter().all(|(_, holds)| holds())
    }

    /// What is still syncing or not yet holding, sorted (for `/readyz` bodies and logs), and the
    /// shutdown.
    pub fn pending(&self) -> Vec<String> {
        let pending = self.lock();
        let mut keys: Vec<String> = pending.keys.iter().cloned().collect();
        keys.extend(pending.conditions.iter().filter(|(_, holds)| !holds()).map(|(name, _)| name.clone()));
        keys.sort();
        if pending.is_stopping() {
            keys.push(SHUTTING_DOWN.to_owned());
        }
        keys
    }

    /// Resolves once ready (immediately when already ready).
    pub async fn wait(&self) {
        let mut rx = self.inner.ready.subscribe();
        // Err only when the sender is gone, which cannot happen while `self` holds it.
        let _ = rx.wait_for(|ready| *ready).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.inner.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn publish(&self) {
        let ready = {
            let pending = self.lock();
            pending.sealed && pending.keys.is_empty()
        };
        self.inner.ready.send_if_modified(|current| {
            // Once ready, a watch that relists later does not make the process unready again:
            // its cache stays populated meanwhile.
            let next = *current || ready;
            let changed = next != *current;
            *current = next;
            changed
        });
    }
}

impl Pending {
    fn is_stopping(&self) -> bool {
        self.stop_signal.as_ref().is_some_and(CancellationToken::is_cancelled)
    }
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readiness").field("ready", &self.is_ready()).field("pending", &self.pending()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shutdown_signal_is_reported_before_anything_reacting_to_it() {
        let r = Readiness::always();
        let signal = CancellationToken::new();
        r.stop_with(signal.clone());
        let serving = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flag = serving.clone();
        r.require("admission webhook", move || flag.load(std::sync::atomic::Ordering::Acquire));
        assert!(r.is_ready());
        signal.cancel();
        // What the webhook does on seeing the signal; /readyz must already say why.
        serving.store(false, std::sync::atomic::Ordering::Release);
        assert!(!r.is_ready());
        assert!(r.pending().contains(&SHUTTING_DOWN.to_owned()), "{:?}", r.pending());
    }

    #[test]
    fn a_required_condition_holds_readiness_back_and_is_named_while_false() {
        let r = Readiness::always();
        let serving = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = serving.clone();
        r.require("admission webhook", move || flag.load(std::sync::atomic::Ordering::Acquire));
        assert!(!r.is_ready());
        assert_eq!(r.pending(), vec!["admission webhook".to_owned()]);
        serving.store(true, std::sync::atomic::Ordering::Release);
        assert!(r.is_ready());
        assert!(r.pending().is_empty());
        serving.store(false, std::sync::atomic::Ordering::Release);
        assert!(!r.is_ready(), "a condition may fall again (the webhook lowers it on shutdown)");
    }

    #[test]
    fn ready_only_after_sealing_and_every_watch_synced() {
        let r = Readiness::new();
        r.register("Deployment.apps");
        r.register("Service");
        assert!(!r.is_ready());
        r.mark_synced("Service");
        r.mark_synced("Deployment.apps");
        assert!(!r.is_ready(), "not sealed yet");
        r.seal();
        assert!(r.is_ready());
        assert!(r.pending().is_empty());
    }

    #[tokio::test]
    async fn wait_resolves_when_ready() {
        let r = Readiness::new();
        r.register("Service");
        r.seal();
        let waiter = tokio::spawn({
            let r = r.clone();
            async move { r.wait().await }
        });
        r.mark_synced("Service");
        tokio::time::timeout(std::time::Duration::from_secs(2), waiter).await.expect("ready in time").expect("joined");
    }

    #[test]
    fn shutting_down_makes_a_ready_process_unready_for_good() {
        let r = Readiness::always();
        let signal = CancellationToken::new();
        r.stop_with(signal.clone());
        assert!(r.is_ready());
        signal.cancel();
        assert!(!r.is_ready());
        assert_eq!(r.pending(), [SHUTTING_DOWN]);
        r.mark_synced("Service");
        r.seal();
        assert!(!r.is_ready(), "nothing syncing later makes it ready again");
    }

    #[tokio::test]
    async fn reconciles_waiting_for_the_caches_are_not_held_up_by_shutdown() {
        let r = Readiness::always();
        let signal = CancellationToken::new();
        r.stop_with(signal.clone());
        signal.cancel();
        tokio::time::timeout(std::time::Duration::from_secs(2), r.wait()).await.expect("the caches are synced");
    }

    #[test]
    fn stays_ready_when_a_later_watch_registers() {
        let r = Readiness::always();
        r.register("ServiceMonitor.monitoring.coreos.com");
        assert!(r.is_ready());
        assert_eq!(r.pending(), ["ServiceMonitor.monitoring.coreos.com"]);
    }
}
