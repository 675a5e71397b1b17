//! Instruction counts, the figure a shared, noisy machine cannot disturb: runs one operation
//! of the other benches `N` times with nothing else around it, for `valgrind --tool=cachegrind`
//! to count. `benches/count.sh` runs every case twice (`N` and 0 iterations) and prints the
//! difference divided by `N`: the instructions of one call.
//!
//! Usage (what `count.sh` does): `instructions <case> <iterations>`, cases `parse-curl`,
//! `parse-browser`, `httparse-curl`, `httparse-browser`, `encode`, `chunked-64`,
//! `chunked-4096` (the chunked cases decode a 64 KiB body per iteration), `conn-keepalive`
//! (one request through a sans-IO `Connection` serving `Hello`: read, parse, answer, write)
//! and `conn-pipelined` (16 such requests per read; counted per request); `conn-pipelined-bare`
//! is `conn-pipelined` served by a hand-written `match` instead of `Hello`'s router, the floor
//! the router's cost is measured against; `route-nested` resolves one request line against a
//! nested table of eight routes (the parameter's route last), the matching alone.

mod common;

use std::hint::black_box;
use std::process::ExitCode;

use aurora::app::router::{Resolved, Route, Router};
use aurora::core::config::ServerConfig;
use aurora::core::conn::{Connection, Env, Handler, RequestBody, Responder, Spans};
use aurora::core::http::Status;
use aurora::core::http::date::Date;
use aurora::core::http::header::HeaderSpan;
use aurora::core::http::method::Method;
use aurora::core::http::request::Request;
use aurora::core::http::response::CheckedFields;
use aurora::core::mem::buffer_pool::{BufferPool, ClassRegion, Slot};
use aurora::core::metrics::{RenderError, Renderer};
use aurora::core::time::Instant;
use aurora_apps::hello::{GREETING, GREETING_TYPE, Hello, METRICS_PATH};
use common::{
    BROWSER, CURL, aurora_parse, chunked_wire, decode_all, encode_response, httparse_parse,
    response_context,
};

/// Body bytes each chunked iteration decodes.
const CHUNKED_BODY: usize = 64 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(case), Some(Ok(iterations))) = (args.get(1), args.get(2).map(|n| n.parse())) else {
        eprintln!("usage: instructions <case> <iterations>");
        return ExitCode::FAILURE;
    };
    let iterations: usize = iterations;
    let mut spans = [HeaderSpan::EMPTY; 64];
    let date = Date::from_unix_secs(1_764_100_000);
    let cx = response_context(&date);
    let mut out = [0u8; 512];
    let wire = match case.as_str() {
        "chunked-64" => chunked_wire(CHUNKED_BODY, 64),
        "chunked-4096" => chunked_wire(CHUNKED_BODY, 4096),
        _ => Vec::new(),
    };
    if let Some(depth) = match case.as_str() {
        "conn-keepalive" => Some(1),
        "conn-pipelined" | "conn-pipelined-bare" => Some(16),
        _ => None,
    } {
        let total = if case.ends_with("-bare") {
            serve(&mut bare, depth, iterations)
        } else {
            serve(&mut Hello::new(render as Render), depth, iterations)
        };
        println!("{case}: {iterations} iterations, checksum {total}");
        return ExitCode::SUCCESS;
    }
    let mut total = 0u64;
    for _ in 0..iterations {
        let done = match case.as_str() {
            "parse-curl" => aurora_parse(black_box(CURL), &mut spans),
            "parse-browser" => aurora_parse(black_box(BROWSER), &mut spans),
            "httparse-curl" => httparse_parse(black_box(CURL)),
            "httparse-browser" => httparse_parse(black_box(BROWSER)),
            "encode" => encode_response(&cx, &mut out),
            "route-nested" => route_nested(black_box("/api/leds/7")),
            "chunked-64" | "chunked-4096" => decode_all(black_box(&wire)) as usize,
            _ => {
                eprintln!("unknown case {case}");
                return ExitCode::FAILURE;
            }
        };
        total = total.wrapping_add(done as u64);
    }
    println!("{case}: {iterations} iterations, checksum {total}");
    ExitCode::SUCCESS
}

/// A nested table the shape of a device's API, the parameter's route last.
const NESTED: Router<u8> = Router::new(&[
    Route::get("/", 0),
    Route::nest(
        "/api",
        &[
            Route::get("/status", 1),
            Route::get("/config", 2),
            Route::put("/config", 3),
            Route::get("/events", 4),
            Route::get("/leds", 5),
            Route::put("/leds/{id}", 6),
        ],
    ),
    Route::get("/metrics", 7),
]);

/// `PUT path` through [`NESTED`]: the target plus its parameter, to keep the work.
fn route_nested(path: &str) -> usize {
    match NESTED.resolve(Method::Put, path) {
        Resolved::Found { target, params } => {
            usize::from(*target) + usize::from(params.parse::<u8>(0).unwrap_or(0))
        }
        _ => 0,
    }
}

type Render = fn(&mut Renderer<'_>) -> Result<(), RenderError>;

fn render(r: &mut Renderer<'_>) -> Result<(), RenderError> {
    r.gauge("up", "", &[], 1)
}

/// The greeting's fields, checked once, as `Hello` has them.
const GREETING_FIELDS: CheckedFields<'static> =
    match CheckedFields::new(&[("Content-Type", GREETING_TYPE)]) {
        Ok(fields) => fields,
        Err(_) => panic!("an invalid header field"),
    };

/// `Hello`'s greeting by a hand-written `match`: what it answers a `GET` without a router.
fn bare(req: &Request<'_>, _: RequestBody<'_>, res: &mut Responder<'_>) {
    let _ = match req.method() {
        Method::Get | Method::Head if req.path() != METRICS_PATH => {
            res.send_static_checked(Status::OK, GREETING_FIELDS, GREETING)
        }
        _ => res.send(Status::NOT_IMPLEMENTED, &[], b""),
    };
}

/// Serves `iterations` batches of `depth` pipelined `GET /` requests through one `Connection`
/// running `handler`, each batch in one read and its answers drained in one write; returns the
/// bytes written.
fn serve<H: Handler>(handler: &mut H, depth: usize, iterations: usize) -> u64 {
    let request = CURL.repeat(depth);
    let mut bytes = vec![0u8; 8 * 4096];
    let mut slots = [Slot::EMPTY; 8];
    let mut pool = BufferPool::new(
        1,
        [
            ClassRegion::empty(),
            ClassRegion::new(&mut bytes, &mut slots),
            ClassRegion::empty(),
            ClassRegion::empty(),
            ClassRegion::empty(),
        ],
    );
    let mut table = [HeaderSpan::EMPTY; 64];
    let mut spans = Spans::new(&mut table);
    let mut config = ServerConfig::DEFAULT;
    config.max_requests_per_connection = u32::MAX;
    let now = Instant::ZERO;
    let mut conn: Connection<H> = Connection::new(&config, now);
    let mut total = 0u64;
    for _ in 0..iterations {
        let Ok(space) = conn.read_buf(&mut pool) else {
            break;
        };
        space[..request.len()].copy_from_slice(black_box(&request));
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
        while let Some(out) = conn.poll_transmit(env.pool) {
            let n = black_box(out).len();
            total += n as u64;
            conn.handle_written(n, now, &mut env);
        }
    }
    total
}
