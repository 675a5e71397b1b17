//! Aurora's example applications, written on the application contract of
//! [`aurora_core::conn`] and shared by every place that serves them: the `hello` example on
//! Linux and the BSDs, the firmware images, and the tests.
//!
//! - [`hello`]: the demo every backend serves — a greeting, an echo, `OPTIONS`, and the
//!   server's own metrics, streamed.
//! - [`device`]: a device dashboard on [`aurora_app`] — an embedded page, a JSON API for the
//!   status and the settings, a live feed of Server-Sent Events, and the metrics.
//!
//! Like the core, this crate is `no_std` and never allocates; it is an example, not a
//! library: it is never published.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod device;
pub mod hello;
