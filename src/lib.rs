//! # Aurora
//!
//! An HTTP/1.1 server runtime whose core is `no_std` and allocation-free. This facade crate is
//! what applications depend on: it re-exports [`aurora_core`] (parser, encoder, pools, arenas,
//! timers, metrics, configuration) as [`core`], and the backend of the platform it is built for:
//! `linux` (`aurora-linux`, epoll) on Linux, `bsd` (`aurora-bsd`, kqueue) on FreeBSD, DragonFly
//! and macOS. Both have the same API (`Options`, `start`, `Running`, ...), shared through
//! `aurora-unix`. The application layer (`aurora-app`: router, extractors, JSON answers) is
//! [`app`].
#![no_std]
#![forbid(unsafe_code)]

pub use aurora_app as app;
#[cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly"
))]
pub use aurora_bsd as bsd;
pub use aurora_core as core;
#[cfg(target_os = "linux")]
pub use aurora_linux as linux;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
