//! [`UnixReactor`]: one worker's readiness source, its listener and its wake-up, behind the
//! core's [`Reactor`] trait, over any [`Selector`] (epoll, kqueue).
//!
//! This module owns what every Unix reactor does the same way: handing out a wait's events one
//! by one, keeping the wake-up's events from the driver (and the listener's while accepting is
//! paused), refusing tokens the selector reserves, accepting, closing. A [`Selector`] owns only
//! the OS calls: registering descriptors edge-triggered, waiting, and saying what an event was.

use std::fmt::Debug;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use aurora_core::server::io::{
    CloseKind, ErrorKind, Event, Reactor, Readiness, SocketError, Token,
};
use rustix::io::Errno;

use crate::platform::{Poller, Wake};
use crate::socket::{Listener, TcpSocket, error_kind};

/// The largest key a connection may be registered with; keys above it are the selector's own
/// (its listener and its wake-up).
pub const MAX_CONNECTION_KEY: usize = usize::MAX - 2;

/// What a listener's event says: connections may be waiting.
const LISTENER_READY: Readiness = Readiness {
    readable: true,
    writable: false,
    closed: false,
};

/// One OS readiness API, as a [`UnixReactor`] drives it.
///
/// Every registration is edge-triggered: a source is reported when it may have become ready,
/// then not again until it may have changed once more.
pub trait Selector: Debug + Sized + 'static {
    /// Ends a [`wait`](Self::wait) from another thread.
    type Waker: Wake + Clone;

    /// A new instance that collects at most `capacity` events per wait, with its wake-up and
    /// `listener` (if any, readable) registered.
    ///
    /// # Errors
    ///
    /// The OS error of creating or registering.
    fn new(capacity: usize, listener: Option<BorrowedFd<'_>>) -> io::Result<Self>;

    /// Reports `listener`'s readability again (`on`), which reports connections that queued
    /// meanwhile, or stops reporting it (`!on`) while leaving connections in the backlog.
    ///
    /// # Errors
    ///
    /// The OS error of the change.
    fn watch_listener(&mut self, listener: BorrowedFd<'_>, on: bool) -> Result<(), Errno>;

    /// Registers connection `fd` for both directions and the peer's half-close, reported with
    /// `key` (at most [`MAX_CONNECTION_KEY`]).
    ///
    /// # Errors
    ///
    /// The OS error of the registration.
    fn register(&mut self, fd: BorrowedFd<'_>, key: usize) -> Result<(), Errno>;

    /// Blocks until a source is ready, `timeout` has passed (`None`: no limit), the wake-up
    /// fires, or a signal interrupts the wait (not an error). Events not yet taken are dropped.
    ///
    /// # Errors
    ///
    /// The OS error of the wait (never `EINTR`).
    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()>;

    /// The next event of the last wait; a wake-up is reset as it is taken.
    fn next_event(&mut self) -> Option<Selected>;

    /// A handle that ends this selector's waits from another thread.
    fn waker(&self) -> Self::Waker;
}

/// One event a [`Selector`] collected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selected {
    /// The wake-up fired.
    Wake,
    /// The listener may have connections waiting.
    Listener,
    /// The connection registered with this key may be ready.
    Connection(usize, Readiness),
}

/// A worker's reactor: a [`Selector`], an optional [`Listener`] reported as
/// [`Token::LISTENER`], and a wake-up other threads use to end a [`wait`](Self::wait) early.
#[derive(Debug)]
pub struct UnixReactor<S> {
    selector: S,
    listener: Option<Listener>,
    accepting: Accepting,
    wake: WakeSeen,
}

/// Whether the listener is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Accepting {
    /// Watched for readability.
    Yes,
    /// Not watched: connections wait in the backlog.
    Paused,
}

/// Whether the wake-up fired since [`UnixReactor::take_wake`] last looked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WakeSeen {
    /// No wake-up seen.
    Quiet,
    /// A wake-up was seen.
    Woken,
}

impl<S: Selector> UnixReactor<S> {
    /// The most events one [`wait`](Self::wait) collects; the rest wait for the next one.
    pub const EVENTS_PER_WAIT: usize = 1024;

    /// A reactor over a new selector, reporting `listener` (if any) as [`Token::LISTENER`],
    /// accepting.
    ///
    /// # Errors
    ///
    /// The OS error of creating the selector or registering its sources.
    pub fn new(listener: Option<Listener>) -> io::Result<Self> {
        let selector = S::new(
            Self::EVENTS_PER_WAIT,
            listener.as_ref().map(Listener::as_fd),
        )?;
        Ok(UnixReactor {
            selector,
            listener,
            accepting: Accepting::Yes,
            wake: WakeSeen::Quiet,
        })
    }

    /// Blocks until a source is ready, `timeout` has passed (`None`: no limit), the reactor
    /// is woken through its [`wake_handle`](Self::wake_handle), or a signal interrupts the wait.
    /// The events found replace any not yet taken by [`Reactor::poll_event`].
    ///
    /// # Errors
    ///
    /// The OS error of the wait (never `EINTR`).
    pub fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.selector.wait(timeout)
    }

    /// A handle that wakes this reactor's [`wait`](Self::wait) from another thread.
    pub fn wake_handle(&self) -> S::Waker {
        self.selector.waker()
    }

    /// Whether a wake-up arrived among the events taken so far, clearing the flag.
    pub fn take_wake(&mut self) -> bool {
        let woken = self.wake == WakeSeen::Woken;
        self.wake = WakeSeen::Quiet;
        woken
    }

    /// The listener, if the reactor has one.
    pub fn listener(&self) -> Option<&Listener> {
        self.listener.as_ref()
    }
}

impl<S: Selector> Reactor for UnixReactor<S> {
    type Socket = TcpSocket;

    fn accept(&mut self) -> Result<Option<TcpSocket>, SocketError> {
        self.listener.as_ref().map_or(Ok(None), Listener::accept)
    }

    fn register(&mut self, socket: &mut TcpSocket, token: Token) -> Result<(), SocketError> {
        if token.0 > MAX_CONNECTION_KEY {
            return Err(SocketError::Io(ErrorKind::InvalidInput));
        }
        self.selector
            .register(socket.as_fd(), token.0)
            .map_err(|e| SocketError::Io(error_kind(e)))
    }

    fn close(&mut self, socket: TcpSocket, how: CloseKind) {
        // Closing the descriptor also removes it from the selector.
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
        if let Err(e) = self.selector.watch_listener(listener.as_fd(), accepting) {
            log::warn!("changing the listener's registration: {e}");
        }
        self.accepting = want;
    }

    fn poll_event(&mut self) -> Option<Event> {
        loop {
            let (token, readiness) = match self.selector.next_event()? {
                Selected::Wake => {
                    self.wake = WakeSeen::Woken;
                    continue;
                }
                Selected::Listener if self.accepting == Accepting::Paused => continue,
                Selected::Listener => (Token::LISTENER, LISTENER_READY),
                Selected::Connection(key, readiness) => (Token(key), readiness),
            };
            return Some(Event { token, readiness });
        }
    }
}

impl<S: Selector> Poller for UnixReactor<S> {
    type WakeHandle = S::Waker;

    fn with_listener(listener: Option<Listener>) -> io::Result<Self> {
        Self::new(listener)
    }

    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        UnixReactor::wait(self, timeout)
    }

    fn wake_handle(&self) -> S::Waker {
        UnixReactor::wake_handle(self)
    }

    fn take_wake(&mut self) -> bool {
        UnixReactor::take_wake(self)
    }

    fn listener(&self) -> Option<&Listener> {
        UnixReactor::listener(self)
    }

    fn close_listener(&mut self) {
        // Unwatched first: a duplicated descriptor stays in an epoll set after it is closed
        // while another descriptor of the socket is open.
        self.set_accepting(false);
        self.listener = None;
    }
}
