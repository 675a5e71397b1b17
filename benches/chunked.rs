//! Chunked decoding throughput: a 1 MiB body in 4 KiB and in 64-byte chunks, decoded by
//! `ChunkedDecoder`, beside a plain copy of the same bytes as the same-run reference.

#![allow(clippy::expect_used)] // a benchmark input that fails to decode is a broken benchmark

use aurora::core::http::chunked::ChunkedDecoder;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const BODY_BYTES: usize = 1 << 20;

fn encode(chunk: usize) -> Vec<u8> {
    let body: Vec<u8> = (0..BODY_BYTES).map(|i| (i % 251) as u8).collect();
    let mut wire = Vec::with_capacity(BODY_BYTES + BODY_BYTES / chunk * 12);
    for piece in body.chunks(chunk) {
        wire.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        wire.extend_from_slice(piece);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    wire
}

fn decode_all(wire: &[u8]) -> u64 {
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

fn chunked(c: &mut Criterion) {
    let mut group = c.benchmark_group("chunked_decode");
    group.throughput(Throughput::Bytes(BODY_BYTES as u64));
    for chunk in [4096, 64] {
        let wire = encode(chunk);
        assert_eq!(decode_all(&wire), BODY_BYTES as u64);
        group.bench_function(format!("aurora/{chunk}B_chunks"), |b| {
            b.iter(|| decode_all(black_box(&wire)))
        });
    }
    let plain = encode(4096);
    let mut out = vec![0u8; plain.len()];
    group.bench_function("memcpy_reference", |b| {
        b.iter(|| {
            out.copy_from_slice(black_box(&plain));
            black_box(&out);
        })
    });
    group.finish();
}

criterion_group!(benches, chunked);
criterion_main!(benches);
