//! # aurora-core
//!
//! The part of Aurora that every backend shares: an HTTP/1.1 server core that is `no_std`, never
//! allocates, never calls the operating system and never reads a clock. Bytes, readiness and the
//! current time are handed in by a backend; decisions come out. The same code runs on a Linux
//! server, a BSD laptop and a Cortex-M microcontroller.
//!
//! ## A tour, top-down
//!
//! - [`config`]: [`ServerConfig`](config::ServerConfig), the validated schema every backend loads
//!   into. An invalid configuration is a typed [`ConfigError`](config::ConfigError) and never
//!   starts a server.
//! - [`conn`]: the connection engine, one HTTP/1.1 connection as a sans-IO state machine
//!   ([`Connection`](conn::Connection)) that reads requests into pooled buffers, calls the
//!   application's [`Handler`](conn::Handler) and queues responses, with keep-alive,
//!   pipelining, `100 Continue` and deadlines.
//! - [`http`]: the wire format. [`http::request`] parses a request head zero-copy over the
//!   caller's buffer and decides its framing strictly (RFC 9112, no request smuggling);
//!   [`http::chunked`] decodes chunked bodies incrementally; [`http::response`] encodes status
//!   lines, headers and bodies into a caller's buffer; [`http::date`] keeps the `Date` header
//!   (sent only with the feature `wall-clock`, when the backend has a clock to set).
//! - [`mem`]: memory the caller hands in, carved up without a heap:
//!   [`BufferPool`](mem::buffer_pool::BufferPool) with size classes,
//!   [`ObjectPool`](mem::object_pool::ObjectPool) for fixed slots and
//!   [`Arena`](mem::arena::Arena) for per-request scratch with a fallback heap.
//! - [`time`]: the core's own [`Instant`](time::Instant) and [`Duration`](time::Duration) and a
//!   fixed-capacity [`TimerWheel`](time::wheel::TimerWheel). The core never reads a clock; the
//!   backend passes `now` into every call.
//! - [`metrics`]: counters, gauges and histograms on atomics, sharded per worker, rendered in the
//!   Prometheus text format.
//! - [`hello`]: the demo application every backend serves (greeting, echo, `/metrics`).
//! - Logging: `trace!` to `error!` macros that route to `defmt` (feature `defmt`), to `log`
//!   (feature `log`) or to nothing.
//!
//! ## What this crate must never do
//!
//! Allocate (there is no `alloc` crate here), block, call the OS, read a clock, or panic on
//! bytes a peer sent. Unsafe code lives in exactly one fenced module, the arena's private `raw` module
//! (its bump region and its fallback heap).
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

#[cfg(test)]
extern crate std;

#[macro_use]
mod fmt;

pub mod config;
pub mod conn;
pub mod http;
pub mod mem;
pub mod metrics;
pub mod server;
pub mod time;
