//! The core's strict framing over real sockets: every rule a request can break, one line of
//! input per rule, answered with its status and `Connection: close`, then the close.
//!
//! Each case sends bytes the server reads whole (a head that breaks a rule, or a head cut
//! exactly where a limit trips), so nothing sent stays unread when the server closes.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

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

/// `(rule, request, status)`, each against the default limits.
const TABLE: &[(&str, &[u8], u16)] = &[
    (
        "content-length with transfer-encoding",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
    ),
    (
        "transfer-encoding with content-length",
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        400,
    ),
    (
        "duplicate content-length",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
        400,
    ),
    (
        "content-length list",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 3\r\n\r\n",
        400,
    ),
    (
        "content-length letters",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
        400,
    ),
    (
        "content-length sign",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +3\r\n\r\n",
        400,
    ),
    (
        "content-length negative",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
        400,
    ),
    (
        "content-length hex",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0x10\r\n\r\n",
        400,
    ),
    (
        "content-length empty",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length:\r\n\r\n",
        400,
    ),
    (
        "content-length overflow",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        400,
    ),
    (
        "transfer-encoding not chunked",
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
        400,
    ),
    (
        "chunked not last",
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        400,
    ),
    (
        "chunked twice",
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        400,
    ),
    (
        "chunked with parameters",
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked;x=1\r\n\r\n",
        400,
    ),
    (
        "transfer-encoding empty",
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: \r\n\r\n",
        400,
    ),
    (
        "unknown transfer coding",
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        501,
    ),
    (
        "transfer-encoding in http/1.0",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
    ),
    (
        "space before colon",
        b"GET / HTTP/1.1\r\nHost : t\r\n\r\n",
        400,
    ),
    (
        "tab before colon",
        b"GET / HTTP/1.1\r\nHost: t\r\nX-A\t: 1\r\n\r\n",
        400,
    ),
    (
        "obs-fold",
        b"GET / HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n 2\r\n\r\n",
        400,
    ),
    (
        "whitespace before the first field",
        b"GET / HTTP/1.1\r\n Host: t\r\n\r\n",
        400,
    ),
    (
        "nul in value",
        b"GET / HTTP/1.1\r\nHost: t\r\nX-A: a\x00b\r\n\r\n",
        400,
    ),
    (
        "cr in value",
        b"GET / HTTP/1.1\r\nHost: t\r\nX-A: a\rb\r\n\r\n",
        400,
    ),
    (
        "control in value",
        b"GET / HTTP/1.1\r\nHost: t\r\nX-A: a\x01b\r\n\r\n",
        400,
    ),
    (
        "bad header name",
        b"GET / HTTP/1.1\r\nHost: t\r\nX(A): 1\r\n\r\n",
        400,
    ),
    (
        "empty header name",
        b"GET / HTTP/1.1\r\nHost: t\r\n: 1\r\n\r\n",
        400,
    ),
    (
        "header without colon",
        b"GET / HTTP/1.1\r\nHost: t\r\nX-A\r\n\r\n",
        400,
    ),
    ("bare lf", b"GET / HTTP/1.1\nHost: t\n\n", 400),
    (
        "bare lf in fields",
        b"GET / HTTP/1.1\r\nHost: t\nX: 1\r\n\r\n",
        400,
    ),
    (
        "bad target percent",
        b"GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n",
        400,
    ),
    (
        "bad target byte",
        b"GET /a\x7fb HTTP/1.1\r\nHost: t\r\n\r\n",
        400,
    ),
    (
        "asterisk without options",
        b"GET * HTTP/1.1\r\nHost: t\r\n\r\n",
        400,
    ),
    (
        "two spaces in request line",
        b"GET  / HTTP/1.1\r\nHost: t\r\n\r\n",
        400,
    ),
    (
        "bad method byte",
        b"G(ET / HTTP/1.1\r\nHost: t\r\n\r\n",
        400,
    ),
    ("missing host", b"GET / HTTP/1.1\r\n\r\n", 400),
    (
        "duplicate host",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        400,
    ),
    (
        "host with userinfo",
        b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n",
        400,
    ),
    (
        "bad connection item",
        b"GET / HTTP/1.1\r\nHost: t\r\nConnection: a b\r\n\r\n",
        400,
    ),
    ("http/2.0", b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
    ("http/1.2", b"GET / HTTP/1.2\r\nHost: t\r\n\r\n", 505),
    (
        "lowercase version",
        b"GET / http/1.1\r\nHost: t\r\n\r\n",
        400,
    ),
    (
        "unsupported expectation",
        b"GET / HTTP/1.1\r\nHost: t\r\nExpect: magic\r\n\r\n",
        417,
    ),
    (
        "body over the default limit",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1048577\r\n\r\n",
        413,
    ),
    (
        "bad chunk size",
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        400,
    ),
    (
        "chunk without crlf",
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
        400,
    ),
];

#[test]
fn every_framing_rule() {
    let server = Server::start();
    for &(name, raw, code) in TABLE {
        refused(&server, name, raw, code);
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
