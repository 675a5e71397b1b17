//! Request-head parsing: Aurora's full decode (tokenize, validate every RFC 9112 framing rule,
//! decide the body length) beside raw `httparse::Request::parse` on the same bytes, in the same
//! run. Two inputs: a small curl-like request and a ~700-byte browser request with 15 headers.

use aurora::core::http::Limits;
use aurora::core::http::header::HeaderSpan;
use aurora::core::http::request::{self, Parse};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const CURL: &[u8] = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\
User-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

const BROWSER: &[u8] = b"GET /static/app/main.8f3c2a.js?v=20261125&lang=en HTTP/1.1\r\n\
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

fn aurora_parse(buf: &[u8], spans: &mut [HeaderSpan]) -> usize {
    match request::parse(buf, &Limits::DEFAULT, spans) {
        Ok(Parse::Complete(head)) => head.head_len(),
        _ => 0,
    }
}

fn httparse_parse(buf: &[u8]) -> usize {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => 0,
    }
}

fn parse(c: &mut Criterion) {
    for (name, input) in [("curl", CURL), ("browser", BROWSER)] {
        let mut spans = [HeaderSpan::EMPTY; 64];
        assert_eq!(aurora_parse(input, &mut spans), input.len());
        assert_eq!(httparse_parse(input), input.len());
        let mut group = c.benchmark_group(format!("parse_head/{name}"));
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function("aurora", |b| {
            b.iter(|| aurora_parse(black_box(input), &mut spans))
        });
        group.bench_function("httparse_raw", |b| {
            b.iter(|| httparse_parse(black_box(input)))
        });
        group.finish();
    }
}

criterion_group!(benches, parse);
criterion_main!(benches);
