//! What the benchmarks share: their inputs and the operations they time, so that the
//! criterion benches (wall clock) and `instructions` (counts under cachegrind) measure the
//! same thing.
#![allow(dead_code)] // each bench uses part of it
#![allow(clippy::expect_used)] // a benchmark input that fails is a broken benchmark

use aurora::core::http::Limits;
use aurora::core::http::Status;
use aurora::core::http::chunked::ChunkedDecoder;
use aurora::core::http::date::Date;
use aurora::core::http::header::HeaderSpan;
use aurora::core::http::request::{self, Parse};
use std::hint::black_box;

use aurora::core::http::response::{
    EncodeContext, Persistence, ResponseHead, ServerName, Version, encode_full,
};

/// A curl-like GET with 3 headers (87 bytes).
pub const CURL: &[u8] = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\
User-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

/// A browser GET with 15 headers (681 bytes).
pub const BROWSER: &[u8] = b"GET /static/app/main.8f3c2a.js?v=20261125&lang=en HTTP/1.1\r\n\
Host: www.example.com\r\n\
Connection: keep-alive\r\n\
sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n\
sec-ch-ua-mobile: ?0\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n\
sec-ch-ua-platform: \"Linux\"\r\n\
Accept: */*\r\n\
Sec-Fetch-Site: same-origin\r\n\
Sec-Fetch-Mode: no-cors\r\n\
Sec-Fetch-Dest: script\r\n\
Referer: https://www.example.com/dashboard/overview?tab=metrics\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Accept-Language: en-US,en;q=0.9,de;q=0.8\r\n\
Cookie: session=8a7f0c2e41d94b1f; theme=dark; _ga=GA1.1.1234567890.1764100000\r\n\
If-None-Match: \"5f3a-1764100000\"\r\n\r\n";

/// The length of `buf`'s head as Aurora's full decode finds it (0 if it fails).
pub fn aurora_parse(buf: &[u8], spans: &mut [HeaderSpan]) -> usize {
    match request::parse(buf, &Limits::DEFAULT, spans) {
        Ok(Parse::Complete(head)) => head.head_len(),
        _ => 0,
    }
}

/// The length of `buf`'s head as raw httparse finds it (0 if it fails).
pub fn httparse_parse(buf: &[u8]) -> usize {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => 0,
    }
}

/// Bytes of the body the chunked benches frame.
pub const BODY_BYTES: usize = 1 << 20;

/// A body of `bytes` bytes framed as chunks of `chunk` bytes, then the last chunk.
pub fn chunked_wire(bytes: usize, chunk: usize) -> Vec<u8> {
    let body: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
    let mut wire = Vec::with_capacity(bytes + bytes / chunk * 12);
    for piece in body.chunks(chunk) {
        wire.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        wire.extend_from_slice(piece);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    wire
}

/// The body bytes of a whole chunked `wire`, decoded with `ChunkedDecoder::decode`.
pub fn decode_all(wire: &[u8]) -> u64 {
    let mut decoder = ChunkedDecoder::new(u64::MAX, 0, 0);
    let mut rest = wire;
    let mut sum = 0u64;
    while !decoder.is_done() {
        let step = decoder.decode(rest).expect("the bench input is valid");
        sum += step.data.len() as u64;
        rest = &rest[step.consumed..];
    }
    sum
}

/// The response body the encode benches write.
pub const RESPONSE_BODY: &[u8] = b"Hello, World!";

/// The bench response's head: `200`, `Content-Type`, keep-alive.
pub const RESPONSE_HEAD: ResponseHead<'static> = ResponseHead {
    status: Status::OK,
    headers: &[("Content-Type", b"text/plain")],
    persistence: Persistence::KeepAlive,
};

/// The bench response's context: HTTP/1.1, with `Date` and `Server`.
pub fn response_context(date: &Date) -> EncodeContext<'_> {
    EncodeContext {
        version: Version::Http11,
        head_request: false,
        date: Some(date),
        server: ServerName::new("aurora").ok(),
    }
}

/// The bench response encoded whole into `out`: its length (0 if it fails).
pub fn encode_response(cx: &EncodeContext<'_>, out: &mut [u8]) -> usize {
    encode_full(black_box(&RESPONSE_HEAD), black_box(RESPONSE_BODY), cx, out)
        .map_or(0, |done| done.len)
}
