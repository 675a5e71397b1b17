//! What a server records as it works: the [`Recorder`] the driver reports its events to, and
//! [`NoMetrics`], which records nothing.
//!
//! This module only names the events; where they are counted is the implementor's business
//! ([`WorkerMetrics`](super::WorkerMetrics) keeps the runtime's set). A server given
//! [`NoMetrics`] links no counter and no renderer: every call is an empty default method.

use crate::http::Status;
use crate::time::Duration;

/// Receives a server's events, one method each; every method does nothing unless overridden.
pub trait Recorder {
    /// A response with `status` went out.
    fn response(&self, status: Status) {
        let _ = status;
    }

    /// A request took `elapsed` from its first byte to its last response byte.
    fn request_duration(&self, elapsed: Duration) {
        let _ = elapsed;
    }

    /// A connection was accepted.
    fn connection_accepted(&self) {}

    /// A connection was refused at the connection limit or under overload.
    fn connection_rejected(&self) {}

    /// An accepted connection closed.
    fn connection_closed(&self) {}

    /// `in_use` buffers of size class `class` are taken from the pool.
    fn set_buffers_in_use(&self, class: usize, in_use: u32) {
        let _ = (class, in_use);
    }

    /// A request's arena ran out and allocated from the fallback heap.
    fn arena_fallback(&self) {}

    /// A request failed to parse with parse error kind `kind`.
    fn parse_error(&self, kind: usize) {
        let _ = kind;
    }
}

/// A [`Recorder`] that records nothing: for a server that serves no metrics (a small
/// firmware), whose counters then cost no code and no memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoMetrics;

impl Recorder for NoMetrics {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::RuntimeMetrics;

    #[test]
    fn worker_metrics_record_through_the_trait() {
        fn record(r: &impl Recorder) {
            r.connection_accepted();
            r.response(Status::OK);
            r.parse_error(0);
        }
        let metrics: RuntimeMetrics<1, 1> = RuntimeMetrics::new();
        record(metrics.worker(0));
        assert_eq!(metrics.connections_open(), 1);
        record(&NoMetrics);
        assert_eq!(metrics.connections_open(), 1);
    }
}
