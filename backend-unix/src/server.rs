//! [`start`]: an HTTP server on the core's driver, one [`Server`] per worker thread.
//!
//! This module owns the worker's loop and the memory the driver borrows. It never touches a
//! socket itself: the driver does, through the [`Poller`] the worker was spawned with.
//!
//! # A worker's life
//!
//! 1. (In [`runtime`]) pinned to its CPU, listening.
//! 2. Reserves its connection and timer tables (its share of `max_connections`,
//!    `ceil(max_connections / workers)`, in [`Reserved`] tables), its buffer pools (one
//!    `Vec<u8>` and one slot array per size class of `config.pools.buffers`), its handlers'
//!    arena (`config.pools.arena_bytes` plus a fallback heap of `arena_fallback_bytes`) and its
//!    header scratch. The pages are zeroed lazily by the kernel and first touched by this
//!    thread, on its own CPU, so they come from its NUMA node; the tables and the pool are
//!    written only as connections use them.
//! 3. Builds its handler and its [`Server`] over that memory.
//! 4. Loops ([`EventLoop::run`], one [`EventLoop::run_once`] per turn): wait until readiness or
//!    [`Server::poll_timeout`], read the clock, set the wall clock for `Date`, [`Server::turn`].
//! 5. On a stop (SIGINT or SIGTERM in [`Running::run_until_signal`], or a [`StopHandle`]): the
//!    worker closes its listener ([`Poller::close_listener`]) and serves the connections it
//!    has for [`QUIESCE`]; then the drain: [`Server::shutdown`] closes idle keep-alive
//!    connections and marks requests in flight to finish with `Connection: close`, and the
//!    worker turns until [`Server::is_drained`] or `shutdown_deadline` (counted from the
//!    stop); connections left then are closed when the server is dropped.
//!
//! The handler is wrapped in an [`AccessLog`], which writes a line per answer when
//! `Options::access_log` is set and costs one branch when it is not.

use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use aurora_core::config::ServerConfig;
use aurora_core::conn::Handler;
use aurora_core::http::header::HeaderSpan;
use aurora_core::mem::arena::Arena;
use aurora_core::server::{Server, Tables};
use aurora_core::time::Instant;

use crate::access::AccessLog;
use crate::memory::{PoolMemory, Reserved};
use crate::metrics::MetricsHandle;
use crate::options::Options;
use crate::platform::{Platform, Poller};
use crate::runtime::{self, Running, StopHandle, Worker, WorkerContext};
use crate::socket::TcpSocket;

/// Starts `options.config.workers` workers (0: one per available CPU) on platform `P`, each
/// serving the handler `make_handler` builds for it on its own thread, and returns once every
/// worker listens on `options.addr`, or on the socket a service manager passed
/// ([`activation`](crate::activation)); a client may connect at once.
///
/// # Errors
///
/// `InvalidInput` if `options.config` does not validate or a passed socket is unusable,
/// `AddrInUse` if another server listens on `options.addr` ([`ensure_free`](crate::socket::ensure_free));
/// otherwise the first error of spawning a thread or of a worker's bind, in which case no
/// worker is left running.
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

/// How long a stopping worker goes on serving the connections it has, its listener closed,
/// before its drain closes the idle ones (at most the shutdown deadline).
///
/// The drain closes a connection that sent nothing yet as idle. Without this pause, a client
/// whose request was on its way to a connection accepted just before the stop would see it
/// closed unanswered; and a client whose idle connection one worker closed would reconnect
/// to another worker of the same process that had not yet seen the stop, to be closed in the
/// same way. Once every worker's listener is closed (within this pause), new connections go
/// to the next process on an inherited socket, or are refused.
pub const QUIESCE: std::time::Duration = std::time::Duration::from_millis(100);

/// Where a worker's loop stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Accepting and serving.
    Serving,
    /// Stopping: listener closed, serving the connections it has until `until` ([`QUIESCE`]).
    Quiescing {
        /// When the drain begins.
        until: Instant,
        /// When connections still open are dropped.
        deadline: Instant,
    },
    /// Shutting down: finishing open connections until the deadline.
    Draining {
        /// When connections still open are dropped.
        deadline: Instant,
    },
}

/// The core's clock for one worker: microseconds since the worker started.
#[derive(Debug)]
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
    // This worker's share of the connections, as the driver computes it.
    let share = usize::try_from(config.max_connections)
        .unwrap_or(usize::MAX)
        .div_ceil(worker.workers.max(1));
    let mut conns = Reserved::new(share);
    let mut timers = Reserved::new(share);
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
    let mut server = Server::new(
        &config,
        worker.workers,
        Tables::new(&mut conns, &mut timers),
        pool,
        &mut spans,
        handler,
        metrics.worker(index),
        clock.now(),
    )
    .with_arena(Arena::with_fallback(&mut arena_bump, &mut arena_fallback));
    let mut event_loop = EventLoop {
        server: &mut server,
        reactor: &mut worker.reactor,
        clock,
        phase: Phase::Serving,
        shutdown_deadline: duration(worker.options.shutdown_deadline),
        external: Some(worker.stop.clone()),
        stop_requested: false,
        wakes: 0,
        index,
    };
    event_loop.run()
}

/// One worker's event loop: its [`Server`] and its poller, turned by [`run`](Self::run) or one
/// step at a time by [`run_once`](Self::run_once), and stopped gracefully by
/// [`stop`](Self::stop) (or the server-wide [`StopHandle`]).
///
/// [`start`] builds one per worker thread and calls `run`; this type is public so its steps
/// are named and documented where the backends share them.
pub struct EventLoop<'a, 'm, R: Poller, H: Handler> {
    server: &'a mut Server<'m, TcpSocket, H>,
    reactor: &'a mut R,
    clock: Clock,
    phase: Phase,
    shutdown_deadline: aurora_core::time::Duration,
    /// The server-wide stop, checked before every step.
    external: Option<StopHandle>,
    /// [`stop`](Self::stop) was called on this loop.
    stop_requested: bool,
    /// The server-wide wake count last acted on ([`BodyWaker`](crate::runtime::BodyWaker)).
    wakes: u64,
    index: usize,
}

/// What [`EventLoop::run_once`] left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Serving: call [`run_once`](EventLoop::run_once) again.
    Serving,
    /// Stopping: connections are finishing; call `run_once` again.
    Draining,
    /// Stopped: every connection is closed or the shutdown deadline passed.
    Finished,
}

impl<'a, 'm, R: Poller, H: Handler> EventLoop<'a, 'm, R, H> {
    /// A loop turning `server` on `reactor`'s readiness, which drains for at most
    /// `shutdown_deadline` once stopped. Its clock reads `Instant::ZERO` now: build `server`
    /// with that `now`.
    pub fn new(
        server: &'a mut Server<'m, TcpSocket, H>,
        reactor: &'a mut R,
        shutdown_deadline: std::time::Duration,
    ) -> Self {
        EventLoop {
            server,
            reactor,
            clock: Clock::new(),
            phase: Phase::Serving,
            shutdown_deadline: duration(shutdown_deadline),
            external: None,
            stop_requested: false,
            wakes: 0,
            index: 0,
        }
    }

    /// Runs until stopped and drained (or the shutdown deadline passed).
    ///
    /// # Errors
    ///
    /// The poller's wait failing.
    pub fn run(&mut self) -> io::Result<()> {
        while self.run_once(None)? != Step::Finished {}
        Ok(())
    }

    /// One step: begins the graceful stop if one was asked for, waits for readiness until the
    /// driver's next deadline (at most `max_wait`, when given), then reads the clock and turns
    /// the driver once.
    ///
    /// # Errors
    ///
    /// The poller's wait failing.
    pub fn run_once(&mut self, max_wait: Option<std::time::Duration>) -> io::Result<Step> {
        let now = self.clock.now();
        let asked =
            self.stop_requested || self.external.as_ref().is_some_and(StopHandle::is_stopping);
        if self.phase == Phase::Serving && asked {
            log::debug!(
                "worker {}: stopping, {} connections open",
                self.index,
                self.server.connections()
            );
            self.reactor.close_listener();
            self.phase = Phase::Quiescing {
                until: now + duration(QUIESCE).min(self.shutdown_deadline),
                deadline: now + self.shutdown_deadline,
            };
        }
        if let Phase::Quiescing { until, deadline } = self.phase
            && now >= until
        {
            self.server.shutdown(self.reactor, now);
            self.phase = Phase::Draining { deadline };
        }
        let wake_at = match self.phase {
            Phase::Serving => self.server.poll_timeout(),
            Phase::Quiescing { until, .. } => {
                Some(self.server.poll_timeout().map_or(until, |at| at.min(until)))
            }
            Phase::Draining { deadline } => {
                if self.server.is_drained() {
                    return Ok(Step::Finished);
                }
                if now >= deadline {
                    log::warn!(
                        "worker {}: shutdown deadline passed, closing {} connections",
                        self.index,
                        self.server.connections()
                    );
                    return Ok(Step::Finished);
                }
                Some(
                    self.server
                        .poll_timeout()
                        .map_or(deadline, |at| at.min(deadline)),
                )
            }
        };
        let timeout = wake_at.map(|at| {
            std::time::Duration::from_micros(at.saturating_duration_since(now).as_micros())
        });
        let timeout = match (timeout, max_wait) {
            (Some(t), Some(m)) => Some(t.min(m)),
            (t, m) => t.or(m),
        };
        self.reactor.wait(timeout)?;
        self.server.set_wall_clock(unix_secs());
        let now = self.clock.now();
        self.server.turn(self.reactor, now);
        let wakes = self.external.as_ref().map_or(0, StopHandle::wakes);
        if wakes != self.wakes {
            self.wakes = wakes;
            self.server.wake(self.reactor, now);
        }
        Ok(match self.phase {
            Phase::Serving => Step::Serving,
            Phase::Quiescing { .. } | Phase::Draining { .. } => Step::Draining,
        })
    }

    /// Begins a graceful stop of this loop at its next step: no new connections, then after
    /// [`QUIESCE`] requests in flight finish with `Connection: close` and idle connections
    /// close. (To stop every worker
    /// from another thread, use the [`StopHandle`].)
    pub fn stop(&mut self) {
        self.stop_requested = true;
    }
}

impl<R: Poller, H: Handler> std::fmt::Debug for EventLoop<'_, '_, R, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("worker", &self.index)
            .field("phase", &self.phase)
            .field("connections", &self.server.connections())
            .finish_non_exhaustive()
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
