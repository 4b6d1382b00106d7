//! Timing a figure to print against a budget, without criterion's machinery.

use std::time::{Duration, Instant};

/// The median of `runs` timed calls of `f`.
pub fn median_time(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}
