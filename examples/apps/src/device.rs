//! The device dashboard every backend serves: an embedded page, a small JSON API to read the
//! status and change the settings, a live feed of Server-Sent Events, and the server's own
//! metrics — written on [`aurora_app`]'s router, extractors, JSON bodies, assets and events.
//!
//! | request | answer |
//! |---|---|
//! | `GET /` | the embedded page (HTML with a little JavaScript), gzip variant, `ETag`, `304`, ranges |
//! | `GET /api/status` | JSON `{"uptime_ms", "requests", "config"}` |
//! | `GET /api/config` | JSON `{"name", "interval_ms", "led"}` |
//! | `PUT /api/config` | `200` with the new configuration; `422` with `{"error", "fields"}` naming the fields out of range; `400` malformed JSON; `415` another `Content-Type`; `413` a body past 512 bytes |
//! | `GET /api/events` | `text/event-stream`, one `status` event (the status JSON) per `interval_ms`, and a `: keep-alive` comment after 15 s without one |
//! | `GET /api/ws` | a WebSocket that echoes text and binary messages and answers the text `status` with the status JSON |
//! | `GET /metrics` | the metrics, as in [`hello`](crate::hello) |
//! | `HEAD` of each `GET`, `OPTIONS` of each path | from the routes: `204` with `Allow` |
//! | a known path, another method | `405` with `Allow` |
//! | any other path | `404` |
//!
//! A valid configuration is `name` of 1 to 32 characters, `interval_ms` from 100 to 60000
//! and `led` a boolean. The state every worker shares (configuration, request count, start)
//! sits behind [`Store`]: a plain value on a device ([`Local`]), a lock on a multi-threaded
//! server. The application reads time only as `now` handed to its producers: the uptime
//! counts from the first `now` the store saw.
//!
//! It never allocates, never reads a clock and never panics.

use core::fmt;

use aurora_app::assets::{self, Asset};
use aurora_app::response::{JSON_TYPE, Json, NO_STORE};
use aurora_app::router::{Resolved, Route, Router};
use aurora_app::sse::{self, EVENT_STREAM_TYPE, Event, Tick, Ticker};
use aurora_app::{Rejection, extract};
use aurora_core::conn::{
    Fill, Handler, Message, Never, Producer, RequestBody, Responder, Sender, SocketConfig,
    WebSocket,
};
use aurora_core::http::Status;
use aurora_core::http::request::Request;
use aurora_core::metrics::{RenderError, Renderer};
use aurora_core::time::{Duration, Instant};
use aurora_core::ws::{CloseCode, Handshake};
use serde::{Deserialize, Serialize};

use crate::hello::{METRICS_TYPE, MetricsBody, RenderMetrics};

/// The page at `/`, with its gzip variant compressed by the build script.
pub const PAGE: Asset = Asset::new(
    b"text/html; charset=utf-8",
    include_bytes!("../assets/device.html"),
)
.with_gzip(include_bytes!(concat!(env!("OUT_DIR"), "/device.html.gz")));

/// Most bytes of a `PUT /api/config` body.
pub const CONFIG_LIMIT: usize = 512;

/// Longest name, in characters.
pub const NAME_CHARS: usize = 32;

/// The range of `interval_ms`.
pub const INTERVAL_MS: core::ops::RangeInclusive<u32> = 100..=60_000;

/// Bytes a name may take: [`NAME_CHARS`] characters of up to 4 bytes.
const NAME_BYTES: usize = NAME_CHARS * 4;

/// Room for one status document, with a longest name escaped.
const STATUS_BYTES: usize = 512;

/// What each route does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum To {
    Page,
    Status,
    GetConfig,
    PutConfig,
    Events,
    Socket,
    Metrics,
}

const API: &[Route<To>] = &[
    Route::get("/status", To::Status),
    Route::get("/config", To::GetConfig),
    Route::put("/config", To::PutConfig),
    Route::get("/events", To::Events),
    Route::get("/ws", To::Socket),
];

const ROUTES: Router<To> = Router::new(&[
    Route::get("/", To::Page),
    Route::nest("/api", API),
    Route::get("/metrics", To::Metrics),
]);

/// The device's settings.
#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Config {
    name: Name,
    interval_ms: u32,
    led: bool,
}

/// A name of 1 to [`NAME_CHARS`] characters, inline.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Name {
    bytes: [u8; NAME_BYTES],
    len: usize,
}

/// A `PUT /api/config` body before validation: out-of-range numbers parse, so they get `422`.
#[derive(Debug, Deserialize)]
struct ConfigIn<'a> {
    name: &'a str,
    interval_ms: i64,
    led: bool,
}

/// The document of `/api/status` and of each event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
struct StatusDoc {
    uptime_ms: u64,
    requests: u64,
    config: Config,
}

/// The state the device shares between its workers.
pub trait Store {
    /// The current configuration.
    fn config(&self) -> Config;
    /// Replaces the configuration.
    fn set_config(&mut self, config: Config);
    /// Counts one request.
    fn count_request(&mut self);
    /// Requests counted so far.
    fn requests(&self) -> u64;
    /// When the device started: the first `now` this was called with.
    fn start(&mut self, now: Instant) -> Instant;
}

/// The [`Store`] of a single-threaded server: plain values.
#[derive(Clone, Copy, Debug, Default)]
pub struct Local {
    config: Config,
    requests: u64,
    start: Option<Instant>,
}

/// The device application. `M` renders the metrics (as for [`hello`](crate::hello)); `S`
/// holds the shared state.
pub struct Device<M, S> {
    metrics: M,
    store: S,
}

/// The bodies the device's connections pull.
#[derive(Debug)]
pub enum DeviceBody {
    /// `/api/status`, rendered when pulled.
    Status(Pulled),
    /// `/api/config` and the answer to a valid `PUT`.
    Config(Json<Config>),
    /// `/api/events`.
    Events(Events),
    /// `/metrics`.
    Metrics(MetricsBody),
    /// `/api/ws`, once upgraded.
    Socket(Socket),
}

/// The WebSocket of `/api/ws`: an echo that knows one command, `status`.
#[derive(Debug, Default)]
pub struct Socket;

/// The status document, taken at the `now` of its first pull and kept for the pulls that
/// send the rest of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pulled {
    doc: Option<Json<StatusDoc>>,
}

/// An event stream: one `status` event per `interval_ms`, the first at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Events {
    ticker: Ticker,
}

impl Name {
    fn new(name: &str) -> Option<Self> {
        let chars = name.chars().count();
        if chars == 0 || chars > NAME_CHARS {
            return None;
        }
        let mut bytes = [0; NAME_BYTES];
        // At most NAME_CHARS characters of at most 4 bytes each: within NAME_BYTES.
        bytes
            .get_mut(..name.len())?
            .copy_from_slice(name.as_bytes());
        Some(Self {
            bytes,
            len: name.len(),
        })
    }

    fn as_str(&self) -> &str {
        // Built from a `&str` only.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl Config {
    /// A configuration, or the names of the fields out of range.
    fn validate(input: &ConfigIn<'_>) -> Result<Self, &'static [u8]> {
        let name = Name::new(input.name);
        let interval_ms = u32::try_from(input.interval_ms)
            .ok()
            .filter(|ms| INTERVAL_MS.contains(ms));
        match (name, interval_ms) {
            (Some(name), Some(interval_ms)) => Ok(Config {
                name,
                interval_ms,
                led: input.led,
            }),
            (None, Some(_)) => Err(br#"{"error":"invalid config","fields":["name"]}"#),
            (Some(_), None) => Err(br#"{"error":"invalid config","fields":["interval_ms"]}"#),
            (None, None) => Err(br#"{"error":"invalid config","fields":["name","interval_ms"]}"#),
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The interval between two events.
    pub const fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms as u64)
    }

    /// Whether the LED is on.
    pub const fn led(&self) -> bool {
        self.led
    }
}

impl Default for Config {
    fn default() -> Self {
        let mut bytes = [0; NAME_BYTES];
        bytes[..6].copy_from_slice(b"aurora");
        Self {
            name: Name { bytes, len: 6 },
            interval_ms: 1000,
            led: false,
        }
    }
}

impl Serialize for Name {
    fn serialize<Z: serde::Serializer>(&self, z: Z) -> Result<Z::Ok, Z::Error> {
        z.serialize_str(self.as_str())
    }
}

impl Store for Local {
    fn config(&self) -> Config {
        self.config
    }

    fn set_config(&mut self, config: Config) {
        self.config = config;
    }

    fn count_request(&mut self) {
        self.requests = self.requests.saturating_add(1);
    }

    fn requests(&self) -> u64 {
        self.requests
    }

    fn start(&mut self, now: Instant) -> Instant {
        *self.start.get_or_insert(now)
    }
}

impl<M, S> Device<M, S> {
    /// The device, rendering `/metrics` with `metrics`, its state in `store`.
    pub const fn new(metrics: M, store: S) -> Self {
        Self { metrics, store }
    }
}

impl<M, S: Store> Device<M, S> {
    /// The status at `now`.
    fn status(&mut self, now: Instant) -> StatusDoc {
        let start = self.store.start(now);
        StatusDoc {
            uptime_ms: now.saturating_duration_since(start).as_millis(),
            requests: self.store.requests(),
            config: self.store.config(),
        }
    }

    fn answer(
        &mut self,
        req: &Request<'_>,
        body: RequestBody<'_>,
        res: &mut Responder<'_, DeviceBody>,
    ) -> Result<(), Rejection> {
        let to = match ROUTES.resolve(req.method(), req.path()) {
            Resolved::Found { target, .. } => *target,
            Resolved::Options(allow) => {
                let _ = res.send(Status::NO_CONTENT, &[("Allow", allow.as_bytes())], b"");
                return Ok(());
            }
            Resolved::MethodNotAllowed(allow) => {
                let _ = res.send(
                    Status::METHOD_NOT_ALLOWED,
                    &[("Allow", allow.as_bytes())],
                    b"",
                );
                return Ok(());
            }
            Resolved::NotFound => return Err(Rejection::new(Status::NOT_FOUND, "not found")),
        };
        if to != To::PutConfig && body.is_large() {
            let _ = res.refuse_body();
            return Ok(());
        }
        let json: &[(&str, &[u8])] = &[("Content-Type", JSON_TYPE), ("Cache-Control", NO_STORE)];
        let _ = match to {
            To::Page => assets::serve(&PAGE, req, res),
            To::Status => res.stream(Status::OK, json, DeviceBody::Status(Pulled::default())),
            To::GetConfig => res.stream(
                Status::OK,
                json,
                DeviceBody::Config(Json::new(self.store.config())),
            ),
            To::PutConfig => {
                let input: ConfigIn<'_> = extract::json(req, body, CONFIG_LIMIT)?;
                match Config::validate(&input) {
                    Ok(config) => {
                        self.store.set_config(config);
                        res.stream(Status::OK, json, DeviceBody::Config(Json::new(config)))
                    }
                    Err(fields) => res.send(Status::UNPROCESSABLE_CONTENT, json, fields),
                }
            }
            To::Events => {
                let events = Events {
                    ticker: Ticker::new(self.store.config().interval()),
                };
                let headers: &[(&str, &[u8])] = &[
                    ("Content-Type", EVENT_STREAM_TYPE),
                    ("Cache-Control", NO_STORE),
                ];
                res.stream(Status::OK, headers, DeviceBody::Events(events))
            }
            To::Socket => match Handshake::check(req) {
                Ok(handshake) => {
                    let socket = DeviceBody::Socket(Socket);
                    res.upgrade(&handshake, None, socket, SocketConfig::DEFAULT)
                }
                Err(error) => res.refuse_upgrade(error),
            },
            To::Metrics => res.stream(
                Status::OK,
                &[("Content-Type", METRICS_TYPE)],
                DeviceBody::Metrics(MetricsBody::default()),
            ),
        };
        Ok(())
    }
}

impl<M, S> Handler for Device<M, S>
where
    M: FnMut(&mut Renderer<'_>) -> Result<(), RenderError>,
    S: Store,
{
    type State = Self;
    type Body = DeviceBody;
    type Consumer = Never;

    fn state(&mut self) -> &mut Self {
        self
    }

    fn handle(
        &mut self,
        req: &Request<'_>,
        body: RequestBody<'_>,
        res: &mut Responder<'_, DeviceBody>,
    ) {
        self.store.count_request();
        if let Err(rejection) = self.answer(req, body, res) {
            if body.is_large() {
                // The body was never read: answer and close.
                res.close();
            }
            let _ = rejection.send(res);
        }
        if !res.is_answered() {
            // Without an answer the connection answers 500.
            res.close();
        }
    }
}

impl<M, S> RenderMetrics for Device<M, S>
where
    M: FnMut(&mut Renderer<'_>) -> Result<(), RenderError>,
{
    fn render_metrics(&mut self, r: &mut Renderer<'_>) -> Result<(), RenderError> {
        (self.metrics)(r)
    }
}

impl<M, S> Producer<Device<M, S>> for DeviceBody
where
    M: FnMut(&mut Renderer<'_>) -> Result<(), RenderError>,
    S: Store,
{
    const WEBSOCKET: bool = true;

    fn poll_fill(&mut self, app: &mut Device<M, S>, now: Instant, out: &mut [u8]) -> Fill {
        match self {
            DeviceBody::Status(pulled) => pulled
                .doc
                .get_or_insert_with(|| Json::new(app.status(now)))
                .fill(out),
            DeviceBody::Config(json) => json.fill(out),
            DeviceBody::Events(events) => events.fill(app, now, out),
            DeviceBody::Metrics(metrics) => metrics.poll_fill(app, now, out),
            // Never pulled as a body: the connection talks to it as a socket.
            DeviceBody::Socket(_) => Fill::Done,
        }
    }

    fn websocket(&mut self) -> Option<&mut dyn WebSocket<Device<M, S>>> {
        match self {
            DeviceBody::Socket(socket) => Some(socket),
            _ => None,
        }
    }
}

impl<M, S: Store> WebSocket<Device<M, S>> for Socket {
    fn receive(
        &mut self,
        app: &mut Device<M, S>,
        now: Instant,
        message: Message<'_>,
        out: &mut Sender<'_>,
    ) {
        // A reply that finds the queue full is dropped: the connection reads no more until
        // it drains, so an echo always fits.
        let _ = match message {
            Message::Text("status") => {
                let mut doc = [0u8; STATUS_BYTES];
                match serde_json_core::to_slice(&app.status(now), &mut doc) {
                    Ok(len) => out.text(core::str::from_utf8(&doc[..len]).unwrap_or("{}")),
                    Err(_) => out.close(CloseCode::INTERNAL_ERROR, "status too long"),
                }
            }
            message => out.echo(message),
        };
    }
}

impl Events {
    fn fill<M, S: Store>(&mut self, app: &mut Device<M, S>, now: Instant, out: &mut [u8]) -> Fill {
        match self.ticker.poll(now) {
            Tick::Wait(at) => return Fill::Until(at),
            Tick::KeepAlive => {
                return match sse::comment("keep-alive", out) {
                    Some(n) => {
                        self.ticker.kept_alive(now);
                        Fill::Filled(n)
                    }
                    None => Fill::Filled(0),
                };
            }
            Tick::Due => {}
        }
        let status = app.status(now);
        let mut doc = [0u8; STATUS_BYTES];
        let Ok(len) = serde_json_core::to_slice(&status, &mut doc) else {
            // STATUS_BYTES holds the longest status; a stalled stream is cut by the timeout.
            return Fill::Pending;
        };
        let data = core::str::from_utf8(&doc[..len]).unwrap_or("{}");
        let event = Event {
            event: Some("status"),
            data,
            ..Event::default()
        };
        match event.write(out) {
            Some(n) => {
                self.ticker.set_interval(status.config.interval());
                self.ticker.sent(now);
                Fill::Filled(n)
            }
            // Wait for the output queue to drain.
            None => Fill::Filled(0),
        }
    }
}

impl<M, S> fmt::Debug for Device<M, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Device").finish_non_exhaustive()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("name", &self.name())
            .field("interval_ms", &self.interval_ms)
            .field("led", &self.led)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        use aurora_core::http::method::Method::*;
        macro_rules! t {
            ($($m:expr, $p:literal => $want:expr;)+) => {$(
                let got = match ROUTES.resolve($m, $p) {
                    Resolved::Found { target, .. } => Ok(*target),
                    Resolved::Options(_) => Err(204),
                    Resolved::NotFound => Err(404),
                    Resolved::MethodNotAllowed(_) => Err(405),
                };
                assert_eq!(got, $want, "{} {}", $m, $p);
            )+};
        }
        t! {
            Get, "/" => Ok(To::Page);
            Head, "/" => Ok(To::Page);
            Get, "/api/status" => Ok(To::Status);
            Get, "/api/config" => Ok(To::GetConfig);
            Put, "/api/config" => Ok(To::PutConfig);
            Post, "/api/config" => Err(405);
            Options, "/api/config" => Err(204);
            Get, "/api/events" => Ok(To::Events);
            Get, "/api/ws" => Ok(To::Socket);
            Post, "/api/ws" => Err(405);
            Get, "/metrics" => Ok(To::Metrics);
            Get, "/index.html" => Err(404);
            Get, "/api" => Err(404);
        }
    }

    #[test]
    fn validates() {
        let input = |name, interval_ms| ConfigIn {
            name,
            interval_ms,
            led: true,
        };
        assert!(Config::validate(&input("x", 100)).is_ok());
        assert!(Config::validate(&input("ééééééééééééééééééééééééééééééé€", 60_000)).is_ok());
        let fields =
            |r: Result<Config, &'static [u8]>| r.err().map(|b| core::str::from_utf8(b).unwrap());
        assert_eq!(
            fields(Config::validate(&input("", 100))),
            Some(r#"{"error":"invalid config","fields":["name"]}"#)
        );
        assert!(
            fields(Config::validate(&input("x", 99)))
                .unwrap()
                .contains("interval_ms")
        );
        assert!(
            fields(Config::validate(&input("x", 60_001)))
                .unwrap()
                .contains("interval_ms")
        );
        assert!(
            fields(Config::validate(&input("x", -1)))
                .unwrap()
                .contains("interval_ms")
        );
        let long = "abcdefghijklmnopqrstuvwxyz0123456";
        assert!(
            fields(Config::validate(&input(long, 0)))
                .unwrap()
                .contains(r#"["name","interval_ms"]"#)
        );
    }

    /// On virtual time: events a minute apart, a keep-alive comment after 15 s of silence.
    #[test]
    fn a_quiet_stream_gets_keep_alives() {
        let at = Instant::from_millis;
        let mut device = Device::new((), Local::default());
        let config = Config {
            interval_ms: 60_000,
            ..Config::default()
        };
        device.store.set_config(config);
        let mut events = Events {
            ticker: Ticker::new(config.interval()),
        };
        let mut out = [0u8; 1024];
        let Fill::Filled(n) = events.fill(&mut device, at(0), &mut out) else {
            panic!()
        };
        assert!(out[..n].starts_with(b"event: status\ndata: {"));
        assert_eq!(
            events.fill(&mut device, at(1), &mut out),
            Fill::Until(at(15_000))
        );
        let Fill::Filled(n) = events.fill(&mut device, at(15_000), &mut out) else {
            panic!()
        };
        assert_eq!(&out[..n], b": keep-alive\n\n");
        assert_eq!(
            events.fill(&mut device, at(15_000), &mut out),
            Fill::Until(at(30_000))
        );
        assert_eq!(
            events.fill(&mut device, at(45_000), &mut out),
            Fill::Filled(n)
        );
        assert_eq!(
            events.fill(&mut device, at(45_000), &mut out),
            Fill::Until(at(60_000))
        );
        assert!(
            matches!(events.fill(&mut device, at(60_000), &mut out), Fill::Filled(n) if n > 20)
        );
        assert_eq!(
            events.fill(&mut device, at(60_001), &mut [0; 4]),
            Fill::Until(at(75_000))
        );
    }

    #[test]
    fn page_has_gzip_and_tags() {
        let (gz, tag) = PAGE.gzip.unwrap();
        assert_eq!(&gz[..2], &[0x1f, 0x8b]);
        assert!(gz.len() < PAGE.body.len());
        assert_ne!(tag, PAGE.etag);
    }
}
