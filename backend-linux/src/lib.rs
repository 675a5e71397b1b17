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
//! The layers, top-down:
//!
//! - [`server`]: [`start`] and a worker's loop around the core's driver.
//! - [`runtime`]: the worker threads, their CPUs, start-up order and stopping ([`Running`],
//!   [`StopHandle`], [`WorkerContext`]).
//! - [`options`]: [`Options`] and their loading from defaults, a TOML file and `AURORA_*`
//!   variables.
//! - [`metrics`]: [`MetricsHandle`], the runtime metrics every worker records into.
//! - [`reactor`]: [`EpollReactor`], the core's `Reactor` over one epoll instance per worker.
//! - [`socket`]: [`TcpSocket`] (the core's `Socket`) and [`Listener`] (`SO_REUSEPORT`).
//! - `sys`: the OS calls that are not socket I/O (epoll, eventfd, signals, CPU affinity,
//!   NUMA); the only module with `unsafe`.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod metrics;
pub mod options;
pub mod reactor;
pub mod runtime;
pub mod server;
pub mod socket;
#[allow(unsafe_code)]
mod sys;

pub use metrics::MetricsHandle;
pub use options::{LoadError, Options};
pub use reactor::{EpollReactor, WakeHandle};
pub use runtime::{Running, StopHandle, WorkerContext};
pub use server::start;
pub use socket::{Listener, TcpSocket};
