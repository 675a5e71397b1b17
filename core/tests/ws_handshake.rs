//! The WebSocket opening handshake's checks: one request per rule, with the refusal and its
//! status, and the subprotocol a server picks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use aurora_core::http::Limits;
use aurora_core::http::header::HeaderSpan;
use aurora_core::http::request::{self, Parse};
use aurora_core::ws::handshake::{self, Handshake, HandshakeError};

/// Parses `head` (lines without the final empty line) and hands the request to `check`.
fn with<T>(head: &str, check: impl FnOnce(&request::Request<'_>) -> T) -> T {
    let input = format!("{head}\r\n\r\n");
    let mut spans = [HeaderSpan::EMPTY; 32];
    match request::parse(input.as_bytes(), &Limits::DEFAULT, &mut spans) {
        Ok(Parse::Complete(parsed)) => check(&parsed.view(input.as_bytes(), &spans)),
        other => panic!("{head:?} did not parse: {other:?}"),
    }
}

const GOOD: &str = "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13";

#[test]
fn a_good_handshake_is_answered_with_the_rfc_key() {
    let hs = with(GOOD, Handshake::check).unwrap();
    assert_eq!(hs.accept(), b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

#[test]
fn every_rule() {
    use HandshakeError::*;
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==";
    let cases: &[(&str, Result<(), HandshakeError>, u16)] = &[
        (
            "GET / HTTP/1.1\r\nHost: a\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\n\
             sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13",
            Ok(()),
            101,
        ),
        (&GOOD.replace("GET", "POST"), Err(NotGet), 400),
        (
            &GOOD.replace("HTTP/1.1\r\nHost: a", "HTTP/1.0\r\nHost: a"),
            Err(NotHttp11),
            400,
        ),
        (
            &GOOD.replace("Upgrade: websocket", "Upgrade: h2c"),
            Err(NoUpgrade),
            400,
        ),
        (
            &GOOD.replace("Upgrade: websocket\r\n", ""),
            Err(NoUpgrade),
            400,
        ),
        (
            &GOOD.replace("Connection: Upgrade", "Connection: keep-alive"),
            Err(NoConnectionUpgrade),
            400,
        ),
        (
            &GOOD.replace(key, "Sec-WebSocket-Key: c2hvcnQ="),
            Err(BadKey),
            400,
        ),
        (
            &GOOD.replace(key, "Sec-WebSocket-Key: not base64 at all!!"),
            Err(BadKey),
            400,
        ),
        (&GOOD.replace(key, "X-None: 1"), Err(BadKey), 400),
        (&format!("{GOOD}\r\n{key}"), Err(BadKey), 400),
        (
            &GOOD.replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"),
            Err(UnsupportedVersion),
            426,
        ),
        (
            &GOOD.replace("Sec-WebSocket-Version: 13", "X-None: 1"),
            Err(NoVersion),
            400,
        ),
        (&format!("{GOOD}\r\nContent-Length: 5"), Err(Body), 400),
        (&format!("{GOOD}\r\nContent-Length: 0"), Ok(()), 101),
    ];
    for (head, want, status) in cases {
        let got = with(head, |r| Handshake::check(r).map(|_| ()));
        assert_eq!(got, *want, "{head:?}");
        if let Err(e) = got {
            assert_eq!(e.status().code(), *status, "{head:?}");
        }
    }
}

#[test]
fn the_first_supported_subprotocol_the_client_offers_is_chosen() {
    let offer = format!(
        "{GOOD}\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Protocol: json"
    );
    with(&offer, |r| {
        let offered: Vec<&[u8]> = handshake::offered(r).collect();
        assert_eq!(offered, [&b"chat"[..], b"superchat", b"json"]);
        assert_eq!(handshake::select(r, &["json", "chat"]), Some("json"));
        assert_eq!(handshake::select(r, &["mqtt"]), None);
    });
    with(GOOD, |r| assert_eq!(handshake::select(r, &["chat"]), None));
}
