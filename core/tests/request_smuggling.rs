//! Request-smuggling classics (CL.TE, TE.CL, TE.TE obfuscations, line-ending and control-byte
//! tricks): one line of input, one expected outcome. Every ambiguous head must be rejected, and
//! the few look-alikes that are valid must frame exactly one way.

use aurora_core::http::Limits;
use aurora_core::http::header::HeaderSpan;
use aurora_core::http::request::{self, BodyFraming, Parse, RequestError};

/// What a head must come to.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Accepted with this framing.
    Frames(BodyFraming),
    /// Rejected with this error.
    Rejects(RequestError),
}

use BodyFraming::{Chunked, ContentLength, None as NoBody};
use Outcome::{Frames, Rejects};
use RequestError::*;

fn outcome(input: &[u8]) -> Outcome {
    let mut spans = [HeaderSpan::EMPTY; 32];
    match request::parse(input, &Limits::DEFAULT, &mut spans) {
        Ok(Parse::Complete(head)) => Frames(head.body_framing()),
        Ok(Parse::Partial) => panic!("{:?} is partial", input.escape_ascii().to_string()),
        Err(error) => Rejects(error),
    }
}

macro_rules! smuggling {
    ($($name:ident: $fields:literal => $expected:expr;)+) => {
        $(
            #[test]
            fn $name() {
                let mut input = b"POST /x HTTP/1.1\r\nHost: example.com\r\n".to_vec();
                input.extend_from_slice($fields);
                input.extend_from_slice(b"\r\n");
                let got = outcome(&input);
                assert_eq!(got, $expected, "input {:?}", input.escape_ascii().to_string());
            }
        )+
    };
}

smuggling! {
    // CL.TE and TE.CL: both framings present.
    cl_te: b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n" => Rejects(ContentLengthWithTransferEncoding);
    te_cl: b"Transfer-Encoding: chunked\r\nContent-Length: 6\r\n" => Rejects(ContentLengthWithTransferEncoding);
    cl_zero_te: b"Content-Length: 0\r\nTransfer-Encoding: chunked\r\n" => Rejects(ContentLengthWithTransferEncoding);
    cl_te_gzip: b"Content-Length: 6\r\nTransfer-Encoding: gzip\r\n" => Rejects(ContentLengthWithTransferEncoding);

    // TE.TE: obfuscated Transfer-Encoding names and values.
    te_xchunked: b"Transfer-Encoding: xchunked\r\n" => Rejects(ChunkedNotFinal);
    te_chunkedx: b"Transfer-Encoding: chunkedx\r\n" => Rejects(ChunkedNotFinal);
    te_space_before_colon: b"Transfer-Encoding : chunked\r\n" => Rejects(WhitespaceBeforeColon);
    te_tab_value: b"Transfer-Encoding:\tchunked\r\n" => Frames(Chunked);
    te_no_space: b"Transfer-Encoding:chunked\r\n" => Frames(Chunked);
    te_upper: b"TRANSFER-ENCODING: CHUNKED\r\n" => Frames(Chunked);
    te_then_junk_line: b"Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n" => Rejects(ChunkedNotFinal);
    te_junk_then_chunked: b"Transfer-Encoding: x\r\nTransfer-Encoding: chunked\r\n" => Rejects(UnsupportedTransferCoding);
    te_twice: b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n" => Rejects(ChunkedTwice);
    te_leading_space_line: b" Transfer-Encoding: chunked\r\n" => Rejects(ObsFold);
    te_obs_fold_value: b"Transfer-Encoding:\r\n chunked\r\n" => Rejects(ObsFold);
    te_folded_after_other: b"X: y\r\n Transfer-Encoding: chunked\r\n" => Rejects(ObsFold);
    te_vertical_tab: b"Transfer-Encoding:\x0bchunked\r\n" => Rejects(InvalidHeaderValue);
    te_form_feed: b"Transfer-Encoding: \x0cchunked\r\n" => Rejects(InvalidHeaderValue);
    te_nul: b"Transfer-Encoding: chunked\0\r\n" => Rejects(HeaderValueNul);
    te_bare_cr_value: b"Transfer-Encoding: chunked\rX: y\r\n" => Rejects(BareCr);
    te_bare_lf_line: b"Transfer-Encoding: chunked\nX: y\r\n" => Rejects(BareLf);
    te_quoted: b"Transfer-Encoding: \"chunked\"\r\n" => Rejects(InvalidTransferEncoding);
    te_param: b"Transfer-Encoding: chunked; q=1\r\n" => Rejects(InvalidTransferEncoding);
    te_semicolon_trick: b"Transfer-Encoding: gzip;chunked\r\n" => Rejects(ChunkedNotFinal);
    te_identity: b"Transfer-Encoding: identity\r\n" => Rejects(ChunkedNotFinal);
    te_chunked_identity: b"Transfer-Encoding: chunked, identity\r\n" => Rejects(ChunkedNotFinal);
    te_utf8_lookalike: b"Transfer-Encoding: chunk\xC3\xA9d\r\n" => Rejects(InvalidTransferEncoding);
    te_name_underscore: b"Transfer_Encoding: chunked\r\n" => Frames(NoBody);
    te_name_nul: b"Transfer-Encoding\0: chunked\r\n" => Rejects(InvalidHeaderName);
    te_name_utf8: b"Transfer-Encod\xC4\xB1ng: chunked\r\n" => Rejects(InvalidHeaderName);
    te_empty: b"Transfer-Encoding: \r\n" => Rejects(InvalidTransferEncoding);

    // Content-Length obfuscations.
    cl_plus: b"Content-Length: +5\r\n" => Rejects(InvalidContentLength);
    cl_hex: b"Content-Length: 0x5\r\n" => Rejects(InvalidContentLength);
    cl_space_inside: b"Content-Length: 5 5\r\n" => Rejects(InvalidContentLength);
    cl_list_equal: b"Content-Length: 5, 5\r\n" => Rejects(InvalidContentLength);
    cl_list_comma: b"Content-Length: 5,\r\n" => Rejects(InvalidContentLength);
    cl_twice_equal: b"Content-Length: 5\r\nContent-Length: 5\r\n" => Rejects(DuplicateContentLength);
    cl_twice_differ: b"Content-Length: 5\r\nContent-Length: 7\r\n" => Rejects(DuplicateContentLength);
    cl_space_before_colon: b"Content-Length : 5\r\n" => Rejects(WhitespaceBeforeColon);
    cl_exponent: b"Content-Length: 5e1\r\n" => Rejects(InvalidContentLength);
    cl_unicode_digit: b"Content-Length: \xD9\xA5\r\n" => Rejects(InvalidContentLength);
    cl_nul: b"Content-Length: 5\0\r\n" => Rejects(HeaderValueNul);
    cl_obs_fold: b"Content-Length:\r\n 5\r\n" => Rejects(ObsFold);
    cl_bare_cr: b"Content-Length: 5\r6\r\n" => Rejects(BareCr);
    cl_bare_lf: b"Content-Length: 5\n" => Rejects(BareLf);
    cl_overflow: b"Content-Length: 99999999999999999999999\r\n" => Rejects(InvalidContentLength);
    cl_trailing_ws: b"Content-Length: 5 \t\r\n" => Frames(ContentLength(5));
    cl_plain: b"Content-Length: 5\r\n" => Frames(ContentLength(5));

    // Header-injection tricks through the line structure.
    lf_injects_field: b"X: a\nContent-Length: 5\r\n" => Rejects(BareLf);
    cr_injects_field: b"X: a\rContent-Length: 5\r\n" => Rejects(BareCr);
    crlf_then_space: b"X: a\r\n \r\n" => Rejects(ObsFold);
}

/// Smuggling through the request line and the blank line.
macro_rules! raw {
    ($($name:ident: $input:literal => $expected:expr;)+) => {
        $(
            #[test]
            fn $name() {
                assert_eq!(outcome($input), $expected, "input {:?}", $input.escape_ascii().to_string());
            }
        )+
    };
}

raw! {
    blank_line_bare_lf: b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\nhello" => Rejects(BareLf);
    request_line_bare_lf: b"POST / HTTP/1.1\nHost: a\r\n\r\n" => Rejects(BareLf);
    two_requests_in_line: b"GET / HTTP/1.1 GET /admin HTTP/1.1\r\nHost: a\r\n\r\n" => Rejects(InvalidRequestLine);
    target_with_crlf_space: b"GET /a\r\n HTTP/1.1\r\nHost: a\r\n\r\n" => Rejects(InvalidRequestLine);
    http10_te: b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" => Rejects(TransferEncodingInHttp10);
    http10_te_and_cl: b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" => Rejects(ContentLengthWithTransferEncoding);
    two_hosts: b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" => Rejects(DuplicateHost);
    get_with_length: b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n" => Frames(ContentLength(4));
}
