//! The timer wheel driven the way a backend drives it: on a virtual clock that jumps straight to
//! `next_deadline`, with per-connection timers that are armed, pushed back and cancelled.
#![allow(clippy::unwrap_used)]

use aurora_core::time::wheel::{InlineWheel, TimerError, TimerId};
use aurora_core::time::{Duration, Instant};

/// What a connection's timer is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    HeaderRead,
    KeepAlive,
}

/// The payload a server keeps in the wheel: which connection, which timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Timer {
    slot: u16,
    kind: Kind,
}

const TICK: Duration = Duration::from_millis(10);

#[test]
fn backend_loop_sleeps_until_each_deadline_and_never_spins() {
    let start = Instant::from_millis(1_000);
    let mut wheel: InlineWheel<Timer, 64, 64> = InlineWheel::new(TICK, start);
    // 32 connections with header timeouts spread over 0..=31 s; every other one makes progress
    // once and is pushed back by 5 s; every fourth is cancelled outright.
    let mut ids: Vec<(TimerId, Instant)> = Vec::new();
    for slot in 0..32u16 {
        let deadline = start + Duration::from_millis(u64::from(slot) * 997);
        let timer = Timer {
            slot,
            kind: Kind::HeaderRead,
        };
        ids.push((wheel.insert(deadline, timer).unwrap(), deadline));
    }
    for (slot, (id, deadline)) in ids.iter_mut().enumerate() {
        if slot % 4 == 3 {
            assert_eq!(wheel.cancel(*id).map(|t| t.slot), Ok(slot as u16));
        } else if slot % 2 == 1 {
            *deadline = *deadline + Duration::from_secs(5);
            wheel.reschedule(*id, *deadline).unwrap();
        }
    }
    let mut now = start;
    let mut fired = Vec::new();
    let mut steps = 0;
    while let Some(wake) = wheel.next_deadline() {
        steps += 1;
        assert!(steps <= 64, "the loop spins");
        assert!(wake >= now, "next_deadline went backwards");
        now = wake;
        let before = fired.len();
        wheel.expire(now, |id, timer: Timer| fired.push((id, timer.slot, now)));
        assert!(fired.len() > before, "woke at {now:?} for nothing");
    }
    assert!(wheel.is_empty());
    assert_eq!(fired.len(), 24);
    for (id, slot, at) in fired {
        let (armed, deadline) = ids[usize::from(slot)];
        assert_eq!(id, armed);
        assert!(at >= deadline, "slot {slot} fired early");
        assert!(at < deadline + TICK, "slot {slot} fired late");
        assert_eq!(wheel.cancel(id), Err(TimerError::Stale));
    }
}

#[test]
fn keep_alive_timer_replaces_header_timer() {
    let mut wheel: InlineWheel<Timer, 4> = InlineWheel::new(TICK, Instant::ZERO);
    let header = Timer {
        slot: 0,
        kind: Kind::HeaderRead,
    };
    let id = wheel.insert(Instant::from_millis(10_000), header).unwrap();
    // The request completes at 2 s: the header timer goes, a keep-alive timer comes.
    assert_eq!(wheel.cancel(id), Ok(header));
    let idle = Timer {
        slot: 0,
        kind: Kind::KeepAlive,
    };
    let id = wheel.insert(Instant::from_millis(17_000), idle).unwrap();
    assert_eq!(wheel.poll_expired(Instant::from_millis(10_000)), None);
    assert_eq!(wheel.next_deadline(), Some(Instant::from_millis(17_000)));
    assert_eq!(
        wheel.poll_expired(Instant::from_millis(17_000)),
        Some((id, idle))
    );
    assert_eq!(wheel.poll_expired(Instant::from_millis(17_000)), None);
}
