//! [`EpollReactor`]: the shared [`UnixReactor`] over [`Epoll`], one epoll instance per worker
//! with an eventfd to wake it.
//!
//! Every source is registered edge-triggered (`EPOLLET`), connections with `EPOLLRDHUP` too. A
//! wait collects up to [`UnixReactor::EVENTS_PER_WAIT`] events; the eventfd's is reset as it is
//! taken.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::time::Duration;

use aurora_core::server::io::Readiness;
use aurora_unix::reactor::{Selected, Selector, UnixReactor};
use rustix::event::epoll::EventFlags;
use rustix::io::Errno;

use crate::sys::poller::{Interest, Poller};
use crate::sys::waker::Waker;

/// The core's `Reactor` on epoll.
pub type EpollReactor = UnixReactor<Epoll>;

/// The epoll data of the listener.
const LISTENER_DATA: u64 = u64::MAX;
/// The epoll data of the waker; connection keys stay below it.
const WAKER_DATA: u64 = u64::MAX - 1;

/// An epoll instance and the eventfd that wakes it: the Linux [`Selector`].
#[derive(Debug)]
pub struct Epoll {
    poller: Poller,
    waker: Arc<Waker>,
}

/// Ends an [`EpollReactor::wait`] from any thread (through [`aurora_unix::Wake`]). Clone it
/// freely.
#[derive(Clone, Debug)]
pub struct WakeHandle {
    waker: Arc<Waker>,
}

impl Selector for Epoll {
    type Waker = WakeHandle;

    fn new(capacity: usize, listener: Option<BorrowedFd<'_>>) -> io::Result<Self> {
        let poller = Poller::new(capacity)?;
        let waker = Arc::new(Waker::new()?);
        poller.add(waker.as_fd(), WAKER_DATA, Interest::Read)?;
        if let Some(listener) = listener {
            poller.add(listener, LISTENER_DATA, Interest::Read)?;
        }
        Ok(Epoll { poller, waker })
    }

    fn watch_listener(&mut self, listener: BorrowedFd<'_>, on: bool) -> Result<(), Errno> {
        let interest = if on { Interest::Read } else { Interest::None };
        // Re-arming with EPOLL_CTL_MOD reports connections that queued while paused.
        self.poller.modify(listener, LISTENER_DATA, interest)
    }

    fn register(&mut self, fd: BorrowedFd<'_>, key: usize) -> Result<(), Errno> {
        let data = u64::try_from(key).map_err(|_| Errno::INVAL)?;
        self.poller.add(fd, data, Interest::ReadWrite)
    }

    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.poller.wait(timeout)
    }

    fn next_event(&mut self) -> Option<Selected> {
        let (data, flags) = self.poller.next_event()?;
        Some(match data {
            WAKER_DATA => {
                self.waker.reset();
                Selected::Wake
            }
            LISTENER_DATA => Selected::Listener,
            // Registered from a `usize`, so it converts back.
            data => Selected::Connection(
                usize::try_from(data).unwrap_or(usize::MAX),
                readiness(flags),
            ),
        })
    }

    fn waker(&self) -> WakeHandle {
        WakeHandle {
            waker: Arc::clone(&self.waker),
        }
    }
}

impl aurora_unix::Wake for WakeHandle {
    fn wake(&self) {
        self.waker.wake();
    }
}

/// What epoll flags say may have changed. An error or hang-up is reported both ways, so the
/// driver's next read or write sees it.
fn readiness(flags: EventFlags) -> Readiness {
    let broken = flags.intersects(EventFlags::ERR | EventFlags::HUP);
    Readiness {
        readable: broken || flags.intersects(EventFlags::IN | EventFlags::PRI | EventFlags::RDHUP),
        writable: broken || flags.contains(EventFlags::OUT),
        closed: broken || flags.contains(EventFlags::RDHUP),
    }
}
