//! The response head encoder against exact expected bytes: one table row per response.

use aurora_core::http::Status;
use aurora_core::http::date::Date;
use aurora_core::http::response::{
    BodyFraming, BodyKind, CONTINUE_100, EncodeContext, EncodeError, Encoded, Persistence,
    ResponseHead, ServerName, Version, check_header, encode_full, encode_head, head_len,
};

use BodyFraming as F;
use BodyKind::{Empty, Length, Streamed};
use Persistence::{Close, KeepAlive};

/// The request being answered.
#[derive(Clone, Copy, Debug)]
enum Req {
    Get10,
    Get11,
    Head10,
    Head11,
}

impl Req {
    fn cx(self) -> EncodeContext<'static> {
        let (version, head_request) = match self {
            Req::Get10 => (Version::Http10, false),
            Req::Get11 => (Version::Http11, false),
            Req::Head10 => (Version::Http10, true),
            Req::Head11 => (Version::Http11, true),
        };
        EncodeContext {
            version,
            head_request,
            date: None,
            server: None,
        }
    }
}

type Fields = &'static [(&'static str, &'static [u8])];
type Expected = Result<(&'static str, BodyFraming, Persistence), EncodeError>;

/// One response: request, status, caller headers, body kind, persistence asked for, and the
/// exact head, the framing the caller must follow and the persistence that results.
type Row = (Req, u16, Fields, BodyKind, Persistence, Expected);

const fn ok(head: &'static str, framing: BodyFraming, persistence: Persistence) -> Expected {
    Ok((head, framing, persistence))
}

const fn err(e: EncodeError) -> Expected {
    Err(e)
}

use EncodeError::{BodyForbidden, InterimForHttp10, InvalidHeader, ReservedHeader};
use Req::{Get10, Get11, Head10, Head11};

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // 2xx with a known length, HTTP/1.1.
    (Get11, 200, &[], Empty, KeepAlive, ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", F::None, KeepAlive)),
    (Get11, 200, &[], Length(0), KeepAlive, ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", F::None, KeepAlive)),
    (Get11, 200, &[], Length(5), KeepAlive, ok("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", F::Length(5), KeepAlive)),
    (Get11, 200, &[], Length(5), Close, ok("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\n", F::Length(5), Close)),
    (Get11, 201, &[("Location", b"/items/7")], Length(2), KeepAlive, ok("HTTP/1.1 201 Created\r\nLocation: /items/7\r\nContent-Length: 2\r\n\r\n", F::Length(2), KeepAlive)),
    (Get11, 200, &[], Length(u64::MAX), KeepAlive, ok("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n", F::Length(u64::MAX), KeepAlive)),
    // Streamed bodies: chunked for HTTP/1.1, close-delimited for HTTP/1.0.
    (Get11, 200, &[], Streamed, KeepAlive, ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", F::Chunked, KeepAlive)),
    (Get11, 200, &[], Streamed, Close, ok("HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n", F::Chunked, Close)),
    (Get10, 200, &[], Streamed, KeepAlive, ok("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", F::UntilClose, Close)),
    (Get10, 200, &[], Streamed, Close, ok("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", F::UntilClose, Close)),
    // HTTP/1.0 with a known length.
    (Get10, 200, &[], Length(5), KeepAlive, ok("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\n", F::Length(5), KeepAlive)),
    (Get10, 200, &[], Length(5), Close, ok("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\n", F::Length(5), Close)),
    (Get10, 200, &[], Empty, KeepAlive, ok("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", F::None, KeepAlive)),
    // HEAD: the would-be Content-Length, never a body.
    (Head11, 200, &[], Length(5), KeepAlive, ok("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", F::None, KeepAlive)),
    (Head11, 200, &[], Empty, KeepAlive, ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", F::None, KeepAlive)),
    (Head11, 200, &[], Streamed, KeepAlive, ok("HTTP/1.1 200 OK\r\n\r\n", F::None, KeepAlive)),
    (Head11, 200, &[], Streamed, Close, ok("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", F::None, Close)),
    (Head10, 200, &[], Streamed, KeepAlive, ok("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n", F::None, KeepAlive)),
    (Head10, 200, &[], Length(7), KeepAlive, ok("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 7\r\n\r\n", F::None, KeepAlive)),
    (Head11, 404, &[], Length(9), Close, ok("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 9\r\n\r\n", F::None, Close)),
    // 204 and 304: never a body or a Content-Length.
    (Get11, 204, &[], Empty, KeepAlive, ok("HTTP/1.1 204 No Content\r\n\r\n", F::None, KeepAlive)),
    (Get11, 204, &[], Length(0), Close, ok("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", F::None, Close)),
    (Get10, 204, &[], Empty, KeepAlive, ok("HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n", F::None, KeepAlive)),
    (Head11, 204, &[], Empty, KeepAlive, ok("HTTP/1.1 204 No Content\r\n\r\n", F::None, KeepAlive)),
    (Get11, 204, &[], Length(1), KeepAlive, err(BodyForbidden)),
    (Get11, 204, &[], Streamed, KeepAlive, err(BodyForbidden)),
    (Get11, 304, &[("ETag", b"\"v1\"")], Empty, KeepAlive, ok("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n", F::None, KeepAlive)),
    (Head11, 304, &[], Length(10), KeepAlive, err(BodyForbidden)),
    (Get10, 304, &[], Streamed, KeepAlive, err(BodyForbidden)),
    // 1xx: interim, no framing, Date or Server; never to HTTP/1.0.
    (Get11, 100, &[], Empty, Close, ok("HTTP/1.1 100 Continue\r\n\r\n", F::None, KeepAlive)),
    (Get11, 101, &[("Upgrade", b"websocket")], Empty, KeepAlive, ok("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", F::None, KeepAlive)),
    (Get11, 103, &[("Link", b"</a.css>; rel=preload")], Empty, KeepAlive, ok("HTTP/1.1 103 \r\nLink: </a.css>; rel=preload\r\n\r\n", F::None, KeepAlive)),
    (Get11, 101, &[], Length(3), KeepAlive, err(BodyForbidden)),
    (Get10, 100, &[], Empty, KeepAlive, err(InterimForHttp10)),
    (Head10, 103, &[], Empty, KeepAlive, err(InterimForHttp10)),
    // Every other class.
    (Get11, 301, &[("Location", b"/b")], Empty, KeepAlive, ok("HTTP/1.1 301 Moved Permanently\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n", F::None, KeepAlive)),
    (Get11, 308, &[("Location", b"https://example.com/")], Empty, Close, ok("HTTP/1.1 308 Permanent Redirect\r\nLocation: https://example.com/\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", F::None, Close)),
    (Get11, 400, &[], Length(11), Close, ok("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 11\r\n\r\n", F::Length(11), Close)),
    (Get10, 431, &[], Empty, Close, ok("HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", F::None, Close)),
    (Get11, 503, &[("Retry-After", b"120")], Streamed, KeepAlive, ok("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nTransfer-Encoding: chunked\r\n\r\n", F::Chunked, KeepAlive)),
    (Get11, 599, &[], Empty, KeepAlive, ok("HTTP/1.1 599 \r\nContent-Length: 0\r\n\r\n", F::None, KeepAlive)),
    (Get11, 999, &[], Length(1), KeepAlive, ok("HTTP/1.1 999 \r\nContent-Length: 1\r\n\r\n", F::Length(1), KeepAlive)),
    // Caller headers: order kept, any token name, values with inner spaces, HTAB, obs-text or nothing.
    (Get11, 200, &[("B", b"2"), ("a", b"1"), ("X-Odd!#$%&'*+-.^_`|~9", b"v")], Empty, KeepAlive, ok("HTTP/1.1 200 OK\r\nB: 2\r\na: 1\r\nX-Odd!#$%&'*+-.^_`|~9: v\r\nContent-Length: 0\r\n\r\n", F::None, KeepAlive)),
    (Get11, 200, &[("X-Empty", b""), ("X-Tab", b"a\tb c")], Empty, KeepAlive, ok("HTTP/1.1 200 OK\r\nX-Empty: \r\nX-Tab: a\tb c\r\nContent-Length: 0\r\n\r\n", F::None, KeepAlive)),
    (Get11, 200, &[("X-Bytes", b"caf\xc3\xa9")], Empty, KeepAlive, ok("HTTP/1.1 200 OK\r\nX-Bytes: caf\u{e9}\r\nContent-Length: 0\r\n\r\n", F::None, KeepAlive)),
    // Names that are not tokens.
    (Get11, 200, &[("", b"v")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("a b", b"v")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("a:b", b"v")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("a\r", b"v")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("a\n", b"v")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("a\0", b"v")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("(x)", b"v")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("caf\u{e9}", b"v")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("ok", b"v"), ("a/b", b"v")], Empty, KeepAlive, err(InvalidHeader)),
    // Values that could end a line, smuggle a header or hold control bytes.
    (Get11, 200, &[("X", b"a\rb")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("X", b"a\nb")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("X", b"a\r\nSet-Cookie: s=1")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("X", b"a\0b")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("X", b"a\x7fb")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("X", b"a\x01b")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("X", b" lead")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 200, &[("X", b"trail\t")], Empty, KeepAlive, err(InvalidHeader)),
    (Get11, 101, &[("Upgrade", b"h2c\r\n")], Empty, KeepAlive, err(InvalidHeader)),
    // Headers the encoder owns, in any case.
    (Get11, 200, &[("Content-Length", b"5")], Length(5), KeepAlive, err(ReservedHeader)),
    (Get11, 200, &[("content-length", b"0")], Empty, KeepAlive, err(ReservedHeader)),
    (Get11, 200, &[("TRANSFER-ENCODING", b"chunked")], Streamed, KeepAlive, err(ReservedHeader)),
    (Get11, 200, &[("Connection", b"keep-alive")], Empty, KeepAlive, err(ReservedHeader)),
    (Get11, 101, &[("Connection", b"upgrade")], Empty, KeepAlive, err(ReservedHeader)),
    (Get11, 200, &[("date", b"now")], Empty, KeepAlive, err(ReservedHeader)),
    (Get11, 200, &[("Server", b"other")], Empty, KeepAlive, err(ReservedHeader)),
];

fn head_of(row: &Row) -> ResponseHead<'static> {
    let status = Status::from_code(row.1).unwrap_or(Status::INTERNAL_SERVER_ERROR);
    ResponseHead {
        status,
        headers: row.2,
        persistence: row.4,
    }
}

#[test]
fn table() {
    for (i, row) in ROWS.iter().enumerate() {
        let head = head_of(row);
        let mut out = [0u8; 512];
        let got = encode_head(&head, row.3, &row.0.cx(), &mut out);
        match (got, row.5) {
            (Ok(encoded), Ok((bytes, framing, persistence))) => {
                assert_eq!(
                    &out[..encoded.len],
                    bytes.as_bytes(),
                    "row {i}: {:?}",
                    std::str::from_utf8(&out[..encoded.len])
                );
                assert_eq!(encoded.body, framing, "row {i}");
                assert_eq!(encoded.persistence, persistence, "row {i}");
                assert_eq!(
                    head_len(&head, row.3, &row.0.cx()),
                    Ok(encoded.len),
                    "row {i}"
                );
            }
            (Err(got), Err(expected)) => {
                assert_eq!(got, expected, "row {i}");
                assert!(out.iter().all(|&b| b == 0), "row {i} wrote on error");
                assert_eq!(
                    head_len(&head, row.3, &row.0.cx()),
                    Err(expected),
                    "row {i}"
                );
            }
            (got, expected) => panic!("row {i}: got {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn the_interim_constant_matches_the_encoder() {
    let head = ResponseHead {
        status: Status::CONTINUE,
        headers: &[],
        persistence: KeepAlive,
    };
    let mut out = [0u8; 64];
    let done = encode_head(&head, Empty, &Get11.cx(), &mut out);
    assert_eq!(done.map(|e| &out[..e.len]), Ok(&CONTINUE_100[..]));
}

#[test]
fn date_and_server_lead_final_responses_only() {
    let date = Date::from_unix_secs(784_111_777);
    let cx = EncodeContext {
        version: Version::Http11,
        head_request: false,
        date: Some(&date),
        server: ServerName::new("aurora/0.1").ok(),
    };
    let mut out = [0u8; 256];
    let head = ResponseHead {
        status: Status::NOT_FOUND,
        headers: &[("Content-Type", b"text/plain; charset=utf-8")],
        persistence: Close,
    };
    let done = encode_head(&head, Length(9), &cx, &mut out);
    let expected: &[u8] = b"HTTP/1.1 404 Not Found\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
        Server: aurora/0.1\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\
        Content-Length: 9\r\n\r\n";
    assert_eq!(done.map(|e| &out[..e.len]), Ok(expected));

    let interim = ResponseHead {
        status: Status::CONTINUE,
        headers: &[],
        persistence: KeepAlive,
    };
    let done = encode_head(&interim, Empty, &cx, &mut out);
    assert_eq!(done.map(|e| &out[..e.len]), Ok(&CONTINUE_100[..]));
}

type FullExpected = Result<(&'static [u8], Persistence), EncodeError>;

#[test]
fn full_responses_carry_their_body_unless_head() {
    let head = ResponseHead {
        status: Status::OK,
        headers: &[("Content-Type", b"text/plain")],
        persistence: KeepAlive,
    };
    let mut out = [0u8; 128];
    #[rustfmt::skip]
    let cases: &[(Req, &[u8], FullExpected)] = &[
        (Get11, b"hello", Ok((b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", KeepAlive))),
        (Get11, b"", Ok((b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n", KeepAlive))),
        (Head11, b"hello", Ok((b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n", KeepAlive))),
        (Get10, b"hi", Ok((b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi", KeepAlive))),
        (Head10, b"hi", Ok((b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n", KeepAlive))),
    ];
    for (i, (req, body, expected)) in cases.iter().enumerate() {
        let got = encode_full(&head, body, &req.cx(), &mut out);
        let got = got.map(|e| {
            assert_eq!(e.body, F::None, "case {i}");
            (&out[..e.len], e.persistence)
        });
        assert_eq!(got, *expected, "case {i}");
    }

    for status in [Status::NO_CONTENT, Status::NOT_MODIFIED, Status::CONTINUE] {
        let head = ResponseHead {
            status,
            headers: &[],
            persistence: KeepAlive,
        };
        assert_eq!(
            encode_full(&head, b"x", &Get11.cx(), &mut out),
            Err(BodyForbidden)
        );
        assert!(encode_full(&head, b"", &Get11.cx(), &mut out).is_ok());
    }
}

/// Every size below the needed one is refused without touching the buffer; the needed size works.
#[test]
fn every_short_buffer_is_refused_untouched() {
    for (i, row) in ROWS.iter().enumerate() {
        let Ok((bytes, ..)) = row.5 else { continue };
        let head = head_of(row);
        let needed = bytes.len();
        for size in 0..needed {
            let mut out = std::vec![0xa5u8; size];
            assert_eq!(
                encode_head(&head, row.3, &row.0.cx(), &mut out),
                Err(EncodeError::BufferTooSmall),
                "row {i} size {size}"
            );
            assert!(out.iter().all(|&b| b == 0xa5), "row {i} size {size}");
        }
        let mut out = std::vec![0u8; needed];
        let done = encode_head(&head, row.3, &row.0.cx(), &mut out);
        assert_eq!(done.map(|e| e.len), Ok(needed), "row {i}");
    }

    let head = ResponseHead {
        status: Status::OK,
        headers: &[("X", b"y")],
        persistence: Close,
    };
    let body = [b'z'; 40];
    let mut big = [0u8; 256];
    let needed = match encode_full(&head, &body, &Get10.cx(), &mut big) {
        Ok(Encoded { len, .. }) => len,
        Err(e) => panic!("{e}"),
    };
    for size in 0..needed {
        let mut out = std::vec![0xa5u8; size];
        assert_eq!(
            encode_full(&head, &body, &Get10.cx(), &mut out),
            Err(EncodeError::BufferTooSmall)
        );
        assert!(out.iter().all(|&b| b == 0xa5), "size {size}");
    }
}

#[test]
fn single_fields_can_be_checked_ahead() {
    assert_eq!(check_header("X-Ok", b"fine"), Ok(()));
    assert_eq!(check_header("X Bad", b"fine"), Err(InvalidHeader));
    assert_eq!(check_header("X-Bad", b"a\r\nb"), Err(InvalidHeader));
    assert_eq!(check_header("Content-Length", b"1"), Err(ReservedHeader));
}

#[test]
fn errors_display_and_are_errors() {
    let errors = [
        EncodeError::BufferTooSmall,
        InvalidHeader,
        ReservedHeader,
        BodyForbidden,
        InterimForHttp10,
    ];
    for e in errors {
        let text = std::format!("{e}");
        assert!(!text.is_empty());
        let _: &dyn core::error::Error = &e;
    }
}
