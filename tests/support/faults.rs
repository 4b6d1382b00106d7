//! Fault injection for resilience tests: failing requests, latency, dropped watches, outages on
//! the same port, and etcd-style compaction.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::errors::ApiError;
use super::log::RequestRecord;
use super::server::{Shared, lock};

type Predicate = Arc<dyn Fn(&RequestRecord) -> bool + Send + Sync>;

struct Rule {
    matches: Predicate,
    code: u16,
    /// `None`: until cleared.
    remaining: Option<usize>,
}

/// The server-side half: consulted on every request.
#[derive(Default)]
pub struct FaultState {
    rules: Mutex<Vec<Rule>>,
    delay: Mutex<Duration>,
}

impl FaultState {
    pub fn delay(&self) -> Duration {
        *lock(&self.delay)
    }

    /// The failure to answer with instead of serving `rec`, if a rule matches; counted rules
    /// are used up.
    pub fn injected(&self, rec: &RequestRecord) -> Option<ApiError> {
        let mut rules = lock(&self.rules);
        let i = rules.iter().position(|r| (r.matches)(rec))?;
        let code = rules[i].code;
        if let Some(n) = rules[i].remaining.as_mut() {
            *n -= 1;
            if *n == 0 {
                rules.remove(i);
            }
        }
        Some(ApiError::for_code(code))
    }
}

/// The test-side controls, from [`super::ApiServerDouble::faults`].
pub struct Faults {
    pub(crate) shared: Arc<Shared>,
}

impl Faults {
    /// The next `n` requests (of any kind) fail with `code`. 429 and 503 carry `Retry-After: 1`,
    /// which kube-rs' default retry layer honours (it retries 429/503/504 by itself).
    pub fn fail_next(&self, n: usize, code: u16) {
        if n > 0 {
            lock(&self.shared.faults.rules).push(Rule { matches: Arc::new(|_| true), code, remaining: Some(n) });
        }
    }

    /// Every request for which `predicate` holds fails with `code`, until [`Faults::clear_failures`].
    pub fn fail_requests_matching(
        &self,
        predicate: impl Fn(&RequestRecord) -> bool + Send + Sync + 'static,
        code: u16,
    ) {
        lock(&self.shared.faults.rules).push(Rule { matches: Arc::new(predicate), code, remaining: None });
    }

    /// Every request whose path contains `needle` fails with `code`, until cleared.
    pub fn fail_path_containing(&self, needle: &str, code: u16) {
        let needle = needle.to_string();
        self.fail_requests_matching(move |r| r.path.contains(&needle), code);
    }

    pub fn clear_failures(&self) {
        lock(&self.shared.faults.rules).clear();
    }

    /// Latency added before every response (watch streams included, before their first byte).
    pub fn set_delay(&self, delay: Duration) {
        *lock(&self.shared.faults.delay) = delay;
    }

    /// Ends every open watch stream cleanly now; clients must re-watch.
    pub fn drop_watches(&self) {
        lock(&self.shared.store).drop_watchers();
    }

    /// Forgets the event history: a watch from any older resourceVersion gets `410 Expired`.
    pub fn compact(&self) {
        lock(&self.shared.store).compact();
    }

    /// Stops listening and drops every live connection (and so every watch): new connections
    /// are refused until [`Faults::come_up`].
    pub async fn go_down(&self) {
        self.shared.go_down().await;
    }

    /// Listens again on the same port.
    pub async fn come_up(&self) {
        self.shared.come_up().expect("re-binding the double's port");
    }

    pub fn is_up(&self) -> bool {
        self.shared.is_up()
    }

    /// An outage: down now, back up after `outage` (in the background).
    pub async fn refuse_connections_for(&self, outage: Duration) {
        self.go_down().await;
        let shared = self.shared.clone();
        tokio::spawn(async move {
            tokio::time::sleep(outage).await;
            if let Err(e) = shared.come_up() {
                eprintln!("api double: could not come back up on {}: {e}", shared.addr);
            }
        });
    }
}
