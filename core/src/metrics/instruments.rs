//! The instruments: [`Counter`], [`Gauge`], [`Histogram`], and [`Sharded`] to give each worker
//! its own cache line of them.
//!
//! Every instrument has a `const fn new`, so it can live in a `static`, and every update is one
//! relaxed atomic add (or a short critical section where the target has no 64-bit atomics). An
//! update never allocates, blocks or panics; values wrap on overflow. Reading while others write
//! gives a value that was true at some recent moment for each cell, which is all a scrape needs.

use super::cell::Cell64;

/// A value that only goes up: requests served, connections accepted.
#[derive(Debug)]
pub struct Counter {
    cell: Cell64,
}

impl Counter {
    /// A counter at 0.
    pub const fn new() -> Self {
        Self {
            cell: Cell64::new(),
        }
    }

    /// Adds 1.
    pub fn inc(&self) {
        self.cell.add(1);
    }

    /// Adds `n` (wrapping after 2^64).
    pub fn add(&self, n: u64) {
        self.cell.add(n);
    }

    /// The current value.
    pub fn value(&self) -> u64 {
        self.cell.load()
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}

/// A value that goes up and down: connections open, buffers in use.
///
/// Stored as a wrapping 64-bit two's-complement sum, so when a [`Sharded`] gauge is incremented
/// on one shard and decremented on another, the shards still sum to the right total.
#[derive(Debug)]
pub struct Gauge {
    cell: Cell64,
}

impl Gauge {
    /// A gauge at 0.
    pub const fn new() -> Self {
        Self {
            cell: Cell64::new(),
        }
    }

    /// Adds 1.
    pub fn inc(&self) {
        self.cell.add(1);
    }

    /// Subtracts 1.
    pub fn dec(&self) {
        self.cell.add(u64::MAX);
    }

    /// Adds `delta`, which may be negative (wrapping).
    pub fn add(&self, delta: i64) {
        // Two's complement: adding the bit pattern of a negative number subtracts.
        self.cell.add(delta as u64);
    }

    /// Replaces the value. On a [`Sharded`] gauge this sets one shard's share of the total.
    pub fn set(&self, value: i64) {
        self.cell.store(value as u64);
    }

    /// The current value.
    pub fn value(&self) -> i64 {
        self.cell.load() as i64
    }
}

impl Default for Gauge {
    fn default() -> Self {
        Self::new()
    }
}

/// A distribution over `N` fixed, strictly increasing upper bounds plus the implicit `+Inf`
/// bucket: request latencies, body sizes.
///
/// Values and bounds are integers in a unit the caller picks (microseconds, bytes); the
/// [`Renderer`](super::Renderer) can print them scaled (microseconds as seconds). Each bucket
/// counts the observations `v` with `v <= bound` that fit no smaller bucket (the rendered
/// buckets are made cumulative). The sum wraps after 2^64 units, about 585 000 years of
/// microseconds.
#[derive(Debug)]
pub struct Histogram<const N: usize> {
    bounds: &'static [u64; N],
    buckets: [Cell64; N],
    above: Cell64,
    sum: Cell64,
}

impl<const N: usize> Histogram<N> {
    /// An empty histogram over `bounds`.
    ///
    /// # Panics
    ///
    /// If `bounds` is not strictly increasing. In a `static` or `const` that is a compile error.
    pub const fn new(bounds: &'static [u64; N]) -> Self {
        let mut i = 1;
        while i < N {
            assert!(
                bounds[i - 1] < bounds[i],
                "histogram bounds must be strictly increasing"
            );
            i += 1;
        }
        Self {
            bounds,
            buckets: [const { Cell64::new() }; N],
            above: Cell64::new(),
            sum: Cell64::new(),
        }
    }

    /// Records one observation of `value`. O(`N`) comparisons, two atomic adds.
    pub fn observe(&self, value: u64) {
        let bucket = self
            .bounds
            .iter()
            .zip(&self.buckets)
            .find(|(bound, _)| value <= **bound);
        match bucket {
            Some((_, cell)) => cell.add(1),
            None => self.above.add(1),
        }
        self.sum.add(value);
    }

    /// The upper bounds.
    pub const fn bounds(&self) -> &'static [u64; N] {
        self.bounds
    }

    /// The current counts and sum.
    pub fn snapshot(&self) -> HistogramSnapshot<N> {
        let mut snapshot = HistogramSnapshot::empty(self.bounds);
        snapshot.merge(self);
        snapshot
    }
}

/// The counts of a [`Histogram`] (or the sum of several shards' histograms) at one moment, ready
/// to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistogramSnapshot<const N: usize> {
    /// The upper bounds.
    pub bounds: &'static [u64; N],
    /// Observations per bucket (not cumulative): `buckets[i]` counts values in
    /// `(bounds[i - 1], bounds[i]]`.
    pub buckets: [u64; N],
    /// Observations above the last bound.
    pub above: u64,
    /// The sum of all observed values (wrapping).
    pub sum: u64,
}

impl<const N: usize> HistogramSnapshot<N> {
    /// A snapshot with no observations.
    pub const fn empty(bounds: &'static [u64; N]) -> Self {
        Self {
            bounds,
            buckets: [0; N],
            above: 0,
            sum: 0,
        }
    }

    /// Adds the current counts of `histogram` (one shard) into this snapshot.
    pub fn merge(&mut self, histogram: &Histogram<N>) {
        for (total, cell) in self.buckets.iter_mut().zip(&histogram.buckets) {
            *total = total.wrapping_add(cell.load());
        }
        self.above = self.above.wrapping_add(histogram.above.load());
        self.sum = self.sum.wrapping_add(histogram.sum.load());
    }

    /// The number of observations (wrapping).
    pub fn count(&self) -> u64 {
        self.buckets
            .iter()
            .fold(self.above, |total, n| total.wrapping_add(*n))
    }
}

/// A per-shard value that has a `const` initial state, so [`Sharded`] can be built in a
/// `static`. Implement it for a struct of instruments to shard a metric set of your own.
pub trait ShardInit: Sized {
    /// The initial (all-zero) state of one shard.
    const INIT: Self;
}

impl ShardInit for Counter {
    const INIT: Self = Self::new();
}

impl ShardInit for Gauge {
    const INIT: Self = Self::new();
}

impl<M: ShardInit, const N: usize> ShardInit for [M; N] {
    const INIT: Self = [const { M::INIT }; N];
}

/// `WORKERS` copies of `M`, each on its own 64-byte cache line, so that workers updating their
/// own shard never contend for a line. A scrape sums the shards.
///
/// A worker writes through [`shard`](Self::shard)`(its index)`. Sharing a shard between workers
/// is still correct (every update is atomic), only slower.
#[derive(Debug)]
pub struct Sharded<M, const WORKERS: usize> {
    shards: [CachePadded<M>; WORKERS],
}

/// One shard, aligned (and so padded) to a cache line.
#[derive(Debug)]
#[repr(align(64))]
struct CachePadded<M>(M);

impl<M: ShardInit, const WORKERS: usize> Sharded<M, WORKERS> {
    /// `WORKERS` shards in their initial state.
    ///
    /// # Panics
    ///
    /// At compile time (post-monomorphisation) if `WORKERS` is 0.
    pub const fn new() -> Self {
        const { assert!(WORKERS > 0, "a sharded metric needs at least one shard") };
        Self {
            shards: [const { CachePadded(M::INIT) }; WORKERS],
        }
    }
}

impl<M, const WORKERS: usize> Sharded<M, WORKERS> {
    /// The shard of `worker`. Any index is accepted: it is taken modulo `WORKERS`.
    pub fn shard(&self, worker: usize) -> &M {
        // `worker % WORKERS < WORKERS`, and `new` guarantees `WORKERS > 0`.
        &self.shards[worker % WORKERS].0
    }

    /// Every shard, in index order.
    pub fn iter(&self) -> impl Iterator<Item = &M> + '_ {
        self.shards.iter().map(|padded| &padded.0)
    }

    /// The wrapping sum of `f` over all shards: the total of a counter, say.
    pub fn sum(&self, f: impl Fn(&M) -> u64) -> u64 {
        self.iter().fold(0, |total, m| total.wrapping_add(f(m)))
    }
}

impl<M: ShardInit, const WORKERS: usize> Default for Sharded<M, WORKERS> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    static BOUNDS: [u64; 3] = [10, 20, 30];

    #[test]
    fn histogram_buckets_are_inclusive_upper_bounds() {
        let h = Histogram::new(&BOUNDS);
        for v in [0, 10, 11, 20, 30, 31, u64::MAX] {
            h.observe(v);
        }
        let s = h.snapshot();
        assert_eq!(s.buckets, [2, 2, 1]);
        assert_eq!(s.above, 2);
        assert_eq!(s.count(), 7);
        // 102 + u64::MAX wraps to 101.
        assert_eq!(s.sum, 101);
    }

    #[test]
    fn gauge_goes_both_ways_and_shards_sum() {
        static G: Sharded<Gauge, 3> = Sharded::new();
        G.shard(0).inc();
        G.shard(0).inc();
        G.shard(1).dec();
        G.shard(5).add(-4); // worker 5 maps to shard 2
        assert_eq!(G.sum(|g| g.value() as u64) as i64, -3);
        G.shard(2).set(10);
        assert_eq!(G.sum(|g| g.value() as u64) as i64, 11);
    }

    #[test]
    fn shards_are_cache_line_aligned() {
        let s: Sharded<Counter, 4> = Sharded::new();
        let a = s.shard(0) as *const Counter as usize;
        let b = s.shard(1) as *const Counter as usize;
        assert_eq!(a % 64, 0);
        assert_eq!(b - a, 64);
    }

    #[test]
    fn concurrent_increments_sum_exactly() {
        struct Shard {
            hits: Counter,
            lat: Histogram<3>,
        }
        impl ShardInit for Shard {
            const INIT: Self = Self {
                hits: Counter::new(),
                lat: Histogram::new(&BOUNDS),
            };
        }
        static M: Sharded<Shard, 4> = Sharded::new();
        thread::scope(|s| {
            for worker in 0..8 {
                s.spawn(move || {
                    for i in 0..5_000u64 {
                        M.shard(worker).hits.inc();
                        M.shard(worker).lat.observe(i % 40);
                    }
                });
            }
        });
        assert_eq!(M.sum(|m| m.hits.value()), 40_000);
        let mut snap = HistogramSnapshot::empty(&BOUNDS);
        M.iter().for_each(|m| snap.merge(&m.lat));
        assert_eq!(snap.count(), 40_000);
        assert_eq!(snap.buckets, [11 * 125 * 8, 10 * 125 * 8, 10 * 125 * 8]);
        assert_eq!(snap.sum, (0..40).sum::<u64>() * 125 * 8);
    }
}
