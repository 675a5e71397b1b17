//! The portable OS calls the backends make that are not socket I/O: the signal mask of the
//! shutdown signals, CPU affinity, the descriptors socket activation passes and giving a
//! table's unused pages back.
//!
//! This is the only module of the crate allowed to contain `unsafe`, and every block says why it
//! is sound in a `// SAFETY:` comment. CPU affinity goes through rustix, whose API is safe; only
//! the signal mask, the passed descriptors and `madvise` use `libc` directly. Nothing here knows about
//! HTTP or the driver.

pub mod activation;
pub mod cpu;
pub mod pages;
pub mod signal;
