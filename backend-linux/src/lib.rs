//! # aurora-linux
//!
//! Aurora's Linux backend: the OS glue that drives the core's server on epoll.
//!
//! The layers, top-down:
//!
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
// Until the driver lands, nothing outside the tests calls the spawning half of the runtime.
#[cfg_attr(not(test), allow(dead_code))]
pub mod runtime;
pub mod socket;
#[allow(unsafe_code)]
#[cfg_attr(not(test), allow(dead_code))]
mod sys;

pub use metrics::MetricsHandle;
pub use options::{LoadError, Options};
pub use reactor::{EpollReactor, WakeHandle};
pub use runtime::{Running, StopHandle, WorkerContext};
pub use socket::{Listener, TcpSocket};
