//! The server: many connections driven through one backend.
//!
//! - [`io`]: the [`Reactor`](io::Reactor) and [`Socket`](io::Socket) traits a backend
//!   implements, with the readiness rules every backend and the driver keep.

pub mod io;
