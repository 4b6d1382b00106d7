//! Parsing CronJob schedules exactly as Kubernetes does: robfig/cron v3 `ParseStandard`
//! (5 fields, names, ranges, steps, lists, `@descriptors`, `@every`, a `TZ=`/`CRON_TZ=` prefix).
//!
//! Deliberate robfig quirks kept, because they decide what the controller runs:
//! - day-of-week is 0-6 only (`7` for Sunday is rejected, unlike Vixie cron);
//! - a field starting with `*` or `?` counts as "star" for the day-of-month/day-of-week rule
//!   only without a step above 1 (`*/2` is not a star), and `*-5` is read as `*`;
//! - empty list items are dropped (`1,,2`), so `,` alone is a field that matches nothing;
//! - `L`, `W`, `#` and seconds are not supported (Kubernetes rejects them).

use super::{EVERY_MIN_SECS, Fields, Kind, STAR};

struct Bounds {
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// The value of `names[0]`.
    first_name_value: u32,
}

const MINUTES: Bounds = Bounds { min: 0, max: 59, names: &[], first_name_value: 0 };
const HOURS: Bounds = Bounds { min: 0, max: 23, names: &[], first_name_value: 0 };
const DOM: Bounds = Bounds { min: 1, max: 31, names: &[], first_name_value: 0 };
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    first_name_value: 1,
};
const DOW: Bounds =
    Bounds { min: 0, max: 6, names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"], first_name_value: 0 };

/// Splits a `TZ=Zone ` / `CRON_TZ=Zone ` prefix off, as robfig does (the zone ends at the first
/// space). Returns the zone name (if any) and the rest of the spec.
pub(super) fn split_tz_prefix(spec: &str) -> Result<(Option<&str>, &str), String> {
    if !(spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=")) {
        return Ok((None, spec));
    }
    let eq = spec.find('=').unwrap_or_default();
    // robfig slices up to the first space and would panic without one; say what is missing.
    let space = spec.find(' ').ok_or_else(|| format!("missing schedule after time zone prefix: {spec}"))?;
    Ok((Some(&spec[eq + 1..space]), spec[space..].trim()))
}

/// Parses the schedule part (after any TZ prefix) into what it fires on.
pub(super) fn parse_spec(spec: &str) -> Result<Kind, String> {
    if spec.is_empty() {
        return Err("empty spec string".to_owned());
    }
    if spec.starts_with('@') {
        return descriptor(spec);
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected exactly 5 fields, found {}: [{}]", fields.len(), fields.join(" ")));
    }
    Ok(Kind::Fields(Fields {
        minute: field(fields[0], &MINUTES)?,
        hour: field(fields[1], &HOURS)?,
        dom: field(fields[2], &DOM)?,
        month: field(fields[3], &MONTHS)?,
        dow: field(fields[4], &DOW)?,
    }))
}

fn descriptor(spec: &str) -> Result<Kind, String> {
    let all = |b: &Bounds| bits(b.min, b.max, 1) | STAR;
    let (minute, hour) = (1, 1);
    let fields = match spec {
        "@yearly" | "@annually" => Fields { minute, hour, dom: 1 << 1, month: 1 << 1, dow: all(&DOW) },
        "@monthly" => Fields { minute, hour, dom: 1 << 1, month: all(&MONTHS), dow: all(&DOW) },
        "@weekly" => Fields { minute, hour, dom: all(&DOM), month: all(&MONTHS), dow: 1 },
        "@daily" | "@midnight" => Fields { minute, hour, dom: all(&DOM), month: all(&MONTHS), dow: all(&DOW) },
        "@hourly" => Fields { minute, hour: all(&HOURS), dom: all(&DOM), month: all(&MONTHS), dow: all(&DOW) },
        _ => {
            let Some(text) = spec.strip_prefix("@every ") else {
                return Err(format!("unrecognized descriptor: {spec}"));
            };
            let nanos = go_duration_nanos(text).map_err(|e| format!("failed to parse duration {spec}: {e}"))?;
            // robfig's Every(): at least one second, truncated to whole seconds.
            let secs = (nanos / 1_000_000_000).max(EVERY_MIN_SECS as i128);
            return Ok(Kind::Every(i64::try_from(secs).unwrap_or(i64::MAX)));
        }
    };
    Ok(Kind::Fields(fields))
}

/// A comma-separated list of ranges; empty items are skipped (Go's `strings.FieldsFunc`).
fn field(text: &str, bounds: &Bounds) -> Result<u64, String> {
    text.split(',').filter(|item| !item.is_empty()).try_fold(0, |acc, item| Ok(acc | range(item, bounds)?))
}

/// `*`, `?`, `N`, `N-M`, each optionally `/step`; `N/step` means `N-max/step`.
fn range(expr: &str, bounds: &Bounds) -> Result<u64, String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end, mut extra) = if low_and_high[0] == "*" || low_and_high[0] == "?" {
        (u64::from(bounds.min), u64::from(bounds.max), STAR)
    } else {
        let start = int_or_name(low_and_high[0], bounds)?;
        match low_and_high.len() {
            1 => (start, start, 0),
            2 => (start, int_or_name(low_and_high[1], bounds)?, 0),
            _ => return Err(format!("too many hyphens: {expr}")),
        }
    };
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = non_negative_int(range_and_step[1])?;
            if single {
                end = u64::from(bounds.max);
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < u64::from(bounds.min) {
        return Err(format!("beginning of range ({start}) below minimum ({}): {expr}", bounds.min));
    }
    if end > u64::from(bounds.max) {
        return Err(format!("end of range ({end}) above maximum ({}): {expr}", bounds.max));
    }
    if start > end {
        return Err(format!("beginning of range ({start}) beyond end of range ({end}): {expr}"));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    // Both ends are within bounds (<= 59), so the casts are lossless.
    Ok(bits(start as u32, end as u32, step) | extra)
}

fn int_or_name(expr: &str, bounds: &Bounds) -> Result<u64, String> {
    let lower = expr.to_ascii_lowercase();
    if let Some(i) = bounds.names.iter().position(|n| *n == lower) {
        return Ok(u64::from(bounds.first_name_value) + i as u64);
    }
    non_negative_int(expr)
}

/// Go's `strconv.Atoi` (optional sign, decimal digits) and robfig's "no negatives" rule.
fn non_negative_int(expr: &str) -> Result<u64, String> {
    let n: i64 = expr.parse().map_err(|_| format!("failed to parse int from {expr}"))?;
    u64::try_from(n).map_err(|_| format!("negative number ({n}) not allowed: {expr}"))
}

fn bits(min: u32, max: u32, step: u64) -> u64 {
    let mut out = 0u64;
    let mut i = u64::from(min);
    while i <= u64::from(max) {
        out |= 1 << i;
        i = match i.checked_add(step) {
            Some(next) => next,
            None => break,
        };
    }
    out
}

/// Go's `time.ParseDuration`, in nanoseconds (wide, so no overflow to worry about here).
fn go_duration_nanos(text: &str) -> Result<i128, String> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(format!("invalid duration {text:?}"));
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(format!("invalid duration {text:?}"));
        }
        let value: f64 = number.parse().map_err(|_| format!("invalid duration {text:?}"))?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("missing unit in duration {text:?}")),
            other => return Err(format!("unknown unit {other:?} in duration {text:?}")),
        };
        total += value * unit;
        rest = &rest[unit_len..];
    }
    // Go rejects anything beyond int64 nanoseconds (~292 years).
    if total > i64::MAX as f64 {
        return Err(format!("invalid duration {text:?}"));
    }
    let nanos = total as i128;
    Ok(if negative { -nanos } else { nanos })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(spec: &str) -> Fields {
        match parse_spec(spec) {
            Ok(Kind::Fields(f)) => f,
            other => panic!("{spec}: expected fields, got {other:?}"),
        }
    }

    fn error(spec: &str) -> String {
        parse_spec(spec).expect_err(spec)
    }

    #[test]
    fn parses_plain_values_ranges_steps_and_lists() {
        let f = fields("5,10-12 */6 1-31/10 * *");
        assert_eq!(f.minute, (1 << 5) | (1 << 10) | (1 << 11) | (1 << 12));
        assert_eq!(f.hour, (1 << 0) | (1 << 6) | (1 << 12) | (1 << 18));
        assert_eq!(f.dom, (1 << 1) | (1 << 11) | (1 << 21) | (1 << 31));
        assert_eq!(f.month & !STAR, 0b1_1111_1111_1110);
        assert_ne!(f.month & STAR, 0);
    }

    #[test]
    fn single_value_with_a_step_runs_to_the_maximum() {
        assert_eq!(fields("50/5 * * * *").minute, (1 << 50) | (1 << 55));
    }

    #[test]
    fn names_are_case_insensitive_in_month_and_weekday_only() {
        let f = fields("0 0 * JAN-mar Mon-FRI");
        assert_eq!(f.month, 0b1110);
        assert_eq!(f.dow, 0b11_1110);
        assert!(error("0 0 MON * *").contains("failed to parse int from MON"));
        assert!(error("0 0 * * JAN").contains("JAN"));
    }

    #[test]
    fn star_bit_is_kept_only_without_a_step_above_one() {
        assert_ne!(fields("0 0 * * *").dom & STAR, 0);
        assert_ne!(fields("0 0 ? * *").dom & STAR, 0);
        assert_ne!(fields("0 0 */1 * *").dom & STAR, 0);
        assert_eq!(fields("0 0 */2 * *").dom & STAR, 0);
    }

    #[test]
    fn sunday_is_zero_and_seven_is_rejected_as_in_kubernetes() {
        assert_eq!(fields("0 0 * * 0").dow, 1);
        assert_eq!(error("0 0 * * 7"), "end of range (7) above maximum (6): 7");
    }

    #[test]
    fn rejects_what_the_api_server_rejects_with_its_wording() {
        assert_eq!(error("61 * * * *"), "end of range (61) above maximum (59): 61");
        assert_eq!(error("* * 0 * *"), "beginning of range (0) below minimum (1): 0");
        assert_eq!(error("5-1 * * * *"), "beginning of range (5) beyond end of range (1): 5-1");
        assert_eq!(error("*/0 * * * *"), "step of range should be a positive number: */0");
        assert_eq!(error("1-2-3 * * * *"), "too many hyphens: 1-2-3");
        assert_eq!(error("1/2/3 * * * *"), "too many slashes: 1/2/3");
        assert_eq!(error("-5 * * * *"), "failed to parse int from ");
        assert_eq!(error("*/-5 * * * *"), "negative number (-5) not allowed: -5");
        assert_eq!(error("* * * *"), "expected exactly 5 fields, found 4: [* * * *]");
        assert_eq!(error("0 0 0 * * *"), "expected exactly 5 fields, found 6: [0 0 0 * * *]");
        assert_eq!(error("0 0 L * *"), "failed to parse int from L");
        assert_eq!(error("0 0 ? * 5#2"), "failed to parse int from 5#2");
        assert_eq!(error(""), "empty spec string");
        assert_eq!(error("scheduleValue"), "expected exactly 5 fields, found 1: [scheduleValue]");
    }

    #[test]
    fn keeps_robfig_quirks_that_kubernetes_accepts() {
        assert_eq!(fields("1,,2 * * * *").minute, 0b110);
        assert_eq!(fields(", * * * *").minute, 0);
        assert_eq!(fields("*-5 * * * *").minute, bits(0, 59, 1) | STAR);
        assert_eq!(fields("+5 * * * *").minute, 1 << 5);
    }

    #[test]
    fn descriptors_expand_like_robfig() {
        let yearly = fields("@yearly");
        assert_eq!((yearly.minute, yearly.hour, yearly.dom, yearly.month), (1, 1, 2, 2));
        assert_eq!(fields("@annually"), yearly);
        let weekly = fields("@weekly");
        assert_eq!(weekly.dow, 1);
        assert_ne!(weekly.dom & STAR, 0);
        assert_eq!(fields("@midnight"), fields("@daily"));
        assert_eq!(fields("@hourly").hour, bits(0, 23, 1) | STAR);
        assert_eq!(error("@Daily"), "unrecognized descriptor: @Daily");
        assert_eq!(error("@daily "), "unrecognized descriptor: @daily ");
    }

    #[test]
    fn every_rounds_to_whole_seconds_with_a_one_second_floor() {
        assert!(matches!(parse_spec("@every 1h30m"), Ok(Kind::Every(5400))));
        assert!(matches!(parse_spec("@every 1500ms"), Ok(Kind::Every(1))));
        assert!(matches!(parse_spec("@every 0"), Ok(Kind::Every(1))));
        assert!(matches!(parse_spec("@every 2.5m"), Ok(Kind::Every(150))));
        assert!(error("@every 1d").contains("unknown unit \"d\""));
        assert!(error("@every 10").contains("missing unit"));
    }

    #[test]
    fn time_zone_prefix_ends_at_the_first_space() {
        assert_eq!(split_tz_prefix("CRON_TZ=Europe/Paris 0 3 * * *"), Ok((Some("Europe/Paris"), "0 3 * * *")));
        assert_eq!(split_tz_prefix("TZ=UTC   @daily"), Ok((Some("UTC"), "@daily")));
        assert_eq!(split_tz_prefix("0 3 * * *"), Ok((None, "0 3 * * *")));
        assert!(split_tz_prefix("TZ=UTC").is_err());
    }
}
