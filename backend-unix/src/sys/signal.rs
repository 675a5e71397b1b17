//! SIGINT and SIGTERM: blocking them in threads.
//!
//! A signal a process wants to handle synchronously must be blocked in every thread, or the
//! kernel may deliver it to one that does not block it, where its default action ends the
//! process. Worker threads are spawned under [`BlockGuard`], so they start with both signals
//! blocked; the thread that waits blocks them for good and takes them from the backend's own
//! source (a signalfd on Linux, `EVFILT_SIGNAL` on the BSDs).

use std::io;
use std::mem::MaybeUninit;

/// The signals that ask for a graceful shutdown.
pub const SHUTDOWN_SIGNALS: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];

/// While alive, the calling thread has SIGINT and SIGTERM blocked (threads spawned meanwhile
/// inherit that); dropping it restores the thread's previous mask.
#[derive(Debug)]
pub struct BlockGuard {
    previous: libc::sigset_t,
}

impl BlockGuard {
    /// Blocks SIGINT and SIGTERM in the calling thread until the guard is dropped.
    ///
    /// # Errors
    ///
    /// The error `pthread_sigmask` returned.
    pub fn new() -> io::Result<Self> {
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
    /// on the backend's signal source).
    pub fn forever(self) {
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

/// A signal set holding SIGINT and SIGTERM.
pub fn shutdown_set() -> libc::sigset_t {
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
///
/// # Panics
///
/// If `tgkill` fails.
#[cfg(all(feature = "testkit", target_os = "linux"))]
pub fn send_to_thread(tid: rustix::thread::Pid, signal: libc::c_int) {
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
