//! The output queue of one connection: the bytes written for the peer and not yet sent.
//!
//! This module owns the queue's buffer (taken from the pool when output is queued, grown into
//! larger classes up to [`MAX_WRITE_BUFFER`] when a response needs it, given back once the
//! queue drains) and the instant the queue last made progress, which the write deadline runs
//! from. It never decides what goes into the queue and never calls the application.

use crate::mem::SIZE_CLASSES;
use crate::mem::buffer_pool::{BufferHandle, BufferPool, Buffers, SizeClass, Spill};
use crate::time::Instant;

/// The largest output queue a connection grows to for one response (256 KiB).
pub const MAX_WRITE_BUFFER: usize = SIZE_CLASSES[4];

/// Queued output: `buf[start..end]` of the buffer `buf`, when it holds one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tx {
    buf: Option<BufferHandle>,
    start: usize,
    end: usize,
    /// When the queue last became non-empty or last made progress.
    since: Instant,
}

impl Tx {
    /// An empty queue holding no buffer, its clock started at `now`.
    pub(crate) const fn new(now: Instant) -> Self {
        Self {
            buf: None,
            start: 0,
            end: 0,
            since: now,
        }
    }

    /// Whether nothing is queued.
    pub(crate) const fn is_empty(&self) -> bool {
        self.start >= self.end
    }

    /// Bytes queued.
    pub(crate) const fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// When the queue last became non-empty or made progress.
    pub(crate) const fn since(&self) -> Instant {
        self.since
    }

    /// The queued bytes, `None` when there are none.
    pub(crate) fn queued<'b>(&self, pool: &'b BufferPool<'_>) -> Option<&'b [u8]> {
        if self.is_empty() {
            return None;
        }
        let buf = pool.bytes(self.buf?).ok()?;
        buf.get(self.start..self.end)
            .filter(|queued| !queued.is_empty())
    }

    /// `n` queued bytes were sent at `now`. Returns whether the queue has drained.
    pub(crate) fn sent(&mut self, n: usize, now: Instant) -> bool {
        self.start = self.start.saturating_add(n).min(self.end);
        self.since = now;
        if self.start < self.end {
            return false;
        }
        self.start = 0;
        self.end = 0;
        true
    }

    /// The free space after the queue, taking a buffer of class `class` if the queue holds
    /// none and moving what is queued to the front first. `None` when the pool has no buffer.
    pub(crate) fn space<'b>(
        &mut self,
        pool: &'b mut dyn Buffers,
        class: SizeClass,
    ) -> Option<&'b mut [u8]> {
        let buf = self.buffer(pool, class)?;
        self.compact(buf, pool);
        let end = self.end;
        pool.bytes_mut(buf).ok()?.get_mut(end..)
    }

    /// At least `need` bytes of free space after the queue, growing its buffer one class at a
    /// time up to [`MAX_WRITE_BUFFER`]. `None` when that is not enough or the pool has no
    /// larger buffer.
    pub(crate) fn reserve<'b>(
        &mut self,
        pool: &'b mut dyn Buffers,
        class: SizeClass,
        need: usize,
    ) -> Option<&'b mut [u8]> {
        let free = self.space(pool, class).map(|space| space.len())?;
        if free < need {
            let buf = self.buf?;
            let want = self.end.checked_add(need)?;
            if want > MAX_WRITE_BUFFER {
                return None;
            }
            let grown = pool.grow(buf, want, self.end, Spill::ToLarger).ok()?;
            self.buf = Some(grown);
        }
        self.space(pool, class)
    }

    /// `len` bytes were written into the free space at `now`.
    pub(crate) fn commit(&mut self, len: usize, now: Instant) {
        if self.is_empty() {
            self.since = now;
        }
        let cap = self.buf.map_or(0, BufferHandle::capacity);
        self.end = self.end.saturating_add(len).min(cap);
    }

    /// Gives the buffer back to the pool, dropping anything still queued.
    pub(crate) fn release(&mut self, pool: &mut dyn Buffers) {
        if let Some(handle) = self.buf.take()
            && pool.release(handle).is_err()
        {
            warn!("output buffer was not live on release");
        }
        self.start = 0;
        self.end = 0;
    }

    /// The queue's buffer, taken in `class` (or a larger one) if it holds none.
    fn buffer(&mut self, pool: &mut dyn Buffers, class: SizeClass) -> Option<BufferHandle> {
        if let Some(buf) = self.buf {
            return Some(buf);
        }
        match pool.acquire(class, Spill::ToLarger) {
            Ok(buf) => {
                self.buf = Some(buf);
                self.start = 0;
                self.end = 0;
                Some(buf)
            }
            Err(error) => {
                warn!("no buffer for a response: {}", error);
                None
            }
        }
    }

    /// Moves the queued bytes to the front of `buf`, so the free space is in one piece.
    fn compact(&mut self, buf: BufferHandle, pool: &mut dyn Buffers) {
        if self.start == 0 {
            return;
        }
        if let Ok(bytes) = pool.bytes_mut(buf) {
            let end = self.end.min(bytes.len());
            bytes.copy_within(self.start.min(end)..end, 0);
        }
        self.end = self.end.saturating_sub(self.start);
        self.start = 0;
    }
}
