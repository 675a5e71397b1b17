//! The core's strict framing over real sockets: every rule a request can break, one line of
//! input per rule, answered with its status and `Connection: close`, then the close.
//!
//! Each case sends bytes the server reads whole (a head that breaks a rule, or a head cut
//! exactly where a limit trips), so nothing sent stays unread when the server closes.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

#[path = "util/framing_rules.rs"]
mod framing_rules;
mod util;

use util::Server;

/// Sends `raw` on a fresh connection and checks the status, the `Connection: close` and the
/// close that follows.
fn refused(server: &Server, name: &str, raw: &[u8], code: u16) {
    let mut client = server.connect();
    client.send(raw);
    let resp = client
        .read(false)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .unwrap_or_else(|| panic!("{name}: closed without a response"));
    assert_eq!(
        resp.code,
        code,
        "{name}: {:?}",
        String::from_utf8_lossy(raw)
    );
    assert!(resp.closes(), "{name}: no Connection: close");
    client.assert_closed();
}

#[test]
fn every_framing_rule() {
    let server = Server::start();
    for &(name, raw, code) in framing_rules::FRAMING_RULES {
        refused(&server, name, raw, code);
    }
    refused(
        &server,
        "body over the default limit",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1048577\r\n\r\n",
        413,
    );
}

/// RFC 9112 section 3.2 and RFC 9110 section 7.2 over a real socket: `(case, request,
/// status)`. A 200 is served on a connection that stays open; anything else is refused and
/// closed.
const HOST_RULES: &[(&str, &[u8], u16)] = &[
    ("missing in 1.1", b"GET / HTTP/1.1\r\n\r\n", 400),
    (
        "missing in 1.1, absolute-form",
        b"GET http://t/ HTTP/1.1\r\n\r\n",
        400,
    ),
    ("two", b"GET / HTTP/1.1\r\nHost: t\r\nHost: t\r\n\r\n", 400),
    (
        "two in 1.0",
        b"GET / HTTP/1.0\r\nHost: t\r\nhost: u\r\n\r\n",
        400,
    ),
    (
        "two, one empty",
        b"GET / HTTP/1.1\r\nHost:\r\nHost: t\r\n\r\n",
        400,
    ),
    ("list", b"GET / HTTP/1.1\r\nHost: t, u\r\n\r\n", 400),
    ("userinfo", b"GET / HTTP/1.1\r\nHost: u@t\r\n\r\n", 400),
    ("path", b"GET / HTTP/1.1\r\nHost: t/x\r\n\r\n", 400),
    (
        "port too big",
        b"GET / HTTP/1.1\r\nHost: t:65536\r\n\r\n",
        400,
    ),
    (
        "invalid in 1.0",
        b"GET / HTTP/1.0\r\nHost: t u\r\n\r\n",
        400,
    ),
    (
        "invalid, absolute-form",
        b"GET http://t/ HTTP/1.1\r\nHost: t u\r\n\r\n",
        400,
    ),
    (
        "empty, absolute-form",
        b"GET http://t/ HTTP/1.1\r\nHost:\r\n\r\n",
        400,
    ),
    (
        "empty, authority-form",
        b"CONNECT t:443 HTTP/1.1\r\nHost:\r\n\r\n",
        400,
    ),
    ("one", b"GET / HTTP/1.1\r\nHost: t:8080\r\n\r\n", 200),
    ("ipv6", b"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", 200),
    (
        "empty, origin-form",
        b"GET / HTTP/1.1\r\nHost:\r\n\r\n",
        200,
    ),
    (
        "absent in 1.0",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        200,
    ),
    (
        "absolute-form wins",
        b"GET http://t/ HTTP/1.1\r\nHost: other\r\n\r\n",
        200,
    ),
];

#[test]
fn host_rules() {
    let server = Server::start();
    for &(name, raw, code) in HOST_RULES {
        if code != 200 {
            refused(&server, name, raw, code);
            continue;
        }
        let mut client = server.connect();
        let resp = client.request(raw);
        assert_eq!(resp.code, 200, "{name}");
        assert!(!resp.closes(), "{name}: closed");
    }
}

#[test]
fn size_limits() {
    let server = Server::with(|o| {
        o.config.limits.max_head_bytes = 2048;
        o.config.limits.max_target_bytes = 1024;
        o.config.limits.max_headers = 16;
        o.config.limits.max_body_bytes = 1000;
    });

    // A target one byte over, cut there: 414 before the head is complete.
    let mut raw = b"GET /".to_vec();
    raw.extend(std::iter::repeat_n(b'a', 1024));
    refused(&server, "target too long", &raw, 414);

    // 17 fields.
    let mut raw = b"GET / HTTP/1.1\r\nHost: t\r\n".to_vec();
    for i in 0..16 {
        raw.extend(format!("X-{i}: v\r\n").into_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    refused(&server, "too many headers", &raw, 431);

    // A head still incomplete at exactly max_head_bytes.
    let mut raw = b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: ".to_vec();
    raw.resize(2048, b'v');
    refused(&server, "head too large", &raw, 431);

    // Declared body over the limit: refused from the head alone.
    refused(
        &server,
        "content-length over the limit",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n",
        413,
    );

    // A chunked body that grows over the limit.
    let body = vec![b'x'; 1001];
    refused(
        &server,
        "chunked body over the limit",
        &util::chunked_post("/", &body, 500),
        413,
    );

    // At the limits everything is served.
    let mut client = server.connect();
    let resp = client.request(&util::with_body("POST", "/", &vec![b'y'; 1000]));
    assert_eq!(resp.code, 200);
    assert_eq!(resp.body.len(), 1000);
    let mut target = String::from("/");
    target.extend(std::iter::repeat_n('a', 1023));
    assert_eq!(client.request(&util::get(&target)).code, 200);
}

/// A refused request's unread body is never parsed as a request: the pipelined request behind
/// a refused one gets no answer.
#[test]
fn nothing_after_a_refusal_is_answered() {
    let server = Server::start();
    let mut client = server.connect();
    client.send(b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n");
    let resp = client.response();
    assert_eq!(resp.code, 400);
    client.assert_closed();
}
