//! Feeds arbitrary bytes to the WebSocket frame decoder, whole and split at a fuzzer-chosen
//! point, and requires both runs to deliver the same message bytes, the same control frames
//! and the same end: no panic, no divergence.
#![no_main]

use aurora_core::ws::{Decoder, Event};
use libfuzzer_sys::fuzz_target;

/// A short digest of what the application would see.
#[derive(Debug, Default, PartialEq, Eq)]
struct Seen {
    /// FNV-1a over every completed message's bytes and every control frame, in order.
    hash: u64,
    /// The same over the message still open (pieces before an error depend on the cuts).
    open: u64,
    /// Events seen (message ends and control frames).
    events: usize,
    /// The close code of the error that ended the run.
    error: Option<u16>,
}

impl Seen {
    fn mix(&mut self, bytes: &[u8]) {
        self.hash = fnv(self.hash, bytes);
    }
}

/// One FNV-1a step over `bytes`.
fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    hash
}

/// Decodes `parts` through a buffer as a connection would, with a 4 KiB message limit.
fn run(parts: &[&[u8]]) -> Seen {
    let mut decoder = Decoder::new(4096);
    let mut seen = Seen::default();
    let mut buf = [0u8; 1 << 16];
    let mut filled = 0;
    for part in parts {
        buf[filled..filled + part.len()].copy_from_slice(part);
        filled += part.len();
        loop {
            match decoder.decode(&mut buf[..filled]) {
                Err(e) => {
                    seen.error = Some(e.close_code().0);
                    seen.open = 0;
                    return seen;
                }
                Ok((0, None)) => break,
                Ok((n, event)) => {
                    match event {
                        Some(Event::Data { text, data, last, .. }) => {
                            seen.open = fnv(seen.open, data);
                            if last {
                                seen.events += 1;
                                let open = core::mem::take(&mut seen.open);
                                seen.mix(&open.to_le_bytes());
                                seen.mix(&[u8::from(text), 0xFF]);
                            }
                        }
                        Some(Event::Ping(p)) => {
                            seen.events += 1;
                            seen.mix(p);
                            seen.mix(&[0x09]);
                        }
                        Some(Event::Pong(p)) => {
                            seen.events += 1;
                            seen.mix(p);
                            seen.mix(&[0x0A]);
                        }
                        Some(Event::Close(body)) => {
                            seen.events += 1;
                            seen.mix(&body.echo().0.to_be_bytes());
                        }
                        None => {}
                    }
                    buf.copy_within(n..filled, 0);
                    filled -= n;
                }
            }
        }
    }
    seen
}

fuzz_target!(|input: &[u8]| {
    let Some((&split, bytes)) = input.split_first() else {
        return;
    };
    let bytes = &bytes[..bytes.len().min(1 << 15)];
    let at = usize::from(split).min(bytes.len());
    let (head, tail) = bytes.split_at(at);
    assert_eq!(run(&[bytes]), run(&[head, tail]), "split at {at}");
});
