//! Chunked decoding throughput: a 1 MiB body in 4 KiB and in 64-byte chunks, decoded by
//! `ChunkedDecoder`, beside a plain copy of the same bytes as the same-run reference.

mod common;

use common::{BODY_BYTES, chunked_wire, decode_all};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn chunked(c: &mut Criterion) {
    let mut group = c.benchmark_group("chunked_decode");
    group.throughput(Throughput::Bytes(BODY_BYTES as u64));
    for chunk in [4096, 64] {
        let wire = chunked_wire(BODY_BYTES, chunk);
        assert_eq!(decode_all(&wire), BODY_BYTES as u64);
        group.bench_function(format!("aurora/{chunk}B_chunks"), |b| {
            b.iter(|| decode_all(black_box(&wire)))
        });
    }
    let plain = chunked_wire(BODY_BYTES, 4096);
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
