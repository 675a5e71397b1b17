//! Memory without a heap: everything here carves up regions the caller hands in.
//!
//! - [`buffer_pool`]: byte buffers in size classes (1, 4, 16, 64, 256 KiB), handles with a
//!   generation, O(1) acquire and release, growth into the next class that keeps the contents.
//! - [`object_pool`]: a fixed number of `T` slots, reset on release.
//! - [`table`]: the storage behind the object pool and the timer wheel, written on first use
//!   and truncated when they trim.
//! - [`arena`]: per-request bump allocation, reset in O(1), with a fallback heap for the rare
//!   request that needs more. The only module of the crate that contains `unsafe`.

pub mod arena;
pub mod buffer_pool;
pub mod object_pool;
pub mod table;

/// The buffer size classes, in bytes, smallest first: 1, 4, 16, 64 and 256 KiB.
pub const SIZE_CLASSES: [usize; 5] = [1024, 4 * 1024, 16 * 1024, 64 * 1024, 256 * 1024];

/// The largest buffer a [`buffer_pool::BufferPool`] hands out, in bytes.
pub const MAX_BUFFER_BYTES: usize = SIZE_CLASSES[SIZE_CLASSES.len() - 1];

/// The class a connection's read buffer and output queue start in by default (4 KiB): the
/// default of [`Pools::start_class`](crate::config::Pools::start_class), the
/// `pools.start_bytes` key.
pub const START_CLASS: buffer_pool::SizeClass = buffer_pool::SizeClass::Kib4;
