//! robfig/cron v3 (the CronJob controller's scheduler) and CronJob schedule validation:
//! activation, `Next`, parse errors, DST in many zones, `spec.schedule` / `spec.timeZone`.
//!
//! Upstream times without a zone are in Go's `time.Local`; they are read in UTC here, the zone
//! of kube-controller-manager in practically every cluster (readygate assumes the same).
//! Six-field specs of robfig's tests carry a seconds field: with seconds `0` they are the
//! five-field CronJob schedule that follows; other seconds cannot be written in a CronJob.

use jiff::Timestamp;
use readygate::checks::schedule::{Gap, analyze, next_run};

use super::support::{Case, Verdict, Verdict::*, judge};

const ACTIVATION: &str = "robfig/cron v3.0.1 spec_test.go TestActivation";
const NEXT: &str = "robfig/cron v3.0.1 spec_test.go TestNext";
const NEXT_TZ: &str = "robfig/cron v3.0.1 spec_test.go TestNextWithTz";
const ERRORS: &str = "robfig/cron v3.0.1 spec_test.go TestErrors";
const SLASH0: &str = "robfig/cron v3.0.1 spec_test.go TestSlash0NoHang";
const RANGE: &str = "robfig/cron v3.0.1 parser_test.go TestRange";
const PARSE_ERRORS: &str = "robfig/cron v3.0.1 parser_test.go TestParseScheduleErrors";
const STANDARD: &str = "robfig/cron v3.0.1 parser_test.go TestStandardSpecSchedule";
const BATCH: &str = "kubernetes pkg/apis/batch/validation/validation_test.go TestValidateCronJob";
const DST: &str = "robfig/cron v3.0.1 SpecSchedule.Next run from 2026-01-01 to 2054 (longest gap), by \
                   kube-controller-manager's reading of spec.timeZone";

const SECONDS: Verdict = NotExpressible("a seconds field other than 0: CronJob schedules have five fields");
const LEGACY_TZ: Verdict = Differs(
    "a TZ=/CRON_TZ= prefix is read, not refused: readygate judges existing CronJobs, which may predate the \
     API server's rule (docs/checks.md, cronJob)",
);

/// `Mon Jul 9 15:04 2012`, `Mon Jul 9 14:59:59 2012` (read in UTC), `2012-03-11T00:00:00-0500`,
/// and any of them after `TZ=<zone> ` (which only names the location, not the instant).
fn instant(text: &str) -> (i64, Option<&str>) {
    let (zone, text) = match text.strip_prefix("TZ=").and_then(|rest| rest.split_once(' ')) {
        Some((zone, rest)) => (Some(zone), rest),
        None => (None, text),
    };
    if let [_, month, day, clock, year] = text.split_whitespace().collect::<Vec<_>>()[..] {
        let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            .iter()
            .position(|m| *m == month)
            .expect("month")
            + 1;
        let clock = if clock.len() <= 5 { format!("{clock}:00") } else { clock.to_owned() };
        let text = format!("{year}-{month:02}-{:02}T{clock}Z", day.parse::<u8>().expect("day"));
        return (text.parse::<Timestamp>().expect("time").as_second(), zone);
    }
    let (body, offset) = text.split_at(text.len() - 5);
    let text = format!("{body}{}:{}", &offset[..3], &offset[3..]);
    (text.parse::<Timestamp>().expect("time").as_second(), zone)
}

fn next(schedule: &str, zone: Option<&str>, after: i64) -> Option<i64> {
    let after = Timestamp::from_second(after).expect("in range");
    next_run(schedule, zone, after).expect(schedule).map(|t| t.as_second())
}

/// robfig's six-field spec as a CronJob schedule, or `None` when its seconds are not 0.
fn five_fields(spec: &str) -> Option<String> {
    let (prefix, fields) = match spec.split_once(' ') {
        Some((tz, rest)) if tz.contains("TZ=") => (format!("{tz} "), rest),
        _ => (String::new(), spec),
    };
    let (seconds, rest) = fields.split_once(' ')?;
    (seconds == "0").then(|| format!("{prefix}{rest}"))
}

fn refused(schedule: &str, zone: Option<&str>) -> bool {
    analyze(schedule, zone, "2026-06-01T00:00:00Z".parse().expect("now")).is_err()
}

fn activation() -> Vec<Case<bool>> {
    let table = [
        ("Mon Jul 9 15:00 2012", "0/15 * * * *", true),
        ("Mon Jul 9 15:45 2012", "0/15 * * * *", true),
        ("Mon Jul 9 15:40 2012", "0/15 * * * *", false),
        ("Mon Jul 9 15:05 2012", "5/15 * * * *", true),
        ("Mon Jul 9 15:20 2012", "5/15 * * * *", true),
        ("Mon Jul 9 15:50 2012", "5/15 * * * *", true),
        ("Sun Jul 15 15:00 2012", "0/15 * * Jul *", true),
        ("Sun Jul 15 15:00 2012", "0/15 * * Jun *", false),
        ("Sun Jul 15 08:30 2012", "30 08 ? Jul Sun", true),
        ("Sun Jul 15 08:30 2012", "30 08 15 Jul ?", true),
        ("Mon Jul 16 08:30 2012", "30 08 ? Jul Sun", false),
        ("Mon Jul 16 08:30 2012", "30 08 15 Jul ?", false),
        ("Mon Jul 9 15:00 2012", "@hourly", true),
        ("Mon Jul 9 15:04 2012", "@hourly", false),
        ("Mon Jul 9 15:00 2012", "@daily", false),
        ("Mon Jul 9 00:00 2012", "@daily", true),
        ("Mon Jul 9 00:00 2012", "@weekly", false),
        ("Sun Jul 8 00:00 2012", "@weekly", true),
        ("Sun Jul 8 01:00 2012", "@weekly", false),
        ("Sun Jul 8 00:00 2012", "@monthly", false),
        ("Sun Jul 1 00:00 2012", "@monthly", true),
        ("Sun Jul 15 00:00 2012", "* * 1,15 * Sun", true),
        ("Fri Jun 15 00:00 2012", "* * 1,15 * Sun", true),
        ("Wed Aug 1 00:00 2012", "* * 1,15 * Sun", true),
        ("Sun Jul 15 00:00 2012", "* * */10 * Sun", true),
        ("Sun Jul 15 00:00 2012", "* * * * Mon", false),
        ("Mon Jul 9 00:00 2012", "* * 1,15 * *", false),
        ("Sun Jul 15 00:00 2012", "* * 1,15 * *", true),
        ("Sun Jul 15 00:00 2012", "* * */2 * Sun", true),
    ];
    table
        .into_iter()
        .map(|(time, spec, expected)| {
            let (t, _) = instant(time);
            let fires = next(spec, Some("UTC"), t - 1) == Some(t);
            (format!("{ACTIVATION}: {spec:?} at {time}"), Agree, Some((expected, fires)))
        })
        .collect()
}

fn next_cases() -> Vec<Case<Option<i64>>> {
    let table = [
        ("Mon Jul 9 14:45 2012", "0 0/15 * * * *", "Mon Jul 9 15:00 2012"),
        ("Mon Jul 9 14:59 2012", "0 0/15 * * * *", "Mon Jul 9 15:00 2012"),
        ("Mon Jul 9 14:59:59 2012", "0 0/15 * * * *", "Mon Jul 9 15:00 2012"),
        ("Mon Jul 9 15:45 2012", "0 20-35/15 * * * *", "Mon Jul 9 16:20 2012"),
        ("Mon Jul 9 23:46 2012", "0 */15 * * * *", "Tue Jul 10 00:00 2012"),
        ("Mon Jul 9 23:45 2012", "0 20-35/15 * * * *", "Tue Jul 10 00:20 2012"),
        ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 * * * *", "Tue Jul 10 00:20:15 2012"),
        ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 1/2 * * *", "Tue Jul 10 01:20:15 2012"),
        ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 10-12 * * *", "Tue Jul 10 10:20:15 2012"),
        ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 1/2 */2 * *", "Thu Jul 11 01:20:15 2012"),
        ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 * 9-20 * *", "Wed Jul 10 00:20:15 2012"),
        ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 * 9-20 Jul *", "Wed Jul 10 00:20:15 2012"),
        ("Mon Jul 9 23:35 2012", "0 0 0 9 Apr-Oct ?", "Thu Aug 9 00:00 2012"),
        ("Mon Jul 9 23:35 2012", "0 0 0 */5 Apr,Aug,Oct Mon", "Tue Aug 1 00:00 2012"),
        ("Mon Jul 9 23:35 2012", "0 0 0 */5 Oct Mon", "Mon Oct 1 00:00 2012"),
        ("Mon Jul 9 23:35 2012", "0 0 0 * Feb Mon", "Mon Feb 4 00:00 2013"),
        ("Mon Jul 9 23:35 2012", "0 0 0 * Feb Mon/2", "Fri Feb 1 00:00 2013"),
        ("Mon Dec 31 23:59:45 2012", "0 * * * * *", "Tue Jan 1 00:00:00 2013"),
        ("Mon Jul 9 23:35 2012", "0 0 0 29 Feb ?", "Mon Feb 29 00:00 2016"),
        ("2012-03-11T00:00:00-0500", "TZ=America/New_York 0 30 2 11 Mar ?", "2013-03-11T02:30:00-0400"),
        ("2012-03-11T00:00:00-0500", "TZ=America/New_York 0 0 * * * ?", "2012-03-11T01:00:00-0500"),
        ("2012-03-11T01:00:00-0500", "TZ=America/New_York 0 0 * * * ?", "2012-03-11T03:00:00-0400"),
        ("2012-03-11T03:00:00-0400", "TZ=America/New_York 0 0 * * * ?", "2012-03-11T04:00:00-0400"),
        ("2012-03-11T04:00:00-0400", "TZ=America/New_York 0 0 * * * ?", "2012-03-11T05:00:00-0400"),
        ("2012-03-11T00:00:00-0500", "CRON_TZ=America/New_York 0 0 * * * ?", "2012-03-11T01:00:00-0500"),
        ("2012-03-11T01:00:00-0500", "CRON_TZ=America/New_York 0 0 * * * ?", "2012-03-11T03:00:00-0400"),
        ("2012-03-11T03:00:00-0400", "CRON_TZ=America/New_York 0 0 * * * ?", "2012-03-11T04:00:00-0400"),
        ("2012-03-11T04:00:00-0400", "CRON_TZ=America/New_York 0 0 * * * ?", "2012-03-11T05:00:00-0400"),
        ("2012-03-11T00:00:00-0500", "TZ=America/New_York 0 0 1 * * ?", "2012-03-11T01:00:00-0500"),
        ("2012-03-11T01:00:00-0500", "TZ=America/New_York 0 0 1 * * ?", "2012-03-12T01:00:00-0400"),
        ("2012-03-11T00:00:00-0500", "TZ=America/New_York 0 0 2 * * ?", "2012-03-12T02:00:00-0400"),
        ("2012-11-04T00:00:00-0400", "TZ=America/New_York 0 30 2 04 Nov ?", "2012-11-04T02:30:00-0500"),
        ("2012-11-04T01:45:00-0400", "TZ=America/New_York 0 30 1 04 Nov ?", "2012-11-04T01:30:00-0500"),
        ("2012-11-04T00:00:00-0400", "TZ=America/New_York 0 0 * * * ?", "2012-11-04T01:00:00-0400"),
        ("2012-11-04T01:00:00-0400", "TZ=America/New_York 0 0 * * * ?", "2012-11-04T01:00:00-0500"),
        ("2012-11-04T01:00:00-0500", "TZ=America/New_York 0 0 * * * ?", "2012-11-04T02:00:00-0500"),
        ("2012-11-04T00:00:00-0400", "TZ=America/New_York 0 0 1 * * ?", "2012-11-04T01:00:00-0400"),
        ("2012-11-04T01:00:00-0400", "TZ=America/New_York 0 0 1 * * ?", "2012-11-04T01:00:00-0500"),
        ("2012-11-04T01:00:00-0500", "TZ=America/New_York 0 0 1 * * ?", "2012-11-05T01:00:00-0500"),
        ("2012-11-04T00:00:00-0400", "TZ=America/New_York 0 0 2 * * ?", "2012-11-04T02:00:00-0500"),
        ("2012-11-04T02:00:00-0500", "TZ=America/New_York 0 0 2 * * ?", "2012-11-05T02:00:00-0500"),
        ("2012-11-04T00:00:00-0400", "TZ=America/New_York 0 0 3 * * ?", "2012-11-04T03:00:00-0500"),
        ("2012-11-04T03:00:00-0500", "TZ=America/New_York 0 0 3 * * ?", "2012-11-05T03:00:00-0500"),
        ("TZ=America/New_York 2012-11-04T00:00:00-0400", "0 0 * * * ?", "2012-11-04T01:00:00-0400"),
        ("TZ=America/New_York 2012-11-04T01:00:00-0400", "0 0 * * * ?", "2012-11-04T01:00:00-0500"),
        ("TZ=America/New_York 2012-11-04T01:00:00-0500", "0 0 * * * ?", "2012-11-04T02:00:00-0500"),
        ("TZ=America/New_York 2012-11-04T00:00:00-0400", "0 0 1 * * ?", "2012-11-04T01:00:00-0400"),
        ("TZ=America/New_York 2012-11-04T01:00:00-0400", "0 0 1 * * ?", "2012-11-04T01:00:00-0500"),
        ("TZ=America/New_York 2012-11-04T01:00:00-0500", "0 0 1 * * ?", "2012-11-05T01:00:00-0500"),
        ("TZ=America/New_York 2012-11-04T00:00:00-0400", "0 0 2 * * ?", "2012-11-04T02:00:00-0500"),
        ("TZ=America/New_York 2012-11-04T02:00:00-0500", "0 0 2 * * ?", "2012-11-05T02:00:00-0500"),
        ("TZ=America/New_York 2012-11-04T00:00:00-0400", "0 0 3 * * ?", "2012-11-04T03:00:00-0500"),
        ("TZ=America/New_York 2012-11-04T03:00:00-0500", "0 0 3 * * ?", "2012-11-05T03:00:00-0500"),
        ("Mon Jul 9 23:35 2012", "0 0 0 30 Feb ?", ""),
        ("Mon Jul 9 23:35 2012", "0 0 0 31 Apr ?", ""),
        ("TZ=America/New_York 2012-11-04T00:00:00-0400", "0 0 3 3 * ?", "2012-12-03T03:00:00-0500"),
        ("2018-10-17T05:00:00-0400", "TZ=America/Sao_Paulo 0 0 9 10 * ?", "2018-11-10T06:00:00-0500"),
        ("2018-02-14T05:00:00-0500", "TZ=America/Sao_Paulo 0 0 9 22 * ?", "2018-02-22T07:00:00-0500"),
    ];
    let mut cases: Vec<Case<Option<i64>>> = table
        .into_iter()
        .map(|(time, spec, expected)| {
            let name = format!("{NEXT}: {spec:?} after {time}");
            let Some(schedule) = five_fields(spec) else { return (name, SECONDS, None) };
            let (after, time_zone) = instant(time);
            // A schedule without a zone is read in the location of the time it is given.
            let zone = if schedule.contains("TZ=") { None } else { Some(time_zone.unwrap_or("UTC")) };
            let expected = (!expected.is_empty()).then(|| instant(expected).0);
            (name, Agree, Some((expected, next(&schedule, zone, after))))
        })
        .collect();
    // The fixed +05:30 offset of these times is read as Asia/Kolkata (no DST since 1945).
    for (time, spec, expected) in [
        ("2016-01-03T13:09:03+0530", "14 14 * * *", "2016-01-03T14:14:00+0530"),
        ("2016-01-03T04:09:03+0530", "14 14 * * ?", "2016-01-03T14:14:00+0530"),
        ("2016-01-03T14:09:03+0530", "14 14 * * *", "2016-01-03T14:14:00+0530"),
        ("2016-01-03T14:00:00+0530", "14 14 * * ?", "2016-01-03T14:14:00+0530"),
    ] {
        let got = next(spec, Some("Asia/Kolkata"), instant(time).0);
        cases.push((format!("{NEXT_TZ}: {spec:?} after {time}"), Agree, Some((Some(instant(expected).0), got))));
    }
    cases
}

fn parse_errors() -> Vec<Case<bool>> {
    let mut cases = Vec::new();
    for spec in ["xyz", "60 0 * * *", "0 60 * * *", "0 0 * * XYZ"] {
        cases.push((format!("{ERRORS}: {spec:?}"), Agree, Some((true, refused(spec, None)))));
    }
    let spec = "TZ=America/New_York 15/0 * * * *";
    cases.push((format!("{SLASH0}: {spec:?}"), Agree, Some((true, refused(spec, None)))));
    for spec in ["@every Xm", "@unrecognized", "* * * *", ""] {
        cases.push((format!("{PARSE_ERRORS}: {spec:?}"), Agree, Some((true, refused(spec, None)))));
    }
    cases.push((
        format!("{PARSE_ERRORS}: \"* 5 j * * *\""),
        NotExpressible("six fields with seconds: the standard (CronJob) parser refuses six fields outright"),
        None,
    ));
    for (spec, error) in [("5 * * * *", false), ("@every 5m", false), ("5 j * * *", true), ("* * * *", true)] {
        cases.push((format!("{STANDARD}: {spec:?}"), Agree, Some((error, refused(spec, None)))));
    }
    // Range errors of the minute field; the bounds 3-5 of two cases exist in no cron field.
    for expr in ["5--5", "jan-x", "2-x", "*/-12", "*//2", "5-3", "*/0"] {
        let spec = format!("{expr} * * * *");
        cases.push((format!("{RANGE}: {expr:?} (minute field)"), Agree, Some((true, refused(&spec, None)))));
    }
    for expr in ["1 (bounds 3-5)", "6 (bounds 3-5)"] {
        cases.push((format!("{RANGE}: {expr}"), NotExpressible("bounds 3-5 belong to no cron field"), None));
    }
    cases
}

/// The minutes of one hour a minute-field expression fires at, as robfig's bit set.
fn minute_bits(expr: &str) -> u64 {
    let schedule = format!("{expr} * * * *");
    let (start, _) = instant("Mon Jul 9 00:00 2012");
    let mut bits = 0u64;
    let mut t = start - 1;
    while let Some(run) = next(&schedule, Some("UTC"), t).filter(|run| *run < start + 3600) {
        bits |= 1 << ((run - start) / 60);
        t = run;
    }
    bits
}

fn ranges() -> Vec<Case<u64>> {
    let table: [(&str, u64); 9] = [
        ("5", 1 << 5),
        ("0", 1 << 0),
        ("7", 1 << 7),
        ("5-5", 1 << 5),
        ("5-6", 1 << 5 | 1 << 6),
        ("5-7", 1 << 5 | 1 << 6 | 1 << 7),
        ("5-6/2", 1 << 5),
        ("5-7/2", 1 << 5 | 1 << 7),
        ("5-7/1", 1 << 5 | 1 << 6 | 1 << 7),
    ];
    let mut cases: Vec<Case<u64>> = table
        .into_iter()
        .map(|(expr, bits)| (format!("{RANGE}: {expr:?} (minute field)"), Agree, Some((bits, minute_bits(expr)))))
        .collect();
    for expr in ["*", "*/2"] {
        cases.push((
            format!("{RANGE}: {expr:?} bounds 1-3"),
            NotExpressible("bounds 1-3 belong to no cron field"),
            None,
        ));
    }
    cases
}

fn batch_validation() -> Vec<Case<bool>> {
    let mut cases = Vec::new();
    for (case, schedule, zone, valid) in [
        ("basic scheduled job", "* * * * ?", None, true),
        ("non-standard scheduled", "@hourly", None, true),
        ("spec.schedule: Invalid value", "error", None, false),
        ("spec.schedule: Required value", "", None, false),
        ("spec.timeZone: timeZone must be nil or non-empty string", "0 * * * *", Some(""), false),
        ("spec.timeZone: timeZone must be an explicit time zone", "0 * * * *", Some("LOCAL"), false),
        ("spec.timeZone: unknown time zone  Continent/Zone", "0 * * * *", Some(" Continent/Zone"), false),
        ("spec.timeZone: unknown time zone Continent/Zone ", "0 * * * *", Some("Continent/Zone "), false),
        ("spec.timeZone: unknown time zone Continent/InvalidZone", "0 * * * *", Some("Continent/InvalidZone"), false),
        ("spec.timeZone: unknown time zone (empty space)", "0 * * * *", Some(" "), false),
        ("cannot use both timeZone field and TZ or CRON_TZ in schedule", "TZ=UTC 0 * * * *", Some("UTC"), false),
    ] {
        cases.push((format!("{BATCH}: {case}"), Agree, Some((!valid, refused(schedule, zone)))));
    }
    cases.push((
        format!("{BATCH}: correct timeZone value (Continent/Zone)"),
        NotExpressible("the test installs a fake zoneinfo database holding Continent/Zone"),
        None,
    ));
    for schedule in ["TZ=UTC 0 * * * *", "CRON_TZ=UTC 0 * * * *"] {
        cases.push((
            format!("{BATCH}: spec.schedule: cannot use TZ or CRON_TZ in schedule ({schedule:?} on create)"),
            LEGACY_TZ,
            Some((true, refused(schedule, None))),
        ));
    }
    cases
}

/// (zone, schedule, longest gap in seconds by robfig/cron v3.0.1 over 2026-2053), computed by
/// running the controller's own `Next` with Go's tz database (2025b).
const DST_GAPS: &[(&str, &str, i64)] = &[
    ("America/New_York", "0 12 * * *", 90000),
    ("America/New_York", "45 2 * * *", 169200),
    ("America/New_York", "30 2 * * *", 169200),
    ("America/New_York", "0 0 * * *", 90000),
    ("America/New_York", "30 0 * * *", 90000),
    ("America/New_York", "0 * * * *", 3600),
    ("America/New_York", "*/15 * * * *", 900),
    ("America/New_York", "0 1 * * *", 86400),
    ("America/New_York", "30 1 * * *", 86400),
    ("America/New_York", "0 3 * * 0", 608400),
    ("America/New_York", "15 2 1 * *", 2682000),
    ("America/New_York", "59 23 * * *", 90000),
    ("America/New_York", "0 2,14 * * *", 82800),
    ("Europe/London", "0 12 * * *", 90000),
    ("Europe/London", "45 2 * * *", 90000),
    ("Europe/London", "30 2 * * *", 90000),
    ("Europe/London", "0 0 * * *", 90000),
    ("Europe/London", "30 0 * * *", 90000),
    ("Europe/London", "0 * * * *", 3600),
    ("Europe/London", "*/15 * * * *", 900),
    ("Europe/London", "0 1 * * *", 169200),
    ("Europe/London", "30 1 * * *", 169200),
    ("Europe/London", "0 3 * * 0", 608400),
    ("Europe/London", "15 2 1 * *", 2682000),
    ("Europe/London", "59 23 * * *", 90000),
    ("Europe/London", "0 2,14 * * *", 46800),
    ("Europe/Dublin", "0 12 * * *", 90000),
    ("Europe/Dublin", "45 2 * * *", 90000),
    ("Europe/Dublin", "30 2 * * *", 90000),
    ("Europe/Dublin", "0 0 * * *", 90000),
    ("Europe/Dublin", "30 0 * * *", 90000),
    ("Europe/Dublin", "0 * * * *", 3600),
    ("Europe/Dublin", "*/15 * * * *", 900),
    ("Europe/Dublin", "0 1 * * *", 169200),
    ("Europe/Dublin", "30 1 * * *", 169200),
    ("Europe/Dublin", "0 3 * * 0", 608400),
    ("Europe/Dublin", "15 2 1 * *", 2682000),
    ("Europe/Dublin", "59 23 * * *", 90000),
    ("Europe/Dublin", "0 2,14 * * *", 46800),
    ("Australia/Sydney", "0 12 * * *", 90000),
    ("Australia/Sydney", "45 2 * * *", 169200),
    ("Australia/Sydney", "30 2 * * *", 169200),
    ("Australia/Sydney", "0 0 * * *", 90000),
    ("Australia/Sydney", "30 0 * * *", 90000),
    ("Australia/Sydney", "0 * * * *", 3600),
    ("Australia/Sydney", "*/15 * * * *", 900),
    ("Australia/Sydney", "0 1 * * *", 90000),
    ("Australia/Sydney", "30 1 * * *", 90000),
    ("Australia/Sydney", "0 3 * * 0", 608400),
    ("Australia/Sydney", "15 2 1 * *", 5266800),
    ("Australia/Sydney", "59 23 * * *", 90000),
    ("Australia/Sydney", "0 2,14 * * *", 82800),
    ("Australia/Lord_Howe", "0 12 * * *", 174600),
    ("Australia/Lord_Howe", "45 2 * * *", 88200),
    ("Australia/Lord_Howe", "30 2 * * *", 88200),
    ("Australia/Lord_Howe", "0 0 * * *", 174600),
    ("Australia/Lord_Howe", "30 0 * * *", 88200),
    ("Australia/Lord_Howe", "0 * * * *", 5400),
    ("Australia/Lord_Howe", "*/15 * * * *", 900),
    ("Australia/Lord_Howe", "0 1 * * *", 88200),
    ("Australia/Lord_Howe", "30 1 * * *", 86400),
    ("Australia/Lord_Howe", "0 3 * * 0", 1211400),
    ("Australia/Lord_Howe", "15 2 1 * *", 5272200),
    ("Australia/Lord_Howe", "59 23 * * *", 88200),
    ("Australia/Lord_Howe", "0 2,14 * * *", 88200),
    ("Pacific/Chatham", "0 12 * * *", 90000),
    ("Pacific/Chatham", "45 2 * * *", 90000),
    ("Pacific/Chatham", "30 2 * * *", 90000),
    ("Pacific/Chatham", "0 0 * * *", 90000),
    ("Pacific/Chatham", "30 0 * * *", 90000),
    ("Pacific/Chatham", "0 * * * *", 3600),
    ("Pacific/Chatham", "*/15 * * * *", 900),
    ("Pacific/Chatham", "0 1 * * *", 90000),
    ("Pacific/Chatham", "30 1 * * *", 90000),
    ("Pacific/Chatham", "0 3 * * 0", 1206000),
    ("Pacific/Chatham", "15 2 1 * *", 2678400),
    ("Pacific/Chatham", "59 23 * * *", 90000),
    ("Pacific/Chatham", "0 2,14 * * *", 46800),
    ("America/Santiago", "0 12 * * *", 90000),
    ("America/Santiago", "45 2 * * *", 90000),
    ("America/Santiago", "30 2 * * *", 90000),
    ("America/Santiago", "0 0 * * *", 169200),
    ("America/Santiago", "30 0 * * *", 169200),
    ("America/Santiago", "0 * * * *", 3600),
    ("America/Santiago", "*/15 * * * *", 900),
    ("America/Santiago", "0 1 * * *", 90000),
    ("America/Santiago", "30 1 * * *", 90000),
    ("America/Santiago", "0 3 * * 0", 608400),
    ("America/Santiago", "15 2 1 * *", 2678400),
    ("America/Santiago", "59 23 * * *", 86400),
    ("America/Santiago", "0 2,14 * * *", 46800),
    ("America/Havana", "0 12 * * *", 90000),
    ("America/Havana", "45 2 * * *", 90000),
    ("America/Havana", "30 2 * * *", 90000),
    ("America/Havana", "0 0 * * *", 169200),
    ("America/Havana", "30 0 * * *", 169200),
    ("America/Havana", "0 * * * *", 3600),
    ("America/Havana", "*/15 * * * *", 900),
    ("America/Havana", "0 1 * * *", 90000),
    ("America/Havana", "30 1 * * *", 90000),
    ("America/Havana", "0 3 * * 0", 608400),
    ("America/Havana", "15 2 1 * *", 2682000),
    ("America/Havana", "59 23 * * *", 90000),
    ("America/Havana", "0 2,14 * * *", 46800),
    ("America/Asuncion", "0 12 * * *", 86400),
    ("America/Asuncion", "45 2 * * *", 86400),
    ("America/Asuncion", "30 2 * * *", 86400),
    ("America/Asuncion", "0 0 * * *", 86400),
    ("America/Asuncion", "30 0 * * *", 86400),
    ("America/Asuncion", "0 * * * *", 3600),
    ("America/Asuncion", "*/15 * * * *", 900),
    ("America/Asuncion", "0 1 * * *", 86400),
    ("America/Asuncion", "30 1 * * *", 86400),
    ("America/Asuncion", "0 3 * * 0", 604800),
    ("America/Asuncion", "15 2 1 * *", 2678400),
    ("America/Asuncion", "59 23 * * *", 86400),
    ("America/Asuncion", "0 2,14 * * *", 43200),
    ("Asia/Tehran", "0 12 * * *", 86400),
    ("Asia/Tehran", "45 2 * * *", 86400),
    ("Asia/Tehran", "30 2 * * *", 86400),
    ("Asia/Tehran", "0 0 * * *", 86400),
    ("Asia/Tehran", "30 0 * * *", 86400),
    ("Asia/Tehran", "0 * * * *", 3600),
    ("Asia/Tehran", "*/15 * * * *", 900),
    ("Asia/Tehran", "0 1 * * *", 86400),
    ("Asia/Tehran", "30 1 * * *", 86400),
    ("Asia/Tehran", "0 3 * * 0", 604800),
    ("Asia/Tehran", "15 2 1 * *", 2678400),
    ("Asia/Tehran", "59 23 * * *", 86400),
    ("Asia/Tehran", "0 2,14 * * *", 43200),
    ("Africa/Casablanca", "0 12 * * *", 90000),
    ("Africa/Casablanca", "45 2 * * *", 169200),
    ("Africa/Casablanca", "30 2 * * *", 169200),
    ("Africa/Casablanca", "0 0 * * *", 90000),
    ("Africa/Casablanca", "30 0 * * *", 90000),
    ("Africa/Casablanca", "0 * * * *", 3600),
    ("Africa/Casablanca", "*/15 * * * *", 900),
    ("Africa/Casablanca", "0 1 * * *", 90000),
    ("Africa/Casablanca", "30 1 * * *", 90000),
    ("Africa/Casablanca", "0 3 * * 0", 608400),
    ("Africa/Casablanca", "15 2 1 * *", 2682000),
    ("Africa/Casablanca", "59 23 * * *", 90000),
    ("Africa/Casablanca", "0 2,14 * * *", 82800),
    ("Antarctica/Troll", "0 12 * * *", 93600),
    ("Antarctica/Troll", "45 2 * * *", 165600),
    ("Antarctica/Troll", "30 2 * * *", 165600),
    ("Antarctica/Troll", "0 0 * * *", 93600),
    ("Antarctica/Troll", "30 0 * * *", 93600),
    ("Antarctica/Troll", "0 * * * *", 3600),
    ("Antarctica/Troll", "*/15 * * * *", 900),
    ("Antarctica/Troll", "0 1 * * *", 165600),
    ("Antarctica/Troll", "30 1 * * *", 165600),
    ("Antarctica/Troll", "0 3 * * 0", 612000),
    ("Antarctica/Troll", "15 2 1 * *", 2685600),
    ("Antarctica/Troll", "59 23 * * *", 93600),
    ("Antarctica/Troll", "0 2,14 * * *", 79200),
    ("America/Sao_Paulo", "0 12 * * *", 86400),
    ("America/Sao_Paulo", "45 2 * * *", 86400),
    ("America/Sao_Paulo", "30 2 * * *", 86400),
    ("America/Sao_Paulo", "0 0 * * *", 86400),
    ("America/Sao_Paulo", "30 0 * * *", 86400),
    ("America/Sao_Paulo", "0 * * * *", 3600),
    ("America/Sao_Paulo", "*/15 * * * *", 900),
    ("America/Sao_Paulo", "0 1 * * *", 86400),
    ("America/Sao_Paulo", "30 1 * * *", 86400),
    ("America/Sao_Paulo", "0 3 * * 0", 604800),
    ("America/Sao_Paulo", "15 2 1 * *", 2678400),
    ("America/Sao_Paulo", "59 23 * * *", 86400),
    ("America/Sao_Paulo", "0 2,14 * * *", 43200),
    ("Asia/Kolkata", "0 12 * * *", 86400),
    ("Asia/Kolkata", "45 2 * * *", 86400),
    ("Asia/Kolkata", "30 2 * * *", 86400),
    ("Asia/Kolkata", "0 0 * * *", 86400),
    ("Asia/Kolkata", "30 0 * * *", 86400),
    ("Asia/Kolkata", "0 * * * *", 3600),
    ("Asia/Kolkata", "*/15 * * * *", 900),
    ("Asia/Kolkata", "0 1 * * *", 86400),
    ("Asia/Kolkata", "30 1 * * *", 86400),
    ("Asia/Kolkata", "0 3 * * 0", 604800),
    ("Asia/Kolkata", "15 2 1 * *", 2678400),
    ("Asia/Kolkata", "59 23 * * *", 86400),
    ("Asia/Kolkata", "0 2,14 * * *", 43200),
];

fn dst() -> Vec<Case<Gap>> {
    let now = "2026-06-01T00:00:00Z".parse().expect("now");
    DST_GAPS
        .iter()
        .map(|(zone, schedule, secs)| {
            let got = analyze(schedule, Some(zone), now).expect(schedule).gap;
            (format!("{DST}: {schedule:?} in {zone}"), Agree, Some((Gap::AtMost(*secs), got)))
        })
        .collect()
}

#[test]
fn robfig_activation_agrees() {
    judge("cron activation (TestActivation)", activation());
}

#[test]
fn robfig_next_agrees_including_new_york_and_sao_paulo_dst() {
    judge("cron Next (TestNext, TestNextWithTz)", next_cases());
}

#[test]
fn robfig_and_kubernetes_parse_errors_agree() {
    judge("cron parse errors", parse_errors());
}

#[test]
fn robfig_ranges_agree() {
    judge("cron ranges (TestRange)", ranges());
}

#[test]
fn cronjob_schedule_and_time_zone_validation_agrees() {
    judge("CronJob validation (TestValidateCronJob)", batch_validation());
}

#[test]
fn longest_gaps_in_dst_zones_agree_with_the_controller() {
    judge("cron DST gaps", dst());
}
