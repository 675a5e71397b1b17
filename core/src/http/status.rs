//! Status codes and their reason phrases.

use core::fmt;

/// An HTTP status code (100 to 999).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Status(u16);

macro_rules! statuses {
    ($($name:ident = $code:literal, $reason:literal;)+) => {
        impl Status {
            $(
                #[doc = concat!("`", stringify!($code), " ", $reason, "`")]
                pub const $name: Status = Status($code);
            )+

            /// The standard reason phrase, or `""` for a code this crate does not name.
            pub const fn reason(self) -> &'static str {
                match core::str::from_utf8(self.reason_bytes()) {
                    Ok(reason) => reason,
                    Err(_) => "",
                }
            }
        }

        /// The named codes, in ascending order.
        const CODES: [u16; [$($code),+].len()] = [$($code),+];

        /// The reason phrases of [`CODES`], one after the other.
        const REASONS: &[u8] = concat!($($reason),+).as_bytes();

        /// The length of each phrase in [`REASONS`].
        const REASON_LENS: [u8; CODES.len()] = [$($reason.len() as u8),+];
    };
}

statuses! {
    CONTINUE = 100, "Continue";
    SWITCHING_PROTOCOLS = 101, "Switching Protocols";
    OK = 200, "OK";
    CREATED = 201, "Created";
    ACCEPTED = 202, "Accepted";
    NO_CONTENT = 204, "No Content";
    PARTIAL_CONTENT = 206, "Partial Content";
    MOVED_PERMANENTLY = 301, "Moved Permanently";
    FOUND = 302, "Found";
    SEE_OTHER = 303, "See Other";
    NOT_MODIFIED = 304, "Not Modified";
    TEMPORARY_REDIRECT = 307, "Temporary Redirect";
    PERMANENT_REDIRECT = 308, "Permanent Redirect";
    BAD_REQUEST = 400, "Bad Request";
    UNAUTHORIZED = 401, "Unauthorized";
    FORBIDDEN = 403, "Forbidden";
    NOT_FOUND = 404, "Not Found";
    METHOD_NOT_ALLOWED = 405, "Method Not Allowed";
    REQUEST_TIMEOUT = 408, "Request Timeout";
    CONFLICT = 409, "Conflict";
    LENGTH_REQUIRED = 411, "Length Required";
    PAYLOAD_TOO_LARGE = 413, "Content Too Large";
    URI_TOO_LONG = 414, "URI Too Long";
    EXPECTATION_FAILED = 417, "Expectation Failed";
    UNPROCESSABLE_CONTENT = 422, "Unprocessable Content";
    UPGRADE_REQUIRED = 426, "Upgrade Required";
    TOO_MANY_REQUESTS = 429, "Too Many Requests";
    REQUEST_HEADER_FIELDS_TOO_LARGE = 431, "Request Header Fields Too Large";
    INTERNAL_SERVER_ERROR = 500, "Internal Server Error";
    NOT_IMPLEMENTED = 501, "Not Implemented";
    BAD_GATEWAY = 502, "Bad Gateway";
    SERVICE_UNAVAILABLE = 503, "Service Unavailable";
    GATEWAY_TIMEOUT = 504, "Gateway Timeout";
    HTTP_VERSION_NOT_SUPPORTED = 505, "HTTP Version Not Supported";
}

impl Status {
    /// The status with this code, or `None` outside 100 to 999.
    pub const fn from_code(code: u16) -> Option<Self> {
        if code >= 100 && code <= 999 {
            Some(Self(code))
        } else {
            None
        }
    }

    /// The numeric code.
    pub const fn code(self) -> u16 {
        self.0
    }

    /// 1xx: an interim response, never the last one.
    pub const fn is_informational(self) -> bool {
        self.0 < 200
    }

    /// The first digit: 1 to 9.
    pub const fn class(self) -> u8 {
        (self.0 / 100) as u8
    }

    /// Whether a response with this status never has a body (1xx, 204, 304).
    pub const fn forbids_body(self) -> bool {
        self.0 < 200 || self.0 == 204 || self.0 == 304
    }

    /// The reason phrase as bytes, looked up in one table rather than a `match` of many arms.
    pub(crate) const fn reason_bytes(self) -> &'static [u8] {
        let mut start = 0;
        let mut i = 0;
        while i < CODES.len() {
            let len = REASON_LENS[i] as usize;
            if CODES[i] == self.0 {
                let (_, rest) = REASONS.split_at(start);
                return rest.split_at(len).0;
            }
            start += len;
            i += 1;
        }
        b""
    }

    /// The three ASCII digits of the code.
    pub const fn digits(self) -> [u8; 3] {
        let c = self.0;
        [
            b'0' + (c / 100 % 10) as u8,
            b'0' + (c / 10 % 10) as u8,
            b'0' + (c % 10) as u8,
        ]
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.reason())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_reasons() {
        assert_eq!(Status::OK.code(), 200);
        assert_eq!(Status::OK.reason(), "OK");
        assert_eq!(Status::URI_TOO_LONG.digits(), *b"414");
        assert_eq!(Status::from_code(99), None);
        assert_eq!(Status::from_code(1000), None);
        assert_eq!(Status::from_code(599).map(Status::reason), Some(""));
        assert!(Status::NOT_MODIFIED.forbids_body());
        assert!(Status::CONTINUE.is_informational());
        assert_eq!(Status::SERVICE_UNAVAILABLE.class(), 5);
        assert_eq!(Status::CONTINUE.reason(), "Continue");
        assert_eq!(
            Status::HTTP_VERSION_NOT_SUPPORTED.reason(),
            "HTTP Version Not Supported"
        );
        assert!(CODES.is_sorted());
        assert_eq!(
            REASON_LENS.iter().map(|n| usize::from(*n)).sum::<usize>(),
            REASONS.len()
        );
    }
}
