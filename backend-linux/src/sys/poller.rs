//! One epoll instance and the events its last wait collected.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::buffer::spare_capacity;
use rustix::event::epoll::{self, CreateFlags, EventData, EventFlags};
use rustix::io::Errno;
use rustix::time::Timespec;

/// The longest timeout passed to `epoll_wait` at once (its millisecond argument is an `int`);
/// a longer wait just wakes up and waits again.
const MAX_TIMEOUT: Duration = Duration::from_millis(i32::MAX as u64);

/// What a registration asks to hear about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interest {
    /// Nothing: the source stays registered but silent (a paused listener).
    None,
    /// Readable only, edge-triggered (a listener, an eventfd).
    Read,
    /// Both directions and the peer's half-close, edge-triggered (a connection).
    ReadWrite,
}

/// An epoll instance with a fixed-capacity buffer for the events of one wait.
pub(crate) struct Poller {
    epoll: OwnedFd,
    /// The events of the last wait; `events[next..]` are not handed out yet.
    events: Vec<epoll::Event>,
    next: usize,
    capacity: usize,
}

impl Poller {
    /// A new epoll instance (close-on-exec) that collects at most `capacity` events per wait.
    pub(crate) fn new(capacity: usize) -> io::Result<Self> {
        let epoll = epoll::create(CreateFlags::CLOEXEC)?;
        let capacity = capacity.max(1);
        Ok(Poller {
            epoll,
            events: Vec::with_capacity(capacity),
            next: 0,
            capacity,
        })
    }

    /// Starts reporting `fd` as `data`.
    pub(crate) fn add(
        &self,
        fd: BorrowedFd<'_>,
        data: u64,
        interest: Interest,
    ) -> Result<(), Errno> {
        epoll::add(&self.epoll, fd, EventData::new_u64(data), flags(interest))
    }

    /// Changes what `fd`, already added as `data`, reports. Re-arms the edge: a source that is
    /// ready now is reported by the next wait.
    pub(crate) fn modify(
        &self,
        fd: BorrowedFd<'_>,
        data: u64,
        interest: Interest,
    ) -> Result<(), Errno> {
        epoll::modify(&self.epoll, fd, EventData::new_u64(data), flags(interest))
    }

    /// Blocks until a source is ready, `timeout` has passed (`None`: no limit), or a signal
    /// interrupts the wait (not an error: the wait just ends with no events). Events not yet
    /// taken from the previous wait are dropped.
    pub(crate) fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.events.clear();
        self.next = 0;
        let timespec = match timeout {
            Some(t) => Some(Timespec::try_from(t.min(MAX_TIMEOUT)).map_err(io::Error::other)?),
            None => None,
        };
        self.events.reserve(self.capacity);
        match epoll::wait(
            &self.epoll,
            spare_capacity(&mut self.events),
            timespec.as_ref(),
        ) {
            Ok(_) | Err(Errno::INTR) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The next event of the last wait: its data and flags.
    pub(crate) fn next_event(&mut self) -> Option<(u64, EventFlags)> {
        let event = self.events.get(self.next)?;
        self.next += 1;
        // Copy the fields out: the struct is packed on x86-64.
        let flags = event.flags;
        let data = event.data;
        Some((data.u64(), flags))
    }
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("epoll", &self.epoll)
            .field("pending", &self.events.len().saturating_sub(self.next))
            .finish()
    }
}

impl AsFd for Poller {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}

/// The epoll flags of `interest`, always edge-triggered.
fn flags(interest: Interest) -> EventFlags {
    match interest {
        Interest::None => EventFlags::ET,
        Interest::Read => EventFlags::IN | EventFlags::ET,
        Interest::ReadWrite => {
            EventFlags::IN | EventFlags::OUT | EventFlags::RDHUP | EventFlags::ET
        }
    }
}
