//! Drives one sans-IO `Connection` with arbitrary bytes, read splits, clock advances, output
//! drains and handler behaviours, and checks what a backend relies on: no panic; while open
//! the connection always waits with a deadline (or has output to write); once closed, every
//! pool buffer is back; and the clock alone always ends it.
#![no_main]

use aurora_core::config::ServerConfig;
use aurora_core::conn::{
    CloseReason, Connection, Consumer, End, Env, Fill, Handler, Producer, RequestBody, Responder,
    Spans, State,
};
use aurora_core::http::Status;
use aurora_core::http::header::HeaderSpan;
use aurora_core::http::request::Request;
use aurora_core::mem::buffer_pool::{BufferPool, ClassRegion, SizeClass, Slot};
use aurora_core::time::{Duration, Instant};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

/// One step of the peer or the backend.
#[derive(Arbitrary, Debug)]
enum Op {
    /// Bytes from the peer, in reads of at most `chunk + 1` bytes.
    Read {
        bytes: Vec<u8>,
        chunk: u16,
    },
    /// Writes of at most `limit + 1` bytes each, until the connection has nothing or `writes`.
    Write {
        limit: u16,
        writes: u8,
    },
    /// The clock moves on.
    Advance {
        ms: u16,
    },
    Eof,
    Shutdown,
    Wake,
    Abort,
}

/// How the application answers a request.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Answer {
    Send { len: u16 },
    Static,
    Stream { len: u16, step: u8, pending: bool },
    Sized { len: u16, produced: u16 },
    Consume { echo: bool },
    Refuse,
    Nothing,
}

#[derive(Arbitrary, Debug)]
struct Input {
    answers: Vec<Answer>,
    start: u8,
    ops: Vec<Op>,
}

/// The application: answers request `n` with `answers[n % len]`.
struct App {
    answers: Vec<Answer>,
    calls: usize,
    ended: usize,
    produced: usize,
}

struct Body {
    left: usize,
    step: usize,
    pending: bool,
}

impl Producer<App> for Body {
    fn poll_fill(&mut self, app: &mut App, now: Instant, out: &mut [u8]) -> Fill {
        if self.pending {
            self.pending = false;
            return Fill::Until(now + Duration::from_millis(10));
        }
        if self.left == 0 {
            return Fill::Done;
        }
        let n = self.left.min(self.step).min(out.len());
        out[..n].fill(b'b');
        self.left -= n;
        app.produced += n;
        Fill::Filled(n)
    }

    fn end(&mut self, app: &mut App, _how: End) {
        app.ended += 1;
    }
}

struct Echo(bool);

impl Consumer<App, Body> for Echo {
    fn consume(
        &mut self,
        _app: &mut App,
        part: &[u8],
        last: bool,
        res: &mut Responder<'_, Body, Self>,
    ) {
        if !self.0 {
            if last && !res.is_answered() {
                let _ = res.send(Status::CREATED, &[], b"");
            }
            return;
        }
        if !res.is_answered() {
            let _ = res.start_stream(Status::OK, &[]);
        }
        let _ = res.write(part);
        if last {
            let _ = res.finish();
        }
    }

    fn end(&mut self, app: &mut App, _how: End) {
        app.ended += 1;
    }
}

impl Handler for App {
    type State = App;
    type Body = Body;
    type Consumer = Echo;

    fn state(&mut self) -> &mut App {
        self
    }

    fn handle(
        &mut self,
        _req: &Request<'_>,
        body: RequestBody<'_>,
        res: &mut Responder<'_, Body, Echo>,
    ) {
        static STATIC: [u8; 5000] = [b's'; 5000];
        let answer = self
            .answers
            .get(self.calls % self.answers.len().max(1))
            .copied();
        self.calls += 1;
        let _ = match answer.unwrap_or(Answer::Send { len: 2 }) {
            Answer::Send { len } => res.send(Status::OK, &[], &vec![b'x'; usize::from(len)]),
            Answer::Static => res.send_static(Status::OK, &[], &STATIC),
            Answer::Stream { len, step, pending } => res.stream(
                Status::OK,
                &[],
                Body {
                    left: usize::from(len),
                    step: usize::from(step) + 1,
                    pending,
                },
            ),
            Answer::Sized { len, produced } => res.stream_sized(
                Status::OK,
                &[],
                u64::from(len),
                Body {
                    left: usize::from(produced),
                    step: 1000,
                    pending: false,
                },
            ),
            Answer::Consume { echo } if body.is_large() => res.consume(Echo(echo)),
            Answer::Consume { .. } => res.send(Status::OK, &[], body.bytes()),
            Answer::Refuse => res.refuse_body(),
            Answer::Nothing => Ok(()),
        };
    }
}

/// The pool's and the header scratch's memory, made once and reused by every input (a new
/// pool over it starts with every buffer free).
struct Memory {
    bytes: [Vec<u8>; 5],
    slots: [Vec<Slot>; 5],
    spans: Vec<HeaderSpan>,
}

impl Memory {
    fn new() -> Self {
        Memory {
            bytes: SizeClass::ALL.map(|class| vec![0u8; class.bytes() * 3]),
            slots: SizeClass::ALL.map(|_| vec![Slot::EMPTY; 3]),
            spans: vec![HeaderSpan::EMPTY; 32],
        }
    }

    fn parts(&mut self) -> (BufferPool<'_>, Spans<'_>) {
        let mut bytes = self.bytes.iter_mut();
        let mut slots = self.slots.iter_mut();
        let regions = std::array::from_fn(|_| match (bytes.next(), slots.next()) {
            (Some(b), Some(s)) => ClassRegion::new(b, s),
            _ => ClassRegion::empty(),
        });
        (BufferPool::new(1, regions), Spans::new(&mut self.spans))
    }
}

thread_local! {
    static MEMORY: std::cell::RefCell<Memory> = std::cell::RefCell::new(Memory::new());
}

fn in_use(pool: &BufferPool<'_>) -> usize {
    SizeClass::ALL.iter().map(|&c| pool.stats(c).in_use).sum()
}

fuzz_target!(|input: Input| MEMORY.with_borrow_mut(|memory| run(input, memory)));

fn run(input: Input, memory: &mut Memory) {
    let mut config = ServerConfig::DEFAULT;
    config.limits.max_body_bytes = 1 << 20;
    config.pools.start_class = SizeClass::ALL[usize::from(input.start) % 3];
    let (mut pool, mut spans) = memory.parts();
    let mut app = App {
        answers: input.answers,
        calls: 0,
        ended: 0,
        produced: 0,
    };
    let mut now = Instant::from_millis(1_000);
    let mut conn: Connection<App> = Connection::new(&config, now);
    let mut closed: Option<CloseReason> = None;
    macro_rules! env {
        () => {
            Env {
                pool: &mut pool,
                handler: &mut app,
                date: None,
                spans: &mut spans,
                observer: &mut (),
                arena: None,
                peer: None,
            }
        };
    }
    for op in input.ops.into_iter().take(64) {
        match op {
            Op::Read { bytes, chunk } => {
                let mut rest = &bytes[..];
                while !rest.is_empty() {
                    let Ok(space) = conn.read_buf(&mut pool) else {
                        break;
                    };
                    let n = space.len().min(rest.len()).min(usize::from(chunk) + 1);
                    space[..n].copy_from_slice(&rest[..n]);
                    rest = &rest[n..];
                    conn.handle_read(n, now, &mut env!());
                }
            }
            Op::Write { limit, writes } => {
                for _ in 0..=writes {
                    let Some(out) = conn.poll_transmit(&pool) else {
                        break;
                    };
                    assert!(!out.is_empty());
                    let n = out.len().min(usize::from(limit) + 1);
                    conn.handle_written(n, now, &mut env!());
                }
            }
            Op::Advance { ms } => {
                now = now + Duration::from_millis(u64::from(ms));
                if conn.poll_timeout().is_some_and(|at| at <= now) {
                    conn.handle_timeout(now, &mut env!());
                }
            }
            Op::Eof => conn.handle_eof(now, &mut env!()),
            Op::Shutdown => conn.shutdown(now, &mut env!()),
            Op::Wake => conn.wake(now, &mut env!()),
            Op::Abort => conn.abort(CloseReason::PeerClosed, &mut env!()),
        }
        if let Some(reason) = conn.poll_close() {
            assert!(closed.is_none(), "closed twice");
            closed = Some(reason);
        }
        if conn.state() == State::Closed {
            assert_eq!(in_use(&pool), 0, "a closed connection holds a buffer");
            assert_eq!(conn.poll_timeout(), None);
        } else {
            assert!(
                conn.poll_timeout().is_some() || conn.poll_transmit(&pool).is_some(),
                "open with neither a deadline nor output: {:?}",
                conn.state()
            );
        }
    }
    // The clock alone ends every connection (writes never drain here).
    for _ in 0..64 {
        let Some(at) = conn.poll_timeout() else { break };
        now = now.max(at);
        conn.handle_timeout(now, &mut env!());
    }
    if conn.state() != State::Closed {
        // Only a queue the peer never reads may be left, and its write deadline passed.
        panic!("still open after every deadline: {:?}", conn.state());
    }
    assert_eq!(in_use(&pool), 0, "every buffer back after close");
    assert!(app.ended <= app.calls, "more ends than exchanges");
}
