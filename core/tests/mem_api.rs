//! The memory pools used from outside the crate the way the connection engine will use them:
//! connections in an object pool, each owning a pooled buffer that grows for a large request
//! head, and a per-request arena.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use core::cell::RefCell;

use aurora_core::mem::arena::{Arena, ArenaError};
use aurora_core::mem::buffer_pool::{
    BufferHandle, BufferPool, ClassRegion, PoolError, SizeClass, Slot, Spill,
};
use aurora_core::mem::object_pool::{InlinePool, ObjectHandle};
use critical_section::Mutex;

/// A connection as the engine might keep it.
struct Conn {
    buffer: BufferHandle,
    filled: usize,
}

/// Object pools can initialise a `static`.
static SHARED: Mutex<RefCell<InlinePool<u32, 4>>> = Mutex::new(RefCell::new(InlinePool::new(9)));

#[test]
fn static_object_pool() {
    let handle = critical_section::with(|cs| SHARED.borrow_ref_mut(cs).acquire(5).unwrap());
    let value = critical_section::with(|cs| SHARED.borrow_ref_mut(cs).release(handle));
    assert_eq!(value, Ok(5));
}

#[test]
fn connections_with_growing_buffers() {
    let mut small = vec![0u8; 2 * 4096];
    let mut small_slots = [Slot::EMPTY; 2];
    let mut large = vec![0u8; 65536];
    let mut large_slots = [Slot::EMPTY; 1];
    let mut buffers = BufferPool::new(
        1,
        [
            ClassRegion::empty(),
            ClassRegion::new(&mut small, &mut small_slots),
            ClassRegion::empty(),
            ClassRegion::new(&mut large, &mut large_slots),
            ClassRegion::empty(),
        ],
    );
    let mut conns: InlinePool<Conn, 2> = InlinePool::new(2);

    let open = |buffers: &mut BufferPool<'_>, conns: &mut InlinePool<Conn, 2>| {
        let buffer = buffers.acquire(SizeClass::Kib4, Spill::Never).ok()?;
        conns.acquire(Conn { buffer, filled: 0 }).ok()
    };
    let a = open(&mut buffers, &mut conns).unwrap();
    let b = open(&mut buffers, &mut conns).unwrap();

    // `a` receives a request head that outgrows 4 KiB.
    let head = b"GET / HTTP/1.1\r\nX-Big: ";
    let conn = conns.get_mut(a).unwrap();
    buffers.bytes_mut(conn.buffer).unwrap()[..head.len()].copy_from_slice(head);
    conn.filled = head.len();
    conn.buffer = buffers
        .grow(conn.buffer, 10_000, conn.filled, Spill::ToLarger)
        .unwrap();
    assert_eq!(conn.buffer.class(), SizeClass::Kib64);
    assert_eq!(&buffers.bytes(conn.buffer).unwrap()[..head.len()], head);

    // `b` wants to grow too, but the only 64 KiB buffer is taken: it keeps its 4 KiB one.
    let conn_b = conns.get(b).unwrap();
    assert_eq!(
        buffers.grow(conn_b.buffer, 10_000, 0, Spill::ToLarger),
        Err(PoolError::Exhausted)
    );
    assert!(buffers.bytes(conn_b.buffer).is_ok());
    assert_eq!(buffers.stats(SizeClass::Kib64).misses, 1);

    // The engine walks its connections and closes them all.
    let handles: Vec<ObjectHandle> = conns.iter().map(|(h, _)| h).collect();
    for h in handles {
        let conn = conns.release(h).unwrap();
        buffers.release(conn.buffer).unwrap();
    }
    assert!(conns.is_empty());
    for class in SizeClass::ALL {
        assert_eq!(buffers.stats(class).in_use, 0);
    }
    assert_eq!(buffers.stats(SizeClass::Kib64).high_water, 1);
}

#[test]
fn per_request_arena() {
    let mut bump = [0u8; 128];
    let mut spare = [0u8; 1024];
    let mut arena = Arena::with_fallback(&mut bump, &mut spare);
    for request in 0..3u8 {
        let names: Vec<&mut [u8]> = (0..16)
            .map(|i| {
                arena
                    .alloc_copy(&[request, i, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
                    .unwrap()
            })
            .collect();
        let offsets = arena.alloc_slice_copy(&[(0u16, 0u16); 4]).unwrap();
        offsets[0] = (1, 2);
        assert!(
            names
                .iter()
                .enumerate()
                .all(|(i, n)| n[0] == request && usize::from(n[1]) == i)
        );
        assert!(arena.stats().fallback_live > 0);
        drop(names);
        arena.reset();
    }
    let mut tiny = [0u8; 8];
    let arena = Arena::new(&mut tiny);
    assert_eq!(
        arena.alloc([0u8; 9]).map(|_| ()),
        Err(ArenaError::OutOfMemory)
    );
}

#[test]
fn bytes_pair_mut_reads_one_buffer_and_writes_another() {
    use aurora_core::mem::buffer_pool::{
        BufferPool, ClassRegion, PoolError, SizeClass, Slot, Spill,
    };
    let mut small = [0u8; 4096];
    let mut small_slots = [Slot::EMPTY; 4];
    let mut mid = [0u8; 8192];
    let mut mid_slots = [Slot::EMPTY; 2];
    let mut pool = BufferPool::new(
        7,
        [
            ClassRegion::new(&mut small, &mut small_slots),
            ClassRegion::new(&mut mid, &mut mid_slots),
            ClassRegion::empty(),
            ClassRegion::empty(),
            ClassRegion::empty(),
        ],
    );
    let a = pool.acquire(SizeClass::Kib1, Spill::Never).unwrap();
    let b = pool.acquire(SizeClass::Kib1, Spill::Never).unwrap();
    let c = pool.acquire(SizeClass::Kib4, Spill::Never).unwrap();
    pool.bytes_mut(a).unwrap()[0] = 1;
    pool.bytes_mut(b).unwrap()[0] = 2;
    pool.bytes_mut(c).unwrap()[0] = 3;
    for (read, write, seen) in [(a, b, 1), (b, a, 2), (a, c, 1), (c, a, 3), (b, c, 2)] {
        let (r, w) = pool.bytes_pair_mut(read, write).unwrap();
        assert_eq!(r[0], seen);
        assert_eq!(r.len(), read.capacity());
        assert_eq!(w.len(), write.capacity());
        w[1] = seen;
    }
    assert_eq!(pool.bytes(b).unwrap()[1], 1);
    assert_eq!(pool.bytes(c).unwrap()[1], 2);
    assert_eq!(pool.bytes_pair_mut(a, a).unwrap_err(), PoolError::Aliased);
    pool.release(c).unwrap();
    assert_eq!(pool.bytes_pair_mut(a, c).unwrap_err(), PoolError::Released);
}
