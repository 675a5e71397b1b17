//! [`RuntimeMetrics`]: the metric set the Aurora runtime itself keeps, sharded per worker.
//!
//! Every name starts with `aurora_`. A worker records into its own [`WorkerMetrics`] shard
//! through [`RuntimeMetrics::worker`]; a scrape renders the sums. Parse errors are counted by a
//! small integer kind the caller maps from its own error enum, and named at render time.

use super::cell::Cell64;
use super::instruments::{Counter, Histogram, HistogramSnapshot, ShardInit, Sharded};
use super::recorder::Recorder;
use super::render::{MetricKind, RenderError, Renderer};
use crate::http::Status;
use crate::mem::SIZE_CLASSES;
use crate::time::Duration;

/// Upper bounds of the request-duration histogram, in microseconds: 100 µs to 1 s.
pub const REQUEST_DURATION_BOUNDS_US: [u64; 13] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000,
];

/// The `class` label values of `aurora_requests_total`, indexed by status class minus one.
const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// The `class` label values of `aurora_buffers_in_use`: [`SIZE_CLASSES`] in decimal.
const SIZE_CLASS_LABELS: [&str; SIZE_CLASSES.len()] = ["1024", "4096", "16384", "65536", "262144"];

/// Index of the first `aurora_requests_total` cell (class `1xx`) in [`WorkerMetrics`].
const REQUESTS: usize = 0;
/// Index of the `aurora_connections_accepted_total` cell.
const ACCEPTED: usize = REQUESTS + STATUS_CLASSES.len();
/// Index of the `aurora_connections_rejected_total` cell.
const REJECTED: usize = ACCEPTED + 1;
/// Index of the `aurora_connections_closed_total` cell.
const CLOSED: usize = REJECTED + 1;
/// Index of the `aurora_connections_open` cell.
const OPEN: usize = CLOSED + 1;
/// Index of the first `aurora_buffers_in_use` cell (size class 0).
const BUFFERS: usize = OPEN + 1;
/// Index of the `aurora_arena_fallbacks_total` cell.
const FALLBACKS: usize = BUFFERS + SIZE_CLASSES.len();
/// The cells of a [`WorkerMetrics`] besides its histogram and parse errors.
const CELLS: usize = FALLBACKS + 1;

/// A family of [`RuntimeMetrics`] rendered from consecutive cells of each worker: one sample
/// per cell, labelled `label="values[i]"` (no label when `label` is empty).
struct Spec<'l> {
    name: &'static str,
    help: &'static str,
    kind: MetricKind,
    label: &'static str,
    values: &'l [&'l str],
    /// The cell of the first value; a parse error kind `k` is cell `CELLS + k`.
    first: usize,
}

/// The families rendered before the histogram, in order: one table walked by one loop rather
/// than a call per family.
const FAMILIES: [Spec<'static>; 7] = [
    Spec {
        name: "aurora_requests_total",
        help: "HTTP responses sent, by status class.",
        kind: MetricKind::Counter,
        label: "class",
        values: &STATUS_CLASSES,
        first: REQUESTS,
    },
    Spec {
        name: "aurora_connections_accepted_total",
        help: "Connections accepted.",
        kind: MetricKind::Counter,
        label: "",
        values: &[""],
        first: ACCEPTED,
    },
    Spec {
        name: "aurora_connections_rejected_total",
        help: "Connections refused at the connection limit or under overload.",
        kind: MetricKind::Counter,
        label: "",
        values: &[""],
        first: REJECTED,
    },
    Spec {
        name: "aurora_connections_closed_total",
        help: "Accepted connections that have closed.",
        kind: MetricKind::Counter,
        label: "",
        values: &[""],
        first: CLOSED,
    },
    Spec {
        name: "aurora_connections_open",
        help: "Connections open now.",
        kind: MetricKind::Gauge,
        label: "",
        values: &[""],
        first: OPEN,
    },
    Spec {
        name: "aurora_buffers_in_use",
        help: "Pool buffers in use, by size class in bytes.",
        kind: MetricKind::Gauge,
        label: "class",
        values: &SIZE_CLASS_LABELS,
        first: BUFFERS,
    },
    Spec {
        name: "aurora_arena_fallbacks_total",
        help: "Request arena allocations served by the fallback heap.",
        kind: MetricKind::Counter,
        label: "",
        values: &[""],
        first: FALLBACKS,
    },
];

/// One worker's share of the [`RuntimeMetrics`]. Every method is a relaxed atomic update and
/// never panics; out-of-range indices are ignored.
#[derive(Debug)]
pub struct WorkerMetrics<const PARSE_ERROR_KINDS: usize> {
    /// The counters and gauges, at the indices [`REQUESTS`] to [`FALLBACKS`]; gauges are
    /// wrapping two's-complement sums, as in [`Gauge`].
    cells: [Cell64; CELLS],
    request_duration: Histogram<13>,
    parse_errors: [Counter; PARSE_ERROR_KINDS],
}

impl<const PARSE_ERROR_KINDS: usize> WorkerMetrics<PARSE_ERROR_KINDS> {
    /// A response with `status` went out. Statuses of class 6 to 9 are not counted.
    pub fn response(&self, status: Status) {
        let class = usize::from(status.class());
        if (1..=STATUS_CLASSES.len()).contains(&class) {
            self.add(REQUESTS + class - 1, 1);
        }
    }

    /// A request took `elapsed` from its first byte to its last response byte.
    pub fn request_duration(&self, elapsed: Duration) {
        self.request_duration.observe(elapsed.as_micros());
    }

    /// A connection was accepted (and is now open).
    pub fn connection_accepted(&self) {
        self.add(ACCEPTED, 1);
        self.add(OPEN, 1);
    }

    /// A connection was refused at the connection limit or under overload; it never opened.
    pub fn connection_rejected(&self) {
        self.add(REJECTED, 1);
    }

    /// An accepted connection closed.
    pub fn connection_closed(&self) {
        self.add(CLOSED, 1);
        self.add(OPEN, u64::MAX);
    }

    /// A buffer of size class `class` (an index into [`SIZE_CLASSES`]) was taken from the pool.
    pub fn buffer_acquired(&self, class: usize) {
        if class < SIZE_CLASSES.len() {
            self.add(BUFFERS + class, 1);
        }
    }

    /// A buffer of size class `class` went back to the pool.
    pub fn buffer_released(&self, class: usize) {
        if class < SIZE_CLASSES.len() {
            self.add(BUFFERS + class, u64::MAX);
        }
    }

    /// Sets this worker's count of buffers in use in size class `class`, for a pool that
    /// reports its level rather than each acquire and release.
    pub fn set_buffers_in_use(&self, class: usize, in_use: u32) {
        if class < SIZE_CLASSES.len()
            && let Some(cell) = self.cells.get(BUFFERS + class)
        {
            cell.store(u64::from(in_use));
        }
    }

    /// A request's arena ran out and allocated from the fallback heap.
    pub fn arena_fallback(&self) {
        self.add(FALLBACKS, 1);
    }

    /// A request head or body failed to parse with error kind `kind`, below
    /// `PARSE_ERROR_KINDS`; larger kinds are ignored.
    pub fn parse_error(&self, kind: usize) {
        if let Some(counter) = self.parse_errors.get(kind) {
            counter.inc();
        }
    }

    /// Adds `n` (wrapping; `u64::MAX` subtracts one) to cell `index`.
    fn add(&self, index: usize, n: u64) {
        if let Some(cell) = self.cells.get(index) {
            cell.add(n);
        }
    }

    /// The value of cell `index`, where the parse error counters follow the [`CELLS`] cells;
    /// 0 past the end.
    fn cell(&self, index: usize) -> u64 {
        match index.checked_sub(CELLS) {
            None => self.cells.get(index).map_or(0, Cell64::load),
            Some(kind) => self.parse_errors.get(kind).map_or(0, Counter::value),
        }
    }
}

impl<const PARSE_ERROR_KINDS: usize> Recorder for WorkerMetrics<PARSE_ERROR_KINDS> {
    fn response(&self, status: Status) {
        WorkerMetrics::response(self, status);
    }

    fn request_duration(&self, elapsed: Duration) {
        WorkerMetrics::request_duration(self, elapsed);
    }

    fn connection_accepted(&self) {
        WorkerMetrics::connection_accepted(self);
    }

    fn connection_rejected(&self) {
        WorkerMetrics::connection_rejected(self);
    }

    fn connection_closed(&self) {
        WorkerMetrics::connection_closed(self);
    }

    fn set_buffers_in_use(&self, class: usize, in_use: u32) {
        WorkerMetrics::set_buffers_in_use(self, class, in_use);
    }

    fn arena_fallback(&self) {
        WorkerMetrics::arena_fallback(self);
    }

    fn parse_error(&self, kind: usize) {
        WorkerMetrics::parse_error(self, kind);
    }
}

impl<const PARSE_ERROR_KINDS: usize> ShardInit for WorkerMetrics<PARSE_ERROR_KINDS> {
    const INIT: Self = Self {
        cells: [const { Cell64::new() }; CELLS],
        request_duration: Histogram::new(&REQUEST_DURATION_BOUNDS_US),
        parse_errors: ShardInit::INIT,
    };
}

/// The runtime's standard metrics for `WORKERS` workers, with `PARSE_ERROR_KINDS` parse error
/// kinds. Build it in a `static`:
///
/// ```
/// use aurora_core::metrics::RuntimeMetrics;
///
/// static METRICS: RuntimeMetrics<4, 2> = RuntimeMetrics::new();
///
/// METRICS.worker(0).connection_accepted();
/// METRICS.worker(3).parse_error(1);
/// let mut buf = [0u8; 8192];
/// let n = METRICS.render(&mut buf, &["bad_method", "bad_header"])?;
/// let text = core::str::from_utf8(&buf[..n]).unwrap();
/// assert!(text.contains("aurora_connections_open 1\n"));
/// assert!(text.contains("aurora_parse_errors_total{kind=\"bad_header\"} 1\n"));
/// # Ok::<(), aurora_core::metrics::RenderError>(())
/// ```
///
/// Families rendered, in this order: `aurora_requests_total{class="1xx".."5xx"}`,
/// `aurora_connections_accepted_total`, `aurora_connections_rejected_total`,
/// `aurora_connections_closed_total`, `aurora_connections_open`,
/// `aurora_buffers_in_use{class="1024".."262144"}`, `aurora_arena_fallbacks_total`,
/// `aurora_request_duration_seconds` (histogram, bounds in seconds) and
/// `aurora_parse_errors_total{kind="..."}` (left out when `PARSE_ERROR_KINDS` is 0). The full
/// set renders in under 4 KiB with short kind labels.
#[derive(Debug)]
pub struct RuntimeMetrics<const WORKERS: usize, const PARSE_ERROR_KINDS: usize> {
    shards: Sharded<WorkerMetrics<PARSE_ERROR_KINDS>, WORKERS>,
}

impl<const WORKERS: usize, const PARSE_ERROR_KINDS: usize>
    RuntimeMetrics<WORKERS, PARSE_ERROR_KINDS>
{
    /// All metrics at zero.
    ///
    /// # Panics
    ///
    /// At compile time if `WORKERS` is 0.
    pub const fn new() -> Self {
        Self {
            shards: Sharded::new(),
        }
    }

    /// The shard worker `worker` records into (taken modulo `WORKERS`).
    pub fn worker(&self, worker: usize) -> &WorkerMetrics<PARSE_ERROR_KINDS> {
        self.shards.shard(worker)
    }

    /// Connections open across all workers.
    pub fn connections_open(&self) -> i64 {
        self.sum(|w| w.cell(OPEN)) as i64
    }

    /// Renders every family into `buf` and returns the bytes written. `parse_error_labels[i]`
    /// is the `kind` label of parse error kind `i`.
    ///
    /// # Errors
    ///
    /// [`RenderError::BufferTooSmall`]; [`RenderError::InvalidName`] cannot happen.
    pub fn render(
        &self,
        buf: &mut [u8],
        parse_error_labels: &[&str; PARSE_ERROR_KINDS],
    ) -> Result<usize, RenderError> {
        let mut r = Renderer::new(buf);
        self.render_into(&mut r, parse_error_labels)?;
        Ok(r.finish())
    }

    /// Renders every family into `r`, after whatever the caller wrote there and before what
    /// it writes next: how a server adds its own metrics to the same scrape.
    ///
    /// # Errors
    ///
    /// As [`render`](Self::render). What this call wrote before failing stays in `r`.
    pub fn render_into(
        &self,
        r: &mut Renderer<'_>,
        parse_error_labels: &[&str; PARSE_ERROR_KINDS],
    ) -> Result<(), RenderError> {
        for spec in &FAMILIES {
            self.render_family(r, spec)?;
        }
        let mut durations = HistogramSnapshot::empty(&REQUEST_DURATION_BOUNDS_US);
        self.shards
            .iter()
            .for_each(|w| durations.merge(&w.request_duration));
        r.histogram(
            "aurora_request_duration_seconds",
            "Time from a request's first byte to its last response byte.",
            &[],
            &durations,
            6,
        )?;
        if PARSE_ERROR_KINDS > 0 {
            self.render_family(
                r,
                &Spec {
                    name: "aurora_parse_errors_total",
                    help: "Requests rejected as malformed, by kind.",
                    kind: MetricKind::Counter,
                    label: "kind",
                    values: parse_error_labels,
                    first: CELLS,
                },
            )?;
        }
        Ok(())
    }

    /// Renders the family `spec` describes, one sample per value, from consecutive cells.
    fn render_family(&self, r: &mut Renderer<'_>, spec: &Spec<'_>) -> Result<(), RenderError> {
        r.family(spec.name, spec.help, spec.kind)?;
        for (i, value) in spec.values.iter().enumerate() {
            let label = [(spec.label, *value)];
            let labels = if spec.label.is_empty() {
                &[][..]
            } else {
                &label
            };
            let total = self.sum(|w| w.cell(spec.first + i));
            match spec.kind {
                MetricKind::Gauge => r.sample_i64(spec.name, labels, total as i64)?,
                _ => r.sample_u64(spec.name, labels, total)?,
            }
        }
        Ok(())
    }

    fn sum(&self, f: impl Fn(&WorkerMetrics<PARSE_ERROR_KINDS>) -> u64) -> u64 {
        self.shards.sum(f)
    }
}

impl<const WORKERS: usize, const PARSE_ERROR_KINDS: usize> Default
    for RuntimeMetrics<WORKERS, PARSE_ERROR_KINDS>
{
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_class_labels_match_size_classes() {
        for (label, size) in SIZE_CLASS_LABELS.iter().zip(SIZE_CLASSES) {
            assert_eq!(*label, std::format!("{size}"));
        }
    }

    #[test]
    fn out_of_range_indices_are_ignored() {
        let m: RuntimeMetrics<1, 1> = RuntimeMetrics::new();
        let w = m.worker(7);
        w.parse_error(1);
        w.buffer_acquired(5);
        w.set_buffers_in_use(usize::MAX, 3);
        w.response(Status::from_code(999).unwrap_or(Status::OK));
        let mut buf = [0u8; 4096];
        let n = m.render(&mut buf, &["x"]).unwrap_or(0);
        let text = core::str::from_utf8(&buf[..n]).unwrap_or("");
        assert!(text.contains("aurora_parse_errors_total{kind=\"x\"} 0\n"));
        assert!(!text.contains("} 1\n") && !text.contains("} 3\n"));
    }
}
