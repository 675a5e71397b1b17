//! SIGINT and SIGTERM read from a signalfd. They must be blocked in every thread first (see
//! [`aurora_unix::sys::signal::BlockGuard`]), or the kernel delivers them the default way.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};

use aurora_unix::sys::signal::shutdown_set;
use rustix::io::Errno;

/// A non-blocking signalfd that reads SIGINT and SIGTERM sent to the process or to the thread
/// that reads it. They must be blocked in every thread (see `BlockGuard`).
#[derive(Debug)]
pub(crate) struct SignalFd {
    fd: OwnedFd,
}

impl SignalFd {
    /// A signalfd for SIGINT and SIGTERM, close-on-exec and non-blocking.
    pub(crate) fn new() -> io::Result<Self> {
        let set = shutdown_set();
        // SAFETY: -1 asks for a new descriptor; `set` is an initialised signal set.
        let fd = unsafe { libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `signalfd` returned a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(SignalFd { fd })
    }

    /// The number of a pending signal, taking it, or `None` if none is pending.
    pub(crate) fn take(&self) -> io::Result<Option<i32>> {
        // One `struct signalfd_siginfo` is 128 bytes; its first field is the signal number.
        let mut info = [0u8; 128];
        loop {
            return match rustix::io::read(&self.fd, &mut info) {
                Ok(n) if n >= 4 => {
                    let signo = u32::from_ne_bytes([info[0], info[1], info[2], info[3]]);
                    Ok(Some(i32::try_from(signo).unwrap_or(i32::MAX)))
                }
                Ok(_) | Err(Errno::AGAIN) => Ok(None),
                Err(Errno::INTR) => continue,
                Err(e) => Err(e.into()),
            };
        }
    }
}

impl AsFd for SignalFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_directed_signal_is_read_from_the_signalfd() {
        std::thread::spawn(|| {
            let guard = aurora_unix::sys::signal::BlockGuard::new().unwrap();
            let fd = SignalFd::new().unwrap();
            assert_eq!(fd.take().unwrap(), None);
            // Send SIGTERM to this thread only: other test threads do not block it.
            aurora_unix::sys::signal::send_to_thread(rustix::thread::gettid(), libc::SIGTERM);
            assert_eq!(fd.take().unwrap(), Some(libc::SIGTERM));
            assert_eq!(fd.take().unwrap(), None);
            drop(guard);
        })
        .join()
        .unwrap();
    }
}
