//! Giving memory back: the whole pages of a vector's spare capacity, returned to the kernel so
//! they leave the resident set while the vector keeps its capacity and its address.
//!
//! This module owns one call, `madvise`, on memory a vector owns but holds no value in. It
//! never touches a page that holds part of an entry or another allocation: only whole pages
//! inside the spare capacity are advised. Linux drops them at once (`MADV_DONTNEED`: they read
//! as zeros when next touched). The BSDs and macOS are told `MADV_FREE`, since their
//! `MADV_DONTNEED` only lowers the pages' priority; there they leave as the kernel needs them.
//! Under Miri no call is made; the page arithmetic is tested all the same.

/// How the kernel is told the pages' contents are not needed.
#[cfg(all(not(miri), any(target_os = "linux", target_os = "android")))]
const ADVICE: libc::c_int = libc::MADV_DONTNEED;
#[cfg(all(not(miri), not(any(target_os = "linux", target_os = "android"))))]
const ADVICE: libc::c_int = libc::MADV_FREE;

/// Gives the whole pages of `vec`'s spare capacity back to the kernel, keeping the capacity: a
/// later push writes into fresh pages and never reallocates. Returns how many bytes were given
/// back; 0 if there was no whole page or the kernel refused (then the pages just stay).
pub fn release_spare<E>(vec: &mut Vec<E>) -> usize {
    let spare = vec.spare_capacity_mut();
    let base = spare.as_mut_ptr().cast::<u8>();
    let Some((offset, len)) = whole_pages(base.addr(), size_of_val(spare), page_size()) else {
        return 0;
    };
    if advise(base.wrapping_add(offset), len) {
        len
    } else {
        0
    }
}

/// The whole pages of `page` bytes within `len` bytes at `addr`: the first one's offset from
/// `addr` and their total length. `None` if there is none.
fn whole_pages(addr: usize, len: usize, page: usize) -> Option<(usize, usize)> {
    let end = addr.checked_add(len)?;
    let first = addr.checked_next_multiple_of(page)?;
    let last = end - end.checked_rem(page)?;
    (last > first).then(|| (first - addr, last - first))
}

/// The kernel's page size, 0 if it would not say (then nothing is given back).
#[cfg(not(miri))]
fn page_size() -> usize {
    // SAFETY: `sysconf` only reads a configuration value; it has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(0)
}

/// Under Miri: the common page size, so the arithmetic runs as it would natively.
#[cfg(miri)]
fn page_size() -> usize {
    4096
}

/// Tells the kernel the `len` bytes at `start` (whole pages) hold nothing needed. Whether it
/// took the advice.
#[cfg(not(miri))]
fn advise(start: *mut u8, len: usize) -> bool {
    // SAFETY: `start..start + len` are whole pages inside the spare capacity of a vector that
    // `release_spare` borrows mutably: memory the vector owns, holds no value in and hands out
    // no reference to. The advice only drops the pages' contents (uninitialised memory to the
    // vector); the mapping stays, so the vector may write there again.
    unsafe { libc::madvise(start.cast(), len, ADVICE) == 0 }
}

/// Under Miri no call is made: the pages count as given back.
#[cfg(miri)]
fn advise(_: *mut u8, _: usize) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (address, length, page size) → (offset of the first whole page, bytes of whole pages).
    type Row = ((usize, usize, usize), Option<(usize, usize)>);

    #[test]
    fn whole_pages_table() {
        let rows: &[Row] = &[
            ((4096, 8192, 4096), Some((0, 8192))),
            ((4000, 8192, 4096), Some((96, 4096))),
            ((4000, 12_384, 4096), Some((96, 12_288))),
            ((4097, 8190, 4096), None),
            ((100, 0, 4096), None),
            ((0, 4096, 0), None),
            ((usize::MAX - 10, 100, 4096), None),
        ];
        for &((addr, len, page), expected) in rows {
            assert_eq!(
                whole_pages(addr, len, page),
                expected,
                "{addr} {len} {page}"
            );
        }
    }

    #[test]
    fn a_released_spare_capacity_takes_pushes_in_place() {
        let mut vec: Vec<u64> = Vec::with_capacity(4 * 4096);
        vec.extend(0..4096);
        vec.truncate(3);
        let (at, capacity) = (vec.as_ptr(), vec.capacity());
        // 4 pages' worth and more of spare capacity: at least 3 whole pages go back.
        assert!(release_spare(&mut vec) >= 3 * 4096);
        vec.extend(3..4 * 4096);
        assert_eq!((vec.as_ptr(), vec.capacity()), (at, capacity));
        assert!(vec.iter().copied().eq(0..4 * 4096));
        assert_eq!(release_spare(&mut vec), 0, "no spare capacity left");
    }
}
