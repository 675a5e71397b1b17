//! Decimal digits of an integer, written into a caller's buffer without `core::fmt`, which
//! would link the formatting machinery (over a kilobyte on a Cortex-M) into every image that
//! serves a byte range or an event's `retry`.
//!
//! This module only writes digits; the texts around them belong to their users.

/// `n` in decimal, written at the end of `buf` (20 bytes hold any `u64`).
pub(crate) fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        // A u64 has at most 20 digits, so `i` stays in bounds.
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits() {
        let mut buf = [0; 20];
        for (n, text) in [
            (0, "0"),
            (7, "7"),
            (10, "10"),
            (4_294_967_295, "4294967295"),
            (u64::MAX, "18446744073709551615"),
        ] {
            assert_eq!(decimal(n, &mut buf), text.as_bytes());
        }
    }
}
