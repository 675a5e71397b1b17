//! What the encoder writes, read back by an independent parser: httparse parses every head, and
//! `httparse::parse_chunk_size` reads every chunk size. Random responses, chunked round trips, and
//! a stress run of 100,000 responses.

use aurora_core::http::Status;
use aurora_core::http::date::Date;
use aurora_core::http::response::{
    BodyFraming, BodyKind, ChunkedEncoder, EncodeContext, Persistence, RESERVED_HEADERS,
    ResponseHead, ServerName, Version, encode_full, encode_head, max_chunk_data,
};
use proptest::prelude::*;

/// Header fields as owned `(name, value)` pairs.
type OwnedFields = Vec<(String, Vec<u8>)>;

/// A head as httparse read it.
#[derive(Debug, PartialEq)]
struct Parsed {
    code: u16,
    reason: String,
    headers: OwnedFields,
    head_len: usize,
}

fn parse_head(bytes: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; 80];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        other => panic!(
            "httparse: {other:?} on {:?}",
            String::from_utf8_lossy(bytes)
        ),
    };
    assert_eq!(response.version, Some(1));
    Parsed {
        code: response.code.unwrap_or(0),
        reason: response.reason.unwrap_or("<none>").to_owned(),
        headers: response
            .headers
            .iter()
            .map(|h| (h.name.to_owned(), h.value.to_vec()))
            .collect(),
        head_len,
    }
}

/// Decodes a complete chunked body with httparse's chunk-size parser and its header parser for
/// the trailers. Returns the data, the trailers and the bytes consumed.
fn decode_chunked(mut bytes: &[u8]) -> (Vec<u8>, OwnedFields, usize) {
    let total = bytes.len();
    let mut data = Vec::new();
    loop {
        let (line, size) = match httparse::parse_chunk_size(bytes) {
            Ok(httparse::Status::Complete(found)) => found,
            other => panic!("chunk size: {other:?}"),
        };
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        bytes = &bytes[line..];
        if size == 0 {
            break;
        }
        assert!(size <= bytes.len(), "chunk larger than what follows");
        data.extend_from_slice(&bytes[..size]);
        assert_eq!(
            &bytes[size..size + 2],
            b"\r\n",
            "chunk data not followed by CRLF"
        );
        bytes = &bytes[size + 2..];
    }
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let (used, trailers) = match httparse::parse_headers(bytes, &mut headers) {
        Ok(httparse::Status::Complete(found)) => found,
        other => panic!("trailers: {other:?}"),
    };
    let trailers = trailers
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_vec()))
        .collect();
    (data, trailers, total - bytes.len() + used)
}

fn owned(fields: &[(&str, &[u8])]) -> OwnedFields {
    fields
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.to_vec()))
        .collect()
}

/// A response scenario drawn at random.
#[derive(Clone, Debug)]
struct Scenario {
    code: u16,
    version: Version,
    head_request: bool,
    persistence: Persistence,
    with_date: bool,
    with_server: bool,
    headers: OwnedFields,
    body: Vec<u8>,
    /// Sizes the streamed body is cut into, cycled.
    pieces: Vec<usize>,
    trailers: OwnedFields,
}

fn field_name() -> impl Strategy<Value = String> {
    "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,24}".prop_filter("reserved", |name| {
        !RESERVED_HEADERS
            .iter()
            .any(|r| name.eq_ignore_ascii_case(r))
    })
}

fn field_value() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        8 => 0x21u8..0x7f,
        2 => Just(b' '),
        1 => Just(b'\t'),
        1 => 0x80u8..=0xff,
    ];
    prop::collection::vec(byte, 0..40).prop_map(|mut v| {
        while v.first().is_some_and(|b| matches!(b, b' ' | b'\t')) {
            v.remove(0);
        }
        while v.last().is_some_and(|b| matches!(b, b' ' | b'\t')) {
            v.pop();
        }
        v
    })
}

fn fields(max: usize) -> impl Strategy<Value = OwnedFields> {
    prop::collection::vec((field_name(), field_value()), 0..max)
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        100u16..1000,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        fields(12),
        prop::collection::vec(any::<u8>(), 0..600),
        prop::collection::vec(1usize..200, 1..6),
        fields(4),
    )
        .prop_map(
            |(
                code,
                http10,
                head_request,
                close,
                with_date,
                with_server,
                headers,
                body,
                pieces,
                trailers,
            )| {
                let forbids = code < 200 || code == 204 || code == 304;
                Scenario {
                    code,
                    // An interim response is only ever sent to HTTP/1.1.
                    version: if http10 && code >= 200 {
                        Version::Http10
                    } else {
                        Version::Http11
                    },
                    head_request,
                    persistence: if close {
                        Persistence::Close
                    } else {
                        Persistence::KeepAlive
                    },
                    with_date,
                    with_server,
                    headers,
                    body: if forbids { Vec::new() } else { body },
                    pieces,
                    trailers,
                }
            },
        )
}

/// The Date and Server headers a scenario leads with, and its context.
fn context<'a>(s: &Scenario, date: &'a Date) -> EncodeContext<'a> {
    EncodeContext {
        version: s.version,
        head_request: s.head_request,
        date: s.with_date.then_some(date),
        server: if s.with_server {
            ServerName::new("aurora-test/1").ok()
        } else {
            None
        },
    }
}

/// The headers httparse must see, in order: Date and Server (final responses only), the caller's,
/// then whatever the encoder adds (checked separately).
fn leading_headers(s: &Scenario, date: &Date) -> OwnedFields {
    let mut expected = Vec::new();
    if s.code >= 200 {
        if s.with_date {
            expected.push(("Date".to_owned(), date.as_bytes().to_vec()));
        }
        if s.with_server {
            expected.push(("Server".to_owned(), b"aurora-test/1".to_vec()));
        }
    }
    expected.extend(s.headers.iter().cloned());
    expected
}

fn borrowed(fields: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
    fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect()
}

fn header<'p>(parsed: &'p Parsed, name: &str) -> Option<&'p [u8]> {
    parsed
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// Encodes a scenario with `encode_head`, a streamed body through the chunked encoder, and checks
/// it all with httparse.
fn check_streamed(s: &Scenario) -> Result<(), TestCaseError> {
    let date = Date::from_unix_secs(1_700_000_000);
    let cx = context(s, &date);
    let headers = borrowed(&s.headers);
    let head = ResponseHead {
        status: Status::from_code(s.code).unwrap_or(Status::OK),
        headers: &headers,
        persistence: s.persistence,
    };
    let kind = if head.status.forbids_body() {
        BodyKind::Empty
    } else {
        BodyKind::Streamed
    };
    let mut wire = vec![0u8; 4096];
    let encoded = match encode_head(&head, kind, &cx, &mut wire) {
        Ok(e) => e,
        Err(e) => return Err(TestCaseError::fail(format!("encode_head: {e}"))),
    };
    wire.truncate(encoded.len);

    let trailers = borrowed(&s.trailers);
    match encoded.body {
        BodyFraming::Chunked => {
            let mut encoder = ChunkedEncoder::new();
            let mut rest = s.body.as_slice();
            let mut sizes = s.pieces.iter().cycle();
            while !rest.is_empty() {
                let want = sizes.next().copied().unwrap_or(1).min(rest.len());
                let mut out = vec![0u8; want + 16];
                // The chunk exactly fills what `max_chunk_data` would allow for its size.
                let n = encoder.encode_chunk(&rest[..want], &mut out);
                let n = n.map_err(|e| TestCaseError::fail(format!("chunk: {e}")))?;
                prop_assert_eq!(max_chunk_data(n), want);
                wire.extend_from_slice(&out[..n]);
                rest = &rest[want..];
            }
            let mut out = vec![0u8; 2048];
            let n = encoder
                .finish(&trailers, &mut out)
                .map_err(|e| TestCaseError::fail(format!("finish: {e}")))?;
            wire.extend_from_slice(&out[..n]);
        }
        BodyFraming::UntilClose => wire.extend_from_slice(&s.body),
        BodyFraming::None => {}
        BodyFraming::Length(n) => {
            return Err(TestCaseError::fail(format!(
                "streamed body framed as length {n}"
            )));
        }
    }

    let parsed = parse_head(&wire);
    prop_assert_eq!(parsed.code, s.code);
    prop_assert_eq!(parsed.reason.as_str(), head.status.reason());
    prop_assert_eq!(parsed.head_len, encoded.len);
    let leading = leading_headers(s, &date);
    prop_assert_eq!(&parsed.headers[..leading.len()], &leading[..]);

    let rest = &wire[parsed.head_len..];
    let chunked = header(&parsed, "transfer-encoding") == Some(b"chunked");
    prop_assert_eq!(header(&parsed, "content-length"), None);
    match encoded.body {
        BodyFraming::Chunked => {
            prop_assert!(chunked);
            prop_assert_eq!(s.version, Version::Http11);
            let (data, got_trailers, used) = decode_chunked(rest);
            prop_assert_eq!(&data, &s.body);
            prop_assert_eq!(&got_trailers, &s.trailers);
            prop_assert_eq!(used, rest.len());
        }
        BodyFraming::UntilClose => {
            prop_assert!(!chunked);
            prop_assert_eq!(s.version, Version::Http10);
            prop_assert_eq!(encoded.persistence, Persistence::Close);
            prop_assert_eq!(header(&parsed, "connection"), Some(&b"close"[..]));
            prop_assert_eq!(rest, &s.body[..]);
        }
        _ => {
            prop_assert!(!chunked);
            prop_assert!(s.head_request || head.status.forbids_body());
            prop_assert!(rest.is_empty());
        }
    }
    Ok(())
}

/// Encodes a scenario with `encode_full` and checks it with httparse.
fn check_full(s: &Scenario) -> Result<(), TestCaseError> {
    let date = Date::from_unix_secs(1_700_000_000);
    let cx = context(s, &date);
    let headers = borrowed(&s.headers);
    let head = ResponseHead {
        status: Status::from_code(s.code).unwrap_or(Status::OK),
        headers: &headers,
        persistence: s.persistence,
    };
    let mut wire = vec![0u8; 4096];
    let encoded = encode_full(&head, &s.body, &cx, &mut wire)
        .map_err(|e| TestCaseError::fail(format!("encode_full: {e}")))?;
    wire.truncate(encoded.len);
    prop_assert_eq!(encoded.body, BodyFraming::None);

    let parsed = parse_head(&wire);
    prop_assert_eq!(parsed.code, s.code);
    prop_assert_eq!(parsed.reason.as_str(), head.status.reason());
    let leading = leading_headers(s, &date);
    prop_assert_eq!(&parsed.headers[..leading.len()], &leading[..]);
    prop_assert_eq!(header(&parsed, "transfer-encoding"), None);

    let rest = &wire[parsed.head_len..];
    if head.status.forbids_body() {
        prop_assert_eq!(header(&parsed, "content-length"), None);
        prop_assert!(rest.is_empty());
    } else {
        let length = s.body.len().to_string();
        prop_assert_eq!(header(&parsed, "content-length"), Some(length.as_bytes()));
        let expected: &[u8] = if s.head_request { &[] } else { &s.body };
        prop_assert_eq!(rest, expected);
    }

    let connection = header(&parsed, "connection");
    let expected_connection: Option<&[u8]> = match (s.code, s.version, encoded.persistence) {
        (101, ..) => Some(b"upgrade"),
        (100..=199, ..) => None,
        (_, _, Persistence::Close) => Some(b"close"),
        (_, Version::Http10, Persistence::KeepAlive) => Some(b"keep-alive"),
        (_, Version::Http11, Persistence::KeepAlive) => None,
    };
    prop_assert_eq!(connection, expected_connection);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn streamed_responses_parse_back(s in scenario()) {
        check_streamed(&s)?;
    }

    #[test]
    fn full_responses_parse_back(s in scenario()) {
        check_full(&s)?;
    }

    #[test]
    fn chunk_sizes_read_back(data in prop::collection::vec(any::<u8>(), 1..5000)) {
        let mut out = vec![0u8; data.len() + 32];
        let n = ChunkedEncoder::new().encode_chunk(&data, &mut out);
        let n = n.map_err(|e| TestCaseError::fail(format!("{e}")))?;
        match httparse::parse_chunk_size(&out[..n]) {
            Ok(httparse::Status::Complete((line, size))) => {
                prop_assert_eq!(size, data.len() as u64);
                prop_assert_eq!(&out[line..line + data.len()], &data[..]);
                prop_assert_eq!(line + data.len() + 2, n);
            }
            other => prop_assert!(false, "chunk size: {:?}", other),
        }
    }
}

#[test]
fn a_body_sent_in_small_buffers_round_trips() {
    let body: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let trailers: &[(&str, &[u8])] = &[("X-Checksum", b"sha256=abc")];
    let mut encoder = ChunkedEncoder::new();
    let mut wire = Vec::new();
    let mut rest = body.as_slice();
    for space in [6usize, 7, 21, 22, 300, 4096].iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let mut out = vec![0u8; *space];
        let take = max_chunk_data(*space).min(rest.len());
        let n = encoder.encode_chunk(&rest[..take], &mut out);
        let n = n.unwrap_or_else(|e| panic!("space {space}: {e}"));
        wire.extend_from_slice(&out[..n]);
        rest = &rest[take..];
    }
    let mut out = [0u8; 64];
    let n = encoder.finish(trailers, &mut out);
    wire.extend_from_slice(&out[..n.unwrap_or_else(|e| panic!("{e}"))]);
    let (data, got_trailers, used) = decode_chunked(&wire);
    assert_eq!(data, body);
    assert_eq!(got_trailers, owned(trailers));
    assert_eq!(used, wire.len());
}

/// 100,000 responses of every kind, encoded back to back into one buffer and all parsed again.
#[test]
fn stress_100k_responses() {
    const CODES: [u16; 12] = [100, 101, 200, 201, 204, 301, 304, 400, 404, 431, 500, 503];
    let date = Date::from_unix_secs(1_700_000_000);
    let server = ServerName::new("aurora");
    let body = [b'b'; 300];
    let mut wire = vec![0u8; 100_000 * 256];
    let mut at = 0;
    let mut expected = Vec::with_capacity(100_000);
    for i in 0..100_000usize {
        let code = CODES[i % CODES.len()];
        let status = Status::from_code(code).unwrap_or(Status::OK);
        let version = if i % 3 == 0 && code >= 200 {
            Version::Http10
        } else {
            Version::Http11
        };
        let cx = EncodeContext {
            version,
            head_request: i % 7 == 0,
            date: Some(&date),
            server: server.ok(),
        };
        let value = i.to_string();
        let fields: [(&str, &[u8]); 2] = [("X-Request-Id", value.as_bytes()), ("X-Seq", b"1")];
        let head = ResponseHead {
            status,
            headers: &fields[..i % 3],
            persistence: if i % 5 == 0 {
                Persistence::Close
            } else {
                Persistence::KeepAlive
            },
        };
        let len = if status.forbids_body() {
            0
        } else {
            i % body.len()
        };
        let done = encode_full(&head, &body[..len], &cx, &mut wire[at..]);
        let done = done.unwrap_or_else(|e| panic!("response {i}: {e}"));
        expected.push((code, at, done.len));
        at += done.len;
    }
    for (i, (code, start, len)) in expected.into_iter().enumerate() {
        let parsed = parse_head(&wire[start..start + len]);
        assert_eq!(parsed.code, code, "response {i}");
        let body_len = len - parsed.head_len;
        let declared = header(&parsed, "content-length").map(|v| {
            std::str::from_utf8(v)
                .unwrap_or("?")
                .parse::<usize>()
                .unwrap_or(usize::MAX)
        });
        match declared {
            Some(n) if i % 7 == 0 => assert_eq!(body_len, 0, "HEAD response {i} (length {n})"),
            Some(n) => assert_eq!(body_len, n, "response {i}"),
            None => assert_eq!(body_len, 0, "response {i}"),
        }
    }
}
