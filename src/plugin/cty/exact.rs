//! Exact decimal expansions of binary floats.
//!
//! cty numbers are arbitrary-precision decimals, while msgpack carries
//! integers and float64s. Deciding whether a decimal string is *exactly* a
//! float64 (so it must travel as one to be canonical), and comparing a
//! float64 with a decimal, both need the float's full decimal expansion,
//! which is finite but up to ~770 significant digits long. A tiny base-10⁹
//! big integer is enough for that; nothing else here needs big arithmetic.

/// `|f| == digits × 10^exponent` exactly, with `digits` free of leading and
/// trailing zeros. `None` for zero, infinities and NaN.
pub(super) fn exact_decimal(f: f64) -> Option<(String, i64)> {
    if !f.is_finite() || f == 0.0 {
        return None;
    }
    let bits = f.abs().to_bits();
    let biased = i64::try_from(bits >> 52).ok()?;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mut mantissa, mut exp2) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    let zeros = mantissa.trailing_zeros();
    mantissa >>= zeros;
    exp2 += i64::from(zeros);

    let mut big = BigDecimalDigits::from_u64(mantissa);
    let mut exponent = 0;
    let power = u32::try_from(exp2.unsigned_abs()).ok()?;
    if exp2 >= 0 {
        big.mul_pow(2, power);
    } else {
        // m·2⁻ⁿ = m·5ⁿ·10⁻ⁿ
        big.mul_pow(5, power);
        exponent = exp2;
    }
    let mut digits = big.to_decimal();
    let kept = digits.trim_end_matches('0').len();
    exponent += i64::try_from(digits.len() - kept).ok()?;
    digits.truncate(kept);
    Some((digits, exponent))
}

/// The float64 that equals `digits × 10^exponent` exactly, if there is one.
/// `digits` must be normalized (no leading or trailing zeros, not empty).
pub(super) fn exact_f64(digits: &str, exponent: i64) -> Option<f64> {
    // Every finite float64 expands to at most 767 significant digits with a
    // decimal exponent in [-1074, 308]; anything outside is never exact and
    // is rejected before doing arithmetic on it.
    if digits.len() > 800 || !(-1100..=400).contains(&exponent) {
        return None;
    }
    let f: f64 = format!("{digits}e{exponent}").parse().ok()?;
    let (exact_digits, exact_exponent) = exact_decimal(f)?;
    (exact_digits == digits && exact_exponent == exponent).then_some(f)
}

/// An unsigned integer as little-endian base-10⁹ limbs.
struct BigDecimalDigits {
    limbs: Vec<u32>,
}

const LIMB_BASE: u64 = 1_000_000_000;

impl BigDecimalDigits {
    fn from_u64(mut n: u64) -> Self {
        let mut limbs = Vec::with_capacity(4);
        while n > 0 {
            limbs.push((n % LIMB_BASE) as u32);
            n /= LIMB_BASE;
        }
        Self { limbs }
    }

    fn mul_small(&mut self, factor: u32) {
        let mut carry = 0u64;
        for limb in &mut self.limbs {
            // < 10⁹ · 2³² + 2³² < 2⁶⁴
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = (product % LIMB_BASE) as u32;
            carry = product / LIMB_BASE;
        }
        while carry > 0 {
            self.limbs.push((carry % LIMB_BASE) as u32);
            carry /= LIMB_BASE;
        }
    }

    /// Multiplies by `base^n` for base 2 or 5, in chunks that fit a u32.
    fn mul_pow(&mut self, base: u32, mut n: u32) {
        let chunk_exp = if base == 2 { 31 } else { 13 };
        let chunk = base.pow(chunk_exp);
        while n >= chunk_exp {
            self.mul_small(chunk);
            n -= chunk_exp;
        }
        self.mul_small(base.pow(n));
    }

    fn to_decimal(&self) -> String {
        let mut out = String::with_capacity(self.limbs.len() * 9);
        let mut limbs = self.limbs.iter().rev();
        match limbs.next() {
            Some(top) => out.push_str(&top.to_string()),
            None => out.push('0'),
        }
        for limb in limbs {
            out.push_str(&format!("{limb:09}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_decimal_table() {
        // Expected values from Python's decimal.Decimal(float), normalized.
        let cases: &[(f64, &str, i64)] = &[
            (1.0, "1", 0),
            (-1.0, "1", 0),
            (10.0, "1", 1),
            (1.5, "15", -1),
            (0.1, "1000000000000000055511151231257827021181583404541015625", -55),
            (2f64 * 9007199254740992.0, "18014398509481984", 0),
            (18446744073709551616.0, "18446744073709551616", 0),
            (1e300, "100000000000000005250476025520442024870446858110815915491585411551180245798890819578637137508044786404370444383288387817694252323536043057564479218478670698284838720092657580373783023379478809005936895323497079994508111903896764088007465274278014249457925878882005684283811566947219638686545940054016", 1),
        ];
        for &(f, digits, exponent) in cases {
            let (d, e) = exact_decimal(f).unwrap();
            assert_eq!((d.as_str(), e), (digits, exponent), "{f}");
        }
        assert_eq!(exact_decimal(0.0), None);
        assert_eq!(exact_decimal(f64::INFINITY), None);
        assert_eq!(exact_decimal(f64::NAN), None);
    }

    #[test]
    fn smallest_subnormal_expands_exactly() {
        let (digits, exponent) = exact_decimal(f64::from_bits(1)).unwrap();
        assert_eq!(exponent, -1074);
        assert_eq!(digits.len(), 751);
        assert!(digits.starts_with("494065645841246544176568792868221372365059802"));
        assert_eq!(exact_f64(&digits, exponent), Some(f64::from_bits(1)));
    }

    #[test]
    fn exact_f64_table() {
        let cases: &[(&str, i64, Option<f64>)] = &[
            ("15", -1, Some(1.5)),
            ("1", -1, None), // 0.1 is not a binary fraction
            ("18446744073709551616", 0, Some(18446744073709551616.0)),
            ("18446744073709551615", 0, None),
            ("1", 400, None),
            ("1", -400, None),
            ("5", -1, Some(0.5)),
            ("1", 22, Some(1e22)),
            ("1", 23, None), // 10^23 is not a float64
        ];
        for &(digits, exponent, want) in cases {
            assert_eq!(exact_f64(digits, exponent), want, "{digits}e{exponent}");
        }
    }
}
