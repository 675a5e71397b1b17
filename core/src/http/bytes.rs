//! The byte classes of a request head and the span of bytes a parsed piece occupies: the
//! shared vocabulary below [`method`](super::method), [`target`](super::target),
//! [`header`](super::header) and [`request`](super::request).
//!
//! This module owns one lookup table (RFC 3986's URI classes and RFC 9110's `tchar`, a bit
//! each) and [`Span`]. It imports nothing from its neighbours, never allocates and never
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

/// Whether `bytes` is a `token`: one or more `tchar`s.
pub fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| is_tchar(b))
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
