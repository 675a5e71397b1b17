//! The chunked decoder against declarative tables (one input, one outcome) and property tests.
//!
//! Every table case runs one-shot, split into pieces of several sizes (byte by byte included)
//! and through the in-place variant; all runs must agree with the table.
#![allow(clippy::unwrap_used)]

use aurora_core::http::Limits;
use aurora_core::http::chunked::{ChunkedDecoder, ChunkedError, MAX_EXTENSION_BYTES};
use proptest::prelude::*;

/// How a run ended: done after `consumed` input bytes, still partial, or an error.
#[derive(Clone, Debug, PartialEq, Eq)]
enum End {
    Done(usize),
    Partial,
    Failed(ChunkedError),
}

/// Feeds `input` to `decoder` in pieces ending at `cuts` (sorted offsets) like a connection
/// would: bytes not consumed stay buffered and are offered again with the next piece.
fn run_split(mut decoder: ChunkedDecoder, input: &[u8], cuts: &[usize]) -> (Vec<u8>, End) {
    let mut body = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut consumed_total = 0;
    let mut fed = 0;
    let ends = cuts.iter().copied().chain([input.len()]);
    for end in ends {
        let end = end.clamp(fed, input.len());
        pending.extend_from_slice(&input[fed..end]);
        fed = end;
        // Each pass consumes at least one byte or stops, so this ends.
        loop {
            match decoder.decode(&pending) {
                Err(error) => return (body, End::Failed(error)),
                Ok(out) => {
                    assert!(out.consumed <= pending.len());
                    body.extend_from_slice(out.data);
                    let (consumed, done) = (out.consumed, out.done);
                    pending.drain(..consumed);
                    consumed_total += consumed;
                    assert_eq!(done, decoder.is_done());
                    if done {
                        return (body, End::Done(consumed_total));
                    }
                    if consumed == 0 {
                        break;
                    }
                }
            }
        }
    }
    assert_eq!(decoder.body_bytes(), body.len() as u64);
    (body, End::Partial)
}

/// The same through `decode_in_place`, with one growing buffer. The body is only meaningful
/// when the run did not fail.
fn run_in_place(mut decoder: ChunkedDecoder, input: &[u8], cuts: &[usize]) -> (Vec<u8>, End) {
    let mut buf: Vec<u8> = Vec::new();
    let mut body_end = 0;
    let mut fed = 0;
    let ends = cuts.iter().copied().chain([input.len()]);
    for end in ends {
        let end = end.clamp(fed, input.len());
        buf.extend_from_slice(&input[fed..end]);
        fed = end;
        match decoder.decode_in_place(&mut buf, body_end) {
            Err(error) => return (Vec::new(), End::Failed(error)),
            Ok(out) => {
                assert!(out.body_end <= out.filled && out.filled <= buf.len());
                body_end = out.body_end;
                buf.truncate(out.filled);
                // Framing is remembered, never left behind, while the body is not done.
                assert!(out.done || out.filled == out.body_end);
                if out.done {
                    let left = buf.len() - body_end + (input.len() - fed);
                    return (buf[..body_end].to_vec(), End::Done(input.len() - left));
                }
            }
        }
    }
    (buf[..body_end].to_vec(), End::Partial)
}

/// Runs `input` one-shot, split every 1, 2, 3 and 7 bytes, and in place; checks they agree
/// and returns the one-shot outcome.
fn run_all(decoder: &ChunkedDecoder, input: &[u8]) -> (Vec<u8>, End) {
    let whole = run_split(*decoder, input, &[]);
    for step in [1, 2, 3, 7] {
        let cuts: Vec<usize> = (step..input.len()).step_by(step).collect();
        assert_eq!(
            run_split(*decoder, input, &cuts),
            whole,
            "split every {step}"
        );
        let in_place = run_in_place(*decoder, input, &cuts);
        match &whole.1 {
            End::Failed(_) => assert_eq!(in_place.1, whole.1, "in place every {step}"),
            _ => assert_eq!(in_place, whole, "in place every {step}"),
        }
    }
    whole
}

/// A decoder with the default limits.
fn default_decoder() -> ChunkedDecoder {
    ChunkedDecoder::from_limits(&Limits::DEFAULT)
}

/// `ok!(name, input, body)`: the input decodes to `body`, completes, and leaves a pipelined
/// request after it untouched. An optional `limits(body, trailer_bytes, trailers)` goes first.
macro_rules! ok {
    ($name:ident, $input:expr, $body:expr) => {
        ok!($name, default_decoder(), $input, $body);
    };
    ($name:ident, limits($b:expr, $tb:expr, $tn:expr), $input:expr, $body:expr) => {
        ok!($name, ChunkedDecoder::new($b, $tb, $tn), $input, $body);
    };
    ($name:ident, $decoder:expr, $input:expr, $body:expr) => {
        #[test]
        fn $name() {
            let input: &[u8] = $input;
            let mut with_next = input.to_vec();
            with_next.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
            let (body, end) = run_all(&$decoder, &with_next);
            assert_eq!(body, &$body[..]);
            assert_eq!(end, End::Done(input.len()));
        }
    };
}

/// `err!(name, input, Error)`: the input fails with this error. An optional
/// `limits(body, trailer_bytes, trailers)` goes first.
macro_rules! err {
    ($name:ident, $input:expr, $error:ident) => {
        err!($name, default_decoder(), $input, $error);
    };
    ($name:ident, limits($b:expr, $tb:expr, $tn:expr), $input:expr, $error:ident) => {
        err!($name, ChunkedDecoder::new($b, $tb, $tn), $input, $error);
    };
    ($name:ident, $decoder:expr, $input:expr, $error:ident) => {
        #[test]
        fn $name() {
            let (_, end) = run_all(&$decoder, $input);
            assert_eq!(end, End::Failed(ChunkedError::$error));
        }
    };
}

/// `partial!(name, input, body)`: the input is a valid prefix; `body` decoded so far.
macro_rules! partial {
    ($name:ident, $input:expr, $body:expr) => {
        #[test]
        fn $name() {
            let (body, end) = run_all(&default_decoder(), $input);
            assert_eq!(body, &$body[..]);
            assert_eq!(end, End::Partial);
        }
    };
}

// Happy paths.
ok!(empty_body, b"0\r\n\r\n", b"");
ok!(single_chunk, b"5\r\nhello\r\n0\r\n\r\n", b"hello");
ok!(
    many_chunks,
    b"1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n0\r\n\r\n",
    b"abcdef"
);
ok!(hex_lower, b"a\r\n0123456789\r\n0\r\n\r\n", b"0123456789");
ok!(hex_upper, b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789");
ok!(
    hex_two_digits,
    b"1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n",
    b"abcdefghijklmnopqrstuvwxyz"
);
ok!(
    hex_mixed_case,
    b"1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n",
    b"abcdefghijklmnopqrstuvwxyz"
);
ok!(leading_zeros, b"0005\r\nhello\r\n0000\r\n\r\n", b"hello");
ok!(
    sixteen_digits,
    b"0000000000000005\r\nhello\r\n0000000000000000\r\n\r\n",
    b"hello"
);
ok!(
    data_holding_framing,
    b"5\r\n\r\n0\r\n\r\n0\r\n\r\n",
    b"\r\n0\r\n"
);
ok!(binary_data, b"3\r\n\0\xff\n\r\n0\r\n\r\n", b"\0\xff\n");
ok!(ext_name, b"5;name\r\nhello\r\n0\r\n\r\n", b"hello");
ok!(ext_token, b"5;name=value\r\nhello\r\n0\r\n\r\n", b"hello");
ok!(ext_several, b"5;a=b;c;d=e\r\nhello\r\n0\r\n\r\n", b"hello");
ok!(
    ext_quoted,
    b"5;a=\"quoted value\"\r\nhello\r\n0\r\n\r\n",
    b"hello"
);
ok!(
    ext_quoted_empty,
    b"5;a=\"\"\r\nhello\r\n0\r\n\r\n",
    b"hello"
);
ok!(
    ext_quoted_escapes,
    b"5;a=\"x\\\"y\\\\z\\\t\"\r\nhello\r\n0\r\n\r\n",
    b"hello"
);
ok!(
    ext_quoted_obs_text,
    b"5;a=\"\x80\xff\"\r\nhello\r\n0\r\n\r\n",
    b"hello"
);
ok!(
    ext_quoted_then_next,
    b"5;a=\"v\";b\r\nhello\r\n0\r\n\r\n",
    b"hello"
);
ok!(
    ext_bws_before_semicolon,
    b"5 ;a=b\r\nhello\r\n0\r\n\r\n",
    b"hello"
);
ok!(
    ext_bws_everywhere,
    b"5 \t; a = b ;\tc = \"d\" ; e\r\nhello\r\n0\r\n\r\n",
    b"hello"
);
ok!(
    ext_on_last_chunk,
    b"5\r\nhello\r\n0;end=yes\r\n\r\n",
    b"hello"
);
ok!(trailer_one, b"0\r\nExpires: never\r\n\r\n", b"");
ok!(
    trailer_after_data,
    b"2\r\nhi\r\n0\r\nA: 1\r\nB-c:2\r\n\r\n",
    b"hi"
);
ok!(trailer_empty_value, b"0\r\nX:\r\n\r\n", b"");
ok!(
    trailer_tabs_and_obs_text,
    b"0\r\nX:\tv a\xe9 \t\r\n\r\n",
    b""
);
ok!(
    body_at_limit,
    limits(10, 0, 0),
    b"6\r\nabcdef\r\n4\r\nghij\r\n0\r\n\r\n",
    b"abcdefghij"
);
ok!(
    trailers_at_limits,
    limits(0, 10, 2),
    b"0\r\nAb: 1234\r\n\r\n",
    b""
);
ok!(
    trailer_count_at_limit,
    limits(0, 100, 2),
    b"0\r\nA: 1\r\nB: 2\r\n\r\n",
    b""
);
ok!(
    largest_size,
    limits(u64::MAX, 0, 0),
    b"1\r\nx\r\n0\r\n\r\n",
    b"x"
);
ok!(
    extensions_at_limit,
    &[
        &b"1;"[..],
        &[b'a'; MAX_EXTENSION_BYTES - 1],
        b"\r\nx\r\n0\r\n\r\n"
    ]
    .concat(),
    b"x"
);

// Valid prefixes.
partial!(nothing_yet, b"", b"");
partial!(size_only, b"5", b"");
partial!(half_data, b"5\r\nhel", b"hel");
partial!(before_data_crlf, b"5\r\nhello", b"hello");
partial!(inside_extension, b"5;a=\"x", b"");
partial!(inside_trailers, b"5\r\nhello\r\n0\r\nA: b\r\n", b"hello");
partial!(before_final_lf, b"0\r\n\r", b"");

// chunk-size.
err!(size_empty, b"\r\n", MissingSize);
err!(
    size_empty_line_after_data,
    b"5\r\nhello\r\n\r\n",
    MissingSize
);
err!(size_extension_only, b";a=b\r\n", MissingSize);
err!(size_leading_space, b" 5\r\nhello\r\n0\r\n\r\n", MissingSize);
err!(size_negative, b"-1\r\n", MissingSize);
err!(size_plus, b"+5\r\nhello\r\n", MissingSize);
err!(size_hex_prefix, b"0x5\r\nhello\r\n0\r\n\r\n", InvalidSize);
err!(size_space_inside, b"1 0\r\n", InvalidSize);
err!(
    size_trailing_space,
    b"5 \r\nhello\r\n0\r\n\r\n",
    InvalidSize
);
err!(size_not_hex, b"5g\r\n", InvalidSize);
err!(size_nul, b"5\0\r\n", InvalidSize);
err!(size_comma, b"5,5\r\n", InvalidSize);
err!(
    size_17_digits,
    limits(u64::MAX, 0, 0),
    b"00000000000000005\r\n",
    SizeTooLong
);
err!(
    size_17_f,
    limits(u64::MAX, 0, 0),
    b"FFFFFFFFFFFFFFFFF\r\n",
    SizeTooLong
);
err!(size_huge, b"FFFFFFFFFFFFFFFF\r\n", BodyTooLarge);
err!(
    size_overflows_total,
    limits(u64::MAX, 0, 0),
    b"1\r\nx\r\nFFFFFFFFFFFFFFFF\r\n",
    BodyTooLarge
);

// Body limit, enforced on announced sizes before the data arrives.
err!(
    body_over_limit_one_chunk,
    limits(4, 0, 0),
    b"5\r\n",
    BodyTooLarge
);
err!(
    body_over_limit_total,
    limits(10, 0, 0),
    b"6\r\nabcdef\r\n5\r\n",
    BodyTooLarge
);
err!(body_limit_zero, limits(0, 0, 0), b"1\r\n", BodyTooLarge);

// chunk-ext.
err!(ext_empty, b"5;\r\nhello\r\n", InvalidExtension);
err!(ext_no_name, b"5;=v\r\nhello\r\n", InvalidExtension);
err!(ext_no_value, b"5;a=\r\nhello\r\n", InvalidExtension);
err!(
    ext_space_before_crlf,
    b"5;a \r\nhello\r\n",
    InvalidExtension
);
err!(
    ext_value_space_before_crlf,
    b"5;a=b \r\nhello\r\n",
    InvalidExtension
);
err!(ext_two_values, b"5;a=b=c\r\nhello\r\n", InvalidExtension);
err!(ext_bad_name_char, b"5;a(b\r\nhello\r\n", InvalidExtension);
err!(ext_nul_in_name, b"5;a\0\r\nhello\r\n", InvalidExtension);
err!(ext_nul_in_value, b"5;a=b\0\r\nhello\r\n", InvalidExtension);
err!(
    ext_nul_in_quoted,
    b"5;a=\"\0\"\r\nhello\r\n",
    InvalidExtension
);
err!(
    ext_del_in_quoted,
    b"5;a=\"\x7f\"\r\nhello\r\n",
    InvalidExtension
);
err!(
    ext_ctl_escaped,
    b"5;a=\"\\\x01\"\r\nhello\r\n",
    InvalidExtension
);
err!(
    ext_unterminated_quote,
    b"5;a=\"x\r\nhello\r\n",
    InvalidExtension
);
err!(
    ext_junk_after_quote,
    b"5;a=\"x\"y\r\nhello\r\n",
    InvalidExtension
);
err!(
    ext_space_after_quote_then_crlf,
    b"5;a=\"x\" \r\nhello\r\n",
    InvalidExtension
);
err!(ext_cr_in_escape, b"5;a=\"\\\r\nhello\r\n", InvalidExtension);
err!(
    ext_too_long,
    &[
        &b"1;"[..],
        &[b'a'; MAX_EXTENSION_BYTES],
        b"\r\nx\r\n0\r\n\r\n"
    ]
    .concat(),
    ExtensionTooLong
);
err!(
    ext_too_long_spaces,
    &[&b"1"[..], &[b' '; MAX_EXTENSION_BYTES + 1]].concat(),
    ExtensionTooLong
);

// Line endings: CRLF only.
err!(bare_lf_after_size, b"5\nhello\r\n0\r\n\r\n", LineEnding);
err!(bare_cr_after_size, b"5\rhello\r\n0\r\n\r\n", LineEnding);
err!(bare_lf_after_extension, b"5;a=b\nhello\r\n", LineEnding);
err!(bare_lf_in_quoted, b"5;a=\"x\ny\"\r\nhello\r\n", LineEnding);
err!(bare_lf_after_data, b"5\r\nhello\n0\r\n\r\n", LineEnding);
err!(bare_cr_after_data, b"5\r\nhello\r0\r\n\r\n", LineEnding);
err!(bare_lf_after_last_chunk, b"0\n\r\n", LineEnding);
err!(bare_lf_final, b"0\r\n\n", LineEnding);
err!(bare_cr_final, b"0\r\n\rX", LineEnding);
err!(bare_lf_after_trailer, b"0\r\nA: b\n\r\n", LineEnding);
err!(bare_cr_after_trailer, b"0\r\nA: b\rX\r\n\r\n", LineEnding);

// Chunk data must be exactly chunk-size bytes then CRLF.
err!(
    data_longer_than_size,
    b"3\r\nhello\r\n0\r\n\r\n",
    DataNotTerminated
);
err!(data_missing_crlf, b"5\r\nhello0\r\n\r\n", DataNotTerminated);
err!(data_short_by_one, b"6\r\nhello\r\n0\r\n\r\n", LineEnding);
err!(
    data_short_by_two,
    b"7\r\nhello\r\n0\r\n\r\n",
    DataNotTerminated
);

// Trailer section.
err!(trailer_empty_name, b"0\r\n: v\r\n\r\n", InvalidTrailer);
err!(
    trailer_space_before_colon,
    b"0\r\nName : v\r\n\r\n",
    InvalidTrailer
);
err!(trailer_no_colon, b"0\r\nName\r\n\r\n", InvalidTrailer);
err!(
    trailer_space_in_name,
    b"0\r\nNa me: v\r\n\r\n",
    InvalidTrailer
);
err!(trailer_leading_space, b"0\r\n A: b\r\n\r\n", InvalidTrailer);
err!(trailer_obs_fold, b"0\r\nA: b\r\n c\r\n\r\n", InvalidTrailer);
err!(
    trailer_nul_in_value,
    b"0\r\nA: b\0c\r\n\r\n",
    InvalidTrailer
);
err!(
    trailer_del_in_value,
    b"0\r\nA: b\x7f\r\n\r\n",
    InvalidTrailer
);
err!(
    trailer_ctl_in_value,
    b"0\r\nA: \x1b[0m\r\n\r\n",
    InvalidTrailer
);
err!(
    trailers_too_large,
    limits(0, 10, 2),
    b"0\r\nAb: 12345\r\n\r\n",
    TrailersTooLarge
);
err!(
    trailers_too_many,
    limits(0, 100, 2),
    b"0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
    TooManyTrailers
);
err!(
    trailers_none_allowed,
    limits(0, 100, 0),
    b"0\r\nA: 1\r\n\r\n",
    TooManyTrailers
);

#[test]
fn done_consumes_nothing_more() {
    let mut decoder = default_decoder();
    let out = decoder.decode(b"0\r\n\r\n").unwrap();
    assert_eq!((out.consumed, out.done), (5, true));
    let out = decoder.decode(b"5\r\nhello\r\n").unwrap();
    assert_eq!((out.consumed, out.data, out.done), (0, &b""[..], true));
    assert!(decoder.is_done());
}

#[test]
fn errors_are_final() {
    let mut decoder = default_decoder();
    assert_eq!(decoder.decode(b"x"), Err(ChunkedError::MissingSize));
    assert_eq!(decoder.decode(b"0\r\n\r\n"), Err(ChunkedError::MissingSize));
    let mut buf = *b"0\r\n\r\n";
    assert_eq!(
        decoder.decode_in_place(&mut buf, 0),
        Err(ChunkedError::MissingSize)
    );
}

#[test]
fn one_data_run_per_call() {
    let mut decoder = default_decoder();
    let input = b"2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n";
    let first = decoder.decode(input).unwrap();
    assert_eq!(
        (first.consumed, first.data, first.done),
        (10, &b"ab"[..], false)
    );
    let second = decoder.decode(&input[10..]).unwrap();
    assert_eq!((second.data, second.done), (&b"cd"[..], true));
    assert_eq!(decoder.body_bytes(), 4);
}

#[test]
fn large_chunk_comes_out_in_one_run() {
    let mut input = b"10000\r\n".to_vec();
    input.extend(core::iter::repeat_n(b'z', 0x10000));
    input.extend_from_slice(b"\r\n0\r\n\r\n");
    let mut decoder = default_decoder();
    let out = decoder.decode(&input).unwrap();
    assert_eq!(
        (out.data.len(), out.consumed, out.done),
        (0x10000, input.len(), true)
    );
}

#[test]
fn in_place_compacts_and_keeps_the_next_request() {
    let mut decoder = default_decoder();
    let mut buf = *b"2\r\nab\r\n3;x=y\r\ncde\r\n0\r\nT: v\r\n\r\nNEXT";
    let out = decoder.decode_in_place(&mut buf, 0).unwrap();
    assert!(out.done);
    assert_eq!(&buf[..out.body_end], b"abcde");
    assert_eq!(&buf[out.body_end..out.filled], b"NEXT");
}

#[test]
fn in_place_start_beyond_buffer_is_clamped() {
    let mut decoder = default_decoder();
    let mut buf = *b"0\r\n";
    let out = decoder.decode_in_place(&mut buf, 99).unwrap();
    assert_eq!((out.body_end, out.filled, out.done), (3, 3, false));
}

#[test]
fn every_error_has_a_distinct_label_and_display() {
    let all = ChunkedError::ALL;
    for (i, a) in all.iter().enumerate() {
        assert!(a.as_str().starts_with("chunk_"));
        assert!(!a.to_string().is_empty());
        for b in &all[i + 1..] {
            assert_ne!(a.as_str(), b.as_str());
            assert_ne!(a.to_string(), b.to_string());
        }
    }
    let statuses: Vec<u16> = all.iter().map(|e| e.status().code()).collect();
    assert_eq!(
        statuses,
        [400, 400, 400, 400, 400, 400, 400, 413, 400, 431, 431]
    );
}

// Property tests.

/// One encoded chunk: its data, how its size is spelled and its extensions.
#[derive(Clone, Debug)]
struct Chunk {
    data: Vec<u8>,
    upper: bool,
    zeros: usize,
    extensions: Vec<u8>,
}

fn extension() -> impl Strategy<Value = Vec<u8>> {
    let name = "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,8}";
    let ws = "[ \t]{0,2}";
    let value = prop_oneof![
        Just(String::new()),
        (ws, ws, "[a-z0-9]{1,6}").prop_map(|(a, b, v)| format!("{a}={b}{v}")),
        (ws, ws, r#"([ \ta-z!#]|\\"|\\\\){0,8}"#).prop_map(|(a, b, v)| format!("{a}={b}\"{v}\"")),
    ];
    prop::collection::vec((ws, ws, name, value), 0..3).prop_map(|exts| {
        exts.into_iter()
            .flat_map(|(before, after, name, value)| {
                format!("{before};{after}{name}{value}").into_bytes()
            })
            .collect()
    })
}

fn chunk() -> impl Strategy<Value = Chunk> {
    (
        prop::collection::vec(any::<u8>(), 1..48),
        any::<bool>(),
        0usize..4,
        extension(),
    )
        .prop_map(|(data, upper, zeros, extensions)| Chunk {
            data,
            upper,
            zeros,
            extensions,
        })
}

fn trailers() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(("[A-Za-z0-9-]{1,10}", "[ \t]?[ -~\t]{0,12}"), 0..4).prop_map(|fields| {
        fields
            .into_iter()
            .flat_map(|(name, value)| format!("{name}:{value}\r\n").into_bytes())
            .collect()
    })
}

fn encode(chunks: &[Chunk], last_ext: &[u8], trailers: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in chunks {
        let size = if chunk.upper {
            format!("{:0width$X}", chunk.data.len(), width = chunk.zeros + 1)
        } else {
            format!("{:0width$x}", chunk.data.len(), width = chunk.zeros + 1)
        };
        out.extend_from_slice(size.as_bytes());
        out.extend_from_slice(&chunk.extensions);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&chunk.data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0");
    out.extend_from_slice(last_ext);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(trailers);
    out.extend_from_slice(b"\r\n");
    out
}

/// Sorted cut offsets inside `0..=len` from arbitrary numbers.
fn cuts_for(len: usize, raw: &[usize]) -> Vec<usize> {
    let mut cuts: Vec<usize> = raw.iter().map(|c| c % (len + 1)).collect();
    cuts.sort_unstable();
    cuts
}

fn generous() -> ChunkedDecoder {
    ChunkedDecoder::new(1 << 20, 4096, 16)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any valid encoding decodes to the original body however it is split, and the next
    /// request after it is left alone.
    #[test]
    fn valid_encodings_round_trip(
        chunks in prop::collection::vec(chunk(), 0..8),
        last_ext in extension(),
        trailers in trailers(),
        raw_cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let encoded = encode(&chunks, &last_ext, &trailers);
        let mut input = encoded.clone();
        input.extend_from_slice(b"POST / HTTP/1.1\r\n");
        let expected: Vec<u8> = chunks.iter().flat_map(|c| c.data.iter().copied()).collect();
        let cuts = cuts_for(input.len(), &raw_cuts);
        let every_byte: Vec<usize> = (1..input.len()).collect();

        let whole = run_split(generous(), &input, &[]);
        prop_assert_eq!(&whole.0, &expected);
        prop_assert_eq!(&whole.1, &End::Done(encoded.len()));
        prop_assert_eq!(&run_split(generous(), &input, &cuts), &whole);
        prop_assert_eq!(&run_split(generous(), &input, &every_byte), &whole);
        prop_assert_eq!(&run_in_place(generous(), &input, &cuts), &whole);
        prop_assert_eq!(&run_in_place(generous(), &input, &every_byte), &whole);
    }

    /// A valid encoding with a few bytes changed, inserted or removed ends the same way
    /// (same data, same completion or the same error) however it is split.
    #[test]
    fn mutated_encodings_are_split_invariant(
        chunks in prop::collection::vec(chunk(), 0..5),
        last_ext in extension(),
        trailers in trailers(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..4),
        raw_cuts in prop::collection::vec(any::<usize>(), 0..12),
        limits in (0u64..300, 0usize..40, 0usize..3),
    ) {
        let mut input = encode(&chunks, &last_ext, &trailers);
        for (at, byte, kind) in edits {
            let at = at % (input.len() + 1);
            match kind {
                0 if at < input.len() => input[at] = byte,
                1 => input.insert(at, byte),
                _ if at < input.len() => { input.remove(at); }
                _ => input.push(byte),
            }
        }
        let decoder = ChunkedDecoder::new(limits.0, limits.1, limits.2);
        let cuts = cuts_for(input.len(), &raw_cuts);
        let every_byte: Vec<usize> = (1..input.len()).collect();

        let whole = run_split(decoder, &input, &[]);
        prop_assert_eq!(&run_split(decoder, &input, &cuts), &whole);
        prop_assert_eq!(&run_split(decoder, &input, &every_byte), &whole);
        let in_place = run_in_place(decoder, &input, &cuts);
        if matches!(whole.1, End::Failed(_)) {
            prop_assert_eq!(&in_place.1, &whole.1);
        } else {
            prop_assert_eq!(&in_place, &whole);
        }
    }

    /// Arbitrary bytes never panic, never consume more than given and agree split or not.
    #[test]
    fn arbitrary_bytes(
        input in prop::collection::vec(any::<u8>(), 0..256),
        raw_cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let cuts = cuts_for(input.len(), &raw_cuts);
        let whole = run_split(generous(), &input, &[]);
        prop_assert_eq!(&run_split(generous(), &input, &cuts), &whole);
        let in_place = run_in_place(generous(), &input, &cuts);
        prop_assert_eq!(in_place.1, whole.1);
    }

    /// Likely-looking framing bytes: a denser search of the grammar than arbitrary bytes.
    #[test]
    fn framing_alphabet(
        input in prop::collection::vec(
            prop::sample::select(&b"0123aF;= \t\"\\\r\n:xX-"[..]), 0..64),
        raw_cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let cuts = cuts_for(input.len(), &raw_cuts);
        let every_byte: Vec<usize> = (1..input.len()).collect();
        let whole = run_split(generous(), &input, &[]);
        prop_assert_eq!(&run_split(generous(), &input, &cuts), &whole);
        prop_assert_eq!(&run_split(generous(), &input, &every_byte), &whole);
    }
}
