//! A server's frames (RFC 6455 section 5): unmasked, each written whole into a caller's buffer,
//! or as a header before a payload the caller writes itself.
//!
//! This module only writes bytes; which frame to send is the connection's and the
//! application's business.

use super::close::CloseCode;
use super::frame::{self, Opcode};

/// The longest close frame: a header, a code and a 123-byte reason.
pub const MAX_CLOSE_FRAME: usize = 2 + frame::MAX_CONTROL_PAYLOAD;

/// Writes a whole unfragmented frame of `opcode` carrying `payload` into `out` and returns its
/// length, or `None` when it does not fit (nothing is promised of `out` then).
pub fn frame(opcode: Opcode, payload: &[u8], out: &mut [u8]) -> Option<usize> {
    let n = frame::encode_header(true, opcode, payload.len() as u64, out)?;
    let end = n.checked_add(payload.len())?;
    out.get_mut(n..end)?.copy_from_slice(payload);
    Some(end)
}

/// Writes a close frame with `code` and as much of `reason` as fits a control frame (cut at a
/// character boundary) into `out`; `None` when it does not fit.
pub fn close(code: CloseCode, reason: &str, out: &mut [u8]) -> Option<usize> {
    let mut cut = reason.len().min(frame::MAX_CONTROL_PAYLOAD - 2);
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut payload = [0u8; frame::MAX_CONTROL_PAYLOAD];
    payload[..2].copy_from_slice(&code.0.to_be_bytes());
    payload[2..2 + cut].copy_from_slice(&reason.as_bytes()[..cut]);
    frame(Opcode::Close, &payload[..2 + cut], out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_match_the_rfc_examples() {
        // RFC 6455 section 5.7: an unmasked "Hello".
        let mut out = [0u8; 16];
        let n = frame(Opcode::Text, b"Hello", &mut out).unwrap();
        assert_eq!(&out[..n], b"\x81\x05Hello");
        // An unmasked ping "Hello".
        let n = frame(Opcode::Ping, b"Hello", &mut out).unwrap();
        assert_eq!(&out[..n], b"\x89\x05Hello");
        assert_eq!(frame(Opcode::Text, b"Hello", &mut [0u8; 6]), None);
    }

    #[test]
    fn a_close_reason_is_cut_to_fit_a_control_frame() {
        let mut out = [0u8; MAX_CLOSE_FRAME];
        let n = close(CloseCode::GOING_AWAY, "", &mut out).unwrap();
        assert_eq!(&out[..n], b"\x88\x02\x03\xe9");
        let long = "é".repeat(100);
        let n = close(CloseCode::NORMAL, &long, &mut out).unwrap();
        assert_eq!(n, 2 + 2 + 122);
        assert!(core::str::from_utf8(&out[4..n]).is_ok());
    }
}
