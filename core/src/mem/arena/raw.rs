//! The arena's raw memory: the only `unsafe` code in `aurora-core`.
//!
//! This module owns the pointers into the caller's two regions and is the one place that turns
//! them into references. Everything it hands out is derived from a range that no other live
//! allocation covers, and lives no longer than the `&self` borrow it came from, so
//! [`Arena::reset`] (which takes `&mut self`) can only run once every such reference is gone.
//! It must never expose a raw pointer, never hand out the same byte twice between resets, and
//! never use a region after the arena's lifetime `'a`.

use core::alloc::Layout;
use core::cell::{Cell, RefCell};
use core::marker::PhantomData;
use core::ptr::{self, NonNull};

use heapless::Vec;
use linked_list_allocator::Heap;

use super::{ArenaError, ArenaStats, MAX_FALLBACK_ALLOCATIONS, MIN_FALLBACK_BYTES};

/// Bump allocation over a caller's region, with a fallback heap over a second region.
///
/// Allocation goes through `&self`, so many allocations coexist; each returned reference lives
/// as long as that borrow. [`reset`](Arena::reset) needs `&mut self`, so it can only run once
/// all of them have ended; it frees everything in O(1) for the bump region plus one heap free
/// per live fallback allocation (at most [`MAX_FALLBACK_ALLOCATIONS`]).
///
/// - Destructors never run: only `T: Copy` values (which have none) are accepted.
/// - Bytes from [`alloc_bytes`](Arena::alloc_bytes) are zeroed, so nothing of an earlier
///   request shows through.
/// - Zero-sized allocations use no memory and always succeed.
/// - The arena is `Send` (it owns its regions as a `&'a mut [u8]` would) but not `Sync`: its
///   offsets live in `Cell`s. Share it within one thread only:
///
/// ```compile_fail,E0277
/// fn shared<T: Sync>(_: &T) {}
/// let mut bump = [0u8; 64];
/// let arena = aurora_core::mem::arena::Arena::new(&mut bump);
/// shared(&arena);
/// ```
///
/// References cannot outlive a reset:
///
/// ```compile_fail,E0502
/// let mut bump = [0u8; 64];
/// let mut arena = aurora_core::mem::arena::Arena::new(&mut bump);
/// let x = arena.alloc(1u32).unwrap();
/// arena.reset();
/// *x = 2;
/// ```
///
/// # Examples
///
/// ```
/// use aurora_core::mem::arena::{Arena, ArenaError};
///
/// let mut bump = [0u8; 64];
/// let mut spare = [0u8; 256];
/// let mut arena = Arena::with_fallback(&mut bump, &mut spare);
///
/// let offsets = arena.alloc([0u16; 8])?;
/// let name = arena.alloc_copy(b"content-length")?;
/// offsets[0] = name.len() as u16;
/// // The bump region is too small for this one; the fallback heap serves it.
/// let body = arena.alloc_bytes(100)?;
/// assert_eq!(arena.stats().fallback_live, 1);
/// body[0] = b'x';
///
/// arena.reset();
/// assert_eq!(arena.stats().bytes_used, 0);
/// assert_eq!(arena.stats().fallback_live, 0);
/// # Ok::<(), ArenaError>(())
/// ```
pub struct Arena<'a> {
    /// Start of the bump region: derived from the caller's `&'a mut [u8]`, valid for
    /// `bump_len` bytes for `'a`, and not touched by anyone else while the arena lives.
    bump: NonNull<u8>,
    bump_len: usize,
    /// Bytes of the bump region handed out since the last reset (including padding). Every
    /// reference from the bump region lies below this offset.
    bump_used: Cell<usize>,
    fallback: RefCell<Fallback>,
    stats: Cell<ArenaStats>,
    /// Ties the arena (and every reference it hands out) to the caller's regions.
    _regions: PhantomData<&'a mut [u8]>,
}

/// The fallback heap and what it holds.
#[allow(clippy::large_enum_variant)] // there is no heap to box into; one lives in each arena
enum Fallback {
    /// No fallback region, or one too small for the heap's bookkeeping.
    Absent,
    /// A heap over the caller's second region.
    Present {
        heap: Heap,
        /// Every live allocation of `heap`, with the layout it was made with.
        live: Vec<(NonNull<u8>, Layout), MAX_FALLBACK_ALLOCATIONS>,
    },
}

// SAFETY: An arena owns exclusive borrows of its two regions, exactly like the
// `&'a mut [u8]`s it was built from, which are `Send`. Its raw pointers all point into those
// regions, `Heap` is `Send`, and the `Cell`s are plain data. Moving the arena to another
// thread needs it by value (or `&mut`), so no reference it handed out is alive then; values
// left in the regions are `Copy` bytes that nothing can reach again before a reset.
unsafe impl Send for Arena<'_> {}

impl<'a> Arena<'a> {
    /// An arena over `bump`, without a fallback heap.
    pub fn new(bump: &'a mut [u8]) -> Self {
        Self::build(bump, Fallback::Absent)
    }

    /// An arena over `bump` that falls back to a heap over `fallback` when `bump` is full.
    ///
    /// A `fallback` shorter than [`MIN_FALLBACK_BYTES`] cannot hold the heap's bookkeeping
    /// and is ignored (see [`has_fallback`](Arena::has_fallback)). The heap keeps a little of
    /// its region for per-allocation bookkeeping and rounds each allocation up to at least
    /// two machine words.
    pub fn with_fallback(bump: &'a mut [u8], fallback: &'a mut [u8]) -> Self {
        if fallback.len() < MIN_FALLBACK_BYTES {
            return Self::build(bump, Fallback::Absent);
        }
        // SAFETY: `fallback` is an exclusive borrow for `'a` that we consume here, so for `'a`
        // no one else uses its `len` bytes. `Heap::new` asks for memory valid for `'static`
        // because a heap could otherwise outlive it; ours is a field of an `Arena<'a>`, which
        // cannot outlive `'a`, and `Heap` has no destructor that touches the memory. The
        // length is at least `MIN_FALLBACK_BYTES`, enough for the heap's first hole after it
        // aligns the start to a word, so `Heap::new` does not panic.
        let heap = unsafe { Heap::new(fallback.as_mut_ptr(), fallback.len()) };
        Self::build(
            bump,
            Fallback::Present {
                heap,
                live: Vec::new(),
            },
        )
    }

    fn build(bump: &'a mut [u8], fallback: Fallback) -> Self {
        let bump_len = bump.len();
        Arena {
            bump: NonNull::from(bump).cast::<u8>(),
            bump_len,
            bump_used: Cell::new(0),
            fallback: RefCell::new(fallback),
            stats: Cell::new(ArenaStats::default()),
            _regions: PhantomData,
        }
    }

    /// The length of the bump region in bytes.
    pub const fn capacity(&self) -> usize {
        self.bump_len
    }

    /// Whether allocations that do not fit the bump region go to a fallback heap.
    pub fn has_fallback(&self) -> bool {
        matches!(
            self.fallback.try_borrow().as_deref(),
            Ok(Fallback::Present { .. })
        )
    }

    /// A snapshot of the statistics.
    pub fn stats(&self) -> ArenaStats {
        let mut stats = self.stats.get();
        stats.bytes_used = self.bump_used.get();
        stats.fallback_live = match self.fallback.try_borrow().as_deref() {
            Ok(Fallback::Present { live, .. }) => live.len(),
            _ => 0,
        };
        stats
    }

    /// Moves `value` into the arena. Its destructor will never run (`T: Copy` has none).
    ///
    /// # Errors
    ///
    /// [`ArenaError::OutOfMemory`] if neither region has room for a `T`;
    /// [`ArenaError::FallbackLimit`] if it would be the fallback heap's
    /// [`MAX_FALLBACK_ALLOCATIONS`]` + 1`th live allocation.
    #[allow(clippy::mut_from_ref)] // each call hands out a range no other reference covers
    pub fn alloc<T: Copy>(&self, value: T) -> Result<&mut T, ArenaError> {
        let ptr = self.allocate(Layout::new::<T>())?.cast::<T>();
        // SAFETY: `allocate` returned a pointer aligned for `T` and valid for reads and writes
        // of `size_of::<T>()` bytes (for a zero-sized `T`, a dangling aligned pointer, which
        // is valid for zero-sized accesses). No other live reference covers those bytes until
        // `reset`, which needs `&mut self`, so the `&mut T` (bounded by `&self`) is unique.
        // `write` stores a fully initialised `T` before the reference is made.
        unsafe {
            ptr.as_ptr().write(value);
            Ok(&mut *ptr.as_ptr())
        }
    }

    /// `len` zeroed bytes.
    ///
    /// # Errors
    ///
    /// As [`alloc`](Arena::alloc); a `len` beyond `isize::MAX` is
    /// [`ArenaError::OutOfMemory`].
    #[allow(clippy::mut_from_ref)] // each call hands out a range no other reference covers
    pub fn alloc_bytes(&self, len: usize) -> Result<&mut [u8], ArenaError> {
        let ptr = self.allocate(self.layout_of::<u8>(len)?)?;
        // SAFETY: `allocate` returned a pointer valid for writes of `len` bytes (or dangling
        // for `len == 0`) that no other live reference covers until `reset`. We zero all `len`
        // bytes before making the slice, so every byte is an initialised `u8`.
        unsafe {
            ptr.as_ptr().write_bytes(0, len);
            Ok(core::slice::from_raw_parts_mut(ptr.as_ptr(), len))
        }
    }

    /// A copy of `src`.
    ///
    /// # Errors
    ///
    /// As [`alloc`](Arena::alloc).
    #[allow(clippy::mut_from_ref)] // each call hands out a range no other reference covers
    pub fn alloc_copy(&self, src: &[u8]) -> Result<&mut [u8], ArenaError> {
        self.alloc_slice_copy(src)
    }

    /// A copy of `src`, for any `T: Copy` (header offsets, small tables).
    ///
    /// # Errors
    ///
    /// As [`alloc`](Arena::alloc).
    #[allow(clippy::mut_from_ref)] // each call hands out a range no other reference covers
    pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> Result<&mut [T], ArenaError> {
        let ptr = self.allocate(self.layout_of::<T>(src.len())?)?.cast::<T>();
        // SAFETY: `allocate` returned a pointer aligned for `T`, valid for `src.len()` `T`s
        // (dangling and aligned if that is zero bytes), which no other live reference covers
        // until `reset`; so it cannot overlap `src`, a reference the caller holds. Copying
        // initialises every element before the slice is made. `T: Copy`, so the bitwise
        // copy is a valid duplicate.
        unsafe {
            ptr::copy_nonoverlapping(src.as_ptr(), ptr.as_ptr(), src.len());
            Ok(core::slice::from_raw_parts_mut(ptr.as_ptr(), src.len()))
        }
    }

    /// Frees everything: the bump region in O(1), and each live fallback allocation.
    /// Statistics other than current usage are kept.
    pub fn reset(&mut self) {
        self.bump_used.set(0);
        if let Fallback::Present { heap, live } = self.fallback.get_mut() {
            for &(ptr, layout) in live.iter() {
                // SAFETY: every entry of `live` was returned by this `heap`'s
                // `allocate_first_fit` with exactly this layout and has not been freed: entries
                // are only removed here, all at once, right after freeing them. `&mut self`
                // proves that no reference into the allocation is alive.
                unsafe { heap.deallocate(ptr, layout) };
            }
            live.clear();
        }
        let mut stats = self.stats.get();
        stats.fallback_bytes = 0;
        stats.resets = stats.resets.saturating_add(1);
        self.stats.set(stats);
    }

    /// The layout of `len` `T`s, or a counted failure if it overflows.
    fn layout_of<T>(&self, len: usize) -> Result<Layout, ArenaError> {
        Layout::array::<T>(len).map_err(|_| self.fail(ArenaError::OutOfMemory))
    }

    /// A pointer to `layout.size()` fresh bytes aligned to `layout.align()`, valid until
    /// `reset`, that no earlier allocation since the last reset overlaps.
    fn allocate(&self, layout: Layout) -> Result<NonNull<u8>, ArenaError> {
        let ptr = if layout.size() == 0 {
            // Zero-sized: any non-null aligned pointer will do, and no memory is used.
            NonNull::new(ptr::without_provenance_mut::<u8>(layout.align()))
                .ok_or(ArenaError::OutOfMemory)?
        } else if let Some(ptr) = self.bump_allocate(layout) {
            ptr
        } else {
            self.fallback_allocate(layout).map_err(|e| self.fail(e))?
        };
        let mut stats = self.stats.get();
        stats.allocations = stats.allocations.saturating_add(1);
        self.stats.set(stats);
        Ok(ptr)
    }

    /// The next aligned range of the bump region, if it fits.
    fn bump_allocate(&self, layout: Layout) -> Option<NonNull<u8>> {
        let used = self.bump_used.get();
        // The address of the first free byte; `used <= bump_len`, so this is inside (or one
        // past) the region and cannot wrap.
        let addr = self.bump.as_ptr().addr().wrapping_add(used);
        // `align` is a power of two, so this is the distance up to the next multiple of it.
        let padding = addr.wrapping_neg() & (layout.align() - 1);
        let start = used.checked_add(padding)?;
        let end = start.checked_add(layout.size())?;
        if end > self.bump_len {
            return None;
        }
        self.bump_used.set(end);
        let mut stats = self.stats.get();
        stats.high_water = stats.high_water.max(end);
        self.stats.set(stats);
        // `start < end <= bump_len`: in bounds of the region, so the pointer keeps the
        // region's provenance and is non-null.
        NonNull::new(self.bump.as_ptr().wrapping_add(start))
    }

    /// An allocation from the fallback heap, tracked so `reset` frees it.
    fn fallback_allocate(&self, layout: Layout) -> Result<NonNull<u8>, ArenaError> {
        // No borrow of `fallback` outlives a call of this module and none of them calls
        // out to user code while holding one, so this borrow always succeeds.
        let mut fallback = self
            .fallback
            .try_borrow_mut()
            .map_err(|_| ArenaError::OutOfMemory)?;
        let Fallback::Present { heap, live } = &mut *fallback else {
            return Err(ArenaError::OutOfMemory);
        };
        if live.is_full() {
            debug!("arena: fallback allocation limit reached");
            return Err(ArenaError::FallbackLimit);
        }
        let ptr = heap
            .allocate_first_fit(layout)
            .map_err(|()| ArenaError::OutOfMemory)?;
        if let Err((ptr, layout)) = live.push((ptr, layout)) {
            // Unreachable (`live` was not full); give the memory back rather than leak it.
            // SAFETY: `ptr` was just returned by `heap.allocate_first_fit(layout)` and
            // nothing else has seen it.
            unsafe { heap.deallocate(ptr, layout) };
            return Err(ArenaError::FallbackLimit);
        }
        let mut stats = self.stats.get();
        stats.fallback_allocations = stats.fallback_allocations.saturating_add(1);
        stats.fallback_bytes = stats.fallback_bytes.saturating_add(layout.size());
        self.stats.set(stats);
        Ok(ptr)
    }

    /// Counts a refused allocation and passes its error on.
    fn fail(&self, error: ArenaError) -> ArenaError {
        let mut stats = self.stats.get();
        stats.failures = stats.failures.saturating_add(1);
        self.stats.set(stats);
        error
    }
}

impl core::fmt::Debug for Arena<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Arena")
            .field("capacity", &self.bump_len)
            .field("has_fallback", &self.has_fallback())
            .field("stats", &self.stats())
            .finish()
    }
}
