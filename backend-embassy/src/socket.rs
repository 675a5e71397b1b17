//! [`EmbassySocket`]: the core's [`Socket`] over one embassy-net [`TcpSocket`].
//!
//! This module owns the non-blocking read and write: one poll of embassy-net's `read` or
//! `write` future with a waker that does nothing. A `Pending` poll consumed nothing and is
//! [`SocketError::WouldBlock`]; the run loop registers its real waker before it sleeps (see
//! [`reactor`](crate::reactor)). It never waits, and never issues an empty read or write
//! (embassy-net treats both specially).

use core::cell::RefCell;
use core::fmt;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use aurora_core::server::io::{ErrorKind, Socket, SocketError};
use embassy_net::tcp::{Error as TcpError, TcpSocket};

/// One accepted connection: a handle on the socket at `index` of the reactor's array.
///
/// The socket itself stays in the reactor's array (the run loop must watch every socket while
/// it waits), so the handle is a shared reference; the executor is single-threaded and every
/// borrow ends before the call returns.
pub struct EmbassySocket<'s, 'd> {
    pub(crate) index: usize,
    pub(crate) socket: &'s RefCell<TcpSocket<'d>>,
}

impl Socket for EmbassySocket<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SocketError> {
        if buf.is_empty() {
            // embassy-net answers an empty read with `Ok(0)`, which would read as end of stream.
            return Err(SocketError::WouldBlock);
        }
        let Ok(mut socket) = self.socket.try_borrow_mut() else {
            return Err(SocketError::WouldBlock);
        };
        match poll_once(socket.read(buf)) {
            Poll::Ready(Ok(n)) => Ok(n),
            Poll::Ready(Err(e)) => Err(SocketError::Io(kind(e))),
            Poll::Pending => Err(SocketError::WouldBlock),
        }
    }

    fn write(&mut self, buf: &[u8]) -> Result<usize, SocketError> {
        if buf.is_empty() {
            // embassy-net's empty write never completes; `Ok(0)` is "nothing taken".
            return Ok(0);
        }
        let Ok(mut socket) = self.socket.try_borrow_mut() else {
            return Err(SocketError::WouldBlock);
        };
        match poll_once(socket.write(buf)) {
            Poll::Ready(Ok(n)) => Ok(n),
            Poll::Ready(Err(e)) => Err(SocketError::Io(kind(e))),
            Poll::Pending => Err(SocketError::WouldBlock),
        }
    }
}

impl fmt::Debug for EmbassySocket<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbassySocket")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// Polls `future` once with a waker that does nothing.
pub(crate) fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    pin!(future).poll(&mut cx)
}

/// The portable kind of an embassy-net error.
fn kind(error: TcpError) -> ErrorKind {
    match error {
        TcpError::ConnectionReset => ErrorKind::ConnectionReset,
    }
}
