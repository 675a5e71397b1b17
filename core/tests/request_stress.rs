//! Stress: 100,000 varied requests, valid ones pipelined back to back the way a connection
//! engine consumes them (parse, skip the head and body, parse the next), invalid ones each
//! checked for their exact error.

use aurora_core::http::Limits;
use aurora_core::http::header::HeaderSpan;
use aurora_core::http::method::Method;
use aurora_core::http::request::{self, BodyFraming, Parse, RequestError};

const TOTAL: usize = 100_000;
const PIPELINE: usize = 64;

/// A small deterministic generator (xorshift64*), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What a valid generated request must parse to.
struct Expected {
    method: &'static str,
    path: String,
    fields: usize,
    framing: BodyFraming,
    keep_alive: bool,
    /// Bytes of body after the head (the encoded body for chunked).
    body_len: usize,
}

fn valid(rng: &mut Rng, out: &mut Vec<u8>) -> Expected {
    let leading = if rng.below(20) == 0 {
        rng.below(3) as usize
    } else {
        0
    };
    for _ in 0..leading {
        out.extend_from_slice(b"\r\n");
    }
    let kind = rng.below(8);
    let (method, target, path) = match kind {
        0 => ("OPTIONS", "*".to_string(), "*".to_string()),
        1 => ("CONNECT", "example.com:443".to_string(), String::new()),
        2 => {
            let p = format!("/abs/{}", rng.below(1000));
            ("GET", format!("http://example.com{p}?x=1"), p)
        }
        3 => ("POST", "/upload".to_string(), "/upload".to_string()),
        4 => ("PUT", "/items/7".to_string(), "/items/7".to_string()),
        _ => {
            let p = format!("/p/{}/{}", rng.below(100), rng.below(100));
            let method = ["GET", "HEAD", "DELETE", "PATCH", "TRACE"][rng.below(5) as usize];
            (method, format!("{p}?q={}&flag", rng.below(1 << 20)), p)
        }
    };
    let http10 = rng.below(10) == 0 && kind != 1;
    out.extend_from_slice(
        format!(
            "{method} {target} {}\r\n",
            if http10 { "HTTP/1.0" } else { "HTTP/1.1" }
        )
        .as_bytes(),
    );
    let mut fields = 0;
    if !http10 || rng.below(2) == 0 {
        out.extend_from_slice(b"Host: example.com\r\n");
        fields += 1;
    }
    for i in 0..rng.below(40) {
        out.extend_from_slice(format!("X-Header-{i}:  value-{}\t\r\n", rng.next()).as_bytes());
        fields += 1;
    }
    let keep_alive = match rng.below(4) {
        0 => {
            out.extend_from_slice(b"Connection: close\r\n");
            fields += 1;
            false
        }
        1 => {
            out.extend_from_slice(b"Connection: keep-alive\r\n");
            fields += 1;
            true
        }
        _ => !http10,
    };
    let (framing, body): (BodyFraming, Vec<u8>) = match (kind, rng.below(3)) {
        (3 | 4, 0) if !http10 => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
            fields += 1;
            (BodyFraming::Chunked, b"5\r\nhello\r\n0\r\n\r\n".to_vec())
        }
        (3 | 4, _) => {
            let len = rng.below(200) as usize;
            out.extend_from_slice(format!("Content-Length: {len}\r\n").as_bytes());
            fields += 1;
            (BodyFraming::ContentLength(len as u64), vec![b'b'; len])
        }
        _ => (BodyFraming::None, Vec::new()),
    };
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    Expected {
        method,
        path,
        fields,
        framing,
        keep_alive,
        body_len: body.len(),
    }
}

/// A head that breaks one rule, and the error it must earn.
fn invalid(rng: &mut Rng) -> (Vec<u8>, RequestError) {
    const BASE: &str = "POST /x HTTP/1.1\r\nHost: a\r\n";
    let (fields, error): (&str, RequestError) = match rng.below(16) {
        0 => (
            "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
            RequestError::ContentLengthWithTransferEncoding,
        ),
        1 => (
            "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
            RequestError::ContentLengthWithTransferEncoding,
        ),
        2 => (
            "Content-Length: 5\r\nContent-Length: 5\r\n",
            RequestError::DuplicateContentLength,
        ),
        3 => ("Content-Length: +5\r\n", RequestError::InvalidContentLength),
        4 => (
            "Transfer-Encoding: xchunked\r\n",
            RequestError::ChunkedNotFinal,
        ),
        5 => (
            "Transfer-Encoding : chunked\r\n",
            RequestError::WhitespaceBeforeColon,
        ),
        6 => ("X: a\nY: b\r\n", RequestError::BareLf),
        7 => ("X: a\r\n b\r\n", RequestError::ObsFold),
        8 => ("X: a\0b\r\n", RequestError::HeaderValueNul),
        9 => ("X: a\rb\r\n", RequestError::BareCr),
        10 => (
            "Transfer-Encoding: gzip, chunked\r\n",
            RequestError::UnsupportedTransferCoding,
        ),
        11 => (
            "Transfer-Encoding: chunked, chunked\r\n",
            RequestError::ChunkedTwice,
        ),
        12 => ("Host: b\r\n", RequestError::DuplicateHost),
        13 => ("Expect: teapot\r\n", RequestError::UnsupportedExpectation),
        14 => (
            "Content-Length: 99999999\r\n",
            RequestError::ContentTooLarge,
        ),
        _ => {
            let version = ["HTTP/2.0", "HTTP/3.0", "HTTP/1.2"][rng.below(3) as usize];
            let head = format!("GET / {version}\r\nHost: a\r\n\r\n");
            return (head.into_bytes(), RequestError::UnsupportedVersion);
        }
    };
    // Some ordinary fields before the faulty one, to move it across httparse batches.
    let mut head = BASE.to_string();
    for i in 0..rng.below(30) {
        head.push_str(&format!("X-Pad-{i}: v\r\n"));
    }
    head.push_str(fields);
    head.push_str("\r\n");
    (head.into_bytes(), error)
}

#[test]
fn hundred_thousand_requests() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut spans = [HeaderSpan::EMPTY; 64];
    let limits = Limits::DEFAULT;
    let mut parsed = 0usize;
    let mut rejected = 0usize;
    let mut buf = Vec::new();
    let mut expected = Vec::with_capacity(PIPELINE);

    while parsed + rejected < TOTAL {
        for _ in 0..rng.below(32).min((TOTAL - parsed - rejected) as u64) {
            let (head, error) = invalid(&mut rng);
            let got = request::parse(&head, &limits, &mut spans);
            assert_eq!(got, Err(error), "{:?}", head.escape_ascii().to_string());
            rejected += 1;
        }
        // A pipeline of valid requests in one buffer, consumed front to back.
        buf.clear();
        expected.clear();
        let batch = (1 + rng.below(PIPELINE as u64) as usize).min(TOTAL - parsed - rejected);
        if batch == 0 {
            break;
        }
        for _ in 0..batch {
            expected.push(valid(&mut rng, &mut buf));
        }
        let mut at = 0usize;
        for want in &expected {
            let rest = &buf[at..];
            let head = match request::parse(rest, &limits, &mut spans) {
                Ok(Parse::Complete(head)) => head,
                other => panic!("{other:?} at {at}: {:?}", rest.escape_ascii().to_string()),
            };
            let req = head.view(rest, &spans);
            assert_eq!(req.method().as_str(), want.method);
            assert_eq!(req.method() == Method::Connect, want.method == "CONNECT");
            assert_eq!(req.path(), want.path);
            assert_eq!(req.headers().len(), want.fields);
            assert_eq!(req.body_framing(), want.framing);
            assert_eq!(req.keep_alive(), want.keep_alive);
            at += head.head_len() + want.body_len;
            parsed += 1;
        }
        assert_eq!(at, buf.len());
        // An engine that has not received everything yet sees Partial, never an error.
        let cut = rng.below(buf.len() as u64) as usize;
        let prefix_end = cut.min(buf.len());
        let first_len = {
            let Ok(Parse::Complete(head)) = request::parse(&buf, &limits, &mut spans) else {
                panic!("first request")
            };
            head.head_len()
        };
        if prefix_end < first_len {
            assert_eq!(
                request::parse(&buf[..prefix_end], &limits, &mut spans),
                Ok(Parse::Partial)
            );
        }
    }
    assert_eq!(parsed + rejected, TOTAL);
    assert!(
        rejected > TOTAL / 5 && parsed > TOTAL / 2,
        "{parsed} parsed, {rejected} rejected"
    );
}
