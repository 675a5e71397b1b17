//! Feeds arbitrary bytes to the request-head parser and checks what a connection relies on:
//! no panic, `Partial` only below the head limit, and answers that never change as more bytes
//! arrive (a prefix that already has an answer keeps it). A complete head must be viewable.
#![no_main]

use aurora_core::http::Limits;
use aurora_core::http::header::HeaderSpan;
use aurora_core::http::request::{self, Parse};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    max_head_bytes: 2048,
    max_headers: 16,
    max_target_bytes: 512,
    ..Limits::DEFAULT
};

fuzz_target!(|input: &[u8]| {
    let Some((&split, bytes)) = input.split_first() else {
        return;
    };
    let mut spans = [HeaderSpan::EMPTY; 16];
    let whole = request::parse(bytes, &LIMITS, &mut spans);
    match whole {
        Ok(Parse::Partial) => assert!(bytes.len() < LIMITS.max_head_bytes),
        Ok(Parse::Complete(head)) => {
            assert!(head.head_len() <= bytes.len());
            let view = head.view(bytes, &spans);
            let _ = (view.method(), view.path(), view.query_pairs().count());
            let _ = view.headers().iter().count();
        }
        Err(e) => assert!(e.status().code() >= 400),
    }
    let at = (usize::from(split) * bytes.len()) / 255;
    let mut prefix_spans = [HeaderSpan::EMPTY; 16];
    match request::parse(&bytes[..at], &LIMITS, &mut prefix_spans) {
        Ok(Parse::Partial) => {}
        Ok(Parse::Complete(head)) => match whole {
            Ok(Parse::Complete(full)) => assert_eq!(head.head_len(), full.head_len()),
            other => panic!("prefix completed but the whole input gave {other:?}"),
        },
        Err(e) => assert_eq!(
            whole.err(),
            Some(e),
            "a prefix's error changed with more bytes"
        ),
    }
});
