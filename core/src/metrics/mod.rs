//! Metrics: counters, gauges and histograms on atomics, sharded per worker, rendered in the
//! Prometheus text format.
//!
//! This module owns the numbers a server keeps about itself and their text rendering. It never
//! allocates, never blocks (beyond a critical section on targets without 64-bit atomics) and
//! never panics on an update; it does not know how a scrape arrives.
//!
//! - [`Counter`], [`Gauge`], [`Histogram`]: instruments with `const` constructors, usable from
//!   `static`s on every target, including `thumbv6m` (no compare-and-swap) and `thumbv7em` (no
//!   64-bit atomics), where updates run in a `critical_section`.
//! - [`Sharded`]: one cache-line-aligned copy of a metric (or a struct of them, see
//!   [`ShardInit`]) per worker; each worker writes its own, a scrape sums them.
//! - [`Renderer`]: writes families in the Prometheus text exposition format 0.0.4 into a
//!   caller's buffer, for the runtime's metrics and a server's own alike.
//! - [`RuntimeMetrics`]: the runtime's standard set, `aurora_*`.
//! - [`Recorder`]: the events a server reports; [`NoMetrics`] records none.
//!
//! # Examples
//!
//! A metric set of a server's own, next to the runtime's:
//!
//! ```
//! use aurora_core::metrics::{
//!     Counter, Histogram, HistogramSnapshot, Renderer, RuntimeMetrics, ShardInit, Sharded,
//! };
//!
//! static SIZES: [u64; 3] = [1_024, 65_536, 1_048_576];
//!
//! struct Uploads {
//!     count: Counter,
//!     bytes: Histogram<3>,
//! }
//!
//! impl ShardInit for Uploads {
//!     const INIT: Self = Self { count: Counter::new(), bytes: Histogram::new(&SIZES) };
//! }
//!
//! static UPLOADS: Sharded<Uploads, 2> = Sharded::new();
//! static RUNTIME: RuntimeMetrics<2, 0> = RuntimeMetrics::new();
//!
//! UPLOADS.shard(1).count.inc();
//! UPLOADS.shard(1).bytes.observe(5_000);
//!
//! let mut buf = [0u8; 8192];
//! let mut r = Renderer::new(&mut buf);
//! RUNTIME.render_into(&mut r, &[])?;
//! r.counter("app_uploads_total", "Uploads received.", &[], UPLOADS.sum(|u| u.count.value()))?;
//! let mut bytes = HistogramSnapshot::empty(&SIZES);
//! UPLOADS.iter().for_each(|u| bytes.merge(&u.bytes));
//! r.histogram("app_upload_bytes", "Upload sizes.", &[], &bytes, 0)?;
//! let n = r.finish();
//! assert!(core::str::from_utf8(&buf[..n]).unwrap().ends_with("app_upload_bytes_count 1\n"));
//! # Ok::<(), aurora_core::metrics::RenderError>(())
//! ```

mod cell;
mod instruments;
mod recorder;
mod render;
mod runtime;

pub use instruments::{Counter, Gauge, Histogram, HistogramSnapshot, ShardInit, Sharded};
pub use recorder::{NoMetrics, Recorder};
pub use render::{MetricKind, RenderError, Renderer, is_label_name, is_metric_name};
pub use runtime::{REQUEST_DURATION_BOUNDS_US, RuntimeMetrics, WorkerMetrics};
