//! Kubernetes resource quantities (`500m`, `2Gi`, `1e3`), parsed as `resource.ParseQuantity` does.

use std::fmt;

/// A parsed quantity. Kept as `mantissa * 10^exp10 * 2^exp2` so that parsing never rounds; only
/// [`Quantity::as_f64`] does, which is all ratios need.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Quantity {
    mantissa: i128,
    exp10: i32,
    exp2: u32,
}

/// Why a string is not a quantity, in the words of the Go library.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum QuantityError {
    /// `quantities must match the regular expression ...`
    Format,
    /// `unable to parse quantity's suffix`
    Suffix(String),
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuantityError::Format => f.write_str("not a quantity (expected e.g. 500m, 2Gi, 1e3)"),
            QuantityError::Suffix(s) => write!(f, "unknown quantity suffix {s:?}"),
        }
    }
}

/// Significant digits kept in the mantissa; longer inputs drop low-order digits (i128 holds 38).
const MAX_DIGITS: usize = 36;

impl Quantity {
    /// Parses `<sign>?<digits>(.<digits>)?<suffix>` where the suffix is a binary SI suffix
    /// (`Ki`..`Ei`), a decimal SI suffix (`n`, `u`, `m`, ``, `k`, `M`, `G`, `T`, `P`, `E`) or a
    /// decimal exponent (`e3`, `E-2`). Like Go, `1.` and `.5` are numbers, `1K` and `1e` are not.
    pub fn parse(input: &str) -> Result<Quantity, QuantityError> {
        let bytes = input.as_bytes();
        let mut pos = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                pos = 1;
                true
            }
            Some(b'+') => {
                pos = 1;
                false
            }
            _ => false,
        };
        let int_start = pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        let integer = &input[int_start..pos];
        let mut fraction = "";
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            let frac_start = pos;
            while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
            fraction = &input[frac_start..pos];
        }
        if integer.is_empty() && fraction.is_empty() {
            return Err(QuantityError::Format);
        }
        let (exp10, exp2) = suffix(&input[pos..])?;
        let (mantissa, dropped) = mantissa(integer, fraction);
        let fraction_len = i32::try_from(fraction.len()).map_err(|_| QuantityError::Format)?;
        let exp10 =
            exp10.checked_sub(fraction_len).and_then(|e| e.checked_add(dropped)).ok_or(QuantityError::Format)?;
        Ok(Quantity { mantissa: if negative { -mantissa } else { mantissa }, exp10, exp2 })
    }

    /// The value as a float: exact for every quantity a cluster reports in practice.
    pub fn as_f64(&self) -> f64 {
        // Rounding to 53 bits is fine: ratios need about three significant digits.
        self.mantissa as f64 * 10f64.powi(self.exp10) * 2f64.powi(i32::try_from(self.exp2).unwrap_or(i32::MAX))
    }

    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// The exact value as `(mantissa, exp10, exp2)`: `mantissa * 10^exp10 * 2^exp2`, for CEL's
    /// `quantity()`, which compares and adds exactly.
    pub(crate) fn parts(&self) -> (i128, i32, u32) {
        (self.mantissa, self.exp10, self.exp2)
    }
}

/// Digits of `integer` and `fraction` as one integer, and how many low-order digits were dropped
/// to fit (a positive power of ten to add back).
fn mantissa(integer: &str, fraction: &str) -> (i128, i32) {
    let digits = integer.bytes().chain(fraction.bytes()).skip_while(|d| *d == b'0');
    let mut value: i128 = 0;
    let mut kept = 0usize;
    let mut dropped = 0i32;
    for digit in digits {
        if kept < MAX_DIGITS {
            value = value * 10 + i128::from(digit - b'0');
            kept += 1;
        } else {
            dropped = dropped.saturating_add(1);
        }
    }
    (value, dropped)
}

/// The scale a suffix stands for, as (power of ten, power of two).
fn suffix(s: &str) -> Result<(i32, u32), QuantityError> {
    let scale = match s {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        _ => return exponent(s),
    };
    Ok(scale)
}

/// `e3`, `E-2`, `e+6`: a decimal exponent, an integer with an optional sign.
fn exponent(s: &str) -> Result<(i32, u32), QuantityError> {
    let Some(rest) = s.strip_prefix(['e', 'E']) else {
        return Err(QuantityError::Suffix(s.to_owned()));
    };
    let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(QuantityError::Suffix(s.to_owned()));
    }
    rest.parse::<i32>().map(|e| (e, 0)).map_err(|_| QuantityError::Suffix(s.to_owned()))
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

/// A quantity from JSON: the API serializes them as strings, but manifests may hold plain numbers
/// (`pods: 10`), which the API server accepts.
pub(crate) fn from_json(value: &serde_json::Value) -> Result<Quantity, QuantityError> {
    match value {
        serde_json::Value::String(s) => Quantity::parse(s.trim()),
        serde_json::Value::Number(n) => Quantity::parse(&n.to_string()),
        _ => Err(QuantityError::Format),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(s: &str) -> f64 {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e}")).as_f64()
    }

    /// `actual` is `expected` within float rounding; a failure names `what` and both values.
    #[track_caller]
    fn assert_close(what: &str, actual: f64, expected: f64) {
        assert!((actual - expected).abs() <= expected.abs() * 1e-12, "{what} is {actual}, expected {expected}");
    }

    /// The quantity `text` is worth `expected`.
    #[track_caller]
    fn assert_value(text: &str, expected: f64) {
        assert_close(text, value(text), expected);
    }

    #[test]
    fn parses_plain_and_fractional_numbers() {
        assert_value("4", 4.0);
        assert_value("0.5", 0.5);
        assert_value("1.", 1.0);
        assert_value(".5", 0.5);
        assert_value("+2", 2.0);
        assert_value("-2.5", -2.5);
        assert_value("007", 7.0);
        assert_eq!(value("0"), 0.0);
    }

    #[test]
    fn decimal_si_suffixes_scale_by_powers_of_ten() {
        assert_value("500m", 0.5);
        assert_value("250u", 250e-6);
        assert_value("100n", 100e-9);
        assert_value("2k", 2e3);
        assert_value("3M", 3e6);
        assert_value("1.5G", 1.5e9);
        assert_value("1T", 1e12);
        assert_value("1P", 1e15);
        assert_value("2E", 2e18);
    }

    #[test]
    fn binary_si_suffixes_scale_by_powers_of_two() {
        assert_value("1Ki", 1024.0);
        assert_value("128Mi", 128.0 * 1024.0 * 1024.0);
        assert_value("1.5Gi", 1.5 * 1024.0 * 1024.0 * 1024.0);
        assert_value("1Ti", 2f64.powi(40));
        assert_value("1Pi", 2f64.powi(50));
        assert_value("1Ei", 2f64.powi(60));
    }

    #[test]
    fn exponent_forms_are_decimal_exponents() {
        assert_value("1e3", 1000.0);
        assert_value("1E3", 1000.0);
        assert_value("12e-3", 0.012);
        assert_value("5e+2", 500.0);
        assert_value("1.5e1", 15.0);
    }

    #[test]
    fn a_lone_capital_e_is_exa_but_a_lone_small_e_is_not_a_suffix() {
        assert_value("1E", 1e18);
        assert!(matches!(Quantity::parse("1e"), Err(QuantityError::Suffix(_))));
    }

    #[test]
    fn rejects_what_the_api_server_rejects() {
        for bad in ["", "-", ".", "abc", "1K", "1KB", "1mi", "1 Gi", "1Gi ", "1e3.5", "1e-", "Mi", "1.2.3", "--1"] {
            assert!(Quantity::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn very_long_numbers_keep_their_magnitude() {
        assert_value("123456789012345678901234567890123456789012345", 1.234_567_890_123_456_8e44);
        assert_value("0.000000000000000000000000000000000000000001", 1e-42);
    }

    #[test]
    fn reads_strings_and_numbers_from_json() {
        assert_close(
            r#"json!("2Gi")"#,
            from_json(&serde_json::json!("2Gi")).expect("string").as_f64(),
            2.0 * 2f64.powi(30),
        );
        assert_close("json!(10)", from_json(&serde_json::json!(10)).expect("number").as_f64(), 10.0);
        assert_close("json!(0.5)", from_json(&serde_json::json!(0.5)).expect("float").as_f64(), 0.5);
        assert!(from_json(&serde_json::json!(null)).is_err());
        assert!(from_json(&serde_json::json!(true)).is_err());
    }

    #[test]
    fn zero_is_zero_in_any_unit() {
        assert!(Quantity::parse("0Gi").expect("zero").is_zero());
        assert!(Quantity::parse("0.000m").expect("zero").is_zero());
        assert!(!Quantity::parse("1n").expect("one nano").is_zero());
    }
}
