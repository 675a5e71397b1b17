//! The application layer's bodies and extractors behind a real server on 127.0.0.1, checked by
//! independent clients: a JSON document and a text several times the largest buffer, pulled
//! window by window and parsed by Python's `json`; typed form, query and header extraction
//! and the `Location` answers, by a table of curl requests (method × path × input → status
//! and body); an event stream whose pauses are longer than every timeout. Every client runs
//! with a time limit.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod util;

use std::fmt;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use aurora::app::extract::{self, Param};
use aurora::app::response::{self, JSON_TYPE, Json, TEXT_TYPE, Text};
use aurora::app::router::{Resolved, Route, Router};
use aurora::app::sse::{EVENT_STREAM_TYPE, Event, Tick, Ticker};
use aurora::app::{Rejection, json, window::Window};
use aurora::core::conn::{Fill, Handler, Never, Producer, RequestBody, Responder};
use aurora::core::http::Status;
use aurora::core::http::request::Request;
use aurora::core::time::{Duration as CoreDuration, Instant};
use serde::{Deserialize, Serialize, Serializer, ser::SerializeSeq};

/// Items in the large JSON document (about 320 KB: past the largest buffer, 256 KiB, and 80
/// times the 4 KiB output queue it is pulled through).
const ITEMS: usize = 6_000;
/// Lines in the large text (about 320 KB).
const LINES: usize = 30_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum To {
    Big,
    Lines,
    Form,
    Query,
    Header,
    Create,
    Old,
    Feed,
}

const ROUTES: Router<To> = Router::new(&[
    Route::get("/big", To::Big),
    Route::get("/lines", To::Lines),
    Route::post("/form", To::Form),
    Route::get("/query", To::Query),
    Route::get("/header", To::Header),
    Route::post("/items", To::Create),
    Route::get("/old", To::Old),
    Route::get("/feed", To::Feed),
]);

/// Events in a `/feed` stream, and the time between two.
const FEED_EVENTS: u32 = 3;
const FEED_EVERY: CoreDuration = CoreDuration::from_millis(400);

/// `{"items": [{"i": 0, "name": "item \"0\"", "tags": ["a", "é\n"]}, …]}`, made as it is
/// written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Big;

#[derive(Serialize)]
struct Item {
    i: usize,
    name: Named,
    tags: [&'static str; 2],
}

/// `item "<n>"`, through `collect_str`.
struct Named(usize);

/// `LINES` lines `line <n>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Lines;

/// The form and query the table sends.
#[derive(Debug, Deserialize, Serialize)]
struct Led<'a> {
    name: &'a str,
    level: u8,
    on: bool,
    note: Option<&'a str>,
}

/// `FEED_EVENTS` events `FEED_EVERY` apart, then the end.
#[derive(Debug)]
struct Feed {
    ticker: Ticker,
    sent: u32,
}

#[derive(Debug)]
enum Body {
    Big(Json<Big>),
    Lines(Text<Lines>),
    Feed(Feed),
}

#[derive(Debug)]
struct App;

impl Serialize for Big {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Items;
        impl Serialize for Items {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(ITEMS))?;
                for i in 0..ITEMS {
                    seq.serialize_element(&Item {
                        i,
                        name: Named(i),
                        tags: ["a", "é\n"],
                    })?;
                }
                seq.end()
            }
        }
        #[derive(Serialize)]
        struct Doc {
            items: Items,
        }
        Doc { items: Items }.serialize(s)
    }
}

impl Serialize for Named {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "item \"{}\"", self.0)
    }
}

impl fmt::Display for Lines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (0..LINES).try_for_each(|i| writeln!(f, "line {i}"))
    }
}

impl Producer<App> for Body {
    fn poll_fill(&mut self, _: &mut App, now: Instant, out: &mut [u8]) -> Fill {
        match self {
            Body::Big(json) => json.fill(out),
            Body::Lines(text) => text.fill(out),
            Body::Feed(feed) if feed.sent == FEED_EVENTS => Fill::Done,
            Body::Feed(feed) => match feed.ticker.poll(now) {
                Tick::Wait(at) => Fill::Until(at),
                Tick::Due | Tick::KeepAlive => {
                    let event = Event {
                        event: Some("n"),
                        data: "x",
                        ..Event::default()
                    };
                    let Some(n) = event.write(out) else {
                        return Fill::Filled(0);
                    };
                    feed.ticker.sent(now);
                    feed.sent += 1;
                    Fill::Filled(n)
                }
            },
        }
    }
}

impl App {
    fn answer(
        &mut self,
        req: &Request<'_>,
        body: RequestBody<'_>,
        res: &mut Responder<'_, Body>,
    ) -> Result<(), Rejection> {
        let Resolved::Found { target, .. } = ROUTES.resolve(req.method(), req.path()) else {
            return Err(Rejection::new(Status::NOT_FOUND, "not found"));
        };
        let mut scratch = [0u8; 128];
        let _ = match target {
            To::Big => response::json(res, Status::OK, Json::new(Big), Body::Big),
            To::Lines => res.stream(
                Status::OK,
                &[("Content-Type", TEXT_TYPE)],
                Body::Lines(Text::new(Lines)),
            ),
            To::Form => {
                let led: Led<'_> = extract::form(req, body, 256, &mut scratch)?;
                send_json(res, &led)
            }
            To::Query => {
                let led: Led<'_> = extract::query_as(req, &mut scratch)?;
                send_json(res, &led)
            }
            To::Header => {
                let Param(count) = extract::header::<Param<u32>>(req, "x-count")?;
                let agent: &str = extract::header(req, "user-agent")?;
                send_json(res, &(count, agent.starts_with("curl/")))
            }
            To::Create => {
                let _: &str = extract::text(body, 64)?;
                response::created(res, b"/items/7", Json::new(Big), Body::Big)
            }
            To::Old => response::redirect(res, Status::SEE_OTHER, b"/new?from=old"),
            To::Feed => res.stream(
                Status::OK,
                &[("Content-Type", EVENT_STREAM_TYPE)],
                Body::Feed(Feed {
                    ticker: Ticker::new(FEED_EVERY),
                    sent: 0,
                }),
            ),
        };
        Ok(())
    }
}

/// Answers `200` with `value` as JSON, written whole into a stack buffer.
fn send_json<T: Serialize>(
    res: &mut Responder<'_, Body>,
    value: &T,
) -> Result<(), aurora::core::conn::RespondError> {
    let mut out = [0u8; 256];
    let mut window = Window::new(&mut out, 0);
    json::write(value, &mut window).expect("fits");
    let len = window.len();
    res.send(Status::OK, &[("Content-Type", JSON_TYPE)], &out[..len])
}

impl Handler for App {
    type State = App;
    type Body = Body;
    type Consumer = Never;

    fn state(&mut self) -> &mut App {
        self
    }

    fn handle(&mut self, req: &Request<'_>, body: RequestBody<'_>, res: &mut Responder<'_, Body>) {
        if body.is_large() {
            let _ = res.refuse_body();
            return;
        }
        if let Err(rejection) = self.answer(req, body, res) {
            let _ = rejection.send(res);
        }
    }
}

fn start() -> (aurora_linux::Running, SocketAddr) {
    start_with(|_| {})
}

/// A server with [`util::options`], one worker, changed by `tweak`.
fn start_with(
    tweak: impl FnOnce(&mut aurora_linux::Options),
) -> (aurora_linux::Running, SocketAddr) {
    let mut options = util::options();
    options.config.workers = 1;
    tweak(&mut options);
    let running = aurora_linux::start(options, |_| App).expect("the server starts");
    let addr = running.local_addr();
    (running, addr)
}

/// `curl` with a 20 s limit and `args` at `path`: the status line's code, the headers
/// (lower-cased) and the body.
fn curl(addr: SocketAddr, path: &str, args: &[&str]) -> (u16, String, Vec<u8>) {
    let dir = std::env::temp_dir().join(format!("aurora-http-app-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let head = dir.join(format!("head-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
    let output = Command::new("curl")
        .args(["-sS", "--max-time", "20", "-D"])
        .arg(&head)
        .args(args)
        .arg(format!("http://{addr}{path}"))
        .output()
        .expect("run curl (Debian package curl)");
    assert!(
        output.status.success(),
        "curl {args:?} {path}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let head = std::fs::read_to_string(&head).unwrap().to_lowercase();
    let code = head.split(' ').nth(1).unwrap().parse().unwrap();
    (code, head, output.stdout)
}

#[test]
fn documents_larger_than_any_buffer_arrive_whole() {
    let (running, addr) = start();
    let (code, head, body) = curl(addr, "/big", &[]);
    assert_eq!(code, 200);
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(body.len() > 262_144, "{} bytes", body.len());
    // Python's own JSON parser checks the document, item by item.
    let check = format!(
        "import json, sys\n\
         d = json.load(sys.stdin)\n\
         items = d['items']\n\
         assert len(items) == {ITEMS}, len(items)\n\
         for i, it in enumerate(items):\n    \
             assert it == {{'i': i, 'name': 'item \"%d\"' % i, 'tags': ['a', '\\u00e9\\n']}}, it\n"
    );
    let mut python = Command::new("python3")
        .args(["-c", &check])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("run python3");
    std::io::Write::write_all(python.stdin.as_mut().unwrap(), &body).unwrap();
    drop(python.stdin.take());
    assert!(
        python.wait().unwrap().success(),
        "python rejected the document"
    );

    let (code, _, body) = curl(addr, "/lines", &[]);
    assert_eq!(code, 200);
    let text = String::from_utf8(body).unwrap();
    assert_eq!(text.lines().count(), LINES);
    assert!(
        text.lines()
            .enumerate()
            .all(|(i, l)| l == format!("line {i}"))
    );
    running.stop_handle().stop();
    running.join().unwrap();
}

/// `method path args => status, a piece of the body (or of the head, for `Location`)`.
#[test]
fn extractors_by_table() {
    let (running, addr) = start();
    let form = "application/x-www-form-urlencoded";
    let json = "application/json";
    macro_rules! t {
        ($($method:literal $path:literal [$($arg:expr),*] => $code:literal, $want:literal;)+) => {$({
            let args: &[&str] = &["-X", $method, $($arg),*];
            let (code, head, body) = curl(addr, $path, args);
            let body = String::from_utf8_lossy(&body);
            assert_eq!(code, $code, "{} {} {:?}: {head}{body}", $method, $path, args);
            assert!(
                body.contains($want) || head.contains($want),
                "{} {} {:?}: {head}{body}", $method, $path, args
            );
        })+};
    }
    t! {
        "POST" "/form" ["-H", &format!("content-type: {form}"), "--data", "name=desk+lamp&level=7&on=on"]
            => 200, r#"{"name":"desk lamp","level":7,"on":true,"note":null}"#;
        "POST" "/form" ["-H", &format!("content-type: {form}; charset=utf-8"), "--data", "on=false&level=0&note=%C3%A9&name=x"]
            => 200, r#"{"name":"x","level":0,"on":false,"note":"é"}"#;
        "POST" "/form" ["-H", &format!("content-type: {form}"), "--data", "name=x&level=256&on=on"]
            => 400, "bad or missing field";
        "POST" "/form" ["-H", &format!("content-type: {form}"), "--data", "name=x&on=on"]
            => 400, "bad or missing field";
        "POST" "/form" ["-H", &format!("content-type: {form}"), "--data", "name=%G0&level=1&on=on"]
            => 400, "bad percent-encoding";
        "POST" "/form" ["-H", &format!("content-type: {json}"), "--data", "name=x&level=1&on=on"]
            => 415, "unsupported Content-Type";
        "POST" "/form" ["-H", &format!("content-type: {form}"), "--data", &"a=b&".repeat(100)]
            => 413, "body too large";
        "GET" "/query?level=3&name=a%2Fb&on=true&extra=1" [] => 200, r#"{"name":"a/b","level":3,"on":true"#;
        "GET" "/query" [] => 400, "bad or missing field";
        "GET" "/query?level=x&name=a&on=true" [] => 400, "bad or missing field";
        "GET" "/header" ["-H", "x-count: 42"] => 200, "[42,true]";
        "GET" "/header" ["-H", "x-count: +42"] => 400, "bad header value";
        "GET" "/header" ["-H", "x-count: 4294967296"] => 400, "bad header value";
        "GET" "/header" [] => 400, "missing header";
        "POST" "/items" ["--data", "new"] => 201, "location: /items/7";
        "GET" "/old" [] => 303, "location: /new?from=old";
        "GET" "/nope" [] => 404, "not found";
    }
    running.stop_handle().stop();
    running.join().unwrap();
}

/// An event stream outlives every timeout shorter than its pauses: while the producer waits
/// (`Fill::Until`) nothing is queued, so no write timeout runs, and no idle or read timeout
/// runs while a response goes out.
#[test]
fn a_quiet_stream_outlives_the_timeouts() {
    let (running, addr) = start_with(|options| {
        let t = &mut options.config.timeouts;
        t.write = CoreDuration::from_millis(150);
        t.keep_alive_idle = CoreDuration::from_millis(150);
        t.body_read = CoreDuration::from_millis(150);
    });
    let started = std::time::Instant::now();
    let (code, head, body) = curl(addr, "/feed", &["-N"]);
    assert_eq!(code, 200);
    assert!(head.contains("text/event-stream"), "{head}");
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "event: n\ndata: x\n\n".repeat(FEED_EVENTS as usize)
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(750));
    running.stop_handle().stop();
    running.join().unwrap();
}
