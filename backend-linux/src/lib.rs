//! # aurora-linux
//!
//! Aurora's Linux backend: the OS glue that drives the core's server on epoll.
//!
//! [`start`] runs `config.workers` threads (one per CPU by default), each pinned to its CPU
//! with its own `SO_REUSEPORT` listener, epoll instance, buffer pools and
//! [`aurora_core::server::Server`], and returns a [`Running`] server to stop or wait on.
//!
//! ```no_run
//! use aurora_core::conn::{RequestBody, Responder};
//! use aurora_core::http::Status;
//! use aurora_core::http::request::Request;
//! use aurora_linux::{Options, start};
//!
//! let options = Options::load(None, std::env::vars())?;
//! let running = start(options, |_worker| {
//!     |_req: &Request<'_>, _body: RequestBody<'_>, res: &mut Responder<'_>| {
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
//! - [`reactor`]: [`Epoll`], the shared reactor's selector over one epoll instance and an
//!   eventfd per worker; [`EpollReactor`] is the core's `Reactor` on it.
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

pub use reactor::{Epoll, EpollReactor, WakeHandle};

/// Linux: epoll, signalfd, NUMA nodes from sysfs.
#[derive(Clone, Copy, Debug)]
pub struct Linux;

impl aurora_unix::Platform for Linux {
    fn numa_node(cpu: usize) -> Option<usize> {
        sys::numa::numa_node(cpu)
    }

    type Poller = EpollReactor;
    type Control = control::SignalControl;
}

aurora_unix::backend_api!(Linux, "epoll");
