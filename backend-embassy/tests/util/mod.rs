//! The host test world: two embassy-net stacks joined by an in-memory link in one process,
//! Aurora serving `Hello` on one, a client on the other; and the client's helpers.
//!
//! [`World::run`] spawns the executor on its own thread, runs a list of scenarios in a client
//! task (each bounded by [`SCENARIO_BOUND`]) and returns each one's outcome over a std
//! channel; the executor ends when the last scenario has reported.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration as StdDuration;

use aurora_apps::device::{Device, Local};
use aurora_apps::hello::Hello;
use aurora_core::config::{OverloadPolicy, ServerConfig};
use aurora_core::metrics::{RenderError, Renderer};
use aurora_core::server::{PARSE_ERROR_LABELS, ServerMetrics};
use aurora_core::time::Duration as CoreDuration;
use aurora_embassy::{Memory, Options, Resources, run};
use embassy_executor::{Executor, Spawner};
use embassy_futures::select::{Either, select};
use embassy_net::tcp::TcpSocket;
use embassy_net::{Ipv4Address, Ipv4Cidr, Stack, StackResources, StaticConfigV4};
use embassy_net_driver_channel as channel;
use embassy_net_driver_channel::driver::{HardwareAddress, LinkState};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Instant, Timer, with_timeout};

/// Packet size of the link.
pub const MTU: usize = 1500;

/// The server's address.
pub const SERVER_IP: Ipv4Address = Ipv4Address::new(10, 0, 0, 1);

/// Port of the main server.
pub const PORT: u16 = 80;

/// Port of the small server: [`SMALL_MAX_CONNECTIONS`] served, then `503`; stopped by
/// [`STOP_SMALL`].
pub const SMALL_PORT: u16 = 81;

/// The port of the device application (its `/api/ws` WebSocket).
pub const DEVICE_PORT: u16 = 82;

/// Sockets (and connection slots) of the main server.
pub const SOCKETS: usize = 8;

/// Sockets of the small server.
pub const SMALL_SOCKETS: usize = 4;

/// The small server's `max_connections`.
pub const SMALL_MAX_CONNECTIONS: u32 = 2;

/// Header-read, body-read and write timeouts of both servers.
pub const SHORT: Duration = Duration::from_millis(400);

/// Keep-alive idle timeout of both servers.
pub const IDLE: Duration = Duration::from_millis(1000);

/// How long a scenario may take.
pub const SCENARIO_BOUND: Duration = Duration::from_secs(15);

/// How long a client waits for one read.
pub const READ_BOUND: Duration = Duration::from_secs(5);

/// Socket buffers of the main server.
pub const SERVER_RX: usize = 4096;
/// Socket buffers of the main server.
pub const SERVER_TX: usize = 4096;

/// Buffers per size class of both servers: 4 KiB start class, one 16 KiB and 64 KiB class.
pub const POOLS: [u16; 5] = [4, 16, 4, 2, 0];

/// Bytes of the handlers' arena: its bump region, and as much again of fallback heap.
pub const ARENA_BYTES: usize = 4096;

/// Bytes the pools and the arena need.
pub const POOL_BYTES: usize = 4 * 1024 + 16 * 4096 + 4 * 16384 + 2 * 65536 + 2 * ARENA_BYTES;

/// Buffers the pools hold.
pub const POOL_BUFFERS: usize = 26;

/// Largest body either server takes.
pub const MAX_BODY: usize = 100_000;

/// Stops the small server.
pub static STOP_SMALL: Signal<CriticalSectionRawMutex, ()> = Signal::new();

/// Raised once the small server's `run` returned `Ok`.
pub static SMALL_DONE: Signal<CriticalSectionRawMutex, ()> = Signal::new();

/// The metrics of the servers (worker 0: main, 1: small, 2: device).
pub static METRICS: ServerMetrics<3> = ServerMetrics::new();

/// One scenario: a name and the async check.
pub type Scenario = (&'static str, fn(Stack<'static>) -> ScenarioFuture);

/// What a scenario returns.
pub type ScenarioFuture = Pin<Box<dyn Future<Output = Result<(), String>>>>;

/// One scenario's outcome: its name, and `Err` with why it failed.
pub type Outcome = (&'static str, Result<(), String>);

/// Fails a scenario with a message unless `cond`.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err(format!($($arg)+));
        }
    };
}

/// The core configuration both servers start from.
pub fn config() -> ServerConfig {
    let mut config = ServerConfig::DEFAULT;
    config.limits.max_head_bytes = 2048;
    config.limits.max_target_bytes = 1024;
    config.limits.max_headers = 16;
    config.limits.max_body_bytes = MAX_BODY as u64;
    config.timeouts.header_read = core_duration(SHORT);
    config.timeouts.body_read = core_duration(SHORT);
    config.timeouts.write = core_duration(SHORT);
    config.timeouts.keep_alive_idle = core_duration(IDLE);
    config.max_requests_per_connection = 1000;
    config.pools.buffers = POOLS;
    config.pools.arena_bytes = ARENA_BYTES;
    config.pools.arena_fallback_bytes = ARENA_BYTES;
    config.high_water_percent = 100;
    config.low_water_percent = 50;
    config.server_header = Some("aurora-test");
    config
}

/// Runs `scenarios` against a fresh world and returns their outcomes, in order; a scenario
/// that did not report within its bound (plus slack) is missing from the list.
pub fn run_scenarios(scenarios: &'static [Scenario]) -> Vec<Outcome> {
    if std::env::var_os("AURORA_TEST_LOG").is_some() {
        let _ = log::set_logger(&StderrLog);
        log::set_max_level(log::LevelFilter::Trace);
    }
    let (tx, rx) = mpsc::channel();
    let done: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
    std::thread::spawn(move || {
        let executor: &'static mut Executor = Box::leak(Box::new(Executor::new()));
        executor.run_until(
            |spawner| start(spawner, scenarios, tx),
            || done.load(Ordering::Acquire),
        );
    });
    let mut outcomes = Vec::new();
    let bound = StdDuration::from_micros(SCENARIO_BOUND.as_micros()) + StdDuration::from_secs(5);
    for _ in scenarios {
        match rx.recv_timeout(bound) {
            Ok(outcome) => outcomes.push(outcome),
            Err(_) => break,
        }
    }
    done.store(true, Ordering::Release);
    outcomes
}

/// Builds both stacks, the link, both servers and the client.
fn start(spawner: Spawner, scenarios: &'static [Scenario], report: mpsc::Sender<Outcome>) {
    let (a_runner, a_device) = channel_pair();
    let (b_runner, b_device) = channel_pair();
    let (a_state, a_rx, a_tx) = a_runner.split();
    let (b_state, b_rx, b_tx) = b_runner.split();
    a_state.set_link_state(LinkState::Up);
    b_state.set_link_state(LinkState::Up);
    spawner.spawn(forward(a_tx, b_rx).unwrap());
    spawner.spawn(forward(b_tx, a_rx).unwrap());
    let (server_stack, server_runner) = stack(a_device, 1);
    let (client_stack, client_runner) = stack(b_device, 2);
    spawner.spawn(net(server_runner).unwrap());
    spawner.spawn(net(client_runner).unwrap());

    let mut main = Options::new(PORT, config());
    main.close_linger = Duration::from_millis(300);
    main.wall_clock = Some(|| 1_700_000_000);
    spawner.spawn(main_server(server_stack, main).unwrap());

    let mut small_config = config();
    small_config.max_connections = SMALL_MAX_CONNECTIONS;
    small_config.overload_response = OverloadPolicy::ServiceUnavailable {
        retry_after_secs: 7,
    };
    let mut small = Options::new(SMALL_PORT, small_config);
    small.close_linger = Duration::from_millis(300);
    small.shutdown_deadline = Duration::from_secs(2);
    spawner.spawn(small_server(server_stack, small).unwrap());
    spawner.spawn(device_server(server_stack, Options::new(DEVICE_PORT, config())).unwrap());

    spawner.spawn(client(client_stack, scenarios, report).unwrap());
}

/// A stack at 10.0.0.`host`/24 over `device`.
fn stack(
    device: channel::Device<'static, MTU>,
    host: u8,
) -> (
    Stack<'static>,
    embassy_net::Runner<'static, channel::Device<'static, MTU>>,
) {
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(Ipv4Address::new(10, 0, 0, host), 24),
        gateway: None,
        dns_servers: Default::default(),
    });
    let resources: &'static mut StackResources<16> = Box::leak(Box::new(StackResources::new()));
    embassy_net::new(device, config, resources, u64::from(host))
}

/// One end of the link: a channel device for a stack, and the runner that moves its packets.
fn channel_pair() -> (channel::Runner<'static, MTU>, channel::Device<'static, MTU>) {
    let state: &'static mut channel::State<MTU, 8, 8> = Box::leak(Box::new(channel::State::new()));
    channel::new(state, HardwareAddress::Ip)
}

/// Moves every packet one stack sends into the other's receive queue.
#[embassy_executor::task(pool_size = 2)]
async fn forward(
    mut from: channel::TxRunner<'static, MTU>,
    mut to: channel::RxRunner<'static, MTU>,
) {
    loop {
        let packet = from.tx_buf().await;
        let len = packet.len();
        let slot = to.rx_buf().await;
        slot[..len].copy_from_slice(packet);
        to.rx_done(len);
        from.tx_done();
    }
}

/// Runs one stack.
#[embassy_executor::task(pool_size = 2)]
async fn net(mut runner: embassy_net::Runner<'static, channel::Device<'static, MTU>>) -> ! {
    runner.run().await
}

/// Renders both servers' metrics for `/metrics`.
fn render(r: &mut Renderer<'_>) -> Result<(), RenderError> {
    METRICS.render_into(r, &PARSE_ERROR_LABELS)
}

/// How [`render`] is passed to [`Hello`].
type Render = fn(&mut Renderer<'_>) -> Result<(), RenderError>;

/// The main server, serving until the process ends.
#[embassy_executor::task]
async fn main_server(stack: Stack<'static>, options: Options) {
    let resources: &'static mut Resources<SOCKETS, SERVER_RX, SERVER_TX> =
        Box::leak(Box::new(Resources::new()));
    let memory: &'static mut Memory<POOL_BYTES, POOL_BUFFERS, 16> =
        Box::leak(Box::new(Memory::new()));
    let mut handler = Hello::new(render as Render);
    let result = run(
        stack,
        resources,
        memory,
        METRICS.worker(0),
        &options,
        &mut handler,
        core::future::pending(),
    )
    .await;
    panic!("the main server returned: {result:?}");
}

/// The device application, serving until the process ends.
#[embassy_executor::task]
async fn device_server(stack: Stack<'static>, options: Options) {
    let resources: &'static mut Resources<SMALL_SOCKETS, SERVER_RX, SERVER_TX> =
        Box::leak(Box::new(Resources::new()));
    let memory: &'static mut Memory<POOL_BYTES, POOL_BUFFERS, 16> =
        Box::leak(Box::new(Memory::new()));
    let mut handler = Device::new(render as Render, Local::default());
    let result = run(
        stack,
        resources,
        memory,
        METRICS.worker(2),
        &options,
        &mut handler,
        core::future::pending(),
    )
    .await;
    panic!("the device server returned: {result:?}");
}

/// The small server, serving until [`STOP_SMALL`].
#[embassy_executor::task]
async fn small_server(stack: Stack<'static>, options: Options) {
    let resources: &'static mut Resources<SMALL_SOCKETS, 2048, 2048> =
        Box::leak(Box::new(Resources::new()));
    let memory: &'static mut Memory<POOL_BYTES, POOL_BUFFERS, 16> =
        Box::leak(Box::new(Memory::new()));
    let mut handler = Hello::new(render as Render);
    let result = run(
        stack,
        resources,
        memory,
        METRICS.worker(1),
        &options,
        &mut handler,
        STOP_SMALL.wait(),
    )
    .await;
    if result.is_ok() {
        SMALL_DONE.signal(());
    }
}

/// Waits for the link, then runs every scenario in order, reporting each.
#[embassy_executor::task]
async fn client(
    stack: Stack<'static>,
    scenarios: &'static [Scenario],
    report: mpsc::Sender<Outcome>,
) {
    stack.wait_config_up().await;
    let only = std::env::var("AURORA_SCENARIO").ok();
    for (name, scenario) in scenarios {
        if only
            .as_ref()
            .is_some_and(|only| !name.contains(only.as_str()))
        {
            let _ = report.send((name, Ok(())));
            continue;
        }
        let outcome = match with_timeout(SCENARIO_BOUND, scenario(stack)).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "took longer than {} ms",
                SCENARIO_BOUND.as_millis()
            )),
        };
        if report.send((name, outcome)).is_err() {
            return;
        }
        // Let the server put the scenario's sockets back to listening.
        Timer::after(Duration::from_millis(50)).await;
    }
}

/// `d` as the core counts time.
fn core_duration(d: Duration) -> CoreDuration {
    CoreDuration::from_micros(d.as_micros())
}

/// A parsed response.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub code: u16,
    /// Header fields, names lower-cased.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Whether it says `Connection: close`.
    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case(b"close"))
    }
}

/// A client connection with its unparsed input.
pub struct Conn {
    socket: TcpSocket<'static>,
    /// Bytes read and not yet taken (a WebSocket scenario reads its frames here).
    pub input: Vec<u8>,
}

/// What became of a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// Bytes arrived.
    Bytes(usize),
    /// The server sent FIN.
    Eof,
    /// The server reset the connection.
    Reset,
}

impl Conn {
    /// Connects to `port` with `rx`/`tx` bytes of socket buffers.
    pub async fn open_with(
        stack: Stack<'static>,
        port: u16,
        rx: usize,
        tx: usize,
    ) -> Result<Conn, String> {
        let rx: &'static mut [u8] = Box::leak(vec![0u8; rx].into_boxed_slice());
        let tx: &'static mut [u8] = Box::leak(vec![0u8; tx].into_boxed_slice());
        let mut socket = TcpSocket::new(stack, rx, tx);
        socket
            .connect((SERVER_IP, port))
            .await
            .map_err(|e| format!("connect: {e:?}"))?;
        Ok(Conn {
            socket,
            input: Vec::new(),
        })
    }

    /// Connects to the main server.
    pub async fn open(stack: Stack<'static>) -> Result<Conn, String> {
        Self::open_with(stack, PORT, 16 * 1024, 16 * 1024).await
    }

    /// Sends all of `bytes`.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = self
                .socket
                .write(rest)
                .await
                .map_err(|e| format!("write: {e:?}"))?;
            rest = &rest[n..];
        }
        Ok(())
    }

    /// One read into the input, bounded by [`READ_BOUND`].
    pub async fn fill(&mut self) -> Result<Read, String> {
        let mut buf = [0u8; 4096];
        match with_timeout(READ_BOUND, self.socket.read(&mut buf)).await {
            Err(_) => Err(format!(
                "nothing read for {} ms (have {:?})",
                READ_BOUND.as_millis(),
                String::from_utf8_lossy(&self.input)
            )),
            Ok(Ok(0)) => Ok(Read::Eof),
            Ok(Ok(n)) => {
                self.input.extend_from_slice(&buf[..n]);
                Ok(Read::Bytes(n))
            }
            Ok(Err(_)) => Ok(Read::Reset),
        }
    }

    /// Waits up to `bound` for input: `None` when nothing came.
    pub async fn poll_input(&mut self, bound: Duration) -> Result<Option<Read>, String> {
        match with_timeout(bound, self.fill()).await {
            Ok(read) => read.map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Reads one response (`head`: to a `HEAD` request, so without a body), or `None` when
    /// the server closed first.
    pub async fn read(&mut self, head: bool) -> Result<Option<Response>, String> {
        let (code, headers, consumed) = loop {
            let mut fields = [httparse::EMPTY_HEADER; 32];
            let mut parsed = httparse::Response::new(&mut fields);
            match parsed.parse(&self.input) {
                Ok(httparse::Status::Complete(n)) => {
                    let code = parsed.code.unwrap_or(0);
                    let headers = parsed
                        .headers
                        .iter()
                        .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
                        .collect::<Vec<_>>();
                    break (code, headers, n);
                }
                Ok(httparse::Status::Partial) => {}
                Err(e) => return Err(format!("bad response head: {e:?}")),
            }
            match self.fill().await? {
                Read::Bytes(_) => {}
                Read::Eof | Read::Reset if self.input.is_empty() => return Ok(None),
                other => return Err(format!("{other:?} inside a response head")),
            }
        };
        self.input.drain(..consumed);
        let mut response = Response {
            code,
            headers,
            body: Vec::new(),
        };
        if head || code < 200 || code == 204 || code == 304 {
            return Ok(Some(response));
        }
        if response
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case(b"chunked"))
        {
            response.body = self.chunked().await?;
        } else if let Some(len) = response.header("content-length") {
            let len: usize = std::str::from_utf8(len)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or("bad content-length")?;
            while self.input.len() < len {
                self.more().await?;
            }
            response.body = self.input.drain(..len).collect();
        } else {
            while let Read::Bytes(_) = self.fill().await? {}
            response.body = std::mem::take(&mut self.input);
        }
        Ok(Some(response))
    }

    /// Reads one response, failing if the server closed instead.
    pub async fn response(&mut self) -> Result<Response, String> {
        self.read(false)
            .await?
            .ok_or_else(|| "closed without a response".to_string())
    }

    /// Sends `request` while reading what comes back (as a client must when the response
    /// streams while the request body is still being sent), then reads its response.
    pub async fn exchange(&mut self, request: &[u8]) -> Result<Response, String> {
        let (mut reader, mut writer) = self.socket.split();
        let mut rest = request;
        let mut buf = vec![0u8; 4096];
        while !rest.is_empty() {
            match select(writer.write(rest), reader.read(&mut buf)).await {
                Either::First(Ok(n)) => rest = &rest[n..],
                Either::First(Err(e)) => return Err(format!("write: {e:?}")),
                Either::Second(Ok(0)) => return Err("end of stream while sending".into()),
                Either::Second(Ok(n)) => self.input.extend_from_slice(&buf[..n]),
                Either::Second(Err(e)) => return Err(format!("read: {e:?}")),
            }
        }
        self.response().await
    }

    /// Sends `request` and reads its response.
    pub async fn request(&mut self, request: &[u8]) -> Result<Response, String> {
        self.send(request).await?;
        self.response().await
    }

    /// A chunked body, de-chunked.
    async fn chunked(&mut self) -> Result<Vec<u8>, String> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = self.input.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                self.more().await?;
            };
            let line = String::from_utf8_lossy(&self.input[..line_end]).to_string();
            let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| format!("bad chunk size line {line:?}"))?;
            self.input.drain(..line_end + 2);
            while self.input.len() < size + 2 {
                self.more().await?;
            }
            if size == 0 {
                // No trailers from this server: the last chunk ends with an empty line.
                ensure!(&self.input[..2] == b"\r\n", "trailers after the last chunk");
                self.input.drain(..2);
                return Ok(body);
            }
            body.extend(self.input.drain(..size));
            ensure!(
                self.input.drain(..2).as_slice() == b"\r\n",
                "chunk without CRLF"
            );
        }
    }

    /// At least one more byte, or an error.
    async fn more(&mut self) -> Result<(), String> {
        match self.fill().await? {
            Read::Bytes(_) => Ok(()),
            other => Err(format!("{other:?} inside a body")),
        }
    }

    /// Expects the server to close (FIN or reset) with nothing more sent; returns how.
    pub async fn closed(&mut self) -> Result<Read, String> {
        ensure!(
            self.input.is_empty(),
            "unread bytes before the close: {:?}",
            String::from_utf8_lossy(&self.input)
        );
        match self.fill().await? {
            Read::Bytes(_) => Err(format!(
                "bytes instead of a close: {:?}",
                String::from_utf8_lossy(&self.input)
            )),
            how => Ok(how),
        }
    }

    /// Closes from this side and waits until the FIN exchange is done (so the server's
    /// socket is free again), bounded.
    pub async fn finish(mut self) {
        self.socket.close();
        let _ = with_timeout(Duration::from_secs(2), async {
            let mut buf = [0u8; 1024];
            // Drain until the server's FIN (or reset), then wait for our FIN's ACK.
            while let Ok(n) = self.socket.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
            let _ = self.socket.flush().await;
        })
        .await;
    }

    /// Whether the socket is still open (neither side closed).
    pub fn is_established(&self) -> bool {
        self.socket.state() == embassy_net::tcp::State::Established
    }
}

/// A `GET target` request.
pub fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n").into_bytes()
}

/// A `method` request to `/` with a `Content-Length` body.
pub fn with_body(method: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "{method} / HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    raw
}

/// A chunked `POST /` of `body` in chunks of `chunk` bytes.
pub fn chunked_post(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut raw = b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for part in body.chunks(chunk) {
        raw.extend(format!("{:x}\r\n", part.len()).into_bytes());
        raw.extend_from_slice(part);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    raw
}

/// Milliseconds since `start`.
pub fn elapsed_ms(start: Instant) -> u64 {
    start.elapsed().as_millis()
}

/// Prints every record to stderr (with `AURORA_TEST_LOG` set and the `log` feature on).
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        if record.target().starts_with("aurora") {
            eprintln!(
                "{:>8} {} {}",
                Instant::now().as_millis(),
                record.level(),
                record.args()
            );
        }
    }

    fn flush(&self) {}
}
