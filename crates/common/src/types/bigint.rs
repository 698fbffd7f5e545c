//! A small unsigned arbitrary-precision integer in base 10⁹, the magnitude of a
//! [`super::Numeric`].
//!
//! Limbs are little-endian `u32`s below 10⁹, with no zero limb at the top (zero is the empty
//! vector), so equal values have equal representations. Base 10⁹ rather than 2³² keeps decimal
//! input and output, and scaling by powers of ten, cheap; the arithmetic is schoolbook
//! (Knuth's algorithm D for division), which is fast enough for the few hundred digits SQL
//! values usually have.

use std::cmp::Ordering;

pub(crate) const BASE: u64 = 1_000_000_000;
const BASE_DIGITS: u32 = 9;

/// An unsigned integer; see the module doc.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Mag(Vec<u32>);

impl Mag {
    pub(crate) fn zero() -> Mag {
        Mag(Vec::new())
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn trim(mut self) -> Mag {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
        self
    }

    pub(crate) fn from_u128(mut v: u128) -> Mag {
        let mut limbs = Vec::new();
        while v > 0 {
            limbs.push((v % u128::from(BASE)) as u32);
            v /= u128::from(BASE);
        }
        Mag(limbs)
    }

    pub(crate) fn to_u128(&self) -> Option<u128> {
        let mut v: u128 = 0;
        for &limb in self.0.iter().rev() {
            v = v
                .checked_mul(u128::from(BASE))?
                .checked_add(u128::from(limb))?;
        }
        Some(v)
    }

    /// From ASCII decimal digits (the caller guarantees they are digits).
    pub(crate) fn from_digits(digits: &[u8]) -> Mag {
        let mut limbs = Vec::with_capacity(digits.len() / 9 + 1);
        let mut end = digits.len();
        while end > 0 {
            let start = end.saturating_sub(BASE_DIGITS as usize);
            let mut limb = 0u32;
            for &d in &digits[start..end] {
                limb = limb * 10 + u32::from(d.wrapping_sub(b'0') % 10);
            }
            limbs.push(limb);
            end = start;
        }
        Mag(limbs).trim()
    }

    /// Decimal digits without leading zeros (`"0"` for zero).
    pub(crate) fn to_digits(&self) -> String {
        let Some((top, rest)) = self.0.split_last() else {
            return "0".to_owned();
        };
        let mut s = top.to_string();
        for limb in rest.iter().rev() {
            s.push_str(&format!("{limb:09}"));
        }
        s
    }

    /// Number of decimal digits (0 for zero).
    pub(crate) fn num_digits(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(&top) => {
                (self.0.len() as u64 - 1) * u64::from(BASE_DIGITS) + u64::from(top.ilog10() + 1)
            }
        }
    }

    pub(crate) fn cmp_mag(&self, other: &Mag) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    pub(crate) fn add(&self, other: &Mag) -> Mag {
        let (long, short) = if self.0.len() >= other.0.len() {
            (self, other)
        } else {
            (other, self)
        };
        let mut out = Vec::with_capacity(long.0.len() + 1);
        let mut carry = 0u64;
        for (i, &l) in long.0.iter().enumerate() {
            let s = u64::from(l) + u64::from(short.0.get(i).copied().unwrap_or(0)) + carry;
            out.push((s % BASE) as u32);
            carry = s / BASE;
        }
        if carry > 0 {
            out.push(carry as u32);
        }
        Mag(out)
    }

    /// `self - other`; the caller guarantees `self >= other`.
    pub(crate) fn sub(&self, other: &Mag) -> Mag {
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i64;
        for (i, &a) in self.0.iter().enumerate() {
            let mut d = i64::from(a) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = 0;
            if d < 0 {
                d += BASE as i64;
                borrow = 1;
            }
            out.push(d as u32);
        }
        Mag(out).trim()
    }

    pub(crate) fn mul(&self, other: &Mag) -> Mag {
        if self.is_zero() || other.is_zero() {
            return Mag::zero();
        }
        let mut acc = vec![0u64; self.0.len() + other.0.len() + 1];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.0.iter().enumerate() {
                let t = acc[i + j] + u64::from(a) * u64::from(b) + carry;
                acc[i + j] = t % BASE;
                carry = t / BASE;
            }
            let mut k = i + other.0.len();
            while carry > 0 {
                let t = acc[k] + carry;
                acc[k] = t % BASE;
                carry = t / BASE;
                k += 1;
            }
        }
        Mag(acc.into_iter().map(|v| v as u32).collect()).trim()
    }

    pub(crate) fn mul_small(&self, m: u32) -> Mag {
        let mut out = Vec::with_capacity(self.0.len() + 1);
        let mut carry = 0u64;
        for &a in &self.0 {
            let t = u64::from(a) * u64::from(m) + carry;
            out.push((t % BASE) as u32);
            carry = t / BASE;
        }
        if carry > 0 {
            out.push(carry as u32);
        }
        Mag(out).trim()
    }

    pub(crate) fn add_small(&self, m: u32) -> Mag {
        self.add(&Mag::from_u128(u128::from(m)))
    }

    /// `(self / d, self % d)` for `0 < d < BASE`.
    pub(crate) fn divmod_small(&self, d: u32) -> (Mag, u32) {
        let mut out = vec![0u32; self.0.len()];
        let mut rem = 0u64;
        for i in (0..self.0.len()).rev() {
            let cur = rem * BASE + u64::from(self.0[i]);
            out[i] = (cur / u64::from(d)) as u32;
            rem = cur % u64::from(d);
        }
        (Mag(out).trim(), rem as u32)
    }

    /// `10^k`.
    pub(crate) fn pow10(k: u64) -> Mag {
        let mut limbs = vec![0u32; (k / u64::from(BASE_DIGITS)) as usize];
        limbs.push(10u32.pow((k % u64::from(BASE_DIGITS)) as u32));
        Mag(limbs)
    }

    /// `self * 10^k`.
    pub(crate) fn mul_pow10(&self, k: u64) -> Mag {
        if self.is_zero() || k == 0 {
            return self.clone();
        }
        let shifted = self.mul_small(10u32.pow((k % u64::from(BASE_DIGITS)) as u32));
        let mut limbs = vec![0u32; (k / u64::from(BASE_DIGITS)) as usize];
        limbs.extend_from_slice(&shifted.0);
        Mag(limbs)
    }

    /// `(self / 10^k, self % 10^k)`.
    pub(crate) fn divmod_pow10(&self, k: u64) -> (Mag, Mag) {
        self.divmod(&Mag::pow10(k))
    }

    /// `(self / other, self % other)`; `other` must not be zero (returns zeros if it is).
    pub(crate) fn divmod(&self, other: &Mag) -> (Mag, Mag) {
        if other.is_zero() {
            return (Mag::zero(), Mag::zero());
        }
        if self.cmp_mag(other) == Ordering::Less {
            return (Mag::zero(), self.clone());
        }
        if other.0.len() == 1 {
            let (q, r) = self.divmod_small(other.0[0]);
            return (q, Mag::from_u128(u128::from(r)));
        }
        // Knuth, TAOCP vol. 2, 4.3.1, algorithm D, in base 10^9.
        let n = other.0.len();
        let top = u64::from(other.0[n - 1]);
        let d = (BASE / (top + 1)) as u32;
        let vn = other.mul_small(d).0;
        let mut un = self.mul_small(d).0;
        un.resize(self.0.len() + 1, 0);
        let m = un.len() - n - 1;
        let mut q = vec![0u32; m + 1];
        let vtop = u64::from(vn[n - 1]);
        let vnext = u64::from(vn[n - 2]);
        for j in (0..=m).rev() {
            let num = u64::from(un[j + n]) * BASE + u64::from(un[j + n - 1]);
            let mut qhat = num / vtop;
            let mut rhat = num % vtop;
            while qhat >= BASE || qhat * vnext > rhat * BASE + u64::from(un[j + n - 2]) {
                qhat -= 1;
                rhat += vtop;
                if rhat >= BASE {
                    break;
                }
            }
            let mut borrow = 0i64;
            let mut carry = 0u64;
            for i in 0..n {
                let p = qhat * u64::from(vn[i]) + carry;
                carry = p / BASE;
                let mut s = i64::from(un[i + j]) - (p % BASE) as i64 - borrow;
                borrow = 0;
                if s < 0 {
                    s += BASE as i64;
                    borrow = 1;
                }
                un[i + j] = s as u32;
            }
            let s = i64::from(un[j + n]) - carry as i64 - borrow;
            if s < 0 {
                un[j + n] = (s + BASE as i64) as u32;
                qhat -= 1;
                let mut c = 0u64;
                for i in 0..n {
                    let t = u64::from(un[i + j]) + u64::from(vn[i]) + c;
                    un[i + j] = (t % BASE) as u32;
                    c = t / BASE;
                }
                un[j + n] = ((u64::from(un[j + n]) + c) % BASE) as u32;
            } else {
                un[j + n] = s as u32;
            }
            q[j] = qhat as u32;
        }
        un.truncate(n);
        let (r, _) = Mag(un).trim().divmod_small(d);
        (Mag(q).trim(), r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn matches_u128(a in any::<u64>(), b in any::<u64>(), c in 1u64.., e in 0u64..20) {
            let (ma, mb, mc) = (Mag::from_u128(a.into()), Mag::from_u128(b.into()), Mag::from_u128(c.into()));
            let prod = u128::from(a) * u128::from(b);
            prop_assert_eq!(ma.mul(&mb).to_u128(), Some(prod));
            prop_assert_eq!(ma.add(&mb).to_u128(), Some(u128::from(a) + u128::from(b)));
            let (q, r) = Mag::from_u128(prod).divmod(&mc);
            prop_assert_eq!(q.to_u128(), Some(prod / u128::from(c)));
            prop_assert_eq!(r.to_u128(), Some(prod % u128::from(c)));
            let wide = Mag::from_u128(prod).mul(&Mag::from_u128(prod));
            let (q2, r2) = wide.divmod(&Mag::from_u128(prod | 1));
            prop_assert_eq!(q2.mul(&Mag::from_u128(prod | 1)).add(&r2), wide.clone());
            prop_assert_eq!(r2.cmp_mag(&Mag::from_u128(prod | 1)), Ordering::Less);
            prop_assert_eq!(Mag::from_digits(ma.to_digits().as_bytes()), ma.clone());
            prop_assert_eq!(ma.mul_pow10(e).divmod_pow10(e).0, ma.clone());
            if a >= b {
                prop_assert_eq!(ma.sub(&mb).to_u128(), Some(u128::from(a - b)));
            }
        }
    }
}
