//! Probe results kept for reuse: each for the interval of the checklist that probed it, then
//! evicted, so endpoints no checklist names any more do not stay in memory for the life of the
//! process. A hard entry limit bounds memory when intervals are long.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Entries kept at most, per kind of probe; past it the oldest go first.
pub const MAX_ENTRIES: usize = 4096;

struct Entry<V> {
    at: Instant,
    /// When the result stops being useful to the checklist that probed it (`None`: an interval
    /// too long for the clock to represent).
    until: Option<Instant>,
    value: V,
}

pub struct ProbeCache<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    limit: usize,
}

impl<K: Hash + Eq, V: Clone> Default for ProbeCache<K, V> {
    fn default() -> Self {
        Self::with_limit(MAX_ENTRIES)
    }
}

impl<K: Hash + Eq, V: Clone> ProbeCache<K, V> {
    pub fn with_limit(limit: usize) -> Self {
        ProbeCache { entries: Mutex::default(), limit }
    }

    /// The result for `key` if it was probed less than `interval` ago (the reader's interval:
    /// checklists probing the same endpoint may re-evaluate at different rates).
    pub fn fresh(&self, key: &K, interval: Duration) -> Option<V> {
        self.lock().get(key).filter(|e| e.at.elapsed() < interval).map(|e| e.value.clone())
    }

    /// Stores results probed at `at`, kept `interval`; evicts what expired, then the oldest
    /// beyond the limit.
    pub fn insert_all(&self, results: impl IntoIterator<Item = (K, V)>, at: Instant, interval: Duration) {
        let until = at.checked_add(interval);
        let mut entries = self.lock();
        for (key, value) in results {
            entries.insert(key, Entry { at, until, value });
        }
        let now = Instant::now();
        entries.retain(|_, e| e.until.is_none_or(|until| until > now));
        if entries.len() > self.limit {
            let mut ages: Vec<Instant> = entries.values().map(|e| e.at).collect();
            ages.sort_unstable();
            if let Some(&cutoff) = ages.get(entries.len() - self.limit) {
                entries.retain(|_, e| e.at >= cutoff);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Entry<V>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn results_are_reused_within_the_readers_interval() {
        let cache = ProbeCache::default();
        cache.insert_all([("a", 1)], Instant::now(), MINUTE);
        assert_eq!(cache.fresh(&"a", MINUTE), Some(1));
        assert_eq!(cache.fresh(&"a", Duration::ZERO), None);
    }

    #[test]
    fn expired_results_are_evicted() {
        let cache = ProbeCache::default();
        let long_ago = Instant::now().checked_sub(2 * MINUTE).expect("a monotonic clock two minutes back");
        cache.insert_all([("gone", 1)], long_ago, MINUTE);
        assert!(cache.is_empty(), "expired on arrival");
        cache.insert_all([("old", 1)], long_ago, 3 * MINUTE);
        cache.insert_all([("new", 2)], Instant::now(), MINUTE);
        assert_eq!(cache.len(), 2);
        cache.insert_all([("forever", 3)], Instant::now(), Duration::MAX);
        assert_eq!(cache.fresh(&"forever", Duration::MAX), Some(3));
    }

    #[test]
    fn the_oldest_go_beyond_the_limit() {
        let cache = ProbeCache::with_limit(2);
        let start = Instant::now();
        for (i, key) in ["a", "b", "c"].into_iter().enumerate() {
            cache.insert_all([(key, i)], start + Duration::from_millis(i as u64), MINUTE);
        }
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.fresh(&"a", MINUTE), None);
        assert_eq!(cache.fresh(&"c", MINUTE), Some(2));
    }
}
