//! The demo over real sockets: every route, keep-alive, HTTP/1.0, `Expect: 100-continue`,
//! pipelining and the per-connection request limit.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod util;

use util::{Server, binary, chunked_post, get, with_body};

const ALLOW: &str = "GET, HEAD, POST, PUT, OPTIONS";

#[test]
fn get_says_hello() {
    let server = Server::start();
    let mut client = server.connect();
    let resp = client.request(&get("/"));
    assert_eq!(resp.code, 200);
    assert_eq!(resp.text(), "Hello, World!");
    assert_eq!(resp.header("content-length"), Some("13"));
    assert!(
        resp.header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(!resp.closes());
    let resp = client.request(&get("/any/path?x=1"));
    assert_eq!(resp.text(), "Hello, World!");
}

#[test]
fn head_has_the_length_and_no_body() {
    let server = Server::start();
    let mut client = server.connect();
    client.send(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
    let resp = client.head_response();
    assert_eq!(resp.code, 200);
    assert_eq!(resp.header("content-length"), Some("13"));
    // No body bytes sit between this response and the next.
    let resp = client.request(&get("/"));
    assert_eq!(resp.text(), "Hello, World!");
}

#[test]
fn post_echoes_a_content_length_body() {
    let server = Server::start();
    let mut client = server.connect();
    for len in [0, 1, 255, 256, 4000, 30_000] {
        let body = binary(len);
        let resp = client.request(&with_body("POST", "/echo", &body));
        assert_eq!(resp.code, 200, "{len} bytes");
        assert_eq!(
            resp.header("content-type"),
            Some("application/octet-stream")
        );
        assert_eq!(resp.body, body, "{len} bytes");
    }
}

#[test]
fn post_echoes_a_chunked_body() {
    let server = Server::start();
    let mut client = server.connect();
    for (len, chunk) in [(0, 1), (1, 1), (300, 7), (5000, 1000), (20_000, 4096)] {
        let body = binary(len);
        let resp = client.request(&chunked_post("/", &body, chunk));
        assert_eq!(resp.code, 200, "{len} bytes in chunks of {chunk}");
        assert_eq!(resp.body, body, "{len} bytes in chunks of {chunk}");
    }
}

#[test]
fn put_echoes() {
    let server = Server::start();
    let mut client = server.connect();
    let resp = client.request(&with_body("PUT", "/thing", b"\x00\r\n\xff"));
    assert_eq!(resp.code, 200);
    assert_eq!(resp.body, b"\x00\r\n\xff");
}

#[test]
fn options_and_unsupported_methods() {
    let server = Server::start();
    let mut client = server.connect();
    let table: &[(&[u8], u16, Option<&str>)] = &[
        (b"OPTIONS / HTTP/1.1\r\nHost: t\r\n\r\n", 204, Some(ALLOW)),
        (b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", 204, Some(ALLOW)),
        (b"DELETE / HTTP/1.1\r\nHost: t\r\n\r\n", 405, Some(ALLOW)),
        (b"PATCH / HTTP/1.1\r\nHost: t\r\n\r\n", 405, Some(ALLOW)),
        (b"TRACE / HTTP/1.1\r\nHost: t\r\n\r\n", 405, Some(ALLOW)),
        (b"get / HTTP/1.1\r\nHost: t\r\n\r\n", 501, None),
        (b"BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n", 501, None),
    ];
    for &(raw, code, allow) in table {
        let resp = client.request(raw);
        let what = String::from_utf8_lossy(raw);
        assert_eq!(resp.code, code, "{what}");
        assert_eq!(resp.header("allow"), allow, "{what}");
        assert!(!resp.closes(), "{what}");
    }
}

#[test]
fn metrics_endpoint() {
    let server = Server::start();
    let mut client = server.connect();
    client.request(&get("/"));
    for path in ["/metrics", "/metrics?format=text"] {
        let resp = client.request(&get(path));
        assert_eq!(resp.code, 200);
        assert_eq!(
            resp.header("content-type"),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        assert!(resp.text().contains("# TYPE "), "{}", resp.text());
    }
    client.send(b"HEAD /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
    let resp = client.head_response();
    assert_eq!(resp.code, 200);
    // Streamed: the head alone, with no length to announce.
    assert!(resp.header("content-length").is_none());
    assert!(resp.header("transfer-encoding").is_none());
    assert_eq!(client.request(&get("/")).text(), "Hello, World!");
}

#[test]
fn keep_alive_reuses_one_connection() {
    let server = Server::start();
    let mut client = server.connect();
    for i in 0..20 {
        let resp = client.request(&with_body("POST", "/", format!("n{i}").as_bytes()));
        assert_eq!(resp.text(), format!("n{i}"));
        assert!(!resp.closes());
    }
}

#[test]
fn http10_closes_by_default() {
    let server = Server::start();
    let mut client = server.connect();
    let resp = client.request(b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(resp.code, 200);
    assert_eq!(resp.text(), "Hello, World!");
    client.assert_closed();
}

#[test]
fn http10_keep_alive_on_request() {
    let server = Server::start();
    let mut client = server.connect();
    let resp = client.request(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(resp.code, 200);
    assert!(
        resp.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("keep-alive"))
    );
    let resp = client.request(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(resp.code, 200);
    let resp = client.request(b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(resp.code, 200);
    client.assert_closed();
}

#[test]
fn expect_100_continue() {
    let server = Server::start();
    let mut client = server.connect();
    client
        .send(b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    let interim = client.response();
    assert_eq!(interim.code, 100);
    client.send(b"hello");
    let resp = client.response();
    assert_eq!(resp.code, 200);
    assert_eq!(resp.body, b"hello");
    // The connection goes on.
    assert_eq!(client.request(&get("/")).code, 200);
}

#[test]
fn expect_100_continue_with_a_body_too_large_is_413_without_100() {
    let server = Server::with(|o| o.config.limits.max_body_bytes = 1000);
    let mut client = server.connect();
    client.send(
        b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\nExpect: 100-continue\r\n\r\n",
    );
    let resp = client.response();
    assert_eq!(resp.code, 413);
    assert!(resp.closes());
    client.assert_closed();
}

#[test]
fn ten_pipelined_requests_in_one_write() {
    let server = Server::start();
    let mut client = server.connect();
    let mut raw = Vec::new();
    for i in 0..10 {
        raw.extend(with_body("POST", "/", format!("request {i}").as_bytes()));
    }
    client.send(&raw);
    for (i, resp) in client.responses(10).into_iter().enumerate() {
        assert_eq!(resp.code, 200);
        assert_eq!(resp.text(), format!("request {i}"));
    }
    assert_eq!(client.request(&get("/")).code, 200);
}

#[test]
fn pipelined_mixed_methods_in_order() {
    let server = Server::start();
    let mut client = server.connect();
    let mut raw = get("/");
    raw.extend_from_slice(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
    raw.extend(chunked_post("/", b"chunked!", 3));
    raw.extend_from_slice(b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
    raw.extend_from_slice(b"DELETE / HTTP/1.1\r\nHost: t\r\n\r\n");
    client.send(&raw);
    assert_eq!(client.response().text(), "Hello, World!");
    assert_eq!(client.head_response().code, 200);
    assert_eq!(client.response().body, b"chunked!");
    assert_eq!(client.response().code, 204);
    assert_eq!(client.response().code, 405);
}

#[test]
fn max_requests_per_connection() {
    let server = Server::with(|o| o.config.max_requests_per_connection = 3);
    let mut client = server.connect();
    assert!(!client.request(&get("/1")).closes());
    assert!(!client.request(&get("/2")).closes());
    let third = client.request(&get("/3"));
    assert_eq!(third.code, 200);
    assert!(third.closes());
    client.assert_closed();
}

#[test]
fn max_requests_per_connection_when_pipelined() {
    let server = Server::with(|o| o.config.max_requests_per_connection = 3);
    let mut client = server.connect();
    let mut raw = Vec::new();
    for i in 0..3 {
        raw.extend(get(&format!("/{i}")));
    }
    client.send(&raw);
    let got = client.responses(3);
    assert!(!got[0].closes() && !got[1].closes() && got[2].closes());
    client.assert_closed();
}

/// Bodies larger than the largest read buffer (64 KiB) come back whole, streamed.
#[test]
fn post_echoes_a_body_beyond_the_read_buffer() {
    let server = Server::start();
    let mut client = server.connect();
    let body = binary(700_000);
    let resp = client.request_while_sending(with_body("POST", "/big", &body));
    assert_eq!(resp.code, 200);
    assert!(
        resp.body == body,
        "echo differs ({} bytes back)",
        resp.body.len()
    );
    let resp = client.request_while_sending(chunked_post("/big", &body, 50_000));
    assert_eq!(resp.code, 200);
    assert!(
        resp.body == body,
        "echo differs ({} bytes back)",
        resp.body.len()
    );
    assert_eq!(client.request(&get("/")).text(), "Hello, World!");
}
