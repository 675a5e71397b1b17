//! The wire form of one WebSocket frame (RFC 6455 section 5.2): its header decoded from a
//! client's bytes with every rule of the grammar checked, a server's header encoded, and the
//! client's masking undone in place.
//!
//! This module owns bytes only: it never keeps state between frames and never decides what a
//! frame means to a message or to the close handshake (see [`super::decode`]).

use super::close::CloseCode;

/// The longest header: 2 bytes, an 8-byte length, a 4-byte mask.
pub const MAX_HEADER: usize = 14;

/// The longest payload of a control frame (section 5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// A frame's kind (section 5.2, `%x0` to `%xA`; the reserved ones are refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Opcode {
    /// `0x0`: the next fragment of a message.
    Continuation,
    /// `0x1`: the first frame of a text message.
    Text,
    /// `0x2`: the first frame of a binary message.
    Binary,
    /// `0x8`: the close handshake.
    Close,
    /// `0x9`: a ping.
    Ping,
    /// `0xA`: a pong.
    Pong,
}

impl Opcode {
    /// The opcode of the four bits `bits`, `None` for a reserved one.
    pub const fn from_bits(bits: u8) -> Option<Self> {
        Some(match bits {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            _ => return None,
        })
    }

    /// The four bits on the wire.
    pub const fn bits(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
        }
    }

    /// Whether this is a control frame (close, ping, pong).
    pub const fn is_control(self) -> bool {
        matches!(self, Opcode::Close | Opcode::Ping | Opcode::Pong)
    }
}

/// A decoded frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Header {
    /// The final fragment of its message.
    pub fin: bool,
    /// The frame's kind.
    pub opcode: Opcode,
    /// The masking key (every client frame has one).
    pub mask: [u8; 4],
    /// Payload bytes after the header.
    pub len: u64,
    /// Bytes the header took.
    pub header_len: usize,
}

/// Why a client's frame header breaks RFC 6455. Each closes the connection with the
/// [`close_code`](Self::close_code) it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FrameError {
    /// A reserved bit (RSV1 to RSV3) is set and no extension was agreed.
    ReservedBits,
    /// A reserved opcode.
    UnknownOpcode,
    /// The mask bit is clear: a client must mask every frame (section 5.1).
    Unmasked,
    /// A control frame's payload is longer than 125 bytes.
    ControlTooLong,
    /// A control frame without the FIN bit: control frames are never fragmented.
    ControlFragmented,
    /// The length is not in its shortest form, or its 64-bit form has the top bit set.
    BadLength,
}

impl FrameError {
    /// The status the connection closes with: 1002, a protocol error, for all of them.
    pub const fn close_code(self) -> CloseCode {
        CloseCode::PROTOCOL_ERROR
    }
}

impl core::fmt::Display for FrameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            FrameError::ReservedBits => "reserved bit set",
            FrameError::UnknownOpcode => "reserved opcode",
            FrameError::Unmasked => "client frame not masked",
            FrameError::ControlTooLong => "control frame longer than 125 bytes",
            FrameError::ControlFragmented => "fragmented control frame",
            FrameError::BadLength => "length not in its shortest form",
        })
    }
}

impl core::error::Error for FrameError {}

/// Decodes the header at the start of `bytes`: `Ok(None)` while it is incomplete.
///
/// # Errors
///
/// [`FrameError`] when the header breaks a rule; the connection closes with 1002.
pub fn decode_header(bytes: &[u8]) -> Result<Option<Header>, FrameError> {
    let (Some(&b0), Some(&b1)) = (bytes.first(), bytes.get(1)) else {
        return Ok(None);
    };
    if b0 & 0x70 != 0 {
        return Err(FrameError::ReservedBits);
    }
    let opcode = Opcode::from_bits(b0 & 0x0F).ok_or(FrameError::UnknownOpcode)?;
    let fin = b0 & 0x80 != 0;
    if b1 & 0x80 == 0 {
        return Err(FrameError::Unmasked);
    }
    let short = b1 & 0x7F;
    if opcode.is_control() {
        if !fin {
            return Err(FrameError::ControlFragmented);
        }
        if usize::from(short) > MAX_CONTROL_PAYLOAD {
            return Err(FrameError::ControlTooLong);
        }
    }
    let (len, at) = match short {
        126 => {
            let Some(&[a, b]) = bytes.get(2..4).and_then(|s| <&[u8; 2]>::try_from(s).ok()) else {
                return Ok(None);
            };
            let len = u64::from(u16::from_be_bytes([a, b]));
            if len < 126 {
                return Err(FrameError::BadLength);
            }
            (len, 4)
        }
        127 => {
            let Some(raw) = bytes.get(2..10).and_then(|s| <[u8; 8]>::try_from(s).ok()) else {
                return Ok(None);
            };
            let len = u64::from_be_bytes(raw);
            if len >> 63 != 0 || len <= u64::from(u16::MAX) {
                return Err(FrameError::BadLength);
            }
            (len, 10)
        }
        n => (u64::from(n), 2),
    };
    let Some(mask) = bytes
        .get(at..at + 4)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
    else {
        return Ok(None);
    };
    Ok(Some(Header {
        fin,
        opcode,
        mask,
        len,
        header_len: at + 4,
    }))
}

/// Encodes an unmasked server frame header for a payload of `len` bytes into `out` and returns
/// its length, or `None` when `out` is shorter than the header.
pub fn encode_header(fin: bool, opcode: Opcode, len: u64, out: &mut [u8]) -> Option<usize> {
    let b0 = if fin { 0x80 } else { 0 } | opcode.bits();
    let mut header = [0u8; 10];
    header[0] = b0;
    let n = if len < 126 {
        // Below 126: fits the seven bits.
        header[1] = len as u8;
        2
    } else if let Ok(short) = u16::try_from(len) {
        header[1] = 126;
        header[2..4].copy_from_slice(&short.to_be_bytes());
        4
    } else {
        header[1] = 127;
        header[2..10].copy_from_slice(&len.to_be_bytes());
        10
    };
    out.get_mut(..n)?.copy_from_slice(header.get(..n)?);
    Some(n)
}

/// The header length [`encode_header`] writes for a payload of `len` bytes.
pub const fn header_len(len: u64) -> usize {
    if len < 126 {
        2
    } else if len <= u16::MAX as u64 {
        4
    } else {
        10
    }
}

/// Undoes the client's masking of `data` in place; `offset` is how many payload bytes of the
/// frame came before `data` (the key turns every four bytes).
pub fn unmask(data: &mut [u8], mask: [u8; 4], offset: u64) {
    if mask == [0; 4] {
        return;
    }
    // Rotate the key so that `key[0]` applies to `data[0]`.
    let turn = (offset % 4) as usize;
    let key = [
        mask[turn % 4],
        mask[(turn + 1) % 4],
        mask[(turn + 2) % 4],
        mask[(turn + 3) % 4],
    ];
    let word = u32::from_ne_bytes(key);
    let mut chunks = data.chunks_exact_mut(4);
    for chunk in &mut chunks {
        if let Ok(bytes) = <&mut [u8; 4]>::try_from(chunk) {
            *bytes = (u32::from_ne_bytes(*bytes) ^ word).to_ne_bytes();
        }
    }
    for (byte, k) in chunks.into_remainder().iter_mut().zip(key) {
        *byte ^= k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a header decodes to: fin, opcode, payload length, header length.
    type Decoded = Result<Option<(bool, Opcode, u64, usize)>, FrameError>;

    /// One line per rule: the bytes, and the outcome.
    #[test]
    fn header_table() {
        use FrameError::*;
        let m = [0x80 | 0x01, 0x80 | 5, 1, 2, 3, 4];
        let cases: &[(&[u8], Decoded)] = &[
            (&[], Ok(None)),
            (&[0x81], Ok(None)),
            (&m[..5], Ok(None)),
            (&m, Ok(Some((true, Opcode::Text, 5, 6)))),
            (
                &[0x02, 0x80, 0, 0, 0, 0],
                Ok(Some((false, Opcode::Binary, 0, 6))),
            ),
            (
                &[0x80, 0x80, 0, 0, 0, 0],
                Ok(Some((true, Opcode::Continuation, 0, 6))),
            ),
            (
                &[0x89, 0x80 | 125, 0, 0, 0, 0],
                Ok(Some((true, Opcode::Ping, 125, 6))),
            ),
            (
                &[0x8A, 0x80, 0, 0, 0, 0],
                Ok(Some((true, Opcode::Pong, 0, 6))),
            ),
            (
                &[0x88, 0x82, 0, 0, 0, 0],
                Ok(Some((true, Opcode::Close, 2, 6))),
            ),
            (&[0x81, 0x05, 1, 2, 3, 4], Err(Unmasked)),
            (&[0xC1, 0x85], Err(ReservedBits)),
            (&[0xA1, 0x85], Err(ReservedBits)),
            (&[0x91, 0x85], Err(ReservedBits)),
            (&[0x83, 0x85], Err(UnknownOpcode)),
            (&[0x87, 0x85], Err(UnknownOpcode)),
            (&[0x8B, 0x85], Err(UnknownOpcode)),
            (&[0x8F, 0x85], Err(UnknownOpcode)),
            (&[0x89, 0x80 | 126], Err(ControlTooLong)),
            (&[0x88, 0x80 | 127], Err(ControlTooLong)),
            (&[0x09, 0x80], Err(ControlFragmented)),
            (&[0x82, 0xFE, 0x00], Ok(None)),
            (
                &[0x82, 0xFE, 0x00, 0x7E, 0, 0, 0, 0],
                Ok(Some((true, Opcode::Binary, 126, 8))),
            ),
            (&[0x82, 0xFE, 0x00, 0x7D, 0, 0, 0, 0], Err(BadLength)),
            (
                &[0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
                Ok(Some((true, Opcode::Binary, 65536, 14))),
            ),
            (
                &[0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0],
                Err(BadLength),
            ),
            (
                &[0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                Err(BadLength),
            ),
        ];
        for (bytes, want) in cases {
            let got =
                decode_header(bytes).map(|h| h.map(|h| (h.fin, h.opcode, h.len, h.header_len)));
            assert_eq!(got, *want, "{bytes:02x?}");
        }
    }

    #[test]
    fn encoded_headers_decode_back_once_masked() {
        for len in [0u64, 1, 125, 126, 127, 65535, 65536, 1 << 40] {
            let mut out = [0u8; MAX_HEADER];
            let n = encode_header(true, Opcode::Binary, len, &mut out).unwrap();
            assert_eq!(n, header_len(len));
            // A client's frame: set the mask bit and append a key.
            out[1] |= 0x80;
            out[n..n + 4].copy_from_slice(&[9, 8, 7, 6]);
            let h = decode_header(&out[..n + 4]).unwrap().unwrap();
            assert_eq!((h.len, h.header_len, h.mask), (len, n + 4, [9, 8, 7, 6]));
        }
        assert_eq!(encode_header(true, Opcode::Text, 200, &mut [0u8; 3]), None);
    }

    #[test]
    fn unmasking_in_pieces_equals_unmasking_whole() {
        let mask = [0x37, 0xFA, 0x21, 0x3D];
        let plain: std::vec::Vec<u8> = (0..=50u8).collect();
        let mut masked = plain.clone();
        for (i, b) in masked.iter_mut().enumerate() {
            *b ^= mask[i % 4];
        }
        for split in 0..masked.len() {
            let mut bytes = masked.clone();
            let (a, b) = bytes.split_at_mut(split);
            unmask(a, mask, 0);
            unmask(b, mask, split as u64);
            assert_eq!(bytes, plain, "split at {split}");
        }
    }
}
