//! CronJob schedules as the Kubernetes controller runs them: parsing (robfig/cron v3, see
//! `parse`), the time zone the wall-clock times are read in, and the longest gap between runs.
//!
//! Time zone, as kube-controller-manager picks it: a `TZ=`/`CRON_TZ=` prefix in the schedule
//! wins (legacy; the API server refuses it on new objects, and refuses it together with
//! `spec.timeZone`), then `spec.timeZone`, then the controller's local zone, which is UTC in
//! practically every cluster (its image sets no TZ); we assume UTC.
//!
//! The gap is exact over wall-clock time for a whole 400-year calendar cycle (`civil`), then
//! corrected for DST around every transition of the next 28 years (`zone`), by replaying there
//! the controller's own `Next` (robfig/cron v3, ported step for step in `next`). Each analysis is
//! computed once per (schedule, time zone, year) and kept in a small global cache, so repeated
//! evaluations cost a hash lookup. Uncached, measured in an unoptimised build on a shared
//! machine: 1-5 ms for most schedules, 40-60 ms for `* * * * *` in a zone with DST (the replay
//! calls `Next` for every run near each of the 56 transitions); optimised builds are faster.

mod civil;
mod next;
mod parse;
mod zone;

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Set in the day-of-month / day-of-week bits when the field was a star (robfig's `starBit`).
const STAR: u64 = 1 << 63;
/// robfig's `Every` never runs more often than once a second.
const EVERY_MIN_SECS: i64 = 1;
const CACHE_LIMIT: usize = 1024;

/// The five fields as bit sets (bit n = value n), with [`STAR`] on day fields written as `*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fields {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Fields(Fields),
    /// `@every <duration>`: a constant delay in seconds, independent of any time zone.
    Every(i64),
}

/// Why a schedule cannot be analysed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScheduleError {
    /// The CronJob's schedule or time zone is invalid: the object is broken.
    Invalid(String),
    /// This process has no time zone database to resolve a (probably valid) zone name.
    NoTimeZoneDatabase(String),
}

/// The longest time between two consecutive runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gap {
    /// The schedule matches no date at all (e.g. February 30th).
    Never,
    /// At most this many seconds.
    AtMost(i64),
}

/// What a schedule means for readiness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Analysis {
    /// The zone its wall-clock times are read in, for messages (`UTC`, `Europe/Paris`).
    pub zone: String,
    /// Whether the zone came from a legacy `TZ=`/`CRON_TZ=` prefix.
    pub legacy_prefix: bool,
    pub gap: Gap,
}

type CacheKey = (String, Option<String>, i16);
static CACHE: LazyLock<Mutex<HashMap<CacheKey, Result<Analysis, ScheduleError>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Analyses `schedule` with the CronJob's `spec.timeZone`, for the years from `now` on.
/// Pure from the caller's view: the cache only remembers what the same inputs gave.
pub fn analyze(schedule: &str, time_zone: Option<&str>, now: Timestamp) -> Result<Analysis, ScheduleError> {
    let year = now.to_zoned(TimeZone::UTC).year();
    let key = (schedule.to_owned(), time_zone.map(str::to_owned), year);
    if let Some(hit) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return hit.clone();
    }
    let result = analyze_uncached(schedule, time_zone, year);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= CACHE_LIMIT {
        cache.clear();
    }
    cache.insert(key, result.clone());
    result
}

fn analyze_uncached(schedule: &str, time_zone: Option<&str>, year: i16) -> Result<Analysis, ScheduleError> {
    let (tz, zone, legacy_prefix, kind) = resolve(schedule, time_zone)?;
    // The horizon starts at the beginning of the year, so the result depends only on the key.
    let from = jiff::civil::date(year, 1, 1).to_zoned(TimeZone::UTC).map(|z| z.timestamp()).unwrap_or(Timestamp::MIN);
    Ok(Analysis { zone, legacy_prefix, gap: max_gap(&kind, &tz, from) })
}

/// The controller's next run strictly after `after` (robfig/cron v3 `Schedule.Next` in the
/// CronJob's zone), `None` where robfig gives up (no run within five years). Whole seconds.
pub fn next_run(schedule: &str, time_zone: Option<&str>, after: Timestamp) -> Result<Option<Timestamp>, ScheduleError> {
    let (tz, _, _, kind) = resolve(schedule, time_zone)?;
    let after = after.as_second();
    let next = match kind {
        // `ConstantDelaySchedule.Next`: the delay, from the whole second.
        Kind::Every(secs) => Some(after + secs),
        Kind::Fields(fields) => next::next(&fields, &tz, after),
    };
    Ok(next.and_then(|secs| Timestamp::from_second(secs).ok()))
}

/// The zone (as the controller picks it), its name, whether it came from a legacy prefix, and
/// the parsed schedule.
fn resolve(schedule: &str, time_zone: Option<&str>) -> Result<(TimeZone, String, bool, Kind), ScheduleError> {
    let (tz, zone, legacy_prefix, spec) = if schedule.contains("TZ") {
        if time_zone.is_some() {
            return Err(ScheduleError::Invalid("cannot use both timeZone field and TZ or CRON_TZ in schedule".into()));
        }
        let (name, spec) = parse::split_tz_prefix(schedule).map_err(ScheduleError::Invalid)?;
        let (tz, zone) = match name {
            Some("" | "UTC" | "Local") | None => (TimeZone::UTC, "UTC".to_owned()),
            Some(name) => (load_zone(name, "provided bad location")?, name.to_owned()),
        };
        (tz, zone, true, spec)
    } else if let Some(name) = time_zone {
        validate_time_zone_field(name)?;
        (load_zone(name, "unknown time zone")?, name.to_owned(), false, schedule)
    } else {
        (TimeZone::UTC, "UTC".to_owned(), false, schedule)
    };
    let kind = parse::parse_spec(spec).map_err(ScheduleError::Invalid)?;
    Ok((tz, zone, legacy_prefix, kind))
}

fn max_gap(kind: &Kind, tz: &TimeZone, from: Timestamp) -> Gap {
    let fields = match kind {
        Kind::Every(secs) => return Gap::AtMost(*secs),
        Kind::Fields(fields) => fields,
    };
    let Some(civil_gap) = civil::max_civil_gap(fields) else { return Gap::Never };
    let matcher = civil::DayMatcher::new(fields);
    let times = civil::minutes_of_day(fields);
    match zone::max_gap_near_transitions(fields, &matcher, &times, tz, from, civil_gap) {
        Some(near_transitions) => Gap::AtMost(civil_gap.max(near_transitions)),
        // The controller's `Next` finds no run within five years after some run: it stops.
        None => Gap::Never,
    }
}

/// `spec.timeZone` as the API server validates it (names per the IANA naming rules, no
/// `Local`), before it is looked up.
fn validate_time_zone_field(name: &str) -> Result<(), ScheduleError> {
    if name.is_empty() {
        return Err(ScheduleError::Invalid("timeZone must be nil or non-empty string".into()));
    }
    let valid_part = |part: &str| {
        (1..=14).contains(&part.len())
            && !matches!(part, "." | "..")
            && !part.starts_with('-')
            && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
    };
    if !name.split('/').all(valid_part) {
        return Err(ScheduleError::Invalid(format!("unknown time zone {name}")));
    }
    if name.eq_ignore_ascii_case("Local") {
        return Err(ScheduleError::Invalid(
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones".into(),
        ));
    }
    Ok(())
}

fn load_zone(name: &str, invalid: &str) -> Result<TimeZone, ScheduleError> {
    TimeZone::get(name).map_err(|_| {
        if jiff::tz::db().is_definitively_empty() {
            ScheduleError::NoTimeZoneDatabase(format!("no time zone database here to resolve {name}"))
        } else {
            ScheduleError::Invalid(format!("{invalid} {name}"))
        }
    })
}

/// `45s`, `1m30s`, `25h`, `6h59m`, `61d1h`, `2d30m`: a span in seconds the way messages show
/// it, to the two most significant non-zero units (a gap of days does not need its seconds, but
/// 48 h 30 m must not read as `2d` next to a `maxInterval` of 2d).
pub fn format_secs(secs: i64) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (hours, rest) = (rest / 3600, rest % 3600);
    let (minutes, seconds) = (rest / 60, rest % 60);
    // Under two days, hours read better than days and hours (`25h`, not `1d1h`).
    let (days, hours) = if days == 1 { (0, hours + 24) } else { (days, hours) };
    let seconds = if days > 0 { 0 } else { seconds };
    let units = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")];
    let shown: String =
        units.iter().filter(|(value, _)| *value > 0).take(2).map(|(value, unit)| format!("{value}{unit}")).collect();
    if shown.is_empty() { "0s".to_owned() } else { shown }
}

#[cfg(test)]
mod tests;
