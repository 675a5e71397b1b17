//! Request-head parsing: Aurora's full decode (tokenize, validate every RFC 9112 framing rule,
//! decide the body length) beside raw `httparse::Request::parse` on the same bytes, in the same
//! run. Two inputs: a small curl-like request and a ~700-byte browser request with 15 headers.

mod common;

use aurora::core::http::header::HeaderSpan;
use common::{BROWSER, CURL, aurora_parse, httparse_parse};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

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
