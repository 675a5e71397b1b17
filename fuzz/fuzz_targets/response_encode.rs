//! Encodes arbitrary response heads (status, header names and values, body kind, request
//! version and method) and requires that whatever the encoder accepts, a strict independent
//! parser (httparse) reads back as one response with the same status, the caller's fields in
//! order and exactly the framing the encoder reported. A refused head writes nothing.
#![no_main]

use aurora_core::http::Status;
use aurora_core::http::request::Version;
use aurora_core::http::response::{
    self, BodyFraming, BodyKind, EncodeContext, Persistence, ResponseHead,
};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    code: u16,
    headers: Vec<(String, Vec<u8>)>,
    kind: u8,
    length: u32,
    http10: bool,
    head_request: bool,
    close: bool,
}

fuzz_target!(|input: Input| {
    let Some(status) = Status::from_code(input.code) else {
        return;
    };
    let names: Vec<(&str, &[u8])> = input
        .headers
        .iter()
        .take(8)
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let kind = match input.kind % 3 {
        0 => BodyKind::Empty,
        1 => BodyKind::Length(u64::from(input.length)),
        _ => BodyKind::Streamed,
    };
    let head = ResponseHead {
        status,
        headers: &names,
        persistence: if input.close {
            Persistence::Close
        } else {
            Persistence::KeepAlive
        },
    };
    let cx = EncodeContext {
        version: if input.http10 {
            Version::Http10
        } else {
            Version::Http11
        },
        head_request: input.head_request,
        date: None,
        server: None,
    };
    let mut out = [0xAAu8; 4096];
    let encoded = match response::encode_head(&head, kind, &cx, &mut out) {
        Ok(encoded) => encoded,
        Err(_) => {
            assert!(out.iter().all(|&b| b == 0xAA), "a refused head wrote bytes");
            return;
        }
    };
    let bytes = &out[..encoded.len];
    let mut fields = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Response::new(&mut fields);
    let len = match parsed.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        other => panic!(
            "httparse refused {:?}: {other:?}",
            String::from_utf8_lossy(bytes)
        ),
    };
    assert_eq!(len, bytes.len(), "one head, nothing after it");
    assert_eq!(parsed.code, Some(input.code));
    // The caller's fields come back in order, byte for byte.
    let mine: Vec<_> = parsed
        .headers
        .iter()
        .filter(|h| names.iter().any(|(n, _)| n.eq_ignore_ascii_case(h.name)))
        .map(|h| (h.name.to_string(), h.value.to_vec()))
        .collect();
    let expected: Vec<_> = names
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_vec()))
        .collect();
    assert_eq!(mine, expected);
    let find = |name: &str| {
        parsed
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
            .collect::<Vec<_>>()
    };
    let lengths = find("content-length");
    let chunked = find("transfer-encoding").iter().any(|v| *v == b"chunked");
    assert!(
        lengths.len() <= 1 && !(chunked && !lengths.is_empty()),
        "ambiguous framing"
    );
    match encoded.body {
        BodyFraming::Length(n) => assert_eq!(lengths, [n.to_string().as_bytes()]),
        BodyFraming::Chunked => assert!(chunked),
        BodyFraming::UntilClose => {
            assert!(lengths.is_empty() && !chunked);
            assert_eq!(encoded.persistence, Persistence::Close);
        }
        BodyFraming::None => {}
    }
    if encoded.persistence == Persistence::Close && !status.is_informational() {
        assert_eq!(find("connection"), [&b"close"[..]]);
    }
});
