//! Per-request scratch memory: bump allocation over a caller's region, reset in O(1), with a
//! small fallback heap for the rare request that needs more.
//!
//! This module owns [`Arena`], its error and its statistics. An arena hands out `&mut T` and
//! `&mut [u8]` through `&self`, so a request's parsed pieces can coexist; resetting takes
//! `&mut self`, so the borrow checker proves every piece is gone before the memory is reused.
//! When the bump region is full, allocations go to a `linked_list_allocator` heap over a second
//! caller region, at most [`MAX_FALLBACK_ALLOCATIONS`] of them live at once; reset frees them.
//!
//! The arena never runs destructors (it only takes `T: Copy`), never allocates from anywhere
//! but the two regions it was given, and never panics on a request for too much: that is an
//! [`ArenaError`]. Its `unsafe` code, the only `unsafe` in the crate, is fenced in the private
//! `raw` module; everything else, including the tests here, is safe code.

use core::fmt;

#[allow(unsafe_code)] // the crate's single fenced unsafe module; see its documentation
mod raw;

pub use raw::Arena;

/// How many fallback-heap allocations may be live between two resets.
pub const MAX_FALLBACK_ALLOCATIONS: usize = 128;

/// The smallest fallback region the heap can use: room for its first free-list node (two
/// words) after aligning the start to a word. A shorter region is ignored.
pub const MIN_FALLBACK_BYTES: usize = 3 * core::mem::size_of::<usize>();

/// Why an arena allocation failed. The arena is unchanged, apart from its failure count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ArenaError {
    /// Neither the bump region nor the fallback heap has room (or the size overflows).
    OutOfMemory,
    /// The fallback heap already holds [`MAX_FALLBACK_ALLOCATIONS`] live allocations.
    FallbackLimit,
}

impl fmt::Display for ArenaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArenaError::OutOfMemory => "arena out of memory",
            ArenaError::FallbackLimit => "arena fallback allocation limit reached",
        })
    }
}

impl core::error::Error for ArenaError {}

/// Statistics of an [`Arena`], a snapshot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ArenaStats {
    /// Bytes of the bump region in use now, alignment padding included.
    pub bytes_used: usize,
    /// The most bytes of the bump region ever in use at once.
    pub high_water: usize,
    /// Successful allocations since the arena was made (bump, fallback and zero-sized).
    pub allocations: u64,
    /// Successful fallback-heap allocations since the arena was made.
    pub fallback_allocations: u64,
    /// Fallback-heap allocations live now, at most [`MAX_FALLBACK_ALLOCATIONS`].
    pub fallback_live: usize,
    /// Bytes requested by the live fallback-heap allocations.
    pub fallback_bytes: usize,
    /// Allocations refused since the arena was made.
    pub failures: u64,
    /// Resets since the arena was made.
    pub resets: u64,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    /// Backing memory aligned to 64 so tests can reason about padding exactly.
    #[repr(C, align(64))]
    struct Aligned<const N: usize>([u8; N]);

    impl<const N: usize> Aligned<N> {
        fn new() -> Self {
            Aligned([0; N])
        }
    }

    #[test]
    fn bump_allocations_are_disjoint_and_counted() {
        let mut bump = Aligned::<64>::new();
        let arena = Arena::new(&mut bump.0);
        assert_eq!(arena.capacity(), 64);
        assert!(!arena.has_fallback());
        let a = arena.alloc(1u8).unwrap();
        let b = arena.alloc(0x0203_0405u32).unwrap();
        let c = arena.alloc_copy(b"hello").unwrap();
        *a = 9;
        c[0] = b'j';
        assert_eq!((*a, *b, &*c), (9, 0x0203_0405, &b"jello"[..]));
        let stats = arena.stats();
        // 1 byte, 3 padding, 4 bytes, 5 bytes.
        assert_eq!(stats.bytes_used, 13);
        assert_eq!(stats.high_water, 13);
        assert_eq!(stats.allocations, 3);
        assert_eq!(stats.fallback_allocations, 0);
    }

    #[test]
    fn an_empty_arena_refuses_every_allocation() {
        let arena = Arena::with_fallback(&mut [], &mut []);
        assert_eq!(arena.capacity(), 0);
        assert_eq!(arena.alloc(0u8), Err(ArenaError::OutOfMemory));
        assert_eq!(arena.alloc_bytes(1), Err(ArenaError::OutOfMemory));
    }

    #[test]
    fn exhaustion_without_fallback_is_an_error() {
        let mut bump = Aligned::<16>::new();
        let arena = Arena::new(&mut bump.0);
        assert!(arena.alloc_bytes(16).is_ok());
        assert_eq!(arena.alloc(0u8), Err(ArenaError::OutOfMemory));
        assert_eq!(arena.alloc_bytes(usize::MAX), Err(ArenaError::OutOfMemory));
        let huge: &[u64] = &[];
        assert!(arena.alloc_slice_copy(huge).is_ok());
        let stats = arena.stats();
        assert_eq!((stats.allocations, stats.failures), (2, 2));
    }

    #[test]
    fn zero_sized_allocations_use_no_memory() {
        let mut bump = Aligned::<0>::new();
        let arena = Arena::new(&mut bump.0);
        #[derive(Clone, Copy, Debug, PartialEq)]
        #[repr(align(32))]
        struct Marker;
        let m = arena.alloc(Marker).unwrap();
        assert_eq!(core::ptr::from_mut(m).addr() % 32, 0);
        assert_eq!(arena.alloc_bytes(0).unwrap(), &[] as &[u8]);
        assert_eq!(arena.alloc_copy(&[]).unwrap(), &[] as &[u8]);
        assert_eq!(arena.alloc_slice_copy(&[Marker; 3]).unwrap().len(), 3);
        assert_eq!(arena.stats().bytes_used, 0);
        assert_eq!(arena.alloc(1u8), Err(ArenaError::OutOfMemory));
    }

    #[test]
    fn alloc_bytes_are_zeroed_after_reuse() {
        let mut bump = Aligned::<32>::new();
        let mut arena = Arena::new(&mut bump.0);
        arena.alloc_copy(&[0xaa; 32]).unwrap();
        arena.reset();
        assert!(arena.alloc_bytes(32).unwrap().iter().all(|&b| b == 0));
    }

    macro_rules! aligned_type {
        ($name:ident, $align:literal) => {
            #[derive(Clone, Copy, Debug, PartialEq)]
            #[repr(align($align))]
            struct $name(u8);
        };
    }
    aligned_type!(A1, 1);
    aligned_type!(A2, 2);
    aligned_type!(A4, 4);
    aligned_type!(A8, 8);
    aligned_type!(A16, 16);
    aligned_type!(A32, 32);
    aligned_type!(A64, 64);

    /// Allocates one odd byte (to misalign the bump offset) then a `T`, in both regions,
    /// and checks the `T`'s address.
    fn check_alignment<T: Copy + PartialEq + fmt::Debug>(value: T) {
        let align = core::mem::align_of::<T>();
        // Bump region: an unaligned start on purpose.
        let mut bump = Aligned::<256>::new();
        let arena = Arena::new(&mut bump.0[1..]);
        arena.alloc(0u8).unwrap();
        let t = arena.alloc(value).unwrap();
        assert_eq!(
            core::ptr::from_mut(t).addr() % align,
            0,
            "bump align {align}"
        );
        assert_eq!(*t, value);
        // Fallback heap: a bump region too small for anything but the odd byte.
        let mut bump = [0u8; 1];
        let mut spare = Aligned::<512>::new();
        let arena = Arena::with_fallback(&mut bump, &mut spare.0[3..]);
        arena.alloc(0u8).unwrap();
        let t = arena.alloc(value).unwrap();
        assert_eq!(arena.stats().fallback_live, 1);
        assert_eq!(
            core::ptr::from_mut(t).addr() % align,
            0,
            "fallback align {align}"
        );
        assert_eq!(*t, value);
        let s = arena.alloc_slice_copy(&[value; 3]).unwrap();
        assert_eq!(s.as_ptr().addr() % align, 0, "fallback slice align {align}");
    }

    #[test]
    fn typed_allocations_are_aligned() {
        check_alignment(A1(1));
        check_alignment(A2(2));
        check_alignment(A4(4));
        check_alignment(A8(8));
        check_alignment(A16(16));
        check_alignment(A32(32));
        check_alignment(A64(64));
        check_alignment(0x0102_0304_0506_0708u64);
        check_alignment(0x1234u16);
    }

    #[test]
    fn fallback_serves_what_bump_cannot() {
        let mut bump = Aligned::<32>::new();
        let mut spare = Aligned::<512>::new();
        let arena = Arena::with_fallback(&mut bump.0, &mut spare.0);
        assert!(arena.has_fallback());
        let a = arena.alloc_copy(&[1; 24]).unwrap();
        let b = arena.alloc_copy(&[2; 24]).unwrap(); // does not fit the 8 bytes left
        let c = arena.alloc_copy(&[3; 8]).unwrap(); // fits the bump region again
        assert_eq!((a[0], b[0], c[0]), (1, 2, 3));
        let stats = arena.stats();
        assert_eq!(stats.bytes_used, 32);
        assert_eq!(stats.fallback_allocations, 1);
        assert_eq!(stats.fallback_live, 1);
        assert_eq!(stats.fallback_bytes, 24);
        assert_eq!(stats.allocations, 3);
        assert_eq!(arena.alloc_bytes(1024), Err(ArenaError::OutOfMemory));
        assert_eq!(arena.stats().failures, 1);
    }

    #[test]
    fn reset_frees_fallback_allocations() {
        let mut bump = Aligned::<8>::new();
        let mut spare = Aligned::<256>::new();
        let mut arena = Arena::with_fallback(&mut bump.0, &mut spare.0);
        // Fill the fallback heap until it refuses.
        let mut served = 0;
        while arena.alloc_bytes(32).is_ok() {
            served += 1;
        }
        assert!(served >= 2, "served {served}");
        assert_eq!(arena.alloc_bytes(32), Err(ArenaError::OutOfMemory));
        for round in 0..3 {
            arena.reset();
            let stats = arena.stats();
            assert_eq!((stats.fallback_live, stats.fallback_bytes), (0, 0));
            assert_eq!(stats.resets, round + 1);
            // All of it is available again.
            for _ in 0..served {
                arena.alloc_bytes(32).unwrap();
            }
            assert_eq!(arena.stats().fallback_live, served);
        }
    }

    #[test]
    fn the_129th_fallback_allocation_is_refused() {
        let mut bump = [0u8; 0];
        let mut spare = Aligned::<8192>::new();
        let mut arena = Arena::with_fallback(&mut bump, &mut spare.0);
        for _ in 0..2 {
            for i in 0..MAX_FALLBACK_ALLOCATIONS {
                let v = arena.alloc(i as u32).unwrap();
                assert_eq!(*v, i as u32);
            }
            assert_eq!(arena.alloc(0u32), Err(ArenaError::FallbackLimit));
            assert_eq!(arena.alloc_bytes(1), Err(ArenaError::FallbackLimit));
            let stats = arena.stats();
            assert_eq!(stats.fallback_live, MAX_FALLBACK_ALLOCATIONS);
            assert_eq!(stats.fallback_bytes, 4 * MAX_FALLBACK_ALLOCATIONS);
            arena.reset();
        }
        assert_eq!(arena.stats().fallback_allocations, 256);
        assert_eq!(arena.stats().failures, 4);
    }

    #[test]
    fn too_small_fallback_is_ignored() {
        let mut bump = [0u8; 4];
        let mut spare = [0u8; MIN_FALLBACK_BYTES - 1];
        let arena = Arena::with_fallback(&mut bump, &mut spare);
        assert!(!arena.has_fallback());
        assert_eq!(arena.alloc_bytes(5), Err(ArenaError::OutOfMemory));
        // The smallest usable region works at any start alignment.
        for skew in 0..core::mem::size_of::<usize>() {
            let mut spare = Aligned::<64>::new();
            let region = &mut spare.0[skew..skew + MIN_FALLBACK_BYTES];
            let mut bump = [0u8; 0];
            let arena = Arena::with_fallback(&mut bump, region);
            assert!(arena.has_fallback());
            let _ = arena.alloc(1u8);
        }
    }

    #[test]
    fn reset_keeps_lifetime_counters() {
        let mut bump = Aligned::<16>::new();
        let mut arena = Arena::new(&mut bump.0);
        arena.alloc_bytes(12).unwrap();
        arena.reset();
        arena.alloc_bytes(4).unwrap();
        let stats = arena.stats();
        assert_eq!(
            stats,
            ArenaStats {
                bytes_used: 4,
                high_water: 12,
                allocations: 2,
                resets: 1,
                ..ArenaStats::default()
            }
        );
    }

    #[test]
    fn error_display_and_traits() {
        assert_ne!(
            std::format!("{}", ArenaError::OutOfMemory),
            std::format!("{}", ArenaError::FallbackLimit)
        );
        let _: &dyn core::error::Error = &ArenaError::OutOfMemory;
        fn send<T: Send>(_: &T) {}
        let mut bump = [0u8; 4];
        send(&Arena::new(&mut bump));
        let _ = std::format!("{:?}", Arena::new(&mut bump));
    }

    /// One step of the arena churn test.
    #[derive(Clone, Debug)]
    enum Op {
        Bytes(usize),
        Word(u64),
        Wide(u8),
        Reset,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0usize..48).prop_map(Op::Bytes),
            2 => any::<u64>().prop_map(Op::Word),
            2 => any::<u8>().prop_map(Op::Wide),
            1 => Just(Op::Reset),
        ]
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 256 },
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// A live allocation and what it must still hold.
    enum Live<'x> {
        Bytes(&'x mut [u8], u8),
        Word(&'x mut u64, u64),
        Wide(&'x mut A64, u8),
    }

    impl Live<'_> {
        fn intact(&self) -> bool {
            match self {
                Live::Bytes(b, tag) => b.iter().all(|x| x == tag),
                Live::Word(w, v) => **w == *v,
                Live::Wide(w, v) => w.0 == *v,
            }
        }

        fn range(&self) -> (usize, usize) {
            let (ptr, len) = match self {
                Live::Bytes(b, _) => (b.as_ptr().addr(), b.len()),
                Live::Word(w, _) => (core::ptr::from_ref::<u64>(w).addr(), 8),
                Live::Wide(w, _) => (core::ptr::from_ref::<A64>(w).addr(), 64),
            };
            (ptr, ptr + len)
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn arena_churn(ops in proptest::collection::vec(op(), 1..if cfg!(miri) { 24 } else { 96 })) {
            let mut bump = Aligned::<160>::new();
            let mut spare = Aligned::<512>::new();
            let mut arena = Arena::with_fallback(&mut bump.0[5..], &mut spare.0[1..]);
            let mut tag = 0u8;
            let mut ops = ops.into_iter().peekable();
            // Each round allocates until a reset, checking everything live after each step.
            while ops.peek().is_some() {
                let mut live: Vec<Live<'_>> = Vec::new();
                for op in ops.by_ref() {
                    tag = tag.wrapping_add(1);
                    match op {
                        Op::Reset => break,
                        Op::Bytes(len) => match arena.alloc_bytes(len) {
                            Ok(b) => {
                                prop_assert!(b.iter().all(|&x| x == 0));
                                b.fill(tag);
                                live.push(Live::Bytes(b, tag));
                            }
                            Err(e) => prop_assert!(len > 0, "{e:?}"),
                        },
                        Op::Word(v) => {
                            if let Ok(w) = arena.alloc(v) {
                                prop_assert_eq!(core::ptr::from_mut(w).addr() % 8, 0);
                                live.push(Live::Word(w, v));
                            }
                        }
                        Op::Wide(v) => {
                            if let Ok(w) = arena.alloc(A64(v)) {
                                prop_assert_eq!(core::ptr::from_mut(w).addr() % 64, 0);
                                live.push(Live::Wide(w, v));
                            }
                        }
                    }
                    prop_assert!(live.iter().all(Live::intact));
                    let mut ranges: Vec<_> = live.iter().map(Live::range).filter(|(s, e)| s < e).collect();
                    ranges.sort_unstable();
                    prop_assert!(ranges.windows(2).all(|w| w[0].1 <= w[1].0), "overlap");
                    let stats = arena.stats();
                    prop_assert!(stats.bytes_used <= arena.capacity());
                    prop_assert!(stats.high_water >= stats.bytes_used);
                    prop_assert!(stats.fallback_live <= MAX_FALLBACK_ALLOCATIONS);
                }
                drop(live);
                arena.reset();
                let stats = arena.stats();
                prop_assert_eq!((stats.bytes_used, stats.fallback_live, stats.fallback_bytes), (0, 0, 0));
            }
        }
    }
}
