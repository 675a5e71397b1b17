//! The layers behind a real [`Connection`]: one request in, the bytes written out, read by
//! httparse. A bearer token that is missing or wrong gets `401` with `WWW-Authenticate`, a
//! CORS preflight is answered by the layer, and the access log sees every answer.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::cell::RefCell;
use std::rc::Rc;

use aurora_app::middleware::{Access, AccessLog, Bearer, Cors, Layered};
use aurora_core::config::ServerConfig;
use aurora_core::conn::{Connection, Env, Handler, RequestBody, Responder, Spans};
use aurora_core::http::Status;
use aurora_core::http::header::HeaderSpan;
use aurora_core::http::request::Request;
use aurora_core::mem::buffer_pool::{BufferPool, ClassRegion, Slot};
use aurora_core::time::Instant;

/// The output of `handler` for `request`, sent on a fresh connection.
fn exchange<H: Handler>(handler: &mut H, request: &[u8]) -> Vec<u8> {
    let region = |class: usize| {
        let bytes = Box::leak(vec![0u8; class * 2].into_boxed_slice());
        ClassRegion::new(bytes, Box::leak(vec![Slot::EMPTY; 2].into_boxed_slice()))
    };
    let mut pool = BufferPool::new(
        1,
        [
            region(1024),
            region(4096),
            region(16384),
            region(65536),
            region(262_144),
        ],
    );
    let mut spans = Spans::new(Box::leak(vec![HeaderSpan::EMPTY; 32].into_boxed_slice()));
    let now = Instant::from_millis(1_000);
    let mut conn = Connection::new(&ServerConfig::DEFAULT, now);
    let space = conn.read_buf(&mut pool).unwrap();
    space[..request.len()].copy_from_slice(request);
    let mut env = Env {
        pool: &mut pool,
        handler,
        date: None,
        spans: &mut spans,
        observer: &mut (),
        arena: None,
        peer: None,
    };
    conn.handle_read(request.len(), now, &mut env);
    let mut out = Vec::new();
    for _ in 0..100 {
        let Some(queued) = conn.poll_transmit(env.pool) else {
            return out;
        };
        let n = queued.len();
        out.extend_from_slice(queued);
        conn.handle_written(n, now, &mut env);
    }
    panic!("livelock");
}

/// Status and headers (lower-case names) of the first response in `out`.
fn head(out: &[u8]) -> (u16, Vec<(String, String)>) {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut resp = httparse::Response::new(&mut headers);
    resp.parse(out).unwrap();
    let headers = resp
        .headers
        .iter()
        .map(|h| {
            let value = String::from_utf8_lossy(h.value).into_owned();
            (h.name.to_lowercase(), value)
        })
        .collect();
    (resp.code.unwrap(), headers)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

type App = fn(&Request<'_>, RequestBody<'_>, &mut Responder<'_>);

/// `200 ok` to everything.
fn app(_: &Request<'_>, _: RequestBody<'_>, res: &mut Responder<'_>) {
    let _ = res.send(Status::OK, &[], b"ok");
}

type Log = Rc<RefCell<Vec<(String, Option<u16>)>>>;

const BEARER: Bearer = Bearer {
    token: b"s3cret",
    challenge: b"Bearer realm=\"device\"",
    prefix: "/api/",
};

const CORS: Cors = Cors {
    origin: b"https://example.com",
    methods: b"GET, PUT",
    headers: b"Content-Type, Authorization",
    max_age: b"600",
};

#[test]
fn layers_by_table() {
    let log: Log = Rc::default();
    let sink = {
        let log = Rc::clone(&log);
        move |a: &Access<'_>| {
            let line = (a.path.to_owned(), a.status.map(|s| s.code()));
            log.borrow_mut().push(line);
        }
    };
    let inner = Layered::new(BEARER, app as App);
    let mut stack = Layered::new(AccessLog(sink), Layered::new(CORS, inner));
    macro_rules! t {
        ($($req:expr => $code:literal $(, $name:literal = $value:literal)*;)+) => {$({
            let req: &[u8] = $req;
            let (code, _headers) = head(&exchange(&mut stack, req));
            let shown = String::from_utf8_lossy(req);
            assert_eq!(code, $code, "{shown}");
            $(assert_eq!(header(&_headers, $name), Some($value), "{shown}");)*
        })+};
    }
    let preflight: &[u8] = b"OPTIONS /api/x HTTP/1.1\r\nHost: x\r\nOrigin: https://example.com\r\n\
        Access-Control-Request-Method: PUT\r\n\r\n";
    t! {
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" => 200;
        b"GET /api/x HTTP/1.1\r\nHost: x\r\n\r\n" => 401,
            "www-authenticate" = "Bearer realm=\"device\"";
        b"GET /api/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n\r\n" => 401;
        b"GET /api/x HTTP/1.1\r\nHost: x\r\nAuthorization: Basic s3cret\r\n\r\n" => 401;
        b"GET /api/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n\r\n" => 200;
        b"GET /api/x HTTP/1.1\r\nHost: x\r\nAuthorization: bearer s3cret\r\n\r\n" => 200;
        preflight => 204, "access-control-allow-origin" = "https://example.com",
            "access-control-allow-methods" = "GET, PUT", "access-control-max-age" = "600";
        b"OPTIONS /api/x HTTP/1.1\r\nHost: x\r\n\r\n" => 401;
    }
    let log = log.borrow();
    assert_eq!(log.len(), 8, "one line per request: {log:?}");
    assert_eq!(log[1], ("/api/x".to_owned(), Some(401)));
    assert_eq!(log[6], ("/api/x".to_owned(), Some(204)));
}
