//! SIGINT and SIGTERM: blocking them in threads, and reading them from a signalfd.
//!
//! A signal a process wants to handle synchronously must be blocked in every thread, or the
//! kernel may deliver it to one that does not block it, where its default action ends the
//! process. Worker threads are spawned under [`BlockGuard`], so they start with both signals
//! blocked; the thread that waits blocks them for good and reads them from a [`SignalFd`].

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};

use rustix::io::Errno;

/// The signals that ask for a graceful shutdown.
const SHUTDOWN_SIGNALS: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];

/// While alive, the calling thread has SIGINT and SIGTERM blocked (threads spawned meanwhile
/// inherit that); dropping it restores the thread's previous mask.
#[derive(Debug)]
pub(crate) struct BlockGuard {
    previous: libc::sigset_t,
}

impl BlockGuard {
    /// Blocks SIGINT and SIGTERM in the calling thread until the guard is dropped.
    pub(crate) fn new() -> io::Result<Self> {
        let set = shutdown_set();
        let mut previous = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: `set` is an initialised signal set and `previous` points to writable storage
        // for one; `pthread_sigmask` only changes the calling thread's mask.
        let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, previous.as_mut_ptr()) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        // SAFETY: `pthread_sigmask` returned 0, so it stored the previous mask in `previous`.
        let previous = unsafe { previous.assume_init() };
        Ok(BlockGuard { previous })
    }

    /// Keeps the signals blocked in this thread for good (the thread is about to wait for them
    /// on a [`SignalFd`]).
    pub(crate) fn forever(self) {
        std::mem::forget(self);
    }
}

impl Drop for BlockGuard {
    fn drop(&mut self) {
        // SAFETY: `previous` is the mask `pthread_sigmask` reported, a valid signal set; a null
        // old-set pointer is allowed.
        let rc = unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.previous, std::ptr::null_mut())
        };
        if rc != 0 {
            log::warn!("restoring the signal mask failed: error {rc}");
        }
    }
}

/// A non-blocking signalfd that reads SIGINT and SIGTERM sent to the process or to the thread
/// that reads it. They must be blocked in every thread (see [`BlockGuard`]).
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

/// A signal set holding SIGINT and SIGTERM.
fn shutdown_set() -> libc::sigset_t {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `sigemptyset` initialises the set it is given, which points to writable storage.
    unsafe { libc::sigemptyset(set.as_mut_ptr()) };
    // SAFETY: `sigemptyset` initialised `set`.
    let mut set = unsafe { set.assume_init() };
    for signal in SHUTDOWN_SIGNALS {
        // SAFETY: `set` is initialised and `signal` is a valid signal number.
        unsafe { libc::sigaddset(&mut set, signal) };
    }
    set
}

/// Sends `signal` to thread `tid` of this process only, for tests of the signal path that must
/// not disturb the test harness's other threads.
#[cfg(test)]
pub(crate) fn send_to_thread(tid: rustix::thread::Pid, signal: libc::c_int) {
    // SAFETY: `tgkill` takes this process's id, one of its thread ids and a valid signal; it
    // touches no memory of ours.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            libc::getpid(),
            tid.as_raw_nonzero().get(),
            signal,
        )
    };
    assert_eq!(rc, 0, "tgkill: {}", io::Error::last_os_error());
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_directed_signal_is_read_from_the_signalfd() {
        std::thread::spawn(|| {
            let guard = BlockGuard::new().unwrap();
            let fd = SignalFd::new().unwrap();
            assert_eq!(fd.take().unwrap(), None);
            // Send SIGTERM to this thread only: other test threads do not block it.
            send_to_thread(rustix::thread::gettid(), libc::SIGTERM);
            assert_eq!(fd.take().unwrap(), Some(libc::SIGTERM));
            assert_eq!(fd.take().unwrap(), None);
            drop(guard);
        })
        .join()
        .unwrap();
    }
}
