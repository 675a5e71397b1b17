//! Header fields (RFC 9110 section 5, RFC 9112 section 5): validation, positions and lookup.
//!
//! This module owns what a field line may contain and how a parsed head's fields are found
//! again: [`HeaderSpan`] records where a field's name and value sit in the head's buffer, and
//! [`Headers`] is the zero-copy, case-insensitive view over those positions. [`list_items`]
//! walks comma-separated token lists such as `Connection` and `Transfer-Encoding`.
//!
//! It never decides what a field means for framing or persistence (that is
//! [`request`](super::request)'s job), never allocates and never panics on bytes a peer sent:
//! a span that does not fit the buffer it is applied to reads as empty.

use core::fmt;

pub use super::bytes::{Span, is_tchar, is_token};

/// Whether `b` may appear inside a field value: HTAB, SP, visible ASCII and obs-text
/// (0x80 to 0xFF). NUL, CR, LF, DEL and the other controls may not.
pub const fn is_field_vchar(b: u8) -> bool {
    matches!(b, b'\t' | b' '..=0x7E | 0x80..=0xFF)
}

/// Checks a field name: a non-empty token.
///
/// # Errors
///
/// [`HeaderError::EmptyName`] or [`HeaderError::InvalidName`].
pub fn validate_name(name: &[u8]) -> Result<(), HeaderError> {
    if name.is_empty() {
        return Err(HeaderError::EmptyName);
    }
    if !is_token(name) {
        return Err(HeaderError::InvalidName);
    }
    Ok(())
}

/// Checks a field value (without its surrounding whitespace): HTAB, SP, visible ASCII and
/// obs-text only.
///
/// # Errors
///
/// [`HeaderError::Nul`], [`HeaderError::Cr`], [`HeaderError::Lf`] or [`HeaderError::Control`]
/// for the first forbidden byte.
pub fn validate_value(value: &[u8]) -> Result<(), HeaderError> {
    for &b in value {
        if is_field_vchar(b) {
            continue;
        }
        return Err(match b {
            0 => HeaderError::Nul,
            b'\r' => HeaderError::Cr,
            b'\n' => HeaderError::Lf,
            _ => HeaderError::Control,
        });
    }
    Ok(())
}

/// The items of a comma-separated list value (RFC 9110 section 5.6.1), each trimmed of
/// optional whitespace; empty items are skipped, as the list rules require.
///
/// The split is naive about quoted strings, which suits the token lists this crate reads
/// (`Connection`, `Transfer-Encoding`, `Expect`), not values that quote commas.
pub fn list_items(value: &[u8]) -> ListItems<'_> {
    ListItems { rest: Some(value) }
}

/// Whether the comma-separated list `value` has an item equal to `token`, ignoring ASCII case.
pub fn list_contains(value: &[u8], token: &str) -> bool {
    list_items(value).any(|item| item.eq_ignore_ascii_case(token.as_bytes()))
}

/// Where one field line's name and value sit in the head's buffer. The value excludes the
/// whitespace around it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HeaderSpan {
    /// The field name.
    pub name: Span,
    /// The field value, trimmed.
    pub value: Span,
}

impl HeaderSpan {
    /// An unused slot, for initialising storage: `[HeaderSpan::EMPTY; 64]`.
    pub const EMPTY: Self = Self {
        name: Span::EMPTY,
        value: Span::EMPTY,
    };
}

/// One field line, borrowed from the head.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Header<'a> {
    /// The name as sent (a token, so ASCII; compare it ignoring case).
    pub name: &'a str,
    /// The value without surrounding whitespace; may hold obs-text, so it is bytes.
    pub value: &'a [u8],
}

/// The parsed fields of a head: a zero-copy view over a buffer and the spans into it.
///
/// Lookups compare names ignoring ASCII case and return fields in the order they were sent.
#[derive(Clone, Copy, Debug)]
pub struct Headers<'a> {
    buf: &'a [u8],
    spans: &'a [HeaderSpan],
}

impl<'a> Headers<'a> {
    /// A view of the fields `spans` locates in `buf`.
    pub const fn new(buf: &'a [u8], spans: &'a [HeaderSpan]) -> Self {
        Self { buf, spans }
    }

    /// Number of field lines.
    pub const fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no field lines.
    pub const fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The value of the first field named `name` (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.get_all(name).next()
    }

    /// Whether a field named `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The values of every field named `name`, in order.
    pub fn get_all<'n>(&self, name: &'n str) -> GetAll<'a, 'n> {
        GetAll {
            buf: self.buf,
            spans: self.spans.iter(),
            name: name.as_bytes(),
        }
    }

    /// Every field line, in order.
    pub fn iter(&self) -> Iter<'a> {
        Iter {
            buf: self.buf,
            spans: self.spans.iter(),
        }
    }
}

impl<'a> IntoIterator for Headers<'a> {
    type Item = Header<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Every field line of a [`Headers`] view.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    buf: &'a [u8],
    spans: core::slice::Iter<'a, HeaderSpan>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Header<'a>;

    fn next(&mut self) -> Option<Header<'a>> {
        let span = self.spans.next()?;
        Some(Header {
            name: core::str::from_utf8(span.name.slice(self.buf)).unwrap_or(""),
            value: span.value.slice(self.buf),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.spans.size_hint()
    }
}

/// The values of every field with one name; see [`Headers::get_all`].
#[derive(Clone, Debug)]
pub struct GetAll<'a, 'n> {
    buf: &'a [u8],
    spans: core::slice::Iter<'a, HeaderSpan>,
    name: &'n [u8],
}

impl<'a> Iterator for GetAll<'a, '_> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let buf = self.buf;
        let name = self.name;
        self.spans
            .find(|span| span.name.slice(buf).eq_ignore_ascii_case(name))
            .map(|span| span.value.slice(buf))
    }
}

/// The items of a comma-separated list; see [`list_items`].
#[derive(Clone, Debug)]
pub struct ListItems<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for ListItems<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let rest = self.rest?;
            let (item, tail) = match rest.iter().position(|&b| b == b',') {
                // `comma` is an index found in `rest`, so both halves are in bounds.
                Some(comma) => (&rest[..comma], Some(&rest[comma + 1..])),
                None => (rest, None),
            };
            self.rest = tail;
            let item = trim_ows(item);
            if !item.is_empty() {
                return Some(item);
            }
        }
    }
}

/// `bytes` without leading and trailing SP and HTAB.
pub fn trim_ows(bytes: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |last| last + 1);
    bytes.get(start..end).unwrap_or(&[])
}

/// Why a field name or value was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum HeaderError {
    /// The field name is empty.
    EmptyName,
    /// The field name holds a byte that is not a `tchar`.
    InvalidName,
    /// The value holds a NUL byte.
    Nul,
    /// The value holds a CR.
    Cr,
    /// The value holds an LF.
    Lf,
    /// The value holds a control byte other than HTAB (or DEL).
    Control,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeaderError::EmptyName => "empty field name",
            HeaderError::InvalidName => "invalid byte in field name",
            HeaderError::Nul => "NUL in field value",
            HeaderError::Cr => "CR in field value",
            HeaderError::Lf => "LF in field value",
            HeaderError::Control => "control byte in field value",
        })
    }
}

impl core::error::Error for HeaderError {}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! values {
        ($($input:literal => $expected:expr;)+) => {
            $(assert_eq!(validate_value($input), $expected, "input {:?}", $input);)+
        };
    }

    macro_rules! names {
        ($($input:literal => $expected:expr;)+) => {
            $(assert_eq!(validate_name($input), $expected, "input {:?}", $input);)+
        };
    }

    #[test]
    fn value_table() {
        values! {
            b"" => Ok(());
            b"text/html; q=0.9" => Ok(());
            b"a\tb" => Ok(());
            b"caf\xC3\xA9 \xFF\x80" => Ok(());
            b"a\x00b" => Err(HeaderError::Nul);
            b"a\rb" => Err(HeaderError::Cr);
            b"a\nb" => Err(HeaderError::Lf);
            b"a\x01b" => Err(HeaderError::Control);
            b"a\x1Fb" => Err(HeaderError::Control);
            b"a\x7Fb" => Err(HeaderError::Control);
            b"\x0B" => Err(HeaderError::Control);
        }
    }

    #[test]
    fn name_table() {
        names! {
            b"Host" => Ok(());
            b"x-custom_header.1" => Ok(());
            b"" => Err(HeaderError::EmptyName);
            b"Host " => Err(HeaderError::InvalidName);
            b" Host" => Err(HeaderError::InvalidName);
            b"Ho:st" => Err(HeaderError::InvalidName);
            b"H\xC3\xA9" => Err(HeaderError::InvalidName);
            b"a(b)" => Err(HeaderError::InvalidName);
        }
    }

    #[test]
    fn lists() {
        let items = |v: &'static [u8]| list_items(v).collect::<std::vec::Vec<_>>();
        assert_eq!(items(b"close"), [b"close".as_slice()]);
        assert_eq!(
            items(b" a ,b,\t c\t"),
            [b"a".as_slice(), b"b".as_slice(), b"c".as_slice()]
        );
        assert_eq!(items(b",, a,,"), [b"a".as_slice()]);
        assert!(items(b"").is_empty());
        assert!(items(b" , ,").is_empty());
        assert!(list_contains(b"Keep-Alive, Upgrade", "keep-alive"));
        assert!(!list_contains(b"keep-alive-ish", "keep-alive"));
        assert_eq!(trim_ows(b" \t x y \t"), b"x y");
        assert_eq!(trim_ows(b"   "), b"");
    }

    #[test]
    fn lookup_is_case_insensitive_and_ordered() {
        let buf = b"Host: a\r\nX-A: 1\r\nx-a: 2\r\n";
        let spans = [
            HeaderSpan {
                name: Span::new(0, 4),
                value: Span::new(6, 7),
            },
            HeaderSpan {
                name: Span::new(9, 12),
                value: Span::new(14, 15),
            },
            HeaderSpan {
                name: Span::new(17, 20),
                value: Span::new(22, 23),
            },
        ];
        let headers = Headers::new(buf, &spans);
        assert_eq!(headers.len(), 3);
        assert_eq!(headers.get("HOST"), Some(b"a".as_slice()));
        assert_eq!(headers.get("x-A"), Some(b"1".as_slice()));
        let all: std::vec::Vec<_> = headers.get_all("X-a").collect();
        assert_eq!(all, [b"1".as_slice(), b"2".as_slice()]);
        assert!(!headers.contains("missing"));
        let names: std::vec::Vec<_> = headers.iter().map(|h| h.name).collect();
        assert_eq!(names, ["Host", "X-A", "x-a"]);
    }

    #[test]
    fn spans_outside_the_buffer_read_empty() {
        let span = Span::new(5, 50);
        assert_eq!(span.slice(b"short"), b"");
        assert_eq!(Span::new(9, 3).len(), 0);
        let spans = [HeaderSpan {
            name: Span::new(100, 104),
            value: Span::new(0, 2),
        }];
        let headers = Headers::new(b"ab", &spans);
        assert_eq!(headers.iter().next().map(|h| h.name), Some(""));
    }
}
