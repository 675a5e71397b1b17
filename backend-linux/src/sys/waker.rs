//! An eventfd that wakes a thread blocked in `epoll_wait` from any other thread.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::event::{EventfdFlags, eventfd};
use rustix::io::Errno;

/// A non-blocking, close-on-exec eventfd. Shared by `Arc` between the loop that waits on it
/// and whoever wakes the loop.
#[derive(Debug)]
pub(crate) struct Waker {
    fd: OwnedFd,
}

impl Waker {
    /// A new eventfd with its counter at zero.
    pub(crate) fn new() -> io::Result<Self> {
        let fd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        Ok(Waker { fd })
    }

    /// Makes the eventfd readable. A counter already at its maximum stays readable, so a
    /// failed write loses nothing.
    pub(crate) fn wake(&self) {
        match rustix::io::write(&self.fd, &1u64.to_ne_bytes()) {
            Ok(_) | Err(Errno::AGAIN) => {}
            Err(e) => log::warn!("waking a worker failed: {e}"),
        }
    }

    /// Resets the counter, so the next `wake` is a new edge. Returns whether it was set.
    pub(crate) fn reset(&self) -> bool {
        let mut buf = [0u8; 8];
        matches!(rustix::io::read(&self.fd, &mut buf), Ok(8))
    }
}

impl AsFd for Waker {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
