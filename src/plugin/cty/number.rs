//! cty numbers.
//!
//! Terraform numbers are arbitrary-precision decimals. Almost all of them
//! are small integers, a few are fractions, and now and then one is a huge
//! or very precise value that travels as a decimal string (HCL's `0.1` is
//! one: it is not exactly a float64, so cty sends `"0.1"`). [`Number`]
//! keeps each value in the one representation the canonical msgpack
//! encoding would use, which makes equality structural and encoding a
//! simple match:
//!
//! - integral and within i64: an integer;
//! - otherwise exactly a float64 (fractions such as 1.5, 2⁶³, ±infinity): a float64;
//! - otherwise: a validated decimal, kept digit for digit.

use std::fmt;
use std::str::FromStr;

use super::clip;
use super::exact::{exact_decimal, exact_f64};

/// The largest decimal exponent (in scientific notation) a [`Number`]
/// accepts. cty's own numbers stop near 10^646456992, so nothing Terraform
/// sends is refused; the bound keeps a hostile `"1e999999999999"` from
/// turning into a gigabyte of digits.
pub const MAX_DECIMAL_EXPONENT: i64 = 1_000_000_000;

/// A cty number, held without loss (see the module documentation).
#[derive(Clone, PartialEq)]
pub struct Number(Repr);

#[derive(Clone, PartialEq)]
enum Repr {
    /// Every integral value in i64 range, and nothing else.
    Int(i64),
    /// Values that are exactly a float64 but not an i64. NaN only gets in
    /// through `From<f64>`; the encoder refuses it.
    Float(f64),
    /// Everything else; boxed because it is rare and would otherwise make
    /// every `Value` 16 bytes larger (10,000-job states hold 280,000 of them).
    Decimal(Box<Decimal>),
}

/// `±digits × 10^exponent`, with `digits` free of leading and trailing zeros.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Decimal {
    negative: bool,
    digits: Box<str>,
    exponent: i64,
}

/// Why a string is not a cty number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// Not decimal notation (`[+-]digits[.digits][e[+-]digits]`, or `inf`).
    #[error("{0} is not a decimal number")]
    Syntax(String),
    /// Beyond [`MAX_DECIMAL_EXPONENT`].
    #[error("{0} is too far from zero to be a number")]
    OutOfRange(String),
}

impl Number {
    /// The value as an i64, if it is an integer in i64 range.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            Repr::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The nearest float64 (exact for integers up to 2⁵³ and for values
    /// that arrived as float64; ±infinity beyond float64 range).
    pub fn as_f64(&self) -> f64 {
        match &self.0 {
            Repr::Int(i) => *i as f64,
            Repr::Float(f) => *f,
            Repr::Decimal(d) => {
                let sign = if d.negative { "-" } else { "" };
                // Always valid float syntax; Rust rounds correctly and
                // saturates to infinity, so this cannot fail.
                format!("{sign}{}e{}", d.digits, d.exponent)
                    .parse()
                    .unwrap_or(f64::NAN)
            }
        }
    }

    /// Whether this is NaN, which cty cannot represent: only `From<f64>`
    /// can produce it, and encoding refuses it.
    pub fn is_nan(&self) -> bool {
        matches!(self.0, Repr::Float(f) if f.is_nan())
    }

    /// How this number goes on the wire; used by the encoder.
    pub(crate) fn wire(&self) -> WireNumber<'_> {
        match &self.0 {
            Repr::Int(i) => WireNumber::Int(*i),
            Repr::Float(f) => WireNumber::Float(*f),
            Repr::Decimal(d) => WireNumber::Decimal(d),
        }
    }

    fn from_parts(negative: bool, digits: &str, exponent: i64) -> Self {
        if exponent >= 0 && digits.len() as i64 + exponent <= 19 {
            // At most 19 digits: always fits a u64.
            let value = digits
                .parse::<u64>()
                .ok()
                .and_then(|v| v.checked_mul(10u64.checked_pow(u32::try_from(exponent).ok()?)?));
            let signed = value.and_then(|v| {
                if negative {
                    0i64.checked_sub_unsigned(v)
                } else {
                    i64::try_from(v).ok()
                }
            });
            if let Some(i) = signed {
                return Self(Repr::Int(i));
            }
        }
        match exact_f64(digits, exponent) {
            Some(f) => Self(Repr::Float(if negative { -f } else { f })),
            None => Self(Repr::Decimal(Box::new(Decimal {
                negative,
                digits: digits.into(),
                exponent,
            }))),
        }
    }
}

const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// A number as the encoder writes it.
pub(crate) enum WireNumber<'a> {
    Int(i64),
    Float(f64),
    Decimal(&'a Decimal),
}

impl Decimal {
    /// Plain decimal notation, as cty writes big numbers (`Text('f', -1)`),
    /// unless that would exceed 4096 characters; then scientific notation,
    /// which cty parses as well. Either way every digit is kept.
    pub(crate) fn text(&self) -> String {
        let digits = &*self.digits;
        let len = digits.len() as i64;
        let sign = if self.negative { "-" } else { "" };
        let plain_len = if self.exponent >= 0 {
            len + self.exponent
        } else {
            len.max(-self.exponent) + 2
        };
        if plain_len > 4096 {
            let (first, rest) = digits.split_at(1);
            let dot = if rest.is_empty() { "" } else { "." };
            return format!("{sign}{first}{dot}{rest}e{}", self.exponent + len - 1);
        }
        if self.exponent >= 0 {
            // plain_len <= 4096 above, so the cast is small.
            format!("{sign}{digits}{}", "0".repeat(self.exponent as usize))
        } else {
            let frac = (-self.exponent) as usize;
            if frac >= digits.len() {
                format!("{sign}0.{}{digits}", "0".repeat(frac - digits.len()))
            } else {
                let (int, fr) = digits.split_at(digits.len() - frac);
                format!("{sign}{int}.{fr}")
            }
        }
    }
}

fn normalize_integer(mut digits: String) -> (String, i64) {
    let kept = digits.trim_end_matches('0').len();
    let exponent = (digits.len() - kept) as i64;
    digits.truncate(kept);
    (digits, exponent)
}

fn parse(s: &str) -> Result<Number, NumberError> {
    let syntax = || NumberError::Syntax(clip(s));
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest.eq_ignore_ascii_case("inf") || rest.eq_ignore_ascii_case("infinity") {
        let inf = if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        return Ok(Number(Repr::Float(inf)));
    }
    let (int_part, tail) = split_digits(rest);
    let (frac_part, tail) = match tail.strip_prefix('.') {
        Some(after_dot) => split_digits(after_dot),
        None => ("", tail),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(syntax());
    }
    let exp = match tail.strip_prefix(['e', 'E']) {
        None if tail.is_empty() => 0,
        None => return Err(syntax()),
        Some(e) => {
            let (exp_negative, e) = match e.as_bytes().first() {
                Some(b'-') => (true, &e[1..]),
                Some(b'+') => (false, &e[1..]),
                _ => (false, e),
            };
            let (exp_digits, tail) = split_digits(e);
            if exp_digits.is_empty() || !tail.is_empty() {
                return Err(syntax());
            }
            let significant = exp_digits.trim_start_matches('0');
            if significant.len() > 12 {
                return Err(NumberError::OutOfRange(clip(s)));
            }
            let magnitude: i64 = if significant.is_empty() {
                0
            } else {
                significant.parse().map_err(|_| syntax())?
            };
            if exp_negative {
                -magnitude
            } else {
                magnitude
            }
        }
    };
    let combined = [int_part, frac_part].concat();
    let leading = combined.trim_start_matches('0');
    if leading.is_empty() {
        return Ok(Number(Repr::Int(0)));
    }
    let digits = leading.trim_end_matches('0');
    let trailing = (leading.len() - digits.len()) as i64;
    let exponent = exp - frac_part.len() as i64 + trailing;
    let scientific = exponent + digits.len() as i64 - 1;
    if scientific.abs() > MAX_DECIMAL_EXPONENT {
        return Err(NumberError::OutOfRange(clip(s)));
    }
    Ok(Number::from_parts(negative, digits, exponent))
}

fn split_digits(s: &str) -> (&str, &str) {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}

impl FromStr for Number {
    type Err = NumberError;

    /// Accepts what cty's `ParseNumberVal` accepts in practice:
    /// `[+-]digits[.digits][(e|E)[+-]digits]` (either side of the point may
    /// be empty, not both) and `inf`/`infinity` in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Self {
        Self(Repr::Int(i))
    }
}

impl From<i32> for Number {
    fn from(i: i32) -> Self {
        Self(Repr::Int(i64::from(i)))
    }
}

impl From<u32> for Number {
    fn from(i: u32) -> Self {
        Self(Repr::Int(i64::from(i)))
    }
}

impl From<u64> for Number {
    fn from(u: u64) -> Self {
        match i64::try_from(u) {
            Ok(i) => Self(Repr::Int(i)),
            Err(_) => {
                let (digits, exponent) = normalize_integer(u.to_string());
                Self::from_parts(false, &digits, exponent)
            }
        }
    }
}

impl From<f64> for Number {
    /// Total, for convenience: NaN is kept as NaN, and [`super::encode`]
    /// refuses it with an error that names the attribute.
    fn from(f: f64) -> Self {
        if f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&f) {
            // Integral and in range, so the cast is exact; -0.0 becomes 0.
            Self(Repr::Int(f as i64))
        } else {
            Self(Repr::Float(f))
        }
    }
}

impl PartialEq<i64> for Number {
    fn eq(&self, other: &i64) -> bool {
        self.as_i64() == Some(*other)
    }
}

/// Exact text, except that fractional float64s print as the shortest text
/// that reads back as the same float64 (so `Number::from(0.1)` prints as
/// `0.1`, not its 55-digit expansion).
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Int(i) => write!(f, "{i}"),
            Repr::Float(x) if x.is_infinite() => f.write_str(if *x > 0.0 { "inf" } else { "-inf" }),
            Repr::Float(x) if x.fract() == 0.0 => match exact_decimal(*x) {
                // Integral floats print every digit: 2⁶³ is 9223372036854775808,
                // not the shortest-round-trip 9223372036854776000.
                Some((digits, exponent)) => {
                    let sign = if *x < 0.0 { "-" } else { "" };
                    let zeros = usize::try_from(exponent).unwrap_or(0);
                    write!(f, "{sign}{digits}{}", "0".repeat(zeros))
                }
                None => write!(f, "{x}"),
            },
            Repr::Float(x) => write!(f, "{x}"),
            Repr::Decimal(d) => f.write_str(&d.text()),
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Int(i) => write!(f, "Number({i})"),
            Repr::Float(x) => write!(f, "Number({x:?}f64)"),
            Repr::Decimal(d) => write!(f, "Number({:?})", d.text()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (input, Debug of the parsed number): shows which representation won.
    #[test]
    fn parse_table() {
        let cases: &[(&str, &str)] = &[
            ("0", "Number(0)"),
            ("-0", "Number(0)"),
            ("000.000e5", "Number(0)"),
            ("42", "Number(42)"),
            ("+42", "Number(42)"),
            ("-42", "Number(-42)"),
            ("4.2e1", "Number(42)"),
            ("4200e-2", "Number(42)"),
            (".5", "Number(0.5f64)"),
            ("5.", "Number(5)"),
            ("1.5", "Number(1.5f64)"),
            ("-1.5E0", "Number(-1.5f64)"),
            ("9223372036854775807", "Number(9223372036854775807)"),
            ("-9223372036854775808", "Number(-9223372036854775808)"),
            // 2^63 is exactly a float64, so cty would send it as one.
            ("9223372036854775808", "Number(9.223372036854776e18f64)"),
            ("9223372036854775809", "Number(\"9223372036854775809\")"),
            ("18446744073709551615", "Number(\"18446744073709551615\")"),
            (
                "12345678901234567890123",
                "Number(\"12345678901234567890123\")",
            ),
            ("0.1", "Number(\"0.1\")"),
            ("-0.001", "Number(\"-0.001\")"),
            ("1e22", "Number(1e22f64)"),
            ("1e23", "Number(\"100000000000000000000000\")"),
            ("inf", "Number(inff64)"),
            ("-Infinity", "Number(-inff64)"),
            ("1e1000000000", "Number(\"1e1000000000\")"),
        ];
        for (input, want) in cases {
            let n: Number = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(format!("{n:?}"), *want, "{input}");
        }
    }

    #[test]
    fn big_numbers_keep_every_digit() {
        let n: Number = "1e400".parse().unwrap();
        let text = n.to_string();
        assert_eq!(text.len(), 401);
        assert!(text.starts_with('1') && text[1..].bytes().all(|b| b == b'0'));
        let small: Number = "-1.25e-400".parse().unwrap();
        assert_eq!(small.to_string(), format!("-0.{}125", "0".repeat(399)));
        let long = format!("1.{}1", "0".repeat(200));
        assert_eq!(long.parse::<Number>().unwrap().to_string(), long);
    }

    #[test]
    fn parse_errors() {
        let syntax = [
            "", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "0x10", "1_000", " 1", "1 ", "nan",
            "--1", "1e5x",
        ];
        for input in syntax {
            assert!(
                matches!(input.parse::<Number>(), Err(NumberError::Syntax(_))),
                "{input:?}"
            );
        }
        for input in ["1e1000000001", "1e9999999999999", "1e-1000000001"] {
            assert!(
                matches!(input.parse::<Number>(), Err(NumberError::OutOfRange(_))),
                "{input:?}"
            );
        }
    }

    #[test]
    fn conversions() {
        assert_eq!(Number::from(7i64).as_i64(), Some(7));
        assert_eq!(Number::from(7i32), Number::from(7i64));
        assert_eq!(Number::from(7u32), Number::from(7i64));
        assert_eq!(Number::from(7.0), Number::from(7i64));
        assert_eq!(Number::from(-0.0), Number::from(0i64));
        assert_eq!(Number::from(u64::MAX).as_i64(), None);
        assert_eq!(Number::from(u64::MAX).to_string(), "18446744073709551615");
        assert_eq!(
            Number::from(1u64 << 63),
            "9223372036854775808".parse::<Number>().unwrap()
        );
        assert_eq!(Number::from(1.5).as_i64(), None);
        assert_eq!(Number::from(1.5).as_f64(), 1.5);
        assert_eq!("0.1".parse::<Number>().unwrap().as_f64(), 0.1);
        assert_eq!("1e400".parse::<Number>().unwrap().as_f64(), f64::INFINITY);
        assert!(Number::from(f64::NAN).is_nan());
        let five: Number = "5.0".parse().unwrap();
        assert!(five == 5i64);
        assert!(five != 6i64);
    }

    #[test]
    fn distinct_values_stay_distinct_across_representations() {
        let ascending = [
            "-inf",
            "-1e400",
            "-9223372036854775809",
            "-9223372036854775808",
            "-1.5",
            "-0.1",
            "0",
            "0.1",
            "0.1000000000000000055511151231257827021181583404541015625", // float64 0.1
            "0.10000000000000001",
            "1",
            "1.5",
            "9223372036854775807",
            "9223372036854775808",
            "9223372036854775809",
            "1e400",
            "inf",
        ];
        let numbers: Vec<Number> = ascending.iter().map(|s| s.parse().unwrap()).collect();
        for (i, a) in numbers.iter().enumerate() {
            for (j, b) in numbers.iter().enumerate() {
                assert_eq!(a == b, i == j, "{a:?} vs {b:?}");
            }
        }
        assert_eq!(Number::from(0.1), numbers[8]);
        let nan = Number::from(f64::NAN);
        assert_ne!(nan, nan.clone());
    }
}
