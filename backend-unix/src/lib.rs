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
//! - [`memory`]: what a worker lends its driver, reserved up front and written as used.
//! - [`access`]: [`AccessLog`](access::AccessLog), the access log around the application.
//! - [`metrics`]: [`MetricsHandle`], the runtime metrics every worker records into.
//! - [`reactor`]: [`UnixReactor`], the core's `Reactor` over any
//!   [`Selector`] (the backends' epoll and kqueue).
//! - [`activation`]: the listening socket a service manager passed (`LISTEN_FDS`).
//! - [`socket`]: [`TcpSocket`] (the core's `Socket`) and [`Listener`] (`SO_REUSEPORT`).
//! - [`sys`]: the portable OS calls that are not socket I/O (the signal mask, CPU affinity,
//!   giving pages back); the only module with `unsafe`.
//! - `testkit` (feature `testkit`): the test suite every backend runs on real sockets.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod access;
pub mod activation;
pub mod memory;
pub mod metrics;
pub mod options;
pub mod platform;
pub mod reactor;
pub mod runtime;
pub mod server;
pub mod socket;
#[allow(unsafe_code)]
pub mod sys;
#[cfg(feature = "testkit")]
pub mod testkit;

#[doc(hidden)]
pub use aurora_core as __core;

pub use metrics::MetricsHandle;
pub use options::{LoadError, Options};
pub use platform::{Control, Platform, Poller, Wake};
pub use reactor::{Selected, Selector, UnixReactor};
pub use runtime::{BodyWaker, Running, StopHandle, WorkerContext};
pub use server::{EventLoop, Step, start};
pub use socket::{Listener, TcpSocket};

/// Defines a backend crate's public surface on `$platform`, whose readiness API is named
/// `$api`: the shared modules and types re-exported (so `aurora_linux::Options` and
/// `aurora_bsd::Options` are the same type), and its `start`.
///
/// ```ignore
/// aurora_unix::backend_api!(Linux, "epoll");
/// ```
#[macro_export]
macro_rules! backend_api {
    ($platform:ty, $api:literal) => {
        pub use $crate::{access, activation, metrics, options, runtime, server, socket};
        pub use $crate::{
            BodyWaker, EventLoop, Listener, LoadError, MetricsHandle, Options, Poller, Running, Step,
            StopHandle, TcpSocket, Wake, WorkerContext,
        };

        #[doc = concat!(
            "Starts `options.config.workers` workers (0: one per available CPU) on ",
            $api,
            ", each serving the handler `make_handler` builds for it on its own thread, and ",
            "returns once every worker listens on `options.addr`, or on the socket a service manager passed (`LISTEN_FDS`, see [`aurora_unix::activation`]); a client may connect at once. ",
            "See [`aurora_unix::start`].\n\n# Errors\n\n",
            "`InvalidInput` if `options.config` does not validate or a passed socket is unusable, ",
            "`AddrInUse` if another server listens on `options.addr`; otherwise the first error ",
            "of spawning a thread or of a worker's bind, in which case no worker is left running."
        )]
        pub fn start<H, F>(options: Options, make_handler: F) -> ::std::io::Result<Running>
        where
            H: $crate::__core::conn::Handler + 'static,
            F: Fn(&WorkerContext) -> H + Send + Sync + 'static,
        {
            $crate::start::<$platform, H, F>(options, make_handler)
        }
    };
}
