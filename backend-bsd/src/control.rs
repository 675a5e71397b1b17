//! [`SignalControl`]: the kqueue [`Control`], which waits for SIGINT and SIGTERM through
//! `EVFILT_SIGNAL` and is woken through an `EVFILT_USER` event.
//!
//! This module owns the waiting thread's side of a shutdown: making the signals reach the
//! kqueue instead of ending the process (they are ignored: `EVFILT_SIGNAL` still records them),
//! then waiting. It never stops a worker itself; the shared runtime does that once the wait
//! returns.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use aurora_unix::{Control, Wake};

use crate::sys::{Change, Kqueue, Source, Trigger, route_shutdown_signals};

/// The identifier and udata of the wake-up's user event.
const WAKE_IDENT: usize = 0;
/// The udata of the signal filters.
const SIGNAL_DATA: usize = 1;

/// Waits for a shutdown signal or a wake-up on a kqueue of its own.
#[derive(Debug)]
pub struct SignalControl {
    /// Triggers the wake-up, and keeps the kqueue open until the wait.
    trigger: Trigger,
}

impl Wake for SignalControl {
    fn wake(&self) {
        self.trigger.fire(WAKE_IDENT);
    }
}

impl Control for SignalControl {
    fn new() -> io::Result<Self> {
        let kqueue = Kqueue::new(4)?;
        kqueue.apply(&[Change::AddUser {
            ident: WAKE_IDENT,
            udata: WAKE_IDENT,
        }])?;
        Ok(SignalControl {
            trigger: kqueue.trigger(),
        })
    }

    fn wait_for_signal(&self, stopping: &AtomicBool) -> io::Result<()> {
        route_shutdown_signals()?;
        let mut kqueue = self.trigger.kqueue(4);
        kqueue.apply(&[Change::ShutdownSignals { udata: SIGNAL_DATA }])?;
        loop {
            if stopping.load(Ordering::Acquire) {
                return Ok(());
            }
            kqueue.wait(None)?;
            while let Some(fired) = kqueue.next_event() {
                match fired.source {
                    Source::Signal => {
                        log::info!("aurora: shutdown signal received, stopping gracefully");
                        return Ok(());
                    }
                    // A stop, or a worker that ended: either way the server stops.
                    Source::User => return Ok(()),
                    Source::Socket(_) => {}
                }
            }
        }
    }
}
