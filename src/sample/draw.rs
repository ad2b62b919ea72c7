//! Random draws and digit writing shared by the generator.

use chrono::{DateTime, Datelike};
use fastrand::Rng;

pub(super) const DIGITS: &[u8] = b"0123456789";
pub(super) const HEX: &[u8] = b"0123456789abcdef";
pub(super) const LOWER_ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
pub(super) const UPPER_ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub(super) const MIXED_ALNUM: &[u8] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub(super) const BASE32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

pub(super) fn pick<T: Copy>(rng: &mut Rng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut r = rng.u32(..total);
    for &(value, weight) in table {
        if r < weight {
            return value;
        }
        r -= weight;
    }
    table[table.len() - 1].0
}

pub(super) fn choose<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[rng.u32(..items.len() as u32) as usize]
}

/// A random index below `len` (0 when `len` is 0), drawn the same way on every platform.
pub(super) fn index(rng: &mut Rng, len: usize) -> u8 {
    if len == 0 {
        0
    } else {
        rng.u32(..len as u32) as u8
    }
}

/// `len` characters of an ASCII `alphabet`, several per random draw: the IDs of a row are
/// most of its random numbers. The slight bias of the last digit of each draw is harmless
/// here.
pub(super) fn push_random(rng: &mut Rng, out: &mut String, alphabet: &[u8], len: usize) {
    let base = alphabet.len() as u64;
    let per_draw = 64 / (64 - (base - 1).leading_zeros()) as usize;
    let mut remaining = len;
    while remaining > 0 {
        let mut x = rng.u64(..);
        for _ in 0..remaining.min(per_draw) {
            out.push(char::from(alphabet[(x % base) as usize]));
            x /= base;
        }
        remaining = remaining.saturating_sub(per_draw);
    }
}

pub(super) fn push_u64(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

pub(super) fn push_padded(out: &mut String, n: u64, width: usize) {
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(n);
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(digits);
}

pub(super) fn yyyymmdd(secs: i64) -> u64 {
    let date = DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .date_naive();
    let year = u64::try_from(date.year()).unwrap_or(0);
    year * 10_000 + u64::from(date.month()) * 100 + u64::from(date.day())
}

pub(super) fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}
