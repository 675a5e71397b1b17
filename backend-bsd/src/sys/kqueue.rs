//! A real kqueue (FreeBSD, DragonFly, macOS) through `rustix::event::kqueue`.
//!
//! [`Kqueue::kevent`] is the one place that calls `kevent`, which rustix marks `unsafe`.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use rustix::buffer::spare_capacity;
use rustix::event::kqueue::{self, Event, EventFilter, EventFlags, UserDefinedFlags, UserFlags};
use rustix::io::Errno;
use rustix::process::Signal;

use super::{Change, Direction, Fired, Source};

/// A kqueue with a fixed-capacity buffer for the events of one wait.
pub(crate) struct Kqueue {
    fd: Arc<OwnedFd>,
    /// The events of the last wait; `events[next..]` are not handed out yet.
    events: Vec<Event>,
    next: usize,
    capacity: usize,
}

/// Triggers user events of one kqueue from any thread.
#[derive(Clone, Debug)]
pub(crate) struct Trigger {
    fd: Arc<OwnedFd>,
}

impl Kqueue {
    /// A new kqueue (close-on-exec, as every kqueue is) that collects at most `capacity` events
    /// per wait.
    pub(crate) fn new(capacity: usize) -> io::Result<Self> {
        let capacity = capacity.max(1);
        Ok(Kqueue {
            fd: Arc::new(kqueue::kqueue()?),
            events: Vec::with_capacity(capacity),
            next: 0,
            capacity,
        })
    }

    /// Applies `changes`, in order.
    ///
    /// # Errors
    ///
    /// The first change's error (`ENOENT` for deleting a filter never added).
    pub(crate) fn apply(&self, changes: &[Change<'_>]) -> Result<(), Errno> {
        let mut list = Vec::with_capacity(changes.len() + 1);
        for change in changes {
            push_events(*change, &mut list);
        }
        let none: &mut [Event] = &mut [];
        kevent(&self.fd, &list, none, Some(Duration::ZERO)).map(drop)
    }

    /// Blocks until an event, `timeout` (`None`: no limit) or a signal (not an error: the wait
    /// just ends with no events). Events not yet taken from the previous wait are dropped.
    pub(crate) fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.events.clear();
        self.next = 0;
        self.events.reserve(self.capacity);
        match kevent(&self.fd, &[], spare_capacity(&mut self.events), timeout) {
            Ok(_) | Err(Errno::INTR) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The next event of the last wait.
    pub(crate) fn next_event(&mut self) -> Option<Fired> {
        loop {
            let event = self.events.get(self.next)?;
            self.next += 1;
            let flags = event.flags();
            let source = match event.filter() {
                EventFilter::Read(_) => Source::Socket(Direction::Read),
                EventFilter::Write(_) => Source::Socket(Direction::Write),
                EventFilter::User { .. } => Source::User,
                EventFilter::Signal { .. } => Source::Signal,
                // Nothing else is ever registered.
                _ => continue,
            };
            return Some(Fired {
                source,
                udata: event.udata().addr(),
                eof: flags.contains(EventFlags::EOF),
                error: flags.contains(EventFlags::ERROR),
            });
        }
    }

    /// A handle that triggers this kqueue's user events.
    pub(crate) fn trigger(&self) -> Trigger {
        Trigger {
            fd: Arc::clone(&self.fd),
        }
    }
}

impl std::fmt::Debug for Kqueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The events hold raw pointers (udata) with no useful `Debug`.
        f.debug_struct("Kqueue")
            .field("fd", &self.fd)
            .finish_non_exhaustive()
    }
}

impl Trigger {
    /// Another [`Kqueue`] on the same kqueue, with a buffer of its own for the events of at
    /// most `capacity` events per wait.
    pub(crate) fn kqueue(&self, capacity: usize) -> Kqueue {
        let capacity = capacity.max(1);
        Kqueue {
            fd: Arc::clone(&self.fd),
            events: Vec::with_capacity(capacity),
            next: 0,
            capacity,
        }
    }

    /// Fires user event `ident` (`NOTE_TRIGGER`); an event not taken yet stays one event.
    pub(crate) fn fire(&self, ident: usize) {
        let filter = EventFilter::User {
            ident: ident_of(ident),
            flags: UserFlags::TRIGGER,
            user_flags: UserDefinedFlags::new(0),
        };
        let change = Event::new(filter, EventFlags::empty(), std::ptr::null_mut());
        let none: &mut [Event] = &mut [];
        if let Err(e) = kevent(&self.fd, &[change], none, Some(Duration::ZERO)) {
            log::warn!("triggering a kqueue user event failed: {e}");
        }
    }
}

/// Makes SIGINT and SIGTERM ignored by the process, so that they end no thread and reach the
/// kqueue's `EVFILT_SIGNAL` instead (which records signals even when they are ignored).
///
/// # Errors
///
/// The error of `signal(2)`.
pub(crate) fn route_shutdown_signals() -> io::Result<()> {
    for signal in aurora_unix::sys::signal::SHUTDOWN_SIGNALS {
        // SAFETY: `SIG_IGN` installs no handler code: the kernel discards the signal, so no
        // function of ours ever runs in signal context; `signal` is a valid signal number.
        let previous = unsafe { libc::signal(signal, libc::SIG_IGN) };
        if previous == libc::SIG_ERR {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Appends the rustix events of `change` to `list`.
fn push_events(change: Change<'_>, list: &mut Vec<Event>) {
    let clear = EventFlags::ADD | EventFlags::CLEAR;
    let (filter, flags, udata) = match change {
        Change::Watch {
            fd,
            direction,
            udata,
        } => (socket_filter(fd.as_raw_fd(), direction), clear, udata),
        Change::Unwatch { fd, direction } => {
            (socket_filter(fd.as_raw_fd(), direction), EventFlags::DELETE, 0)
        }
        Change::AddUser { ident, udata } => (
            EventFilter::User {
                ident: ident_of(ident),
                flags: UserFlags::empty(),
                user_flags: UserDefinedFlags::new(0),
            },
            clear,
            udata,
        ),
        Change::ShutdownSignals { udata } => {
            list.push(signal_event(Signal::INT, udata));
            list.push(signal_event(Signal::TERM, udata));
            return;
        }
    };
    list.push(Event::new(
        filter,
        flags,
        std::ptr::without_provenance_mut(udata),
    ));
}

/// `EVFILT_READ` or `EVFILT_WRITE` on `fd`.
fn socket_filter(fd: std::os::fd::RawFd, direction: Direction) -> EventFilter {
    match direction {
        Direction::Read => EventFilter::Read(fd),
        Direction::Write => EventFilter::Write(fd),
    }
}

/// `EVFILT_SIGNAL` for `signal`, added.
fn signal_event(signal: Signal, udata: usize) -> Event {
    Event::new(
        EventFilter::Signal { signal, times: 0 },
        EventFlags::ADD,
        std::ptr::without_provenance_mut(udata),
    )
}

/// A user event's identifier as the kernel takes it.
fn ident_of(ident: usize) -> isize {
    isize::try_from(ident).unwrap_or(isize::MAX)
}

/// Applies `changes` to `kqueue` and collects events into `events`, waiting up to `timeout`.
fn kevent<B: rustix::buffer::Buffer<Event>>(
    kqueue: &OwnedFd,
    changes: &[Event],
    events: B,
    timeout: Option<Duration>,
) -> Result<B::Output, Errno> {
    // SAFETY: rustix asks that the descriptors named by `changes` stay valid while they are
    // registered. Every descriptor a change names is borrowed (`BorrowedFd`) from a socket,
    // listener or signal source that is open during this call; each is owned either by the
    // reactor (the listener) or by the driver, which gives a connection back through
    // `Reactor::close` before its descriptor is closed, and closing a descriptor removes its
    // filters from every kqueue, so no registration outlives its descriptor. User and signal
    // filters name no descriptor, and `udata` is a token that is never dereferenced.
    unsafe { kqueue::kevent(kqueue.as_fd(), changes, events, timeout) }
}
