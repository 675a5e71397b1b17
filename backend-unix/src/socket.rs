//! Sockets: [`TcpSocket`], one accepted connection, and [`Listener`], one worker's
//! `SO_REUSEPORT` listening socket or its share of an inherited one; [`ensure_free`] refuses an
//! address another server holds.
//!
//! Both are non-blocking and close-on-exec, and a write to a connection the peer closed is an
//! error, never a `SIGPIPE`. Errors leave here as the core's [`SocketError`]; OS error numbers
//! never reach the driver.
//!
//! # Per OS
//!
//! - Linux and FreeBSD: `SOCK_NONBLOCK | SOCK_CLOEXEC` at `socket` and `accept4`, and
//!   `MSG_NOSIGNAL` on every send.
//! - macOS has neither: a new socket is made non-blocking with `ioctl(FIONBIO)`, close-on-exec
//!   with `fcntl(F_SETFD)`, and gets `SO_NOSIGPIPE`.
//! - FreeBSD balances connections among listeners on one port only with `SO_REUSEPORT_LB`,
//!   which listeners use there instead of `SO_REUSEPORT`. macOS has no balancing option: every
//!   worker binds with `SO_REUSEPORT`, and the kernel picks the listener.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use aurora_core::server::io::{CloseKind, ErrorKind, Socket, SocketError};
use rustix::io::Errno;
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType, sockopt};

/// The listen backlog of every listener.
pub const BACKLOG: i32 = 1024;

/// The flags new sockets get from `socket` and `accept`: non-blocking and close-on-exec where
/// the OS takes them there ([`prepare`] sets them afterwards on macOS).
#[cfg(not(target_vendor = "apple"))]
const NEW_SOCKET_FLAGS: SocketFlags = SocketFlags::NONBLOCK.union(SocketFlags::CLOEXEC);
/// macOS takes no flags at `socket` and `accept`: [`prepare`] sets them afterwards.
#[cfg(target_vendor = "apple")]
const NEW_SOCKET_FLAGS: SocketFlags = SocketFlags::empty();

/// The flags of every send: no `SIGPIPE` where the OS has `MSG_NOSIGNAL`.
#[cfg(not(target_vendor = "apple"))]
const SEND_FLAGS: SendFlags = SendFlags::NOSIGNAL;
/// macOS has no `MSG_NOSIGNAL`: [`prepare`] sets `SO_NOSIGPIPE` on each socket instead.
#[cfg(target_vendor = "apple")]
const SEND_FLAGS: SendFlags = SendFlags::empty();

/// One accepted TCP connection, non-blocking, with `TCP_NODELAY` set.
#[derive(Debug)]
pub struct TcpSocket {
    fd: OwnedFd,
    /// The peer's address, as accept reported it.
    peer: Option<std::net::SocketAddr>,
}

impl TcpSocket {
    /// Wraps `fd`, a connected stream socket the caller has made non-blocking.
    pub fn from_fd(fd: OwnedFd) -> Self {
        TcpSocket { fd, peer: None }
    }

    /// Ends the connection as `how` says and closes the descriptor, which also removes it from
    /// every epoll or kqueue instance.
    ///
    /// [`CloseKind::Graceful`] only closes the descriptor, which sends a FIN after everything
    /// written (a `shutdown` of the write side first would cost a system call per connection
    /// and change nothing, since the descriptor closes at once); [`CloseKind::Abort`] sets a
    /// zero linger time first, so closing sends a reset.
    pub fn close(self, how: CloseKind) {
        if how == CloseKind::Abort
            && let Err(e) = sockopt::set_socket_linger(&self.fd, Some(Duration::ZERO))
        {
            // The peer may already be gone; closing the descriptor is all that is left.
            log::trace!("closing a connection ({how:?}): {e}");
        }
    }
}

impl Socket for TcpSocket {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SocketError> {
        loop {
            return match rustix::net::recv(&self.fd, &mut *buf, RecvFlags::empty()) {
                Ok((n, _)) => Ok(n),
                Err(Errno::INTR) => continue,
                Err(e) => Err(socket_error(e)),
            };
        }
    }

    fn peer(&self) -> Option<std::net::SocketAddr> {
        self.peer
    }

    fn write(&mut self, buf: &[u8]) -> Result<usize, SocketError> {
        loop {
            return match rustix::net::send(&self.fd, buf, SEND_FLAGS) {
                // A stream socket never accepts 0 bytes of a non-empty buffer without an
                // error; should it, report it rather than let the driver spin.
                Ok(0) if !buf.is_empty() => Err(SocketError::Io(ErrorKind::WriteZero)),
                Ok(n) => Ok(n),
                Err(Errno::INTR) => continue,
                Err(e) => Err(socket_error(e)),
            };
        }
    }
}

impl AsFd for TcpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// A non-blocking TCP listener with `SO_REUSEADDR` and `SO_REUSEPORT` (`SO_REUSEPORT_LB` on
/// FreeBSD), so every worker can bind its own on the same address and the kernel spreads
/// connections among them.
#[derive(Debug)]
pub struct Listener {
    fd: OwnedFd,
}

impl Listener {
    /// Binds and listens on `addr` with a backlog of [`BACKLOG`].
    ///
    /// # Errors
    ///
    /// The OS error of `socket`, `setsockopt`, `bind` or `listen` (`AddrInUse` when another
    /// process holds the port without `SO_REUSEPORT`).
    pub fn bind(addr: SocketAddr) -> io::Result<Self> {
        let fd = new_socket(addr)?;
        share_port(&fd)?;
        nodelay_for_accepted(&fd)?;
        rustix::net::bind(&fd, &addr)?;
        rustix::net::listen(&fd, BACKLOG)?;
        Ok(Listener { fd })
    }

    /// Serves `fd`, a listening TCP socket this process inherited (from systemd's socket
    /// activation, say), made non-blocking and close-on-exec here (and given `TCP_NODELAY`
    /// where accepted sockets inherit it). The socket keeps its creator's other options.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when `fd` is not a listening TCP socket; otherwise the OS error of a
    /// check or of setting the flags.
    pub fn inherit(fd: OwnedFd) -> io::Result<Self> {
        let invalid = || {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the inherited descriptor is not a listening TCP socket",
            )
        };
        if sockopt::socket_type(&fd).map_err(|_| invalid())? != SocketType::STREAM {
            return Err(invalid());
        }
        // macOS declares SO_ACCEPTCONN but does not answer it; `accept` fails there instead.
        #[cfg(not(target_vendor = "apple"))]
        if !sockopt::socket_acceptconn(&fd)? {
            return Err(invalid());
        }
        rustix::io::ioctl_fionbio(&fd, true)?;
        rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC)?;
        nodelay_for_accepted(&fd)?;
        let listener = Listener { fd };
        // A Unix-domain socket has no IP address: refuse it here rather than at `local_addr`.
        listener.local_addr().map_err(|_| invalid())?;
        Ok(listener)
    }

    /// A second descriptor (close-on-exec) for the same socket: both accept from one queue.
    /// Every worker serves an inherited socket through one of these.
    ///
    /// # Errors
    ///
    /// The OS error of `fcntl(F_DUPFD_CLOEXEC)`, e.g. when out of descriptors.
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(Listener {
            fd: rustix::io::fcntl_dupfd_cloexec(&self.fd, 0)?,
        })
    }

    /// The address the listener is bound to, with the real port when it asked for port 0.
    ///
    /// # Errors
    ///
    /// The OS error of `getsockname`, or `Unsupported` for a non-IP address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        let addr = rustix::net::getsockname(&self.fd)?;
        SocketAddr::try_from(addr).map_err(|_| io::Error::from(io::ErrorKind::Unsupported))
    }

    /// Takes one pending connection, non-blocking and close-on-exec with `TCP_NODELAY` set, or
    /// `Ok(None)` when none waits. Connections that failed while waiting are skipped.
    ///
    /// # Errors
    ///
    /// [`SocketError::Io`] when the listener itself fails, e.g. `OutOfMemory` when the process
    /// is out of descriptors.
    pub fn accept(&self) -> Result<Option<TcpSocket>, SocketError> {
        loop {
            match rustix::net::acceptfrom_with(&self.fd, NEW_SOCKET_FLAGS) {
                Ok((fd, peer)) => {
                    if let Err(e) = prepare(&fd) {
                        // Unusable without non-blocking mode: drop it, take the next one.
                        log::debug!("preparing an accepted socket: {e}");
                        continue;
                    }
                    if !NODELAY_INHERITED && let Err(e) = sockopt::set_tcp_nodelay(&fd, true) {
                        log::debug!("TCP_NODELAY on an accepted socket: {e}");
                    }
                    let peer = peer.and_then(|peer| std::net::SocketAddr::try_from(peer).ok());
                    return Ok(Some(TcpSocket { fd, peer }));
                }
                Err(Errno::AGAIN) => return Ok(None),
                // The connection, not the listener, failed (accept(2) asks to retry on these).
                Err(Errno::INTR | Errno::CONNABORTED | Errno::PROTO) => continue,
                Err(e) => return Err(socket_error(e)),
            }
        }
    }
}

impl AsFd for Listener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Fails with `AddrInUse` when a socket of any process already listens on `addr`, even one
/// that would let [`Listener::bind`] share the port.
///
/// Workers' listeners carry `SO_REUSEPORT`, and the kernel lets a later socket with it join
/// theirs (on Linux, any socket of the same user): a second server started on the address of a
/// running one would bind happily and take a share of its connections. So before binding,
/// this binds a probe on `addr` with `SO_REUSEADDR` alone (so connections in `TIME_WAIT` from
/// an earlier run do not count) and closes it: the probe fails against any listener there,
/// sharing or not. A second server that probes in the few microseconds between this probe and
/// the first worker's bind can still slip in; a socket handed over by the service manager is
/// the race-free way to run one server per address (`docs/DEPLOY.md`).
///
/// Port 0 needs no probe: the kernel never hands out a port that a listener already holds.
///
/// # Errors
///
/// `AddrInUse` with a message naming `addr`, or the OS error of the probe's `socket`, option
/// or `bind` (e.g. `AddrNotAvailable`).
pub fn ensure_free(addr: SocketAddr) -> io::Result<()> {
    if addr.port() == 0 {
        return Ok(());
    }
    let probe = new_socket(addr)?;
    match rustix::net::bind(&probe, &addr) {
        Ok(()) => Ok(()),
        Err(Errno::ADDRINUSE) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            "the address is already in use: another server listens there",
        )),
        Err(e) => Err(e.into()),
    }
}

/// A new TCP socket for `addr`'s family, non-blocking and close-on-exec, with `SO_REUSEADDR`
/// (a restart may bind while connections of the last run linger in `TIME_WAIT`).
fn new_socket(addr: SocketAddr) -> io::Result<OwnedFd> {
    let family = match addr {
        SocketAddr::V4(_) => AddressFamily::INET,
        SocketAddr::V6(_) => AddressFamily::INET6,
    };
    let fd = rustix::net::socket_with(family, SocketType::STREAM, NEW_SOCKET_FLAGS, None)?;
    prepare(&fd)?;
    sockopt::set_socket_reuseaddr(&fd, true)?;
    Ok(fd)
}

/// Whether an accepted socket inherits `TCP_NODELAY` from its listener, as on Linux: then it
/// is set once on the listener, saving a system call per accepted connection; elsewhere
/// [`Listener::accept`] sets it on each socket.
const NODELAY_INHERITED: bool = cfg!(target_os = "linux");

/// Sets `TCP_NODELAY` on a listener whose accepted sockets inherit it.
fn nodelay_for_accepted(fd: &OwnedFd) -> io::Result<()> {
    if NODELAY_INHERITED {
        sockopt::set_tcp_nodelay(fd, true)?;
    }
    Ok(())
}

/// Sets what [`NEW_SOCKET_FLAGS`] could not on this OS: nothing, except on macOS, where it
/// makes `fd` non-blocking and close-on-exec and sets `SO_NOSIGPIPE`.
#[cfg(not(target_vendor = "apple"))]
fn prepare(fd: &OwnedFd) -> io::Result<()> {
    let _ = fd;
    Ok(())
}

/// Makes `fd` non-blocking and close-on-exec, and sets `SO_NOSIGPIPE`: what macOS cannot set
/// at `socket`, `accept` or `send`.
#[cfg(target_vendor = "apple")]
fn prepare(fd: &OwnedFd) -> io::Result<()> {
    rustix::io::ioctl_fionbio(fd, true)?;
    rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC)?;
    sockopt::set_socket_nosigpipe(fd, true)?;
    Ok(())
}

/// Lets every worker's listener bind the same address, with the kernel spreading connections
/// among them: `SO_REUSEPORT_LB` on FreeBSD (plain `SO_REUSEPORT` there hands every connection
/// to one listener).
#[cfg(target_os = "freebsd")]
fn share_port(fd: &OwnedFd) -> io::Result<()> {
    sockopt::set_socket_reuseport_lb(fd, true)?;
    Ok(())
}

/// Lets every worker's listener bind the same address: `SO_REUSEPORT`.
#[cfg(not(target_os = "freebsd"))]
fn share_port(fd: &OwnedFd) -> io::Result<()> {
    sockopt::set_socket_reuseport(fd, true)?;
    Ok(())
}

/// The core's view of an OS error: `EAGAIN` is [`SocketError::WouldBlock`], the rest an
/// [`ErrorKind`].
pub fn socket_error(errno: Errno) -> SocketError {
    if errno == Errno::AGAIN || errno == Errno::WOULDBLOCK {
        return SocketError::WouldBlock;
    }
    SocketError::Io(error_kind(errno))
}

/// The [`ErrorKind`] of an OS error number.
pub fn error_kind(errno: Errno) -> ErrorKind {
    match errno {
        Errno::CONNRESET => ErrorKind::ConnectionReset,
        Errno::PIPE => ErrorKind::BrokenPipe,
        Errno::CONNABORTED => ErrorKind::ConnectionAborted,
        Errno::CONNREFUSED => ErrorKind::ConnectionRefused,
        Errno::NOTCONN => ErrorKind::NotConnected,
        Errno::TIMEDOUT => ErrorKind::TimedOut,
        Errno::INTR => ErrorKind::Interrupted,
        Errno::INVAL | Errno::BADF | Errno::NOTSOCK => ErrorKind::InvalidInput,
        Errno::ACCESS | Errno::PERM => ErrorKind::PermissionDenied,
        Errno::ADDRINUSE => ErrorKind::AddrInUse,
        Errno::ADDRNOTAVAIL => ErrorKind::AddrNotAvailable,
        Errno::NOMEM | Errno::NOBUFS | Errno::MFILE | Errno::NFILE => ErrorKind::OutOfMemory,
        Errno::OPNOTSUPP => ErrorKind::Unsupported,
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Every accepted socket has `TCP_NODELAY`, whether it was set on the listener (inherited)
    /// or on the socket.
    #[test]
    fn accepted_sockets_have_nodelay() {
        let listener = Listener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = std::net::TcpStream::connect(addr).unwrap();
        let accepted = loop {
            if let Some(socket) = listener.accept().unwrap() {
                break socket;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        assert!(sockopt::tcp_nodelay(&accepted.fd).unwrap());
    }

    #[test]
    fn error_numbers() {
        let rows = [
            (Errno::AGAIN, SocketError::WouldBlock),
            (
                Errno::CONNRESET,
                SocketError::Io(ErrorKind::ConnectionReset),
            ),
            (Errno::PIPE, SocketError::Io(ErrorKind::BrokenPipe)),
            (
                Errno::CONNABORTED,
                SocketError::Io(ErrorKind::ConnectionAborted),
            ),
            (Errno::NOTCONN, SocketError::Io(ErrorKind::NotConnected)),
            (Errno::TIMEDOUT, SocketError::Io(ErrorKind::TimedOut)),
            (Errno::MFILE, SocketError::Io(ErrorKind::OutOfMemory)),
            (Errno::NOBUFS, SocketError::Io(ErrorKind::OutOfMemory)),
            (Errno::ACCESS, SocketError::Io(ErrorKind::PermissionDenied)),
            (Errno::IO, SocketError::Io(ErrorKind::Other)),
        ];
        for (errno, want) in rows {
            assert_eq!(socket_error(errno), want, "{errno}");
        }
    }
}
