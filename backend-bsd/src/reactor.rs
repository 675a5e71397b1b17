//! [`KqueueReactor`]: one worker's kqueue, its listener and its wake-up, behind the core's
//! [`Reactor`] trait.
//!
//! Every socket filter is added with `EV_CLEAR`, so it reports edges, as the contract asks. A
//! connection has two filters, `EVFILT_READ` and `EVFILT_WRITE`, each carrying the
//! connection's token; one wait may therefore report a token twice, which the driver takes as
//! the hint it is. The wake-up is an `EVFILT_USER` event, consumed here and never handed to the
//! driver; so are the listener's events while accepting is paused.

use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

use aurora_core::server::io::{
    CloseKind, ErrorKind, Event, Reactor, Readiness, SocketError, Token,
};
use aurora_unix::socket::{Listener, TcpSocket, error_kind};

use crate::sys::{Change, Direction, Fired, Kqueue, Source, Trigger};

/// The udata of the listener's filter.
const LISTENER_DATA: usize = usize::MAX;
/// The udata of the wake-up; connection tokens stay below it.
const WAKER_DATA: usize = usize::MAX - 1;
/// The identifier of the wake-up's user event.
const WAKE_IDENT: usize = 0;

/// One worker's readiness source: a kqueue, an optional [`Listener`] reported as
/// [`Token::LISTENER`], and a user event other threads trigger to end a [`wait`](Self::wait).
#[derive(Debug)]
pub struct KqueueReactor {
    kqueue: Kqueue,
    listener: Option<Listener>,
    accepting: Accepting,
    wake: Wake,
}

/// Whether the listener is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Accepting {
    /// Its read filter is registered.
    Yes,
    /// Its read filter is deleted: connections wait in the backlog.
    Paused,
}

/// Whether the wake-up fired since [`KqueueReactor::take_wake`] last looked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wake {
    /// No wake-up seen.
    Quiet,
    /// A wake-up was seen.
    Woken,
}

/// Ends a [`KqueueReactor::wait`] from any thread. Clone it freely.
#[derive(Clone, Debug)]
pub struct WakeHandle {
    trigger: Trigger,
}

impl KqueueReactor {
    /// The most events one [`wait`](Self::wait) collects; the rest wait for the next one.
    pub const EVENTS_PER_WAIT: usize = 1024;

    /// A reactor over a new kqueue, reporting `listener` (if any) as [`Token::LISTENER`],
    /// accepting.
    ///
    /// # Errors
    ///
    /// The OS error of `kqueue` or `kevent`.
    pub fn new(listener: Option<Listener>) -> io::Result<Self> {
        let kqueue = Kqueue::new(Self::EVENTS_PER_WAIT)?;
        kqueue.apply(&[Change::AddUser {
            ident: WAKE_IDENT,
            udata: WAKER_DATA,
        }])?;
        if let Some(listener) = &listener {
            kqueue.apply(&[listener_filter(listener)])?;
        }
        Ok(KqueueReactor {
            kqueue,
            listener,
            accepting: Accepting::Yes,
            wake: Wake::Quiet,
        })
    }

    /// Blocks until a filter fires, `timeout` has passed (`None`: no limit), the reactor is
    /// woken through a [`WakeHandle`], or a signal interrupts the wait. The events found
    /// replace any not yet taken by [`Reactor::poll_event`].
    ///
    /// # Errors
    ///
    /// The OS error of `kevent` (never `EINTR`).
    pub fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.kqueue.wait(timeout)
    }

    /// A handle that wakes this reactor's [`wait`](Self::wait) from another thread.
    pub fn wake_handle(&self) -> WakeHandle {
        WakeHandle {
            trigger: self.kqueue.trigger(),
        }
    }

    /// Whether a wake-up arrived among the events taken so far, clearing the flag.
    pub fn take_wake(&mut self) -> bool {
        let woken = self.wake == Wake::Woken;
        self.wake = Wake::Quiet;
        woken
    }

    /// The listener, if the reactor has one.
    pub fn listener(&self) -> Option<&Listener> {
        self.listener.as_ref()
    }
}

impl Reactor for KqueueReactor {
    type Socket = TcpSocket;

    fn accept(&mut self) -> Result<Option<TcpSocket>, SocketError> {
        self.listener.as_ref().map_or(Ok(None), Listener::accept)
    }

    fn register(&mut self, socket: &mut TcpSocket, token: Token) -> Result<(), SocketError> {
        if token.0 >= WAKER_DATA {
            return Err(SocketError::Io(ErrorKind::InvalidInput));
        }
        let fd = socket.as_fd();
        self.kqueue
            .apply(&[Direction::Read, Direction::Write].map(|direction| Change::Watch {
                fd,
                direction,
                udata: token.0,
            }))
            .map_err(|e| SocketError::Io(error_kind(e)))
    }

    fn close(&mut self, socket: TcpSocket, how: CloseKind) {
        // Closing the descriptor deletes both of its filters.
        socket.close(how);
    }

    fn set_accepting(&mut self, accepting: bool) {
        let want = if accepting {
            Accepting::Yes
        } else {
            Accepting::Paused
        };
        let Some(listener) = &self.listener else {
            return;
        };
        if want == self.accepting {
            return;
        }
        // Adding the filter again evaluates it at once: connections that queued while paused
        // are reported by the next wait.
        let change = match want {
            Accepting::Yes => listener_filter(listener),
            Accepting::Paused => Change::Unwatch {
                fd: listener.as_fd(),
                direction: Direction::Read,
            },
        };
        if let Err(e) = self.kqueue.apply(&[change]) {
            log::warn!("changing the listener's registration: {e}");
        }
        self.accepting = want;
    }

    fn poll_event(&mut self) -> Option<Event> {
        loop {
            let fired = self.kqueue.next_event()?;
            let token = match (fired.source, fired.udata) {
                (Source::User, _) => {
                    self.wake = Wake::Woken;
                    continue;
                }
                (Source::Signal, _) => continue,
                (_, LISTENER_DATA) if self.accepting == Accepting::Paused => continue,
                (_, LISTENER_DATA) => Token::LISTENER,
                (_, udata) => Token(udata),
            };
            return Some(Event {
                token,
                readiness: readiness(fired),
            });
        }
    }
}

impl aurora_unix::Poller for KqueueReactor {
    type WakeHandle = WakeHandle;

    fn with_listener(listener: Option<Listener>) -> io::Result<Self> {
        KqueueReactor::new(listener)
    }

    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        KqueueReactor::wait(self, timeout)
    }

    fn wake_handle(&self) -> WakeHandle {
        KqueueReactor::wake_handle(self)
    }

    fn take_wake(&mut self) -> bool {
        KqueueReactor::take_wake(self)
    }

    fn listener(&self) -> Option<&Listener> {
        KqueueReactor::listener(self)
    }
}

impl WakeHandle {
    /// Ends the reactor's current or next [`wait`](KqueueReactor::wait).
    pub fn wake(&self) {
        self.trigger.fire(WAKE_IDENT);
    }
}

impl aurora_unix::Wake for WakeHandle {
    fn wake(&self) {
        WakeHandle::wake(self);
    }
}

/// The read filter that reports `listener`.
fn listener_filter(listener: &Listener) -> Change<'_> {
    Change::Watch {
        fd: listener.as_fd(),
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
    }
}
