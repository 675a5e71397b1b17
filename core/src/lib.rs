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
//! - [`server`]: the driver every backend runs: connection slots, the timer wheel, connection
//!   limits, graceful shutdown, over the backend's [`Reactor`](server::io::Reactor) and
//!   [`Socket`](server::io::Socket).
//! - [`conn`]: the connection engine, one HTTP/1.1 connection as a sans-IO state machine
//!   ([`Connection`](conn::Connection)) with keep-alive, pipelining, `100 Continue` and
//!   deadlines, and the application's contract: a [`Handler`](conn::Handler) called once per
//!   request, a [`Producer`](conn::Producer) the connection pulls a response body from as
//!   output space frees, a [`Consumer`](conn::Consumer) for a request body too large to hand
//!   over whole.
//! - [`ws`]: WebSockets (RFC 6455), sans-IO: the opening handshake's checks and
//!   `Sec-WebSocket-Accept`, and the frame codec (masking, fragments, UTF-8 across fragments,
//!   close codes). A route upgrades with [`Responder::upgrade`](conn::Responder::upgrade) and
//!   the connection then carries frames to the application's
//!   [`WebSocket`](conn::WebSocket).
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
//! - Logging: `trace!` to `error!` macros that route to `defmt` (feature `defmt`), to `log`
//!   (feature `log`) or to nothing.
//!
//! ## An application
//!
//! A handler answers each request once, with a head and a body source. Here `/count` answers
//! with a body a producer writes straight into the connection's output space, a piece each
//! time it frees, so the body may be larger than any buffer; everything else gets a greeting.
//!
//! ```
//! use aurora_core::conn::{Fill, Handler, Never, Producer, RequestBody, Responder};
//! use aurora_core::http::Status;
//! use aurora_core::http::request::Request;
//! use aurora_core::time::Instant;
//!
//! /// The application: how many `/count` bodies it has completed.
//! struct App {
//!     completed: u32,
//! }
//!
//! /// A body of the lines `0\n` to `999\n`: the next number to write.
//! struct Count(u32);
//!
//! impl Producer<App> for Count {
//!     fn poll_fill(&mut self, _app: &mut App, _now: Instant, out: &mut [u8]) -> Fill {
//!         if self.0 == 1000 {
//!             return Fill::Done;
//!         }
//!         let mut line = [0u8; 4];
//!         let mut n = self.0;
//!         let mut len = 0;
//!         loop {
//!             line[len] = b'0' + (n % 10) as u8;
//!             len += 1;
//!             n /= 10;
//!             if n == 0 {
//!                 break;
//!             }
//!         }
//!         line[..len].reverse();
//!         line[len] = b'\n';
//!         let Some(dst) = out.get_mut(..len + 1) else {
//!             return Fill::Filled(0); // no room for a whole line: wait for more space
//!         };
//!         dst.copy_from_slice(&line[..len + 1]);
//!         self.0 += 1;
//!         Fill::Filled(len + 1)
//!     }
//!
//!     fn end(&mut self, app: &mut App, how: aurora_core::conn::End) {
//!         if how == aurora_core::conn::End::Completed {
//!             app.completed += 1;
//!         }
//!     }
//! }
//!
//! impl Handler for App {
//!     type State = App;
//!     type Body = Count;
//!     type Consumer = Never;
//!
//!     fn state(&mut self) -> &mut App {
//!         self
//!     }
//!
//!     fn handle(&mut self, req: &Request<'_>, _: RequestBody<'_>, res: &mut Responder<'_, Count>) {
//!         let _ = match req.path() {
//!             "/count" => res.stream(Status::OK, &[("Content-Type", b"text/plain")], Count(0)),
//!             _ => res.send(Status::OK, &[], b"Hello!"),
//!         };
//!     }
//! }
//! # let _ = App { completed: 0 };
//! ```
//!
//! A closure `|req, body, res| ...` is a handler too, for applications that stream nothing.
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
pub mod ws;
