//! Close status codes (RFC 6455 section 7.4) and the payload of a close frame: which codes a
//! peer may send, and how a close frame's body is read and written.
//!
//! This module only names and checks codes; the close handshake itself is the decoder's and
//! the connection's.

use core::fmt;

/// A close status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection is fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the server is going away (shutting down) or the peer is leaving.
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: the peer broke the protocol.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: a kind of data the endpoint does not accept.
    pub const UNSUPPORTED: CloseCode = CloseCode(1003);
    /// 1007: a text message (or close reason) that is not UTF-8.
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a message that breaks the endpoint's policy.
    pub const POLICY: CloseCode = CloseCode(1008);
    /// 1009: a message larger than the endpoint takes.
    pub const TOO_BIG: CloseCode = CloseCode(1009);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);

    /// Whether a peer may send this code in a close frame: 1000 to 1003, 1007 to 1011 and the
    /// registered and private ranges 3000 to 4999. 1004 to 1006 and 1015 are reserved, never
    /// sent on the wire.
    pub const fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1011 | 3000..=4999)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The body of a close frame the peer sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseBody<'a> {
    /// No status code (the frame had no payload).
    Empty,
    /// A status code and a reason (possibly empty).
    Status(CloseCode, &'a str),
}

impl<'a> CloseBody<'a> {
    /// Reads an unmasked close payload.
    ///
    /// # Errors
    ///
    /// The code to close with: 1002 for a one-byte payload or a code a peer may not send,
    /// 1007 for a reason that is not UTF-8.
    pub fn parse(payload: &'a [u8]) -> Result<Self, CloseCode> {
        match payload {
            [] => Ok(CloseBody::Empty),
            [_] => Err(CloseCode::PROTOCOL_ERROR),
            [hi, lo, reason @ ..] => {
                let code = CloseCode(u16::from_be_bytes([*hi, *lo]));
                if !code.is_sendable() {
                    return Err(CloseCode::PROTOCOL_ERROR);
                }
                let reason =
                    core::str::from_utf8(reason).map_err(|_| CloseCode::INVALID_PAYLOAD)?;
                Ok(CloseBody::Status(code, reason))
            }
        }
    }

    /// The code to answer with: the peer's own, or 1000 for an empty close.
    pub const fn echo(&self) -> CloseCode {
        match self {
            CloseBody::Empty => CloseCode::NORMAL,
            CloseBody::Status(code, _) => *code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_payload_table() {
        let p = CloseCode::PROTOCOL_ERROR;
        let cases: &[(&[u8], Result<CloseBody<'_>, CloseCode>)] = &[
            (b"", Ok(CloseBody::Empty)),
            (b"\x03", Err(p)),
            (b"\x03\xe8", Ok(CloseBody::Status(CloseCode(1000), ""))),
            (
                b"\x03\xe9bye",
                Ok(CloseBody::Status(CloseCode(1001), "bye")),
            ),
            (b"\x03\xf3", Ok(CloseBody::Status(CloseCode(1011), ""))),
            (b"\x0b\xb8", Ok(CloseBody::Status(CloseCode(3000), ""))),
            (b"\x13\x87", Ok(CloseBody::Status(CloseCode(4999), ""))),
            (b"\x00\x00", Err(p)),
            (b"\x03\xe7", Err(p)),
            (b"\x03\xec", Err(p)), // 1004
            (b"\x03\xed", Err(p)), // 1005
            (b"\x03\xee", Err(p)), // 1006
            (b"\x03\xf4", Err(p)), // 1012: unassigned by RFC 6455
            (b"\x03\xf7", Err(p)), // 1015
            (b"\x0b\xb7", Err(p)), // 2999
            (b"\x13\x88", Err(p)), // 5000
            (b"\x03\xe8\xff", Err(CloseCode::INVALID_PAYLOAD)),
            (b"\x03\xe8\xce", Err(CloseCode::INVALID_PAYLOAD)),
        ];
        for (bytes, want) in cases {
            assert_eq!(CloseBody::parse(bytes), *want, "{bytes:02x?}");
        }
    }
}
