//! Capped exponential backoff for watches and failing reconciles. kube-runtime's default waits
//! up to 30 s (plus jitter) between retries; a gate that must be current within seconds after an
//! API outage cannot afford that.

use std::time::Duration;

/// Doubling delays from `min` up to `max`, with up to 25% jitter so replicas do not retry in step.
#[derive(Clone, Debug)]
pub struct CappedBackoff {
    min: Duration,
    max: Duration,
    next: Duration,
    seed: u64,
}

/// The watch retry policy: 250 ms doubling to 5 s.
pub const WATCH_MIN: Duration = Duration::from_millis(250);
pub const WATCH_MAX: Duration = Duration::from_secs(5);

impl CappedBackoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.subsec_nanos() as u64 | 1);
        CappedBackoff { min, max, next: min, seed }
    }

    pub fn watch() -> Self {
        Self::new(WATCH_MIN, WATCH_MAX)
    }

    /// The delay before the n-th consecutive retry (n starting at 0), without jitter: used by the
    /// reconcile error policy, which counts failures per checklist itself.
    pub fn delay_for(min: Duration, max: Duration, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.min(20));
        min.saturating_mul(factor).min(max)
    }

    pub fn reset(&mut self) {
        self.next = self.min;
    }

    fn jitter(&mut self, base: Duration) -> Duration {
        // xorshift: enough to decorrelate replicas, no dependency needed.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let quarter = base.as_millis() as u64 / 4;
        if quarter == 0 {
            return base;
        }
        base - Duration::from_millis(self.seed % quarter)
    }
}

impl Iterator for CappedBackoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let base = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        Some(self.jitter(base))
    }
}

impl kube::runtime::utils::Backoff for CappedBackoff {
    fn reset(&mut self) {
        CappedBackoff::reset(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_and_never_exceed_the_cap() {
        let mut b = CappedBackoff::watch();
        let delays: Vec<Duration> = (&mut b).take(12).collect();
        assert!(delays[0] <= WATCH_MIN);
        assert!(delays.iter().all(|d| *d <= WATCH_MAX));
        assert!(delays[11] >= WATCH_MAX * 3 / 4, "reaches the cap: {delays:?}");
    }

    #[test]
    fn reset_starts_over() {
        let mut b = CappedBackoff::watch();
        b.by_ref().take(8).for_each(drop);
        b.reset();
        assert!(b.next().expect("infinite") <= WATCH_MIN);
    }

    #[test]
    fn reconcile_delays_grow_per_failure_and_cap() {
        let min = Duration::from_secs(1);
        let max = Duration::from_secs(300);
        assert_eq!(CappedBackoff::delay_for(min, max, 0), min);
        assert_eq!(CappedBackoff::delay_for(min, max, 3), Duration::from_secs(8));
        assert_eq!(CappedBackoff::delay_for(min, max, 40), max);
    }
}
