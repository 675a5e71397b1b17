//! The opening handshake (RFC 6455 section 4.2): whether a request asks for a WebSocket in
//! every required way, the `Sec-WebSocket-Accept` answer to its key, and the subprotocols it
//! offers.
//!
//! This module only reads a parsed request and computes the answer; the `101` itself is
//! queued by the connection ([`Responder::upgrade`](crate::conn::Responder::upgrade)).
//! SHA-1 and base64 come from `sha1_smol` and `base64`, never written here.

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::http::Status;
use crate::http::header::{self, ListItems};
use crate::http::method::Method;
use crate::http::request::{BodyFraming, Request, Version};

/// The GUID appended to the key before hashing (section 1.3).
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The only protocol version this server speaks.
pub const VERSION: &[u8] = b"13";

/// A request that asked for a WebSocket correctly: the answer to its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handshake {
    accept: [u8; 28],
}

/// Why a request is not a valid WebSocket handshake. [`status`](Self::status) is the answer:
/// `426` with `Sec-WebSocket-Version: 13` for another version, `400` for the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HandshakeError {
    /// Not a `GET`.
    NotGet,
    /// Not HTTP/1.1.
    NotHttp11,
    /// No `Upgrade: websocket`.
    NoUpgrade,
    /// No `upgrade` in `Connection`.
    NoConnectionUpgrade,
    /// `Sec-WebSocket-Key` missing, repeated, or not 16 bytes in base64.
    BadKey,
    /// `Sec-WebSocket-Version` missing or repeated.
    NoVersion,
    /// A version other than 13.
    UnsupportedVersion,
    /// The request has a body: nothing may come between the head and the first frame.
    Body,
}

impl HandshakeError {
    /// The status to refuse with.
    pub const fn status(self) -> Status {
        match self {
            HandshakeError::UnsupportedVersion => Status::UPGRADE_REQUIRED,
            _ => Status::BAD_REQUEST,
        }
    }
}

impl Handshake {
    /// Checks that `req` asks for a WebSocket in every way RFC 6455 requires, and computes
    /// the answer to its key.
    ///
    /// # Errors
    ///
    /// [`HandshakeError`]; answer with its [`status`](HandshakeError::status) (and, for
    /// `426`, `Sec-WebSocket-Version: 13`).
    pub fn check(req: &Request<'_>) -> Result<Self, HandshakeError> {
        if req.method() != Method::Get {
            return Err(HandshakeError::NotGet);
        }
        if req.version() != Version::Http11 {
            return Err(HandshakeError::NotHttp11);
        }
        let headers = req.headers();
        if !headers
            .get_all("upgrade")
            .any(|v| header::list_contains(v, "websocket"))
        {
            return Err(HandshakeError::NoUpgrade);
        }
        if !headers
            .get_all("connection")
            .any(|v| header::list_contains(v, "upgrade"))
        {
            return Err(HandshakeError::NoConnectionUpgrade);
        }
        let key = single(headers.get_all("sec-websocket-key")).ok_or(HandshakeError::BadKey)?;
        let version =
            single(headers.get_all("sec-websocket-version")).ok_or(HandshakeError::NoVersion)?;
        if version != VERSION {
            return Err(HandshakeError::UnsupportedVersion);
        }
        if !matches!(
            req.body_framing(),
            BodyFraming::None | BodyFraming::ContentLength(0)
        ) {
            return Err(HandshakeError::Body);
        }
        let mut nonce = [0u8; 18];
        match STANDARD.decode_slice(key, &mut nonce) {
            Ok(16) => {}
            _ => return Err(HandshakeError::BadKey),
        }
        Ok(Self {
            accept: accept_key(key),
        })
    }

    /// The `Sec-WebSocket-Accept` value.
    pub fn accept(&self) -> &[u8] {
        &self.accept
    }
}

/// The `Sec-WebSocket-Accept` value for `key`: base64 of the SHA-1 of the key and the GUID.
pub fn accept_key(key: &[u8]) -> [u8; 28] {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(key);
    sha.update(GUID);
    let mut out = [0u8; 28];
    // 20 bytes are always 28 characters of base64.
    let _ = STANDARD.encode_slice(sha.digest().bytes(), &mut out);
    out
}

/// The subprotocols `req` offers in `Sec-WebSocket-Protocol`, in its order of preference.
pub fn offered<'b>(req: &Request<'b>) -> impl Iterator<Item = &'b [u8]> {
    req.headers()
        .get_all("sec-websocket-protocol")
        .flat_map(header::list_items as fn(&'b [u8]) -> ListItems<'b>)
}

/// The first of `supported` (in the server's order of preference) that `req` offers, to name
/// in the `101`; `None` when none is offered (the `101` then names none).
pub fn select<'s>(req: &Request<'_>, supported: &[&'s str]) -> Option<&'s str> {
    supported
        .iter()
        .find(|name| offered(req).any(|offer| offer == name.as_bytes()))
        .copied()
}

/// The value of a field sent exactly once.
fn single<'a>(mut values: impl Iterator<Item = &'a [u8]>) -> Option<&'a [u8]> {
    let value = values.next()?;
    values.next().is_none().then_some(value)
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HandshakeError::NotGet => "websocket handshake is not a GET",
            HandshakeError::NotHttp11 => "websocket handshake is not HTTP/1.1",
            HandshakeError::NoUpgrade => "no Upgrade: websocket",
            HandshakeError::NoConnectionUpgrade => "no Connection: upgrade",
            HandshakeError::BadKey => "bad Sec-WebSocket-Key",
            HandshakeError::NoVersion => "no Sec-WebSocket-Version",
            HandshakeError::UnsupportedVersion => "unsupported Sec-WebSocket-Version",
            HandshakeError::Body => "websocket handshake with a body",
        })
    }
}

impl core::error::Error for HandshakeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_example_key() {
        // RFC 6455 section 1.3.
        assert_eq!(
            &accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
