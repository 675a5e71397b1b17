//! [`run`]: one HTTP server on an embassy-net stack, the core's driver in an async loop.
//!
//! This module owns the loop and the memory the driver borrows. It never reads or writes a
//! socket itself (the driver does, through the [`EmbassyReactor`]) and never holds HTTP
//! logic: that is the core's [`Server`], the same one the Linux backend drives.
//!
//! # The loop
//!
//! 1. Read the clock ([`embassy_time::Instant::now`]), set the wall clock if there is one.
//! 2. Move sockets along (closing, resetting, back to listening), then [`Server::turn`].
//! 3. Wait until a socket wakes the task, the driver's next deadline
//!    ([`Server::poll_timeout`]) or a socket's linger bound passes ([`Timer::at`]), or the
//!    stop future resolves.
//! 4. On a stop: [`Server::shutdown`], then go on until [`Server::is_drained`] and every
//!    socket has finished closing, or [`Options::shutdown_deadline`]; then return.

use core::cell::RefCell;
use core::fmt;
use core::future::Future;
use core::pin::pin;

use aurora_core::config::{ConfigError, ServerConfig};
use aurora_core::conn::{Handler, RequestBody, Responder};
use aurora_core::http::request::Request;
use aurora_core::metrics::Recorder;
use aurora_core::server::tables::{ConnEntry, TimerEntry};
use aurora_core::server::{Server, Tables};
use aurora_core::time::Instant as CoreInstant;
use embassy_futures::select::{Either3, select3};
use embassy_net::Stack;
use embassy_net::tcp::TcpSocket;
use embassy_time::{Duration, Instant, Timer};

use crate::reactor::EmbassyReactor;
use crate::resources::{Memory, MemoryError, Resources};

/// How a server runs, besides the core's configuration.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The TCP port every socket listens on (not 0).
    pub port: u16,
    /// The core's configuration, validated by [`run`].
    pub config: ServerConfig,
    /// How long a gracefully closed socket waits for the peer's FIN (discarding what the peer
    /// still sends) before it is reset and listens again. A socket is not available for new
    /// connections meanwhile.
    pub close_linger: Duration,
    /// After the stop future resolved, how long open connections may take to finish.
    pub shutdown_deadline: Duration,
    /// Seconds since the Unix epoch, for the `Date` header, or `None` for responses without
    /// `Date` (a board without a real-time clock). Only with the feature `wall-clock`.
    #[cfg(feature = "wall-clock")]
    pub wall_clock: Option<fn() -> u64>,
}

/// [`Options`] checked while the program is built ([`Options::checked`]): [`run`] checks
/// nothing when it starts, so the configuration checker and its errors are not linked.
#[derive(Clone, Copy, Debug)]
pub struct Checked(Options);

/// What [`run`] takes as its options: `&Options`, checked when `run` starts, or `&Checked`,
/// checked when the program was built.
pub trait Settings: sealed::Sealed {
    /// The options.
    fn options(&self) -> &Options;

    /// Checks the options as `run` starts.
    ///
    /// # Errors
    ///
    /// [`RunError::Config`] or [`RunError::Port`].
    fn check(&self) -> Result<(), RunError>;
}

mod sealed {
    /// Only this crate's option types are [`Settings`](super::Settings).
    pub trait Sealed {}
    impl Sealed for &super::Options {}
    impl Sealed for &super::Checked {}
}

/// Why [`run`] did not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RunError {
    /// The configuration does not validate.
    Config(ConfigError),
    /// [`Memory`] cannot hold the configured pools.
    Memory(MemoryError),
    /// [`Options::port`] is 0.
    Port,
}

/// Slots of the driver's timer wheel: one. A device's few sockets share it, so firing and
/// finding the next deadline walk at most one timer per socket (a Linux worker's 256 slots
/// pay off only with thousands of connections), and the modulo folds away: 360 bytes of
/// code and 124 of RAM fewer than 32 slots in `greeting`.
const WHEEL_SLOTS: usize = 1;

/// The driver never trims its tables: they are arrays in the run future, written whole, which
/// give nothing back (and `SOCKETS` slots never reach the driver's trim threshold). Without
/// trimming, its code is not linked into the image.
const TRIM: bool = false;

/// Where the loop stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Accepting and serving.
    Serving,
    /// Shutting down: finishing open connections until the deadline.
    Draining {
        /// When what is left is dropped.
        deadline: Instant,
    },
}

/// The caller's handler, lent to the driver for as long as [`run`] runs.
///
/// Borrowing rather than taking the handler keeps one copy of it: an async function's future
/// holds its arguments apart from its locals, so a handler passed by value would sit in the
/// server's task twice (as the argument and inside the driver), which for a handler with
/// inline buffers is RAM for nothing.
struct Lent<'h, H>(&'h mut H);

/// What ended one wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wake {
    /// A socket, a deadline or nothing in particular: take a turn.
    Turn,
    /// The stop future resolved.
    Stop,
}

impl Options {
    /// Serving `port` with `config`, a 2 s close linger, a 10 s shutdown deadline and no wall
    /// clock.
    pub const fn new(port: u16, config: ServerConfig) -> Self {
        Self {
            port,
            config,
            close_linger: Duration::from_secs(2),
            shutdown_deadline: Duration::from_secs(10),
            #[cfg(feature = "wall-clock")]
            wall_clock: None,
        }
    }

    /// [`new`](Self::new), checked at once: written in a `static` or `const` initialiser, an
    /// invalid configuration or port 0 is a compile error, and [`run`] given the result
    /// checks nothing.
    ///
    /// # Panics
    ///
    /// When the configuration does not validate or `port` is 0 (at build time in a `static`
    /// or `const`).
    ///
    /// # Examples
    ///
    /// ```
    /// use aurora_core::config::ServerConfig;
    /// use aurora_embassy::{Checked, Options};
    ///
    /// static OPTIONS: Checked = Options::checked(80, ServerConfig::DEFAULT);
    /// assert_eq!(OPTIONS.options().port, 80);
    /// ```
    ///
    /// A configuration that does not validate does not build:
    ///
    /// ```compile_fail
    /// use aurora_core::config::ServerConfig;
    /// use aurora_embassy::{Checked, Options};
    ///
    /// const fn config() -> ServerConfig {
    ///     let mut config = ServerConfig::DEFAULT;
    ///     config.low_water_percent = config.high_water_percent;
    ///     config
    /// }
    /// static OPTIONS: Checked = Options::checked(80, config());
    /// ```
    pub const fn checked(port: u16, config: ServerConfig) -> Checked {
        assert!(port != 0, "port 0 cannot be listened on");
        assert!(
            config.validate().is_ok(),
            "the configuration does not validate"
        );
        Checked(Self::new(port, config))
    }
}

impl Checked {
    /// The options.
    pub const fn options(&self) -> &Options {
        &self.0
    }
}

impl Settings for &Options {
    fn options(&self) -> &Options {
        self
    }

    fn check(&self) -> Result<(), RunError> {
        self.config.validate().map_err(RunError::Config)?;
        if self.port == 0 {
            return Err(RunError::Port);
        }
        Ok(())
    }
}

impl Settings for &Checked {
    fn options(&self) -> &Options {
        &self.0
    }

    fn check(&self) -> Result<(), RunError> {
        Ok(())
    }
}

/// Serves `handler` on `stack`, port [`Options::port`] of `settings` (`&Options`, or
/// `&Checked` from [`Options::checked`]), until `stop` resolves and the
/// connections open then have finished (or [`Options::shutdown_deadline`] passed).
///
/// `resources` gives the `SOCKETS` TCP sockets and their buffers, `memory` the core's
/// buffer pool and the handlers' arena (carved as `options.config.pools` asks) and the header
/// scratch, and `metrics` what the driver records into (worker 0 of a `ServerMetrics<1>`, for
/// instance, which the handler may render, or `&NoMetrics` to record nothing). See the crate docs for how many connections a
/// configuration holds. Pass [`core::future::pending`] as `stop` to serve forever.
///
/// The stack's runner must run in another task, and the stack's `StackResources` must have
/// room for `SOCKETS` more sockets. The returned future holds the driver inline (about 500
/// bytes per socket, a 1 KiB scratch, the handler) and the `SOCKETS` socket handles: size the
/// task's arena for it.
///
/// # Errors
///
/// [`RunError`] before serving anything, when `&Options` do not validate or `memory` is
/// too small for the pools.
pub async fn run<
    'd,
    H: Handler,
    const SOCKETS: usize,
    const RX: usize,
    const TX: usize,
    const BYTES: usize,
    const BUFFERS: usize,
    const SPANS: usize,
>(
    stack: Stack<'d>,
    resources: &'d mut Resources<SOCKETS, RX, TX>,
    memory: &'d mut Memory<BYTES, BUFFERS, SPANS>,
    metrics: &'d impl Recorder,
    settings: impl Settings,
    handler: &'d mut H,
    stop: impl Future<Output = ()>,
) -> Result<(), RunError> {
    settings.check()?;
    let options = settings.options();
    let carved = memory
        .split(&options.config.pools)
        .map_err(RunError::Memory)?;
    let sockets: [RefCell<TcpSocket<'d>>; SOCKETS] =
        resources.buffers.each_mut().map(|(rx, tx)| {
            let mut socket = TcpSocket::new(stack, rx, tx);
            // Responses go out whole; Nagle would hold their tail for the peer's delayed ACK.
            socket.set_nagle_enabled(false);
            RefCell::new(socket)
        });
    let mut reactor = EmbassyReactor::new(&sockets, options.port, options.close_linger);
    // One connection slot and one timer per socket, inline in this future.
    let mut conns = [const { ConnEntry::EMPTY }; SOCKETS];
    let mut timers = [const { TimerEntry::EMPTY }; SOCKETS];
    let mut server: Server<'_, _, Lent<'_, H>, _, WHEEL_SLOTS, TRIM> = Server::new(
        &options.config,
        1,
        Tables::new(&mut conns, &mut timers),
        carved.pool,
        carved.spans,
        Lent(handler),
        metrics,
        core_now(Instant::now()),
    );
    server.set_arena(carved.arena);
    let mut stop = pin!(stop);
    let mut phase = Phase::Serving;
    info!("serving port {} with {} sockets", options.port, SOCKETS);
    loop {
        let now = Instant::now();
        #[cfg(feature = "wall-clock")]
        if let Some(clock) = options.wall_clock {
            server.set_wall_clock(clock());
        }
        reactor.maintain(now);
        server.turn(&mut reactor, core_now(now));
        reactor.maintain(now);
        let mut wake_at = [
            server.poll_timeout().map(embassy_instant),
            reactor.next_deadline(),
            None,
        ];
        if let Phase::Draining { deadline } = phase {
            if server.is_drained() && reactor.is_quiet() {
                info!("drained");
                return Ok(());
            }
            if now >= deadline {
                warn!(
                    "shutdown deadline passed with {} connections open",
                    server.connections()
                );
                return Ok(());
            }
            wake_at[2] = Some(deadline);
        }
        let mut wake_at = wake_at.into_iter().flatten().min();
        if reactor.before_wait() {
            // A connection was just registered: give it its first event at once.
            wake_at = Some(now);
        }
        trace!(
            "{} connections, {} listening, waking at {:?}",
            server.connections(),
            reactor.listening(),
            wake_at.map(|at| at.as_millis())
        );
        let wake = {
            let timer = async {
                match wake_at {
                    Some(at) => Timer::at(at).await,
                    None => core::future::pending().await,
                }
            };
            let stopping = async {
                match phase {
                    Phase::Serving => stop.as_mut().await,
                    Phase::Draining { .. } => core::future::pending().await,
                }
            };
            match select3(reactor.ready(), timer, stopping).await {
                Either3::First(()) | Either3::Second(()) => Wake::Turn,
                Either3::Third(()) => Wake::Stop,
            }
        };
        reactor.arm_events();
        if wake == Wake::Stop {
            let now = Instant::now();
            info!("stopping with {} connections open", server.connections());
            server.shutdown(&mut reactor, core_now(now));
            phase = Phase::Draining {
                deadline: now + options.shutdown_deadline,
            };
        }
    }
}

impl<H: Handler> Handler for Lent<'_, H> {
    type State = H::State;
    type Body = H::Body;
    type Consumer = H::Consumer;

    fn state(&mut self) -> &mut H::State {
        self.0.state()
    }

    fn handle(
        &mut self,
        req: &Request<'_>,
        body: RequestBody<'_>,
        res: &mut Responder<'_, H::Body, H::Consumer>,
    ) {
        self.0.handle(req, body, res);
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Config(e) => write!(f, "invalid configuration: {e}"),
            RunError::Memory(e) => write!(f, "memory too small: {e}"),
            RunError::Port => f.write_str("port 0 cannot be listened on"),
        }
    }
}

impl core::error::Error for RunError {}

/// `at` as the core counts time: microseconds of the same clock.
fn core_now(at: Instant) -> CoreInstant {
    CoreInstant::from_micros(at.as_micros())
}

/// The core's `at` on embassy's clock.
fn embassy_instant(at: CoreInstant) -> Instant {
    Instant::from_micros(at.as_micros())
}
