//! Shared helpers for the socket tests: an in-process [`Hello`] server on 127.0.0.1 (port 0)
//! with short test timeouts and a config tweak, a raw-socket client with read and write
//! timeouts, a response reader that parses with httparse and honours `Content-Length` and
//! chunked framing, and the checks that the server closed a connection.
//!
//! Every wait is a socket read with a timeout (or a channel receive with one), so a hung
//! server fails a test within seconds instead of hanging it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use aurora_apps::hello::Hello;
use aurora_core::metrics::Renderer;
use aurora_core::time::Duration as CoreDuration;
use aurora_linux::{MetricsHandle, Options, Running, StopHandle};

/// How long a client waits for any one read or write.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a test waits for a stopped server's workers to finish.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Options for a test server: 127.0.0.1 port 0, two unpinned workers, no access log, and
/// timeouts short enough that a stuck connection shows within a test but long enough that a
/// busy machine does not trip them.
pub fn options() -> Options {
    let mut options = Options {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        pin_cpus: false,
        access_log: false,
        shutdown_deadline: Duration::from_secs(5),
        ..Options::default()
    };
    let config = &mut options.config;
    config.workers = 2;
    config.timeouts.header_read = CoreDuration::from_secs(5);
    config.timeouts.body_read = CoreDuration::from_secs(5);
    config.timeouts.write = CoreDuration::from_secs(5);
    config.timeouts.keep_alive_idle = CoreDuration::from_secs(5);
    options
}

/// A [`Hello`] server running in this process; stopped and joined when dropped.
pub struct Server {
    running: Option<Running>,
    /// The bound address.
    pub addr: SocketAddr,
}

impl Server {
    /// A server with [`options`].
    pub fn start() -> Self {
        Self::with(|_| {})
    }

    /// A server with [`options`] changed by `tweak`.
    pub fn with(tweak: impl FnOnce(&mut Options)) -> Self {
        let mut options = options();
        tweak(&mut options);
        let running = aurora_linux::start(options, |cx| {
            let metrics = cx.metrics.clone();
            Hello::new(move |r: &mut Renderer<'_>| metrics.render_into(r))
        })
        .expect("the server starts");
        let addr = running.local_addr();
        Self {
            running: Some(running),
            addr,
        }
    }

    /// A new client connection.
    pub fn connect(&self) -> Client {
        Client::connect(self.addr)
    }

    /// The server's metrics.
    pub fn metrics(&self) -> MetricsHandle {
        self.running.as_ref().expect("running").metrics()
    }

    /// A handle that begins a graceful shutdown.
    pub fn stop_handle(&self) -> StopHandle {
        self.running.as_ref().expect("running").stop_handle()
    }

    /// Waits (at most [`JOIN_TIMEOUT`]) for every worker to finish; call after
    /// [`StopHandle::stop`].
    pub fn join(mut self) {
        let running = self.running.take().expect("running");
        join_within(running, JOIN_TIMEOUT).expect("the workers finish in time");
    }

    /// Stops the server and waits for it.
    pub fn stop(self) {
        self.stop_handle().stop();
        self.join();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop_handle().stop();
            let joined = join_within(running, JOIN_TIMEOUT);
            if !std::thread::panicking() {
                joined.expect("the workers finish in time");
            }
        }
    }
}

/// Joins `running` on a helper thread, waiting at most `limit`.
fn join_within(running: Running, limit: Duration) -> Result<(), String> {
    let (done, wait) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(running.join());
    });
    match wait.recv_timeout(limit) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(format!("join failed: {error}")),
        Err(_) => Err(format!("join did not return within {limit:?}")),
    }
}

/// One response as read off the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub code: u16,
    /// The header fields in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body (decoded when chunked; empty for `HEAD`, 1xx, 204 and 304).
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of the field `name` (any case), as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| std::str::from_utf8(v).expect("a text header value"))
    }

    /// How many fields are named `name`.
    pub fn count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }

    /// Whether the response says `Connection: close`.
    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
    }

    /// The body as text.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("a text body")
    }
}

/// How a response's body is framed.
enum Framing {
    None,
    Length(usize),
    Chunked,
    UntilClose,
}

/// A client connection with timeouts and a buffer of bytes read but not yet consumed.
pub struct Client {
    /// The socket.
    pub stream: TcpStream,
    pending: Vec<u8>,
}

impl Client {
    /// Connects to `addr` with [`IO_TIMEOUT`] on every read and write.
    pub fn connect(addr: SocketAddr) -> Self {
        Self::try_connect(addr).expect("connect")
    }

    /// Like [`connect`](Self::connect), but a failure to connect is returned.
    ///
    /// # Errors
    ///
    /// The error of `connect` (refused, timed out, ...).
    pub fn try_connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Ok(Self {
            stream,
            pending: Vec::new(),
        })
    }

    /// Sets the read timeout.
    pub fn read_timeout(&self, timeout: Duration) {
        self.stream.set_read_timeout(Some(timeout)).unwrap();
    }

    /// Writes all of `bytes`.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Sends `request` and reads its response (not for `HEAD`).
    pub fn request(&mut self, request: &[u8]) -> Response {
        self.send(request);
        self.response()
    }

    /// Sends `request` from a second thread while reading its response here, for bodies the
    /// server answers while they still arrive (a streamed echo would otherwise fill both
    /// directions' buffers and stall).
    pub fn request_while_sending(&mut self, request: Vec<u8>) -> Response {
        let mut writer = self.stream.try_clone().expect("clone the socket");
        let sender = std::thread::spawn(move || writer.write_all(&request));
        let response = self.response();
        sender
            .join()
            .expect("the sender thread")
            .expect("write the request");
        response
    }

    /// Reads the next response (not for `HEAD`); panics on EOF, timeout or a malformed one.
    pub fn response(&mut self) -> Response {
        self.read(false)
            .expect("read a response")
            .expect("a response before the connection closed")
    }

    /// Reads the next response to a `HEAD` request (no body follows its head).
    pub fn head_response(&mut self) -> Response {
        self.read(true)
            .expect("read a response")
            .expect("a response before the connection closed")
    }

    /// Reads the next response: `Ok(None)` when the connection closed (or was reset) before
    /// its first byte.
    ///
    /// # Errors
    ///
    /// A read error or timeout, or a connection that closed inside a response.
    pub fn read(&mut self, head_request: bool) -> io::Result<Option<Response>> {
        let (len, code, headers) = loop {
            let mut fields = [httparse::EMPTY_HEADER; 64];
            let mut resp = httparse::Response::new(&mut fields);
            match resp.parse(&self.pending) {
                Ok(httparse::Status::Complete(len)) => {
                    let headers = resp
                        .headers
                        .iter()
                        .map(|h| (h.name.to_string(), h.value.to_vec()))
                        .collect::<Vec<_>>();
                    break (len, resp.code.unwrap(), headers);
                }
                Ok(httparse::Status::Partial) => {}
                Err(error) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "httparse: {error}: {:?}",
                            String::from_utf8_lossy(&self.pending)
                        ),
                    ));
                }
            }
            match self.fill() {
                Ok(0) if self.pending.is_empty() => return Ok(None),
                Err(error) if self.pending.is_empty() && is_reset(&error) => return Ok(None),
                Ok(0) => return Err(eof_inside(&self.pending)),
                Ok(_) => {}
                Err(error) => return Err(error),
            }
        };
        self.pending.drain(..len);
        let mut response = Response {
            code,
            headers,
            body: Vec::new(),
        };
        let framing = if head_request || (100..200).contains(&code) || code == 204 || code == 304 {
            Framing::None
        } else if response
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            Framing::Chunked
        } else if let Some(length) = response.header("content-length") {
            Framing::Length(length.parse().expect("a numeric Content-Length"))
        } else {
            Framing::UntilClose
        };
        response.body = match framing {
            Framing::None => Vec::new(),
            Framing::Length(length) => self.take(length)?,
            Framing::Chunked => self.chunked()?,
            Framing::UntilClose => {
                while self.fill()? > 0 {}
                std::mem::take(&mut self.pending)
            }
        };
        Ok(Some(response))
    }

    /// Reads responses until `n` have arrived.
    pub fn responses(&mut self, n: usize) -> Vec<Response> {
        (0..n).map(|_| self.response()).collect()
    }

    /// Asserts that the server closed the connection: nothing more arrives and a read returns
    /// end-of-stream or a reset within [`IO_TIMEOUT`].
    pub fn assert_closed(&mut self) {
        assert!(
            self.pending.is_empty(),
            "unexpected bytes before the close: {:?}",
            String::from_utf8_lossy(&self.pending)
        );
        let mut byte = [0u8; 256];
        match self.stream.read(&mut byte) {
            Ok(0) => {}
            Ok(n) => panic!(
                "expected a close, got {:?}",
                String::from_utf8_lossy(&byte[..n])
            ),
            Err(error) if is_reset(&error) => {}
            Err(error) => panic!("expected a close, got {error} (still open?)"),
        }
    }

    /// Asserts that nothing arrives and the connection stays open for `wait`.
    pub fn assert_quiet(&mut self, wait: Duration) {
        assert!(self.pending.is_empty());
        self.read_timeout(wait);
        let mut byte = [0u8; 256];
        match self.stream.read(&mut byte) {
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            other => panic!("expected silence, got {other:?}"),
        }
        self.read_timeout(IO_TIMEOUT);
    }

    /// Reads once into `pending`; the byte count (0 at end-of-stream).
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk)?;
        self.pending.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Takes exactly `n` bytes.
    fn take(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.pending.len() < n {
            if self.fill()? == 0 {
                return Err(eof_inside(&self.pending));
            }
        }
        Ok(self.pending.drain(..n).collect())
    }

    /// Takes one CRLF-terminated line, without the CRLF.
    fn line(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(at) = self.pending.windows(2).position(|w| w == b"\r\n") {
                let line = self.pending[..at].to_vec();
                self.pending.drain(..at + 2);
                return Ok(line);
            }
            if self.fill()? == 0 {
                return Err(eof_inside(&self.pending));
            }
        }
    }

    /// Decodes a chunked body (trailers are read and dropped).
    fn chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = self.line()?;
            let size = line.split(|&b| b == b';').next().unwrap_or_default();
            let size = std::str::from_utf8(size)
                .ok()
                .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            if size == 0 {
                while !self.line()?.is_empty() {}
                return Ok(body);
            }
            body.extend(self.take(size)?);
            if !self.line()?.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "chunk data not followed by CRLF",
                ));
            }
        }
    }
}

/// Whether `error` is the peer resetting or aborting the connection.
pub fn is_reset(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
    )
}

fn eof_inside(pending: &[u8]) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!(
            "connection closed inside a response: {:?}",
            String::from_utf8_lossy(pending)
        ),
    )
}

/// `GET path` with a Host header.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes()
}

/// `method path` with a `Content-Length` body.
pub fn with_body(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    raw
}

/// `POST path` with `body` in chunks of at most `chunk` bytes.
pub fn chunked_post(path: &str, body: &[u8], chunk: usize) -> Vec<u8> {
    let mut raw =
        format!("POST {path} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n")
            .into_bytes();
    for piece in body.chunks(chunk) {
        raw.extend(format!("{:x}\r\n", piece.len()).into_bytes());
        raw.extend_from_slice(piece);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    raw
}

/// Every byte value, repeated to `len` bytes.
pub fn binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 256) as u8).collect()
}

/// Runs `f` on a thread and waits at most `limit` for its result.
pub fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, wait) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(f());
    });
    match wait.recv_timeout(limit) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("did not finish within {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the thread panicked"),
    }
}
