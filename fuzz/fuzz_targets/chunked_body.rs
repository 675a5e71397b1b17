//! Feeds arbitrary bytes to the chunked decoder, whole and split at a fuzzer-chosen point, and
//! requires both runs to decode the same body and end the same way: no panic, no divergence.
#![no_main]

use aurora_core::http::chunked::{ChunkedDecoder, ChunkedError};
use libfuzzer_sys::fuzz_target;

/// Decodes `parts` in order and returns the body bytes seen (up to a bound), whether the body
/// completed, and the error that ended it.
fn run(parts: &[&[u8]], body: &mut [u8]) -> (usize, bool, Option<ChunkedError>) {
    let mut decoder = ChunkedDecoder::new(1 << 20, 256, 4);
    let mut len = 0;
    for part in parts {
        let mut rest = *part;
        loop {
            match decoder.decode(rest) {
                Ok(step) => {
                    let take = step.data.len().min(body.len() - len);
                    body[len..len + take].copy_from_slice(&step.data[..take]);
                    len += take;
                    rest = &rest[step.consumed..];
                    if step.done || step.consumed == 0 {
                        break;
                    }
                }
                Err(e) => return (len, false, Some(e)),
            }
        }
        if decoder.is_done() {
            return (len, true, None);
        }
    }
    (len, decoder.is_done(), None)
}

fuzz_target!(|input: &[u8]| {
    let Some((&split, bytes)) = input.split_first() else {
        return;
    };
    let at = usize::from(split).min(bytes.len());
    let (head, tail) = bytes.split_at(at);
    let mut whole = [0u8; 4096];
    let mut pieces = [0u8; 4096];
    let a = run(&[bytes], &mut whole);
    let b = run(&[head, tail], &mut pieces);
    assert_eq!(a, b, "split at {at} changed the outcome");
    assert_eq!(whole[..a.0], pieces[..b.0]);
});
