//! A hashed timer wheel of fixed capacity: O(1) insert, cancel and reschedule, drained sans-IO.
//!
//! The wheel keeps its timers in a [`Table`] (inline in [`InlineWheel`], or storage the caller
//! reserved and the wheel writes as timers are first used) and `SLOTS` slot lists inline.
//! Time is cut into ticks of a configurable length; a deadline is rounded *up* to the next tick
//! boundary, so a timer never fires before its deadline and fires at most one tick after it. A
//! timer whose deadline is already at or before the latest `now` the wheel has seen is *overdue*
//! and fires on the very next [`TimerWheel::poll_expired`], whatever `now` that call passes.
//! Deadlines further away than one rotation (`SLOTS` ticks) stay in their slot and are skipped
//! until their rotation comes round: each timer remembers its absolute tick, not a rounds counter.
//!
//! The wheel never reads a clock: every call that cares about time takes `now`. A backend drives
//! it like this, once per loop iteration:
//!
//! 1. drain [`TimerWheel::poll_expired`]`(now)` until it returns `None`, acting on each payload;
//! 2. arm `epoll_wait`, `kevent` or `Timer::at` with [`TimerWheel::next_deadline`];
//! 3. block, read the clock again, repeat.
//!
//! This module must never panic on the handles it is given: a [`TimerId`] of a timer that fired,
//! was cancelled or belongs to a recycled entry is answered with [`TimerError::Stale`], never
//! with someone else's timer. That holds across [`TimerWheel::trim`] too, which hands the
//! vacant entries above the highest armed one back to the table after a burst.

use core::fmt;

use super::{Duration, Instant};
use crate::mem::table::{Table, vacant_tail};

/// A [`TimerWheel`] holding up to `CAP` timers inline, all written when it is built.
pub type InlineWheel<T, const CAP: usize, const SLOTS: usize = 256> =
    TimerWheel<T, [Entry<T>; CAP], SLOTS>;

/// The "no entry" link value. The capacity is kept below it.
const NIL: u32 = u32::MAX;

/// [`TimerWheel::earliest`] when the earliest slotted tick is not known and must be looked for.
const UNKNOWN: u64 = u64::MAX;

/// The head of one slot's list: an entry index or [`NIL`], stored inverted so that an empty
/// slot is 0. A new wheel's heads are then zeroed memory, the `memclr` every firmware links
/// anyway, where filling them with `NIL` would link a `memset` for this alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Head(u32);

impl Head {
    /// A slot with no timer.
    const EMPTY: Self = Head(!NIL);

    /// The head that names entry `index` (or none, for `NIL`).
    fn new(index: u32) -> Self {
        Head(!index)
    }

    /// The entry index it names, or `NIL`.
    fn index(self) -> u32 {
        !self.0
    }
}

/// A handle to one armed timer: an entry index and the generation the entry had when the timer
/// was armed. Once the timer fires or is cancelled the handle is stale for good (until the
/// entry's 32-bit generation wraps, after four billion reuses of the same entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TimerId {
    index: u32,
    generation: u32,
}

impl TimerId {
    /// The entry index, below the wheel's capacity. Useful as a key in a caller's own table.
    pub const fn index(self) -> usize {
        self.index as usize
    }
}

/// Why a timer operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TimerError {
    /// Every entry of the table holds an armed timer; nothing was inserted.
    Full,
    /// The id names no armed timer: it fired, was cancelled, or its entry was reused since.
    Stale,
}

impl fmt::Display for TimerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full => "timer wheel is full",
            Self::Stale => "timer id is stale",
        })
    }
}

impl core::error::Error for TimerError {}

/// A hashed timer wheel holding up to `CAP` timers (its table's capacity), each carrying a
/// payload `T`, in `SLOTS` slots of one tick each.
///
/// - **Capacity**: `CAP` timers at once, `CAP < u32::MAX`; insertion beyond is
///   [`TimerError::Full`]. `SLOTS` must be at least 1; a power of two is customary. One rotation
///   spans `SLOTS` ticks; longer deadlines are fine, they just share slots with nearer ones.
/// - **Accuracy**: a timer fires at the first `poll_expired(now)` with `now` at or after its
///   deadline rounded up to a tick boundary: never early, at most one tick late. An overdue
///   timer (deadline at or before the latest `now` seen) fires at the next `poll_expired`.
/// - **Cost**: insert, cancel and reschedule are O(1). `poll_expired` walks the slots of the
///   ticks that passed since the previous call (at most `SLOTS` of them), each slot once.
///   [`next_deadline`](Self::next_deadline) is exact; it keeps the earliest tick it found while
///   that timer stays armed (O(1)), and after it left walks slot heads in tick order until it
///   meets the first timer due within the current rotation: O(`SLOTS`) plus the far-future
///   timers it steps over on the way.
/// - **Order**: timers that were already waiting in the ready list (overdue ones, in filing
///   order) come out before those swept out of slots by the same call; beyond that no order is
///   promised among timers that fall due together.
///
/// Memory is `CAP` entries (the payload plus 24 bytes or so each) in the table, and 4 bytes
/// per slot inline. Entries are taken in index order on first use and reused before new
/// ones, so a table that grows on push is written only as far as the most timers armed at
/// once since the last [`trim`](Self::trim).
#[derive(Debug)]
pub struct TimerWheel<T, Tb, const SLOTS: usize = 256> {
    entries: Tb,
    /// Head of each slot's doubly-linked list of armed timers, or [`NIL`].
    heads: [Head; SLOTS],
    /// Overdue timers and timers swept out of their slots, waiting to be handed out (FIFO).
    ready: List,
    /// Head of the singly-linked list of vacant entries below `fresh`.
    free: u32,
    /// Entries at and above this index have not been used by this wheel since it was built or
    /// last trimmed.
    fresh: u32,
    /// The generation an entry pushed into the table starts at: at least every generation a
    /// trimmed entry had, so its old ids never name a new timer.
    floor: u32,
    /// Number of armed timers.
    len: u32,
    /// Tick length in microseconds, at least 1.
    tick_us: u64,
    /// The first tick whose slot has not been swept yet; every tick below it has been.
    cursor: u64,
    /// The latest `now` the wheel has been given.
    now: Instant,
    /// The earliest tick a timer in a slot is due at, as the last
    /// [`next_deadline`](Self::next_deadline) found it and filing kept it since, or
    /// [`UNKNOWN`] once the timer due then left its slot. So `next_deadline` walks the slots
    /// only after the earliest timer went, not on every call.
    earliest: u64,
    /// The wheel holds `T`s in `Tb`.
    _payloads: core::marker::PhantomData<T>,
}

/// One entry of a [`TimerWheel`]'s table. Opaque: a caller only provides storage for them
/// (see [`Entry::EMPTY`]).
#[derive(Debug)]
pub struct Entry<T>(Timer<T>);

/// What an entry holds.
#[derive(Debug)]
enum Timer<T> {
    /// Not holding a timer. `next` links the free list.
    Vacant { generation: u32, next: u32 },
    /// Holding an armed timer.
    Armed {
        generation: u32,
        /// Absolute tick at which the timer is due (deadline rounded up to a tick).
        tick: u64,
        /// Which list the entry is linked into.
        place: Place,
        prev: u32,
        next: u32,
        payload: T,
    },
}

/// The list an armed entry sits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// The slot `tick % SLOTS`.
    Slot,
    /// The ready list: due, waiting for `poll_expired`.
    Ready,
}

/// Head and tail of a doubly-linked list threaded through the entries.
#[derive(Clone, Copy, Debug)]
struct List {
    head: u32,
    tail: u32,
}

impl<T> Entry<T> {
    /// A never-used entry, for storage written in advance (`[const { Entry::EMPTY }; N]`).
    pub const EMPTY: Self = Entry(Timer::Vacant {
        generation: 0,
        next: NIL,
    });
}

impl<T, const CAP: usize, const SLOTS: usize> InlineWheel<T, CAP, SLOTS> {
    /// An empty wheel with ticks of `tick` (a zero tick is taken as 1 µs), whose clock starts
    /// at `now`. Usable in `const` and `static` initialisers.
    ///
    /// Typical ticks: 1 ms on a server that wants tight timeouts, 10 ms to 100 ms where
    /// timeouts are seconds long. With `SLOTS = 256` and a 10 ms tick, one rotation is 2.56 s.
    ///
    /// # Panics
    ///
    /// At compile time (post-monomorphisation) if `SLOTS` is 0 or `CAP >= u32::MAX`.
    pub const fn new(tick: Duration, now: Instant) -> Self {
        const {
            assert!(
                CAP < NIL as usize,
                "timer wheel capacity must stay below u32::MAX"
            );
        }
        Self::build([const { Entry::EMPTY }; CAP], tick, now)
    }
}

impl<T, Tb: Table<Entry<T>>, const SLOTS: usize> TimerWheel<T, Tb, SLOTS> {
    /// An empty wheel over `table` (see [`new`](InlineWheel::new)); its capacity is the
    /// table's, kept below `u32::MAX`. Entries the table holds already are overwritten when
    /// first used, never read before; nothing is written into the table here.
    ///
    /// # Panics
    ///
    /// At compile time (post-monomorphisation) if `SLOTS` is 0.
    pub fn with_table(table: Tb, tick: Duration, now: Instant) -> Self {
        Self::build(table, tick, now)
    }

    const fn build(table: Tb, tick: Duration, now: Instant) -> Self {
        const { assert!(SLOTS > 0, "a timer wheel needs at least one slot") }
        let tick_us = if tick.as_micros() == 0 {
            1
        } else {
            tick.as_micros()
        };
        Self {
            entries: table,
            heads: [Head::EMPTY; SLOTS],
            ready: List {
                head: NIL,
                tail: NIL,
            },
            free: NIL,
            fresh: 0,
            floor: 0,
            len: 0,
            tick_us,
            cursor: (now.as_micros() / tick_us).saturating_add(1),
            now,
            earliest: UNKNOWN,
            _payloads: core::marker::PhantomData,
        }
    }

    /// The tick length.
    pub const fn tick(&self) -> Duration {
        Duration::from_micros(self.tick_us)
    }

    /// How many timers are armed.
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether no timer is armed.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many timers the wheel can hold at once: its table's capacity (below `u32::MAX`).
    pub fn capacity(&self) -> usize {
        self.entries.capacity().min(NIL as usize - 1)
    }

    /// How many entries have been used since the wheel was built or last trimmed: the part of
    /// the table written so far.
    pub const fn used(&self) -> usize {
        self.fresh as usize
    }

    /// Gives the vacant entries above the highest armed one back to the table
    /// ([`Table::truncate`]) and rebuilds the free list from the vacant entries below it,
    /// lowest first, so new timers fill the table from the bottom. Returns how many entries
    /// were trimmed. O([`used`](Self::used)); armed timers keep their ids, and ids of trimmed
    /// entries stay stale when the entries are written again.
    pub fn trim(&mut self) -> usize {
        let fresh = self.fresh as usize;
        let armed = |entry: &Entry<T>| matches!(entry.0, Timer::Armed { .. });
        let Some((kept, trimmed)) = vacant_tail(&mut self.entries, fresh, armed) else {
            return 0;
        };
        let keep = kept.len();
        for Entry(entry) in trimmed {
            // A vacant entry's generation is past every id it handed out.
            if let Timer::Vacant { generation, .. } = entry {
                self.floor = self.floor.max(*generation);
            }
        }
        let mut free = NIL;
        for (index, Entry(entry)) in kept.iter_mut().enumerate().rev() {
            if let Timer::Vacant { next, .. } = entry {
                *next = free;
                free = index as u32; // below `fresh`, a `u32`
            }
        }
        // Armed entries link only to armed ones, so no list reaches the trimmed tail.
        self.free = free;
        self.fresh = keep as u32; // below `fresh`
        self.entries.truncate(keep);
        fresh - keep
    }

    /// Arms a timer that fires at `deadline` (rounded up to a tick), carrying `payload`. A
    /// deadline at or before the latest `now` the wheel has seen fires on the next
    /// [`poll_expired`](Self::poll_expired). O(1).
    ///
    /// # Errors
    ///
    /// [`TimerError::Full`] if `CAP` timers are armed already; the payload is dropped.
    pub fn insert(&mut self, deadline: Instant, payload: T) -> Result<TimerId, TimerError> {
        let Some(index) = self.allocate() else {
            return Err(TimerError::Full);
        };
        // `allocate` returned a written, vacant entry.
        let Some(Entry(entry)) = self.entries.entries_mut().get_mut(index as usize) else {
            return Err(TimerError::Full);
        };
        let generation = match entry {
            Timer::Vacant { generation, .. } | Timer::Armed { generation, .. } => *generation,
        };
        *entry = Timer::Armed {
            generation,
            tick: 0,
            place: Place::Ready,
            prev: NIL,
            next: NIL,
            payload,
        };
        self.len += 1;
        self.file(index, deadline);
        Ok(TimerId { index, generation })
    }

    /// Disarms the timer `id` and hands its payload back. O(1).
    ///
    /// # Errors
    ///
    /// [`TimerError::Stale`] if `id` does not name an armed timer (it fired, was cancelled, or
    /// never came from this wheel). Nothing changes then.
    pub fn cancel(&mut self, id: TimerId) -> Result<T, TimerError> {
        self.check(id)?;
        self.unlink(id.index);
        self.take(id.index)
            .map(|(_, payload)| payload)
            .ok_or(TimerError::Stale)
    }

    /// Moves the armed timer `id` to a new `deadline`, keeping its id and payload. O(1).
    ///
    /// # Errors
    ///
    /// [`TimerError::Stale`] if `id` does not name an armed timer. Nothing changes then.
    pub fn reschedule(&mut self, id: TimerId, deadline: Instant) -> Result<(), TimerError> {
        self.check(id)?;
        self.unlink(id.index);
        self.file(id.index, deadline);
        Ok(())
    }

    /// The payload of the armed timer `id`, if it is still armed.
    pub fn payload(&self, id: TimerId) -> Option<&T> {
        match self.entry(id.index) {
            Some(Timer::Armed {
                generation,
                payload,
                ..
            }) if *generation == id.generation => Some(payload),
            _ => None,
        }
    }

    /// Hands out one timer that is due at `now`, disarming it; `None` once nothing more is due.
    /// Call until `None`. Timers armed while draining with a deadline at or before `now` come
    /// out in the same drain.
    ///
    /// A `now` earlier than one seen before is treated as that earlier-seen `now`: the wheel's
    /// clock never runs backwards.
    pub fn poll_expired(&mut self, now: Instant) -> Option<(TimerId, T)> {
        self.advance(now);
        let index = self.ready.head;
        if index == NIL {
            return None;
        }
        self.unlink(index);
        self.take(index)
    }

    /// Drains every timer due at `now`, calling `f` with each id and payload. The same as calling
    /// [`poll_expired`](Self::poll_expired) until `None`. Returns how many fired.
    pub fn expire(&mut self, now: Instant, mut f: impl FnMut(TimerId, T)) -> usize {
        let mut fired = 0;
        while let Some((id, payload)) = self.poll_expired(now) {
            fired += 1;
            f(id, payload);
        }
        fired
    }

    /// When [`poll_expired`](Self::poll_expired) next has something to hand out: `None` if no
    /// timer is armed, otherwise the instant at which the earliest timer is due (its deadline
    /// rounded up to a tick boundary, so never more than one tick after the deadline). If timers
    /// are overdue already, this is the latest `now` the wheel has seen, i.e. "at once".
    ///
    /// A backend sleeps until this instant (`epoll_wait` timeout, `kevent` timeout,
    /// `Timer::at`); waking at it and calling `poll_expired` always fires at least one timer,
    /// so the deadline is exact, never late, and never early enough to spin.
    ///
    /// Cost: O(1) while the earliest timer found by an earlier call is still armed; otherwise
    /// O(`SLOTS`) slot heads plus the far-future timers sitting in slots before the first
    /// timer that is due within the current rotation.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        if self.len == 0 {
            return None;
        }
        if self.ready.head != NIL {
            return Some(self.now);
        }
        if self.earliest == UNKNOWN {
            self.earliest = self.earliest_slotted();
        }
        Some(self.instant_of(self.earliest))
    }

    /// The earliest tick a timer in a slot is due at, by walking the slots in tick order.
    fn earliest_slotted(&self) -> u64 {
        let mut earliest = u64::MAX;
        for offset in 0..SLOTS as u64 {
            let tick = self.cursor.saturating_add(offset);
            let mut link = self.heads[self.slot_of(tick)].index();
            while let Some(Timer::Armed {
                tick: due, next, ..
            }) = self.entry(link)
            {
                if *due <= tick {
                    // Due within this rotation, and every earlier tick had nothing due.
                    return *due;
                }
                earliest = earliest.min(*due);
                link = *next;
            }
        }
        // Every armed timer is more than one rotation away; `earliest` is their minimum.
        earliest
    }

    /// Takes a vacant entry off the free list, or the next never-used one.
    fn allocate(&mut self) -> Option<u32> {
        if self.free != NIL {
            let index = self.free;
            if let Some(Timer::Vacant { next, .. }) = self.entry(index) {
                // Free-list links only ever hold indices of vacant entries in use.
                self.free = *next;
            }
            return Some(index);
        }
        let index = self.fresh;
        if index as usize >= self.capacity() {
            return None;
        }
        if self.entries.entries().len() <= index as usize {
            // The table grows by one entry, written now, on its first use.
            let entry = Entry(Timer::Vacant {
                generation: self.floor,
                next: NIL,
            });
            self.entries.push(entry).ok()?;
        }
        self.fresh += 1; // below the capacity, which is below `u32::MAX`
        Some(index)
    }

    /// The entry `index`, if this wheel has used it (`NIL` and every index it has not used
    /// give `None`, so links and stale ids never reach an entry of an earlier wheel).
    fn entry(&self, index: u32) -> Option<&Timer<T>> {
        if index >= self.fresh {
            return None;
        }
        self.entries.entries().get(index as usize).map(|e| &e.0)
    }

    /// The entry `index`, writable, if this wheel has used it.
    fn entry_mut(&mut self, index: u32) -> Option<&mut Timer<T>> {
        if index >= self.fresh {
            return None;
        }
        self.entries
            .entries_mut()
            .get_mut(index as usize)
            .map(|e| &mut e.0)
    }

    /// Checks that `id` names an armed timer.
    fn check(&self, id: TimerId) -> Result<(), TimerError> {
        match self.entry(id.index) {
            Some(Timer::Armed { generation, .. }) if *generation == id.generation => Ok(()),
            _ => Err(TimerError::Stale),
        }
    }

    /// Vacates the unlinked entry `index`, bumping its generation, and returns the timer it
    /// held: its id and payload. `None` (and no change) if the entry was vacant already.
    fn take(&mut self, index: u32) -> Option<(TimerId, T)> {
        let free = self.free;
        let slot = self.entry_mut(index)?;
        let Timer::Armed { generation, .. } = *slot else {
            return None;
        };
        let vacant = Timer::Vacant {
            generation: generation.wrapping_add(1),
            next: free,
        };
        let Timer::Armed { payload, .. } = core::mem::replace(slot, vacant) else {
            return None;
        };
        self.free = index;
        self.len -= 1;
        Some((TimerId { index, generation }, payload))
    }

    /// Links the armed, unlinked entry `index` where `deadline` belongs.
    fn file(&mut self, index: u32, deadline: Instant) {
        let us = deadline.as_micros();
        let due = us / self.tick_us + u64::from(!us.is_multiple_of(self.tick_us));
        if deadline <= self.now {
            self.set_place(index, due, Place::Ready);
            self.push_ready(index);
            return;
        }
        // `deadline > now` and `cursor == now / tick + 1`, so `due >= cursor`: the slot has
        // not been swept for this tick yet.
        self.set_place(index, due, Place::Slot);
        // A known earliest tick stays exact: the new timer is due at it, or later, or is the
        // new earliest.
        if self.earliest != UNKNOWN {
            self.earliest = self.earliest.min(due);
        } else if self.len == 1 {
            // The only armed timer: its tick is the earliest without a walk.
            self.earliest = due;
        }
        let slot = self.slot_of(due);
        let head = self.heads[slot].index();
        self.set_links(index, NIL, head);
        if let Some(Timer::Armed { prev, .. }) = self.entry_mut(head) {
            *prev = index;
        }
        self.heads[slot] = Head::new(index);
    }

    /// Appends the armed entry `index` to the ready list.
    fn push_ready(&mut self, index: u32) {
        let tail = self.ready.tail;
        self.set_links(index, tail, NIL);
        match self.entry_mut(tail) {
            Some(Timer::Armed { next, .. }) => *next = index,
            _ => self.ready.head = index,
        }
        self.ready.tail = index;
    }

    /// Removes the armed entry `index` from whichever list holds it.
    fn unlink(&mut self, index: u32) {
        let (tick, place, prev, next) = match self.entry(index) {
            Some(Timer::Armed {
                tick,
                place,
                prev,
                next,
                ..
            }) => (*tick, *place, *prev, *next),
            _ => return,
        };
        if place == Place::Slot && tick == self.earliest {
            // It may have been the only timer due then: look again when asked.
            self.earliest = UNKNOWN;
        }
        match self.entry_mut(prev) {
            Some(Timer::Armed { next: n, .. }) => *n = next,
            _ => match place {
                Place::Slot => {
                    let slot = self.slot_of(tick);
                    self.heads[slot] = Head::new(next);
                }
                Place::Ready => self.ready.head = next,
            },
        }
        match self.entry_mut(next) {
            Some(Timer::Armed { prev: p, .. }) => *p = prev,
            _ => {
                if place == Place::Ready {
                    self.ready.tail = prev;
                }
            }
        }
        self.set_links(index, NIL, NIL);
    }

    /// Moves every timer due at `now` out of the slots into the ready list.
    fn advance(&mut self, now: Instant) {
        if now > self.now {
            self.now = now;
        }
        let now_tick = self.now.as_micros() / self.tick_us;
        if now_tick < self.cursor {
            return;
        }
        let span = (now_tick - self.cursor).saturating_add(1).min(SLOTS as u64);
        for offset in 0..span {
            let slot = self.slot_of(self.cursor + offset);
            let mut link = self.heads[slot].index();
            while let Some(Timer::Armed { tick, next, .. }) = self.entry(link) {
                let (due, following) = (*tick, *next);
                if due <= now_tick {
                    self.unlink(link);
                    self.set_place(link, due, Place::Ready);
                    self.push_ready(link);
                }
                link = following;
            }
        }
        self.cursor = now_tick.saturating_add(1);
    }

    fn set_place(&mut self, index: u32, due: u64, to: Place) {
        if let Some(Timer::Armed { tick, place, .. }) = self.entry_mut(index) {
            *tick = due;
            *place = to;
        }
    }

    fn set_links(&mut self, index: u32, to_prev: u32, to_next: u32) {
        if let Some(Timer::Armed { prev, next, .. }) = self.entry_mut(index) {
            *prev = to_prev;
            *next = to_next;
        }
    }

    /// The slot of an absolute tick.
    fn slot_of(&self, tick: u64) -> usize {
        // The remainder is below `SLOTS`, a `usize`.
        (tick % SLOTS as u64) as usize
    }

    /// The instant a tick starts at (saturating).
    fn instant_of(&self, tick: u64) -> Instant {
        Instant::from_micros(tick.saturating_mul(self.tick_us))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::{TestCaseError, prop_assert, prop_assert_eq};
    use std::collections::BTreeMap;
    use std::vec::Vec;

    const MS: u64 = 1_000;

    fn at(ms: u64) -> Instant {
        Instant::from_micros(ms * MS)
    }

    fn drain<T, Tb: Table<Entry<T>>, const S: usize>(
        w: &mut TimerWheel<T, Tb, S>,
        now: Instant,
    ) -> Vec<T> {
        let mut out = Vec::new();
        w.expire(now, |_, p| out.push(p));
        out
    }

    /// One row: (tick ms, inserts as (deadline ms, payload), expire at ms, expected payloads).
    type Row = (u64, &'static [(u64, u32)], u64, &'static [u32]);

    #[test]
    fn table() {
        let rows: &[Row] = &[
            // Fires exactly at the deadline, not a microsecond before.
            (1, &[(5, 1)], 4, &[]),
            (1, &[(5, 1)], 5, &[1]),
            // Rounded up to the tick: a 10 ms tick fires a 15 ms deadline at 20 ms.
            (10, &[(15, 1)], 19, &[]),
            (10, &[(15, 1)], 20, &[1]),
            // Deadline in the past (at creation `now` = 0): fires on the next expire.
            (10, &[(0, 7)], 0, &[7]),
            // Several in one tick, later ones stay.
            (1, &[(3, 1), (3, 2), (9, 3)], 3, &[1, 2]),
            // Beyond one rotation (8 slots of 1 ms): not fired on the first pass of its slot.
            (1, &[(20, 1)], 12, &[]),
            (1, &[(20, 1)], 20, &[1]),
            // A jump over many rotations fires everything due, in tick order.
            (1, &[(30, 3), (5, 1), (17, 2)], 1_000, &[1, 2, 3]),
        ];
        for (n, &(tick, inserts, now, expected)) in rows.iter().enumerate() {
            let mut w: InlineWheel<u32, 8, 8> =
                InlineWheel::new(Duration::from_millis(tick), at(0));
            for &(d, p) in inserts {
                w.insert(at(d), p).unwrap();
            }
            let mut fired = drain(&mut w, at(now));
            fired.sort_unstable();
            assert_eq!(fired, expected, "row {n}");
        }
    }

    #[test]
    fn cancel_and_stale_ids() {
        let mut w: InlineWheel<u32, 2, 4> = InlineWheel::new(Duration::from_millis(1), at(0));
        let a = w.insert(at(5), 1).unwrap();
        assert_eq!(w.cancel(a), Ok(1));
        assert_eq!(w.cancel(a), Err(TimerError::Stale));
        // The entry is reused with a new generation: the old id cannot touch it.
        let b = w.insert(at(5), 2).unwrap();
        assert_eq!(a.index(), b.index());
        assert_eq!(w.cancel(a), Err(TimerError::Stale));
        assert_eq!(w.reschedule(a, at(1)), Err(TimerError::Stale));
        assert_eq!(w.payload(b), Some(&2));
        assert_eq!(drain(&mut w, at(5)), [2]);
        assert_eq!(w.cancel(b), Err(TimerError::Stale));
        let forged = TimerId {
            index: 99,
            generation: 0,
        };
        assert_eq!(w.cancel(forged), Err(TimerError::Stale));
        assert!(w.is_empty());
    }

    #[test]
    fn capacity_exhausted() {
        let mut w: InlineWheel<u8, 3, 4> = InlineWheel::new(Duration::from_millis(1), at(0));
        for p in 0..3 {
            w.insert(at(10), p).unwrap();
        }
        assert_eq!(w.insert(at(10), 9), Err(TimerError::Full));
        assert_eq!(w.len(), 3);
        assert_eq!(drain(&mut w, at(10)).len(), 3);
        assert!(w.insert(at(10), 9).is_ok());
    }

    #[test]
    fn next_deadline_is_exact() {
        let mut w: InlineWheel<u8, 8, 4> = InlineWheel::new(Duration::from_millis(10), at(0));
        assert_eq!(w.next_deadline(), None);
        w.insert(at(1_000), 1).unwrap();
        assert_eq!(w.next_deadline(), Some(at(1_000)));
        let b = w.insert(at(15), 2).unwrap();
        assert_eq!(w.next_deadline(), Some(at(20)));
        w.cancel(b).unwrap();
        assert_eq!(w.next_deadline(), Some(at(1_000)));
        // Overdue: "now".
        drain(&mut w, at(500));
        w.insert(at(100), 3).unwrap();
        assert_eq!(w.next_deadline(), Some(at(500)));
        assert_eq!(drain(&mut w, at(500)), [3]);
    }

    #[test]
    fn reschedule_moves_timer() {
        let mut w: InlineWheel<u8, 4, 8> = InlineWheel::new(Duration::from_millis(1), at(0));
        let a = w.insert(at(5), 1).unwrap();
        w.reschedule(a, at(50)).unwrap();
        assert_eq!(drain(&mut w, at(10)), []);
        assert_eq!(w.next_deadline(), Some(at(50)));
        w.reschedule(a, at(3)).unwrap();
        assert_eq!(drain(&mut w, at(10)), [1]);
    }

    #[test]
    fn extremes_do_not_panic() {
        let mut w: InlineWheel<u8, 4, 8> = InlineWheel::new(Duration::ZERO, Instant::ZERO);
        assert_eq!(w.tick(), Duration::from_micros(1));
        w.insert(Instant::MAX, 1).unwrap();
        assert_eq!(w.next_deadline(), Some(Instant::MAX));
        assert_eq!(drain(&mut w, Instant::from_micros(u64::MAX - 1)), []);
        assert_eq!(drain(&mut w, Instant::MAX), [1]);
        w.insert(Instant::MAX, 2).unwrap();
        assert_eq!(drain(&mut w, Instant::ZERO), [2]);
        let mut w: InlineWheel<u8, 4, 1> = InlineWheel::new(Duration::MAX, Instant::ZERO);
        w.insert(Instant::from_micros(5), 1).unwrap();
        assert_eq!(w.next_deadline(), Some(Instant::MAX));
        assert_eq!(drain(&mut w, Instant::MAX), [1]);
    }

    #[test]
    fn static_construction() {
        static WHEEL: InlineWheel<(), 4, 4> =
            InlineWheel::new(Duration::from_millis(1), Instant::ZERO);
        assert!(WHEEL.is_empty());
        assert_eq!(WHEEL.capacity(), 4);
    }

    #[test]
    fn trim_gives_the_vacant_tail_back_and_old_ids_stay_stale() {
        let table = heapless::Vec::<_, 4>::new();
        let mut w: TimerWheel<u32, _, 4> =
            TimerWheel::with_table(table, Duration::from_millis(1), at(0));
        let ids: Vec<_> = (0..4)
            .map(|p| w.insert(at(10 + u64::from(p)), p).unwrap())
            .collect();
        assert_eq!(w.trim(), 0);
        w.cancel(ids[3]).unwrap();
        w.cancel(ids[1]).unwrap();
        assert_eq!((w.trim(), w.used(), w.entries.len()), (1, 3, 3));
        // The lowest vacant entry first, then the table grows again, past the old generations.
        let a = w.insert(at(20), 10).unwrap();
        let b = w.insert(at(20), 11).unwrap();
        assert_eq!((a.index(), b.index()), (1, 3));
        for stale in [ids[1], ids[3]] {
            assert_eq!(w.cancel(stale), Err(TimerError::Stale), "{stale:?}");
        }
        let mut fired = drain(&mut w, at(20));
        fired.sort_unstable();
        assert_eq!(fired, [0, 2, 10, 11]);
        assert_eq!((w.trim(), w.used(), w.entries.len()), (4, 0, 0));
        // Entry 0, written again, names none of the timers it held before.
        let c = w.insert(at(30), 12).unwrap();
        assert!(
            ids.iter()
                .chain([&a])
                .all(|&old| old != c && w.payload(old).is_none())
        );
        assert_eq!(w.payload(c), Some(&12));
    }

    /// One step of the model test.
    #[derive(Clone, Debug)]
    enum Op {
        Insert(u64),
        Cancel(usize),
        Reschedule(usize, u64),
        Advance(u64),
        Trim,
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            4 => (0u64..20_000).prop_map(Op::Insert),
            2 => any::<usize>().prop_map(Op::Cancel),
            1 => (any::<usize>(), 0u64..20_000).prop_map(|(i, d)| Op::Reschedule(i, d)),
            3 => (0u64..3_000).prop_map(Op::Advance),
            1 => Just(Op::Trim),
        ]
    }

    /// The model: armed timers by payload, with deadline and whether they were overdue on filing.
    struct Model {
        armed: BTreeMap<u32, (TimerId, u64, bool)>,
    }

    /// Runs `ops` on `w` (16 timers, ticks of `tick` µs, started at `start` µs) against the
    /// model; dead ids must stay stale throughout, trims included.
    fn run_model<Tb: Table<Entry<u32>>, const S: usize>(
        mut w: TimerWheel<u32, Tb, S>,
        tick: u64,
        start: u64,
        ops: Vec<Op>,
    ) -> Result<(), TestCaseError> {
        let mut model = Model {
            armed: BTreeMap::new(),
        };
        let mut now = start;
        let mut next_payload = 0u32;
        let mut dead: Vec<TimerId> = Vec::new();
        for op in ops {
            match op {
                Op::Insert(offset) => {
                    // Deadlines a little before and well after `now`.
                    let deadline = (now + offset).saturating_sub(1_000);
                    let r = w.insert(Instant::from_micros(deadline), next_payload);
                    if model.armed.len() == 16 {
                        prop_assert_eq!(r, Err(TimerError::Full));
                    } else {
                        let id = r.unwrap();
                        model
                            .armed
                            .insert(next_payload, (id, deadline, deadline <= now));
                    }
                    next_payload += 1;
                }
                Op::Cancel(pick) => {
                    if let Some((&p, &(id, ..))) =
                        model.armed.iter().nth(pick % model.armed.len().max(1))
                    {
                        prop_assert_eq!(w.cancel(id), Ok(p));
                        model.armed.remove(&p);
                        dead.push(id);
                    }
                    if let Some(&id) = dead.get(pick % dead.len().max(1)) {
                        prop_assert_eq!(w.cancel(id), Err(TimerError::Stale));
                    }
                }
                Op::Reschedule(pick, offset) => {
                    let deadline = (now + offset).saturating_sub(1_000);
                    if let Some((&p, &(id, ..))) =
                        model.armed.iter().nth(pick % model.armed.len().max(1))
                    {
                        w.reschedule(id, Instant::from_micros(deadline)).unwrap();
                        model.armed.insert(p, (id, deadline, deadline <= now));
                    }
                }
                Op::Trim => {
                    let used = w.used();
                    let keep = model
                        .armed
                        .values()
                        .map(|&(id, ..)| id.index() + 1)
                        .max()
                        .unwrap_or(0);
                    prop_assert_eq!(w.trim(), used - keep);
                    prop_assert_eq!(w.used(), keep);
                }
                Op::Advance(by) => {
                    now += by;
                    // Due: overdue when filed, or now past the deadline rounded up to a tick.
                    let mut expected: Vec<u32> = model
                        .armed
                        .iter()
                        .filter(|&(_, &(_, d, overdue))| overdue || now >= d.div_ceil(tick) * tick)
                        .map(|(&p, _)| p)
                        .collect();
                    let mut fired = Vec::new();
                    while let Some((id, p)) = w.poll_expired(Instant::from_micros(now)) {
                        let (armed_id, deadline, _) = model.armed[&p];
                        prop_assert_eq!(id, armed_id);
                        // Never early, and at most one tick late.
                        prop_assert!(deadline <= now);
                        fired.push(p);
                        dead.push(id);
                    }
                    fired.sort_unstable();
                    expected.sort_unstable();
                    prop_assert_eq!(&fired, &expected);
                    for p in fired {
                        model.armed.remove(&p);
                    }
                }
            }
            prop_assert_eq!(w.len(), model.armed.len());
            // next_deadline is the earliest due instant, or `now` when something is overdue.
            let want = model
                .armed
                .values()
                .map(|&(_, d, overdue)| {
                    if overdue {
                        now
                    } else {
                        d.div_ceil(tick) * tick
                    }
                })
                .min();
            prop_assert_eq!(w.next_deadline().map(Instant::as_micros), want);
            for &id in &dead {
                prop_assert!(w.payload(id).is_none(), "a dead id reached {:?}", id);
            }
        }
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn matches_model(
            tick in 1u64..2_000,
            start in 0u64..10_000,
            ops in proptest::collection::vec(op(), 1..200),
        ) {
            let (tick_len, at) = (Duration::from_micros(tick), Instant::from_micros(start));
            let w: InlineWheel<u32, 16, 8> = InlineWheel::new(tick_len, at);
            run_model(w, tick, start, ops.clone())?;
            // One slot, as aurora-embassy's few sockets use it: every timer shares it.
            let w: InlineWheel<u32, 16, 1> = InlineWheel::new(tick_len, at);
            run_model(w, tick, start, ops)?;
        }

        #[test]
        fn a_trimmed_table_matches_the_model(
            tick in 1u64..2_000,
            start in 0u64..10_000,
            ops in proptest::collection::vec(op(), 1..200),
        ) {
            let table = heapless::Vec::<_, 16>::new();
            let w: TimerWheel<_, _, 8> = TimerWheel::with_table(table, Duration::from_micros(tick), Instant::from_micros(start));
            run_model(w, tick, start, ops)?;
        }
    }
}
