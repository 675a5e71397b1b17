//! [`MetricsHandle`]: the runtime metrics of one server, shared by its workers and whoever
//! renders them.

use std::sync::Arc;

use aurora_core::metrics::{RenderError, Renderer, WorkerMetrics};
use aurora_core::server::{PARSE_ERROR_KINDS, PARSE_ERROR_LABELS, ServerMetrics};

/// The most workers with a metrics shard of their own; workers beyond it share shards
/// (counters stay exact, per-class buffer gauges become the last writer's).
pub const MAX_WORKERS: usize = 64;

/// The metrics type every worker records into.
type Metrics = ServerMetrics<MAX_WORKERS>;

/// A shared handle to one server's runtime metrics (`aurora_*`), cheap to clone.
#[derive(Clone, Debug)]
pub struct MetricsHandle {
    metrics: Arc<Metrics>,
}

impl MetricsHandle {
    /// All metrics at zero.
    pub fn new() -> Self {
        MetricsHandle {
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// Renders every metric in the Prometheus text format 0.0.4 into `buf` and returns the
    /// bytes written, or `None` if they do not fit.
    pub fn render(&self, buf: &mut [u8]) -> Option<usize> {
        self.metrics.render(buf, &PARSE_ERROR_LABELS).ok()
    }

    /// Renders every metric into `r`: [`render`](Self::render) for a renderer of one's own,
    /// such as the one a streamed `/metrics` renders each piece with.
    ///
    /// # Errors
    ///
    /// [`RenderError::BufferTooSmall`] when `r` runs out.
    pub fn render_into(&self, r: &mut Renderer<'_>) -> Result<(), RenderError> {
        self.metrics.render_into(r, &PARSE_ERROR_LABELS)
    }

    /// The shard worker `index` records into (shared beyond [`MAX_WORKERS`]).
    pub fn worker(&self, index: usize) -> &WorkerMetrics<PARSE_ERROR_KINDS> {
        self.metrics.worker(index)
    }

    /// Connections open across all workers.
    pub fn connections_open(&self) -> i64 {
        self.metrics.connections_open()
    }
}

impl Default for MetricsHandle {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn shards_add_up_and_render() {
        let handle = MetricsHandle::new();
        let other = handle.clone();
        handle.worker(0).connection_accepted();
        other.worker(1).connection_accepted();
        handle.worker(MAX_WORKERS + 1).connection_closed();
        assert_eq!(handle.connections_open(), 1);
        let mut buf = [0u8; 8192];
        let n = handle.render(&mut buf).unwrap();
        let text = std::str::from_utf8(&buf[..n]).unwrap();
        assert!(
            text.contains("aurora_connections_accepted_total 2\n"),
            "{text}"
        );
        assert!(text.contains("aurora_connections_open 1\n"), "{text}");
        assert_eq!(handle.render(&mut [0u8; 16]), None);
    }
}
