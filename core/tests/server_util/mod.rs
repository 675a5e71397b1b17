//! A virtual network for driving a [`Server`] sans-IO: an in-memory [`Reactor`] whose sockets
//! are pairs of byte queues (capacity-limited, so writes can block), clients that send, read,
//! half-close and reset, an event for every change, and a virtual clock. Every drive loop has
//! a step bound to catch livelock; every response is parsed by httparse as an oracle.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use aurora_core::config::ServerConfig;
use aurora_core::conn::{Handler, Never, RequestBody, Responder};
use aurora_core::http::Status;
use aurora_core::http::header::HeaderSpan;
use aurora_core::http::request::Request;
use aurora_core::mem::SIZE_CLASSES;
use aurora_core::mem::buffer_pool::{BufferPool, ClassRegion, SizeClass, Slot};
use aurora_core::mem::table::Table;
use aurora_core::server::io::{
    CloseKind, ErrorKind, Event, Reactor, Readiness, Socket, SocketError, Token,
};
use aurora_core::server::tables::{ConnEntry, TimerEntry};
use aurora_core::server::{PARSE_ERROR_LABELS, Server, ServerMetrics, Tables};
use aurora_core::time::{Duration, Instant};

/// Most turns one drive may take before it is called a livelock.
pub const MAX_STEPS: usize = 10_000;

/// Connection slots of the test servers.
pub const SLOTS: usize = 16;

/// The server under test.
pub type TestServer = Server<'static, TestSocket, App>;

/// The server end of one connection, as the reactor sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerEnd {
    /// Waiting in the listen backlog.
    Backlog,
    /// Accepted; registered under the token once the driver did so.
    Open(Option<Token>),
    /// Closed by the driver.
    Closed(CloseKind),
}

/// One connection: a byte queue each way.
#[derive(Debug)]
struct Pipe {
    /// Client to server.
    up: VecDeque<u8>,
    /// Server to client, at most `Net::capacity` bytes.
    down: VecDeque<u8>,
    client_fin: bool,
    client_reset: bool,
    end: ServerEnd,
    /// Everything the client ever received.
    received: Vec<u8>,
}

/// The shared state of the virtual network.
#[derive(Debug, Default)]
struct Inner {
    pipes: Vec<Pipe>,
    backlog: VecDeque<usize>,
    events: VecDeque<Event>,
    accepting: bool,
    /// Every `set_accepting` call, in order.
    accepting_calls: Vec<bool>,
    /// Bytes the server-to-client queue of each connection holds.
    capacity: usize,
    /// Fail the next `register` calls.
    fail_registers: usize,
}

/// The virtual network: the test's handle on it.
#[derive(Clone, Debug)]
pub struct Net(Rc<RefCell<Inner>>);

/// The reactor a [`Server`] drives.
#[derive(Debug)]
pub struct TestReactor(Rc<RefCell<Inner>>);

/// A server-side socket.
#[derive(Debug)]
pub struct TestSocket {
    net: Rc<RefCell<Inner>>,
    id: usize,
}

impl Net {
    /// A network whose server-to-client queues hold `capacity` bytes each.
    pub fn new(capacity: usize) -> (Net, TestReactor) {
        let inner = Rc::new(RefCell::new(Inner {
            accepting: true,
            capacity: capacity.max(1),
            ..Inner::default()
        }));
        (Net(inner.clone()), TestReactor(inner))
    }

    /// A client connects: a connection waits in the backlog. Returns its id.
    pub fn connect(&self) -> usize {
        let mut net = self.0.borrow_mut();
        let id = net.pipes.len();
        net.pipes.push(Pipe {
            up: VecDeque::new(),
            down: VecDeque::new(),
            client_fin: false,
            client_reset: false,
            end: ServerEnd::Backlog,
            received: Vec::new(),
        });
        net.backlog.push_back(id);
        if net.accepting {
            net.events.push_back(Event {
                token: Token::LISTENER,
                readiness: Readiness::ALL,
            });
        }
        id
    }

    /// The client sends `bytes` (ignored after its FIN or reset).
    pub fn send(&self, id: usize, bytes: &[u8]) {
        let mut net = self.0.borrow_mut();
        let pipe = &mut net.pipes[id];
        if pipe.client_fin || pipe.client_reset {
            return;
        }
        pipe.up.extend(bytes);
        net.notify(
            id,
            Readiness {
                readable: true,
                writable: false,
                closed: false,
            },
        );
    }

    /// The client reads up to `max` bytes; returns them.
    pub fn recv(&self, id: usize, max: usize) -> Vec<u8> {
        let mut net = self.0.borrow_mut();
        let pipe = &mut net.pipes[id];
        let n = max.min(pipe.down.len());
        let bytes: Vec<u8> = pipe.down.drain(..n).collect();
        pipe.received.extend(&bytes);
        if n > 0 {
            net.notify(
                id,
                Readiness {
                    readable: false,
                    writable: true,
                    closed: false,
                },
            );
        }
        bytes
    }

    /// The client reads everything waiting.
    pub fn recv_all(&self, id: usize) -> Vec<u8> {
        self.recv(id, usize::MAX)
    }

    /// Everything the client received so far (through [`recv`](Self::recv)).
    pub fn received(&self, id: usize) -> Vec<u8> {
        self.0.borrow().pipes[id].received.clone()
    }

    /// The client half-closes (FIN).
    pub fn fin(&self, id: usize) {
        let mut net = self.0.borrow_mut();
        net.pipes[id].client_fin = true;
        net.notify(
            id,
            Readiness {
                readable: true,
                writable: false,
                closed: true,
            },
        );
    }

    /// The client resets the connection.
    pub fn reset(&self, id: usize) {
        let mut net = self.0.borrow_mut();
        net.pipes[id].client_reset = true;
        net.notify(id, Readiness::ALL);
    }

    /// Where the server end of `id` stands.
    pub fn end(&self, id: usize) -> ServerEnd {
        self.0.borrow().pipes[id].end
    }

    /// Whether the server closed `id`, and how.
    pub fn closed(&self, id: usize) -> Option<CloseKind> {
        match self.end(id) {
            ServerEnd::Closed(how) => Some(how),
            _ => None,
        }
    }

    /// Queues an arbitrary event, as a spurious wake-up.
    pub fn inject(&self, event: Event) {
        self.0.borrow_mut().events.push_back(event);
    }

    /// Whether events wait for the server.
    pub fn has_events(&self) -> bool {
        !self.0.borrow().events.is_empty()
    }

    /// Every `set_accepting` the server made.
    pub fn accepting_calls(&self) -> Vec<bool> {
        self.0.borrow().accepting_calls.clone()
    }

    /// How many connections wait in the backlog.
    pub fn backlog(&self) -> usize {
        self.0.borrow().backlog.len()
    }

    /// Make the next `n` `register` calls fail.
    pub fn fail_registers(&self, n: usize) {
        self.0.borrow_mut().fail_registers = n;
    }

    /// Ids of every connection whose server end is open.
    pub fn open_ids(&self) -> Vec<usize> {
        let net = self.0.borrow();
        (0..net.pipes.len())
            .filter(|&id| matches!(net.pipes[id].end, ServerEnd::Open(_)))
            .collect()
    }

    /// How many connections were ever made.
    pub fn count(&self) -> usize {
        self.0.borrow().pipes.len()
    }
}

impl Inner {
    /// Reports `readiness` for connection `id` if the server registered it.
    fn notify(&mut self, id: usize, readiness: Readiness) {
        if let ServerEnd::Open(Some(token)) = self.pipes[id].end {
            self.events.push_back(Event { token, readiness });
        }
    }
}

impl Socket for TestSocket {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SocketError> {
        assert!(!buf.is_empty(), "the driver read into an empty buffer");
        let mut net = self.net.borrow_mut();
        let pipe = &mut net.pipes[self.id];
        assert!(matches!(pipe.end, ServerEnd::Open(_)), "read after close");
        if pipe.client_reset {
            return Err(SocketError::Io(ErrorKind::ConnectionReset));
        }
        if pipe.up.is_empty() {
            return if pipe.client_fin {
                Ok(0)
            } else {
                Err(SocketError::WouldBlock)
            };
        }
        let n = buf.len().min(pipe.up.len());
        for (dst, src) in buf.iter_mut().zip(pipe.up.drain(..n)) {
            *dst = src;
        }
        Ok(n)
    }

    fn write(&mut self, buf: &[u8]) -> Result<usize, SocketError> {
        assert!(!buf.is_empty(), "the driver wrote an empty slice");
        let mut net = self.net.borrow_mut();
        let capacity = net.capacity;
        let pipe = &mut net.pipes[self.id];
        assert!(
            !matches!(pipe.end, ServerEnd::Closed(_)),
            "write after close"
        );
        if pipe.client_reset {
            return Err(SocketError::Io(ErrorKind::BrokenPipe));
        }
        let room = capacity.saturating_sub(pipe.down.len());
        if room == 0 {
            return Err(SocketError::WouldBlock);
        }
        let n = room.min(buf.len());
        pipe.down.extend(&buf[..n]);
        Ok(n)
    }
}

impl Reactor for TestReactor {
    type Socket = TestSocket;

    fn accept(&mut self) -> Result<Option<TestSocket>, SocketError> {
        let mut net = self.0.borrow_mut();
        let Some(id) = net.backlog.pop_front() else {
            return Ok(None);
        };
        net.pipes[id].end = ServerEnd::Open(None);
        Ok(Some(TestSocket {
            net: self.0.clone(),
            id,
        }))
    }

    fn register(&mut self, socket: &mut TestSocket, token: Token) -> Result<(), SocketError> {
        let mut net = self.0.borrow_mut();
        if net.fail_registers > 0 {
            net.fail_registers -= 1;
            return Err(SocketError::Io(ErrorKind::OutOfMemory));
        }
        assert_eq!(
            net.pipes[socket.id].end,
            ServerEnd::Open(None),
            "registered twice"
        );
        net.pipes[socket.id].end = ServerEnd::Open(Some(token));
        // Like epoll on EPOLL_CTL_ADD: the current readiness is reported once.
        net.events.push_back(Event {
            token,
            readiness: Readiness::ALL,
        });
        Ok(())
    }

    fn close(&mut self, socket: TestSocket, how: CloseKind) {
        let mut net = self.0.borrow_mut();
        let pipe = &mut net.pipes[socket.id];
        assert!(!matches!(pipe.end, ServerEnd::Closed(_)), "closed twice");
        pipe.end = ServerEnd::Closed(how);
    }

    fn set_accepting(&mut self, accepting: bool) {
        let mut net = self.0.borrow_mut();
        net.accepting = accepting;
        net.accepting_calls.push(accepting);
        if accepting && !net.backlog.is_empty() {
            net.events.push_back(Event {
                token: Token::LISTENER,
                readiness: Readiness::ALL,
            });
        }
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.0.borrow_mut().events.pop_front()
    }
}

/// How [`App`] answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// `200` with `<METHOD> <path> <body>`.
    #[default]
    Echo,
    /// `200` with a body of this many `x`.
    Sized(usize),
}

/// A handler that counts its calls and answers per [`Mode`].
#[derive(Debug, Default)]
pub struct App {
    pub mode: Mode,
    pub calls: usize,
}

impl Handler for App {
    type State = Self;
    type Body = Never;
    type Consumer = Never;

    fn state(&mut self) -> &mut Self {
        self
    }

    fn handle(&mut self, req: &Request<'_>, body: RequestBody<'_>, res: &mut Responder<'_>) {
        self.calls += 1;
        let answer = match self.mode {
            Mode::Echo => {
                let mut text = format!("{} {} ", req.method().as_str(), req.path()).into_bytes();
                text.extend_from_slice(body.bytes());
                text
            }
            Mode::Sized(n) => vec![b'x'; n],
        };
        let _ = res.send(Status::OK, &[("Content-Type", b"text/plain")], &answer);
    }
}

/// A pool over leaked memory with `counts[i]` buffers of `SIZE_CLASSES[i]`.
pub fn pool(counts: [usize; 5]) -> BufferPool<'static> {
    let region = |i: usize| {
        let n = counts[i];
        if n == 0 {
            return ClassRegion::empty();
        }
        let bytes = Box::leak(vec![0u8; SIZE_CLASSES[i] * n].into_boxed_slice());
        let slots = Box::leak(vec![Slot::EMPTY; n].into_boxed_slice());
        ClassRegion::new(bytes, slots)
    };
    BufferPool::new(1, [region(0), region(1), region(2), region(3), region(4)])
}

/// A table that grows on push and drops entries on truncate, as a backend's reserved vector
/// does; a test reads how many entries it holds through the shared counter.
pub struct Growing<E> {
    entries: Vec<E>,
    /// How many entries are written, as of the last change.
    pub written: Rc<Cell<usize>>,
}

impl<E> Growing<E> {
    /// An empty table with room for `capacity` entries, leaked for a server's life.
    pub fn leak(capacity: usize) -> &'static mut Self {
        Box::leak(Box::new(Growing {
            entries: Vec::with_capacity(capacity),
            written: Rc::default(),
        }))
    }
}

impl<E> Table<E> for Growing<E> {
    fn entries(&self) -> &[E] {
        &self.entries
    }

    fn entries_mut(&mut self) -> &mut [E] {
        &mut self.entries
    }

    fn push(&mut self, entry: E) -> Result<(), E> {
        if self.entries.len() == self.entries.capacity() {
            return Err(entry);
        }
        self.entries.push(entry);
        self.written.set(self.entries.len());
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    fn truncate(&mut self, len: usize) {
        self.entries.truncate(len);
        self.written.set(self.entries.len());
    }
}

/// A server, its network and its clock.
pub struct Rig {
    pub net: Net,
    pub reactor: TestReactor,
    pub server: TestServer,
    pub metrics: &'static ServerMetrics<1>,
    pub now: Instant,
}

impl Rig {
    /// A server with `config`, one worker, `counts[i]` buffers of `SIZE_CLASSES[i]`, queues of
    /// `capacity` bytes toward each client, and an [`App`] answering per `mode`.
    pub fn with(config: ServerConfig, counts: [usize; 5], capacity: usize, mode: Mode) -> Rig {
        let tables = Tables::new(
            Box::leak(Box::new([const { ConnEntry::EMPTY }; SLOTS])),
            Box::leak(Box::new([const { TimerEntry::EMPTY }; SLOTS])),
        );
        Rig::over(tables, config, counts, capacity, mode)
    }

    /// As [`with`](Rig::with), over `tables`.
    pub fn over(
        tables: Tables<'static, TestSocket, App>,
        config: ServerConfig,
        counts: [usize; 5],
        capacity: usize,
        mode: Mode,
    ) -> Rig {
        let (net, reactor) = Net::new(capacity);
        let metrics: &'static ServerMetrics<1> = Box::leak(Box::new(ServerMetrics::<1>::new()));
        let spans = Box::leak(vec![HeaderSpan::EMPTY; 32].into_boxed_slice());
        let now = Instant::from_millis(1_000);
        let app = App { mode, calls: 0 };
        let worker = metrics.worker(0);
        let server = Server::new(&config, 1, tables, pool(counts), spans, app, worker, now);
        Rig {
            net,
            reactor,
            server,
            metrics,
            now,
        }
    }

    /// The default config, 8 buffers of 4 KiB, 2 of 16 KiB, 1 of 64 KiB and 1 of 256 KiB,
    /// and 64 KiB queues.
    pub fn new() -> Rig {
        Rig::with(ServerConfig::DEFAULT, [0, 8, 2, 1, 1], 65_536, Mode::Echo)
    }

    /// One turn at the current time.
    pub fn turn(&mut self) {
        self.server.turn(&mut self.reactor, self.now);
    }

    /// Turns until no event waits and nothing is due now.
    pub fn settle(&mut self) {
        for _ in 0..MAX_STEPS {
            self.turn();
            let due = self.server.poll_timeout().is_some_and(|at| at <= self.now);
            if !self.net.has_events() && !due {
                return;
            }
        }
        panic!("no quiet state after {MAX_STEPS} turns: livelock");
    }

    /// Moves the clock by `by`, then settles.
    pub fn advance(&mut self, by: Duration) {
        self.now = self.now + by;
        self.settle();
    }

    /// Moves the clock to the server's next deadline (if any), then settles. Returns whether
    /// there was one.
    pub fn advance_to_deadline(&mut self) -> bool {
        let Some(at) = self.server.poll_timeout() else {
            return false;
        };
        self.now = self.now.max(at);
        self.settle();
        true
    }

    /// Starts a graceful shutdown.
    pub fn shutdown(&mut self) {
        self.server.shutdown(&mut self.reactor, self.now);
    }

    /// A client connects and the server accepts it. Returns the client's id.
    pub fn connect(&mut self) -> usize {
        let id = self.net.connect();
        self.settle();
        id
    }

    /// Connects and starts a request whose body never comes: a connection in the middle of
    /// a request, which the server never reclaims for another.
    pub fn connect_busy(&mut self) -> usize {
        let id = self.connect();
        self.net.send(
            id,
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n",
        );
        self.settle();
        id
    }

    /// The client sends `bytes`, the server settles, and the client reads everything.
    pub fn exchange(&mut self, id: usize, bytes: &[u8]) -> Vec<Resp> {
        self.net.send(id, bytes);
        self.settle();
        parse_responses(&self.net.recv_all(id))
    }

    /// The rendered metrics.
    pub fn metrics_text(&self) -> String {
        let mut buf = vec![0u8; 16_384];
        let n = self.metrics.render(&mut buf, &PARSE_ERROR_LABELS).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    /// The value of the sample `series` (name with labels), or `None` if absent.
    pub fn metric(&self, series: &str) -> Option<f64> {
        let text = self.metrics_text();
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .map(|value| value.parse().unwrap())
    }

    /// Buffers of the pool in use, all classes together.
    pub fn buffers_in_use(&self) -> usize {
        SizeClass::ALL
            .iter()
            .map(|&class| self.server.pool().stats(class).in_use)
            .sum()
    }

    /// Checks the connection counters against each other and the server.
    pub fn check_counts(&self) {
        let accepted = self.metric("aurora_connections_accepted_total").unwrap();
        let closed = self.metric("aurora_connections_closed_total").unwrap();
        let open = self.metric("aurora_connections_open").unwrap();
        assert_eq!(accepted - closed, open, "accepted - closed = open");
        assert_eq!(open as usize, self.server.connections());
        // One more may be accepted and held, without a slot, while the listener is paused.
        let held = usize::from(self.net.accepting_calls().last() == Some(&false));
        let accepted = self.net.open_ids().len() - self.server.connections();
        assert!(accepted <= held, "{accepted} accepted without a slot");
    }
}

/// Responses are read back with the connection tests' strict parser (httparse for the head;
/// Content-Length, chunked and close-delimited bodies).
#[path = "../conn_util/mod.rs"]
mod conn_util;

pub use conn_util::{Resp, parse_responses};

/// A `GET` of `path` with `Host`.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes()
}

/// A `POST` of `body` to `path`.
pub fn post(path: &str, body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}
