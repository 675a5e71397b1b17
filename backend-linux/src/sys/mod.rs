//! The operating system calls the backend makes that are not plain socket I/O: the epoll
//! instance, the eventfd that wakes a loop, the shutdown signals, CPU affinity and the NUMA
//! topology.
//!
//! This is the only module of the crate allowed to contain `unsafe`, and every block says why it
//! is sound in a `// SAFETY:` comment. Most calls go through rustix, whose API is safe; only the
//! signal mask and the signalfd use `libc` directly. Nothing here knows about HTTP or the
//! driver.

pub(crate) mod cpu;
pub(crate) mod poller;
pub(crate) mod signal;
pub(crate) mod waker;
