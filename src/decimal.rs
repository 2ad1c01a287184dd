//! `str::parse::<f64>` without the standard library's parser, whose 10 KiB table
//! of powers of five is the largest piece of data in the release wasm. Same grammar,
//! same value (the nearest `f64`, ties to even); exact big-integer arithmetic stands
//! in for the table where the one-operation fast path does not apply.

// Only the (browser-only) mailbox parses cursors; the tests run on the host.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

/// `text.parse::<f64>().ok().filter(|x| x.is_finite())`: an optional sign, digits
/// with an optional `.` (at least one digit), then optionally `e` or `E`, an
/// optional sign and at least one digit. `inf` and `nan` are never finite.
pub(crate) fn parse_finite_f64(text: &str) -> Option<f64> {
    let mut s = text.as_bytes();
    let negative = s.first() == Some(&b'-');
    if let Some((b'-' | b'+', rest)) = s.split_first() {
        s = rest;
    }
    let (int, rest) = split_digits(s);
    let (frac, rest) = match rest.split_first() {
        Some((b'.', rest)) => split_digits(rest),
        _ => (&rest[..0], rest),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut exponent: i64 = 0;
    let rest = match rest.split_first() {
        Some((b'e' | b'E', rest)) => {
            let (negative, rest) = match rest.split_first() {
                Some((b'-', rest)) => (true, rest),
                Some((b'+', rest)) => (false, rest),
                _ => (false, rest),
            };
            let (digits, rest) = split_digits(rest);
            if digits.is_empty() {
                return None;
            }
            for &d in digits {
                // Saturates where the standard library's parser does.
                if exponent < 0x10000 {
                    exponent = 10 * exponent + i64::from(d - b'0');
                }
            }
            if negative {
                exponent = -exponent;
            }
            rest
        }
        _ => rest,
    };
    if !rest.is_empty() {
        return None;
    }
    let value = magnitude(int, frac, exponent)?;
    Some(if negative { -value } else { value })
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    s.split_at(
        s.iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(s.len()),
    )
}

/// Significant digits kept; a nonzero digit after them stands for the rest. Any
/// halfway point between two `f64`s has at most 767 significant digits, so this
/// rounds as the whole would.
const MAX_DIGITS: usize = 800;

/// The nearest `f64` to `int.frac × 10^exponent`, `None` when that is infinite.
fn magnitude(int: &[u8], frac: &[u8], exponent: i64) -> Option<f64> {
    let all = || int.iter().chain(frac).map(|d| d - b'0');
    let count = int.len() + frac.len();
    let Some(first) = all().position(|d| d != 0) else {
        return Some(0.0);
    };
    let last = count - 1 - all().rev().position(|d| d != 0).unwrap_or(0);
    let len = last + 1 - first;
    // value = digits[first..=last] × 10^exp10
    let mut exp10 = exponent - frac.len() as i64 + (count - 1 - last) as i64;
    // The value lies in [10^(point - 1), 10^point).
    let point = exp10.saturating_add(len as i64);
    if point > 310 {
        return None;
    }
    if point < -330 {
        return Some(0.0);
    }
    let significant = all().skip(first).take(len);
    if len <= 15 && (-22..=22).contains(&exp10) {
        // Both operands exact, so the one rounding is the correct one.
        let mantissa = significant.fold(0u64, |m, d| m * 10 + u64::from(d)) as f64;
        let scale = POW10[exp10.unsigned_abs() as usize];
        return Some(if exp10 < 0 {
            mantissa / scale
        } else {
            mantissa * scale
        });
    }
    let mut n = Big::default();
    for d in significant.take(MAX_DIGITS) {
        n.mul_add(10, u32::from(d));
    }
    if len > MAX_DIGITS {
        n.mul_add(10, 1);
        exp10 += (len - MAX_DIGITS - 1) as i64;
    }
    // value = a / b × 2^shift
    let (mut a, b, shift) = if exp10 >= 0 {
        for _ in 0..exp10 {
            n.mul_add(5, 0);
        }
        (n, Big(vec![1]), exp10)
    } else {
        let mut b = Big(vec![1]);
        for _ in 0..-exp10 {
            b.mul_add(5, 0);
        }
        (n, b, exp10)
    };
    // At least 66 bits of quotient: 53 to keep, a rounding bit and more.
    let extra = (b.bits() + 66).saturating_sub(a.bits());
    a.shl(extra);
    let (q, inexact) = a.div_rem(&b);
    let shift = shift - extra as i64;
    // value = (q + fraction) × 2^shift, 2^e ≤ value < 2^(e + 1)
    let e = q.bits() as i64 - 1 + shift;
    if e > 1023 {
        return None;
    }
    let lsb = (e - 52).max(-1074);
    let drop = (lsb - shift) as usize;
    let mut mantissa = q.bits_from(drop);
    let half = q.bit(drop - 1);
    let rest = inexact || (0..drop - 1).any(|i| q.bit(i));
    if half && (rest || mantissa & 1 == 1) {
        mantissa += 1;
    }
    let scale = if lsb >= -1022 {
        f64::from_bits(((lsb + 1023) as u64) << 52)
    } else {
        f64::from_bits(1 << (lsb + 1074))
    };
    // Exact: the product is representable (or overflows to infinity).
    Some(mantissa as f64 * scale).filter(|x| x.is_finite())
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// An unsigned big integer, 32-bit limbs, least significant first.
#[derive(Default)]
struct Big(Vec<u32>);

impl Big {
    fn mul_add(&mut self, factor: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let x = u64::from(*limb) * u64::from(factor) + carry;
            *limb = x as u32;
            carry = x >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    fn bits(&self) -> usize {
        match self.0.iter().rposition(|&l| l != 0) {
            Some(i) => i * 32 + 32 - self.0[i].leading_zeros() as usize,
            None => 0,
        }
    }

    fn bit(&self, i: usize) -> bool {
        self.0.get(i / 32).is_some_and(|l| l >> (i % 32) & 1 == 1)
    }

    /// The bits from `from` up, at most 64 of them.
    fn bits_from(&self, from: usize) -> u64 {
        (0..64).fold(0, |m, i| m | u64::from(self.bit(from + i)) << i)
    }

    fn shl(&mut self, by: usize) {
        let (limbs, bits) = (by / 32, by % 32);
        if bits != 0 {
            let mut carry = 0;
            for limb in &mut self.0 {
                let x = *limb;
                *limb = x << bits | carry;
                carry = x >> (32 - bits);
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, std::iter::repeat(0).take(limbs));
    }

    /// Whether `self ≥ other`.
    fn at_least(&self, other: &Big) -> bool {
        let n = self.0.len().max(other.0.len());
        for i in (0..n).rev() {
            let (x, y) = (
                self.0.get(i).copied().unwrap_or(0),
                other.0.get(i).copied().unwrap_or(0),
            );
            if x != y {
                return x > y;
            }
        }
        true
    }

    fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let x = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            *limb = x as u32;
            borrow = i64::from(x < 0);
        }
    }

    /// The quotient `self / divisor` and whether there is a remainder (long division, bit by bit).
    fn div_rem(&self, divisor: &Big) -> (Big, bool) {
        let mut quotient = Big(vec![0; self.0.len()]);
        let mut remainder = Big::default();
        for i in (0..self.bits()).rev() {
            remainder.shl(1);
            if self.bit(i) {
                match remainder.0.first_mut() {
                    Some(low) => *low |= 1,
                    None => remainder.0.push(1),
                }
            }
            if remainder.at_least(divisor) {
                remainder.sub(divisor);
                quotient.0[i / 32] |= 1 << (i % 32);
            }
        }
        (quotient, remainder.bits() != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_finite_f64;

    fn std_parse(text: &str) -> Option<f64> {
        text.parse::<f64>().ok().filter(|x| x.is_finite())
    }

    fn check(text: &str) {
        let ours = parse_finite_f64(text).map(f64::to_bits);
        let std = std_parse(text).map(f64::to_bits);
        assert_eq!(ours, std, "{text:?}");
    }

    #[test]
    fn grammar_and_edges() {
        for text in [
            "",
            "+",
            "-",
            ".",
            "-.",
            "e1",
            ".e1",
            "1e",
            "1e+",
            "1e-",
            "1.5e",
            "1..5",
            "1.5.",
            "1e5.5",
            "0",
            "-0",
            "+0",
            "0.0",
            "-0.0",
            "00",
            ".0",
            "0.",
            "-.0e-5",
            "1",
            "-1",
            "+1",
            "1.",
            ".5",
            "1.5",
            "1.5E3",
            "1.5e+3",
            "1.5e-3",
            "1_0",
            " 1",
            "1 ",
            "0x10",
            "1f",
            "١",
            "inf",
            "-inf",
            "Infinity",
            "INFINITY",
            "nan",
            "NaN",
            "-nan",
            "infinit",
            "1e308",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "2e308",
            "1e309",
            "-1e309",
            "2.2250738585072011e-308",
            "2.2250738585072012e-308",
            "2.2250738585072014e-308",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "2.4703282292062326e-324",
            "1e-324",
            "3e-324",
            "1e-400",
            "-1e-400",
            "1e-99999",
            "1e99999",
            "0e99999",
            "-0e99999",
            "1e999999999999999999999",
            "1e-999999999999999999999",
            "9007199254740992",
            "9007199254740993",
            "9007199254740994",
            "9007199254740995",
            "9007199254740993.0000000000000000000001",
            "-1700000000000",
            "1700000000000",
            "-1712345678901",
            "123456789012345678901234567890",
            "0.1",
            "0.2",
            "0.3",
            "1e22",
            "1e23",
            "1e-22",
            "1e-23",
            "123456789012345e22",
            "1234567890123456e-22",
            "8.98846567431158e307",
        ] {
            check(text);
        }
        let long = format!("0.{}1e{}", "0".repeat(100_000), 100_000);
        check(&long);
        let long = format!("1{}e-70000", "0".repeat(70_000));
        check(&long);
        let long = format!("{}e-69990", "1".repeat(70_000));
        check(&long);
        let long = format!("0.{}1e700000", "0".repeat(700_000));
        check(&long);
    }

    /// `a + b` for non-negative decimal strings in `{:e}` form.
    fn add_exact(a: f64, b: f64) -> String {
        // Exact expansions: d.ddd…e±x with enough digits to be exact.
        let parse = |x: f64| {
            let s = format!("{x:.1100e}");
            let (m, e) = s.split_once('e').unwrap();
            let digits: Vec<u8> = m.bytes().filter(|c| *c != b'.').map(|c| c - b'0').collect();
            // value = digits × 10^(e - (len - 1))
            (
                digits.clone(),
                e.parse::<i64>().unwrap() - (digits.len() as i64 - 1),
            )
        };
        let ((da, ea), (db, eb)) = (parse(a), parse(b));
        let low = ea.min(eb);
        let pad = |d: Vec<u8>, e: i64| {
            let mut d = d;
            d.extend(std::iter::repeat(0).take((e - low) as usize));
            d
        };
        let (mut x, mut y) = (pad(da, ea), pad(db, eb));
        let n = x.len().max(y.len()) + 1;
        x.splice(0..0, std::iter::repeat(0).take(n - x.len()));
        y.splice(0..0, std::iter::repeat(0).take(n - y.len()));
        let mut carry = 0;
        for i in (0..n).rev() {
            let s = x[i] + y[i] + carry;
            x[i] = s % 10;
            carry = s / 10;
        }
        let text: String = x.iter().map(|d| char::from(b'0' + d)).collect();
        format!("{text}e{low}")
    }

    #[test]
    fn random_against_std() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let r = next();
            let digits = |n: u64, next: &mut dyn FnMut() -> u64| -> String {
                (0..n)
                    .map(|_| char::from(b'0' + (next() % 10) as u8))
                    .collect()
            };
            let int = digits(r % 25, &mut next);
            let frac = digits((r >> 8) % 25, &mut next);
            let mut text = String::new();
            if r >> 16 & 1 == 1 {
                text.push('-');
            }
            text += &int;
            if r >> 17 & 1 == 1 || int.is_empty() {
                text.push('.');
                text += &frac;
            }
            if r >> 18 & 1 == 1 {
                text += &format!("e{}", (next() % 700) as i64 - 350);
            }
            check(&text);
        }
        // Values of every magnitude, their neighbours and the halfway points between.
        for _ in 0..3_000 {
            let x = f64::from_bits(next() % 0x7ff0_0000_0000_0000);
            let up = f64::from_bits(x.to_bits() + 1);
            check(&format!("{x:e}"));
            check(&format!("{x:.1100e}"));
            check(&format!("{up:e}"));
            if up.is_finite() {
                let half_ulp = (up - x) / 2.0;
                if half_ulp > 0.0 {
                    let tie = add_exact(x, half_ulp);
                    check(&tie);
                    let (m, e) = tie.split_once('e').unwrap();
                    check(&format!("{m}0000000000000000001e{e}"));
                    // Just below the tie: the last nonzero digit one less, then nines.
                    let trimmed = m.trim_end_matches('0');
                    let (head, last) = trimmed.split_at(trimmed.len() - 1);
                    let e = e.parse::<i64>().unwrap() + (m.len() - trimmed.len()) as i64 - 20;
                    let last = char::from(last.as_bytes()[0] - 1);
                    check(&format!("{head}{last}{}e{e}", "9".repeat(20)));
                }
            }
        }
    }
}
