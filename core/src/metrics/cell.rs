//! The 64-bit cell every metric is built from, on whatever atomics the target has.
//!
//! With 64-bit atomics (`x86_64`, `aarch64`) a cell is an `AtomicU64` updated with relaxed
//! `fetch_add`. Without them (`thumbv6m`: no compare-and-swap at all; `thumbv7em`: 32-bit only)
//! a cell is a `u64` behind a `critical_section::Mutex`: a few cycles with interrupts masked.
//! Both wrap on overflow instead of panicking. This module never blocks on anything but a
//! critical section and never allocates.

/// A 64-bit value that many threads or interrupt handlers may add to at once.
#[cfg(target_has_atomic = "64")]
pub(crate) type Cell64 = AtomicCell;

/// A 64-bit value that many threads or interrupt handlers may add to at once.
#[cfg(not(target_has_atomic = "64"))]
pub(crate) type Cell64 = CsCell;

/// A [`Cell64`] on a native 64-bit atomic.
#[cfg(target_has_atomic = "64")]
#[derive(Debug)]
pub(crate) struct AtomicCell(core::sync::atomic::AtomicU64);

#[cfg(target_has_atomic = "64")]
impl AtomicCell {
    /// A cell holding 0.
    pub(crate) const fn new() -> Self {
        Self(core::sync::atomic::AtomicU64::new(0))
    }

    /// Adds `n`, wrapping.
    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, core::sync::atomic::Ordering::Relaxed);
    }

    /// Replaces the value.
    pub(crate) fn store(&self, v: u64) {
        self.0.store(v, core::sync::atomic::Ordering::Relaxed);
    }

    /// The current value.
    pub(crate) fn load(&self) -> u64 {
        self.0.load(core::sync::atomic::Ordering::Relaxed)
    }
}

/// A [`Cell64`] guarded by a critical section, for targets without 64-bit atomics. Compiled
/// everywhere so that host tests exercise it too.
#[cfg_attr(target_has_atomic = "64", allow(dead_code))]
#[derive(Debug)]
pub(crate) struct CsCell(critical_section::Mutex<core::cell::Cell<u64>>);

#[cfg_attr(target_has_atomic = "64", allow(dead_code))]
impl CsCell {
    /// A cell holding 0.
    pub(crate) const fn new() -> Self {
        Self(critical_section::Mutex::new(core::cell::Cell::new(0)))
    }

    /// Adds `n`, wrapping.
    pub(crate) fn add(&self, n: u64) {
        critical_section::with(|cs| {
            let cell = self.0.borrow(cs);
            cell.set(cell.get().wrapping_add(n));
        });
    }

    /// Replaces the value.
    pub(crate) fn store(&self, v: u64) {
        critical_section::with(|cs| self.0.borrow(cs).set(v));
    }

    /// The current value.
    pub(crate) fn load(&self) -> u64 {
        critical_section::with(|cs| self.0.borrow(cs).get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn critical_section_cell_adds_exactly_across_threads() {
        static CELL: CsCell = CsCell::new();
        thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..10_000).for_each(|_| CELL.add(1)));
            }
        });
        assert_eq!(CELL.load(), 40_000);
        CELL.store(u64::MAX);
        CELL.add(2);
        assert_eq!(CELL.load(), 1);
    }

    #[test]
    fn cell_wraps() {
        let c = Cell64::new();
        c.add(u64::MAX);
        c.add(1);
        assert_eq!(c.load(), 0);
        c.add(5u64.wrapping_neg());
        assert_eq!(c.load() as i64, -5);
    }
}
