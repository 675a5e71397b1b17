//! The contract between the server driver and a backend: [`Reactor`] (readiness and accepting)
//! and [`Socket`] (one non-blocking byte stream).
//!
//! This module only states the contract; it holds no logic. The driver is written once against
//! these traits, and each backend (epoll on Linux, kqueue on the BSDs and macOS, embassy-net on
//! microcontrollers) implements them as OS glue. Nothing here blocks: waiting for readiness or
//! for the next deadline is the backend's run loop, outside the traits.
//!
//! # Portability rules (every backend, every caller)
//!
//! - **Readiness, edge-triggered.** An [`Event`] says a source *may* have become readable or
//!   writable since the last event for it. The driver reads until [`SocketError::WouldBlock`]
//!   or a short read (fewer bytes than it asked for, when the event did not say
//!   [`closed`](Readiness::closed)) and writes until `WouldBlock` (or nothing is left); only
//!   then may it rely on a later event, so a backend must report bytes that arrive after that.
//!   A backend may report readiness on every turn (embassy-net does), so events are hints.
//! - **Spurious events are allowed**, and so are events for a token whose connection has since
//!   closed: the driver treats a read or write that would block as "not ready after all", and
//!   an event for a free or reused slot as a spurious event for that slot.
//! - **Errors are [`embedded_io::ErrorKind`]s**, so the driver never sees an OS error number.
//!   End of stream is a read of `Ok(0)`, never an error.
//! - **No empty writes.** The driver never calls [`Socket::write`] with an empty slice, and never
//!   calls [`Socket::read`] with an empty buffer (embassy-net treats both specially).
//! - **Accept until `None`.** After an event for [`Token::LISTENER`], the driver calls
//!   [`Reactor::accept`] until it returns `Ok(None)`, refusing (closing) what it has no slot for.
//!
//! # The backend's turn
//!
//! ```text
//! loop {
//!     now = clock()
//!     wait for readiness until the driver's next deadline   // epoll_wait, kevent, select()
//!     driver.turn(&mut reactor, now)                         // drains Reactor::poll_event
//! }
//! ```

use core::fmt;

pub use embedded_io::ErrorKind;

/// Names one source of readiness: a connection slot's index, or the listener(s).
///
/// The driver hands a token to [`Reactor::register`] and gets it back in [`Event`]s. Tokens are
/// reused when a slot is reused, which is harmless because events are hints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Token(pub usize);

impl Token {
    /// The token of the listening socket(s) a backend accepts from.
    pub const LISTENER: Token = Token(usize::MAX);
}

/// What an [`Event`] says may have changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Readiness {
    /// Bytes (or end of stream, or an error) may be waiting to be read; for the listener, a
    /// connection may be waiting to be accepted.
    pub readable: bool,
    /// Space may have opened to write into.
    pub writable: bool,
    /// The peer may have ended its side (end of stream, reset or an error) as well as sent
    /// data. The driver then reads until the socket would block; otherwise it stops after a
    /// read that returned less than it asked for, sparing a read that could only block, and
    /// relies on the backend's next event for later bytes (edge-triggered backends give one).
    /// A backend that cannot tell sets it.
    pub closed: bool,
}

impl Readiness {
    /// Both directions and a possible close, as a backend reports when it cannot tell them
    /// apart.
    pub const ALL: Readiness = Readiness {
        readable: true,
        writable: true,
        closed: true,
    };
}

/// One readiness hint for one token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Event {
    /// The source.
    pub token: Token,
    /// What may have changed.
    pub readiness: Readiness,
}

/// Why a [`Socket`] or [`Reactor`] call did nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SocketError {
    /// Not ready: wait for the next [`Event`] for this source.
    WouldBlock,
    /// The call failed; the driver closes the connection (or, for the listener, retries on the
    /// next event).
    Io(ErrorKind),
}

/// How [`Reactor::close`] ends a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CloseKind {
    /// Everything the driver wrote has been handed to the socket: send FIN after it (and let
    /// the OS or the stack deliver the rest). Used after a response.
    Graceful,
    /// Drop the connection at once (reset where the stack offers it). Used after a socket
    /// error or a write timeout, when nothing more can be delivered.
    Abort,
}

/// One non-blocking, connected byte stream.
///
/// Implementations never block and never buffer on their own beyond what the OS or stack does.
pub trait Socket {
    /// Reads into `buf` (never empty). `Ok(0)` is end of stream: the peer sent FIN.
    ///
    /// # Errors
    ///
    /// [`SocketError::WouldBlock`] when nothing is buffered; [`SocketError::Io`] on a reset or
    /// another failure.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SocketError>;

    /// Writes a prefix of `buf` (never empty) and returns its length (never 0 on `Ok`).
    ///
    /// # Errors
    ///
    /// [`SocketError::WouldBlock`] when no space is free; [`SocketError::Io`] when the peer is
    /// gone or the write failed.
    fn write(&mut self, buf: &[u8]) -> Result<usize, SocketError>;

    /// The peer's address, if the backend knows it (for access logs). `None` by default.
    fn peer(&self) -> Option<core::net::SocketAddr> {
        None
    }
}

/// The readiness source and connection factory of one worker (one thread, one task).
pub trait Reactor {
    /// The connected sockets this reactor accepts.
    type Socket: Socket;

    /// Takes one pending connection, already non-blocking, or `Ok(None)` when none waits.
    ///
    /// # Errors
    ///
    /// [`SocketError::Io`] for a failure of the listener that is not about one connection
    /// (out of descriptors, for example); the driver logs it and retries on the next event.
    fn accept(&mut self) -> Result<Option<Self::Socket>, SocketError>;

    /// Starts reporting readiness of `socket`, in both directions, edge-triggered, as `token`.
    ///
    /// # Errors
    ///
    /// [`SocketError::Io`]; the driver then closes the socket with [`CloseKind::Abort`].
    fn register(&mut self, socket: &mut Self::Socket, token: Token) -> Result<(), SocketError>;

    /// Stops reporting `socket` and ends the connection as `how` says. The socket is gone
    /// afterwards (an embedded backend may put its slot back to listening).
    fn close(&mut self, socket: Self::Socket, how: CloseKind);

    /// Stops or resumes reporting the listener, for the connection limit (no slot left for a
    /// newcomer) and for shutdown. While paused, pending connections wait in the backlog (or are refused by the
    /// stack). A backend without a listener of its own may ignore this.
    fn set_accepting(&mut self, accepting: bool);

    /// The next readiness hint collected by the backend's last wait, or `None` once all are
    /// taken.
    fn poll_event(&mut self) -> Option<Event>;
}

impl fmt::Display for SocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocketError::WouldBlock => f.write_str("operation would block"),
            SocketError::Io(kind) => write!(f, "socket error: {kind:?}"),
        }
    }
}

impl core::error::Error for SocketError {}
