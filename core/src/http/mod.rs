//! HTTP/1.1 on the wire (RFC 9112): parsing requests, framing bodies, encoding responses.
//!
//! This layer owns the bytes of a message and nothing else: it does not know about sockets,
//! connections or timers. Every function works on a caller's buffer and returns either a view
//! into it, a number of bytes consumed or written, or a typed error that maps to the HTTP status
//! a server answers with.
//!
//! - [`request`]: the request head, zero-copy, and the strict body-length decision.
//! - [`method`], [`target`], [`header`]: the pieces of a request head; [`bytes`]: the byte
//!   classes and spans they share.
//! - [`chunked`]: the incremental chunked-body decoder.
//! - [`response`]: the response encoder, with a chunked encoder for streamed bodies.
//! - [`date`]: the `Date` header's IMF-fixdate, cached per second.
//! - [`status`]: status codes and reason phrases.
//! - [`limits`]: the size limits every parser enforces.

pub mod bytes;
pub mod chunked;
pub mod date;
pub mod header;
pub mod limits;
pub mod method;
pub mod request;
pub mod response;
pub mod status;
pub mod target;

pub use limits::Limits;
pub use status::Status;
