//! Schedule analysis: time zones as the controller picks them, DST gaps, caching, speed.

use super::*;

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

fn now() -> Timestamp {
    "2026-11-25T10:00:00Z".parse().expect("timestamp")
}

fn gap(schedule: &str, time_zone: Option<&str>) -> Gap {
    analyze(schedule, time_zone, now()).expect(schedule).gap
}

/// Zone-dependent tests need the host's time zone database; say so plainly when it is absent.
fn have_tzdb() -> bool {
    let present = !jiff::tz::db().is_definitively_empty();
    if !present {
        eprintln!("notice: no time zone database on this host; skipping a DST test");
    }
    present
}

#[test]
fn utc_schedules_keep_their_wall_clock_gap() {
    assert_eq!(gap("0 3 * * *", None), Gap::AtMost(DAY));
    assert_eq!(gap("*/5 * * * *", Some("UTC")), Gap::AtMost(300));
    assert_eq!(gap("0 0 30 2 *", None), Gap::Never);
}

#[test]
fn every_descriptor_is_a_constant_delay_whatever_the_zone() {
    assert_eq!(gap("@every 90m", None), Gap::AtMost(90 * 60));
    if have_tzdb() {
        assert_eq!(gap("@every 90m", Some("America/New_York")), Gap::AtMost(90 * 60));
    }
}

#[test]
fn spring_forward_skips_a_run_inside_the_missing_hour() {
    if !have_tzdb() {
        return;
    }
    // 02:30 does not exist on the spring-forward day: the previous 02:30 EST is 47 h before
    // the next 02:30 EDT.
    assert_eq!(gap("30 2 * * *", Some("America/New_York")), Gap::AtMost(47 * HOUR));
    // Europe switches at 02:00 -> 03:00 local as well.
    assert_eq!(gap("30 2 * * *", Some("Europe/Berlin")), Gap::AtMost(47 * HOUR));
}

#[test]
fn fall_back_lengthens_a_daily_gap_by_the_repeated_hour() {
    if !have_tzdb() {
        return;
    }
    assert_eq!(gap("0 3 * * *", Some("America/New_York")), Gap::AtMost(25 * HOUR));
    // The repeated 01:00 fires twice, which never makes a gap longer.
    assert_eq!(gap("0 1 * * *", Some("America/New_York")), Gap::AtMost(DAY));
}

/// Issue 14: zones whose DST shift is not a whole hour, or not on the hour, read exactly as the
/// controller's robfig/cron v3 `Next` reads them (figures checked against robfig v3.0.1).
#[test]
fn half_hour_and_quarter_hour_dst_shifts_follow_the_controller() {
    // Lord Howe falls back 02:00 +11 -> 01:30 +10:30: `Next` adds hours from midnight, lands on
    // 12:30 and skips the day's noon run: Saturday 12:00 to Monday 12:00 is 48 h 30 m.
    assert_eq!(gap("0 12 * * *", Some("Australia/Lord_Howe")), Gap::AtMost(48 * HOUR + 30 * 60));
    // Chatham springs forward 02:45 +12:45 -> 03:45 +13:45: `Next` reaches 02:00, then adds
    // minutes straight to 03:45, which matches minute 45: it runs, an hour late, not skipped.
    assert_eq!(gap("45 2 * * *", Some("Pacific/Chatham")), Gap::AtMost(25 * HOUR));
}

#[test]
fn dense_schedules_are_unaffected_by_dst() {
    if !have_tzdb() {
        return;
    }
    assert_eq!(gap("* * * * *", Some("America/New_York")), Gap::AtMost(60));
    assert_eq!(gap("*/15 * * * *", Some("Europe/London")), Gap::AtMost(15 * 60));
    assert_eq!(gap("0 * * * *", Some("Australia/Lord_Howe")), Gap::AtMost(HOUR + 30 * 60));
}

#[test]
fn zones_without_dst_match_utc() {
    if !have_tzdb() {
        return;
    }
    assert_eq!(gap("30 2 * * *", Some("Asia/Tokyo")), Gap::AtMost(DAY));
    assert_eq!(gap("0 0 31 * *", Some("Asia/Kolkata")), Gap::AtMost(61 * DAY));
}

#[test]
fn monthly_gap_across_fall_back_gains_an_hour() {
    if !have_tzdb() {
        return;
    }
    // Oct 31 -> Dec 31 spans the November fall-back in New York.
    assert_eq!(gap("0 0 31 * *", Some("America/New_York")), Gap::AtMost(61 * DAY + HOUR));
}

#[test]
fn tz_prefix_is_honoured_as_the_controller_does_and_flagged_legacy() {
    let a = analyze("CRON_TZ=UTC 0 3 * * *", None, now()).expect("valid");
    assert!(a.legacy_prefix);
    assert_eq!(a.zone, "UTC");
    assert_eq!(a.gap, Gap::AtMost(DAY));
    if have_tzdb() {
        let a = analyze("TZ=America/New_York 30 2 * * *", None, now()).expect("valid");
        assert_eq!((a.zone.as_str(), a.gap), ("America/New_York", Gap::AtMost(47 * HOUR)));
    }
}

#[test]
fn invalid_zones_and_combinations_are_the_objects_fault() {
    let invalid = |schedule: &str, tz: Option<&str>| match analyze(schedule, tz, now()) {
        Err(ScheduleError::Invalid(message)) => message,
        other => panic!("{schedule} {tz:?}: expected invalid, got {other:?}"),
    };
    assert_eq!(
        invalid("TZ=UTC 0 3 * * *", Some("UTC")),
        "cannot use both timeZone field and TZ or CRON_TZ in schedule"
    );
    assert_eq!(invalid("0 3 * * *", Some("")), "timeZone must be nil or non-empty string");
    assert!(invalid("0 3 * * *", Some("local")).contains("explicit time zone"));
    assert_eq!(invalid("0 3 * * *", Some("Europe/../etc")), "unknown time zone Europe/../etc");
    assert_eq!(invalid("0 3 * * *", Some("timeZoneValue")), "unknown time zone timeZoneValue");
    if have_tzdb() {
        assert_eq!(invalid("0 3 * * *", Some("Europe/Pariss")), "unknown time zone Europe/Pariss");
        assert_eq!(invalid("TZ=Mars/Olympus 0 3 * * *", None), "provided bad location Mars/Olympus");
    }
    assert!(invalid("61 * * * *", None).contains("above maximum"));
}

#[test]
fn repeated_analysis_is_cached_and_identical() {
    let first = analyze("7 7 * * 1", None, now());
    let second = analyze("7 7 * * 1", None, now());
    assert_eq!(first, second);
    assert_eq!(first.expect("valid").gap, Gap::AtMost(7 * DAY));
}

#[test]
fn analysis_is_fast_even_uncached() {
    if !have_tzdb() {
        return;
    }
    // The first lookup loads the zone from disk; time the analysis, not that.
    let _ = analyze_uncached("0 0 1 1 *", Some("America/New_York"), 2026);
    let schedules = ["*/5 * * * *", "30 2 * * *", "0 0 29 2 *", "0 9 * * MON-FRI", "0 0 31 * *"];
    let started = std::time::Instant::now();
    for schedule in schedules {
        assert!(analyze_uncached(schedule, Some("America/New_York"), 2026).is_ok());
    }
    let per_schedule = started.elapsed() / schedules.len() as u32;
    // Release builds take well under a millisecond; unoptimized test builds on a busy machine
    // ~30x longer. The bound still catches a minute-by-minute walk (seconds in a test build).
    assert!(per_schedule < std::time::Duration::from_millis(150), "{per_schedule:?} per schedule");
}

#[test]
fn spans_are_formatted_briefly() {
    assert_eq!(format_secs(45), "45s");
    assert_eq!(format_secs(90), "1m30s");
    assert_eq!(format_secs(25 * HOUR), "25h");
    assert_eq!(format_secs(47 * HOUR), "47h");
    assert_eq!(format_secs(61 * DAY + HOUR), "61d1h");
    assert_eq!(format_secs(0), "0s");
    assert_eq!(format_secs(84 * DAY + 9 * HOUR + 13 * 60 + 28), "84d9h");
    assert_eq!(format_secs(6 * HOUR + 59 * 60 + 20), "6h59m");
    assert_eq!(format_secs(2 * DAY + 5), "2d");
    assert_eq!(format_secs(48 * HOUR + 30 * 60), "2d30m");
    assert_eq!(format_secs(DAY + 30 * 60), "24h30m");
}
