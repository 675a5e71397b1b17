//! A fixed number of `T` slots, addressed by generation-checked handles.
//!
//! This module owns [`ObjectPool`]: slots in a [`Table`] — inline in the struct
//! ([`InlinePool`], so a pool can live in a `static`, a `StaticCell` or on a stack) or in storage
//! the caller reserved and the pool writes only as slots first come into use — an O(1) free
//! list, and a generation per slot so a recycled slot is never taken for its former occupant. It never allocates and never panics
//! on a bad handle: a handle from another pool, a stale one or a released one is a
//! [`PoolError`].
//!
//! Nothing leaks from one occupant to the next: [`release`](ObjectPool::release) moves the value
//! out and hands it back, the slot holds no `T` while free, and the next
//! [`acquire`](ObjectPool::acquire) starts from the value it is given. The connection engine
//! keeps its connections here and walks them with [`iter_mut`](ObjectPool::iter_mut).
//!
//! After a burst, [`trim`](ObjectPool::trim) hands the free slots above the highest occupied
//! one back to the table, so a table that can give memory back shrinks to what is in use.

use core::fmt;

pub use super::buffer_pool::PoolError;
use super::table::{Table, vacant_tail};

/// An [`ObjectPool`] of `N` slots inside the struct, all written when it is built.
pub type InlinePool<T, const N: usize> = ObjectPool<T, [Entry<T>; N]>;

/// A slot acquired from an [`ObjectPool`]: the pool's id, the slot index and the slot's
/// generation at the time of the acquire. `Copy`, 12 bytes, no pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ObjectHandle {
    generation: u32,
    index: u32,
    pool: u16,
}

impl ObjectHandle {
    /// The slot index, below the pool's capacity: a dense key for side tables such as
    /// per-connection timers. Two live handles of one pool never share an index.
    pub const fn index(self) -> usize {
        self.index as usize
    }

    /// The id of the pool that made this handle.
    pub const fn pool(self) -> u16 {
        self.pool
    }
}

/// Slots of `T` in the table `Tb`, with O(1) acquire and release and checked handles.
///
/// The pool holds as many slots as its table's [`capacity`](Table::capacity) (at most
/// `u32::MAX`). It takes slots in index order the first time it needs each (from the table's
/// written entries, then by [`push`](Table::push)ing new ones) and reuses released slots
/// before new ones, so a table that grows on push is written only as far as the most
/// slots in use at once since the last [`trim`](ObjectPool::trim).
///
/// # Invariants a caller can rely on
///
/// - A handle stays valid until it is released; afterwards every use is an `Err`, never the
///   slot's next occupant (up to 2³² reuses of one slot, when the 32-bit generation wraps),
///   also when the slot was trimmed and written again.
/// - A free slot holds no `T`; dropping the pool drops the live values.
/// - Pool ids are chosen by the caller; give each pool its own.
/// - A pool built over a table that served an earlier pool sees none of that pool's values.
///
/// # Examples
///
/// ```
/// use aurora_core::mem::object_pool::{InlinePool, PoolError};
///
/// let mut pool: InlinePool<u32, 2> = InlinePool::new(3);
/// let a = pool.acquire(10).unwrap();
/// let b = pool.acquire(20).unwrap();
/// assert_eq!(pool.acquire(30), Err(30)); // full: the value comes back
///
/// *pool.get_mut(a)? += 1;
/// let sum: u32 = pool.iter().map(|(_, v)| *v).sum();
/// assert_eq!(sum, 31);
///
/// assert_eq!(pool.release(b), Ok(20));
/// assert_eq!(pool.release(b), Err(PoolError::Released));
/// assert_eq!(pool.len(), 1);
/// # Ok::<(), PoolError>(())
/// ```
pub struct ObjectPool<T, Tb> {
    entries: Tb,
    /// Head of the free list of released slots.
    free: Option<u32>,
    /// Slots from `fresh` on have not been used by this pool since it was built or last
    /// trimmed; they are taken in order once the list is empty.
    fresh: u32,
    /// The generation an entry [`push`](Table::push)ed into the table starts at: at least
    /// every generation a trimmed slot had, so its old handles never match a new occupant.
    floor: u32,
    len: usize,
    id: u16,
    /// The pool holds `T`s in `Tb`.
    _values: core::marker::PhantomData<T>,
}

/// One slot of an [`ObjectPool`]: its generation and what it holds. Opaque: a caller only
/// provides storage for them (see [`Entry::EMPTY`]).
pub struct Entry<T> {
    generation: u32,
    state: State<T>,
}

/// Where a slot is in its life.
///
/// With an explicit tag, `Vacant` (the first variant, 0) with `next: None` is all zeros: an
/// array of [`Entry::EMPTY`] is then written by the `memclr` a firmware links anyway, where
/// the tag the compiler would otherwise hide in `T`'s niche made it copy a constant as large
/// as the entry, once per entry.
#[repr(u8)]
enum State<T> {
    /// Free; `next` is the following slot on the free list.
    Vacant { next: Option<u32> },
    /// Holding a value under the slot's current generation.
    Occupied(T),
}

impl<T, const N: usize> InlinePool<T, N> {
    /// An empty pool of `N` inline slots with id `id`. `const`, so a pool can initialise a
    /// `static`.
    ///
    /// `N` must fit in a `u32`; a larger `N` fails to compile.
    pub const fn new(id: u16) -> Self {
        const {
            assert!(
                N as u64 <= u32::MAX as u64,
                "ObjectPool capacity must fit in u32"
            )
        };
        ObjectPool {
            entries: [const { Entry::EMPTY }; N],
            free: None,
            fresh: 0,
            floor: 0,
            len: 0,
            id,
            _values: core::marker::PhantomData,
        }
    }
}

impl<T, Tb: Table<Entry<T>>> ObjectPool<T, Tb> {
    /// An empty pool with id `id` over `table`. Entries the table holds already are
    /// overwritten when their slots are first taken, never read before; nothing is written
    /// here.
    pub fn with_table(id: u16, table: Tb) -> Self {
        ObjectPool {
            entries: table,
            free: None,
            fresh: 0,
            floor: 0,
            len: 0,
            id,
            _values: core::marker::PhantomData,
        }
    }

    /// The id baked into every handle of this pool.
    pub const fn id(&self) -> u16 {
        self.id
    }

    /// How many slots the pool has: its table's capacity, at most `u32::MAX`.
    pub fn capacity(&self) -> usize {
        self.entries.capacity().min(u32::MAX as usize)
    }

    /// How many slots hold a value.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether no slot holds a value.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether every slot holds a value.
    pub fn is_full(&self) -> bool {
        self.len >= self.capacity()
    }

    /// How many slots have been used since the pool was built or last trimmed: the part of
    /// the table written so far (by this pool), which the pool walks in [`iter`](Self::iter).
    pub const fn used(&self) -> usize {
        self.fresh as usize
    }

    /// The live handle of the slot at `index`, if the slot holds a value.
    pub fn handle_at(&self, index: usize) -> Option<ObjectHandle> {
        if index >= self.used() {
            return None;
        }
        let entry = self.entries.entries().get(index)?;
        match entry.state {
            State::Occupied(_) => Some(ObjectHandle {
                generation: entry.generation,
                // `index < fresh`, a `u32`.
                index: index as u32,
                pool: self.id,
            }),
            State::Vacant { .. } => None,
        }
    }

    /// Moves `value` into a free slot. O(1).
    ///
    /// # Errors
    ///
    /// Gives `value` back if every slot is taken.
    pub fn acquire(&mut self, value: T) -> Result<ObjectHandle, T> {
        let Some(index) = self.take() else {
            return Err(value);
        };
        Ok(self.occupy(index, value))
    }

    /// Builds a value with `init` (which sees the handle it will live under) in a free slot.
    /// `init` is only called when there is room. O(1) plus `init`.
    pub fn acquire_with(&mut self, init: impl FnOnce(ObjectHandle) -> T) -> Option<ObjectHandle> {
        let index = self.take()?;
        let generation = match self.entries.entries().get(index as usize) {
            Some(entry) => entry.generation,
            None => return None, // `take` returns written indices; unreachable
        };
        let handle = ObjectHandle {
            generation: generation.wrapping_add(1),
            index,
            pool: self.id,
        };
        let value = init(handle);
        Some(self.occupy(index, value))
    }

    /// The value of `handle`.
    ///
    /// # Errors
    ///
    /// [`PoolError::Foreign`], [`PoolError::Stale`] or [`PoolError::Released`] if `handle`
    /// is not a live handle of this pool.
    pub fn get(&self, handle: ObjectHandle) -> Result<&T, PoolError> {
        let entry = self.entry(handle)?;
        match &entry.state {
            State::Occupied(value) => Ok(value),
            State::Vacant { .. } => Err(PoolError::Released),
        }
    }

    /// The value of `handle`, writable.
    ///
    /// # Errors
    ///
    /// As [`get`](ObjectPool::get).
    pub fn get_mut(&mut self, handle: ObjectHandle) -> Result<&mut T, PoolError> {
        let index = self.check(handle)?;
        match self
            .entries
            .entries_mut()
            .get_mut(index)
            .map(|e| &mut e.state)
        {
            Some(State::Occupied(value)) => Ok(value),
            _ => Err(PoolError::Released),
        }
    }

    /// Whether `handle` is a live handle of this pool.
    pub fn contains(&self, handle: ObjectHandle) -> bool {
        self.get(handle).is_ok()
    }

    /// Frees the slot of `handle` and moves its value out. O(1).
    ///
    /// # Errors
    ///
    /// As [`get`](ObjectPool::get); the pool is unchanged then.
    pub fn release(&mut self, handle: ObjectHandle) -> Result<T, PoolError> {
        let index = self.check(handle)?;
        let Some(entry) = self.entries.entries_mut().get_mut(index) else {
            return Err(PoolError::Foreign); // `check` proved `index` written; unreachable
        };
        match core::mem::replace(&mut entry.state, State::Vacant { next: self.free }) {
            State::Occupied(value) => {
                self.free = Some(handle.index);
                self.len -= 1; // the slot was occupied, so `len >= 1`
                Ok(value)
            }
            vacant @ State::Vacant { .. } => {
                entry.state = vacant;
                Err(PoolError::Released)
            }
        }
    }

    /// Gives the free slots above the highest occupied one back to the table
    /// ([`Table::truncate`]) and rebuilds the free list from the free slots below it, lowest
    /// first, so new values fill the table from the bottom and the next trim finds a longer
    /// free tail. Returns how many slots were trimmed (0 when the highest used slot is
    /// occupied). O([`used`](Self::used)); live handles stay valid, and a handle to a
    /// trimmed slot stays dead when the slot is written again.
    pub fn trim(&mut self) -> usize {
        let fresh = self.fresh as usize;
        let occupied = |entry: &Entry<T>| matches!(entry.state, State::Occupied(_));
        let Some((kept, trimmed)) = vacant_tail(&mut self.entries, fresh, occupied) else {
            return 0;
        };
        let keep = kept.len();
        for entry in trimmed {
            self.floor = self.floor.max(entry.generation);
        }
        let mut free = None;
        for (index, entry) in kept.iter_mut().enumerate().rev() {
            if let State::Vacant { next } = &mut entry.state {
                *next = free;
                free = Some(index as u32); // below `fresh`, a `u32`
            }
        }
        self.free = free;
        self.fresh = keep as u32; // below `fresh`
        self.entries.truncate(keep);
        fresh - keep
    }

    /// The live values with their handles, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (ObjectHandle, &T)> + '_ {
        let pool = self.id;
        let used = self.used();
        self.entries
            .entries()
            .iter()
            .take(used)
            .zip(0u32..)
            .filter_map(move |(entry, index)| match &entry.state {
                State::Occupied(value) => Some((
                    ObjectHandle {
                        generation: entry.generation,
                        index,
                        pool,
                    },
                    value,
                )),
                State::Vacant { .. } => None,
            })
    }

    /// The live values with their handles, in slot order, writable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (ObjectHandle, &mut T)> + '_ {
        let pool = self.id;
        let used = self.used();
        self.entries
            .entries_mut()
            .iter_mut()
            .take(used)
            .zip(0u32..)
            .filter_map(move |(entry, index)| match &mut entry.state {
                State::Occupied(value) => Some((
                    ObjectHandle {
                        generation: entry.generation,
                        index,
                        pool,
                    },
                    value,
                )),
                State::Vacant { .. } => None,
            })
    }

    /// A free, written slot index, unlinked from the free list but not yet occupied.
    fn take(&mut self) -> Option<u32> {
        if let Some(index) = self.free {
            let next = match self.entries.entries().get(index as usize).map(|e| &e.state) {
                Some(State::Vacant { next }) => *next,
                // The free list only links vacant used slots; a corrupted list reads as full.
                _ => return None,
            };
            self.free = next;
            return Some(index);
        }
        let index = self.fresh;
        if index == u32::MAX {
            return None;
        }
        if self.entries.entries().len() <= index as usize {
            // The table grows by one entry, written now, on this slot's first use.
            let entry = Entry {
                generation: self.floor,
                state: State::Vacant { next: None },
            };
            self.entries.push(entry).ok()?;
        }
        self.fresh += 1; // below u32::MAX, checked above
        Some(index)
    }

    /// Puts `value` into the slot `index` that `take` returned, under a new generation.
    fn occupy(&mut self, index: u32, value: T) -> ObjectHandle {
        let id = self.id;
        let Some(entry) = self.entries.entries_mut().get_mut(index as usize) else {
            // `take` returns written indices; unreachable. Dropping `value` is all that is left.
            return ObjectHandle {
                generation: 0,
                index: u32::MAX,
                pool: id,
            };
        };
        entry.generation = entry.generation.wrapping_add(1);
        entry.state = State::Occupied(value);
        self.len += 1; // at most the capacity: each occupied slot is counted once
        ObjectHandle {
            generation: entry.generation,
            index,
            pool: id,
        }
    }

    /// The slot of `handle` if it was made by this pool for the slot's current generation.
    fn check(&self, handle: ObjectHandle) -> Result<usize, PoolError> {
        self.entry(handle).map(|_| handle.index as usize)
    }

    fn entry(&self, handle: ObjectHandle) -> Result<&Entry<T>, PoolError> {
        if handle.pool != self.id {
            return Err(PoolError::Foreign);
        }
        if handle.index as usize >= self.capacity() {
            return Err(PoolError::Foreign);
        }
        let entry = match self.entries.entries().get(handle.index as usize) {
            // A slot this pool has not used yet holds nothing of the handle's.
            Some(entry) if handle.index < self.fresh => entry,
            _ => return Err(PoolError::Stale),
        };
        if entry.generation != handle.generation {
            return Err(PoolError::Stale);
        }
        Ok(entry)
    }
}

impl<T, const N: usize> Default for InlinePool<T, N> {
    /// An empty pool with id 0.
    fn default() -> Self {
        InlinePool::new(0)
    }
}

impl<T, Tb: Table<Entry<T>>> fmt::Debug for ObjectPool<T, Tb> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectPool")
            .field("id", &self.id)
            .field("len", &self.len)
            .field("used", &self.fresh)
            .field("floor", &self.floor)
            .field("capacity", &self.capacity())
            .finish()
    }
}

impl<T> Entry<T> {
    /// A never-used slot, for storage written in advance (`[const { Entry::EMPTY }; N]`).
    pub const EMPTY: Self = Entry {
        generation: 0,
        state: State::Vacant { next: None },
    };
}

impl<T> fmt::Debug for Entry<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("generation", &self.generation)
            .field("occupied", &matches!(self.state, State::Occupied(_)))
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use core::cell::Cell;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::rc::Rc;
    use std::vec::Vec;

    /// A pool usable in a `const` (and so in a `static`).
    const EMPTY: InlinePool<u64, 4> = InlinePool::new(5);

    #[test]
    fn const_new_and_sizes() {
        let pool = EMPTY;
        assert_eq!((pool.id(), pool.len(), pool.capacity()), (5, 0, 4));
        assert!(pool.is_empty() && !pool.is_full());
        assert!(core::mem::size_of::<ObjectHandle>() <= 12);
        let zero: InlinePool<u8, 0> = InlinePool::default();
        assert!(zero.is_full() && zero.is_empty());
    }

    #[test]
    fn acquire_until_full_gives_value_back() {
        let mut pool: InlinePool<&str, 2> = InlinePool::new(1);
        let a = pool.acquire("a").unwrap();
        let b = pool.acquire("b").unwrap();
        assert_ne!(a.index(), b.index());
        assert!(pool.is_full());
        assert_eq!(pool.acquire("c"), Err("c"));
        let mut called = false;
        assert_eq!(
            pool.acquire_with(|_| {
                called = true;
                "d"
            }),
            None
        );
        assert!(!called, "init must not run when the pool is full");
        assert_eq!((pool.get(a), pool.get(b)), (Ok(&"a"), Ok(&"b")));
    }

    #[test]
    fn acquire_with_sees_its_own_handle() {
        let mut pool: InlinePool<Option<ObjectHandle>, 3> = InlinePool::new(1);
        let a = pool.acquire(None).unwrap();
        pool.release(a).unwrap();
        let h = pool.acquire_with(Some).unwrap();
        assert_eq!(pool.get(h), Ok(&Some(h)));
    }

    #[test]
    fn handle_errors_table() {
        let mut pool: InlinePool<u32, 2> = InlinePool::new(1);
        let mut other: InlinePool<u32, 2> = InlinePool::new(2);
        let released = pool.acquire(1).unwrap();
        pool.release(released).unwrap();
        let stale = {
            let h = pool.acquire(2).unwrap();
            pool.release(h).unwrap();
            // `h`'s slot is on top of the free list: reacquiring it makes `h` stale.
            pool.acquire(3).unwrap();
            h
        };
        let live = pool.iter().map(|(h, _)| h).next().unwrap();
        let foreign = other.acquire(4).unwrap();
        let out_of_range = ObjectHandle { index: 2, ..live };
        let never_used = ObjectHandle { index: 1, ..live };

        let table: &[(ObjectHandle, Result<u32, PoolError>)] = &[
            (live, Ok(3)),
            (stale, Err(PoolError::Stale)),
            (foreign, Err(PoolError::Foreign)),
            (out_of_range, Err(PoolError::Foreign)),
            (never_used, Err(PoolError::Stale)),
        ];
        for &(handle, expected) in table {
            assert_eq!(pool.get(handle).copied(), expected, "{handle:?}");
            assert_eq!(pool.get_mut(handle).copied(), expected, "{handle:?}");
            assert_eq!(pool.contains(handle), expected.is_ok());
        }
        // `released` points at the same slot as `stale` (the free list is LIFO).
        assert_eq!(pool.get(released), Err(PoolError::Stale));
        assert_eq!(pool.release(live), Ok(3));
        assert_eq!(pool.release(live), Err(PoolError::Released));
        assert_eq!(pool.get(live), Err(PoolError::Released));
        assert_eq!(pool.len(), 0);
        assert_eq!(other.release(foreign), Ok(4));
    }

    #[test]
    fn failed_release_changes_nothing() {
        let mut pool: InlinePool<u32, 2> = InlinePool::new(1);
        let a = pool.acquire(1).unwrap();
        pool.release(a).unwrap();
        assert_eq!(pool.release(a), Err(PoolError::Released));
        // The free list was not corrupted by the double release: exactly two slots remain.
        let b = pool.acquire(2).unwrap();
        let c = pool.acquire(3).unwrap();
        assert_ne!(b.index(), c.index());
        assert_eq!(pool.acquire(4), Err(4));
    }

    #[test]
    fn iteration_visits_live_slots_in_order() {
        let mut pool: InlinePool<u32, 5> = InlinePool::new(1);
        let handles: Vec<_> = (0..5).map(|v| pool.acquire(v).unwrap()).collect();
        pool.release(handles[1]).unwrap();
        pool.release(handles[3]).unwrap();
        for (_, v) in pool.iter_mut() {
            *v *= 10;
        }
        let seen: Vec<_> = pool.iter().map(|(h, v)| (h, *v)).collect();
        assert_eq!(seen, [(handles[0], 0), (handles[2], 20), (handles[4], 40)]);
    }

    /// Counts drops, to see that values leave with release and with the pool.
    struct Tracked(Rc<Cell<usize>>);

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn values_move_out_on_release_and_drop_with_pool() {
        let drops = Rc::new(Cell::new(0));
        let mut pool: InlinePool<Tracked, 3> = InlinePool::new(1);
        let a = pool.acquire(Tracked(drops.clone())).ok().unwrap();
        let _b = pool.acquire(Tracked(drops.clone())).ok().unwrap();
        let out = pool.release(a).ok().unwrap();
        assert_eq!(drops.get(), 0);
        drop(out);
        assert_eq!(drops.get(), 1);
        drop(pool);
        assert_eq!(drops.get(), 2);
    }

    #[test]
    fn next_occupant_sees_nothing_of_the_last() {
        let mut pool: InlinePool<[u8; 4], 1> = InlinePool::new(1);
        let a = pool.acquire(*b"old!").unwrap();
        assert_eq!(pool.release(a), Ok(*b"old!"));
        let b = pool.acquire_with(|_| [0; 4]).unwrap();
        assert_eq!(b.index(), a.index());
        assert_eq!(pool.get(b), Ok(&[0; 4]));
    }

    #[test]
    fn a_growing_table_is_written_only_as_far_as_slots_were_used() {
        let mut pool = ObjectPool::with_table(1, heapless::Vec::<_, 4>::new());
        assert_eq!((pool.capacity(), pool.used()), (4, 0));
        let a = pool.acquire(1u32).unwrap();
        let b = pool.acquire(2).unwrap();
        pool.release(a).unwrap();
        // The released slot comes back before the table grows.
        let c = pool.acquire(3).unwrap();
        assert_eq!(c.index(), a.index());
        assert_eq!((pool.used(), pool.handle_at(1)), (2, Some(b)));
        let _d = pool.acquire(4).unwrap();
        let _e = pool.acquire(5).unwrap();
        assert_eq!(pool.acquire(6), Err(6));
        assert!(pool.is_full());
        assert_eq!(pool.used(), 4);
    }

    #[test]
    fn a_reused_table_shows_nothing_of_the_last_pool() {
        let mut storage = [const { Entry::EMPTY }; 2];
        let old = {
            let mut pool = ObjectPool::with_table(1, &mut storage[..]);
            pool.acquire(7u32).unwrap()
        };
        let mut pool = ObjectPool::with_table(1, &mut storage[..]);
        assert_eq!(pool.get(old), Err(PoolError::Stale));
        assert_eq!(pool.iter().count(), 0);
        assert_eq!(pool.handle_at(old.index()), None);
        let new = pool.acquire(8).unwrap();
        assert_ne!(new, old);
        assert_eq!(
            (pool.get(old), pool.get(new)),
            (Err(PoolError::Stale), Ok(&8))
        );
    }

    #[test]
    fn zero_sized_values() {
        let mut pool: InlinePool<(), 2> = InlinePool::new(1);
        let a = pool.acquire(()).unwrap();
        assert_eq!(pool.release(a), Ok(()));
        assert_eq!(pool.release(a), Err(PoolError::Released));
    }

    #[test]
    fn trim_gives_the_free_tail_back_and_refills_from_the_bottom() {
        let mut pool = ObjectPool::with_table(1, heapless::Vec::<_, 8>::new());
        let h: Vec<_> = (0..6).map(|v| pool.acquire(v).unwrap()).collect();
        for i in [1, 4, 5] {
            pool.release(h[i]).unwrap();
        }
        assert_eq!((pool.trim(), pool.used(), pool.entries.len()), (2, 4, 4));
        assert_eq!(pool.trim(), 0, "nothing above the highest live slot");
        // The lowest free slot first, then the table grows again.
        let a = pool.acquire(10).unwrap();
        let b = pool.acquire(11).unwrap();
        assert_eq!((a.index(), b.index()), (1, 4));
        for stale in [h[1], h[4], h[5]] {
            assert_eq!(pool.get(stale), Err(PoolError::Stale), "{stale:?}");
        }
        assert_eq!(
            (pool.get(a), pool.get(b), pool.get(h[3])),
            (Ok(&10), Ok(&11), Ok(&3))
        );
        // Everything released: the whole table goes.
        for live in [h[0], h[2], h[3], a, b] {
            pool.release(live).unwrap();
        }
        assert_eq!((pool.trim(), pool.used(), pool.entries.len()), (5, 0, 0));
    }

    #[test]
    fn a_trimmed_slot_written_again_never_takes_an_old_handle() {
        let mut pool = ObjectPool::with_table(1, heapless::Vec::<_, 2>::new());
        // Slot 0 goes through many occupants, so its handles carry high generations.
        let old: Vec<_> = (0..5)
            .map(|v| {
                let h = pool.acquire(v).unwrap();
                pool.release(h).unwrap();
                h
            })
            .collect();
        assert_eq!(pool.trim(), 1);
        for v in 0..5 {
            let new = pool.acquire(v).unwrap();
            assert!(old.iter().all(|&h| h != new && pool.get(h).is_err()));
            pool.release(new).unwrap();
            assert_eq!(pool.trim(), 1);
        }
    }

    #[test]
    fn trimming_memory_written_whole_keeps_it_and_stays_safe() {
        let mut pool: InlinePool<u32, 3> = InlinePool::new(1);
        let h: Vec<_> = (0..3).map(|v| pool.acquire(v).unwrap()).collect();
        pool.release(h[2]).unwrap();
        pool.release(h[1]).unwrap();
        assert_eq!((pool.trim(), pool.used()), (2, 1));
        let again = pool.acquire(7).unwrap();
        assert_eq!(again.index(), 1);
        assert_eq!(
            (pool.get(h[1]), pool.get(h[2])),
            (Err(PoolError::Stale), Err(PoolError::Stale))
        );
        assert_eq!(pool.handle_at(2), None);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Acquire(u32),
        Release(usize),
        Mutate(usize),
        UseDead(usize),
        Trim,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            any::<u32>().prop_map(Op::Acquire),
            any::<usize>().prop_map(Op::Release),
            any::<usize>().prop_map(Op::Mutate),
            any::<usize>().prop_map(Op::UseDead),
            Just(Op::Trim),
        ]
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 256 },
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// Runs `ops` on `pool` (4 slots) against a model of its live values; with `Trim` the pool
    /// must shrink to its highest live slot, and dead handles must stay dead throughout.
    fn churn<Tb: Table<Entry<u32>>>(
        mut pool: ObjectPool<u32, Tb>,
        ops: Vec<Op>,
    ) -> Result<(), TestCaseError> {
        let mut model: BTreeMap<u32, (ObjectHandle, u32)> = BTreeMap::new();
        let mut dead: Vec<ObjectHandle> = Vec::new();
        for op in ops {
            let keys: Vec<u32> = model.keys().copied().collect();
            match op {
                Op::Acquire(v) => match pool.acquire(v) {
                    Ok(h) => {
                        prop_assert!(h.index() < 4);
                        prop_assert!(
                            model.insert(h.index, (h, v)).is_none(),
                            "index reused while live"
                        );
                    }
                    Err(back) => {
                        prop_assert_eq!(back, v);
                        prop_assert_eq!(model.len(), 4);
                    }
                },
                Op::Release(i) if !keys.is_empty() => {
                    let (h, v) = model.remove(&keys[i % keys.len()]).unwrap();
                    prop_assert_eq!(pool.release(h), Ok(v));
                    dead.push(h);
                }
                Op::Mutate(i) if !keys.is_empty() => {
                    let entry = model.get_mut(&keys[i % keys.len()]).unwrap();
                    let value = pool.get_mut(entry.0).unwrap();
                    *value = value.wrapping_add(1);
                    entry.1 = entry.1.wrapping_add(1);
                }
                Op::UseDead(i) if !dead.is_empty() => {
                    let h = dead[i % dead.len()];
                    let e = pool.release(h).unwrap_err();
                    prop_assert!(matches!(e, PoolError::Stale | PoolError::Released));
                    prop_assert!(pool.get(h).is_err());
                }
                Op::Trim => {
                    let used = pool.used();
                    let keep = model.keys().next_back().map_or(0, |&top| top as usize + 1);
                    prop_assert_eq!(pool.trim(), used - keep);
                    prop_assert_eq!(pool.used(), keep);
                }
                _ => {}
            }
            prop_assert_eq!(pool.len(), model.len());
            let seen: Vec<_> = pool.iter().map(|(h, v)| (h, *v)).collect();
            let expected: Vec<_> = model.values().copied().collect();
            prop_assert_eq!(seen, expected);
            for &h in &dead {
                prop_assert!(pool.get(h).is_err(), "a dead handle reached {:?}", h);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn object_pool_churn(ops in proptest::collection::vec(op(), 1..if cfg!(miri) { 24 } else { 96 })) {
            let pool: InlinePool<u32, 4> = InlinePool::new(7);
            churn(pool, ops)?;
        }

        #[test]
        fn a_trimmed_table_churns_like_the_model(
            ops in proptest::collection::vec(op(), 1..if cfg!(miri) { 24 } else { 96 }),
        ) {
            churn(ObjectPool::with_table(7, heapless::Vec::<_, 4>::new()), ops)?;
        }
    }
}
