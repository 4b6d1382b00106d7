//! Wall-clock (time-zone-free) schedule math: which days and minutes fire, and the longest gap
//! between fires over a whole 400-year Gregorian cycle, after which the calendar repeats exactly.

use super::{Fields, STAR};

/// Days in a 400-year Gregorian cycle (a whole number of weeks, so weekdays repeat too).
pub(super) const CYCLE_DAYS: i64 = 146_097;
const CYCLE_START_YEAR: i64 = 2000;
const MINUTES_PER_DAY: i64 = 1440;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub(super) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * CYCLE_DAYS + doe - 719_468
}

/// The civil (year, month, day) of a day number, inverse of [`days_from_civil`].
pub(super) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(CYCLE_DAYS);
    let doe = z - era * CYCLE_DAYS;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

pub(super) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The mask of every day of a month (bits 1..=length).
fn full_month(year: i64, month: u32) -> u32 {
    ((1u64 << (days_in_month(year, month) + 1)) - 2) as u32
}

/// Which days of a month fire, as a bit mask over days 1..=31, with robfig's rule: when either
/// day field is a star, a day must match both; otherwise matching either suffices (Vixie cron).
pub(super) struct DayMatcher {
    months: u64,
    dom: u32,
    /// `by_first_weekday[w]`: the days whose weekday is allowed, in a month starting on weekday
    /// `w` (0 = Sunday).
    by_first_weekday: [u32; 7],
    both: bool,
}

impl DayMatcher {
    pub(super) fn new(fields: &Fields) -> Self {
        let mut by_first_weekday = [0u32; 7];
        for (first, mask) in by_first_weekday.iter_mut().enumerate() {
            for day in 1..=31u32 {
                let weekday = (first as u32 + day - 1) % 7;
                if fields.dow & (1 << weekday) != 0 {
                    *mask |= 1 << day;
                }
            }
        }
        DayMatcher {
            months: fields.month,
            dom: (fields.dom & 0xFFFF_FFFE) as u32,
            by_first_weekday,
            both: fields.dom & STAR != 0 || fields.dow & STAR != 0,
        }
    }

    pub(super) fn mask(&self, year: i64, month: u32) -> u32 {
        if self.months & (1 << month) == 0 {
            return 0;
        }
        let in_month = full_month(year, month);
        let first_weekday = (days_from_civil(year, month, 1) + 4).rem_euclid(7) as usize;
        let dow = self.by_first_weekday[first_weekday];
        let days = if self.both { self.dom & dow } else { self.dom | dow };
        days & in_month
    }
}

/// The minutes of the day that fire, ascending.
pub(super) fn minutes_of_day(fields: &Fields) -> Vec<u16> {
    let mut out = Vec::new();
    for hour in 0..24u16 {
        if fields.hour & (1 << hour) == 0 {
            continue;
        }
        for minute in 0..60u16 {
            if fields.minute & (1 << minute) != 0 {
                out.push(hour * 60 + minute);
            }
        }
    }
    out
}

/// First fire day, last fire day and longest gap between fire days inside one month.
#[derive(Clone, Copy)]
struct MonthShape {
    first: u32,
    last: u32,
    inner_gap: u32,
}

impl MonthShape {
    fn of(mask: u32) -> Option<MonthShape> {
        if mask == 0 {
            return None;
        }
        let (mut inner_gap, mut previous) = (0, None);
        let mut rest = mask;
        while rest != 0 {
            let day = rest.trailing_zeros();
            rest &= rest - 1;
            if let Some(p) = previous {
                inner_gap = inner_gap.max(day - p);
            }
            previous = Some(day);
        }
        Some(MonthShape { first: mask.trailing_zeros(), last: 31 - mask.leading_zeros(), inner_gap })
    }
}

/// The longest wall-clock gap in seconds between consecutive fires, over a full cycle (wrapping
/// from its end to its start), or `None` when the schedule never fires (e.g. `0 0 30 2 *`).
/// A month's fire days depend only on (month, leap year, weekday of the 1st), so the 4800
/// months of the cycle reuse at most 168 shapes.
pub(super) fn max_civil_gap(fields: &Fields) -> Option<i64> {
    let times = minutes_of_day(fields);
    let (first_time, last_time) = (i64::from(*times.first()?), i64::from(*times.last()?));
    let matcher = DayMatcher::new(fields);
    let mut shapes: [[Option<Option<MonthShape>>; 7]; 26] = [[None; 7]; 26];
    let mut first_day = None;
    let mut previous_day: Option<i64> = None;
    let mut max_day_gap = 0;
    let mut month_start = days_from_civil(CYCLE_START_YEAR, 1, 1) - 1;
    for year in CYCLE_START_YEAR..CYCLE_START_YEAR + 400 {
        for month in 1..=12 {
            let length = days_in_month(year, month);
            let first_weekday = (month_start + 1 + 4).rem_euclid(7) as usize;
            let slot = (month as usize) * 2 + usize::from(length == 29);
            let shape = *shapes[slot][first_weekday].get_or_insert_with(|| MonthShape::of(matcher.mask(year, month)));
            if let Some(shape) = shape {
                let first = month_start + i64::from(shape.first);
                if let Some(previous) = previous_day {
                    max_day_gap = max_day_gap.max(first - previous);
                }
                max_day_gap = max_day_gap.max(i64::from(shape.inner_gap));
                first_day.get_or_insert(first);
                previous_day = Some(month_start + i64::from(shape.last));
            }
            month_start += i64::from(length);
        }
    }
    let (first_day, last_day) = (first_day?, previous_day?);
    max_day_gap = max_day_gap.max(first_day + CYCLE_DAYS - last_day);
    let across_days = max_day_gap * MINUTES_PER_DAY + first_time - last_time;
    let within_day = times.windows(2).map(|w| i64::from(w[1] - w[0])).max().unwrap_or(0);
    Some(across_days.max(within_day) * 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::schedule::Kind;

    fn gap(spec: &str) -> Option<i64> {
        match super::super::parse::parse_spec(spec).expect(spec) {
            Kind::Fields(f) => max_civil_gap(&f),
            Kind::Every(_) => panic!("not a field schedule"),
        }
    }

    const HOUR: i64 = 3600;
    const DAY: i64 = 86_400;

    #[test]
    fn calendar_math_round_trips_and_knows_weekdays() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for days in [-800_000, -1, 0, 59, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        // 2026-11-25 is a Wednesday.
        assert_eq!((days_from_civil(2026, 11, 25) + 4).rem_euclid(7), 3);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
    }

    #[test]
    fn dense_schedules_have_their_step_as_gap() {
        assert_eq!(gap("* * * * *"), Some(60));
        assert_eq!(gap("*/15 * * * *"), Some(15 * 60));
        assert_eq!(gap("@hourly"), Some(HOUR));
        assert_eq!(gap("0 */6 * * *"), Some(6 * HOUR));
    }

    #[test]
    fn uneven_steps_wrap_around_midnight() {
        // 0, 7, 14, 21 h: the gap from 21:00 to 00:00 is 3 h, from 0 to 7 is 7 h.
        assert_eq!(gap("0 */7 * * *"), Some(7 * HOUR));
        // 0:00 and 1:00 only: 23 h until the next day's 0:00.
        assert_eq!(gap("0 0,1 * * *"), Some(23 * HOUR));
    }

    #[test]
    fn weekday_only_schedules_span_the_weekend() {
        assert_eq!(gap("0 9 * * MON-FRI"), Some(3 * DAY));
        assert_eq!(gap("@weekly"), Some(7 * DAY));
    }

    #[test]
    fn day_of_month_schedules_see_short_months_and_leap_years() {
        // Aug 31 -> Oct 31 (September has no 31st).
        assert_eq!(gap("0 0 31 * *"), Some(61 * DAY));
        // Feb 29 skips 2100, 2200 and 2300 within the cycle: 8 years.
        assert_eq!(gap("0 0 29 2 *"), Some((365 * 8 + 1) * DAY));
        assert_eq!(gap("@monthly"), Some(31 * DAY));
        assert_eq!(gap("@yearly"), Some(366 * DAY));
    }

    #[test]
    fn day_of_month_or_weekday_when_neither_is_a_star() {
        // The 1st or any Monday: never more than 7 days apart.
        assert_eq!(gap("0 0 1 * MON"), Some(7 * DAY));
        // A step makes the day-of-month field a non-star in robfig, so days are ORed with Sundays.
        assert_eq!(gap("0 0 */10 * SUN"), gap("0 0 1,11,21,31 * SUN"));
    }

    #[test]
    fn impossible_dates_never_fire() {
        assert_eq!(gap("0 0 30 2 *"), None);
        assert_eq!(gap("0 0 31 4,6,9,11 *"), None);
        assert_eq!(gap(", * * * *"), None);
    }
}
