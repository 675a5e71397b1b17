//! The on-target test: Aurora's hello and device servers and an HTTP client in one Cortex-M4
//! image.
//!
//! Two embassy-net stacks, the servers' and the client's, are joined by an in-memory link
//! ([`link::cable`]); `hello` listens on [`net::PORT`], the device on [`DEVICE_PORT`], each
//! with memory of its own. The client runs each scenario on a fresh connection (hello: a
//! normal request and a keep-alive follow-up, a pipelined pair, a chunked upload sent in
//! parts, a malformed request; device: the page and the status, a valid and an invalid
//! configuration, an event from the live feed, a WebSocket exchange, a slow-loris attack on every socket), prints
//! one line per scenario over semihosting, and ends QEMU with exit code 0 when every scenario
//! passed and 1 otherwise. Run it with `cargo run --release --bin qemu-test` (the runner in
//! `.cargo/config.toml` starts QEMU's mps2-an386 board).
#![no_std]
#![no_main]

mod client;

use aurora_apps::device::PAGE;
use aurora_core::config::ServerConfig;
use aurora_embassy::{Checked, Options};
use aurora_firmware::{app, clock, device, link, net};
use cortex_m_semihosting::{debug, hprintln};
use embassy_executor::Spawner;
use embassy_net::tcp::TcpSocket;
use embassy_net::{Stack, StackResources};
use embassy_time::{Duration, Timer, with_timeout};
use static_cell::ConstStaticCell;

use client::{Answer, Client, Fail, contains};

/// How long one scenario may take.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(5);

/// The port the device listens on.
const DEVICE_PORT: u16 = 8080;

/// The greeting the hello application answers a `GET` with.
const GREETING: &[u8] = b"Hello, World!";

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        return;
    };
    clock::start(peripherals.SYST);

    static SERVER_LINK: ConstStaticCell<link::State> = ConstStaticCell::new(link::State::new());
    static CLIENT_LINK: ConstStaticCell<link::State> = ConstStaticCell::new(link::State::new());
    let (server_runner, server_device) = link::device(SERVER_LINK.take(), net::SERVER_MAC);
    let (client_runner, client_device) = link::device(CLIENT_LINK.take(), net::CLIENT_MAC);
    spawner.spawn(cable(server_runner, client_runner).expect("spawned once"));

    static SERVER_RESOURCES: ConstStaticCell<StackResources<{ 2 * net::CONNECTIONS }>> =
        ConstStaticCell::new(StackResources::new());
    let (server, server_stack) = embassy_net::new(
        server_device,
        net::config(net::SERVER),
        SERVER_RESOURCES.take(),
        0x5eed,
    );
    spawner.spawn(run_stack(server_stack).expect("one per stack"));
    // The scenarios' socket, the stalled ones of `device_stalled` and the one it sees refused.
    static CLIENT_RESOURCES: ConstStaticCell<StackResources<{ net::CONNECTIONS + 2 }>> =
        ConstStaticCell::new(StackResources::new());
    let (client, client_stack) = embassy_net::new(
        client_device,
        net::config(net::CLIENT),
        CLIENT_RESOURCES.take(),
        0xc11e,
    );
    spawner.spawn(run_stack(client_stack).expect("one per stack"));

    spawner.spawn(http(server).expect("spawned once"));
    spawner.spawn(device_http(server).expect("spawned once"));
    client.wait_config_up().await;

    let mut rx = [0u8; 2048];
    let mut tx = [0u8; 2048];
    let mut passed = 0u32;
    let mut failed = 0u32;
    macro_rules! scenario {
        ($name:literal, $run:ident) => {
            let outcome = with_timeout(SCENARIO_TIMEOUT, $run(client, &mut rx, &mut tx)).await;
            match outcome {
                Ok(Ok(())) => {
                    passed += 1;
                    hprintln!("ok   {}", $name);
                }
                Ok(Err(why)) => {
                    failed += 1;
                    hprintln!("FAIL {}: {}", $name, why);
                }
                Err(_) => {
                    failed += 1;
                    hprintln!(
                        "FAIL {}: no answer within {} ms",
                        $name,
                        SCENARIO_TIMEOUT.as_millis()
                    );
                }
            }
        };
    }
    scenario!("a request, then another on the same connection", normal);
    scenario!("a pipelined pair: greeting and /metrics", pipelined);
    scenario!("a chunked upload in three parts, echoed", chunked_upload);
    scenario!("a malformed request: 400, then close", malformed);
    scenario!("a request after all that", normal);
    scenario!("device: the page, then the status", device_page);
    scenario!("device: a valid config, then an invalid one", device_config);
    scenario!("device: a status event from the live feed", device_events);
    scenario!("device: a WebSocket echoes and answers status", device_ws);
    scenario!(
        "device: stalled clients hold every socket, time out, then it serves",
        device_stalled
    );
    hprintln!("qemu-test: {} passed, {} failed", passed, failed);
    debug::exit(if failed == 0 {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
}

/// A connection to the hello server with the client's socket buffers.
async fn connect<'s>(
    stack: Stack<'s>,
    rx: &'s mut [u8],
    tx: &'s mut [u8],
) -> Result<Client<'s>, Fail> {
    connect_to(net::PORT, stack, rx, tx).await
}

/// A connection to the server on `port` with the client's socket buffers.
async fn connect_to<'s>(
    port: u16,
    stack: Stack<'s>,
    rx: &'s mut [u8],
    tx: &'s mut [u8],
) -> Result<Client<'s>, Fail> {
    let mut socket = TcpSocket::new(stack, rx, tx);
    socket.set_timeout(Some(SCENARIO_TIMEOUT));
    socket
        .connect((net::SERVER, port))
        .await
        .map_err(|_| "connect failed")?;
    Ok(Client::new(socket))
}

/// Checks that `answer` is a `200` with `body`.
fn expect_ok(answer: &Answer, body: &[u8]) -> Result<(), Fail> {
    if answer.status != 200 {
        return Err("status is not 200");
    }
    if answer.body() != body || answer.len() != body.len() {
        return Err("unexpected body");
    }
    Ok(())
}

/// `GET /`, then `HEAD /` on the same connection.
async fn normal(stack: Stack<'_>, rx: &mut [u8], tx: &mut [u8]) -> Result<(), Fail> {
    let mut c = connect(stack, rx, tx).await?;
    c.send(b"GET / HTTP/1.1\r\nHost: aurora\r\n\r\n").await?;
    expect_ok(&c.answer().await?, GREETING)?;
    c.send(b"GET /again?x=1 HTTP/1.1\r\nHost: aurora\r\n\r\n")
        .await?;
    expect_ok(&c.answer().await?, GREETING)?;
    c.close().await;
    Ok(())
}

/// Two requests in one write; the answers come in order.
async fn pipelined(stack: Stack<'_>, rx: &mut [u8], tx: &mut [u8]) -> Result<(), Fail> {
    let mut c = connect(stack, rx, tx).await?;
    c.send(b"GET / HTTP/1.1\r\nHost: aurora\r\n\r\nGET /metrics HTTP/1.1\r\nHost: aurora\r\n\r\n")
        .await?;
    expect_ok(&c.answer().await?, GREETING)?;
    let metrics = c.answer().await?;
    if metrics.status != 200 || !metrics.prometheus {
        return Err("/metrics is not a 200 in the Prometheus text format");
    }
    if !metrics.body().starts_with(b"# ") {
        return Err("/metrics does not start with a comment line");
    }
    // The scenario before this one and the greeting just above were answered 200.
    let sample = b"\naurora_requests_total{class=\"2xx\"} ";
    let count = metrics
        .body()
        .windows(sample.len())
        .position(|w| w == sample)
        .and_then(|at| metrics.body().get(at + sample.len()))
        .ok_or("/metrics has no 2xx response count")?;
    if !(b'1'..=b'9').contains(count) {
        return Err("/metrics counts no 2xx response");
    }
    c.close().await;
    Ok(())
}

/// A chunked `POST` whose parts arrive apart; the echo is the body, and the connection stays
/// usable.
async fn chunked_upload(stack: Stack<'_>, rx: &mut [u8], tx: &mut [u8]) -> Result<(), Fail> {
    let mut c = connect(stack, rx, tx).await?;
    c.send(b"POST /echo HTTP/1.1\r\nHost: aurora\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await?;
    Timer::after_millis(20).await;
    c.send(b"5\r\nhello\r\n").await?;
    Timer::after_millis(20).await;
    c.send(b"6\r\n world\r\n0\r\n\r\n").await?;
    expect_ok(&c.answer().await?, b"hello world")?;
    c.send(b"GET / HTTP/1.1\r\nHost: aurora\r\n\r\n").await?;
    expect_ok(&c.answer().await?, GREETING)?;
    c.close().await;
    Ok(())
}

/// A header line without a colon: `400`, and the server closes.
async fn malformed(stack: Stack<'_>, rx: &mut [u8], tx: &mut [u8]) -> Result<(), Fail> {
    let mut c = connect(stack, rx, tx).await?;
    c.send(b"GET / HTTP/1.1\r\nHost: aurora\r\nno colon here\r\n\r\n")
        .await?;
    if c.answer().await?.status != 400 {
        return Err("status is not 400");
    }
    if !c.closed().await {
        return Err("the server kept the connection open");
    }
    c.close().await;
    Ok(())
}

/// `GET /`: the whole page; then `GET /api/status` on the same connection.
async fn device_page(stack: Stack<'_>, rx: &mut [u8], tx: &mut [u8]) -> Result<(), Fail> {
    let mut c = connect_to(DEVICE_PORT, stack, rx, tx).await?;
    c.send(b"GET / HTTP/1.1\r\nHost: aurora\r\n\r\n").await?;
    let page = c.answer().await?;
    if page.status != 200 || page.len() != PAGE.body.len() {
        return Err("/ is not a 200 with the whole page");
    }
    if !PAGE.body.starts_with(page.body()) {
        return Err("/ is not the page");
    }
    c.send(b"GET /api/status HTTP/1.1\r\nHost: aurora\r\n\r\n")
        .await?;
    let status = c.answer().await?;
    if status.status != 200 || !status.body().starts_with(b"{\"uptime_ms\":") {
        return Err("/api/status is not a 200 with the status");
    }
    if !contains(status.body(), b"\"config\":{\"name\":\"aurora\"") {
        return Err("/api/status does not hold the default configuration");
    }
    c.close().await;
    Ok(())
}

/// A valid `PUT /api/config` (`200` with it, and the next `GET` returns it), then an invalid
/// one (`422` naming both fields at fault).
async fn device_config(stack: Stack<'_>, rx: &mut [u8], tx: &mut [u8]) -> Result<(), Fail> {
    const CONFIG: &[u8] = br#"{"name":"qemu","interval_ms":100,"led":true}"#;
    let mut c = connect_to(DEVICE_PORT, stack, rx, tx).await?;
    c.send(b"PUT /api/config HTTP/1.1\r\nHost: aurora\r\nContent-Type: application/json\r\nContent-Length: 44\r\n\r\n")
        .await?;
    c.send(CONFIG).await?;
    expect_ok(&c.answer().await?, CONFIG)?;
    c.send(b"GET /api/config HTTP/1.1\r\nHost: aurora\r\n\r\n")
        .await?;
    expect_ok(&c.answer().await?, CONFIG)?;
    c.send(b"PUT /api/config HTTP/1.1\r\nHost: aurora\r\nContent-Type: application/json\r\nContent-Length: 39\r\n\r\n{\"name\":\"\",\"interval_ms\":5,\"led\":false}")
        .await?;
    let refused = c.answer().await?;
    if refused.status != 422 {
        return Err("an invalid configuration is not a 422");
    }
    if !contains(refused.body(), br#""fields":["name","interval_ms"]"#) {
        return Err("the 422 does not name both fields");
    }
    c.close().await;
    Ok(())
}

/// `GET /api/ws`: the upgrade (`101` with the `Sec-WebSocket-Accept` of RFC 6455's sample
/// key), a text message echoed, the text `status` answered with the status JSON, and the
/// close handshake.
async fn device_ws(stack: Stack<'_>, rx: &mut [u8], tx: &mut [u8]) -> Result<(), Fail> {
    /// A masked client frame of `opcode` carrying `N` bytes (N <= 125), mask 1, 2, 3, 4.
    fn masked<const N: usize, const F: usize>(opcode: u8, payload: &[u8; N]) -> [u8; F] {
        let mut frame = [0u8; F];
        frame[0] = 0x80 | opcode;
        frame[1] = 0x80 | N as u8;
        frame[2..6].copy_from_slice(&[1, 2, 3, 4]);
        for (i, byte) in payload.iter().enumerate() {
            frame[6 + i] = byte ^ (i as u8 % 4 + 1);
        }
        frame
    }
    let mut c = connect_to(DEVICE_PORT, stack, rx, tx).await?;
    c.send(
        b"GET /api/ws HTTP/1.1\r\nHost: aurora\r\nUpgrade: websocket\r\n\
          Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
          Sec-WebSocket-Version: 13\r\n\r\n",
    )
    .await?;
    c.send(&masked::<2, 8>(0x1, b"hi")).await?;
    let upgraded = c.until(b"\x81\x02hi").await?;
    if upgraded.status != 101 {
        return Err("/api/ws is not a 101");
    }
    if &upgraded.accept != b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
        return Err("the 101 has the wrong Sec-WebSocket-Accept");
    }
    c.send(&masked::<6, 12>(0x1, b"status")).await?;
    c.expect(b"{\"uptime_ms\":").await?;
    // A close with status 1000; the device answers with its own close frame.
    c.send(&masked::<2, 8>(0x8, &[0x03, 0xe8])).await?;
    c.expect(b"\x88\x02\x03\xe8").await?;
    c.close().await;
    Ok(())
}

/// `GET /api/events`: a `200` stream whose first event is a `status` with the status.
async fn device_events(stack: Stack<'_>, rx: &mut [u8], tx: &mut [u8]) -> Result<(), Fail> {
    let mut c = connect_to(DEVICE_PORT, stack, rx, tx).await?;
    c.send(b"GET /api/events HTTP/1.1\r\nHost: aurora\r\n\r\n")
        .await?;
    let stream = c.until(b"event: status\ndata: {\"uptime_ms\":").await?;
    if stream.status != 200 {
        return Err("/api/events is not a 200");
    }
    c.close().await;
    Ok(())
}

/// A slow-loris attack: one stalled client per socket of the device, each with part of a head
/// sent, so the next connection is refused; the device's header-read timeout
/// ([`device_server_config`]) closes them, and then a request is served again.
async fn device_stalled(stack: Stack<'_>, rx: &mut [u8], tx: &mut [u8]) -> Result<(), Fail> {
    let mut buffers = [[[0u8; 256]; 2]; net::CONNECTIONS];
    let mut stalled = buffers.each_mut().map(|pair| {
        let [rx, tx] = pair;
        TcpSocket::new(stack, rx, tx)
    });
    for socket in &mut stalled {
        // A socket the last scenario's connection closed listens again within the linger.
        let mut tries = 0;
        while socket.connect((net::SERVER, DEVICE_PORT)).await.is_err() {
            tries += 1;
            if tries == 40 {
                return Err("a stalled client could not connect");
            }
            Timer::after_millis(50).await;
        }
        socket
            .write(b"GET / HTTP/1.1\r\nHost: a")
            .await
            .map_err(|_| "a stalled client could not write")?;
        socket.flush().await.map_err(|_| "flush failed")?;
    }
    // Let the server take them all.
    Timer::after_millis(50).await;
    if connect_to(DEVICE_PORT, stack, &mut *rx, &mut *tx)
        .await
        .is_ok()
    {
        return Err("a connection beyond the sockets was taken");
    }
    for socket in &mut stalled {
        // The server answers the timeout (408) and closes; read until it has.
        let mut sink = [0u8; 128];
        while let Ok(1..) = socket.read(&mut sink).await {}
        socket.close();
        let _ = socket.flush().await;
    }
    // The sockets listen again once each close has finished.
    for _ in 0..40 {
        if let Ok(mut c) = connect_to(DEVICE_PORT, stack, &mut *rx, &mut *tx).await {
            c.send(b"GET /api/status HTTP/1.1\r\nHost: aurora\r\n\r\n")
                .await?;
            if c.answer().await?.status != 200 {
                return Err("/api/status after the attack is not a 200");
            }
            c.close().await;
            return Ok(());
        }
        Timer::after_millis(50).await;
    }
    Err("the device took no connection after the stalled ones were closed")
}

/// The device's configuration here: the image's, with a 1 s header-read timeout, so that
/// [`device_stalled`] ends soon.
const fn device_server_config() -> ServerConfig {
    let mut config = app::config();
    config.timeouts.header_read = aurora_core::time::Duration::from_secs(1);
    config
}

/// The server; if it cannot start, the test fails at once.
#[embassy_executor::task]
async fn http(stack: Stack<'static>) {
    if let Err(error) = app::serve(stack).await {
        hprintln!("FAIL the server did not start: {}", error);
        debug::exit(debug::EXIT_FAILURE);
    }
}

/// The device's server, with memory of its own; if it cannot start, the test fails at once.
#[embassy_executor::task]
async fn device_http(stack: Stack<'static>) {
    static MEMORY: ConstStaticCell<app::ServerMemory> =
        ConstStaticCell::new(app::ServerMemory::new());
    static OPTIONS: Checked = Options::checked(DEVICE_PORT, device_server_config());
    if let Err(error) = app::serve_in(
        stack,
        MEMORY.take(),
        &OPTIONS,
        app::METRICS.worker(0),
        &mut device::app(),
    )
    .await
    {
        hprintln!("FAIL the device did not start: {}", error);
        debug::exit(debug::EXIT_FAILURE);
    }
}

#[embassy_executor::task]
async fn cable(server: link::Runner, client: link::Runner) -> ! {
    link::cable(server, client).await
}

#[embassy_executor::task(pool_size = 2)]
async fn run_stack(mut runner: embassy_net::Runner<'static, link::Device>) -> ! {
    runner.run().await
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    hprintln!("panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    // Only reached without a semihosting host.
    cortex_m::asm::udf()
}
