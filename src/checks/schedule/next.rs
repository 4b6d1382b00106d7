//! robfig/cron v3's `SpecSchedule.Next`, step for step, over Go's `time` semantics: the
//! function the CronJob controller calls to find each run.
//!
//! Near a DST transition the controller's runs are not "every instant whose wall-clock time
//! matches": `Next` walks wall-clock fields but moves by adding absolute hours and minutes, so
//! a 30-minute shift (Australia/Lord_Howe) or a 02:45 transition (Pacific/Chatham) lands it on
//! times a wall-clock reading would not pick. Only a literal port reproduces that, including
//! Go's `time.Date` choice for wall-clock times a transition skips or repeats.

use std::cell::Cell;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::civil::{civil_from_days, days_from_civil};
use super::{Fields, STAR};

/// robfig gives up (returns the zero time) when nothing matches within five years.
const YEAR_LIMIT: i64 = 5;

/// The local fields of an instant, as Go's `Time` accessors return them.
#[derive(Clone, Copy, Debug)]
struct Local {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    weekday: u32,
}

/// Go's `time.Time` in one location, reduced to what `Next` uses: whole seconds (runs carry no
/// nanoseconds, and `Next` drops them first).
struct Clock<'a> {
    tz: &'a TimeZone,
    /// The offset last looked up and the span `[start, end)` up to the next transition it holds for:
    /// `Next` reads the local time dozens of times within hours, so one lookup serves them all.
    span: Cell<(i64, i64, i64)>,
}

impl Clock<'_> {
    fn new(tz: &TimeZone) -> Clock<'_> {
        Clock { tz, span: Cell::new((0, 0, 0)) }
    }

    /// The UTC offset at `unix`, in seconds (`Location.lookup`).
    fn offset(&self, unix: i64) -> i64 {
        let (start, end, offset) = self.span.get();
        if (start..end).contains(&unix) {
            return offset;
        }
        let Ok(at) = Timestamp::from_second(unix) else { return 0 };
        let offset = i64::from(self.tz.to_offset(at).seconds());
        // The span runs from here to the next transition; `Next` mostly walks forward, and a
        // step back simply looks up again.
        let end = self.tz.following(at).next().map_or(i64::MAX, |t| t.timestamp().as_second());
        self.span.set((unix, end, offset));
        offset
    }

    fn local(&self, unix: i64) -> Local {
        let wall = unix + self.offset(unix);
        let (days, secs) = (wall.div_euclid(86_400), wall.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        Local {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs % 3600 / 60,
            second: secs % 60,
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }

    /// `time.Date(year, month, day, hour, min, sec, 0, loc)`: fields may overflow (month 13,
    /// day 32) and are normalised first. The offset is looked up at the wall-clock time read as
    /// UTC, then again at the instant that gives, exactly as Go does: a skipped or repeated
    /// wall-clock time gets Go's answer, not some other library's.
    fn date(&self, year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> i64 {
        let month0 = month - 1;
        let (year, month) = (year + month0.div_euclid(12), month0.rem_euclid(12) + 1);
        let days = days_from_civil(year, month as u32, 1) + day - 1;
        let wall = days * 86_400 + hour * 3600 + minute * 60 + second;
        let guess = self.offset(wall);
        wall - self.offset(wall - guess)
    }

    /// `t.AddDate(years, months, days)`: `time.Date` over the shifted local fields.
    fn add_date(&self, unix: i64, months: i64, days: i64) -> i64 {
        let l = self.local(unix);
        self.date(l.year, i64::from(l.month) + months, i64::from(l.day) + days, l.hour, l.minute, l.second)
    }
}

fn has(bits: u64, value: i64) -> bool {
    (0..64).contains(&value) && bits & (1 << value) != 0
}

/// robfig's `dayMatches`: both day fields must match when either is a star, else either.
fn day_matches(fields: &Fields, l: &Local) -> bool {
    let dom = has(fields.dom, i64::from(l.day));
    let dow = has(fields.dow, i64::from(l.weekday));
    if fields.dom & STAR != 0 || fields.dow & STAR != 0 { dom && dow } else { dom || dow }
}

/// `SpecSchedule.Next(after)` in `tz`, as a Unix second; `None` where robfig returns the zero
/// time (nothing within five years). The seconds field of a five-field schedule is `0`.
pub(super) fn next(fields: &Fields, tz: &TimeZone, after: i64) -> Option<i64> {
    let clock = Clock::new(tz);
    // "Start at the earliest possible time (the upcoming second)."
    let mut t = after + 1;
    let mut added = false;
    let year_limit = clock.local(t).year + YEAR_LIMIT;
    'wrap: loop {
        if clock.local(t).year > year_limit {
            return None;
        }
        while !has(fields.month, i64::from(clock.local(t).month)) {
            if !added {
                added = true;
                let l = clock.local(t);
                t = clock.date(l.year, i64::from(l.month), 1, 0, 0, 0);
            }
            t = clock.add_date(t, 1, 0);
            if clock.local(t).month == 1 {
                continue 'wrap;
            }
        }
        while !day_matches(fields, &clock.local(t)) {
            if !added {
                added = true;
                let l = clock.local(t);
                t = clock.date(l.year, i64::from(l.month), i64::from(l.day), 0, 0, 0);
            }
            t = clock.add_date(t, 0, 1);
            // robfig: "Notice if the hour is no longer midnight due to DST."
            let hour = clock.local(t).hour;
            if hour != 0 {
                t += if hour > 12 { (24 - hour) * 3600 } else { -hour * 3600 };
            }
            if clock.local(t).day == 1 {
                continue 'wrap;
            }
        }
        while !has(fields.hour, clock.local(t).hour) {
            if !added {
                added = true;
                let l = clock.local(t);
                t = clock.date(l.year, i64::from(l.month), i64::from(l.day), l.hour, 0, 0);
            }
            t += 3600;
            if clock.local(t).hour == 0 {
                continue 'wrap;
            }
        }
        while !has(fields.minute, clock.local(t).minute) {
            if !added {
                added = true;
                // `Truncate(time.Minute)` works on absolute time, not on the local reading.
                t -= t.rem_euclid(60);
            }
            t += 60;
            if clock.local(t).minute == 0 {
                continue 'wrap;
            }
        }
        if clock.local(t).second != 0 {
            added = true;
            loop {
                // robfig adds one second at a time until the local second is 0; with the
                // offset unchanged over the stretch, that is one jump to the minute.
                let jump = 60 - clock.local(t).second;
                let here = clock.offset(t);
                t += if clock.offset(t + jump) == here { jump } else { 1 };
                if clock.local(t).second == 0 {
                    continue 'wrap;
                }
            }
        }
        return Some(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::schedule::{Kind, parse};

    fn fields(spec: &str) -> Fields {
        match parse::parse_spec(spec).expect(spec) {
            Kind::Fields(f) => f,
            Kind::Every(_) => panic!("not a field schedule"),
        }
    }

    fn at(text: &str) -> i64 {
        text.parse::<Timestamp>().expect(text).as_second()
    }

    fn runs(spec: &str, zone: &str, from: &str, count: usize) -> Vec<String> {
        let tz = TimeZone::get(zone).expect(zone);
        let f = fields(spec);
        let mut t = at(from);
        (0..count)
            .map(|_| {
                t = next(&f, &tz, t).expect("a run");
                let ts = Timestamp::from_second(t).expect("in range");
                ts.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
            })
            .collect()
    }

    #[test]
    fn lord_howe_skips_noon_on_the_day_its_half_hour_dst_ends() {
        // 2026-04-05 02:00 +11 -> 01:30 +10:30. robfig v3.0.1 answers the same.
        let got = runs("0 12 * * *", "Australia/Lord_Howe", "2026-04-04T01:00:00Z", 2);
        assert_eq!(got, ["2026-04-06T12:00:00+10:30", "2026-04-07T12:00:00+10:30"]);
    }

    #[test]
    fn chatham_runs_at_three_forty_five_when_dst_starts_at_two_forty_five() {
        // 2026-09-27 02:45 +12:45 -> 03:45 +13:45.
        let got = runs("45 2 * * *", "Pacific/Chatham", "2026-09-25T12:00:00Z", 3);
        assert_eq!(got, ["2026-09-26T02:45:00+12:45", "2026-09-27T03:45:00+13:45", "2026-09-28T02:45:00+13:45"]);
    }

    #[test]
    fn new_york_skips_the_missing_hour_and_repeats_the_doubled_one() {
        let spring = runs("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", 2);
        assert_eq!(spring, ["2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"]);
        let fall = runs("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 3);
        assert_eq!(fall, ["2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00", "2026-11-02T01:30:00-05:00"]);
    }

    #[test]
    fn gives_up_after_five_years_like_robfig() {
        let tz = TimeZone::UTC;
        assert_eq!(next(&fields("0 0 30 2 *"), &tz, at("2026-01-01T00:00:00Z")), None);
    }
}
