//! # aurora-embassy
//!
//! Aurora on a microcontroller: the core's server driver
//! ([`aurora_core::server::Server`], the same one the Linux backend drives) over embassy-net
//! TCP sockets, in one async task. `no_std`, no allocator: every byte is in the caller's
//! static [`Resources`] (socket buffers) and [`Memory`] (the core's buffer pool, arena and header
//! scratch), sized by const generics.
//!
//! ## A tour, top-down
//!
//! - [`run`] (module `server`): the loop. Read the clock, move sockets along, let the driver
//!   take its turn, then await a socket's wake-up, `Timer::at(next deadline)` or the stop
//!   future. Returns after a graceful shutdown.
//! - [`EmbassyReactor`] (module `reactor`): the core's `Reactor` over an array of
//!   `TcpSocket`s. Keeps every free socket listening (smoltcp has no accept backlog), hands
//!   out the ones whose handshake completed, closes gracefully (FIN, then lingering until the
//!   peer's FIN) or with a reset, and registers the task's waker on every socket before the
//!   loop sleeps.
//! - [`EmbassySocket`] (module `socket`): the core's `Socket`, a handle on one of those
//!   sockets; a read or write is one poll of embassy-net's future with a no-op waker.
//! - [`Resources`], [`Memory`] (module `resources`): the static memory.
//!
//! ## How many connections a configuration holds
//!
//! A server with `SOCKETS` sockets has `SOCKETS` connection slots. At every moment each
//! socket is one of: a connection, closing (for at most [`Options::close_linger`] after a
//! graceful close, or briefly after a reset), or listening. So:
//!
//! - at most `SOCKETS` connections are open at once;
//! - `SOCKETS − open − closing` sockets listen, and that many connections may arrive at the
//!   same instant (a burst) and be taken; a SYN that finds no listening socket is refused
//!   with RST by smoltcp;
//! - the core's connection limit applies on top: of `min(config.max_connections, SOCKETS)`,
//!   connections up to the high-water mark (`config.high_water_percent`, rounded up) are
//!   served; beyond it a connection idle or reading a head for a second (silent since its
//!   accept: half a second) makes room, else newcomers take the rest of the share and then
//!   the listening sockets are withdrawn (SYNs meet RST) until one may go; with every
//!   connection in the middle of a request, each one beyond the mark gets the overload
//!   response (`503` with `Retry-After`, then close) as long as a socket was listening for it.
//!
//! To have clients told `503` rather than refused, keep `max_connections` (times the
//! high-water percentage) some sockets below `SOCKETS`: for example `SOCKETS = 8`,
//! `max_connections = 6`, `high_water_percent = 100` serves 6 connections and answers up to
//! 2 more with `503`. RAM per socket is `RX + TX` bytes of buffers plus about 500 bytes of
//! driver slot; the pool's buffers are shared by all connections (an idle connection holds
//! none).
//!
//! ## Features
//!
//! - `defmt`: log through `defmt` (the core's shim, embassy-net and embassy-time too).
//! - `log`: log through the `log` crate (host builds and tests).
//!
//! Neither is on by default; enabling both is a compile error. embassy-net is used with
//! `tcp`, `proto-ipv4` and `medium-ethernet` (smoltcp needs one medium to build); a firmware
//! adds what else it needs (`medium-ip`, `proto-ipv6`, `dhcpv4`, ...).
//!
//! ## Example
//!
//! ```no_run
//! use aurora_core::config::ServerConfig;
//! use aurora_apps::hello::Hello;
//! use aurora_core::metrics::Renderer;
//! use aurora_core::server::{PARSE_ERROR_LABELS, ServerMetrics};
//! use aurora_embassy::{Memory, Options, Resources, run};
//!
//! static METRICS: ServerMetrics<1> = ServerMetrics::new();
//!
//! async fn serve(
//!     stack: embassy_net::Stack<'static>,
//!     resources: &'static mut Resources<4, 2048, 2048>,
//!     memory: &'static mut Memory<{ 8 * 4096 + 1024 }, 8, 32>,
//! ) {
//!     let mut config = ServerConfig::DEFAULT;
//!     config.limits.max_head_bytes = 4096;
//!     config.limits.max_target_bytes = 1024;
//!     config.limits.max_headers = 32;
//!     config.pools.buffers = [0, 8, 0, 0, 0];
//!     config.pools.arena_bytes = 1024;
//!     config.pools.arena_fallback_bytes = 0;
//!     config.max_connections = 4;
//!     let mut handler = Hello::new(|r: &mut Renderer<'_>| METRICS.render_into(r, &PARSE_ERROR_LABELS));
//!     let options = Options::new(80, config);
//!     let stop = core::future::pending();
//!     let metrics = METRICS.worker(0);
//!     if let Err(e) = run(stack, resources, memory, metrics, &options, &mut handler, stop).await {
//!         // An invalid configuration, or memory too small for its pools.
//!         let _ = e;
//!     }
//! }
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

#[macro_use]
mod fmt;

pub mod reactor;
pub mod resources;
pub mod server;
pub mod socket;

pub use reactor::EmbassyReactor;
pub use resources::{Memory, MemoryError, Resources};
pub use server::{Checked, Options, RunError, Settings, run};
pub use socket::EmbassySocket;
