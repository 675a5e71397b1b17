//! [`SignalControl`]: the Linux [`Control`], which waits for SIGINT and SIGTERM on a signalfd
//! and is woken through an eventfd.
//!
//! This module owns the waiting thread's side of a shutdown: blocking the signals for good in
//! that thread and polling the signalfd beside the eventfd. It never stops a worker itself; the
//! shared runtime does that once the wait returns.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use aurora_unix::sys::signal::BlockGuard;
use aurora_unix::{Control, Wake};
use rustix::event::{PollFd, PollFlags};

use crate::sys::signal::SignalFd;
use crate::sys::waker::Waker;

/// Waits for a shutdown signal on a signalfd, or for a wake-up on its eventfd.
#[derive(Debug)]
pub struct SignalControl {
    waker: Waker,
}

impl Wake for SignalControl {
    fn wake(&self) {
        self.waker.wake();
    }
}

impl Control for SignalControl {
    fn new() -> io::Result<Self> {
        Ok(SignalControl {
            waker: Waker::new()?,
        })
    }

    fn wait_for_signal(&self, stopping: &AtomicBool) -> io::Result<()> {
        BlockGuard::new()?.forever();
        let signals = SignalFd::new()?;
        loop {
            if stopping.load(Ordering::Acquire) {
                return Ok(());
            }
            let mut fds = [
                PollFd::new(&signals, PollFlags::IN),
                PollFd::new(&self.waker, PollFlags::IN),
            ];
            match rustix::event::poll(&mut fds, None) {
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
            if let Some(signal) = signals.take()? {
                log::info!("aurora: signal {signal} received, stopping gracefully");
                return Ok(());
            }
            if self.waker.reset() {
                // A stop, or a worker that ended: either way the server stops.
                return Ok(());
            }
        }
    }
}
