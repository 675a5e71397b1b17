//! Response encoding: a small `200 OK` with a body, encoded by `encode_full` into a reused
//! buffer, beside the same bytes written with `core::fmt` (`write!`) as the same-run reference.

mod common;

use aurora::core::http::Status;
use aurora::core::http::date::Date;
use common::{RESPONSE_BODY, encode_response, response_context};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::io::Write;

fn encode(c: &mut Criterion) {
    let date = Date::from_unix_secs(1_764_100_000);
    let cx = response_context(&date);
    let mut out = [0u8; 512];
    let mut group = c.benchmark_group("encode_response");
    group.bench_function("aurora/encode_full", |b| {
        b.iter(|| black_box(encode_response(&cx, &mut out)))
    });
    group.bench_function("fmt_write_reference", |b| {
        b.iter(|| {
            let mut cursor = &mut out[..];
            let status = black_box(Status::OK);
            let body = black_box(RESPONSE_BODY);
            let written = write!(
                cursor,
                "HTTP/1.1 {} {}\r\nDate: {}\r\nServer: aurora\r\nContent-Type: text/plain\r\n\
                 Content-Length: {}\r\n\r\n",
                status.code(),
                status.reason(),
                date,
                body.len()
            )
            .and_then(|()| cursor.write_all(body));
            black_box((written.is_ok(), cursor.len()))
        })
    });
    group.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
