//! The memory a worker lends its driver: [`Reserved`] tables for its connections and timers,
//! and `PoolMemory` for its buffer pool.
//!
//! Both are reserved when the worker starts and written only as they are used: a table's
//! entries as connections first arrive, a buffer's pages when a connection first reads into it.
//! Until then they are address space, not resident memory. A table the driver trims after a
//! burst gives the whole pages past its remaining entries back to the kernel.

use aurora_core::mem::SIZE_CLASSES;
use aurora_core::mem::buffer_pool::{BufferPool, ClassRegion, Slot};
use aurora_core::mem::table::Table;

use crate::sys::pages;

/// A [`Table`] in a vector whose capacity is reserved up front and never exceeded: entries are
/// written (and their pages first touched) by [`push`](Table::push), as the driver first needs
/// them; the vector never reallocates, so written entries never move.
/// [`truncate`](Table::truncate) drops entries and gives the whole pages of the capacity they
/// leave back to the kernel, keeping the capacity.
#[derive(Debug)]
pub struct Reserved<E>(Vec<E>);

/// The buffer-pool memory of one worker: bytes and slots per size class.
pub(crate) struct PoolMemory {
    bytes: [Vec<u8>; SIZE_CLASSES.len()],
    slots: [Vec<Slot>; SIZE_CLASSES.len()],
}

impl<E> Reserved<E> {
    /// An empty table with room for `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Reserved(Vec::with_capacity(capacity))
    }
}

impl<E> Table<E> for Reserved<E> {
    fn entries(&self) -> &[E] {
        &self.0
    }

    fn entries_mut(&mut self) -> &mut [E] {
        &mut self.0
    }

    fn push(&mut self, entry: E) -> Result<(), E> {
        if self.0.len() == self.0.capacity() {
            return Err(entry);
        }
        self.0.push(entry);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.0.capacity()
    }

    fn truncate(&mut self, len: usize) {
        if len < self.0.len() {
            self.0.truncate(len);
            pages::release_spare(&mut self.0);
        }
    }
}

impl PoolMemory {
    /// `buffers[class]` zeroed buffers of each class, with their slots.
    pub(crate) fn new(buffers: &[u16; SIZE_CLASSES.len()]) -> Self {
        PoolMemory {
            bytes: std::array::from_fn(|class| {
                vec![0u8; SIZE_CLASSES[class] * usize::from(buffers[class])]
            }),
            slots: std::array::from_fn(|class| vec![Slot::EMPTY; usize::from(buffers[class])]),
        }
    }

    /// A pool with id `id` over this memory.
    pub(crate) fn pool(&mut self, id: u16) -> BufferPool<'_> {
        let [b0, b1, b2, b3, b4] = &mut self.bytes;
        let [s0, s1, s2, s3, s4] = &mut self.slots;
        BufferPool::new(
            id,
            [
                ClassRegion::new(b0, s0),
                ClassRegion::new(b1, s1),
                ClassRegion::new(b2, s2),
                ClassRegion::new(b3, s3),
                ClassRegion::new(b4, s4),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_grows_to_its_capacity_without_moving() {
        let mut table = Reserved::new(2);
        assert!(table.entries().is_empty());
        assert_eq!(table.push(1u32), Ok(()));
        let first = table.entries().as_ptr();
        assert_eq!(table.push(2), Ok(()));
        assert_eq!(table.push(3), Err(3));
        assert_eq!((table.entries(), table.capacity()), (&[1, 2][..], 2));
        assert_eq!(table.entries().as_ptr(), first);
    }

    #[test]
    fn reserved_truncates_and_grows_again_in_place() {
        let mut table = Reserved::new(8192);
        for entry in 0..8192u64 {
            table.push(entry).unwrap();
        }
        let first = table.entries().as_ptr();
        table.truncate(9000); // beyond the entries: nothing happens
        table.truncate(2);
        assert_eq!((table.entries(), table.capacity()), (&[0, 1][..], 8192));
        for entry in 2..8192 {
            table.push(entry + 1).unwrap();
        }
        assert_eq!(table.entries().as_ptr(), first);
        assert!(
            table.entries()[2..]
                .iter()
                .zip(3..)
                .all(|(&e, want)| e == want)
        );
    }
}
