//! [`start`]: an HTTP server on the core's driver, one [`Server`] per worker thread.
//!
//! This module owns the worker's loop and the memory the driver borrows. It never touches a
//! socket itself: the driver does, through the [`Poller`] the worker was spawned with.
//!
//! # A worker's life
//!
//! 1. (In [`runtime`]) pinned to its CPU, listening.
//! 2. Allocates its buffer pools (one `Vec<u8>` and one slot array per size class of
//!    `config.pools.buffers`), its handlers' arena (`config.pools.arena_bytes` plus a fallback
//!    heap of `arena_fallback_bytes`) and its header scratch. The pages are zeroed lazily by the kernel
//!    and first touched by this thread, on its own CPU, so they come from its NUMA node.
//! 3. Builds its handler and a boxed [`Server`] with [`SLOTS`] connection slots.
//! 4. Loops: wait until readiness or [`Server::poll_timeout`], read the clock, set the wall
//!    clock for `Date`, [`Server::turn`].
//! 5. On a stop: [`Server::shutdown`], then turns until [`Server::is_drained`] or
//!    `shutdown_deadline`; connections left then are closed when the server is dropped.
//!
//! The handler is wrapped in an [`AccessLog`], which writes a line per answer when
//! `Options::access_log` is set and costs one branch when it is not.

use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use aurora_core::config::ServerConfig;
use aurora_core::conn::Handler;
use aurora_core::http::header::HeaderSpan;
use aurora_core::mem::SIZE_CLASSES;
use aurora_core::mem::arena::Arena;
use aurora_core::mem::buffer_pool::{BufferPool, ClassRegion, Slot};
use aurora_core::server::Server;
use aurora_core::time::Instant;

use crate::access::AccessLog;
use crate::metrics::MetricsHandle;
use crate::options::Options;
use crate::platform::{Platform, Poller};
use crate::runtime::{self, Running, Worker, WorkerContext};
use crate::socket::TcpSocket;

/// Connection slots per worker; a worker's share of `max_connections` is capped at this. The
/// slots, their timers and handles take about 7.5 MB per worker (x86-64), allocated when the
/// worker starts; the buffer pools come on top (7.25 MB with the default `pools.buffers`).
pub const SLOTS: usize = 16_384;

/// Starts `options.config.workers` workers (0: one per available CPU) on platform `P`, each
/// serving the handler `make_handler` builds for it on its own thread, and returns once every
/// worker listens on `options.addr` (a client may connect at once).
///
/// # Errors
///
/// `InvalidInput` if `options.config` does not validate; otherwise the first error of
/// spawning a thread or of a worker's bind, in which case no worker is left running.
pub fn start<P, H, F>(options: Options, make_handler: F) -> io::Result<Running>
where
    P: Platform,
    H: Handler + 'static,
    F: Fn(&WorkerContext) -> H + Send + Sync + 'static,
{
    options
        .config
        .validate()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    runtime::spawn::<P, _>(options, MetricsHandle::new(), move |worker| {
        serve(worker, &make_handler)
    })
}

/// Where a worker's loop stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Accepting and serving.
    Serving,
    /// Shutting down: finishing open connections until the deadline.
    Draining {
        /// When connections still open are dropped.
        deadline: Instant,
    },
}

/// The buffer-pool memory of one worker: bytes and slots per size class.
struct PoolMemory {
    bytes: [Vec<u8>; SIZE_CLASSES.len()],
    slots: [Vec<Slot>; SIZE_CLASSES.len()],
}

/// The core's clock for one worker: microseconds since the worker started.
struct Clock {
    origin: std::time::Instant,
}

/// Runs one worker until it is stopped and drained.
fn serve<R, H, F>(mut worker: Worker<R>, make_handler: &F) -> io::Result<()>
where
    R: Poller,
    H: Handler,
    F: Fn(&WorkerContext) -> H,
{
    let config: ServerConfig = worker.options.config;
    let index = worker.context.index;
    let mut memory = PoolMemory::new(&config.pools.buffers);
    let pool = memory.pool(u16::try_from(index).unwrap_or(u16::MAX));
    let mut spans =
        vec![HeaderSpan::EMPTY; config.limits.max_headers.max(config.limits.max_trailers)];
    // The handlers' per-call arena and its fallback heap, first touched here (NUMA-local too).
    let mut arena_bump = vec![0u8; config.pools.arena_bytes];
    let mut arena_fallback = vec![0u8; config.pools.arena_fallback_bytes];
    let metrics = worker.context.metrics.clone();
    let handler = AccessLog::new(
        make_handler(&worker.context),
        worker.options.access_log,
        index,
    );
    let clock = Clock::new();
    let mut server: Box<Server<'_, TcpSocket, AccessLog<H>, SLOTS>> = Box::new(
        Server::new(
            &config,
            worker.workers,
            pool,
            &mut spans,
            handler,
            metrics.worker(index),
            clock.now(),
        )
        .with_arena(Arena::with_fallback(&mut arena_bump, &mut arena_fallback)),
    );
    let shutdown_deadline = duration(worker.options.shutdown_deadline);
    let reactor: &mut R = &mut worker.reactor;
    let mut phase = Phase::Serving;
    loop {
        let now = clock.now();
        if phase == Phase::Serving && worker.stop.is_stopping() {
            log::debug!(
                "worker {index}: shutting down, {} connections open",
                server.connections()
            );
            server.shutdown(reactor, now);
            phase = Phase::Draining {
                deadline: now + shutdown_deadline,
            };
        }
        let wake_at = match phase {
            Phase::Serving => server.poll_timeout(),
            Phase::Draining { deadline } => {
                if server.is_drained() {
                    break;
                }
                if now >= deadline {
                    log::warn!(
                        "worker {index}: shutdown deadline passed, closing {} connections",
                        server.connections()
                    );
                    break;
                }
                Some(
                    server
                        .poll_timeout()
                        .map_or(deadline, |at| at.min(deadline)),
                )
            }
        };
        let timeout = wake_at.map(|at| {
            std::time::Duration::from_micros(at.saturating_duration_since(now).as_micros())
        });
        reactor.wait(timeout)?;
        server.set_wall_clock(unix_secs());
        server.turn(reactor, clock.now());
    }
    Ok(())
}

impl PoolMemory {
    /// `buffers[class]` zeroed buffers of each class, with their slots.
    fn new(buffers: &[u16; SIZE_CLASSES.len()]) -> Self {
        PoolMemory {
            bytes: std::array::from_fn(|class| {
                vec![0u8; SIZE_CLASSES[class] * usize::from(buffers[class])]
            }),
            slots: std::array::from_fn(|class| vec![Slot::EMPTY; usize::from(buffers[class])]),
        }
    }

    /// A pool with id `id` over this memory.
    fn pool(&mut self, id: u16) -> BufferPool<'_> {
        let [b0, b1, b2, b3, b4] = &mut self.bytes;
        let [s0, s1, s2, s3, s4] = &mut self.slots;
        BufferPool::new(
            id,
            [
                ClassRegion::new(b0, s0),
                ClassRegion::new(b1, s1),
                ClassRegion::new(b2, s2),
                ClassRegion::new(b3, s3),
                ClassRegion::new(b4, s4),
            ],
        )
    }
}

impl Clock {
    fn new() -> Self {
        Clock {
            origin: std::time::Instant::now(),
        }
    }

    /// Now, as the core counts time.
    fn now(&self) -> Instant {
        let micros = self.origin.elapsed().as_micros();
        Instant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }
}

/// `d` as the core's duration, saturating.
fn duration(d: std::time::Duration) -> aurora_core::time::Duration {
    aurora_core::time::Duration::from_micros(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Seconds since the Unix epoch, for `Date`; 0 if the clock is before it.
fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
