//! The strict-framing rules every backend's socket tests run: one request per rule that breaks
//! it, and the status it earns. Shared by `tests/http_framing.rs` (Linux) and
//! `backend-embassy/tests/host.rs` (embassy-net), so both backends are held to the same list;
//! the body-size rule depends on each server's limit and stays with each test.

/// `(rule, request, status)`, each against the default limits.
pub const FRAMING_RULES: &[(&str, &[u8], u16)] = &[
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
    // Not `HTTP/` DIGIT `.` DIGIT: malformed, not unsupported.
    ("http/1.10", b"GET / HTTP/1.10\r\nHost: t\r\n\r\n", 400),
    ("http/3", b"GET / HTTP/3\r\nHost: t\r\n\r\n", 400),
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
