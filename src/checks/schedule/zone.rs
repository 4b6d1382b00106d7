//! Real-time gaps around time-zone transitions (DST), which wall-clock math cannot see.
//!
//! Away from transitions the controller's runs are exactly the wall-clock matches, so the
//! wall-clock gap (`civil`) holds there. Near each transition of the next [`HORIZON_YEARS`]
//! (weekday-based DST rules line up with the calendar the same way every 28 years) this module
//! replays the controller itself: from the last run before the transition can matter, robfig's
//! `Next` (see `next`) is called run after run until the first run past the transition. That
//! reproduces a spring-forward skipping a run (`30 2 * * *` in America/New_York: 47 h), a
//! fall-back repeating one, and the half-hour and 02:45 shifts of Australia/Lord_Howe and
//! Pacific/Chatham, where `Next`'s hour arithmetic lands on times no wall-clock reading picks.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::Fields;
use super::civil::{DayMatcher, civil_from_days, days_from_civil};
use super::next::next;

pub(super) const HORIZON_YEARS: i64 = 28;
const MINUTES_PER_DAY: i64 = 1440;
/// A guard on `Next` calls per analysis. It never binds for a five-field schedule: each
/// transition replays only the runs from the last one before its shift to the first one after
/// it (at most the shift in minutes, plus two: about 180 in Antarctica/Troll's two-hour shift),
/// over at most 512 transitions.
const MAX_STEPS: usize = 200_000;

/// A transition: its instant, and the local wall-clock minute (before it) from which it can
/// disturb runs (the shift, plus a minute, before the change).
struct Transition {
    at: i64,
    disturbed_from: i64,
}

/// The longest real gap, in seconds, between consecutive runs near the zone's transitions from
/// `from` on: `Some(0)` when the zone has none in the horizon (fixed offsets, UTC), `None` when
/// the controller would stop running the schedule (robfig finds no run within five years).
pub(super) fn max_gap_near_transitions(
    fields: &Fields,
    matcher: &DayMatcher,
    times: &[u16],
    tz: &TimeZone,
    from: Timestamp,
    civil_gap_secs: i64,
) -> Option<i64> {
    if times.is_empty() {
        return Some(0);
    }
    let horizon_end = from.as_second().saturating_add(HORIZON_YEARS * 366 * 86_400);
    let transitions =
        tz.following(from).take_while(|t| t.timestamp().as_second() < horizon_end).take(512).filter_map(|t| {
            let at = t.timestamp();
            let just_before = at.checked_sub(jiff::SignedDuration::from_secs(1)).ok()?;
            let before = i64::from(tz.to_offset(just_before).seconds());
            let shift = (i64::from(t.offset().seconds()) - before).abs().div_euclid(60) + 1;
            let local = (at.as_second() + before).div_euclid(60);
            Some(Transition { at: at.as_second(), disturbed_from: local - shift })
        });
    let search_days = civil_gap_secs.div_euclid(86_400) + 2;
    let mut max_gap = 0;
    let mut steps = 0;
    // The last run replayed: a later transition may already be behind it.
    let mut last_run: Option<i64> = None;
    for transition in transitions {
        let start = last_wall_clock_run_before(matcher, times, transition.disturbed_from, search_days)
            .map(|minute| wall_minute_to_instant(tz, minute));
        let mut run = match (last_run, start) {
            (Some(last), Some(start)) => last.max(start),
            (last, start) => match last.or(start) {
                Some(run) => run,
                None => continue,
            },
        };
        while run <= transition.at && steps < MAX_STEPS {
            let following = next(fields, tz, run)?;
            max_gap = max_gap.max(following - run);
            run = following;
            steps += 1;
        }
        last_run = Some(run);
    }
    Some(max_gap)
}

/// The last wall-clock minute (since 1970, local) before `before` at which the schedule fires,
/// looking back at most `search_days`; month by month, as the day matcher answers per month.
fn last_wall_clock_run_before(matcher: &DayMatcher, times: &[u16], before: i64, search_days: i64) -> Option<i64> {
    let (day, minute_of_day) = (before.div_euclid(MINUTES_PER_DAY), before.rem_euclid(MINUTES_PER_DAY));
    let earliest = day - search_days;
    let (mut year, mut month, today) = civil_from_days(day);
    // Days of the first month after today cannot fire before `before`.
    let mut allowed = if today >= 31 { u32::MAX } else { (1u32 << (today + 1)) - 1 };
    loop {
        let month_start = days_from_civil(year, month, 1) - 1;
        let mut days = matcher.mask(year, month) & allowed;
        while days != 0 {
            let day_of_month = 31 - days.leading_zeros();
            days &= !(1 << day_of_month);
            let d = month_start + i64::from(day_of_month);
            if d < earliest {
                return None;
            }
            let candidates =
                if d == day { &times[..times.partition_point(|t| i64::from(*t) < minute_of_day)] } else { times };
            if let Some(t) = candidates.last() {
                return Some(d * MINUTES_PER_DAY + i64::from(*t));
            }
        }
        if month_start < earliest {
            return None;
        }
        (year, month) = if month == 1 { (year - 1, 12) } else { (year, month - 1) };
        allowed = u32::MAX;
    }
}

/// A wall-clock minute well clear of any transition, as an instant.
fn wall_minute_to_instant(tz: &TimeZone, minute: i64) -> i64 {
    let wall = minute * 60;
    let guess = Timestamp::from_second(wall).map_or(0, |t| i64::from(tz.to_offset(t).seconds()));
    let offset = Timestamp::from_second(wall - guess).map_or(0, |t| i64::from(tz.to_offset(t).seconds()));
    wall - offset
}
