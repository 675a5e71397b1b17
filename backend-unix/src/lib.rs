//! # aurora-unix
//!
//! What Aurora's Unix backends share: everything but the readiness API. `aurora-linux` (epoll)
//! and `aurora-bsd` (kqueue) each add a [`Platform`]: a [`Poller`] over their readiness API and a
//! [`Control`] that waits for the shutdown signals. The server logic, the worker threads, the
//! sockets and the configuration exist once, here.
//!
//! The layers, top-down:
//!
//! - [`server`]: [`start`] and a worker's loop around the core's driver.
//! - [`runtime`]: the worker threads, their CPUs, start-up order and stopping ([`Running`],
//!   [`StopHandle`], [`WorkerContext`]).
//! - [`platform`]: the traits a backend implements ([`Platform`], [`Poller`], [`Wake`],
//!   [`Control`]).
//! - [`options`]: [`Options`] and their loading from defaults, a TOML file and `AURORA_*`
//!   variables.
//! - [`access`]: [`AccessLog`](access::AccessLog), the access log around the application.
//! - [`metrics`]: [`MetricsHandle`], the runtime metrics every worker records into.
//! - [`socket`]: [`TcpSocket`] (the core's `Socket`) and [`Listener`] (`SO_REUSEPORT`).
//! - [`sys`]: the portable OS calls that are not socket I/O (the signal mask, CPU affinity);
//!   the only module with `unsafe`.
//! - `testkit` (feature `testkit`): the test suite every backend runs on real sockets.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod access;
pub mod metrics;
pub mod options;
pub mod platform;
pub mod runtime;
pub mod server;
pub mod socket;
#[allow(unsafe_code)]
pub mod sys;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use metrics::MetricsHandle;
pub use options::{LoadError, Options};
pub use platform::{Control, Platform, Poller, Wake};
pub use runtime::{Running, StopHandle, WorkerContext};
pub use server::start;
pub use socket::{Listener, TcpSocket};
