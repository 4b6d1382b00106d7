//! Kubernetes' quantity library (`k8s.io/apiserver/pkg/cel/library/quantity.go`): `quantity()`
//! and `isQuantity()` on strings, and on a `kubernetes.Quantity` its comparisons
//! (`compareTo`, `isGreaterThan`, `isLessThan`, `==`), arithmetic (`add`, `sub`, with a quantity
//! or an int), conversions (`isInteger`, `asInteger`, `asApproximateFloat`) and `sign`.
//!
//! Parsing is the crate's `resource.ParseQuantity` port (`checks::quantity`); values are kept
//! exactly, as `unscaled * 10^exp10` in a big integer, so that comparisons and sums are exact
//! as `resource.Quantity`'s are (`quantity("200M") == quantity("0.2G")`, `50M < 50Mi`).
//! As the API server does, a value finer than a nano is rounded up (away from zero) to one, and a
//! binary-suffixed value (`Ki`..`Ei`) over `2^63-1` is capped there.
//!
//! One limit of our own: values of about `10^1000` and more are refused ("out of range"), where the API
//! server would take them. No resource needs them, and it bounds what one `add` or comparison
//! costs (aligning two values multiplies by at most `10^1009`), which the CEL budget relies on.

use std::cmp::Ordering;
use std::sync::LazyLock;

use cel::common::types::{CelBool, CelDouble, CelInt, CelString, Type};
use cel::{DeclarationError, Env, ExecutionError};
use num_bigint::BigInt;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::checks::quantity::{Quantity as Parsed, QuantityError};

/// The type's name in CEL, as Kubernetes declares it.
pub const TYPE_NAME: &str = "kubernetes.Quantity";
static TYPE: LazyLock<Type> = LazyLock::new(|| Type::new_opaque_type(TYPE_NAME));

/// The finest precision a quantity keeps: a nano (`1n`), as `resource.Quantity` rounds to.
const MIN_EXP10: i32 = -9;
/// Values are below `10^MAX_EXP10` (see the module's documentation).
const MAX_EXP10: i32 = 1000;

/// A quantity: `unscaled * 10^exp10`, `exp10 >= MIN_EXP10`.
#[derive(Clone, Debug)]
pub struct Quantity {
    unscaled: BigInt,
    exp10: i32,
}

impl Quantity {
    /// `input` as `resource.ParseQuantity` reads it. The error quotes nothing of the input: it
    /// may come from the object.
    pub fn parse(input: &str) -> Result<Quantity, &'static str> {
        let parsed = Parsed::parse(input).map_err(|e| match e {
            QuantityError::Format => {
                "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
            }
            QuantityError::Suffix(_) => "unable to parse quantity's suffix",
        })?;
        let (mantissa, exp10, exp2) = parsed.parts();
        let mut unscaled = BigInt::from(mantissa) << exp2;
        let mut exp10 = exp10;
        if exp10 < MIN_EXP10 {
            unscaled = round_away_from_zero(&unscaled, MIN_EXP10 - exp10);
            exp10 = MIN_EXP10;
        }
        if unscaled.is_zero() {
            return Ok(Quantity::from_int(0));
        }
        let quantity = Quantity { unscaled, exp10 }.bounded()?;
        // `resource.ParseQuantity` caps binary quantities at the largest int64.
        if exp2 > 0 && quantity.cmp_exact(&Quantity::from_int(i64::MAX)) == Ordering::Greater {
            return Ok(Quantity::from_int(i64::MAX));
        }
        Ok(quantity)
    }

    pub fn from_int(value: i64) -> Quantity {
        Quantity { unscaled: BigInt::from(value), exp10: 0 }
    }

    /// Both values over the smaller exponent.
    fn aligned(&self, other: &Quantity) -> (BigInt, BigInt, i32) {
        let exp10 = self.exp10.min(other.exp10);
        (scale_up(&self.unscaled, self.exp10 - exp10), scale_up(&other.unscaled, other.exp10 - exp10), exp10)
    }

    pub fn cmp_exact(&self, other: &Quantity) -> Ordering {
        // Signs, then orders of magnitude, decide most comparisons without aligning (which can
        // take a thousand-digit multiplication).
        let by_sign = self.sign().cmp(&other.sign());
        if by_sign != Ordering::Equal || self.sign() == 0 {
            return by_sign;
        }
        let (a, b) = (self.magnitude(), other.magnitude());
        if (a - b).abs() > 2.0 {
            let larger_in_size = if a > b { Ordering::Greater } else { Ordering::Less };
            return if self.sign() > 0 { larger_in_size } else { larger_in_size.reverse() };
        }
        let (a, b, _) = self.aligned(other);
        a.cmp(&b)
    }

    /// The decimal order of magnitude, within one: `log10(|value|)` from the unscaled part's bits.
    fn magnitude(&self) -> f64 {
        f64::from(self.exp10) + self.unscaled.bits() as f64 * std::f64::consts::LOG10_2
    }

    pub fn add(&self, other: &Quantity) -> Result<Quantity, &'static str> {
        let (a, b, exp10) = self.aligned(other);
        Quantity { unscaled: a + b, exp10 }.bounded()
    }

    pub fn sub(&self, other: &Quantity) -> Result<Quantity, &'static str> {
        let (a, b, exp10) = self.aligned(other);
        Quantity { unscaled: a - b, exp10 }.bounded()
    }

    /// Values of about `10^MAX_EXP10` and more are refused, parsed or summed.
    fn bounded(self) -> Result<Quantity, &'static str> {
        if !self.unscaled.is_zero() && self.magnitude() > f64::from(MAX_EXP10) {
            return Err("quantity out of range (readygate's quantities are below about 10^1000)");
        }
        Ok(self)
    }

    /// The value as an int64, when it is a whole number within its range.
    pub fn as_i64(&self) -> Option<i64> {
        if self.magnitude() > 20.0 {
            return None;
        }
        if self.exp10 >= 0 {
            return scale_up(&self.unscaled, self.exp10).to_i64();
        }
        let divisor = pow10(-self.exp10);
        let (quotient, remainder) = (&self.unscaled / &divisor, &self.unscaled % &divisor);
        if remainder.is_zero() { quotient.to_i64() } else { None }
    }

    /// The nearest double, `±inf` beyond its range (`AsApproximateFloat64`).
    pub fn as_f64(&self) -> f64 {
        // Beyond a double's range whatever the digits: no need to write a thousand of them out.
        if self.magnitude() > 310.0 {
            return if self.sign() > 0 { f64::INFINITY } else { f64::NEG_INFINITY };
        }
        // Through decimal text: Rust's parser rounds correctly, multiplying by powers of ten
        // would not.
        format!("{}e{}", self.unscaled, self.exp10).parse().unwrap_or(f64::NAN)
    }

    pub fn sign(&self) -> i64 {
        match self.unscaled.sign() {
            num_bigint::Sign::Minus => -1,
            num_bigint::Sign::NoSign => 0,
            num_bigint::Sign::Plus => 1,
        }
    }
}

impl PartialEq for Quantity {
    /// By value, as `resource.Quantity.Equal`: `1k == 1000`.
    fn eq(&self, other: &Quantity) -> bool {
        self.cmp_exact(other) == Ordering::Equal
    }
}

fn pow10(exp: i32) -> BigInt {
    num_traits::pow(BigInt::from(10u8), usize::try_from(exp).unwrap_or(0))
}

fn scale_up(value: &BigInt, exp: i32) -> BigInt {
    if exp == 0 { value.clone() } else { value * pow10(exp) }
}

/// `value / 10^shift`, rounded away from zero (`inf.RoundUp`). A shift longer than the value's
/// digits leaves one unit of its sign, without computing `10^shift`.
fn round_away_from_zero(value: &BigInt, shift: i32) -> BigInt {
    if value.is_zero() {
        return BigInt::zero();
    }
    let one = if value.is_negative() { -BigInt::one() } else { BigInt::one() };
    if shift as usize > value.abs().to_string().len() {
        return one;
    }
    let divisor = pow10(shift);
    let quotient = value / &divisor;
    if (value % &divisor).is_zero() { quotient } else { quotient + one }
}

opaque_val!(Quantity, TYPE);

fn error(function: &str, message: &str) -> ExecutionError {
    ExecutionError::function_error(function, message)
}

fn quantity(text: &CelString<'_>) -> Result<Quantity, ExecutionError> {
    Quantity::parse(text.inner()).map_err(|e| error("quantity", e))
}

fn is_quantity(text: &CelString<'_>) -> CelBool {
    CelBool::from(Quantity::parse(text.inner()).is_ok())
}

fn sign(this: &Quantity) -> CelInt {
    CelInt::from(this.sign())
}

fn is_integer(this: &Quantity) -> CelBool {
    CelBool::from(this.as_i64().is_some())
}

fn as_integer(this: &Quantity) -> Result<CelInt, ExecutionError> {
    this.as_i64().map(CelInt::from).ok_or_else(|| error("asInteger", "cannot convert value to integer"))
}

fn as_approximate_float(this: &Quantity) -> CelDouble {
    CelDouble::from(this.as_f64())
}

fn compare_to(this: &Quantity, other: &Quantity) -> CelInt {
    CelInt::from(this.cmp_exact(other) as i64)
}

fn is_greater_than(this: &Quantity, other: &Quantity) -> CelBool {
    CelBool::from(this.cmp_exact(other) == Ordering::Greater)
}

fn is_less_than(this: &Quantity, other: &Quantity) -> CelBool {
    CelBool::from(this.cmp_exact(other) == Ordering::Less)
}

fn add(this: &Quantity, other: &Quantity) -> Result<Quantity, ExecutionError> {
    this.add(other).map_err(|e| error("add", e))
}

fn add_int(this: &Quantity, other: &CelInt) -> Result<Quantity, ExecutionError> {
    this.add(&Quantity::from_int(*other.inner())).map_err(|e| error("add", e))
}

fn sub(this: &Quantity, other: &Quantity) -> Result<Quantity, ExecutionError> {
    this.sub(other).map_err(|e| error("sub", e))
}

fn sub_int(this: &Quantity, other: &CelInt) -> Result<Quantity, ExecutionError> {
    this.sub(&Quantity::from_int(*other.inner())).map_err(|e| error("sub", e))
}

pub fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_type(TYPE.to_owned())?;
    cel::add_overload!(env, fn quantity: (CelString) -> Result<Quantity>, id = "string_to_quantity")?;
    cel::add_overload!(env, fn is_quantity: (CelString) -> CelBool, name = "isQuantity", id = "is_quantity_string")?;
    cel::add_member_overload!(env, fn sign: (Quantity) -> CelInt, id = "quantity_sign")?;
    cel::add_member_overload!(env, fn is_integer: (Quantity) -> CelBool, id = "quantity_is_integer")?;
    cel::add_member_overload!(env, fn as_integer: (Quantity) -> Result<CelInt>, id = "quantity_get_int")?;
    cel::add_member_overload!(env, fn as_approximate_float: (Quantity) -> CelDouble, id = "quantity_get_float")?;
    cel::add_member_overload!(env, fn compare_to: (Quantity, Quantity) -> CelInt, id = "quantity_compare_to")?;
    cel::add_member_overload!(env, fn is_greater_than: (Quantity, Quantity) -> CelBool, id = "quantity_is_greater_than")?;
    cel::add_member_overload!(env, fn is_less_than: (Quantity, Quantity) -> CelBool, id = "quantity_is_less_than")?;
    cel::add_member_overload!(env, fn add: (Quantity, Quantity) -> Result<Quantity>, id = "quantity_add")?;
    cel::add_member_overload!(env, fn add_int: (Quantity, CelInt) -> Result<Quantity>, name = "add", id = "quantity_add_int")?;
    cel::add_member_overload!(env, fn sub: (Quantity, Quantity) -> Result<Quantity>, id = "quantity_sub")?;
    cel::add_member_overload!(env, fn sub_int: (Quantity, CelInt) -> Result<Quantity>, name = "sub", id = "quantity_sub_int")?;
    Ok(())
}
