//! The whole server: [`start`] with a tiny handler on 127.0.0.1:0, real clients, stop and join.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use aurora_core::conn::{Fill, Handler, Never, Producer, RequestBody, Responder};
use aurora_core::http::Status;
use aurora_core::http::request::Request;
use aurora_core::time::Instant as CoreInstant;

use crate::options::Options;
use crate::platform::Platform;
use crate::runtime::{BodyWaker, Running, WorkerContext};
use crate::server::start;

/// How long a client waits for the server.
const PATIENCE: Duration = Duration::from_secs(5);

fn options(workers: u16) -> Options {
    let mut options = Options {
        addr: "127.0.0.1:0".parse().unwrap(),
        pin_cpus: false,
        ..Options::default()
    };
    options.config.workers = workers;
    options
}

/// Answers every request with 200 and `hello from N`, N the worker's index.
pub fn hello(cx: &WorkerContext) -> impl Handler + use<> {
    let body = format!("hello from {}", cx.index).into_bytes();
    move |_req: &Request<'_>, _body: RequestBody<'_>, res: &mut Responder<'_>| {
        let _ = res.send(Status::OK, &[("content-type", b"text/plain")], &body);
    }
}

fn client(running: &Running) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(running.local_addr()).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    BufReader::new(stream)
}

/// Sends a GET and reads one response: its status line, headers (lower-cased names) and body.
fn get(conn: &mut BufReader<TcpStream>, path: &str) -> (String, Vec<(String, String)>, Vec<u8>) {
    write!(conn.get_mut(), "GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    read_response(conn)
}

/// Reads one response: its status line, headers (lower-cased names) and body.
fn read_response(conn: &mut BufReader<TcpStream>) -> (String, Vec<(String, String)>, Vec<u8>) {
    let mut status = String::new();
    conn.read_line(&mut status).unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        conn.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap();
    let mut body = vec![0u8; length];
    conn.read_exact(&mut body).unwrap();
    (status.trim_end().to_owned(), headers, body)
}

/// Joins `running` on another thread, failing the test if that takes longer than [`PATIENCE`].
fn join_in_time(running: Running) -> io::Result<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(running.join()));
    rx.recv_timeout(PATIENCE)
        .expect("the workers finish in time")
}

pub fn two_requests_on_one_connection<P: Platform>() {
    let running = start::<P, _, _>(options(2), hello).unwrap();
    assert_eq!(running.workers(), 2);
    let mut conn = client(&running);
    for _ in 0..2 {
        let (status, headers, body) = get(&mut conn, "/");
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(headers.iter().any(|(n, _)| n == "date"), "{headers:?}");
        assert!(
            !headers
                .iter()
                .any(|(n, v)| n == "connection" && v == "close")
        );
        let body = String::from_utf8(body).unwrap();
        assert!(body.starts_with("hello from "), "{body}");
    }
    let mut text = vec![0u8; 16 * 1024];
    let n = running.metrics().render(&mut text).unwrap();
    let text = std::str::from_utf8(&text[..n]).unwrap();
    assert!(
        text.contains("aurora_requests_total{class=\"2xx\"} 2\n"),
        "{text}"
    );
    running.stop_handle().stop();
    join_in_time(running).unwrap();
}

pub fn many_clients_reach_every_worker_and_stop_closes_idle_ones<P: Platform>() {
    let running = start::<P, _, _>(options(2), hello).unwrap();
    let mut conns: Vec<_> = (0..16).map(|_| client(&running)).collect();
    for conn in &mut conns {
        assert_eq!(get(conn, "/x").0, "HTTP/1.1 200 OK");
    }
    let addr = running.local_addr();
    running.stop_handle().stop();
    join_in_time(running).unwrap();
    // Idle keep-alive connections were closed, and nothing listens any more.
    for conn in &mut conns {
        let mut rest = Vec::new();
        let n = conn.read_to_end(&mut rest).unwrap_or(0);
        assert_eq!(n, 0);
    }
    assert!(TcpStream::connect(addr).is_err());
}

pub fn a_stalled_request_is_cut_at_the_shutdown_deadline<P: Platform>() {
    let mut options = options(1);
    options.shutdown_deadline = Duration::from_millis(100);
    let running = start::<P, _, _>(options, hello).unwrap();
    let mut conn = client(&running);
    // Half a head: the connection is in the middle of a request when the stop comes.
    conn.get_mut().write_all(b"GET / HTTP/1.1\r\n").unwrap();
    assert_eq!(get(&mut client(&running), "/").0, "HTTP/1.1 200 OK");
    let begun = Instant::now();
    running.stop_handle().stop();
    join_in_time(running).unwrap();
    assert!(begun.elapsed() >= Duration::from_millis(100));
    let mut rest = Vec::new();
    let _ = conn.read_to_end(&mut rest);
}

/// The drain: once stopped, the server refuses new connections at once (its listeners are
/// closed), closes its idle keep-alive connection, and still answers the request in flight,
/// with `Connection: close`.
pub fn a_draining_server_refuses_new_connections_and_finishes_its_request<P: Platform>() {
    // One worker: each worker drains on its own clock, so with two the idle connection could
    // close on one worker's drain while the busy one's worker is still quiescing and answers
    // without `Connection: close`.
    let running = start::<P, _, _>(options(1), hello).unwrap();
    let addr = running.local_addr();
    let mut idle = client(&running);
    assert_eq!(get(&mut idle, "/").0, "HTTP/1.1 200 OK");
    let mut busy = client(&running);
    busy.get_mut().write_all(b"GET / HTTP/1.1\r\n").unwrap();
    // The half head must have reached its worker before the stop, or the drain closes the
    // connection as a new one that sent nothing: a full request first proves it is accepted.
    let mut rest = client(&running);
    assert_eq!(get(&mut rest, "/").0, "HTTP/1.1 200 OK");
    std::thread::sleep(Duration::from_millis(50));
    running.stop_handle().stop();
    let begun = Instant::now();
    while TcpStream::connect(addr).is_ok() {
        assert!(begun.elapsed() < PATIENCE, "still accepting after the stop");
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut buf = Vec::new();
    assert_eq!(
        idle.read_to_end(&mut buf).unwrap_or(0),
        0,
        "the idle one closes"
    );
    busy.get_mut().write_all(b"Host: test\r\n\r\n").unwrap();
    let (status, headers, _) = read_response(&mut busy);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "connection" && v == "close"),
        "{headers:?}"
    );
    join_in_time(running).unwrap();
}

pub fn a_config_that_does_not_validate_is_refused<P: Platform>() {
    let mut options = options(1);
    options.config.low_water_percent = 90;
    let err = start::<P, _, _>(options, hello).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("low_water_percent"), "{err}");
}

/// An [`EventLoop`](crate::EventLoop) built by hand: `run_once` serves a client step by step,
/// `stop` closes its idle keep-alive connection, and the loop reports `Finished`.
pub fn an_event_loop_runs_once_at_a_time_and_stops<P: Platform>() {
    use aurora_core::config::ServerConfig;
    use aurora_core::http::header::HeaderSpan;
    use aurora_core::mem::buffer_pool::{BufferPool, ClassRegion, Slot};
    use aurora_core::server::{Server, ServerMetrics, Tables};

    use crate::memory::Reserved;
    use crate::platform::Poller;
    use crate::server::{EventLoop, Step};
    use crate::socket::Listener;

    let listener = Listener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut reactor = P::Poller::with_listener(Some(listener)).unwrap();
    let mut bytes = vec![0u8; 4 * 4096];
    let mut slots = vec![Slot::EMPTY; 4];
    let pool = BufferPool::new(
        0,
        [
            ClassRegion::empty(),
            ClassRegion::new(&mut bytes, &mut slots),
            ClassRegion::empty(),
            ClassRegion::empty(),
            ClassRegion::empty(),
        ],
    );
    let mut spans = vec![HeaderSpan::EMPTY; 16];
    let metrics: ServerMetrics<1> = ServerMetrics::new();
    let config = ServerConfig::DEFAULT;
    let answered = std::cell::Cell::new(0u32);
    let handler = |_: &Request<'_>, _: RequestBody<'_>, res: &mut Responder<'_>| {
        if res.send(Status::OK, &[], b"one step").is_ok() {
            answered.set(answered.get() + 1);
        }
    };
    let (mut conns, mut timers) = (Reserved::new(4), Reserved::new(4));
    let mut server = Server::new(
        &config,
        1,
        Tables::new(&mut conns, &mut timers),
        pool,
        &mut spans,
        handler,
        metrics.worker(0),
        aurora_core::time::Instant::ZERO,
    );
    let mut event_loop = EventLoop::new(&mut server, &mut reactor, Duration::from_secs(5));

    let client = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 512];
        while !seen.ends_with(b"one step") {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "closed before the answer");
            seen.extend_from_slice(&buf[..n]);
        }
        // Then wait for the server's stop to close the idle connection.
        assert_eq!(stream.read(&mut buf).unwrap_or(0), 0);
        seen
    });
    let began = Instant::now();
    while answered.get() == 0 {
        assert!(began.elapsed() < PATIENCE, "no response in time");
        let step = event_loop
            .run_once(Some(Duration::from_millis(50)))
            .unwrap();
        assert_eq!(step, Step::Serving);
    }
    event_loop.stop();
    let mut last = Step::Serving;
    while last != Step::Finished {
        assert!(began.elapsed() < PATIENCE, "no drain in time");
        last = event_loop
            .run_once(Some(Duration::from_millis(50)))
            .unwrap();
    }
    let seen = client.join().unwrap();
    assert!(seen.starts_with(b"HTTP/1.1 200 OK\r\n"));
}

/// Answers every request with a body that waits ([`Fill::Pending`]) until `ready` is set.
struct Waiting {
    ready: Arc<AtomicBool>,
}

/// The body `woken`, once `ready`.
struct Later {
    ready: Arc<AtomicBool>,
    sent: bool,
}

impl Producer<Waiting> for Later {
    fn poll_fill(&mut self, _app: &mut Waiting, _now: CoreInstant, out: &mut [u8]) -> Fill {
        if self.sent {
            return Fill::Done;
        }
        if !self.ready.load(Ordering::Acquire) {
            return Fill::Pending;
        }
        out[..5].copy_from_slice(b"woken");
        self.sent = true;
        Fill::Filled(5)
    }
}

impl Handler for Waiting {
    type State = Waiting;
    type Body = Later;
    type Consumer = Never;

    fn state(&mut self) -> &mut Waiting {
        self
    }

    fn handle(
        &mut self,
        _req: &Request<'_>,
        _body: RequestBody<'_>,
        res: &mut Responder<'_, Later>,
    ) {
        let later = Later {
            ready: Arc::clone(&self.ready),
            sent: false,
        };
        let _ = res.stream_sized(Status::OK, &[], 5, later);
    }
}

/// A producer that waits to be woken answers once the application's state changed and it
/// called the workers' [`BodyWaker`].
pub fn a_pending_body_is_pulled_again_when_woken<P: Platform>() {
    let ready = Arc::new(AtomicBool::new(false));
    let waker: Arc<Mutex<Option<BodyWaker>>> = Arc::default();
    let (flag, slot) = (Arc::clone(&ready), Arc::clone(&waker));
    let running = start::<P, _, _>(options(1), move |cx| {
        *slot.lock().unwrap() = Some(cx.wake.clone());
        Waiting {
            ready: Arc::clone(&flag),
        }
    })
    .unwrap();
    let mut conn = client(&running);
    write!(conn.get_mut(), "GET / HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    // The head goes out at once; nothing of the body while it waits.
    let mut head = String::new();
    while !head.ends_with("\r\n\r\n") {
        conn.read_line(&mut head).unwrap();
    }
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("content-length: 5\r\n"),
        "{head}"
    );
    conn.get_mut()
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut body = [0u8; 5];
    assert!(conn.read(&mut body).is_err(), "a body before the wake");
    conn.get_mut().set_read_timeout(Some(PATIENCE)).unwrap();
    ready.store(true, Ordering::Release);
    let handle = waker
        .lock()
        .unwrap()
        .clone()
        .expect("the worker gave its waker");
    handle.wake();
    conn.read_exact(&mut body).unwrap();
    assert_eq!(&body, b"woken");
    running.stop_handle().stop();
    join_in_time(running).unwrap();
}
