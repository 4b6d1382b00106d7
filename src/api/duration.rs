//! Go-style durations (`90s`, `10m`, `1h30m`, `720h`) as the API spells them.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration written the way Kubernetes users write them (Go's `time.ParseDuration` syntax,
/// without a sign): a sequence of decimal numbers with units `ns`, `us`, `ms`, `s`, `m`, `h`,
/// plus `d` for days since checklists talk about days. Kept as text so status and reports echo
/// what the user wrote.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Duration {
    text: String,
    value: std::time::Duration,
}

/// The pattern the API server enforces; parsing enforces the same grammar.
pub const DURATION_PATTERN: &str = r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|d))+$";

impl JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A duration such as 90s, 10m, 1h30m or 7d",
            "pattern": DURATION_PATTERN,
        })
    }

    fn inline_schema() -> bool {
        true
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid duration {input:?}: {reason} (expected e.g. 90s, 10m, 1h30m, 7d)")]
pub struct DurationError {
    input: String,
    reason: &'static str,
}

impl Duration {
    pub fn as_std(&self) -> std::time::Duration {
        self.value
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn from_std(value: std::time::Duration) -> Self {
        let secs = value.as_secs();
        let text = if secs.is_multiple_of(3600) && secs > 0 {
            format!("{}h", secs / 3600)
        } else if secs.is_multiple_of(60) && secs > 0 {
            format!("{}m", secs / 60)
        } else {
            format!("{secs}s")
        };
        Duration { text, value }
    }

    /// The duration as a signed span for timestamp arithmetic.
    pub fn as_span(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::try_from(self.value).unwrap_or(jiff::SignedDuration::MAX)
    }
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason| DurationError { input: input.to_owned(), reason };
        if input.is_empty() {
            return Err(err("empty"));
        }
        let mut total_nanos: f64 = 0.0;
        let mut rest = input;
        while !rest.is_empty() {
            let number_len =
                rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(|| err("missing unit"))?;
            if number_len == 0 {
                return Err(err("expected a number"));
            }
            let number: f64 = rest[..number_len].parse().map_err(|_| err("bad number"))?;
            rest = &rest[number_len..];
            let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
            let unit_nanos = match &rest[..unit_len] {
                "ns" => 1.0,
                "us" | "µs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                "h" => 3600e9,
                "d" => 86400e9,
                _ => return Err(err("unknown unit")),
            };
            total_nanos += number * unit_nanos;
            rest = &rest[unit_len..];
        }
        // Ten thousand years is far beyond any meaningful checklist interval.
        if !total_nanos.is_finite() || total_nanos > 3.2e20 {
            return Err(err("too large"));
        }
        Ok(Duration { text: input.to_owned(), value: std::time::Duration::from_nanos(total_nanos as u64) })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_style_durations() {
        let cases = [("90s", 90), ("10m", 600), ("1h30m", 5400), ("7d", 604_800), ("720h", 2_592_000)];
        for (text, secs) in cases {
            let d: Duration = text.parse().expect(text);
            assert_eq!(d.as_std().as_secs(), secs, "{text}");
            assert_eq!(d.to_string(), text);
        }
        let d: Duration = "1.5h".parse().expect("fractional");
        assert_eq!(d.as_std().as_secs(), 5400);
        let d: Duration = "250ms".parse().expect("ms");
        assert_eq!(d.as_std().as_millis(), 250);
    }

    #[test]
    fn rejects_malformed_durations() {
        for bad in ["", "10", "m", "10x", "-5m", "1h 30m", "1e9s"] {
            assert!(bad.parse::<Duration>().is_err(), "{bad:?} should be rejected");
        }
    }
}
