//! [`Table`]: the storage behind a table whose entries come into use front to back.
//!
//! [`ObjectPool`](super::object_pool::ObjectPool) and
//! [`TimerWheel`](crate::time::wheel::TimerWheel) hand out entries `0, 1, 2, …` the first time
//! they need each, and never read an entry they have not written. So their storage need not be
//! written in advance: it can be an array or a slice written once (an inline pool, a `static`,
//! a firmware image), or — in a backend with a heap — a vector whose capacity was reserved up
//! front and whose length grows on first use. With the latter an operating system maps the
//! pages of an entry only when the entry is first used: memory grows with use, not with the
//! configured capacity.
//!
//! The trait has no method that moves written entries, so a table's entries keep their places
//! (and the handles that name them stay valid) as it grows. A user that stops needing the
//! entries at the end can [`truncate`](Table::truncate) them: a vector drops them (and a
//! backend gives their pages back), memory written whole keeps them.

/// Storage for up to [`capacity`](Table::capacity) entries, of which the first
/// [`entries`](Table::entries)`().len()` are written.
///
/// An array or a slice is written whole: every entry is there from the start and
/// [`push`](Table::push) always refuses. A growable table (a backend's vector with reserved
/// capacity) starts empty and takes entries through `push` until its capacity.
///
/// # Examples
///
/// ```
/// use aurora_core::mem::table::Table;
///
/// let mut written = [7u8; 3];
/// assert_eq!((written.entries().len(), written.capacity()), (3, 3));
/// assert_eq!(written.push(1), Err(1));
/// ```
pub trait Table<E> {
    /// The entries written so far, in index order.
    fn entries(&self) -> &[E];

    /// The entries written so far, writable.
    fn entries_mut(&mut self) -> &mut [E];

    /// Writes `entry` after the last written one, if the table has room for it without moving
    /// the entries already written.
    ///
    /// # Errors
    ///
    /// Gives `entry` back when the table is at its capacity.
    fn push(&mut self, entry: E) -> Result<(), E>;

    /// How many entries the table can hold: its written entries for a table that is written
    /// whole.
    fn capacity(&self) -> usize {
        self.entries().len()
    }

    /// Drops the written entries from `len` on, if the table can take them back; a later
    /// [`push`](Table::push) writes them again. The capacity stays, and entries below `len`
    /// keep their places. A table written whole keeps every entry (the default).
    fn truncate(&mut self, len: usize) {
        let _ = len;
    }
}

/// Splits the first `used` written entries of `table` after the last one that `live` says is in
/// use: the entries a trim keeps and the vacant tail it gives back. `None` when that tail is
/// empty (or `used` is beyond the written entries).
pub(crate) fn vacant_tail<E>(
    table: &mut (impl Table<E> + ?Sized),
    used: usize,
    live: impl Fn(&E) -> bool,
) -> Option<(&mut [E], &mut [E])> {
    let used = table.entries_mut().get_mut(..used)?;
    let keep = used.iter().rposition(live).map_or(0, |last| last + 1);
    if keep == used.len() {
        return None;
    }
    Some(used.split_at_mut(keep))
}

/// Implements [`Table`] for memory written whole: every entry is there from the start and
/// `push` refuses.
macro_rules! written_whole {
    ($ty:ty $(, $param:ident)?) => {
        impl<E $(, const $param: usize)?> Table<E> for $ty {
            fn entries(&self) -> &[E] {
                self
            }

            fn entries_mut(&mut self) -> &mut [E] {
                self
            }

            fn push(&mut self, entry: E) -> Result<(), E> {
                Err(entry)
            }
        }
    };
}

written_whole!([E; N], N);
written_whole!([E]);

/// A borrowed table is a table: a pool can work over `&mut [E]` or `&mut dyn Table<E>`.
impl<E, T: Table<E> + ?Sized> Table<E> for &mut T {
    fn entries(&self) -> &[E] {
        (**self).entries()
    }

    fn entries_mut(&mut self) -> &mut [E] {
        (**self).entries_mut()
    }

    fn push(&mut self, entry: E) -> Result<(), E> {
        (**self).push(entry)
    }

    fn capacity(&self) -> usize {
        (**self).capacity()
    }

    fn truncate(&mut self, len: usize) {
        (**self).truncate(len);
    }
}

/// A `heapless` vector grows on push up to `N` and never moves its entries: a table written as
/// it is used, without a heap. It truncates as a vector does, though its memory stays inline.
impl<E, const N: usize> Table<E> for heapless::Vec<E, N> {
    fn entries(&self) -> &[E] {
        self
    }

    fn entries_mut(&mut self) -> &mut [E] {
        self
    }

    fn push(&mut self, entry: E) -> Result<(), E> {
        heapless::Vec::push(self, entry)
    }

    fn capacity(&self) -> usize {
        N
    }

    fn truncate(&mut self, len: usize) {
        heapless::Vec::truncate(self, len);
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn written_tables_are_full() {
        let mut array = [1u8, 2];
        let slice: &mut [u8] = &mut [3u8, 4, 5];
        assert_eq!((array.capacity(), array.push(9)), (2, Err(9)));
        assert_eq!((slice.capacity(), slice.push(9)), (3, Err(9)));
        slice.entries_mut()[0] = 6;
        assert_eq!(slice.entries(), [6, 4, 5]);
        slice.truncate(1);
        assert_eq!(
            slice.entries(),
            [6, 4, 5],
            "written whole: nothing to take back"
        );
        let dynamic: &mut dyn Table<u8> = &mut array;
        dynamic.truncate(0);
        assert_eq!((&dynamic).entries(), [1, 2]);
    }

    #[test]
    fn a_heapless_vec_fills_in_place_up_to_n() {
        let mut table: heapless::Vec<u32, 2> = heapless::Vec::new();
        assert_eq!((table.entries().len(), Table::capacity(&table)), (0, 2));
        Table::push(&mut table, 10).unwrap();
        let at = table.entries().as_ptr();
        Table::push(&mut table, 20).unwrap();
        assert_eq!(Table::push(&mut table, 30), Err(30));
        assert_eq!(
            (table.entries(), table.entries().as_ptr()),
            (&[10, 20][..], at)
        );
        Table::truncate(&mut table, 1);
        Table::truncate(&mut table, 5); // beyond the written entries: nothing happens
        assert_eq!((table.entries(), Table::capacity(&table)), (&[10][..], 2));
        Table::push(&mut table, 40).unwrap();
        assert_eq!(
            (table.entries(), table.entries().as_ptr()),
            (&[10, 40][..], at)
        );
    }
}
