//! # aurora-linux
//!
//! Aurora's Linux backend: the OS glue that drives the core's server on epoll.
//!
//! [`start`] runs `config.workers` threads (one per CPU by default), each pinned to its CPU
//! with its own `SO_REUSEPORT` listener, epoll instance, buffer pools and
//! [`aurora_core::server::Server`], and returns a [`Running`] server to stop or wait on.
//!
//! ```no_run
//! use aurora_core::conn::Responder;
//! use aurora_core::http::Status;
//! use aurora_core::http::request::Request;
//! use aurora_linux::{Options, start};
//!
//! let options = Options::load(None, std::env::vars())?;
//! let running = start(options, |_worker| {
//!     |_req: &Request<'_>, _body: &[u8], res: &mut Responder<'_>| {
//!         let _ = res.send(Status::OK, &[("content-type", b"text/plain")], b"hi\n");
//!     }
//! })?;
//! println!("listening on {}", running.local_addr());
//! running.run_until_signal()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Everything but the readiness API is shared with the BSD backend through `aurora-unix` and
//! re-exported here: the worker loop ([`server`]), the threads ([`runtime`]), [`options`],
//! [`access`], [`metrics`] and [`socket`]. This crate holds the Linux parts:
//!
//! - [`Linux`]: the [`Platform`](aurora_unix::Platform) that [`start`] runs on.
//! - [`reactor`]: [`EpollReactor`], the core's `Reactor` over one epoll instance per worker.
//! - [`control`]: [`SignalControl`](control::SignalControl), which waits for SIGINT and SIGTERM
//!   on a signalfd.
//! - `sys`: the Linux calls (epoll, eventfd, signalfd, the NUMA topology from sysfs); the only
//!   module with `unsafe`.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod control;
pub mod reactor;
#[allow(unsafe_code)]
mod sys;

pub use aurora_unix::{
    Listener, LoadError, MetricsHandle, Options, Running, StopHandle, TcpSocket, WorkerContext,
};
pub use aurora_unix::{access, metrics, options, runtime, server, socket};
pub use reactor::{EpollReactor, WakeHandle};

use std::io;

use aurora_core::conn::Handler;

/// Linux: epoll, signalfd, NUMA nodes from sysfs.
#[derive(Clone, Copy, Debug)]
pub struct Linux;

impl aurora_unix::Platform for Linux {
    type Poller = EpollReactor;
    type Control = control::SignalControl;

    fn numa_node(cpu: usize) -> Option<usize> {
        sys::numa::numa_node(cpu)
    }
}

/// Starts `options.config.workers` workers (0: one per available CPU) on epoll, each serving
/// the handler `make_handler` builds for it on its own thread, and returns once every worker
/// listens on `options.addr` (a client may connect at once). See [`aurora_unix::start`].
///
/// # Errors
///
/// `InvalidInput` if `options.config` does not validate; otherwise the first error of
/// spawning a thread or of a worker's bind, in which case no worker is left running.
pub fn start<H, F>(options: Options, make_handler: F) -> io::Result<Running>
where
    H: Handler + 'static,
    F: Fn(&WorkerContext) -> H + Send + Sync + 'static,
{
    aurora_unix::start::<Linux, H, F>(options, make_handler)
}
