//! The byte classes of a request head and the span of bytes a parsed piece occupies: the
//! shared vocabulary below [`method`](super::method), [`target`](super::target),
//! [`header`](super::header) and [`request`](super::request).
//!
//! This module owns one lookup table (RFC 3986's URI classes and RFC 9110's `tchar`, a bit
//! each), the scans over runs of a class or of field-value bytes, and [`Span`]. It imports nothing from its neighbours, never allocates and never
//! panics on a byte.

// Byte classes of RFC 3986, one bit each, so one table lookup answers a membership test. The
// last bit is RFC 9110's `tchar`, so field names, methods and targets share one table.
pub(crate) const UNRESERVED: u8 = 1;
pub(crate) const SUB_DELIM: u8 = 2;
pub(crate) const COLON_AT: u8 = 4;
pub(crate) const SLASH: u8 = 8;
pub(crate) const PERCENT: u8 = 16;
pub(crate) const BRACKET: u8 = 32;
pub(crate) const QUESTION: u8 = 64;
/// The class bit of a `tchar` (RFC 9110 section 5.6.2).
pub(crate) const TCHAR: u8 = 128;

pub(crate) const PCHAR: u8 = UNRESERVED | SUB_DELIM | COLON_AT;
pub(crate) const REG_NAME: u8 = UNRESERVED | SUB_DELIM;
pub(crate) const TARGET: u8 = !TCHAR;

static CLASS: [u8; 256] = {
    let mut map = [0u8; 256];
    let mut i = 0usize;
    while i < 256 {
        let b = i as u8;
        let target = match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => UNRESERVED,
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' => {
                SUB_DELIM
            }
            b':' | b'@' => COLON_AT,
            b'/' => SLASH,
            b'?' => QUESTION,
            b'%' => PERCENT,
            b'[' | b']' => BRACKET,
            _ => 0,
        };
        let token = matches!(b,
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
            | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+'
            | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~');
        map[i] = if token { target | TCHAR } else { target };
        i += 1;
    }
    map
};

/// The class bits of `b`.
pub(crate) const fn class(b: u8) -> u8 {
    CLASS[b as usize]
}

/// Whether `b` is a `tchar` (RFC 9110 section 5.6.2): a visible ASCII byte other than a
/// delimiter.
pub const fn is_tchar(b: u8) -> bool {
    class(b) & TCHAR != 0
}

/// The length of the run at the front of `bytes` whose bytes each have a class bit of `mask`.
/// On 64-bit targets eight bytes are tested per branch (no early exit inside a word), for
/// speed; elsewhere a byte at a time, for size.
#[inline]
pub(crate) fn run_len(bytes: &[u8], mask: u8) -> usize {
    let mut rest = bytes;
    while let Some((word, tail)) = rest.split_first_chunk::<8>()
        && cfg!(target_pointer_width = "64")
    {
        if !word
            .iter()
            .fold(true, |all, &b| all & (class(b) & mask != 0))
        {
            break;
        }
        rest = tail;
    }
    let run = rest.iter().take_while(|&&b| class(b) & mask != 0).count();
    bytes.len() - rest.len() + run
}

/// Bytes of a `usize`, the word the field-value scan checks at once.
const WORD: usize = core::mem::size_of::<usize>();
/// `0x01` in every byte of a word.
const LOW: usize = usize::MAX / 255;
/// `0x80` in every byte of a word.
const HIGH: usize = LOW << 7;

/// The length of the run of field-value bytes (HTAB, SP, visible ASCII, obs-text) at the
/// front of `bytes`. On 64-bit targets sixteen bytes and then a word at a time, for speed:
/// the lowest byte below SP or equal to DEL in a word is found exactly (the borrows of the
/// subtractions only run upwards), and is the end of the run unless it is HTAB. Elsewhere a
/// byte at a time, for size.
#[inline]
pub(crate) fn field_value_len(bytes: &[u8]) -> usize {
    let mut rest = bytes;
    // First sixteen bytes per branch, a test the compiler makes vector compares (long values,
    // a browser's `User-Agent`, pass here); the words then find where the run ends.
    while let Some((chunk, tail)) = rest.split_first_chunk::<16>()
        && cfg!(target_pointer_width = "64")
        && chunk
            .iter()
            .fold(true, |clean, &b| clean & (b >= b' ') & (b != 0x7F))
    {
        rest = tail;
    }
    loop {
        let mut skip = 0usize;
        if let Some((word, tail)) = rest.split_first_chunk::<WORD>()
            && WORD == 8
        {
            let x = usize::from_le_bytes(*word);
            let del = x ^ (LOW * 0x7F);
            let found = (x.wrapping_sub(LOW * 0x20) & !x | del.wrapping_sub(LOW) & !del) & HIGH;
            if found == 0 {
                rest = tail;
                continue;
            }
            skip = (found.trailing_zeros() / 8) as usize;
        }
        match rest.get(skip..) {
            // The usual end of a value, decided before the general test.
            Some([b'\r', ..]) => return bytes.len() - rest.len() + skip,
            Some([b, tail @ ..]) if matches!(*b, b'\t' | b' '..=0x7E | 0x80..=0xFF) => rest = tail,
            _ => return bytes.len() - rest.len() + skip,
        }
    }
}

/// Whether `bytes` is a `token`: one or more `tchar`s.
pub fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && run_len(bytes, TCHAR) == bytes.len()
}

/// A byte range `start..end` into the buffer a head was parsed from.
///
/// Offsets are `u32`, so a head is at most 4 GiB; the request parser enforces that.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// The empty span at offset 0.
    pub const EMPTY: Self = Self { start: 0, end: 0 };

    /// The range `start..end`; an inverted range is clamped to empty at `start`.
    pub const fn new(start: u32, end: u32) -> Self {
        if end < start {
            Self { start, end: start }
        } else {
            Self { start, end }
        }
    }

    /// First offset.
    pub const fn start(self) -> u32 {
        self.start
    }

    /// One past the last offset.
    pub const fn end(self) -> u32 {
        self.end
    }

    /// Length in bytes.
    pub const fn len(self) -> u32 {
        self.end - self.start // `new` keeps end >= start.
    }

    /// Whether the span is empty.
    pub const fn is_empty(self) -> bool {
        self.end == self.start
    }

    /// The bytes of `buf` this span covers, or an empty slice when it does not fit `buf`.
    pub fn slice(self, buf: &[u8]) -> &[u8] {
        buf.get(self.start as usize..self.end as usize)
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan ends where a byte-wise reading of the definition ends, wherever the byte that
    /// stops it falls against the sixteen-byte and word steps.
    #[test]
    fn field_value_len_matches_the_definition() {
        let model = |bytes: &[u8]| {
            bytes
                .iter()
                .take_while(|&&b| matches!(b, b'\t' | b' '..=0x7E | 0x80..=0xFF))
                .count()
        };
        for len in 0..48 {
            for at in 0..len {
                for b in [
                    0x00, b'\t', b'\n', b'\r', 0x1F, b' ', b'~', 0x7F, 0x80, 0xFF,
                ] {
                    let mut bytes = std::vec![b'a'; len];
                    bytes[at] = b;
                    assert_eq!(
                        field_value_len(&bytes),
                        model(&bytes),
                        "{b:#x} at {at} of {len}"
                    );
                }
            }
        }
    }
}
