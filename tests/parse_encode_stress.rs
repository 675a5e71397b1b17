//! 100,000 requests through the whole core path a server takes: parse the head, read the body
//! (Content-Length or chunked), answer with the encoder, and check the answer with httparse as
//! an independent parser. Requests are pipelined back to back in one buffer, as a connection
//! would see them.

use aurora::core::http::chunked::ChunkedDecoder;
use aurora::core::http::date::Date;
use aurora::core::http::header::HeaderSpan;
use aurora::core::http::method::Method;
use aurora::core::http::request::{self, BodyFraming, Parse};
use aurora::core::http::response::{EncodeContext, Persistence, ResponseHead, encode_full};
use aurora::core::http::{Limits, Status};

const REQUESTS: usize = 100_000;

/// The `i`-th request of the stream and the body it carries.
fn request(i: usize) -> (Vec<u8>, Vec<u8>) {
    let body: Vec<u8> = (0..i % 97).map(|b| b"abcdefghij"[b % 10]).collect();
    let mut wire = Vec::new();
    match i % 4 {
        0 => wire.extend_from_slice(
            format!("GET /items/{i}?page={} HTTP/1.1\r\nHost: h\r\n\r\n", i % 7).as_bytes(),
        ),
        1 => wire.extend_from_slice(
            format!("HEAD /h/{i} HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n").as_bytes(),
        ),
        2 => {
            wire.extend_from_slice(
                format!(
                    "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            );
            wire.extend_from_slice(&body);
        }
        _ => {
            wire.extend_from_slice(
                b"PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
            );
            for piece in body.chunks(13) {
                wire.extend_from_slice(format!("{:X}\r\n", piece.len()).as_bytes());
                wire.extend_from_slice(piece);
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(b"0\r\n\r\n");
        }
    }
    let expected = if i % 4 >= 2 { body } else { Vec::new() };
    (wire, expected)
}

#[test]
fn a_hundred_thousand_pipelined_requests_parse_and_answer() {
    let mut stream = Vec::new();
    let mut bodies = Vec::with_capacity(REQUESTS);
    for i in 0..REQUESTS {
        let (wire, body) = request(i);
        stream.extend_from_slice(&wire);
        bodies.push(body);
    }
    let date = Date::from_unix_secs(1_764_100_000);
    let mut spans = [HeaderSpan::EMPTY; 64];
    let mut out = [0u8; 1024];
    let mut at = 0;
    for (i, expected) in bodies.iter().enumerate() {
        let Ok(Parse::Complete(head)) = request::parse(&stream[at..], &Limits::DEFAULT, &mut spans)
        else {
            panic!("request {i} did not parse");
        };
        let req = head.view(&stream[at..], &spans);
        let method = req.method();
        at += head.head_len();
        let mut body = Vec::new();
        match head.body_framing() {
            BodyFraming::None => {}
            BodyFraming::ContentLength(n) => {
                let n = usize::try_from(n).unwrap();
                body.extend_from_slice(&stream[at..at + n]);
                at += n;
            }
            BodyFraming::Chunked => {
                let mut decoder = ChunkedDecoder::from_limits(&Limits::DEFAULT);
                while !decoder.is_done() {
                    let step = decoder.decode(&stream[at..]).unwrap();
                    body.extend_from_slice(step.data);
                    at += step.consumed;
                }
            }
        }
        assert_eq!(&body, expected, "request {i}'s body");

        let cx = EncodeContext {
            version: head.version(),
            head_request: method == Method::Head,
            date: Some(&date),
            server: None,
        };
        let reply: &[u8] = if body.is_empty() {
            b"Hello, World!"
        } else {
            &body
        };
        let response = ResponseHead {
            status: Status::OK,
            headers: &[],
            persistence: Persistence::KeepAlive,
        };
        let done = encode_full(&response, reply, &cx, &mut out).unwrap();

        let mut headers = [httparse::EMPTY_HEADER; 8];
        let mut parsed = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(head_len) = parsed.parse(&out[..done.len]).unwrap() else {
            panic!("response {i} is incomplete");
        };
        assert_eq!(parsed.code, Some(200));
        let length = parsed
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .unwrap();
        assert_eq!(length.value, reply.len().to_string().as_bytes());
        let sent = &out[head_len..done.len];
        if method == Method::Head {
            assert!(sent.is_empty(), "a HEAD response carries no body");
        } else {
            assert_eq!(sent, reply);
        }
    }
    assert_eq!(at, stream.len(), "every byte of the stream was consumed");
}
