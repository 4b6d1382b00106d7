//! Real-time gaps around time-zone transitions (DST), which wall-clock math cannot see.
//!
//! The controller fires at every instant whose local wall-clock time matches the schedule: a
//! wall-clock time skipped by a spring-forward does not fire that day (`30 2 * * *` in
//! America/New_York leaves a 47 h gap), and one repeated by a fall-back fires twice. So only
//! fires near a transition can have a real gap that differs from the wall-clock gap; this module
//! replays exactly those, for every transition in the next [`HORIZON_YEARS`] (weekday-based DST
//! rules line up with the calendar the same way every 28 years).

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

use super::civil::{DayMatcher, civil_from_days, days_from_civil};

pub(super) const HORIZON_YEARS: i64 = 28;
const MINUTES_PER_DAY: i64 = 1440;
/// Windows wider than this (gaps of over 8 years) are cut: such schedules fail any sane
/// `maxInterval` on their wall-clock gap alone.
const MAX_MARGIN_DAYS: i64 = 3000;

/// A transition, in local wall-clock minutes since 1970 (before the change), and the wall-clock
/// span it disturbs: skipped (spring forward) or repeated (fall back) times.
struct Disturbance {
    day: i64,
    from: i64,
    to: i64,
}

/// The longest real gap, in seconds, between consecutive fires near the zone's transitions
/// from `from` on; 0 when the zone has none in the horizon (fixed offsets, UTC).
pub(super) fn max_gap_near_transitions(
    matcher: &DayMatcher,
    times: &[u16],
    tz: &TimeZone,
    from: Timestamp,
    civil_gap_secs: i64,
) -> i64 {
    if times.is_empty() {
        return 0;
    }
    let horizon_end = from.as_second().saturating_add(HORIZON_YEARS * 366 * 86_400);
    let disturbances: Vec<Disturbance> = tz
        .following(from)
        .take_while(|t| t.timestamp().as_second() < horizon_end)
        .take(512)
        .filter_map(|t| {
            let at = t.timestamp();
            let just_before = at.checked_sub(jiff::SignedDuration::from_secs(1)).ok()?;
            let before = i64::from(tz.to_offset(just_before).seconds());
            let shift = (i64::from(t.offset().seconds()) - before).abs().div_euclid(60) + 1;
            let local = (at.as_second() + before).div_euclid(60);
            Some(Disturbance { day: local.div_euclid(MINUTES_PER_DAY), from: local - shift, to: local + shift })
        })
        .collect();
    let margin = (civil_gap_secs.div_euclid(86_400) + 2).min(MAX_MARGIN_DAYS);
    let mut windows: Vec<(i64, i64)> = Vec::new();
    for d in &disturbances {
        let (start, end) = (d.day - margin, d.day + margin);
        match windows.last_mut() {
            Some(last) if start <= last.1 + 1 => last.1 = last.1.max(end),
            _ => windows.push((start, end)),
        }
    }
    let mut replay = Replay { tz, times, max_gap: 0, run: Vec::new() };
    for (start, end) in windows {
        replay.window(matcher, &disturbances, start, end);
    }
    replay.max_gap
}

/// Replays fires of one window as runs of wall-clock-consecutive fires, converted to instants.
struct Replay<'a> {
    tz: &'a TimeZone,
    times: &'a [u16],
    max_gap: i64,
    /// Instants of fires that are consecutive in wall-clock order (so their real gaps count).
    run: Vec<i64>,
}

impl Replay<'_> {
    fn window(&mut self, matcher: &DayMatcher, disturbances: &[Disturbance], start: i64, end: i64) {
        let (mut year, mut month, _) = civil_from_days(start);
        loop {
            let month_start = days_from_civil(year, month, 1) - 1;
            if month_start + 1 > end {
                break;
            }
            let mut rest = matcher.mask(year, month);
            while rest != 0 {
                let day_of_month = rest.trailing_zeros();
                rest &= rest - 1;
                let day = month_start + i64::from(day_of_month);
                if (start..=end).contains(&day) {
                    self.day(disturbances, day, (year, month, day_of_month));
                }
            }
            (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
        }
        self.flush();
    }

    /// Emits the day's first and last fire (linking to neighbouring days) and every fire within
    /// a disturbance plus its neighbours; fires skipped here are separated by wall-clock gaps.
    fn day(&mut self, disturbances: &[Disturbance], day: i64, date: (i64, u32, u32)) {
        let last = self.times.len() - 1;
        let mut ranges = vec![(0, 0), (last, last)];
        let day_start = day * MINUTES_PER_DAY;
        for d in disturbances.iter().filter(|d| d.from < day_start + MINUTES_PER_DAY && d.to >= day_start) {
            let lo = (d.from - day_start).max(0);
            let hi = (d.to - day_start).min(MINUTES_PER_DAY - 1);
            let first_in = self.times.partition_point(|t| i64::from(*t) < lo);
            let after = self.times.partition_point(|t| i64::from(*t) <= hi);
            ranges.push((first_in.saturating_sub(1), after.min(last)));
        }
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (a, b) in ranges {
            match merged.last_mut() {
                Some(m) if a <= m.1 + 1 => m.1 = m.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        for (i, (a, b)) in merged.iter().enumerate() {
            if i > 0 {
                // Fires between the ranges were not replayed: the run is broken here.
                self.flush();
            }
            for index in *a..=*b {
                self.fire(date, day, self.times[index]);
            }
        }
    }

    fn fire(&mut self, (year, month, day_of_month): (i64, u32, u32), day: i64, minute_of_day: u16) {
        let (Ok(year), Ok(month), Ok(day_of_month)) =
            (i16::try_from(year), i8::try_from(month), i8::try_from(day_of_month))
        else {
            return;
        };
        let (hour, minute) = ((minute_of_day / 60) as i8, (minute_of_day % 60) as i8);
        let Ok(local) = DateTime::new(year, month, day_of_month, hour, minute, 0, 0) else { return };
        // The wall-clock time read as if it were UTC; subtracting the offset gives the instant.
        let wall = day * 86_400 + i64::from(minute_of_day) * 60;
        match self.tz.to_ambiguous_timestamp(local).offset() {
            AmbiguousOffset::Unambiguous { offset } => self.run.push(wall - i64::from(offset.seconds())),
            // A skipped wall-clock time does not fire.
            AmbiguousOffset::Gap { .. } => {}
            // A repeated one fires at both instants.
            AmbiguousOffset::Fold { before, after } => {
                self.run.push(wall - i64::from(before.seconds()));
                self.run.push(wall - i64::from(after.seconds()));
            }
        }
    }

    fn flush(&mut self) {
        self.run.sort_unstable();
        self.run.dedup();
        for pair in self.run.windows(2) {
            self.max_gap = self.max_gap.max(pair[1] - pair[0]);
        }
        self.run.clear();
    }
}
