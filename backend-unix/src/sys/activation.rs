//! Taking ownership of the descriptors a service manager passed (systemd's socket activation,
//! `sd_listen_fds(3)`): they start at 3 and are open when the process starts.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

/// The first passed descriptor (`SD_LISTEN_FDS_START`).
pub const FIRST_FD: RawFd = 3;

/// Set once the passed descriptors have been taken, so no two owners ever hold one.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// Takes descriptors `3..3 + count`, which the service manager passed to this process (the
/// caller has checked `LISTEN_PID` and `LISTEN_FDS`). Only the first call in a process takes
/// them; later calls return `Ok(None)`.
///
/// # Errors
///
/// `InvalidInput` when `count` is too large or one of the descriptors is not open (it was
/// closed since the process started); none is taken then.
pub fn take(count: usize) -> io::Result<Option<Vec<OwnedFd>>> {
    let end = i32::try_from(count)
        .ok()
        .and_then(|n| FIRST_FD.checked_add(n))
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "LISTEN_FDS is too large"))?;
    if TAKEN.swap(true, Ordering::AcqRel) {
        return Ok(None);
    }
    for fd in FIRST_FD..end {
        // SAFETY: `fcntl(F_GETFD)` on any number only reads the descriptor table; it fails
        // with EBADF when `fd` is not open.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("LISTEN_FDS names descriptor {fd}, which is not open"),
            ));
        }
    }
    // SAFETY: each descriptor is open (checked above) and was passed to this process for it
    // to own (LISTEN_PID is this process, checked by the caller); `TAKEN` makes this the only
    // place that ever wraps them, so each has one owner.
    Ok(Some(
        (FIRST_FD..end)
            .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
            .collect(),
    ))
}
