//! The WebSocket decoder against every rule of RFC 6455 it enforces: one line of client frames,
//! one expected outcome; and a property test that splits every input at every byte boundary
//! and requires the same messages and the same end.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use aurora_core::ws::{CloseBody, CloseCode, DecodeError, Decoder, Event, FrameError};
use proptest::prelude::*;

/// A masked client frame: the first byte (FIN, RSV, opcode), the payload and a mask key.
fn client(b0: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
    let mut out = vec![b0];
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= 0xFFFF {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

/// What the application sees: whole messages and control frames, then how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
    /// The connection closes with this code.
    Error(DecodeError),
}

/// Feeds `input` in pieces of the given lengths (the rest last) through a buffer as a
/// connection would: append, decode until no progress, drop what was consumed.
fn run(input: &[u8], cuts: &[usize], max: u32) -> Vec<Seen> {
    run_with(Decoder::new(max), input, cuts)
}

/// As [`run`], with a decoder of the caller's.
fn run_with(mut decoder: Decoder, input: &[u8], cuts: &[usize]) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut message: Vec<u8> = Vec::new();
    let mut at = 0;
    let mut pieces: Vec<&[u8]> = Vec::new();
    for &cut in cuts {
        let end = (at + cut).min(input.len());
        pieces.push(&input[at..end]);
        at = end;
    }
    pieces.push(&input[at..]);
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Err(e) => {
                    seen.push(Seen::Error(e));
                    return seen;
                }
                Ok((0, None)) => break,
                Ok((n, event)) => {
                    match event {
                        None => {}
                        Some(Event::Data {
                            text,
                            data,
                            first,
                            last,
                        }) => {
                            if first {
                                assert!(message.is_empty());
                            }
                            message.extend_from_slice(data);
                            if last {
                                let whole = std::mem::take(&mut message);
                                seen.push(if text {
                                    Seen::Text(String::from_utf8(whole).expect("checked text"))
                                } else {
                                    Seen::Binary(whole)
                                });
                            }
                        }
                        Some(Event::Ping(p)) => seen.push(Seen::Ping(p.to_vec())),
                        Some(Event::Pong(p)) => seen.push(Seen::Pong(p.to_vec())),
                        Some(Event::Close(CloseBody::Empty)) => seen.push(Seen::Close(None)),
                        Some(Event::Close(CloseBody::Status(code, reason))) => {
                            seen.push(Seen::Close(Some((code.0, reason.into()))));
                        }
                    }
                    buf.drain(..n);
                }
            }
        }
    }
    seen
}

const M: [u8; 4] = [0x37, 0xFA, 0x21, 0x3D];

fn cat(frames: &[Vec<u8>]) -> Vec<u8> {
    frames.concat()
}

/// The rule table: input frames, the message limit, what the application sees.
fn table() -> Vec<(&'static str, Vec<u8>, u32, Vec<Seen>)> {
    use Seen::*;
    let text = |s: &str| Text(s.into());
    let err = Error;
    let p = CloseCode::PROTOCOL_ERROR;
    vec![
        (
            "text",
            client(0x81, b"Hello", M),
            1 << 20,
            vec![text("Hello")],
        ),
        ("empty text", client(0x81, b"", M), 1 << 20, vec![text("")]),
        (
            "binary",
            client(0x82, &[0, 1, 255], M),
            1 << 20,
            vec![Binary(vec![0, 1, 255])],
        ),
        (
            "zero mask",
            client(0x81, b"Hi", [0; 4]),
            1 << 20,
            vec![text("Hi")],
        ),
        (
            "16-bit length",
            client(0x82, &[7; 300], M),
            1 << 20,
            vec![Binary(vec![7; 300])],
        ),
        (
            "64-bit length",
            client(0x82, &[9; 70_000], M),
            1 << 20,
            vec![Binary(vec![9; 70_000])],
        ),
        (
            "fragmented text",
            cat(&[
                client(0x01, b"Hel", M),
                client(0x00, b"", M),
                client(0x80, b"lo", M),
            ]),
            1 << 20,
            vec![text("Hello")],
        ),
        (
            "ping between fragments",
            cat(&[
                client(0x01, b"He", M),
                client(0x89, b"p", M),
                client(0x80, b"y", M),
            ]),
            1 << 20,
            vec![Ping(b"p".to_vec()), text("Hey")],
        ),
        (
            "utf-8 split across fragments",
            cat(&[client(0x01, b"\xce", M), client(0x80, b"\xba", M)]),
            1 << 20,
            vec![text("κ")],
        ),
        (
            "ping",
            client(0x89, b"abc", M),
            1 << 20,
            vec![Ping(b"abc".to_vec())],
        ),
        ("pong", client(0x8A, b"", M), 1 << 20, vec![Pong(vec![])]),
        (
            "ping of 125",
            client(0x89, &[1; 125], M),
            1 << 20,
            vec![Ping(vec![1; 125])],
        ),
        (
            "empty close",
            client(0x88, b"", M),
            1 << 20,
            vec![Close(None)],
        ),
        (
            "close with reason",
            cat(&[client(0x88, b"\x03\xe8bye", M), client(0x81, b"ignored", M)]),
            1 << 20,
            vec![Close(Some((1000, "bye".into())))],
        ),
        (
            "unmasked",
            vec![0x81, 0x02, b'h', b'i'],
            1 << 20,
            vec![err(DecodeError::Frame(FrameError::Unmasked))],
        ),
        (
            "rsv1",
            client(0xC1, b"x", M),
            1 << 20,
            vec![err(DecodeError::Frame(FrameError::ReservedBits))],
        ),
        (
            "rsv3",
            client(0x91, b"x", M),
            1 << 20,
            vec![err(DecodeError::Frame(FrameError::ReservedBits))],
        ),
        (
            "opcode 3",
            client(0x83, b"", M),
            1 << 20,
            vec![err(DecodeError::Frame(FrameError::UnknownOpcode))],
        ),
        (
            "opcode 0xB",
            client(0x8B, b"", M),
            1 << 20,
            vec![err(DecodeError::Frame(FrameError::UnknownOpcode))],
        ),
        (
            "ping of 126",
            client(0x89, &[1; 126], M),
            1 << 20,
            vec![err(DecodeError::Frame(FrameError::ControlTooLong))],
        ),
        (
            "fragmented ping",
            client(0x09, b"", M),
            1 << 20,
            vec![err(DecodeError::Frame(FrameError::ControlFragmented))],
        ),
        (
            "lone continuation",
            client(0x80, b"x", M),
            1 << 20,
            vec![err(DecodeError::UnexpectedContinuation)],
        ),
        (
            "text inside a fragmented message",
            cat(&[client(0x01, b"a", M), client(0x81, b"b", M)]),
            1 << 20,
            vec![err(DecodeError::ExpectedContinuation)],
        ),
        (
            "over the limit",
            client(0x82, &[0; 11], M),
            10,
            vec![err(DecodeError::TooBig)],
        ),
        (
            "at the limit",
            client(0x82, &[0; 10], M),
            10,
            vec![Binary(vec![0; 10])],
        ),
        (
            "fragments over the limit",
            cat(&[client(0x02, &[0; 6], M), client(0x80, &[0; 5], M)]),
            10,
            vec![err(DecodeError::TooBig)],
        ),
        (
            "invalid utf-8",
            client(0x81, b"\xff", M),
            1 << 20,
            vec![err(DecodeError::InvalidUtf8)],
        ),
        (
            "text ending inside a character",
            cat(&[client(0x01, b"a", M), client(0x80, b"\xce", M)]),
            1 << 20,
            vec![err(DecodeError::InvalidUtf8)],
        ),
        (
            "close of one byte",
            client(0x88, b"\x03", M),
            1 << 20,
            vec![err(DecodeError::BadClose(p))],
        ),
        (
            "close 1005",
            client(0x88, b"\x03\xed", M),
            1 << 20,
            vec![err(DecodeError::BadClose(p))],
        ),
        (
            "close 999",
            client(0x88, b"\x03\xe7", M),
            1 << 20,
            vec![err(DecodeError::BadClose(p))],
        ),
        (
            "close with a bad reason",
            client(0x88, b"\x03\xe8\xff", M),
            1 << 20,
            vec![err(DecodeError::BadClose(CloseCode::INVALID_PAYLOAD))],
        ),
    ]
}

#[test]
fn every_rule() {
    for (name, input, max, want) in table() {
        assert_eq!(run(&input, &[], max), want, "{name}");
    }
}

#[test]
fn close_codes_of_errors() {
    assert_eq!(
        DecodeError::Frame(FrameError::Unmasked).close_code().0,
        1002
    );
    assert_eq!(DecodeError::ExpectedContinuation.close_code().0, 1002);
    assert_eq!(DecodeError::TooBig.close_code().0, 1009);
    assert_eq!(DecodeError::InvalidUtf8.close_code().0, 1007);
}

#[test]
fn every_rule_split_at_every_byte() {
    for (name, input, max, want) in table() {
        if input.len() > 400 {
            continue; // the long frames are split by the property test below
        }
        for i in 0..=input.len() {
            assert_eq!(run(&input, &[i], max), want, "{name} split at {i}");
        }
    }
}

/// A frame the property test writes: a kind, a payload and its fin bit.
fn any_frame() -> impl Strategy<Value = Vec<u8>> {
    let b0 = prop_oneof![
        4 => Just(0x81u8),
        4 => Just(0x82),
        3 => Just(0x01),
        3 => Just(0x00),
        3 => Just(0x80),
        2 => Just(0x89),
        1 => Just(0x8A),
        1 => Just(0x88),
        1 => any::<u8>(),
    ];
    let payload = prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..8),
        3 => "[a-zé€𝄞]{0,6}".prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 120..300),
    ];
    (b0, payload, any::<[u8; 4]>()).prop_map(|(b0, payload, mask)| {
        let control = b0 & 0x08 != 0;
        let payload = if control && payload.len() > 125 && b0 != 0x88 {
            payload[..125].to_vec()
        } else {
            payload
        };
        client(b0, &payload, mask)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any sequence of frames gives the same messages and the same end whole and split at
    /// every byte boundary.
    #[test]
    fn splitting_changes_nothing(frames in proptest::collection::vec(any_frame(), 1..6)) {
        let input = frames.concat();
        let whole = run(&input, &[], 256);
        for i in 0..=input.len() {
            prop_assert_eq!(&run(&input, &[i], 256), &whole, "split at {}", i);
        }
        let ones = vec![1; input.len()];
        prop_assert_eq!(&run(&input, &ones, 256), &whole, "byte by byte");
        let waits = Decoder::new(256).with_whole_frames(64);
        prop_assert_eq!(&run_with(waits, &input, &ones), &whole, "whole frames, byte by byte");
    }

    /// With whole frames, a short unfragmented message is one piece however it is cut.
    #[test]
    fn whole_frames_come_in_one_piece(payload in proptest::collection::vec(any::<u8>(), 0..64), cut in 0usize..80) {
        let input = client(0x82, &payload, M);
        let mut decoder = Decoder::new(256).with_whole_frames(64);
        let mut buf = input[..cut.min(input.len())].to_vec();
        let mut pieces = 0;
        for round in 0..2 {
            if round == 1 {
                buf.extend_from_slice(&input[cut.min(input.len())..]);
            }
            while let Ok((n, event)) = decoder.decode(&mut buf) {
                if n == 0 && event.is_none() {
                    break;
                }
                if let Some(Event::Data { data, first, last, .. }) = event {
                    prop_assert!(first && last);
                    prop_assert_eq!(data, &payload[..]);
                    pieces += 1;
                }
                buf.drain(..n);
            }
        }
        prop_assert_eq!(pieces, 1);
    }
}
