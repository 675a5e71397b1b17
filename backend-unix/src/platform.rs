//! The traits a Unix backend implements so the shared runtime can drive it: [`Platform`] names
//! a [`Poller`] (one worker's readiness source) and a [`Control`] (the waiting for a shutdown
//! signal); [`Wake`] ends a poller's wait from another thread.
//!
//! This module holds no logic. Everything a backend does not implement here (threads, sockets,
//! the worker loop, options) is shared.

use std::fmt::Debug;
use std::io;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use aurora_core::server::io::Reactor;

use crate::socket::{Listener, TcpSocket};

/// One operating system's glue: its readiness API and its shutdown signals.
pub trait Platform: 'static {
    /// One worker's readiness source.
    type Poller: Poller;
    /// What waits for SIGINT or SIGTERM in [`Running::run_until_signal`](crate::Running::run_until_signal).
    type Control: Control;

    /// The NUMA node of `cpu`, where the system reports one.
    fn numa_node(cpu: usize) -> Option<usize> {
        let _ = cpu;
        None
    }
}

/// A worker's readiness source: the core's [`Reactor`] over [`TcpSocket`]s, plus the blocking
/// wait the worker's loop calls between the driver's turns.
///
/// Implementations register every source edge-triggered and report a wake-up through
/// [`Poller::wake_handle`] as no event at all (the wait just ends).
pub trait Poller: Reactor<Socket = TcpSocket> + Debug + Sized + 'static {
    /// Ends a [`wait`](Self::wait) from another thread.
    type WakeHandle: Wake;

    /// A poller reporting `listener` (if any) as the listener token, accepting.
    ///
    /// # Errors
    ///
    /// The OS error of creating the readiness source or registering the listener.
    fn with_listener(listener: Option<Listener>) -> io::Result<Self>;

    /// Blocks until a source is ready, `timeout` has passed (`None`: no limit), the poller is
    /// woken, or a signal interrupts the wait. The events found replace any not yet taken.
    ///
    /// # Errors
    ///
    /// The OS error of the wait (never `EINTR`).
    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()>;

    /// A handle that wakes this poller's [`wait`](Self::wait) from another thread.
    fn wake_handle(&self) -> Self::WakeHandle;

    /// Whether a wake-up arrived among the events taken so far, clearing the flag.
    fn take_wake(&mut self) -> bool;

    /// The listener, if the poller has one.
    fn listener(&self) -> Option<&Listener>;

    /// Stops watching the listener and closes this poller's descriptor of it, for good: a
    /// draining worker takes no new connection. A socket of the worker's own closes, so new
    /// connections go to the listeners still open and are refused once none is; those waiting
    /// in its backlog are reset. An inherited socket lives on in its other descriptors (the
    /// service manager's, the next process's), where connections keep waiting to be accepted.
    fn close_listener(&mut self);
}

/// Ends a blocked wait from any thread.
pub trait Wake: Debug + Send + Sync + 'static {
    /// Ends the current or next wait of what this wakes.
    fn wake(&self);
}

/// Waits, on the thread that runs the server, for a shutdown signal or a wake-up.
pub trait Control: Wake {
    /// A control with no wake-up pending.
    ///
    /// # Errors
    ///
    /// The OS error of creating its descriptor.
    fn new() -> io::Result<Self>
    where
        Self: Sized;

    /// Arranges for SIGINT and SIGTERM to reach this control rather than end the process, then
    /// blocks until one of them arrives, [`wake`](Wake::wake) is called, or `stopping` is set
    /// when a wait ends. Returns at once if `stopping` is already set.
    ///
    /// # Errors
    ///
    /// Failing to set up or wait on the signal source.
    fn wait_for_signal(&self, stopping: &AtomicBool) -> io::Result<()>;
}
