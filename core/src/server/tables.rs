//! [`Tables`]: the per-connection tables a worker's [`Server`](super::Server) borrows.
//!
//! A server keeps one entry per connection slot ([`ConnEntry`]) and one per armed timer
//! ([`TimerEntry`]), each in a [`Table`] the caller owns. Their capacity is the most
//! connections the worker holds at once: size them by the worker's share of
//! `max_connections`. The server writes entry `i` only when it first needs `i` slots (or
//! timers) at once, so a table that grows on [`push`](Table::push) — a vector with reserved
//! capacity in a std backend — costs memory as connections arrive, not as configured, and is
//! [`truncate`](Table::truncate)d again a second after a burst closes. Arrays written whole
//! (`[const { ConnEntry::EMPTY }; N]`) suit firmware.
//!
//! # Examples
//!
//! ```
//! use aurora_core::conn::{RequestBody, Responder};
//! use aurora_core::http::request::Request;
//! use aurora_core::server::tables::{ConnEntry, Tables, TimerEntry};
//!
//! // `()` stands in for a backend's socket type; the application is a plain function.
//! type App = fn(&Request<'_>, RequestBody<'_>, &mut Responder<'_>);
//! let mut conns = [const { ConnEntry::<(), App>::EMPTY }; 4];
//! let mut timers = [const { TimerEntry::EMPTY }; 4];
//! let tables = Tables::new(&mut conns, &mut timers);
//! assert_eq!(tables.capacity(), 4);
//! ```

use crate::conn::Handler;
use crate::mem::object_pool::{self, ObjectHandle};
use crate::mem::table::Table;
use crate::time::wheel;

use super::driver::Slot;

/// One connection slot of a [`Server`](super::Server) with socket `S` and application `H`: its
/// socket, connection and timer.
pub type ConnEntry<S, H> = object_pool::Entry<Slot<S, H>>;

/// One timer of a [`Server`](super::Server).
pub type TimerEntry = wheel::Entry<ObjectHandle>;

/// The connection and timer tables of one worker, borrowed for the server's life.
pub struct Tables<'m, S, H: Handler> {
    pub(crate) conns: &'m mut dyn Table<ConnEntry<S, H>>,
    pub(crate) timers: &'m mut dyn Table<TimerEntry>,
}

impl<'m, S, H: Handler> Tables<'m, S, H> {
    /// Tables over `conns` and `timers`; the server holds as many connections as the
    /// smaller capacity of the two. Nothing is written into them here.
    pub fn new(
        conns: &'m mut dyn Table<ConnEntry<S, H>>,
        timers: &'m mut dyn Table<TimerEntry>,
    ) -> Self {
        Tables { conns, timers }
    }

    /// How many connections the tables hold.
    pub fn capacity(&self) -> usize {
        self.conns.capacity().min(self.timers.capacity())
    }
}

impl<S, H: Handler> core::fmt::Debug for Tables<'_, S, H> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Tables")
            .field("conns", &self.conns.capacity())
            .field("timers", &self.timers.capacity())
            .finish()
    }
}
