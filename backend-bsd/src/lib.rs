//! # aurora-bsd
//!
//! Aurora's backend for FreeBSD, DragonFly and macOS: the OS glue that drives the core's server
//! on kqueue. The `aurora` facade re-exports it as `aurora::bsd` on those systems.
//!
//! [`start`] runs `config.workers` threads (one per CPU by default), each with its own
//! listener, kqueue, buffer pools and [`aurora_core::server::Server`], and returns a
//! [`Running`] server to stop or wait on: the same API as `aurora-linux`, because everything
//! but the readiness API is shared through `aurora-unix` and re-exported here.
//!
//! ```no_run
//! # #[cfg(not(target_os = "linux"))] {
//! use aurora_core::conn::{RequestBody, Responder};
//! use aurora_core::http::Status;
//! use aurora_core::http::request::Request;
//! use aurora_bsd::{Options, start};
//!
//! let options = Options::load(None, std::env::vars())?;
//! let running = start(options, |_worker| {
//!     |_req: &Request<'_>, _body: RequestBody<'_>, res: &mut Responder<'_>| {
//!         let _ = res.send(Status::OK, &[("content-type", b"text/plain")], b"hi\n");
//!     }
//! })?;
//! println!("listening on {}", running.local_addr());
//! running.run_until_signal()?;
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate holds the kqueue parts:
//!
//! - [`Bsd`]: the [`Platform`](aurora_unix::Platform) that [`start`] runs on.
//! - [`reactor`]: [`Kqueue`], the shared reactor's selector over one kqueue per worker:
//!   `EV_CLEAR` read and write filters, an `EVFILT_USER` wake-up, `kevent`'s timeout from the
//!   driver's next deadline; [`KqueueReactor`] is the core's `Reactor` on it.
//! - [`control`]: [`SignalControl`](control::SignalControl), which waits for SIGINT and SIGTERM
//!   through `EVFILT_SIGNAL` after ignoring them.
//! - `sys`: the one `kevent` call (rustix marks it `unsafe`), behind a small vocabulary of
//!   changes and fired events; the only module with `unsafe`.
//!
//! # Per OS
//!
//! - FreeBSD: listeners use `SO_REUSEPORT_LB`, so the kernel spreads connections among the
//!   workers; workers are pinned with `cpuset` (`sched_setaffinity`).
//! - macOS: no CPU pinning (the OS has none: `WorkerContext::cpu` is `None`), and
//!   `SO_REUSEPORT` does not balance, so one worker may take most connections. Sockets get
//!   `FIONBIO`, `FD_CLOEXEC` and `SO_NOSIGPIPE`, as macOS has neither `SOCK_NONBLOCK` nor
//!   `MSG_NOSIGNAL`.
//! - NetBSD and OpenBSD lack `EVFILT_USER` and are not supported.
//!
//! # Running it on Linux
//!
//! There is no BSD machine in the project's CI. With the test feature `emulate-kqueue`, the
//! crate builds on Linux over an emulation of the few kqueue operations it uses (epoll for the
//! `EV_CLEAR` socket filters, an eventfd for `EVFILT_USER`, a signalfd for `EVFILT_SIGNAL`), and
//! its tests run the same suite as `aurora-linux` (reactor, workers, server, access log) plus
//! the SIGTERM path: `cargo test -p aurora-bsd --features emulate-kqueue`. So the kqueue
//! backend's own logic (its changes, udata tokens, listener pausing, the user-event wake-up,
//! `EV_EOF`, the signal control) runs for real; the kernel's kqueue does not.
//!
//! The first choice was `libkqueue`, a userspace kqueue for Linux, behind a minimal shim, so
//! that rustix's real `kevent` path would run. It is not available: Debian packages it for no
//! amd64 release (not in 12 "bookworm", 13 "trixie" or unstable; only an unofficial riscv64
//! port), no crates.io crate bundles its sources, and rustix compiles its `kqueue` module only
//! for BSD targets, so even a present `libkqueue` would need bindings of our own. The real path
//! is checked by `cargo clippy --target x86_64-unknown-freebsd` and
//! `--target aarch64-apple-darwin`, not run.
//!
//! Without that feature the crate is empty on Linux (but for its documentation).
#![deny(unsafe_code)]
#![warn(missing_docs)]

/// Marks items that exist where a kqueue does: FreeBSD, DragonFly, macOS, or Linux under the
/// emulation (and in Linux documentation builds, so these docs exist there).
macro_rules! with_kqueue {
    ($($item:item)*) => {
        $(
            #[cfg(any(
                target_vendor = "apple",
                target_os = "freebsd",
                target_os = "dragonfly",
                all(target_os = "linux", any(feature = "emulate-kqueue", doc)),
            ))]
            $item
        )*
    };
}

with_kqueue! {
    pub mod control;
    pub mod reactor;
    #[allow(unsafe_code)]
    mod sys;

    aurora_unix::backend_api!(Bsd, "kqueue");
    pub use reactor::{Kqueue, KqueueReactor, WakeHandle};

    /// FreeBSD, DragonFly and macOS: kqueue with `EV_CLEAR` filters, `EVFILT_USER` and
    /// `EVFILT_SIGNAL`; no NUMA nodes.
    #[derive(Clone, Copy, Debug)]
    pub struct Bsd;

    impl aurora_unix::Platform for Bsd {
        type Poller = KqueueReactor;
        type Control = control::SignalControl;
    }
}
