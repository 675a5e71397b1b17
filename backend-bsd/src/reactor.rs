//! [`KqueueReactor`]: the shared [`UnixReactor`] over [`Kqueue`], one kqueue per worker with an
//! `EVFILT_USER` event to wake it.
//!
//! Every socket filter is added with `EV_CLEAR`, so it reports edges, as the contract asks. A
//! connection has two filters, `EVFILT_READ` and `EVFILT_WRITE`, each carrying the
//! connection's key; one wait may therefore report a token twice, which the driver takes as
//! the hint it is. `kevent`'s timeout is the driver's next deadline, as the worker loop gives
//! it to [`UnixReactor::wait`]. Pausing the listener deletes its read filter; adding it again
//! evaluates it at once, so connections that queued meanwhile are reported.

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Duration;

use aurora_core::server::io::Readiness;
use aurora_unix::reactor::{Selected, Selector, UnixReactor};
use rustix::io::Errno;

use crate::sys::{self, Change, Direction, Fired, Source, Trigger};

/// The core's `Reactor` on kqueue.
pub type KqueueReactor = UnixReactor<Kqueue>;

/// The udata of the listener's filter.
const LISTENER_DATA: usize = usize::MAX;
/// The udata of the wake-up; connection keys stay below it.
const WAKER_DATA: usize = usize::MAX - 1;
/// The identifier of the wake-up's user event.
const WAKE_IDENT: usize = 0;

/// A kqueue with its wake-up: the BSD [`Selector`].
#[derive(Debug)]
pub struct Kqueue {
    queue: sys::Kqueue,
}

/// Ends a [`KqueueReactor::wait`] from any thread (through [`aurora_unix::Wake`]): triggers
/// the kqueue's user event. Clone it freely.
#[derive(Clone, Debug)]
pub struct WakeHandle {
    trigger: Trigger,
}

impl Selector for Kqueue {
    type Waker = WakeHandle;

    fn new(capacity: usize, listener: Option<BorrowedFd<'_>>) -> io::Result<Self> {
        let queue = sys::Kqueue::new(capacity)?;
        queue.apply(&[Change::AddUser {
            ident: WAKE_IDENT,
            udata: WAKER_DATA,
        }])?;
        if let Some(listener) = listener {
            queue.apply(&[listener_filter(listener)])?;
        }
        Ok(Kqueue { queue })
    }

    fn watch_listener(&mut self, listener: BorrowedFd<'_>, on: bool) -> Result<(), Errno> {
        let change = if on {
            listener_filter(listener)
        } else {
            Change::Unwatch {
                fd: listener,
                direction: Direction::Read,
            }
        };
        self.queue.apply(&[change])
    }

    fn register(&mut self, fd: BorrowedFd<'_>, key: usize) -> Result<(), Errno> {
        let watch = |direction| Change::Watch {
            fd,
            direction,
            udata: key,
        };
        self.queue
            .apply(&[watch(Direction::Read), watch(Direction::Write)])
    }

    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.queue.wait(timeout)
    }

    fn next_event(&mut self) -> Option<Selected> {
        loop {
            let fired = self.queue.next_event()?;
            return Some(match (fired.source, fired.udata) {
                // EV_CLEAR: taking the user event reset it.
                (Source::User, _) => Selected::Wake,
                (Source::Signal, _) => continue,
                (_, LISTENER_DATA) => Selected::Listener,
                (_, key) => Selected::Connection(key, readiness(fired)),
            });
        }
    }

    fn waker(&self) -> WakeHandle {
        WakeHandle {
            trigger: self.queue.trigger(),
        }
    }
}

impl aurora_unix::Wake for WakeHandle {
    fn wake(&self) {
        self.trigger.fire(WAKE_IDENT);
    }
}

/// The read filter that reports a listener.
fn listener_filter(listener: BorrowedFd<'_>) -> Change<'_> {
    Change::Watch {
        fd: listener,
        direction: Direction::Read,
        udata: LISTENER_DATA,
    }
}

/// What a fired filter says may have changed. A failed filter, or the end of the write side
/// (the connection is gone), is reported both ways, so the driver's next read or write sees it.
fn readiness(fired: Fired) -> Readiness {
    let direction = match fired.source {
        Source::Socket(direction) => Some(direction),
        Source::User | Source::Signal => None,
    };
    let broken = fired.error || (fired.eof && direction == Some(Direction::Write));
    Readiness {
        readable: broken || direction == Some(Direction::Read),
        writable: broken || direction == Some(Direction::Write),
        closed: broken || fired.eof,
    }
}
