//! The HTTP server of the `hello` and `qemu-test` images: Aurora's demo application on
//! aurora-embassy, with the memory it runs in; and the sockets, metrics and loop every server
//! image shares ([`serve_with`], or [`serve_in`] for a second server in one image).
//!
//! Memory of one server, all static ([`ServerMemory`]): 4 TCP sockets with 1 KiB receive and
//! 1 KiB transmit buffers ([`Sockets`]), and the core's buffer pool: eight 1 KiB buffers, so
//! that all 4 connections can hold a read buffer and an output queue at once (a connection
//! starts both in the 1 KiB class, `pools.start_bytes`, and returns them between requests),
//! and two 4 KiB buffers for the connections whose head (up to `limits.max_head_bytes`,
//! 4 KiB) or pipelined answers outgrow 1 KiB. Nothing larger: the `/metrics` answer (about
//! 4.7 KB of text) is streamed, a piece each time the output queue drains, and a body larger
//! than a read buffer reaches the echo in parts. The `greeting` image runs on the small pool
//! ([`small_config`]: the eight 1 KiB buffers alone). No arena: the handlers allocate nothing.

use aurora_apps::hello::Hello;
use aurora_core::config::ServerConfig;
use aurora_core::conn::Handler;
use aurora_core::mem::buffer_pool::SizeClass;
use aurora_core::metrics::{Recorder, RenderError, Renderer};
use aurora_core::server::{PARSE_ERROR_LABELS, ServerMetrics};
use aurora_embassy::{Checked, Memory, Options, Resources, RunError, run};
use embassy_net::Stack;
use static_cell::ConstStaticCell;

use crate::net;

/// The TCP sockets and their buffers.
pub type Sockets = Resources<{ net::CONNECTIONS }, { net::TCP_BUFFER }, { net::TCP_BUFFER }>;

/// Buffers in each of the pool's size classes (1, 4, 16, 64, 256 KiB).
pub const POOL_BUFFERS: [u16; 5] = [8, 2, 0, 0, 0];

/// Bytes of the handlers' per-call arena: none, as the hello, device and greeting handlers
/// allocate nothing.
pub const ARENA_BYTES: usize = 0;

/// Bytes of the pool: the buffers of [`POOL_BUFFERS`] and the arena.
pub const POOL_BYTES: usize = 8 * 1024 + 2 * 4 * 1024 + ARENA_BYTES;

/// Header fields a request head (or a chunked body's trailer) may carry.
pub const MAX_HEADERS: usize = 16;

/// Buffers in each size class of the small pool ([`small_config`]): a 1 KiB read buffer and
/// a 1 KiB output queue per connection, nothing larger.
pub const SMALL_POOL_BUFFERS: [u16; 5] = [8, 0, 0, 0, 0];

/// Bytes of the small pool: the buffers of [`SMALL_POOL_BUFFERS`] and the arena.
pub const SMALL_POOL_BYTES: usize = 8 * 1024 + ARENA_BYTES;

/// The static memory of one server: its TCP sockets, and the core's pool of `BYTES` in
/// `BUFFERS` buffers with the header scratch ([`POOL_BYTES`] in 10 by default).
pub struct ServerMemory<const BYTES: usize = POOL_BYTES, const BUFFERS: usize = 10> {
    sockets: Sockets,
    pool: Memory<BYTES, BUFFERS, MAX_HEADERS>,
}

/// The memory of a server on the small pool.
pub type SmallMemory = ServerMemory<SMALL_POOL_BYTES, 8>;

/// The server's metrics, rendered at `/metrics`.
pub static METRICS: ServerMetrics<1> = ServerMetrics::new();

/// The application: the demo with [`METRICS`] at `/metrics`.
pub type App = Hello<fn(&mut Renderer<'_>) -> Result<(), RenderError>>;

/// The core's configuration for this board: the defaults with limits that fit the pool.
pub const fn config() -> ServerConfig {
    let mut config = ServerConfig::DEFAULT;
    config.limits.max_head_bytes = 4 * 1024;
    config.limits.max_target_bytes = 1024;
    config.limits.max_headers = MAX_HEADERS;
    config.limits.max_trailers = MAX_HEADERS;
    config.limits.max_body_bytes = 64 * 1024;
    config.pools.buffers = POOL_BUFFERS;
    config.pools.start_class = SizeClass::Kib1;
    // No arena and no fallback heap: the handlers allocate nothing.
    config.pools.arena_bytes = ARENA_BYTES;
    config.pools.arena_fallback_bytes = 0;
    config.max_connections = net::CONNECTIONS as u32;
    config.high_water_percent = 100;
    config
}

/// [`config`] on the small pool: heads (and request targets) up to 1 KiB, and one read
/// buffer and output queue of 1 KiB per connection, as picoserve's hello gives each
/// connection 2 KiB. A longer head is refused with `431` (or `414`).
pub const fn small_config() -> ServerConfig {
    let mut config = config();
    config.limits.max_head_bytes = 1024;
    config.pools.buffers = SMALL_POOL_BUFFERS;
    config
}

/// Serves the hello application on `stack`, port [`net::PORT`], for ever. Call once.
///
/// # Errors
///
/// [`RunError`] when the pool does not fit the configuration (checked when the image is built).
///
/// # Panics
///
/// When called a second time (the static memory is taken).
pub async fn serve(stack: Stack<'static>) -> Result<(), RunError> {
    serve_with(stack, &mut App::new(render_metrics)).await
}

/// Serves `handler` on `stack` with this module's memory ([`ServerMemory`]) and
/// configuration ([`config`]) on port [`net::PORT`], recording into [`METRICS`], for ever. Call
/// once per image.
///
/// # Errors
///
/// [`RunError`] when the pool does not fit the configuration (checked when the image is built).
///
/// # Panics
///
/// When called a second time (the static memory is taken).
pub async fn serve_with<H: Handler>(
    stack: Stack<'static>,
    handler: &mut H,
) -> Result<(), RunError> {
    static MEMORY: ConstStaticCell<ServerMemory> = ConstStaticCell::new(ServerMemory::new());
    // Checked while the image is built: `run` links no configuration checker.
    static OPTIONS: Checked = Options::checked(net::PORT, config());
    serve_in(stack, MEMORY.take(), &OPTIONS, METRICS.worker(0), handler).await
}

/// Serves `handler` on `stack` in `memory` with `options`, recording into `metrics`, for
/// ever: [`serve_with`] with the caller's memory and metrics, for an image that runs a second
/// server or records nothing.
///
/// # Errors
///
/// [`RunError`] when the pool does not fit the configuration.
pub async fn serve_in<H: Handler, const BYTES: usize, const BUFFERS: usize>(
    stack: Stack<'static>,
    memory: &'static mut ServerMemory<BYTES, BUFFERS>,
    options: &Checked,
    metrics: &impl Recorder,
    handler: &mut H,
) -> Result<(), RunError> {
    run(
        stack,
        &mut memory.sockets,
        &mut memory.pool,
        metrics,
        options,
        handler,
        core::future::pending(),
    )
    .await
}

impl<const BYTES: usize, const BUFFERS: usize> ServerMemory<BYTES, BUFFERS> {
    /// The sockets' buffers and the pool, zeroed.
    pub const fn new() -> Self {
        Self {
            sockets: Resources::new(),
            pool: Memory::new(),
        }
    }
}

impl<const BYTES: usize, const BUFFERS: usize> Default for ServerMemory<BYTES, BUFFERS> {
    fn default() -> Self {
        Self::new()
    }
}

/// Renders [`METRICS`] into `r`.
pub fn render_metrics(r: &mut Renderer<'_>) -> Result<(), RenderError> {
    METRICS.render_into(r, &PARSE_ERROR_LABELS)
}
