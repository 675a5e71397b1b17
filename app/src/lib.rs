//! Aurora's application layer: what turns a [`Handler`](aurora_core::conn::Handler) from a
//! hand-written `match` on the request into routes, typed inputs and typed answers, without
//! allocation and on every backend unchanged.
//!
//! - [`router`]: a route table fixed at compile time — method + path pattern with typed
//!   parameters, nested prefixes, and the `404`, `405`/`Allow`, `HEAD` and `OPTIONS` answers
//!   it implies.
//! - [`extract`]: the request's inputs as types — query parameters and form fields
//!   percent-decoded into the caller's memory, UTF-8 text, JSON into the application's
//!   `serde::Deserialize` type — each refusing bad input with a [`Rejection`].
//! - [`response`]: answers as types — JSON from any `serde::Serialize`, written by a body
//!   producer straight into the connection's output space — and common header values.
//! - [`assets`]: static assets embedded at compile time, tagged by a `const fn`, served from
//!   static memory with `304`, gzip variants and byte ranges.
//! - [`middleware`]: layers around a handler, nested without allocation — a bearer-token
//!   check, CORS preflights, an access log with latency.
//! - [`sse`]: Server-Sent Events — an event's fields and keep-alive comments written into the
//!   output space, and the ticker that paces a periodic stream with `Fill::Until`.
//!
//! The layer sits on top of `aurora-core`'s application contract and reaches nothing below
//! it; it never reads a clock (time comes in as `now`), never allocates and never panics on
//! anything a peer sends.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod assets;
pub mod extract;
pub mod middleware;
pub mod response;
pub mod router;
pub mod sse;

mod digits;
mod rejection;

pub use rejection::Rejection;
