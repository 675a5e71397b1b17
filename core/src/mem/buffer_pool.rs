//! Byte buffers in five size classes, carved out of memory the caller hands in.
//!
//! This module owns the bookkeeping of a [`BufferPool`]: which buffer of which class is free,
//! which generation each slot is on, and the per-class statistics. The caller owns every byte:
//! the buffers themselves and the [`Slot`] bookkeeping both arrive as `&'a mut` slices, one pair
//! per [`SizeClass`], in a [`ClassRegion`]. Nothing here allocates, panics on a bad handle, or
//! hands out a pointer: a [`BufferHandle`] is an index with a generation, and the bytes are only
//! reachable through [`BufferPool::bytes`] and [`BufferPool::bytes_mut`], which check it.
//!
//! Acquire and release are O(1): each class keeps a free list threaded through its slots (never
//! through the buffers), so the list is bounded by the class's capacity. Building a pool
//! writes nothing into the caller's memory: a class hands out its buffers in index order the
//! first time, and reuses released ones before new ones, so a buffer's bytes (and its slot)
//! are first touched when that many buffers of its class are first in use at once. Memory the
//! operating system maps lazily stays unmapped until then. A handle whose slot was released and
//! handed out again is [`PoolError::Stale`]; releasing twice is [`PoolError::Released`]; a handle
//! from another pool (every pool has a caller-chosen id baked into its handles) is
//! [`PoolError::Foreign`].
//!
//! Connection buffers start small and [`grow`](BufferPool::grow) into a larger class only when a
//! request needs it; growing copies the bytes in use and leaves the old handle valid if it fails.

use core::fmt;

use super::SIZE_CLASSES;

/// One of the five buffer sizes of [`SIZE_CLASSES`], smallest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SizeClass {
    /// 1 KiB buffers.
    Kib1,
    /// 4 KiB buffers.
    Kib4,
    /// 16 KiB buffers.
    Kib16,
    /// 64 KiB buffers.
    Kib64,
    /// 256 KiB buffers.
    Kib256,
}

impl SizeClass {
    /// Every class, smallest first, in the order of [`SIZE_CLASSES`].
    pub const ALL: [SizeClass; 5] = [
        SizeClass::Kib1,
        SizeClass::Kib4,
        SizeClass::Kib16,
        SizeClass::Kib64,
        SizeClass::Kib256,
    ];

    /// The position of this class in [`SIZE_CLASSES`] and [`SizeClass::ALL`].
    pub const fn index(self) -> usize {
        match self {
            SizeClass::Kib1 => 0,
            SizeClass::Kib4 => 1,
            SizeClass::Kib16 => 2,
            SizeClass::Kib64 => 3,
            SizeClass::Kib256 => 4,
        }
    }

    /// The class at `index` in [`SizeClass::ALL`], if there is one.
    pub const fn from_index(index: usize) -> Option<SizeClass> {
        match index {
            0 => Some(SizeClass::Kib1),
            1 => Some(SizeClass::Kib4),
            2 => Some(SizeClass::Kib16),
            3 => Some(SizeClass::Kib64),
            4 => Some(SizeClass::Kib256),
            _ => None,
        }
    }

    /// The length in bytes of every buffer of this class.
    pub const fn bytes(self) -> usize {
        SIZE_CLASSES[self.index()]
    }

    /// The smallest class whose buffers hold at least `len` bytes, or `None` above
    /// [`MAX_BUFFER_BYTES`](super::MAX_BUFFER_BYTES).
    pub const fn fitting(len: usize) -> Option<SizeClass> {
        let mut index = 0;
        while index < SIZE_CLASSES.len() {
            if SIZE_CLASSES[index] >= len {
                return SizeClass::from_index(index);
            }
            index += 1;
        }
        None
    }

    /// The next larger class, or `None` for the largest.
    pub const fn larger(self) -> Option<SizeClass> {
        SizeClass::from_index(self.index() + 1)
    }
}

impl fmt::Display for SizeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SizeClass::Kib1 => "1 KiB",
            SizeClass::Kib4 => "4 KiB",
            SizeClass::Kib16 => "16 KiB",
            SizeClass::Kib64 => "64 KiB",
            SizeClass::Kib256 => "256 KiB",
        })
    }
}

/// What an acquire does when the class it asked for has no free buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Spill {
    /// Fail with [`PoolError::Exhausted`].
    Never,
    /// Try each larger class in turn and take the first free buffer. Every exhausted class
    /// tried on the way counts a miss.
    ToLarger,
}

/// Why a pool operation failed. Every variant leaves the pool and the handles it has handed
/// out exactly as they were.
///
/// [`ObjectPool`](super::object_pool::ObjectPool) reports handle errors with the same type
/// (only [`Foreign`](PoolError::Foreign), [`Stale`](PoolError::Stale) and
/// [`Released`](PoolError::Released) occur there).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PoolError {
    /// The handle was not made by this pool: its pool id or its slot does not belong here.
    Foreign,
    /// The handle's slot was released and handed out again since the handle was made.
    Stale,
    /// The handle's slot was already released (a double release, or use after release).
    Released,
    /// The class asked for (and, when spilling, every larger class) has no free buffer.
    Exhausted,
    /// The requested length is larger than [`MAX_BUFFER_BYTES`](super::MAX_BUFFER_BYTES).
    TooLarge,
    /// Two handles that must name different buffers name the same one.
    Aliased,
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PoolError::Foreign => "handle belongs to another pool",
            PoolError::Stale => "handle is stale: its slot was reused",
            PoolError::Released => "handle was already released",
            PoolError::Exhausted => "pool exhausted",
            PoolError::TooLarge => "requested length exceeds the largest buffer class",
            PoolError::Aliased => "both handles name the same buffer",
        })
    }
}

impl core::error::Error for PoolError {}

/// A buffer acquired from a [`BufferPool`]: the pool's id, the class, the slot index and the
/// slot's generation at the time of the acquire. `Copy` and 12 bytes; it holds no pointer, so
/// it can be stored anywhere and checked later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BufferHandle {
    generation: u32,
    index: u32,
    pool: u16,
    class: SizeClass,
}

impl BufferHandle {
    /// The class of the buffer.
    pub const fn class(self) -> SizeClass {
        self.class
    }

    /// The length of the buffer in bytes (that of its class).
    pub const fn capacity(self) -> usize {
        self.class.bytes()
    }

    /// The id of the pool that made this handle.
    pub const fn pool(self) -> u16 {
        self.pool
    }
}

/// Bookkeeping for one buffer of a class: its generation and whether it is free.
///
/// The caller provides one per buffer, e.g. `static mut SLOTS: [Slot; 64] = [Slot::EMPTY; 64]`
/// or an array on a stack. The contents are private to the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    generation: u32,
    state: SlotState,
}

/// Where a slot is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotState {
    /// On the class's free list; `next` is the following free slot.
    Free { next: Option<u32> },
    /// Handed out under the slot's current generation.
    InUse,
}

impl Slot {
    /// A free slot on generation zero, for initialising slot arrays.
    pub const EMPTY: Slot = Slot {
        generation: 0,
        state: SlotState::Free { next: None },
    };
}

impl Default for Slot {
    fn default() -> Self {
        Slot::EMPTY
    }
}

/// The memory for one size class: the buffers' bytes and one [`Slot`] per buffer.
///
/// The class holds `min(bytes.len() / class bytes, slots.len())` buffers (at most
/// `u32::MAX`); bytes or slots beyond that are left untouched. Use
/// [`ClassRegion::empty`] for a class the pool should not serve.
#[derive(Debug)]
pub struct ClassRegion<'a> {
    /// The buffers, back to back.
    pub bytes: &'a mut [u8],
    /// One slot per buffer.
    pub slots: &'a mut [Slot],
}

impl<'a> ClassRegion<'a> {
    /// A class region over `bytes` with `slots` for bookkeeping.
    pub fn new(bytes: &'a mut [u8], slots: &'a mut [Slot]) -> Self {
        ClassRegion { bytes, slots }
    }

    /// A class with no buffers: every acquire of it is a miss.
    pub fn empty() -> Self {
        ClassRegion {
            bytes: &mut [],
            slots: &mut [],
        }
    }
}

/// Statistics of one size class, a snapshot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ClassStats {
    /// How many buffers the class holds.
    pub capacity: usize,
    /// Buffers handed out now.
    pub in_use: usize,
    /// The most buffers ever handed out at once.
    pub high_water: usize,
    /// Successful acquires (including those that landed here by spilling, and growth targets).
    pub acquires: u64,
    /// Successful releases (including buffers vacated by growth).
    pub releases: u64,
    /// Acquires this class could not serve because it had no free buffer.
    pub misses: u64,
}

/// Byte buffers in the five [`SizeClass`]es over caller memory, with checked handles.
///
/// # Invariants a caller can rely on
///
/// - Two live handles never share a byte.
/// - A handle stays valid until it is released (or replaced by a successful
///   [`grow`](BufferPool::grow)); afterwards every use is an `Err`, never another buffer.
/// - Buffers are not cleared between occupants: [`bytes`](BufferPool::bytes) shows whatever
///   the previous occupant left. Track the length you filled.
/// - Generations are 32 bits: a handle kept across 2³² reuses of its slot would be taken
///   for the current occupant. Pool ids are chosen by the caller; give each pool its own.
///
/// # Examples
///
/// ```
/// use aurora_core::mem::buffer_pool::{BufferPool, ClassRegion, SizeClass, Slot, Spill};
///
/// let mut small = [0u8; 4 * 1024];
/// let mut small_slots = [Slot::EMPTY; 4];
/// let mut large = [0u8; 16 * 1024];
/// let mut large_slots = [Slot::EMPTY; 1];
/// let mut pool = BufferPool::new(
///     7,
///     [
///         ClassRegion::new(&mut small, &mut small_slots),
///         ClassRegion::empty(),
///         ClassRegion::new(&mut large, &mut large_slots),
///         ClassRegion::empty(),
///         ClassRegion::empty(),
///     ],
/// );
///
/// let buf = pool.acquire_len(600, Spill::Never)?;
/// assert_eq!(buf.class(), SizeClass::Kib1);
/// pool.bytes_mut(buf)?[..5].copy_from_slice(b"hello");
///
/// // The head outgrew 1 KiB: move it into the smallest class that fits, keeping 5 bytes.
/// let buf = pool.grow(buf, 10 * 1024, 5, Spill::Never)?;
/// assert_eq!(buf.class(), SizeClass::Kib16);
/// assert_eq!(&pool.bytes(buf)?[..5], b"hello");
///
/// pool.release(buf)?;
/// assert!(pool.release(buf).is_err());
/// # Ok::<(), aurora_core::mem::buffer_pool::PoolError>(())
/// ```
pub struct BufferPool<'a> {
    id: u16,
    classes: [Class<'a>; 5],
}

/// One class's memory and its bookkeeping.
struct Class<'a> {
    book: Book<'a>,
    /// Exactly `capacity * size` bytes.
    bytes: &'a mut [u8],
}

/// One class's free list, fresh mark and counters: everything of a class but its bytes, so a
/// [`Lent`] view can keep the bookkeeping whole while one buffer's bytes are lent out.
struct Book<'a> {
    size: usize,
    /// Exactly `capacity` slots.
    slots: &'a mut [Slot],
    /// Head of the free list threaded through `slots`.
    free: Option<u32>,
    /// Slots from `fresh` on have never been handed out by this pool; they are taken in order
    /// once the free list is empty.
    fresh: u32,
    stats: ClassStats,
}

impl<'a> BufferPool<'a> {
    /// A pool with id `id` over one [`ClassRegion`] per class, in the order of
    /// [`SizeClass::ALL`]. All buffers start free. Nothing is written into the regions: a slot
    /// and its buffer are first written when the buffer is first handed out.
    ///
    /// Slot generations are kept as found, so if `slots` served an earlier pool with the same
    /// id, that pool's handles stay stale here.
    pub fn new(id: u16, regions: [ClassRegion<'a>; 5]) -> Self {
        // One region per class, so `next` never runs out. A map rather than five `Class::new`
        // calls: small targets get one loop instead of five unrolled copies.
        let mut classes = SizeClass::ALL.into_iter();
        BufferPool {
            id,
            classes: regions
                .map(|region| Class::new(classes.next().unwrap_or(SizeClass::Kib1), region)),
        }
    }

    /// The id baked into every handle of this pool.
    pub const fn id(&self) -> u16 {
        self.id
    }

    /// How many buffers `class` holds.
    pub fn capacity(&self, class: SizeClass) -> usize {
        self.classes[class.index()].book.stats.capacity
    }

    /// A snapshot of the statistics of `class`.
    pub fn stats(&self, class: SizeClass) -> ClassStats {
        self.classes[class.index()].book.stats
    }

    /// Takes a free buffer of `class`, or with [`Spill::ToLarger`] of the first larger class
    /// that has one. O(1) per class tried.
    ///
    /// # Errors
    ///
    /// [`PoolError::Exhausted`] if no class tried has a free buffer; each counts a miss.
    pub fn acquire(&mut self, class: SizeClass, spill: Spill) -> Result<BufferHandle, PoolError> {
        let mut next = Some(class);
        while let Some(class) = next {
            if let Some(handle) = self.take(class) {
                return Ok(handle);
            }
            next = match spill {
                Spill::Never => None,
                Spill::ToLarger => class.larger(),
            };
        }
        Err(PoolError::Exhausted)
    }

    /// Takes a free buffer of at least `min_len` bytes: [`acquire`](BufferPool::acquire) of
    /// the smallest class that fits.
    ///
    /// # Errors
    ///
    /// [`PoolError::TooLarge`] if `min_len` exceeds [`MAX_BUFFER_BYTES`](super::MAX_BUFFER_BYTES) (no miss is counted);
    /// otherwise as [`acquire`](BufferPool::acquire).
    pub fn acquire_len(&mut self, min_len: usize, spill: Spill) -> Result<BufferHandle, PoolError> {
        let class = SizeClass::fitting(min_len).ok_or(PoolError::TooLarge)?;
        self.acquire(class, spill)
    }

    /// Returns the buffer of `handle` to its class. O(1). The bytes are not cleared.
    ///
    /// # Errors
    ///
    /// [`PoolError::Foreign`], [`PoolError::Stale`] or [`PoolError::Released`] if `handle`
    /// is not a live handle of this pool; nothing changes then.
    pub fn release(&mut self, handle: BufferHandle) -> Result<(), PoolError> {
        let index = self.check(handle)?;
        self.classes[handle.class.index()].book.free_slot(index);
        Ok(())
    }

    /// The whole buffer of `handle` (its class's length).
    ///
    /// # Errors
    ///
    /// [`PoolError::Foreign`], [`PoolError::Stale`] or [`PoolError::Released`] if `handle`
    /// is not a live handle of this pool.
    pub fn bytes(&self, handle: BufferHandle) -> Result<&[u8], PoolError> {
        let index = self.check(handle)?;
        let class = &self.classes[handle.class.index()];
        let start = class.book.start(index);
        // `check` proved `index < capacity`, and `bytes` holds exactly `capacity * size` bytes,
        // so the range is in bounds; `get` keeps it panic-free regardless.
        class
            .bytes
            .get(start..start + class.book.size)
            .ok_or(PoolError::Foreign)
    }

    /// The whole buffer of `handle` (its class's length), writable.
    ///
    /// # Errors
    ///
    /// [`PoolError::Foreign`], [`PoolError::Stale`] or [`PoolError::Released`] if `handle`
    /// is not a live handle of this pool.
    pub fn bytes_mut(&mut self, handle: BufferHandle) -> Result<&mut [u8], PoolError> {
        let index = self.check(handle)?;
        let class = &mut self.classes[handle.class.index()];
        let start = class.book.start(index);
        let size = class.book.size;
        // In bounds for the reason given in `bytes`.
        class
            .bytes
            .get_mut(start..start + size)
            .ok_or(PoolError::Foreign)
    }

    /// The buffers of `read` and `write` at once: the first to read from, the second to write
    /// into (a connection's request and response buffers, say).
    ///
    /// # Errors
    ///
    /// As [`bytes`](Self::bytes) for either handle, and [`PoolError::Aliased`] if both name the
    /// same buffer.
    pub fn bytes_pair_mut(
        &mut self,
        read: BufferHandle,
        write: BufferHandle,
    ) -> Result<(&[u8], &mut [u8]), PoolError> {
        let r = self.check(read)?;
        let w = self.check(write)?;
        let (rc, wc) = (read.class.index(), write.class.index());
        if rc != wc {
            // Different classes: split the class array between them.
            let (low, high) = self.classes.split_at_mut(rc.max(wc));
            let (Some(first), Some(second)) = (low.get_mut(rc.min(wc)), high.first_mut()) else {
                return Err(PoolError::Foreign);
            };
            let (rclass, wclass) = if rc < wc {
                (first, second)
            } else {
                (second, first)
            };
            let rs = rclass.book.start(r);
            let ws = wclass.book.start(w);
            let rbytes = rclass.bytes.get(rs..rs + rclass.book.size);
            let wsize = wclass.book.size;
            let wbytes = wclass.bytes.get_mut(ws..ws + wsize);
            return match (rbytes, wbytes) {
                (Some(rb), Some(wb)) => Ok((rb, wb)),
                _ => Err(PoolError::Foreign),
            };
        }
        if r == w {
            return Err(PoolError::Aliased);
        }
        // One class, two slots: split its bytes at the later slot's start. Both indices passed
        // `check`, so both slots lie inside `bytes`; `get` keeps it panic-free regardless.
        let class = &mut self.classes[rc];
        let size = class.book.size;
        let (rs, ws) = (class.book.start(r), class.book.start(w));
        let (low, high) = class.bytes.split_at_mut(rs.max(ws).min(class.bytes.len()));
        let (rbytes, wbytes): (Option<&[u8]>, Option<&mut [u8]>) = if rs < ws {
            (low.get(rs..rs + size), high.get_mut(..size))
        } else {
            (high.get(..size), low.get_mut(ws..ws + size))
        };
        match (rbytes, wbytes) {
            (Some(rb), Some(wb)) => Ok((rb, wb)),
            _ => Err(PoolError::Foreign),
        }
    }

    /// Moves the buffer of `handle` into the smallest class of at least `min_len` bytes (or
    /// with [`Spill::ToLarger`] a larger one if that class is exhausted), copies its first
    /// `used` bytes (at most the old buffer's length) and releases the old slot. Returns the
    /// new handle; the old one is then [`Released`](PoolError::Released).
    ///
    /// If the buffer already holds `min_len` bytes, nothing moves and `handle` comes back.
    ///
    /// # Errors
    ///
    /// [`PoolError::Foreign`], [`PoolError::Stale`] or [`PoolError::Released`] for a handle
    /// that is not live here; [`PoolError::TooLarge`] if `min_len` exceeds
    /// [`MAX_BUFFER_BYTES`](super::MAX_BUFFER_BYTES); [`PoolError::Exhausted`] if no target class has a free buffer.
    /// On every error `handle` stays valid and its contents untouched.
    pub fn grow(
        &mut self,
        handle: BufferHandle,
        min_len: usize,
        used: usize,
        spill: Spill,
    ) -> Result<BufferHandle, PoolError> {
        if handle.capacity() >= min_len {
            // Nothing moves: no view of the pool is needed.
            self.check(handle)?;
            return Ok(handle);
        }
        self.view().grow(handle, min_len, used, spill)
    }

    /// Pops a free slot of `class`, or counts a miss.
    fn take(&mut self, class: SizeClass) -> Option<BufferHandle> {
        self.classes[class.index()].book.take(self.id, class)
    }

    /// The slot index of `handle` if it is live in this pool.
    fn check(&self, handle: BufferHandle) -> Result<u32, PoolError> {
        check(self.id, &self.classes[handle.class.index()].book, handle)
    }

    /// Lends the buffer of `read` out and hands back the rest of the pool, which can still
    /// acquire, grow, write and release every other buffer: a connection reads a request (or
    /// unmasks WebSocket frames in place) in one buffer while its response grows in another.
    ///
    /// # Errors
    ///
    /// As [`bytes`](Self::bytes) when `read` is not live here.
    #[inline]
    pub fn lend(&mut self, read: BufferHandle) -> Result<(&mut [u8], Lent<'_, 'a>), PoolError> {
        let index = self.check(read)?;
        let id = self.id;
        let (below, rest) = self.classes.split_at_mut(read.class.index());
        let Some((class, above)) = rest.split_first_mut() else {
            return Err(PoolError::Foreign);
        };
        let Class { book, bytes } = class;
        // A checked index lies below capacity, so both splits are in bounds; `min` keeps them
        // panic-free regardless.
        let start = book.start(index).min(bytes.len());
        let (before, rest) = bytes.split_at_mut(start);
        let (lent, after) = rest.split_at_mut(book.size.min(rest.len()));
        let cut = Cut {
            book,
            before,
            after,
            hole: index,
        };
        let view = Lent {
            id,
            below,
            above,
            cut: Some(cut),
        };
        Ok((lent, view))
    }

    /// The whole pool as a [`Lent`] view with nothing lent.
    fn view(&mut self) -> Lent<'_, 'a> {
        Lent {
            id: self.id,
            below: &mut self.classes,
            above: &mut [],
            cut: None,
        }
    }
}

/// What a buffer's user needs of its pool: a whole [`BufferPool`], or one with a buffer lent
/// out ([`Lent`]). The methods are those of the pool.
pub trait Buffers {
    /// As [`BufferPool::acquire`].
    ///
    /// # Errors
    ///
    /// As [`BufferPool::acquire`].
    fn acquire(&mut self, class: SizeClass, spill: Spill) -> Result<BufferHandle, PoolError>;
    /// As [`BufferPool::grow`].
    ///
    /// # Errors
    ///
    /// As [`BufferPool::grow`].
    fn grow(
        &mut self,
        handle: BufferHandle,
        min_len: usize,
        used: usize,
        spill: Spill,
    ) -> Result<BufferHandle, PoolError>;
    /// As [`BufferPool::bytes_mut`].
    ///
    /// # Errors
    ///
    /// As [`BufferPool::bytes_mut`].
    fn bytes_mut(&mut self, handle: BufferHandle) -> Result<&mut [u8], PoolError>;
    /// As [`BufferPool::release`].
    ///
    /// # Errors
    ///
    /// As [`BufferPool::release`].
    fn release(&mut self, handle: BufferHandle) -> Result<(), PoolError>;
}

/// Implements [`Buffers`] for a type by its inherent methods of the same names.
macro_rules! buffers_by_inherent_methods {
    ($ty:ty) => {
        impl Buffers for $ty {
            fn acquire(
                &mut self,
                class: SizeClass,
                spill: Spill,
            ) -> Result<BufferHandle, PoolError> {
                <$ty>::acquire(self, class, spill)
            }

            fn grow(
                &mut self,
                handle: BufferHandle,
                min_len: usize,
                used: usize,
                spill: Spill,
            ) -> Result<BufferHandle, PoolError> {
                <$ty>::grow(self, handle, min_len, used, spill)
            }

            fn bytes_mut(&mut self, handle: BufferHandle) -> Result<&mut [u8], PoolError> {
                <$ty>::bytes_mut(self, handle)
            }

            fn release(&mut self, handle: BufferHandle) -> Result<(), PoolError> {
                <$ty>::release(self, handle)
            }
        }
    };
}

buffers_by_inherent_methods!(BufferPool<'_>);
buffers_by_inherent_methods!(Lent<'_, '_>);

/// A [`BufferPool`] with one buffer lent out for reading ([`BufferPool::lend`]): every other
/// buffer can be acquired, grown, written and released as in the pool itself. Using the lent
/// buffer's handle here is [`PoolError::Aliased`].
pub struct Lent<'l, 'a> {
    id: u16,
    /// The classes below the lent buffer's (all of them when none is lent).
    below: &'l mut [Class<'a>],
    /// The classes above the lent buffer's.
    above: &'l mut [Class<'a>],
    /// The lent buffer's class, cut around it.
    cut: Option<Cut<'l, 'a>>,
}

/// The class of a lent buffer: its bookkeeping and its bytes before and after the buffer.
struct Cut<'l, 'a> {
    book: &'l mut Book<'a>,
    before: &'l mut [u8],
    after: &'l mut [u8],
    /// The lent buffer's slot.
    hole: u32,
}

impl<'a> Lent<'_, 'a> {
    /// As [`BufferPool::acquire`].
    ///
    /// # Errors
    ///
    /// As [`BufferPool::acquire`].
    pub fn acquire(&mut self, class: SizeClass, spill: Spill) -> Result<BufferHandle, PoolError> {
        let mut next = Some(class);
        let id = self.id;
        while let Some(class) = next {
            if let Some(handle) = self.book_mut(class).and_then(|book| book.take(id, class)) {
                return Ok(handle);
            }
            next = match spill {
                Spill::Never => None,
                Spill::ToLarger => class.larger(),
            };
        }
        Err(PoolError::Exhausted)
    }

    /// As [`BufferPool::release`].
    ///
    /// # Errors
    ///
    /// As [`BufferPool::release`], and [`PoolError::Aliased`] for the lent buffer.
    pub fn release(&mut self, handle: BufferHandle) -> Result<(), PoolError> {
        let index = self.check(handle)?;
        if let Some(book) = self.book_mut(handle.class) {
            book.free_slot(index);
        }
        Ok(())
    }

    /// As [`BufferPool::bytes_mut`].
    ///
    /// # Errors
    ///
    /// As [`BufferPool::bytes_mut`], and [`PoolError::Aliased`] for the lent buffer.
    pub fn bytes_mut(&mut self, handle: BufferHandle) -> Result<&mut [u8], PoolError> {
        let index = self.check(handle)?;
        self.buffer_mut(handle.class, index)
            .ok_or(PoolError::Foreign)
    }

    /// As [`BufferPool::grow`].
    ///
    /// # Errors
    ///
    /// As [`BufferPool::grow`], and [`PoolError::Aliased`] for the lent buffer.
    pub fn grow(
        &mut self,
        handle: BufferHandle,
        min_len: usize,
        used: usize,
        spill: Spill,
    ) -> Result<BufferHandle, PoolError> {
        let old_index = self.check(handle)?;
        if handle.capacity() >= min_len {
            return Ok(handle);
        }
        let target = SizeClass::fitting(min_len).ok_or(PoolError::TooLarge)?;
        let new = self.acquire(target, spill)?;
        // Copied through a small stack buffer, a piece at a time, so that only one of the
        // two buffers is borrowed at once (growth is rare; the copy is at most 64 KiB).
        let count = used.min(handle.capacity());
        let mut piece = [0u8; 1024];
        let mut done = 0;
        while done < count {
            let n = (count - done).min(piece.len());
            let read = self
                .buffer_mut(handle.class, old_index)
                .and_then(|from| from.get(done..done + n));
            let Some(read) = read else { break };
            piece[..n].copy_from_slice(read);
            let write = self
                .buffer_mut(new.class, new.index)
                .and_then(|to| to.get_mut(done..done + n));
            let Some(write) = write else { break };
            write.copy_from_slice(&piece[..n]);
            done += n;
        }
        if done < count {
            if let Some(book) = self.book_mut(new.class) {
                book.free_slot(new.index);
            }
            return Err(PoolError::Foreign);
        }
        if let Some(book) = self.book_mut(handle.class) {
            book.free_slot(old_index);
        }
        Ok(new)
    }

    /// The slot index of `handle` if it is live here and not the lent buffer.
    fn check(&mut self, handle: BufferHandle) -> Result<u32, PoolError> {
        let id = self.id;
        let (book, hole) = self.class_mut(handle.class);
        let index = check(id, book.ok_or(PoolError::Foreign)?, handle)?;
        if hole == Some(index) {
            return Err(PoolError::Aliased);
        }
        Ok(index)
    }

    /// The bookkeeping of `class`.
    fn book_mut(&mut self, class: SizeClass) -> Option<&mut Book<'a>> {
        self.class_mut(class).0
    }

    /// The bookkeeping of `class`, and the lent slot if it is the lent buffer's class.
    fn class_mut(&mut self, class: SizeClass) -> (Option<&mut Book<'a>>, Option<u32>) {
        let i = class.index();
        let below = self.below.len();
        match (&mut self.cut, i.checked_sub(below)) {
            (_, None) => (self.below.get_mut(i).map(|c| &mut c.book), None),
            (Some(cut), Some(0)) => (Some(&mut *cut.book), Some(cut.hole)),
            (Some(_), Some(up)) => (self.above.get_mut(up - 1).map(|c| &mut c.book), None),
            (None, Some(_)) => (None, None),
        }
    }

    /// Slot `index`'s buffer of `class`, writable; `None` for the lent one.
    fn buffer_mut(&mut self, class: SizeClass, index: u32) -> Option<&mut [u8]> {
        let i = class.index();
        let below = self.below.len();
        let size = class.bytes();
        let start = (index as usize).checked_mul(size)?;
        let (bytes, start) = match (&mut self.cut, i.checked_sub(below)) {
            (_, None) => (&mut *self.below.get_mut(i)?.bytes, start),
            (Some(cut), Some(0)) => match index.cmp(&cut.hole) {
                core::cmp::Ordering::Less => (&mut *cut.before, start),
                core::cmp::Ordering::Equal => return None,
                core::cmp::Ordering::Greater => {
                    let skip = (cut.hole as usize + 1).checked_mul(size)?;
                    (&mut *cut.after, start.checked_sub(skip)?)
                }
            },
            (Some(_), Some(up)) => (&mut *self.above.get_mut(up - 1)?.bytes, start),
            (None, Some(_)) => return None,
        };
        bytes.get_mut(start..start.checked_add(size)?)
    }
}

impl fmt::Debug for Lent<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lent")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The slot index of `handle` if it is live in the class `book` of pool `id`.
fn check(id: u16, book: &Book<'_>, handle: BufferHandle) -> Result<u32, PoolError> {
    if handle.pool != id {
        return Err(PoolError::Foreign);
    }
    let slot = book
        .slots
        .get(handle.index as usize)
        .ok_or(PoolError::Foreign)?;
    if slot.generation != handle.generation {
        return Err(PoolError::Stale);
    }
    if handle.index >= book.fresh {
        // Not handed out by this pool yet: an earlier pool's handle, released with it.
        return Err(PoolError::Released);
    }
    match slot.state {
        SlotState::InUse => Ok(handle.index),
        SlotState::Free { .. } => Err(PoolError::Released),
    }
}

impl fmt::Debug for BufferPool<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_struct("BufferPool");
        list.field("id", &self.id);
        for class in &self.classes {
            list.field("class", &class.book.stats);
        }
        list.finish()
    }
}

impl<'a> Class<'a> {
    /// Takes the usable part of `region`, writing nothing into it.
    fn new(class: SizeClass, region: ClassRegion<'a>) -> Self {
        let size = class.bytes();
        let capacity = (region.bytes.len() / size)
            .min(region.slots.len())
            .min(u32::MAX as usize);
        // `capacity` is at most both lengths, so both splits are in bounds.
        let (bytes, _) = region.bytes.split_at_mut(capacity * size);
        let (slots, _) = region.slots.split_at_mut(capacity);
        Class {
            book: Book {
                size,
                slots,
                free: None,
                fresh: 0,
                stats: ClassStats {
                    capacity,
                    ..ClassStats::default()
                },
            },
            bytes,
        }
    }
}

impl Book<'_> {
    /// The offset of slot `index`'s buffer in its class's bytes.
    fn start(&self, index: u32) -> usize {
        // Callers pass a checked index below capacity, so this is below the bytes' length.
        index as usize * self.size
    }

    /// Pops a free slot as a handle of pool `id` and `class`, or counts a miss.
    fn take(&mut self, id: u16, class: SizeClass) -> Option<BufferHandle> {
        let index = if let Some(index) = self.free {
            // Free-list entries are always handed-out indices below capacity (set by
            // `free_slot`), so this lookup succeeds; a miss would mean a corrupted list, which
            // we report as exhaustion rather than panic.
            let SlotState::Free { next } = self.slots.get(index as usize)?.state else {
                return None;
            };
            self.free = next;
            index
        } else if (self.fresh as usize) < self.stats.capacity {
            self.fresh += 1; // at most the capacity, which fits in u32
            self.fresh - 1
        } else {
            self.stats.misses = self.stats.misses.saturating_add(1);
            return None;
        };
        let slot = self.slots.get_mut(index as usize)?;
        slot.generation = slot.generation.wrapping_add(1);
        slot.state = SlotState::InUse;
        let generation = slot.generation;
        let stats = &mut self.stats;
        stats.acquires = stats.acquires.saturating_add(1);
        stats.in_use += 1; // at most capacity: each in-use slot is counted once
        stats.high_water = stats.high_water.max(stats.in_use);
        Some(BufferHandle {
            generation,
            index,
            pool: id,
            class,
        })
    }

    /// Pushes the live slot `index` onto the free list. The generation stays, so the old
    /// handle now reads as [`PoolError::Released`] until the slot is handed out again.
    fn free_slot(&mut self, index: u32) {
        let Some(slot) = self.slots.get_mut(index as usize) else {
            return;
        };
        slot.state = SlotState::Free { next: self.free };
        self.free = Some(index);
        self.stats.releases = self.stats.releases.saturating_add(1);
        self.stats.in_use = self.stats.in_use.saturating_sub(1);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::mem::MAX_BUFFER_BYTES;
    use proptest::prelude::*;
    use std::vec::Vec;

    /// Buffers per class in the test pools: small so Miri stays quick.
    const PER_CLASS: [usize; 5] = [3, 2, 2, 1, 1];

    /// Owns the memory of a test pool.
    struct Memory {
        bytes: [Vec<u8>; 5],
        slots: [Vec<Slot>; 5],
    }

    impl Memory {
        fn new(per_class: [usize; 5]) -> Self {
            Memory {
                bytes: core::array::from_fn(|i| std::vec![0u8; per_class[i] * SIZE_CLASSES[i]]),
                slots: core::array::from_fn(|i| std::vec![Slot::EMPTY; per_class[i]]),
            }
        }

        fn pool(&mut self, id: u16) -> BufferPool<'_> {
            let mut bytes = self.bytes.iter_mut();
            let mut slots = self.slots.iter_mut();
            let regions = core::array::from_fn(|_| match (bytes.next(), slots.next()) {
                (Some(b), Some(s)) => ClassRegion::new(b, s),
                _ => ClassRegion::empty(),
            });
            BufferPool::new(id, regions)
        }
    }

    #[test]
    fn a_lent_buffer_is_read_while_the_rest_grows() {
        let mut memory = Memory::new(PER_CLASS);
        let mut pool = memory.pool(1);
        let before = pool.acquire(SizeClass::Kib1, Spill::Never).unwrap();
        let read = pool.acquire(SizeClass::Kib1, Spill::Never).unwrap();
        pool.bytes_mut(read).unwrap()[..4].copy_from_slice(b"read");
        let (input, mut rest) = pool.lend(read).unwrap();
        assert_eq!(&input[..4], b"read");
        assert_eq!(rest.bytes_mut(read), Err(PoolError::Aliased));
        assert_eq!(rest.release(read), Err(PoolError::Aliased));
        // Both neighbours of the lent slot stay writable.
        rest.bytes_mut(before).unwrap()[0] = b'b';
        let after = rest.acquire(SizeClass::Kib1, Spill::Never).unwrap();
        rest.bytes_mut(after).unwrap()[..3].copy_from_slice(b"out");
        let grown = rest.grow(after, 5000, 3, Spill::Never).unwrap();
        assert_eq!(grown.class(), SizeClass::Kib16);
        assert_eq!(&rest.bytes_mut(grown).unwrap()[..3], b"out");
        assert_eq!(rest.bytes_mut(after), Err(PoolError::Released));
        rest.release(grown).unwrap();
        assert_eq!(&input[..4], b"read", "the lent buffer is untouched");
        assert_eq!(pool.bytes(before).unwrap()[0], b'b');
        assert_eq!(pool.stats(SizeClass::Kib1).in_use, 2);
        pool.release(read).unwrap();
        assert!(pool.lend(read).is_err());
    }

    #[test]
    fn size_class_table() {
        // (len, smallest class that fits)
        let table: &[(usize, Option<SizeClass>)] = &[
            (0, Some(SizeClass::Kib1)),
            (1, Some(SizeClass::Kib1)),
            (1024, Some(SizeClass::Kib1)),
            (1025, Some(SizeClass::Kib4)),
            (4096, Some(SizeClass::Kib4)),
            (4097, Some(SizeClass::Kib16)),
            (16 * 1024 + 1, Some(SizeClass::Kib64)),
            (64 * 1024 + 1, Some(SizeClass::Kib256)),
            (MAX_BUFFER_BYTES, Some(SizeClass::Kib256)),
            (MAX_BUFFER_BYTES + 1, None),
            (usize::MAX, None),
        ];
        for &(len, class) in table {
            assert_eq!(SizeClass::fitting(len), class, "len {len}");
        }
        for (i, class) in SizeClass::ALL.into_iter().enumerate() {
            assert_eq!(class.index(), i);
            assert_eq!(SizeClass::from_index(i), Some(class));
            assert_eq!(class.bytes(), SIZE_CLASSES[i]);
            assert_eq!(class.larger(), SizeClass::from_index(i + 1));
        }
        assert_eq!(SizeClass::from_index(5), None);
    }

    #[test]
    fn handle_is_small() {
        assert!(core::mem::size_of::<BufferHandle>() <= 12);
    }

    #[test]
    fn capacity_is_min_of_bytes_and_slots() {
        let mut bytes = [0u8; 3 * 1024 + 100];
        let mut slots = [Slot::EMPTY; 5];
        let mut more_bytes = [0u8; 8 * 1024];
        let mut few_slots = [Slot::EMPTY; 1];
        let pool = BufferPool::new(
            1,
            [
                ClassRegion::new(&mut bytes, &mut slots),
                ClassRegion::new(&mut more_bytes, &mut few_slots),
                ClassRegion::empty(),
                ClassRegion::empty(),
                ClassRegion::empty(),
            ],
        );
        let caps: Vec<usize> = SizeClass::ALL.iter().map(|&c| pool.capacity(c)).collect();
        assert_eq!(caps, [3, 1, 0, 0, 0]);
    }

    #[test]
    fn acquire_until_exhausted_then_miss() {
        let mut mem = Memory::new(PER_CLASS);
        let mut pool = mem.pool(1);
        let a = pool.acquire(SizeClass::Kib4, Spill::Never).unwrap();
        let b = pool.acquire(SizeClass::Kib4, Spill::Never).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.capacity(), 4096);
        assert_eq!(
            pool.acquire(SizeClass::Kib4, Spill::Never),
            Err(PoolError::Exhausted)
        );
        let s = pool.stats(SizeClass::Kib4);
        assert_eq!(
            s,
            ClassStats {
                capacity: 2,
                in_use: 2,
                high_water: 2,
                acquires: 2,
                releases: 0,
                misses: 1
            }
        );
        pool.release(a).unwrap();
        let c = pool.acquire(SizeClass::Kib4, Spill::Never).unwrap();
        assert_eq!(pool.bytes(c).unwrap().len(), 4096);
        let s = pool.stats(SizeClass::Kib4);
        assert_eq!(
            (s.in_use, s.high_water, s.acquires, s.releases),
            (2, 2, 3, 1)
        );
    }

    #[test]
    fn spill_to_larger_counts_misses_on_the_way() {
        let mut mem = Memory::new([1, 0, 0, 1, 0]);
        let mut pool = mem.pool(1);
        let a = pool.acquire(SizeClass::Kib1, Spill::ToLarger).unwrap();
        assert_eq!(a.class(), SizeClass::Kib1);
        let b = pool.acquire(SizeClass::Kib1, Spill::ToLarger).unwrap();
        assert_eq!(b.class(), SizeClass::Kib64);
        assert_eq!(
            pool.acquire(SizeClass::Kib1, Spill::ToLarger),
            Err(PoolError::Exhausted)
        );
        let misses: Vec<u64> = SizeClass::ALL
            .iter()
            .map(|&c| pool.stats(c).misses)
            .collect();
        assert_eq!(misses, [2, 2, 2, 1, 1]);
    }

    #[test]
    fn acquire_len_table() {
        // (min_len, spill, expected class or error), each on a fresh pool with one
        // buffer in the 1 KiB and 64 KiB classes only.
        let table: &[(usize, Spill, Result<SizeClass, PoolError>)] = &[
            (0, Spill::Never, Ok(SizeClass::Kib1)),
            (1024, Spill::Never, Ok(SizeClass::Kib1)),
            (1025, Spill::Never, Err(PoolError::Exhausted)),
            (1025, Spill::ToLarger, Ok(SizeClass::Kib64)),
            (65536, Spill::Never, Ok(SizeClass::Kib64)),
            (65537, Spill::ToLarger, Err(PoolError::Exhausted)),
            (
                MAX_BUFFER_BYTES + 1,
                Spill::ToLarger,
                Err(PoolError::TooLarge),
            ),
        ];
        for &(len, spill, expected) in table {
            let mut mem = Memory::new([1, 0, 0, 1, 0]);
            let mut pool = mem.pool(1);
            let got = pool.acquire_len(len, spill).map(BufferHandle::class);
            assert_eq!(got, expected, "len {len} {spill:?}");
        }
    }

    #[test]
    fn handle_errors_table() {
        let mut mem = Memory::new(PER_CLASS);
        let mut other_mem = Memory::new(PER_CLASS);
        let mut pool = mem.pool(1);
        let mut other = other_mem.pool(2);

        let released = pool.acquire(SizeClass::Kib1, Spill::Never).unwrap();
        pool.release(released).unwrap();
        // Take every 1 KiB slot so `released`'s slot is reused under a new generation.
        let live: Vec<_> = (0..3)
            .map(|_| pool.acquire(SizeClass::Kib1, Spill::Never).unwrap())
            .collect();
        let foreign = other.acquire(SizeClass::Kib1, Spill::Never).unwrap();
        let out_of_range = BufferHandle {
            index: 3,
            ..live[0]
        };
        let wrong_class = BufferHandle {
            class: SizeClass::Kib256,
            index: 1,
            ..live[0]
        };
        pool.release(live[1]).unwrap();

        let table: &[(BufferHandle, Result<(), PoolError>)] = &[
            (live[0], Ok(())),
            (live[1], Err(PoolError::Released)),
            (released, Err(PoolError::Stale)),
            (foreign, Err(PoolError::Foreign)),
            (out_of_range, Err(PoolError::Foreign)),
            (wrong_class, Err(PoolError::Foreign)),
        ];
        for &(handle, expected) in table {
            assert_eq!(pool.bytes(handle).map(|_| ()), expected, "{handle:?}");
            assert_eq!(pool.bytes_mut(handle).map(|_| ()), expected, "{handle:?}");
            let grown = pool.grow(handle, 2048, 0, Spill::Never);
            assert_eq!(grown.map(|_| ()), expected, "{handle:?}");
        }
        // The only live handle in the table was grown and is now released.
        assert_eq!(pool.release(live[0]), Err(PoolError::Released));
        assert_eq!(pool.release(live[2]), Ok(()));
        assert_eq!(pool.release(live[2]), Err(PoolError::Released));
        assert_eq!(other.release(foreign), Ok(()));
    }

    #[test]
    fn double_release_changes_nothing() {
        let mut mem = Memory::new(PER_CLASS);
        let mut pool = mem.pool(1);
        let a = pool.acquire(SizeClass::Kib16, Spill::Never).unwrap();
        pool.release(a).unwrap();
        let before = pool.stats(SizeClass::Kib16);
        assert_eq!(pool.release(a), Err(PoolError::Released));
        assert_eq!(pool.stats(SizeClass::Kib16), before);
        // The free list is intact: both buffers can still be taken, no more.
        let b = pool.acquire(SizeClass::Kib16, Spill::Never).unwrap();
        let c = pool.acquire(SizeClass::Kib16, Spill::Never).unwrap();
        assert_ne!(b.index, c.index);
        assert!(pool.acquire(SizeClass::Kib16, Spill::Never).is_err());
    }

    #[test]
    fn same_id_new_pool_over_same_slots_keeps_old_handles_stale() {
        let mut mem = Memory::new(PER_CLASS);
        let old = {
            let mut pool = mem.pool(1);
            pool.acquire(SizeClass::Kib1, Spill::Never).unwrap()
        };
        let mut pool = mem.pool(1);
        assert_eq!(pool.bytes(old).map(|_| ()), Err(PoolError::Released));
        let new = pool.acquire(SizeClass::Kib1, Spill::Never).unwrap();
        assert_ne!(new, old);
        assert_eq!(pool.bytes(old).map(|_| ()), Err(PoolError::Stale));
    }

    #[test]
    fn building_a_pool_writes_nothing_and_buffers_come_in_index_order() {
        let mut bytes = std::vec![0xa5u8; 3 * 1024];
        // Slots as an earlier pool left them: one in use, on generation 7.
        let used = Slot {
            generation: 7,
            state: SlotState::InUse,
        };
        let mut slots = [used; 3];
        let mut pool = BufferPool::new(
            1,
            [
                ClassRegion::new(&mut bytes, &mut slots),
                ClassRegion::empty(),
                ClassRegion::empty(),
                ClassRegion::empty(),
                ClassRegion::empty(),
            ],
        );
        assert_eq!(pool.capacity(SizeClass::Kib1), 3);
        let a = pool.acquire(SizeClass::Kib1, Spill::Never).unwrap();
        let b = pool.acquire(SizeClass::Kib1, Spill::Never).unwrap();
        pool.release(a).unwrap();
        // The released buffer comes back before the third is ever touched.
        let c = pool.acquire(SizeClass::Kib1, Spill::Never).unwrap();
        assert_eq!((a.index, b.index, c.index), (0, 1, 0));
        // An earlier pool's handle to the untouched slot reads as released.
        let earlier = BufferHandle {
            index: 2,
            generation: 7,
            ..a
        };
        assert_eq!(pool.bytes(earlier).map(|_| ()), Err(PoolError::Released));
        let _ = pool;
        assert!(
            bytes.iter().all(|&b| b == 0xa5),
            "the pool wrote into its buffers"
        );
        assert_eq!(
            slots[2], used,
            "the pool wrote into a slot it never handed out"
        );
    }

    #[test]
    fn grow_keeps_contents() {
        let mut mem = Memory::new(PER_CLASS);
        let mut pool = mem.pool(1);
        let a = pool.acquire(SizeClass::Kib4, Spill::Never).unwrap();
        for (i, b) in pool.bytes_mut(a).unwrap().iter_mut().enumerate() {
            *b = i as u8;
        }
        let grown = pool.grow(a, 60 * 1024, 4096, Spill::Never).unwrap();
        assert_eq!(grown.class(), SizeClass::Kib64);
        let bytes = pool.bytes(grown).unwrap();
        assert!(bytes[..4096].iter().enumerate().all(|(i, &b)| b == i as u8));
        assert_eq!(pool.bytes(a).map(|_| ()), Err(PoolError::Released));
        assert_eq!(pool.stats(SizeClass::Kib4).in_use, 0);
        assert_eq!(pool.stats(SizeClass::Kib64).in_use, 1);
    }

    #[test]
    fn grow_copies_only_used_clamped_to_old_len() {
        let mut mem = Memory::new(PER_CLASS);
        let mut pool = mem.pool(1);
        // Dirty the 4 KiB buffers so we can see what was not copied.
        let x = pool.acquire(SizeClass::Kib4, Spill::Never).unwrap();
        pool.bytes_mut(x).unwrap().fill(0xee);
        let a = pool.acquire(SizeClass::Kib1, Spill::Never).unwrap();
        pool.bytes_mut(a).unwrap().fill(0x11);
        pool.release(x).unwrap();
        let g = pool.grow(a, 2000, 10, Spill::Never).unwrap();
        let bytes = pool.bytes(g).unwrap();
        assert!(bytes[..10].iter().all(|&b| b == 0x11));
        assert!(bytes[10..1024].iter().all(|&b| b == 0xee));
        // `used` beyond the old length copies the whole old buffer.
        let h = pool.grow(g, 10_000, usize::MAX, Spill::Never).unwrap();
        let bytes = pool.bytes(h).unwrap();
        assert!(bytes[..10].iter().all(|&b| b == 0x11));
        assert!(bytes[10..1024].iter().all(|&b| b == 0xee));
    }

    #[test]
    fn grow_that_fits_is_a_no_op() {
        let mut mem = Memory::new(PER_CLASS);
        let mut pool = mem.pool(1);
        let a = pool.acquire(SizeClass::Kib4, Spill::Never).unwrap();
        assert_eq!(pool.grow(a, 4096, 0, Spill::Never), Ok(a));
        assert_eq!(pool.grow(a, 0, 0, Spill::Never), Ok(a));
        assert_eq!(pool.stats(SizeClass::Kib4).acquires, 1);
    }

    #[test]
    fn failed_grow_leaves_old_handle_valid() {
        let mut mem = Memory::new([1, 1, 0, 1, 0]);
        let mut pool = mem.pool(1);
        let a = pool.acquire(SizeClass::Kib1, Spill::Never).unwrap();
        pool.bytes_mut(a).unwrap()[..3].copy_from_slice(b"abc");
        let table: &[(usize, Spill, PoolError)] = &[
            (MAX_BUFFER_BYTES + 1, Spill::ToLarger, PoolError::TooLarge),
            (5000, Spill::Never, PoolError::Exhausted),
            (65537, Spill::ToLarger, PoolError::Exhausted),
        ];
        for &(len, spill, err) in table {
            assert_eq!(pool.grow(a, len, 3, spill), Err(err), "len {len}");
            assert_eq!(&pool.bytes(a).unwrap()[..3], b"abc");
        }
        // Spilling reaches the 64 KiB class when 16 KiB has none.
        let g = pool.grow(a, 5000, 3, Spill::ToLarger).unwrap();
        assert_eq!(g.class(), SizeClass::Kib64);
        assert_eq!(&pool.bytes(g).unwrap()[..3], b"abc");
    }

    #[test]
    fn error_display_is_distinct() {
        let all = [
            PoolError::Foreign,
            PoolError::Stale,
            PoolError::Released,
            PoolError::Exhausted,
            PoolError::TooLarge,
        ];
        let texts: std::collections::BTreeSet<std::string::String> =
            all.iter().map(std::string::ToString::to_string).collect();
        assert_eq!(texts.len(), all.len());
        let _: &dyn core::error::Error = &PoolError::Stale;
        assert_eq!(std::format!("{}", SizeClass::Kib64), "64 KiB");
    }

    /// One step of the churn test.
    #[derive(Clone, Debug)]
    enum Op {
        Acquire(usize, bool),
        Release(usize),
        Grow(usize, usize),
        ReleaseStale(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..MAX_BUFFER_BYTES + 10, any::<bool>()).prop_map(|(l, s)| Op::Acquire(l, s)),
            any::<usize>().prop_map(Op::Release),
            (any::<usize>(), 0..MAX_BUFFER_BYTES + 10).prop_map(|(i, l)| Op::Grow(i, l)),
            any::<usize>().prop_map(Op::ReleaseStale),
        ]
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: if cfg!(miri) { 3 } else { 128 },
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// The byte each live buffer is filled with: distinct per acquire.
    fn fill(pool: &mut BufferPool<'_>, handle: BufferHandle, tag: u8) {
        pool.bytes_mut(handle).unwrap().fill(tag);
    }

    /// Whether `bytes` hold only `tag`; under Miri a sample (ends and a stride) stands in
    /// for the whole buffer, which would take minutes to walk byte by byte.
    fn holds_only(bytes: &[u8], tag: u8) -> bool {
        if cfg!(miri) {
            let step = 251;
            let head = bytes.iter().take(64);
            let tail = bytes.iter().rev().take(64);
            let stride = bytes.iter().step_by(step);
            head.chain(tail).chain(stride).all(|&b| b == tag)
        } else {
            bytes.iter().all(|&b| b == tag)
        }
    }

    /// Checks the pool against the model: counts, and that every live buffer still holds
    /// only its own tag (so no two live handles alias).
    fn check_model(pool: &BufferPool<'_>, live: &[(BufferHandle, u8)], dead: &[BufferHandle]) {
        for class in SizeClass::ALL {
            let expected = live.iter().filter(|(h, _)| h.class == class).count();
            let stats = pool.stats(class);
            assert_eq!(stats.in_use, expected);
            assert!(stats.high_water >= stats.in_use);
            assert!(stats.in_use <= stats.capacity);
            assert_eq!(stats.acquires - stats.releases, expected as u64);
        }
        for &(handle, tag) in live {
            assert!(holds_only(pool.bytes(handle).unwrap(), tag));
        }
        for &handle in dead {
            assert!(pool.bytes(handle).is_err());
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn pool_churn(ops in proptest::collection::vec(op(), 1..if cfg!(miri) { 12 } else { 64 })) {
            let mut mem = Memory::new(PER_CLASS);
            let mut pool = mem.pool(9);
            let mut live: Vec<(BufferHandle, u8)> = Vec::new();
            let mut dead: Vec<BufferHandle> = Vec::new();
            let mut next_tag = 1u8;
            for op in ops {
                match op {
                    Op::Acquire(len, spill) => {
                        let spill = if spill { Spill::ToLarger } else { Spill::Never };
                        match pool.acquire_len(len, spill) {
                            Ok(h) => {
                                prop_assert!(h.capacity() >= len);
                                fill(&mut pool, h, next_tag);
                                live.push((h, next_tag));
                                next_tag = next_tag.wrapping_add(1).max(1);
                            }
                            Err(PoolError::TooLarge) => prop_assert!(len > MAX_BUFFER_BYTES),
                            Err(PoolError::Exhausted) => {
                                let first = SizeClass::fitting(len).unwrap();
                                let last = if spill == Spill::Never { first } else { SizeClass::Kib256 };
                                for c in SizeClass::ALL.into_iter().filter(|&c| c >= first && c <= last) {
                                    prop_assert_eq!(pool.stats(c).in_use, pool.stats(c).capacity);
                                }
                            }
                            Err(e) => prop_assert!(false, "unexpected {e:?}"),
                        }
                    }
                    Op::Release(i) if !live.is_empty() => {
                        let (h, _) = live.swap_remove(i % live.len());
                        prop_assert_eq!(pool.release(h), Ok(()));
                        dead.push(h);
                    }
                    Op::Grow(i, len) if !live.is_empty() => {
                        let at = i % live.len();
                        let (h, tag) = live[at];
                        match pool.grow(h, len, usize::MAX, Spill::Never) {
                            Ok(g) => {
                                prop_assert!(g.capacity() >= len);
                                if g != h {
                                    prop_assert!(g.class > h.class);
                                    let old = h.capacity();
                                    prop_assert!(holds_only(&pool.bytes(g).unwrap()[..old], tag));
                                    dead.push(h);
                                }
                                fill(&mut pool, g, tag);
                                live[at] = (g, tag);
                            }
                            Err(e) => {
                                prop_assert!(matches!(e, PoolError::Exhausted | PoolError::TooLarge));
                            }
                        }
                    }
                    Op::ReleaseStale(i) if !dead.is_empty() => {
                        let h = dead[i % dead.len()];
                        let e = pool.release(h).unwrap_err();
                        prop_assert!(matches!(e, PoolError::Stale | PoolError::Released));
                    }
                    _ => {}
                }
                check_model(&pool, &live, &dead);
            }
        }
    }
}
