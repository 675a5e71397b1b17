//! The server: many connections driven through one backend.
//!
//! - [`io`]: the [`Reactor`](io::Reactor) and [`Socket`](io::Socket) traits a backend
//!   implements, with the readiness rules every backend and the driver keep.
//! - [`driver`]: the [`Server`] that drives every connection of one worker through them.
//! - [`tables`]: the connection and timer tables a server borrows, sized by its caller.

pub mod driver;
pub mod io;
pub mod tables;

pub use driver::{
    PARSE_ERROR_KINDS, PARSE_ERROR_LABELS, RECLAIM_AGE, SILENT_RECLAIM_AGE, Server, ServerMetrics,
    WHEEL_SLOTS,
};
pub use tables::Tables;
