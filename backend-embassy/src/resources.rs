//! The static memory a server runs in: [`Resources`] (one receive and one transmit buffer per
//! TCP socket) and [`Memory`] (the core's buffer pool, the handlers' arena and the header
//! scratch).
//!
//! This module only holds bytes and carves them up; it never touches a socket. Capacities are
//! const generics, so a firmware puts both in `static` cells and the run loop borrows them for
//! as long as it runs.

use core::fmt;

use aurora_core::config::Pools;
use aurora_core::http::header::HeaderSpan;
use aurora_core::mem::SIZE_CLASSES;
use aurora_core::mem::arena::Arena;
use aurora_core::mem::buffer_pool::{BufferPool, ClassRegion, Slot};

/// The socket buffers of a server with `SOCKETS` TCP sockets, each with an `RX`-byte receive
/// and a `TX`-byte transmit buffer (smoltcp's windows: `RX` bounds what a peer may send ahead).
///
/// `SOCKETS` is also the number of connection slots of the server: see the crate docs for
/// how many connections that holds. The stack's `StackResources` must have room for these
/// sockets on top of any others the firmware uses.
pub struct Resources<const SOCKETS: usize, const RX: usize, const TX: usize> {
    pub(crate) buffers: [([u8; RX], [u8; TX]); SOCKETS],
}

/// The core's memory for one server: `BYTES` bytes carved into the buffer pool's size classes
/// (as `ServerConfig::pools.buffers` asks) and the handlers' per-call arena
/// (`pools.arena_bytes` of bump region, then `pools.arena_fallback_bytes` of fallback heap),
/// `BUFFERS` slots of pool bookkeeping (one per buffer) and `SPANS` header spans (a head with
/// more fields than `SPANS` is refused with `431`; `ServerConfig::limits.max_headers` is a
/// good size).
pub struct Memory<const BYTES: usize, const BUFFERS: usize, const SPANS: usize> {
    bytes: [u8; BYTES],
    slots: [Slot; BUFFERS],
    spans: [HeaderSpan; SPANS],
}

/// What [`Memory`] is carved into for one run.
pub(crate) struct Carved<'m> {
    /// Every read buffer and output queue.
    pub(crate) pool: BufferPool<'m>,
    /// The handlers' per-call scratch.
    pub(crate) arena: Arena<'m>,
    /// The header scratch all connections share.
    pub(crate) spans: &'m mut [HeaderSpan],
}

/// Why [`Memory`] cannot hold the pools a configuration asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum MemoryError {
    /// The buffers of every class together need more bytes than `BYTES`.
    Bytes {
        /// Bytes the configured pools need.
        needed: usize,
    },
    /// More buffers are configured than `BUFFERS` slots.
    Slots {
        /// Buffers the configured pools hold.
        needed: usize,
    },
}

impl<const SOCKETS: usize, const RX: usize, const TX: usize> Resources<SOCKETS, RX, TX> {
    /// Zeroed buffers, for a `static`.
    pub const fn new() -> Self {
        Self {
            buffers: [([0; RX], [0; TX]); SOCKETS],
        }
    }
}

impl<const SOCKETS: usize, const RX: usize, const TX: usize> Default
    for Resources<SOCKETS, RX, TX>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<const SOCKETS: usize, const RX: usize, const TX: usize> fmt::Debug
    for Resources<SOCKETS, RX, TX>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resources")
            .field("sockets", &SOCKETS)
            .field("rx", &RX)
            .field("tx", &TX)
            .finish()
    }
}

impl<const BYTES: usize, const BUFFERS: usize, const SPANS: usize> Memory<BYTES, BUFFERS, SPANS> {
    /// Zeroed memory, for a `static`.
    pub const fn new() -> Self {
        Self {
            bytes: [0; BYTES],
            slots: [Slot::EMPTY; BUFFERS],
            spans: [HeaderSpan::EMPTY; SPANS],
        }
    }

    /// Bytes and buffers the pools of `pools` need, the arena's bytes included:
    /// `(bytes, buffers)`, saturating.
    pub fn needs(pools: &Pools) -> (usize, usize) {
        let arena = pools.arena_bytes.saturating_add(pools.arena_fallback_bytes);
        pools.buffers.iter().zip(SIZE_CLASSES).fold(
            (arena, 0usize),
            |(bytes, count), (&n, size)| {
                let n = usize::from(n);
                (
                    bytes.saturating_add(n.saturating_mul(size)),
                    count.saturating_add(n),
                )
            },
        )
    }

    /// The buffer pool and the arena `pools` describes, carved out of this memory, and the
    /// header scratch.
    ///
    /// # Errors
    ///
    /// [`MemoryError`] when the pools need more bytes or slots than this memory has.
    pub(crate) fn split(&mut self, pools: &Pools) -> Result<Carved<'_>, MemoryError> {
        let (bytes_needed, slots_needed) = Self::needs(pools);
        if bytes_needed > BYTES {
            return Err(MemoryError::Bytes {
                needed: bytes_needed,
            });
        }
        if slots_needed > BUFFERS {
            return Err(MemoryError::Slots {
                needed: slots_needed,
            });
        }
        let mut bytes: &mut [u8] = &mut self.bytes;
        let mut slots: &mut [Slot] = &mut self.slots;
        let regions = core::array::from_fn(|class| {
            let count = pools.buffers.get(class).copied().map_or(0, usize::from);
            let size = SIZE_CLASSES.get(class).copied().unwrap_or(0);
            let here_bytes = count.saturating_mul(size);
            let (b, rest_b) = core::mem::take(&mut bytes)
                .split_at_mut_checked(here_bytes)
                .unwrap_or_default();
            let (s, rest_s) = core::mem::take(&mut slots)
                .split_at_mut_checked(count)
                .unwrap_or_default();
            bytes = rest_b;
            slots = rest_s;
            ClassRegion::new(b, s)
        });
        // `needs` counted the arena's bytes, so both splits find them.
        let (bump, rest) = bytes
            .split_at_mut_checked(pools.arena_bytes)
            .unwrap_or_default();
        let fallback = rest
            .get_mut(..pools.arena_fallback_bytes)
            .unwrap_or_default();
        Ok(Carved {
            pool: BufferPool::new(0, regions),
            arena: Arena::with_fallback(bump, fallback),
            spans: &mut self.spans,
        })
    }
}

impl<const BYTES: usize, const BUFFERS: usize, const SPANS: usize> Default
    for Memory<BYTES, BUFFERS, SPANS>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<const BYTES: usize, const BUFFERS: usize, const SPANS: usize> fmt::Debug
    for Memory<BYTES, BUFFERS, SPANS>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Memory")
            .field("bytes", &BYTES)
            .field("buffers", &BUFFERS)
            .field("spans", &SPANS)
            .finish()
    }
}

impl fmt::Display for MemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemoryError::Bytes { needed } => {
                write!(f, "the configured pools need {needed} bytes of memory")
            }
            MemoryError::Slots { needed } => {
                write!(
                    f,
                    "the configured pools hold {needed} buffers, more than the slots"
                )
            }
        }
    }
}

impl core::error::Error for MemoryError {}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use aurora_core::config::ServerConfig;
    use aurora_core::mem::buffer_pool::SizeClass;

    /// `(buffers per class, BYTES, BUFFERS)`, then the carved capacities or the error.
    type Row = ([u16; 5], Result<[usize; 5], MemoryError>);

    fn carve<const BYTES: usize, const BUFFERS: usize>(
        buffers: [u16; 5],
    ) -> Result<[usize; 5], MemoryError> {
        let mut memory: Memory<BYTES, BUFFERS, 4> = Memory::new();
        let mut pools = ServerConfig::DEFAULT.pools;
        pools.buffers = buffers;
        pools.arena_bytes = 1024;
        pools.arena_fallback_bytes = 1024;
        let carved = memory.split(&pools)?;
        assert_eq!(carved.spans.len(), 4);
        assert_eq!(carved.arena.capacity(), 1024);
        assert!(carved.arena.has_fallback());
        Ok(SizeClass::ALL.map(|class| carved.pool.capacity(class)))
    }

    #[test]
    fn pools_are_carved_as_configured() {
        let rows: &[Row] = &[
            ([0, 2, 0, 0, 0], Ok([0, 2, 0, 0, 0])),
            ([1, 2, 1, 0, 0], Ok([1, 2, 1, 0, 0])),
            ([2, 1, 1, 0, 0], Ok([2, 1, 1, 0, 0])),
            (
                [0, 3, 1, 0, 0],
                Err(MemoryError::Bytes { needed: 30 * 1024 }),
            ),
            ([8, 0, 0, 0, 0], Err(MemoryError::Slots { needed: 8 })),
        ];
        for (buffers, expected) in rows {
            assert_eq!(
                carve::<{ 28 * 1024 }, 4>(*buffers),
                *expected,
                "{buffers:?}"
            );
        }
    }

    #[test]
    fn needs_add_up_and_saturate() {
        let mut pools = ServerConfig::DEFAULT.pools;
        pools.buffers = [1, 1, 1, 1, 1];
        pools.arena_bytes = 1024;
        pools.arena_fallback_bytes = 2048;
        assert_eq!(Memory::<0, 0, 0>::needs(&pools), (344 * 1024, 5));
        pools.buffers = [u16::MAX; 5];
        let (bytes, count) = Memory::<0, 0, 0>::needs(&pools);
        assert!(bytes > 0 && count == 5 * usize::from(u16::MAX));
    }
}
