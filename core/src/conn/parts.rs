//! A large request body handed to the application's [`Consumer`](super::Consumer) part by
//! part as it arrives, only as fast as the output queue has room for what the consumer may
//! write in answer (the back-pressure that keeps a pushed echo whole).
//!
//! Part of the connection engine.

use crate::http::Status;
use crate::http::response::{self, LAST_CHUNK, Persistence};
use crate::mem::buffer_pool::BufferPool;
use crate::time::Instant;

use super::handler::{Consumer, End, Handler};
use super::responder::{Reply, Responder};
use super::{Answer, Connection, Env, PartFraming, Phase, RejectCause, Step};

/// Output space a body part leaves free for the response head, when no answer has begun
/// yet: a part is never longer than one [`Responder::write`] can carry after a head of at most
/// this many bytes, with room left for [`Responder::finish`].
pub const PART_HEAD_ROOM: usize = 512;

impl<H: Handler> Connection<H> {
    /// Hands the body being read in parts to the consumer, as far as it has arrived and the
    /// output queue has room for what the consumer may write; after the last part, carries
    /// out the answer.
    #[inline(never)]
    pub(super) fn read_parts(&mut self, now: Instant, env: &mut Env<'_, '_, H>) -> Step {
        let Phase::Parts {
            mut framing,
            mut answer,
            progress,
            started,
        } = self.phase
        else {
            return Step::Stop;
        };
        let head_len = self.head_len();
        // The body bytes ready to hand over, and whether the body's end is among them.
        let (ready, done) = match &mut framing {
            PartFraming::Length { left } => {
                let buffered = self.rx.filled().saturating_sub(head_len);
                let ready = usize::try_from(*left).map_or(buffered, |left| left.min(buffered));
                (ready, u64::try_from(ready).is_ok_and(|r| r == *left))
            }
            PartFraming::Chunked { decoder, decoded } => {
                match self.rx.decode_chunked(head_len, decoder, decoded, env.pool) {
                    Ok(step) => (step.body_end, step.done),
                    Err((status, cause)) => return Step::Fail(status, cause),
                }
            }
        };
        // Bounded: every pass hands over at least one byte, or the empty last part and leaves.
        let mut given = 0usize;
        let mut finished = false;
        for _ in 0..ready.saturating_add(2) {
            let left_here = ready.saturating_sub(given);
            if left_here == 0 && !done {
                break;
            }
            let room = self.part_room(answer, env.pool);
            if room == 0 {
                // Back-pressure: the queue must drain before more of the body is taken.
                break;
            }
            let len = left_here.min(room);
            let last = done && len == left_here;
            let start = head_len.saturating_add(given);
            let reply = self.reply_for(answer);
            let part = start..start.saturating_add(len);
            let Some(reply) = self.give(part, last, reply, started, now, env) else {
                return Step::Fail(Status::INTERNAL_SERVER_ERROR, RejectCause::Handler);
            };
            given = given.saturating_add(len);
            let before = answer;
            answer = match reply {
                Reply::Refused => {
                    return Step::Fail(Status::PAYLOAD_TOO_LARGE, RejectCause::BodyTooLarge);
                }
                // A request with a body is never a WebSocket handshake.
                Reply::Upgrade(..) => {
                    return Step::Fail(Status::INTERNAL_SERVER_ERROR, RejectCause::Handler);
                }
                Reply::None => Answer::None,
                Reply::Push(push) => Answer::Push(push),
                Reply::Sent {
                    status,
                    persistence,
                } => Answer::Sent {
                    status,
                    persistence,
                },
                Reply::Pull(pull) => {
                    self.pull = Some(pull);
                    Answer::Pulled
                }
            };
            if let (
                Answer::None | Answer::Push(_),
                Answer::Sent {
                    status,
                    persistence,
                },
            ) = (before, answer)
            {
                self.responded(status, started, env);
                if persistence == Persistence::Close {
                    // Nothing more of this connection is read: the rest of the body is
                    // dropped with the buffer.
                    self.end_consumer(env.handler.state());
                    return self.after_response(persistence, now, env.pool);
                }
            }
            if last {
                finished = true;
                break;
            }
        }
        // Drop what was handed over, keeping the head in front.
        self.rx
            .cut(head_len, head_len.saturating_add(given), env.pool);
        match &mut framing {
            PartFraming::Length { left } => {
                *left = left.saturating_sub(u64::try_from(given).unwrap_or(u64::MAX));
            }
            PartFraming::Chunked { decoded, .. } => *decoded = decoded.saturating_sub(given),
        }
        if !finished {
            self.phase = Phase::Parts {
                framing,
                answer,
                progress,
                started,
            };
            return Step::Stop;
        }
        self.end_consumer(env.handler.state());
        self.rx.consume(head_len);
        match answer {
            Answer::Sent { persistence, .. } => self.after_response(persistence, now, env.pool),
            Answer::Push(push) => self.carry_out(Reply::Push(push), started, now, env),
            Answer::Pulled => match self.pull.take() {
                Some(pull) => self.carry_out(Reply::Pull(pull), started, now, env),
                None => Step::Fail(Status::INTERNAL_SERVER_ERROR, RejectCause::Handler),
            },
            Answer::None => Step::Fail(Status::INTERNAL_SERVER_ERROR, RejectCause::Handler),
        }
    }

    /// The longest part the consumer may get now: what one chunk can carry in the free
    /// output space, less room for the last chunk and (before any answer) for a head.
    /// Unbounded once the answer is given whole, since the consumer writes nothing more.
    fn part_room(&mut self, answer: Answer, pool: &mut BufferPool<'_>) -> usize {
        let reserve = match answer {
            Answer::Sent { .. } | Answer::Pulled => return usize::MAX,
            Answer::Push(_) => LAST_CHUNK.len(),
            Answer::None => LAST_CHUNK.len().saturating_add(PART_HEAD_ROOM),
        };
        let free = self
            .tx
            .space(pool, self.start)
            .map_or(0, |space| space.len());
        response::max_chunk_data(free.saturating_sub(reserve))
    }

    /// The consumer's answer so far as a [`Reply`] to go on from.
    fn reply_for(&mut self, answer: Answer) -> Reply<H::Body> {
        match answer {
            Answer::None => Reply::None,
            Answer::Push(push) => Reply::Push(push),
            Answer::Sent {
                status,
                persistence,
            } => Reply::Sent {
                status,
                persistence,
            },
            Answer::Pulled => self.pull.take().map_or(Reply::None, Reply::Pull),
        }
    }

    /// Calls the consumer with the buffered body bytes `part` of the request that began at
    /// `started`, going on from `reply`; returns its answer so far. `None` when the consumer or a buffer is not there.
    fn give(
        &mut self,
        part: core::ops::Range<usize>,
        last: bool,
        reply: Reply<H::Body>,
        started: Instant,
        now: Instant,
        env: &mut Env<'_, '_, H>,
    ) -> Option<Reply<H::Body>> {
        let rx = self.rx.handle()?;
        let persistence = self.persistence();
        let cx = self.later_cx(env.date);
        let mut consumer = self.consumer.take()?;
        let Ok((input, mut rest)) = env.pool.lend(rx) else {
            self.consumer = Some(consumer);
            return None;
        };
        // `part` counts from the start of what is buffered.
        let at = self.rx.window().start;
        let part = input
            .get(part.start.saturating_add(at)..part.end.saturating_add(at))
            .unwrap_or_default();
        let arena = env.arena.as_deref();
        let mut res = Responder::new(
            &mut self.tx,
            &mut rest,
            self.start,
            now,
            cx,
            persistence,
            arena,
            reply,
        )
        .with_origin(env.peer, started);
        consumer.consume(env.handler.state(), part, last, &mut res);
        let (reply, _) = res.into_reply();
        env.reset_arena();
        self.consumer = Some(consumer);
        Some(reply)
    }

    /// Tells the consumer its exchange is over and drops it.
    fn end_consumer(&mut self, app: &mut H::State) {
        if let Some(mut consumer) = self.consumer.take() {
            consumer.end(app, End::Completed);
        }
    }
}
