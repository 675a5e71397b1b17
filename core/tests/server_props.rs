//! Random sequences of network operations against the server driver: it never panics, its
//! counters always agree with the network, and once every client is gone every connection
//! closes and every pool buffer is back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod server_util;

use aurora_core::config::{OverloadPolicy, ServerConfig};
use aurora_core::server::io::{Event, Readiness, Token};
use aurora_core::time::Duration;
use proptest::prelude::*;
use server_util::{Mode, Rig, SLOTS, get, post};

/// What a client sends.
#[derive(Clone, Debug)]
enum Payload {
    Get,
    Post(usize),
    Chunked,
    /// A request cut after this many bytes.
    Partial(usize),
    Garbage(Vec<u8>),
}

/// One step of the network.
#[derive(Clone, Debug)]
enum Op {
    Connect,
    Send(usize, Payload),
    Recv(usize, usize),
    Fin(usize),
    Reset(usize),
    Advance(u64),
    Spurious(usize, bool, bool),
    WallClock(u64),
    Shutdown,
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        4 => Just(Payload::Get),
        2 => (0usize..6_000).prop_map(Payload::Post),
        1 => Just(Payload::Chunked),
        2 => (1usize..40).prop_map(Payload::Partial),
        1 => proptest::collection::vec(any::<u8>(), 1..64).prop_map(Payload::Garbage),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        15 => Just(Op::Connect),
        30 => (any::<usize>(), payload()).prop_map(|(c, p)| Op::Send(c, p)),
        20 => (any::<usize>(), 1usize..20_000).prop_map(|(c, n)| Op::Recv(c, n)),
        5 => any::<usize>().prop_map(Op::Fin),
        5 => any::<usize>().prop_map(Op::Reset),
        10 => (0u64..40_000).prop_map(Op::Advance),
        5 => (0usize..SLOTS + 2, any::<bool>(), any::<bool>())
            .prop_map(|(t, r, w)| Op::Spurious(t, r, w)),
        5 => (0u64..4_000_000_000).prop_map(Op::WallClock),
        // Rare: everything after it is the drain.
        1 => Just(Op::Shutdown),
    ]
}

/// The bytes of `payload`.
fn bytes(payload: &Payload) -> Vec<u8> {
    match payload {
        Payload::Get => get("/p"),
        Payload::Post(n) => post("/p", &vec![b'b'; *n]),
        Payload::Chunked => b"POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
              5\r\nhello\r\n0\r\n\r\n"
            .to_vec(),
        Payload::Partial(n) => {
            let full = get("/partial");
            full[..(*n).min(full.len() - 1)].to_vec()
        }
        Payload::Garbage(g) => g.clone(),
    }
}

/// A random server setup: limits, pool sizes, socket capacity and answer sizes.
#[derive(Clone, Debug)]
struct Setup {
    max_connections: u32,
    high: u8,
    low: u8,
    close_policy: bool,
    counts: [usize; 5],
    capacity: usize,
    mode: Mode,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        1u32..24,
        50u8..=100,
        0u8..50,
        any::<bool>(),
        (1usize..6, 0usize..3, 0usize..2, 0usize..2),
        prop_oneof![Just(7usize), Just(100), Just(1_500), Just(65_536)],
        prop_oneof![Just(Mode::Echo), (0usize..70_000).prop_map(Mode::Sized)],
    )
        .prop_map(
            |(max_connections, high, low, close_policy, (n4, n16, n64, n256), capacity, mode)| {
                Setup {
                    max_connections,
                    high,
                    low,
                    close_policy,
                    counts: [1, n4, n16, n64, n256],
                    capacity,
                    mode,
                }
            },
        )
}

fn rig(setup: &Setup) -> Rig {
    let mut config = ServerConfig::DEFAULT;
    config.max_connections = setup.max_connections;
    config.high_water_percent = setup.high;
    config.low_water_percent = setup.low;
    if setup.close_policy {
        config.overload_response = OverloadPolicy::Close;
    }
    config.max_requests_per_connection = 5;
    config.validate().unwrap();
    Rig::with(config, setup.counts, setup.capacity, setup.mode)
}

fn apply(rig: &mut Rig, op: &Op) {
    let pick = |c: &usize, rig: &Rig| (rig.net.count() > 0).then(|| c % rig.net.count());
    match op {
        Op::Connect => {
            rig.net.connect();
        }
        Op::Send(c, p) => {
            if let Some(id) = pick(c, rig) {
                rig.net.send(id, &bytes(p));
            }
        }
        Op::Recv(c, n) => {
            if let Some(id) = pick(c, rig) {
                rig.net.recv(id, *n);
            }
        }
        Op::Fin(c) => {
            if let Some(id) = pick(c, rig) {
                rig.net.fin(id);
            }
        }
        Op::Reset(c) => {
            if let Some(id) = pick(c, rig) {
                rig.net.reset(id);
            }
        }
        Op::Advance(ms) => rig.now = rig.now + Duration::from_millis(*ms),
        Op::Spurious(t, readable, writable) => rig.net.inject(Event {
            token: Token(*t),
            readiness: Readiness {
                readable: *readable,
                writable: *writable,
                closed: false,
            },
        }),
        Op::WallClock(secs) => rig.server.set_wall_clock(*secs),
        Op::Shutdown => rig.shutdown(),
    }
    rig.settle();
    rig.check_counts();
}

/// Every client leaves politely (FIN, reading all it is sent); time passes until the server is
/// empty.
fn wind_down(rig: &mut Rig) {
    for id in 0..rig.net.count() {
        rig.net.fin(id);
    }
    for _ in 0..200 {
        // Read until nothing more flows (a 7-byte socket takes many rounds), then let time pass.
        for _ in 0..100_000 {
            let got: usize = (0..rig.net.count())
                .map(|id| rig.net.recv_all(id).len())
                .sum();
            rig.settle();
            if got == 0 {
                break;
            }
        }
        if rig.server.connections() == 0 {
            break;
        }
        rig.advance(Duration::from_millis(1_000));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_operations_never_leak(setup in setup(), ops in proptest::collection::vec(op(), 1..60)) {
        let mut rig = rig(&setup);
        for op in &ops {
            apply(&mut rig, op);
        }
        wind_down(&mut rig);
        prop_assert_eq!(rig.server.connections(), 0);
        prop_assert_eq!(rig.buffers_in_use(), 0);
        rig.check_counts();
        let accepted = rig.metric("aurora_connections_accepted_total").unwrap();
        let closed = rig.metric("aurora_connections_closed_total").unwrap();
        prop_assert_eq!(accepted, closed);
        for class in ["1024", "4096", "16384", "65536", "262144"] {
            let series = format!("aurora_buffers_in_use{{class=\"{class}\"}}");
            prop_assert_eq!(rig.metric(&series), Some(0.0));
        }
    }

    #[test]
    fn resets_free_everything_at_once(setup in setup(), ops in proptest::collection::vec(op(), 1..40)) {
        let mut rig = rig(&setup);
        for op in &ops {
            apply(&mut rig, op);
        }
        for id in 0..rig.net.count() {
            rig.net.reset(id);
        }
        rig.settle();
        // A connection that found the pool empty notices its reset when it retries (10 ms).
        rig.advance(Duration::from_millis(20));
        prop_assert_eq!(rig.server.connections(), 0);
        prop_assert_eq!(rig.buffers_in_use(), 0);
        rig.check_counts();
    }
}
