//! The chunked encoder against exact expected bytes, its end state and its short-buffer behaviour.

use aurora_core::http::response::{
    ChunkError, ChunkedEncoder, LAST_CHUNK, chunk_overhead, max_chunk_data,
};

/// Data given to one `encode_chunk` call and the exact bytes it writes.
#[rustfmt::skip]
const CHUNKS: &[(&[u8], &[u8])] = &[
    (b"", b""),
    (b"a", b"1\r\na\r\n"),
    (b"hello", b"5\r\nhello\r\n"),
    (b"0123456789abcdef", b"10\r\n0123456789abcdef\r\n"),
    (b"\r\n0\r\n\r\n", b"7\r\n\r\n0\r\n\r\n\r\n"),
];

type Trailers = &'static [(&'static str, &'static [u8])];

/// Trailers given to `finish` and the exact bytes or the error.
#[rustfmt::skip]
const LAST: &[(Trailers, Result<&[u8], ChunkError>)] = &[
    (&[], Ok(b"0\r\n\r\n")),
    (&[("X-Checksum", b"abc")], Ok(b"0\r\nX-Checksum: abc\r\n\r\n")),
    (&[("A", b"1"), ("b", b"")], Ok(b"0\r\nA: 1\r\nb: \r\n\r\n")),
    (&[("A B", b"1")], Err(ChunkError::InvalidTrailer)),
    (&[("", b"1")], Err(ChunkError::InvalidTrailer)),
    (&[("A", b"1\r\n")], Err(ChunkError::InvalidTrailer)),
    (&[("A", b"\0")], Err(ChunkError::InvalidTrailer)),
    (&[("Content-Length", b"1")], Err(ChunkError::ReservedTrailer)),
    (&[("transfer-encoding", b"chunked")], Err(ChunkError::ReservedTrailer)),
];

#[test]
fn chunks() {
    for (i, (data, expected)) in CHUNKS.iter().enumerate() {
        let mut encoder = ChunkedEncoder::new();
        let mut out = [0u8; 64];
        let len = encoder.encode_chunk(data, &mut out);
        assert_eq!(len.map(|n| &out[..n]), Ok(*expected), "chunk {i}");
        assert_eq!(expected.len(), data.len() + chunk_overhead(data.len()));
        assert!(!encoder.is_finished());
    }
}

#[test]
fn an_empty_chunk_never_ends_the_body() {
    let mut encoder = ChunkedEncoder::new();
    let mut out = [0xa5u8; 16];
    assert_eq!(encoder.encode_chunk(b"", &mut out), Ok(0));
    assert_eq!(encoder.encode_chunk(b"", &mut []), Ok(0));
    assert!(out.iter().all(|&b| b == 0xa5));
    assert!(!encoder.is_finished());
    assert_eq!(encoder.encode_chunk(b"x", &mut out), Ok(6));
}

#[test]
fn last_chunks() {
    for (i, (trailers, expected)) in LAST.iter().enumerate() {
        let mut encoder = ChunkedEncoder::new();
        let mut out = [0u8; 64];
        let got = encoder.finish(trailers, &mut out);
        assert_eq!(got.map(|n| &out[..n]), *expected, "last {i}");
        assert_eq!(encoder.is_finished(), expected.is_ok(), "last {i}");
        if expected.is_err() {
            assert!(out.iter().all(|&b| b == 0), "last {i} wrote on error");
        }
    }
    assert_eq!(&LAST_CHUNK[..], b"0\r\n\r\n");
}

#[test]
fn nothing_follows_the_last_chunk() {
    let mut encoder = ChunkedEncoder::new();
    let mut out = [0u8; 16];
    assert_eq!(encoder.finish(&[], &mut out), Ok(5));
    assert_eq!(
        encoder.encode_chunk(b"late", &mut out),
        Err(ChunkError::Finished)
    );
    assert_eq!(
        encoder.encode_chunk(b"", &mut out),
        Err(ChunkError::Finished)
    );
    assert_eq!(encoder.finish(&[], &mut out), Err(ChunkError::Finished));
}

#[test]
fn every_short_buffer_is_refused_untouched() {
    for data in [&b"a"[..], &[7u8; 15], &[7u8; 16], &[7u8; 300]] {
        let needed = data.len() + chunk_overhead(data.len());
        for size in 0..needed {
            let mut encoder = ChunkedEncoder::new();
            let mut out = vec![0xa5u8; size];
            assert_eq!(
                encoder.encode_chunk(data, &mut out),
                Err(ChunkError::BufferTooSmall)
            );
            assert!(out.iter().all(|&b| b == 0xa5));
            assert!(max_chunk_data(size) < data.len(), "size {size}");
        }
        let mut out = vec![0u8; needed];
        assert_eq!(
            ChunkedEncoder::new().encode_chunk(data, &mut out),
            Ok(needed)
        );
    }

    let trailers: &[(&str, &[u8])] = &[("X-Sum", b"1234"), ("X-Other", b"v")];
    let needed = b"0\r\nX-Sum: 1234\r\nX-Other: v\r\n\r\n".len();
    for size in 0..needed {
        let mut encoder = ChunkedEncoder::new();
        let mut out = vec![0xa5u8; size];
        assert_eq!(
            encoder.finish(trailers, &mut out),
            Err(ChunkError::BufferTooSmall)
        );
        assert!(out.iter().all(|&b| b == 0xa5));
        assert!(!encoder.is_finished(), "a refused finish leaves it open");
    }
    let mut out = vec![0u8; needed];
    assert_eq!(ChunkedEncoder::new().finish(trailers, &mut out), Ok(needed));
}

#[test]
fn overhead_grows_with_hex_digits() {
    #[rustfmt::skip]
    let table = [(0, 0), (1, 5), (15, 5), (16, 6), (255, 6), (256, 7), (4095, 7), (4096, 8), (65_536, 9)];
    for (len, overhead) in table {
        assert_eq!(chunk_overhead(len), overhead, "len {len}");
    }
    #[rustfmt::skip]
    let table = [(0, 0), (5, 0), (6, 1), (20, 15), (21, 15), (22, 16), (4096, 4089), (4104, 4096)];
    for (space, data) in table {
        assert_eq!(max_chunk_data(space), data, "space {space}");
    }
}

#[test]
fn errors_display_and_are_errors() {
    let errors = [
        ChunkError::BufferTooSmall,
        ChunkError::Finished,
        ChunkError::InvalidTrailer,
        ChunkError::ReservedTrailer,
    ];
    for e in errors {
        assert!(!format!("{e}").is_empty());
        let _: &dyn core::error::Error = &e;
    }
}
