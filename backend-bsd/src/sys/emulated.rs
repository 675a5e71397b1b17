//! A kqueue emulated on Linux with epoll, eventfd and signalfd, so that the backend's logic
//! (its changes, `EV_CLEAR` edges, the user-event wake-up, `EV_EOF`, udata tokens) runs and is
//! tested on a Linux machine. Built only with the test feature `emulate-kqueue`; never a
//! production path.
//!
//! Each socket descriptor is one epoll registration, edge-triggered, whose interest is the
//! union of its read and write filters; an epoll event becomes one [`Fired`] per filter it
//! satisfies. A user event is an eventfd, read back when its event is taken (`EV_CLEAR`). The
//! signal filter is a signalfd of SIGINT and SIGTERM, which needs them blocked in the waiting
//! thread instead of ignored.
//!
//! What it does not model: a real kqueue keeps a filter per (descriptor, filter) pair and drops
//! them when the descriptor closes; here a descriptor number that is closed and reused by a new
//! socket starts afresh on its first `Watch`, which matches what the reactor does.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rustix::buffer::spare_capacity;
use rustix::event::epoll::{self, CreateFlags, EventData, EventFlags};
use rustix::event::{EventfdFlags, eventfd};
use rustix::io::Errno;

use super::{Change, Direction, Fired, Source};

/// The emulated kqueue: an epoll instance and what each registered descriptor stands for.
pub(crate) struct Kqueue {
    shared: Arc<Shared>,
    /// The epoll events of the last wait, and those turned into [`Fired`] events not taken yet.
    events: Vec<epoll::Event>,
    fired: Vec<Fired>,
    capacity: usize,
}

/// Triggers user events of one emulated kqueue from any thread.
#[derive(Clone, Debug)]
pub(crate) struct Trigger {
    shared: Arc<Shared>,
}

/// What the waiting thread and the triggers share.
#[derive(Debug)]
struct Shared {
    epoll: OwnedFd,
    sources: Mutex<HashMap<RawFd, Registered>>,
}

/// What one descriptor in the epoll instance stands for.
#[derive(Debug)]
enum Registered {
    /// A socket, with the udata of each filter it has.
    Socket {
        read: Option<usize>,
        write: Option<usize>,
    },
    /// A user event: its identifier, udata and eventfd.
    User {
        ident: usize,
        udata: usize,
        fd: OwnedFd,
    },
    /// The shutdown signals' signalfd.
    Signals { udata: usize, fd: OwnedFd },
}

impl Kqueue {
    /// A new emulated kqueue that collects at most `capacity` epoll events per wait.
    pub(crate) fn new(capacity: usize) -> io::Result<Self> {
        let capacity = capacity.max(1);
        Ok(Kqueue {
            shared: Arc::new(Shared {
                epoll: epoll::create(CreateFlags::CLOEXEC)?,
                sources: Mutex::new(HashMap::new()),
            }),
            events: Vec::with_capacity(capacity),
            fired: Vec::new(),
            capacity,
        })
    }

    /// Applies `changes`, in order.
    ///
    /// # Errors
    ///
    /// The first change's error (`ENOENT` for deleting a filter never added).
    pub(crate) fn apply(&self, changes: &[Change<'_>]) -> Result<(), Errno> {
        let mut sources = self.shared.sources();
        for change in changes {
            match *change {
                Change::Watch {
                    fd,
                    direction,
                    udata,
                } => {
                    let raw = fd.as_raw_fd();
                    // A number the map knows but epoll does not was closed and reused.
                    let known = matches!(sources.get(&raw), Some(Registered::Socket { .. }))
                        && epoll::modify(&self.shared.epoll, fd, data(raw), EventFlags::ET)
                            .is_ok();
                    if !known {
                        epoll::add(&self.shared.epoll, fd, data(raw), EventFlags::ET)?;
                    }
                    let entry = sources.entry(raw).or_insert(Registered::Socket {
                        read: None,
                        write: None,
                    });
                    if !known {
                        *entry = Registered::Socket {
                            read: None,
                            write: None,
                        };
                    }
                    if let Registered::Socket { read, write } = entry {
                        match direction {
                            Direction::Read => *read = Some(udata),
                            Direction::Write => *write = Some(udata),
                        }
                        epoll::modify(&self.shared.epoll, fd, data(raw), interest(*read, *write))?;
                    }
                }
                Change::Unwatch { fd, direction } => {
                    let raw = fd.as_raw_fd();
                    let Some(Registered::Socket { read, write }) = sources.get_mut(&raw) else {
                        return Err(Errno::NOENT);
                    };
                    let taken = match direction {
                        Direction::Read => read.take(),
                        Direction::Write => write.take(),
                    };
                    if taken.is_none() {
                        return Err(Errno::NOENT);
                    }
                    epoll::modify(&self.shared.epoll, fd, data(raw), interest(*read, *write))?;
                }
                Change::AddUser { ident, udata } => {
                    let fd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
                    let raw = fd.as_raw_fd();
                    epoll::add(&self.shared.epoll, &fd, data(raw), EventFlags::IN | EventFlags::ET)?;
                    sources.insert(raw, Registered::User { ident, udata, fd });
                }
                Change::ShutdownSignals { udata } => {
                    let fd = signalfd()?;
                    let raw = fd.as_raw_fd();
                    epoll::add(&self.shared.epoll, &fd, data(raw), EventFlags::IN | EventFlags::ET)?;
                    sources.insert(raw, Registered::Signals { udata, fd });
                }
            }
        }
        Ok(())
    }

    /// Blocks until an event, `timeout` (`None`: no limit) or a signal (not an error: the wait
    /// just ends with no events). Events not yet taken from the previous wait are dropped.
    pub(crate) fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.events.clear();
        self.fired.clear();
        self.events.reserve(self.capacity);
        let timespec = match timeout {
            Some(t) => Some(rustix::time::Timespec::try_from(t).map_err(io::Error::other)?),
            None => None,
        };
        match epoll::wait(
            &self.shared.epoll,
            spare_capacity(&mut self.events),
            timespec.as_ref(),
        ) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
        let sources = self.shared.sources();
        // In reverse, so that `next_event` pops them in the order epoll gave.
        for event in self.events.iter().rev() {
            let flags = event.flags;
            let raw = RawFd::try_from(event.data.u64()).unwrap_or(-1);
            let eof = flags.intersects(EventFlags::RDHUP | EventFlags::HUP | EventFlags::ERR);
            match sources.get(&raw) {
                Some(Registered::Socket { read, write }) => {
                    let writable = flags.intersects(EventFlags::OUT | EventFlags::ERR | EventFlags::HUP);
                    if let (Some(udata), true) = (*write, writable) {
                        self.fired.push(Fired {
                            source: Source::Socket(Direction::Write),
                            udata,
                            eof,
                            error: false,
                        });
                    }
                    let readable = flags.intersects(EventFlags::IN | EventFlags::PRI) || eof;
                    if let (Some(udata), true) = (*read, readable) {
                        self.fired.push(Fired {
                            source: Source::Socket(Direction::Read),
                            udata,
                            eof,
                            error: false,
                        });
                    }
                }
                Some(Registered::User { udata, fd, .. }) => {
                    // EV_CLEAR: taking the event resets it.
                    let mut buf = [0u8; 8];
                    if matches!(rustix::io::read(fd, &mut buf), Ok(8)) {
                        self.fired.push(Fired {
                            source: Source::User,
                            udata: *udata,
                            eof: false,
                            error: false,
                        });
                    }
                }
                Some(Registered::Signals { udata, fd }) => {
                    // One `struct signalfd_siginfo` is 128 bytes.
                    let mut info = [0u8; 128];
                    if matches!(rustix::io::read(fd, &mut info), Ok(n) if n > 0) {
                        self.fired.push(Fired {
                            source: Source::Signal,
                            udata: *udata,
                            eof: false,
                            error: false,
                        });
                    }
                }
                None => {}
            }
        }
        Ok(())
    }

    /// The next event of the last wait.
    pub(crate) fn next_event(&mut self) -> Option<Fired> {
        self.fired.pop()
    }

    /// A handle that triggers this kqueue's user events.
    pub(crate) fn trigger(&self) -> Trigger {
        Trigger {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl std::fmt::Debug for Kqueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kqueue")
            .field("shared", &self.shared)
            .field("pending", &self.fired.len())
            .finish()
    }
}

impl Trigger {
    /// Another [`Kqueue`] on the same emulated kqueue, with a buffer of its own for the events
    /// of at most `capacity` epoll events per wait.
    pub(crate) fn kqueue(&self, capacity: usize) -> Kqueue {
        let capacity = capacity.max(1);
        Kqueue {
            shared: Arc::clone(&self.shared),
            events: Vec::with_capacity(capacity),
            fired: Vec::new(),
            capacity,
        }
    }

    /// Fires user event `ident`; an event not taken yet stays one event.
    pub(crate) fn fire(&self, ident: usize) {
        let sources = self.shared.sources();
        for source in sources.values() {
            if let Registered::User { ident: id, fd, .. } = source
                && *id == ident
            {
                match rustix::io::write(fd, &1u64.to_ne_bytes()) {
                    Ok(_) | Err(Errno::AGAIN) => {}
                    Err(e) => log::warn!("triggering an emulated user event failed: {e}"),
                }
            }
        }
    }
}

impl Shared {
    fn sources(&self) -> std::sync::MutexGuard<'_, HashMap<RawFd, Registered>> {
        self.sources.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Blocks SIGINT and SIGTERM in the calling thread for good: a signalfd reads only blocked
/// signals (where a real kqueue records them while they are ignored).
///
/// # Errors
///
/// The error of `pthread_sigmask`.
pub(crate) fn route_shutdown_signals() -> io::Result<()> {
    aurora_unix::sys::signal::BlockGuard::new()?.forever();
    Ok(())
}

/// The epoll data of descriptor `raw`.
fn data(raw: RawFd) -> EventData {
    EventData::new_u64(u64::try_from(raw).unwrap_or(u64::MAX))
}

/// The epoll interest of a socket with these filters, always edge-triggered.
fn interest(read: Option<usize>, write: Option<usize>) -> EventFlags {
    let mut flags = EventFlags::ET;
    if read.is_some() {
        flags |= EventFlags::IN | EventFlags::RDHUP;
    }
    if write.is_some() {
        flags |= EventFlags::OUT;
    }
    flags
}

/// A non-blocking signalfd of SIGINT and SIGTERM.
fn signalfd() -> Result<OwnedFd, Errno> {
    let set = aurora_unix::sys::signal::shutdown_set();
    // SAFETY: -1 asks for a new descriptor; `set` is an initialised signal set.
    let fd = unsafe { libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
    if fd < 0 {
        return Err(Errno::from_io_error(&io::Error::last_os_error()).unwrap_or(Errno::INVAL));
    }
    // SAFETY: `signalfd` returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
