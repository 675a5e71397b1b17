//! [`EpollReactor`]: one worker's epoll instance, its listener and its waker, behind the core's
//! [`Reactor`] trait.
//!
//! Every source is registered edge-triggered. A [`wait`](EpollReactor::wait) collects up to
//! [`EpollReactor::EVENTS_PER_WAIT`] events, which [`Reactor::poll_event`] then hands out one
//! by one; the waker's event is consumed here and never reaches the driver, and so are the
//! listener's while accepting is paused.

use std::io;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

use aurora_core::server::io::{
    CloseKind, ErrorKind, Event, Reactor, Readiness, SocketError, Token,
};
use rustix::event::epoll::EventFlags;

use crate::sys::poller::{Interest, Poller};
use crate::sys::waker::Waker;
use aurora_unix::socket::{Listener, TcpSocket, error_kind};

/// The epoll data of the listener.
const LISTENER_DATA: u64 = u64::MAX;
/// The epoll data of the waker; connection tokens stay below it.
const WAKER_DATA: u64 = u64::MAX - 1;

/// One worker's readiness source: an epoll instance, an optional [`Listener`] reported as
/// [`Token::LISTENER`], and an eventfd other threads use to end a [`wait`](Self::wait) early.
#[derive(Debug)]
pub struct EpollReactor {
    poller: Poller,
    listener: Option<Listener>,
    accepting: Accepting,
    waker: Arc<Waker>,
    wake: Wake,
}

/// Whether the listener is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Accepting {
    /// Registered for readability.
    Yes,
    /// Registered with no interest: connections wait in the backlog.
    Paused,
}

/// Whether the waker fired since [`EpollReactor::take_wake`] last looked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wake {
    /// No wake-up seen.
    Quiet,
    /// A wake-up was seen.
    Woken,
}

/// Ends an [`EpollReactor::wait`] from any thread. Clone it freely.
#[derive(Clone, Debug)]
pub struct WakeHandle {
    waker: Arc<Waker>,
}

impl EpollReactor {
    /// The most events one [`wait`](Self::wait) collects; the rest wait for the next one.
    pub const EVENTS_PER_WAIT: usize = 1024;

    /// A reactor over a new epoll instance, reporting `listener` (if any) as
    /// [`Token::LISTENER`], accepting.
    ///
    /// # Errors
    ///
    /// The OS error of `epoll_create1`, `eventfd` or `epoll_ctl`.
    pub fn new(listener: Option<Listener>) -> io::Result<Self> {
        let poller = Poller::new(Self::EVENTS_PER_WAIT)?;
        let waker = Arc::new(Waker::new()?);
        poller.add(waker.as_fd(), WAKER_DATA, Interest::Read)?;
        if let Some(listener) = &listener {
            poller.add(listener.as_fd(), LISTENER_DATA, Interest::Read)?;
        }
        Ok(EpollReactor {
            poller,
            listener,
            accepting: Accepting::Yes,
            waker,
            wake: Wake::Quiet,
        })
    }

    /// Blocks until a source is ready, `timeout` has passed (`None`: no limit), the reactor
    /// is woken through a [`WakeHandle`], or a signal interrupts the wait. The events found
    /// replace any not yet taken by [`Reactor::poll_event`].
    ///
    /// # Errors
    ///
    /// The OS error of `epoll_wait` (never `EINTR`).
    pub fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.poller.wait(timeout)
    }

    /// A handle that wakes this reactor's [`wait`](Self::wait) from another thread.
    pub fn wake_handle(&self) -> WakeHandle {
        WakeHandle {
            waker: Arc::clone(&self.waker),
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

impl Reactor for EpollReactor {
    type Socket = TcpSocket;

    fn accept(&mut self) -> Result<Option<TcpSocket>, SocketError> {
        match &self.listener {
            Some(listener) => listener.accept(),
            None => Ok(None),
        }
    }

    fn register(&mut self, socket: &mut TcpSocket, token: Token) -> Result<(), SocketError> {
        let data = u64::try_from(token.0).unwrap_or(u64::MAX);
        if data >= WAKER_DATA || token == Token::LISTENER {
            return Err(SocketError::Io(ErrorKind::InvalidInput));
        }
        self.poller
            .add(socket.as_fd(), data, Interest::ReadWrite)
            .map_err(|e| SocketError::Io(error_kind(e)))
    }

    fn close(&mut self, socket: TcpSocket, how: CloseKind) {
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
        let interest = match want {
            Accepting::Yes => Interest::Read,
            Accepting::Paused => Interest::None,
        };
        // Re-arming with EPOLL_CTL_MOD reports connections that queued while paused.
        if let Err(e) = self
            .poller
            .modify(listener.as_fd(), LISTENER_DATA, interest)
        {
            log::warn!("changing the listener's registration: {e}");
        }
        self.accepting = want;
    }

    fn poll_event(&mut self) -> Option<Event> {
        loop {
            let (data, flags) = self.poller.next_event()?;
            let token = match data {
                WAKER_DATA => {
                    self.waker.reset();
                    self.wake = Wake::Woken;
                    continue;
                }
                LISTENER_DATA if self.accepting == Accepting::Paused => continue,
                LISTENER_DATA => Token::LISTENER,
                // Registered from a `usize`, so it converts back.
                data => Token(usize::try_from(data).unwrap_or(usize::MAX)),
            };
            return Some(Event {
                token,
                readiness: readiness(flags),
            });
        }
    }
}

impl aurora_unix::Poller for EpollReactor {
    type WakeHandle = WakeHandle;

    fn with_listener(listener: Option<Listener>) -> io::Result<Self> {
        EpollReactor::new(listener)
    }

    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        EpollReactor::wait(self, timeout)
    }

    fn wake_handle(&self) -> WakeHandle {
        EpollReactor::wake_handle(self)
    }

    fn take_wake(&mut self) -> bool {
        EpollReactor::take_wake(self)
    }

    fn listener(&self) -> Option<&Listener> {
        EpollReactor::listener(self)
    }
}

impl WakeHandle {
    /// Ends the reactor's current or next [`wait`](EpollReactor::wait).
    pub fn wake(&self) {
        self.waker.wake();
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
    }
}
