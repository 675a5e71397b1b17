//! Instruction counts, the figure a shared, noisy machine cannot disturb: runs one operation
//! of the other benches `N` times with nothing else around it, for `valgrind --tool=cachegrind`
//! to count. `benches/count.sh` runs every case twice (`N` and 0 iterations) and prints the
//! difference divided by `N`: the instructions of one call.
//!
//! Usage (what `count.sh` does): `instructions <case> <iterations>`, cases `parse-curl`,
//! `parse-browser`, `httparse-curl`, `httparse-browser`, `encode`, `chunked-64`,
//! `chunked-4096` (the chunked cases decode a 64 KiB body per iteration).

mod common;

use std::hint::black_box;
use std::process::ExitCode;

use aurora::core::http::date::Date;
use aurora::core::http::header::HeaderSpan;
use common::{
    BROWSER, CURL, aurora_parse, chunked_wire, decode_all, encode_response, httparse_parse,
    response_context,
};

/// Body bytes each chunked iteration decodes.
const CHUNKED_BODY: usize = 64 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(case), Some(Ok(iterations))) = (args.get(1), args.get(2).map(|n| n.parse())) else {
        eprintln!("usage: instructions <case> <iterations>");
        return ExitCode::FAILURE;
    };
    let iterations: usize = iterations;
    let mut spans = [HeaderSpan::EMPTY; 64];
    let date = Date::from_unix_secs(1_764_100_000);
    let cx = response_context(&date);
    let mut out = [0u8; 512];
    let wire = match case.as_str() {
        "chunked-64" => chunked_wire(CHUNKED_BODY, 64),
        "chunked-4096" => chunked_wire(CHUNKED_BODY, 4096),
        _ => Vec::new(),
    };
    let mut total = 0u64;
    for _ in 0..iterations {
        let done = match case.as_str() {
            "parse-curl" => aurora_parse(black_box(CURL), &mut spans),
            "parse-browser" => aurora_parse(black_box(BROWSER), &mut spans),
            "httparse-curl" => httparse_parse(black_box(CURL)),
            "httparse-browser" => httparse_parse(black_box(BROWSER)),
            "encode" => encode_response(&cx, &mut out),
            "chunked-64" | "chunked-4096" => decode_all(black_box(&wire)) as usize,
            _ => {
                eprintln!("unknown case {case}");
                return ExitCode::FAILURE;
            }
        };
        total = total.wrapping_add(done as u64);
    }
    println!("{case}: {iterations} iterations, checksum {total}");
    ExitCode::SUCCESS
}
