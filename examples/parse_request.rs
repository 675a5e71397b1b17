//! Drives Aurora's core by hand: reads one HTTP/1.1 request from standard input, parses it with
//! the server's strict parser, reads its body (Content-Length or chunked) and prints the response
//! the core encodes for it. A malformed request prints the error response a server would send
//! before closing. A summary of what was parsed goes to standard error.
//!
//! ```sh
//! printf 'GET /hello?name=aurora HTTP/1.1\r\nHost: localhost\r\n\r\n' \
//!     | cargo run --example parse_request
//! ```

use std::io::{Read, Write};
use std::process::ExitCode;

use aurora::core::http::chunked::ChunkedDecoder;
use aurora::core::http::date::Date;
use aurora::core::http::header::HeaderSpan;
use aurora::core::http::method::Method;
use aurora::core::http::request::{self, BodyFraming, Parse, Request, Version};
use aurora::core::http::response::{
    EncodeContext, Persistence, ResponseHead, ServerName, encode_full,
};
use aurora::core::http::target::percent_decode_query;
use aurora::core::http::{Limits, Status};

const LIMITS: Limits = Limits::DEFAULT;

/// Header fields a handler adds to its response.
type Fields<'a> = &'a [(&'a str, &'a [u8])];

fn main() -> ExitCode {
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("reading standard input: {e}");
        return ExitCode::FAILURE;
    }
    let unix_secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let date = Date::from_unix_secs(unix_secs);
    let mut out = vec![0u8; 64 * 1024 + 1024];

    let mut spans = [HeaderSpan::EMPTY; 64];
    let written = match request::parse(&input, &LIMITS, &mut spans) {
        Ok(Parse::Complete(head)) => {
            let request = head.view(&input, &spans);
            describe(&request);
            let mut body = vec![0u8; 0];
            match read_body(&request, &input[head.head_len()..], &mut body) {
                Ok(()) => respond(&request, &body, &date, &mut out),
                Err((status, why)) => {
                    eprintln!("body rejected: {why}");
                    error_response(status, head.version(), &date, &mut out)
                }
            }
        }
        Ok(Parse::Partial) => {
            eprintln!("incomplete request head: the input ended before the blank line");
            error_response(Status::BAD_REQUEST, Version::Http11, &date, &mut out)
        }
        Err(e) => {
            eprintln!("rejected: {e} ({})", e.as_str());
            error_response(e.status(), Version::Http11, &date, &mut out)
        }
    };
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(&out[..written])
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn describe(request: &Request<'_>) {
    eprintln!("method:  {}", request.method().as_str());
    eprintln!("path:    {}", request.path());
    for (key, value) in request.query_pairs() {
        let mut decoded = [0u8; 256];
        match percent_decode_query(value.as_bytes(), &mut decoded) {
            Ok(v) => eprintln!("query:   {key} = {}", String::from_utf8_lossy(v)),
            Err(e) => eprintln!("query:   {key} = {value} (not decoded: {e})"),
        }
    }
    eprintln!("version: {}", request.version().as_str());
    for header in request.headers().iter() {
        eprintln!(
            "header:  {}: {}",
            header.name,
            String::from_utf8_lossy(header.value)
        );
    }
    eprintln!(
        "framing: {:?}, keep-alive: {}",
        request.body_framing(),
        request.keep_alive()
    );
}

/// Reads the body that follows the head into `body`, by the framing the parser decided.
fn read_body(
    request: &Request<'_>,
    rest: &[u8],
    body: &mut Vec<u8>,
) -> Result<(), (Status, String)> {
    match request.body_framing() {
        BodyFraming::None => Ok(()),
        BodyFraming::ContentLength(len) => {
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            match rest.get(..len) {
                Some(bytes) => {
                    body.extend_from_slice(bytes);
                    Ok(())
                }
                None => Err((
                    Status::BAD_REQUEST,
                    format!("body shorter than {len} bytes"),
                )),
            }
        }
        BodyFraming::Chunked => {
            let mut decoder = ChunkedDecoder::from_limits(&LIMITS);
            let mut rest = rest;
            while !decoder.is_done() {
                let step = decoder
                    .decode(rest)
                    .map_err(|e| (e.status(), e.to_string()))?;
                body.extend_from_slice(step.data);
                rest = &rest[step.consumed..];
                if step.consumed == 0 && !step.done {
                    return Err((Status::BAD_REQUEST, "chunked body ends early".into()));
                }
            }
            Ok(())
        }
    }
}

/// The `hello` routes: GET and HEAD greet, POST and PUT echo the body, OPTIONS lists methods.
fn respond(request: &Request<'_>, body: &[u8], date: &Date, out: &mut [u8]) -> usize {
    let persistence = if request.keep_alive() {
        Persistence::KeepAlive
    } else {
        Persistence::Close
    };
    let cx = EncodeContext {
        version: request.version(),
        head_request: request.method() == Method::Head,
        date: Some(date),
        server: ServerName::new("aurora").ok(),
    };
    let text: Fields<'_> = &[("Content-Type", b"text/plain")];
    let allow: Fields<'_> = &[("Allow", b"GET, HEAD, POST, PUT, OPTIONS")];
    let (status, headers, body): (Status, Fields<'_>, &[u8]) = match request.method() {
        Method::Get | Method::Head => (Status::OK, text, b"Hello, World!"),
        Method::Post | Method::Put => (Status::OK, text, body),
        Method::Options => (Status::NO_CONTENT, allow, b""),
        m if m.is_known() => (Status::METHOD_NOT_ALLOWED, allow, b""),
        _ => (Status::NOT_IMPLEMENTED, &[], b""),
    };
    let head = ResponseHead {
        status,
        headers,
        persistence,
    };
    encode_full(&head, body, &cx, out).map_or(0, |done| done.len)
}

/// The response a server sends before closing on an error.
fn error_response(status: Status, version: Version, date: &Date, out: &mut [u8]) -> usize {
    let cx = EncodeContext {
        version,
        head_request: false,
        date: Some(date),
        server: ServerName::new("aurora").ok(),
    };
    let head = ResponseHead {
        status,
        headers: &[],
        persistence: Persistence::Close,
    };
    encode_full(&head, b"", &cx, out).map_or(0, |done| done.len)
}
