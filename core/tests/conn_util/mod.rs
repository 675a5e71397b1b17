//! A virtual-time driver for one [`Connection`]: a peer that feeds bytes, drains output with an
//! optional per-write limit, fires deadlines on a virtual clock, and parses every response with
//! httparse as an independent oracle. Every drive loop has a step bound to catch livelock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use aurora_core::config::ServerConfig;
use aurora_core::conn::{
    CloseReason, ConnEvent, Connection, Consumer, End, Env, Fill, Handler, Observer, Producer,
    ReadError, RequestBody, Responder, Spans, State,
};
use aurora_core::http::Status;
use aurora_core::http::header::HeaderSpan;
use aurora_core::http::request::Request;
use aurora_core::mem::buffer_pool::{BufferPool, ClassRegion, SizeClass, Slot};
use aurora_core::time::{Duration, Instant};

/// Most steps one drive may take before it is called a livelock.
pub const MAX_STEPS: usize = 10_000;

/// What the handler saw of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
}

/// A handler that answers `200` with `<METHOD> <path> <body>` (or per `mode`). A path that
/// starts with `/stream` gets the same answer pulled from a [`Body`] producer. Large bodies
/// go to an [`EchoParts`] consumer, which echoes them as a pushed stream written while the
/// body arrives (in `Mode::Echo`; in other modes it answers nothing).
#[derive(Default)]
pub struct App {
    pub seen: Vec<Seen>,
    pub mode: Mode,
    pub calls: usize,
    /// Calls of `Producer::poll_fill`.
    pub fills: usize,
    /// How each producer and consumer was told its exchange ended, in order.
    pub ends: Vec<End>,
    /// The length of every body part handed over, in order.
    pub parts: Vec<usize>,
    /// Parts whose echo did not fit in one `write` (the connection promises none).
    pub short_writes: usize,
    /// While set, producers have nothing to write (`Fill::Pending`).
    pub stalled: bool,
    /// The body of the request being received in parts.
    pub body: Vec<u8>,
    /// Most bytes a producer writes per fill (`None`: as many as fit).
    pub step: Option<usize>,
}

/// How [`App`] answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// `200` with `<METHOD> <path> <body>`.
    #[default]
    Echo,
    /// Sends nothing.
    Silent,
    /// `200` with a body of this many `x`, sent whole.
    Sized(usize),
    /// `200` pulled from a producer of unknown length, a body of this many `x`.
    Stream(usize),
    /// `200` pulled from a producer with `Content-Length`, a body of this many `x`.
    StreamSized(usize),
    /// `200` with this static body.
    Static(&'static [u8]),
    /// `200` announcing `Content-Length: announced` from a producer that ends after
    /// `produced` bytes of `x`.
    Short { announced: usize, produced: usize },
}

/// A pulled body: the bytes left to produce, at most `step` per fill.
#[derive(Debug)]
pub struct Body {
    pub data: Vec<u8>,
    pub step: usize,
}

impl Body {
    pub fn new(data: Vec<u8>) -> Self {
        Self {
            data,
            step: usize::MAX,
        }
    }
}

impl Producer<App> for Body {
    fn poll_fill(&mut self, app: &mut App, _now: Instant, out: &mut [u8]) -> Fill {
        app.fills += 1;
        assert!(!out.is_empty(), "a fill is offered space");
        if app.stalled {
            return Fill::Pending;
        }
        if self.data.is_empty() {
            return Fill::Done;
        }
        let n = self.data.len().min(out.len()).min(self.step);
        out[..n].copy_from_slice(&self.data[..n]);
        self.data.drain(..n);
        Fill::Filled(n)
    }

    fn end(&mut self, app: &mut App, how: End) {
        app.ends.push(how);
    }
}

/// Takes a large body part by part; in `Mode::Echo` echoes it as a pushed stream after a
/// `<METHOD> <path> ` prefix.
#[derive(Debug)]
pub struct EchoParts {
    pub seen: Seen,
}

impl Consumer<App, Body> for EchoParts {
    fn consume(
        &mut self,
        app: &mut App,
        part: &[u8],
        last: bool,
        res: &mut Responder<'_, Body, Self>,
    ) {
        app.parts.push(part.len());
        app.body.extend_from_slice(part);
        if app.mode == Mode::Echo {
            if !res.is_answered() {
                res.start_stream(Status::OK, &[("Content-Type", b"text/plain")])
                    .expect("the head fits");
                // A method or path of kilobytes (random input builds them) may not fit: a
                // short write like any other, not a failed test.
                let prefix = format!("{} {} ", self.seen.method, self.seen.path).into_bytes();
                if res.write(&prefix) != Ok(prefix.len()) {
                    app.short_writes += 1;
                }
            }
            if res.write(part) != Ok(part.len()) {
                app.short_writes += 1;
            }
        }
        if last {
            let mut seen = self.seen.clone();
            seen.body = std::mem::take(&mut app.body);
            app.seen.push(seen);
            if res.is_streaming() {
                res.finish().expect("the last chunk fits");
            }
        }
    }

    fn end(&mut self, app: &mut App, how: End) {
        app.ends.push(how);
    }
}

impl Handler for App {
    type State = App;
    type Body = Body;
    type Consumer = EchoParts;

    fn state(&mut self) -> &mut App {
        self
    }

    fn handle(
        &mut self,
        req: &Request<'_>,
        body: RequestBody<'_>,
        res: &mut Responder<'_, Body, EchoParts>,
    ) {
        self.calls += 1;
        let seen = Seen {
            method: req.method().as_str().to_string(),
            path: req.path().to_string(),
            body: body.bytes().to_vec(),
        };
        if body.is_large() {
            res.consume(EchoParts { seen })
                .expect("a large body can be consumed");
            return;
        }
        let text = || {
            let mut text = format!("{} {} ", seen.method, seen.path).into_bytes();
            text.extend_from_slice(&seen.body);
            text
        };
        let headers: &[(&str, &[u8])] = &[("Content-Type", b"text/plain")];
        let step = self.step.unwrap_or(usize::MAX);
        let body = |data: Vec<u8>| Body { data, step };
        let sent = match self.mode {
            Mode::Echo if seen.path.starts_with("/stream") => {
                res.stream(Status::OK, headers, body(text()))
            }
            Mode::Echo => res.send(Status::OK, headers, &text()),
            Mode::Silent => Ok(()),
            Mode::Sized(n) => res.send(Status::OK, headers, &vec![b'x'; n]),
            Mode::Stream(n) => res.stream(Status::OK, headers, body(vec![b'x'; n])),
            Mode::StreamSized(n) => {
                res.stream_sized(Status::OK, headers, n as u64, body(vec![b'x'; n]))
            }
            Mode::Static(bytes) => res.send_static(Status::OK, headers, bytes),
            Mode::Short {
                announced,
                produced,
            } => res.stream_sized(
                Status::OK,
                headers,
                announced as u64,
                body(vec![b'x'; produced]),
            ),
        };
        if sent.is_ok() {
            self.seen.push(seen);
        }
    }
}

/// One response as httparse read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resp {
    pub code: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    pub fn closes(&self) -> bool {
        self.header("connection") == Some(b"close")
    }
}

/// Parses back-to-back responses (`HEAD` answers must not be in `out`).
pub fn parse_responses(mut out: &[u8]) -> Vec<Resp> {
    let mut all = Vec::new();
    while !out.is_empty() {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut resp = httparse::Response::new(&mut headers);
        let len = match resp.parse(out).expect("httparse accepts the response") {
            httparse::Status::Complete(len) => len,
            httparse::Status::Partial => {
                panic!("partial response: {:?}", String::from_utf8_lossy(out))
            }
        };
        let code = resp.code.unwrap();
        let headers: Vec<(String, Vec<u8>)> = resp
            .headers
            .iter()
            .map(|h| (h.name.to_string(), h.value.to_vec()))
            .collect();
        let find = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let rest = &out[len..];
        let (body, used) = if let Some(v) = find("content-length") {
            let body_len: usize = std::str::from_utf8(&v).unwrap().parse().unwrap();
            (rest[..body_len].to_vec(), body_len)
        } else if find("transfer-encoding").as_deref() == Some(b"chunked") {
            decode_chunked(rest)
        } else if find("connection").as_deref() == Some(b"close") && code >= 200 {
            (rest.to_vec(), rest.len())
        } else {
            (Vec::new(), 0)
        };
        out = &rest[used..];
        all.push(Resp {
            code,
            headers,
            body,
        });
    }
    all
}

/// Decodes a complete chunked body (no trailers) at the start of `input`; returns it and the
/// bytes it took. Strict, so a framing bug in the server fails the test.
pub fn decode_chunked(input: &[u8]) -> (Vec<u8>, usize) {
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let line_end = pos
            + input[pos..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("a complete chunk-size line");
        let size = usize::from_str_radix(std::str::from_utf8(&input[pos..line_end]).unwrap(), 16)
            .expect("a hex chunk size");
        pos = line_end + 2;
        if size == 0 {
            assert_eq!(&input[pos..pos + 2], b"\r\n", "no trailers, then CRLF");
            return (body, pos + 2);
        }
        body.extend_from_slice(&input[pos..pos + size]);
        assert_eq!(
            &input[pos + size..pos + size + 2],
            b"\r\n",
            "chunk data ends in CRLF"
        );
        pos += size + 2;
    }
}

/// Encodes `body` as a chunked body in chunks of `chunk` bytes.
pub fn encode_chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in body.chunks(chunk) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// A pool over leaked memory: `n4` buffers of 4 KiB, `n16` of 16 KiB and `n64` of 64 KiB.
pub fn pool(n4: usize, n16: usize, n64: usize) -> BufferPool<'static> {
    pool_of([0, n4, n16, n64, 0])
}

/// A pool over leaked memory with `counts[i]` buffers of class `SizeClass::ALL[i]`.
pub fn pool_of(counts: [usize; 5]) -> BufferPool<'static> {
    let regions = SizeClass::ALL.map(|class| {
        let n = counts[class.index()];
        let bytes = Box::leak(vec![0u8; class.bytes() * n].into_boxed_slice());
        let slots = Box::leak(vec![Slot::EMPTY; n].into_boxed_slice());
        ClassRegion::new(bytes, slots)
    });
    BufferPool::new(1, regions)
}

/// The `Env` of a `Peer`, borrowing its fields (not `self`, so `self.conn` stays usable).
macro_rules! peer_env {
    ($peer:expr) => {
        Env {
            pool: &mut $peer.pool,
            handler: &mut $peer.app,
            date: None,
            spans: &mut $peer.spans,
            observer: &mut $peer.events,
            arena: None,
            peer: None,
        }
    };
}

/// Records a connection's events.
#[derive(Default, Debug)]
pub struct Events(pub Vec<ConnEvent>);

impl Observer for Events {
    fn event(&mut self, event: ConnEvent) {
        self.0.push(event);
    }
}

/// The server side of one connection plus its clock, pool and handler.
pub struct Peer {
    pub conn: Connection<App>,
    pub spans: Spans<'static>,
    /// Every event the connection reported.
    pub events: Events,
    pub pool: BufferPool<'static>,
    pub app: App,
    pub now: Instant,
    /// Every byte the server sent.
    pub out: Vec<u8>,
    /// The size of each `poll_transmit` batch as first offered.
    pub batches: Vec<usize>,
    /// Most bytes accepted per write (`usize::MAX`: all).
    pub write_limit: usize,
    /// Whether the socket accepts writes.
    pub writable: bool,
    pub closed: Option<CloseReason>,
}

impl Peer {
    pub fn new(config: ServerConfig) -> Self {
        Self::with_pool(config, pool(4, 2, 2))
    }

    /// A peer whose connection takes its buffers from `pool`.
    pub fn with_pool(config: ServerConfig, pool: BufferPool<'static>) -> Self {
        let now = Instant::from_millis(1_000);
        Self {
            conn: Connection::new(&config, now),
            spans: Spans::new(Box::leak(vec![HeaderSpan::EMPTY; 64].into_boxed_slice())),
            events: Events::default(),
            pool,
            app: App::default(),
            now,
            out: Vec::new(),
            batches: Vec::new(),
            write_limit: usize::MAX,
            writable: true,
            closed: None,
        }
    }

    /// Feeds `bytes` in reads of at most `chunk` bytes, draining output after each read.
    /// Returns how many bytes the connection took.
    pub fn send_in(&mut self, bytes: &[u8], chunk: usize) -> usize {
        let mut fed = 0;
        for _ in 0..MAX_STEPS {
            if fed == bytes.len() {
                return fed;
            }
            let space = match self.conn.read_buf(&mut self.pool) {
                Ok(space) => space,
                Err(ReadError::Paused) => {
                    let before = self.out.len();
                    self.drive();
                    if self.out.len() == before {
                        return fed;
                    }
                    continue;
                }
                Err(_) => return fed,
            };
            let n = space.len().min(chunk).min(bytes.len() - fed);
            space[..n].copy_from_slice(&bytes[fed..fed + n]);
            let mut env = peer_env!(self);
            self.conn.handle_read(n, self.now, &mut env);
            fed += n;
            self.drive();
        }
        panic!("livelock while sending");
    }

    pub fn send(&mut self, bytes: &[u8]) -> usize {
        self.send_in(bytes, usize::MAX)
    }

    /// Tells the connection the server is shutting down, then drains.
    pub fn shutdown(&mut self) {
        let mut env = peer_env!(self);
        self.conn.shutdown(self.now, &mut env);
        self.drive();
    }

    /// Drops the connection as a backend does on a socket error.
    pub fn abort(&mut self, reason: CloseReason) {
        let mut env = peer_env!(self);
        self.conn.abort(reason, &mut env);
        self.drive();
    }

    pub fn eof(&mut self) {
        let mut env = peer_env!(self);
        self.conn.handle_eof(self.now, &mut env);
        self.drive();
    }

    /// Drains output while writable and collects the close.
    pub fn drive(&mut self) {
        for _ in 0..MAX_STEPS {
            if let Some(reason) = self.conn.poll_close() {
                assert!(self.closed.is_none(), "poll_close reported twice");
                self.closed = Some(reason);
            }
            if !self.writable {
                return;
            }
            let Some(bytes) = self.conn.poll_transmit(&self.pool) else {
                return;
            };
            assert!(!bytes.is_empty(), "empty transmit");
            self.batches.push(bytes.len());
            let n = bytes.len().min(self.write_limit);
            self.out.extend_from_slice(&bytes[..n]);
            let mut env = peer_env!(self);
            self.conn.handle_written(n, self.now, &mut env);
        }
        panic!("livelock while draining");
    }

    /// Moves the clock to `now + by`, firing every deadline on the way in order.
    pub fn advance(&mut self, by: Duration) {
        let target = self.now + by;
        for _ in 0..MAX_STEPS {
            match self.conn.poll_timeout() {
                Some(at) if at <= target => {
                    self.now = self.now.max(at);
                    let mut env = peer_env!(self);
                    self.conn.handle_timeout(self.now, &mut env);
                    self.drive();
                }
                _ => {
                    self.now = target;
                    return;
                }
            }
        }
        panic!("livelock while advancing time");
    }

    /// Tells the connection its producer may have more, then drains.
    pub fn wake(&mut self) {
        let mut env = peer_env!(self);
        self.conn.wake(self.now, &mut env);
        self.drive();
    }

    pub fn responses(&self) -> Vec<Resp> {
        parse_responses(&self.out)
    }

    pub fn state(&self) -> State {
        self.conn.state()
    }

    /// Successful acquires of each class, smallest first (growth targets included).
    pub fn acquires(&self) -> [u64; 5] {
        SizeClass::ALL.map(|class| self.pool.stats(class).acquires)
    }

    pub fn in_use(&self) -> usize {
        SizeClass::ALL
            .iter()
            .map(|&class| self.pool.stats(class).in_use)
            .sum()
    }
}
