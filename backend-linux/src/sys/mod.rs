//! The Linux calls the backend makes that are not plain socket I/O: the epoll instance, the
//! eventfd that wakes a loop, the signalfd of the shutdown signals and the NUMA topology.
//!
//! This is the only module of the crate allowed to contain `unsafe`, and every block says why it
//! is sound in a `// SAFETY:` comment. Most calls go through rustix, whose API is safe; only the
//! signalfd uses `libc` directly. Nothing here knows about HTTP or the driver.

pub(crate) mod numa;
pub(crate) mod poller;
pub(crate) mod signal;
pub(crate) mod waker;
