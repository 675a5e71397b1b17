//! The kqueue calls of the backend, behind a small vocabulary of its own: a [`Change`] to
//! register, a [`Fired`] event to report. The reactor and the control speak only this
//! vocabulary, so the same logic runs on a real kqueue and, for tests on Linux, on the
//! emulation in `emulated.rs`.
//!
//! This is the only module of the crate allowed to contain `unsafe`, and every block says why it
//! is sound in a `// SAFETY:` comment. Nothing here knows about HTTP or the driver.

use std::os::fd::BorrowedFd;

#[cfg(not(target_os = "linux"))]
mod kqueue;
#[cfg(not(target_os = "linux"))]
pub(crate) use kqueue::{Kqueue, Trigger, route_shutdown_signals};

#[cfg(target_os = "linux")]
mod emulated;
#[cfg(target_os = "linux")]
pub(crate) use emulated::{Kqueue, Trigger, route_shutdown_signals};

/// The direction a socket filter watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// `EVFILT_READ`: data, end of stream or an error to read; a connection to accept.
    Read,
    /// `EVFILT_WRITE`: room to write, or an error.
    Write,
}

/// One registration change.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Change<'a> {
    /// `EV_ADD | EV_CLEAR` (edge-triggered) of `direction` on `fd`, reported with `udata`.
    Watch {
        /// The descriptor, open for the duration of the call.
        fd: BorrowedFd<'a>,
        /// Which filter.
        direction: Direction,
        /// What events of this filter carry.
        udata: usize,
    },
    /// `EV_DELETE` of `direction` on `fd`.
    Unwatch {
        /// The descriptor, open for the duration of the call.
        fd: BorrowedFd<'a>,
        /// Which filter.
        direction: Direction,
    },
    /// `EVFILT_USER` with `EV_ADD | EV_CLEAR`: a user event `ident`, reported with `udata`.
    AddUser {
        /// The user event's identifier.
        ident: usize,
        /// What its events carry.
        udata: usize,
    },
    /// `EVFILT_SIGNAL` for SIGINT and SIGTERM, reported with `udata`.
    ShutdownSignals {
        /// What their events carry.
        udata: usize,
    },
}

/// What kind of filter an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A socket filter.
    Socket(Direction),
    /// A user event (a wake-up).
    User,
    /// A shutdown signal.
    Signal,
}

/// One event a wait collected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fired {
    /// Where it came from.
    pub(crate) source: Source,
    /// The `udata` it was registered with.
    pub(crate) udata: usize,
    /// `EV_EOF`: the peer closed its side, or the socket failed.
    pub(crate) eof: bool,
    /// `EV_ERROR`: the filter itself failed.
    pub(crate) error: bool,
}
