//! Handing a request to the application and carrying out its answer: the one handler call per
//! request (with the request lent out of the read buffer while the output queue may grow),
//! what each kind of answer makes the connection do, and the pulling of a response body.
//!
//! Part of the connection engine.

use crate::http::Status;
use crate::http::chunked::ChunkedDecoder;
use crate::http::request::{RequestHead, Version};
use crate::http::response::{CONTINUE_100, EncodeContext, LAST_CHUNK, Persistence};
use crate::mem::buffer_pool::BufferPool;
use crate::time::Instant;

use super::handler::{End, Handler, RequestBody};
use super::pull::Progress;
use super::responder::{Push, Reply, Responder};
use super::{Answer, CloseReason, Connection, Env, PartFraming, Phase, RejectCause, Step};

/// A body too large to read whole, as the handler is told of it.
#[derive(Clone, Copy, Debug)]
pub(super) enum Announce {
    /// `Content-Length`, none of it handed over yet.
    Length(u64),
    /// Chunked, decoded in place so far as the buffer reached.
    Chunked {
        decoder: ChunkedDecoder,
        decoded: usize,
    },
}

/// The most times one pump fills the queue before it lets the backend write.
const FILLS: usize = 16;

impl<H: Handler> Connection<H> {
    /// Hands the complete request of [`Phase::Ready`] to the handler, once the output queue
    /// holds less than a start buffer of earlier responses, and carries out its answer.
    #[inline(never)]
    pub(super) fn dispatch(&mut self, now: Instant, env: &mut Env<'_, '_, H>) -> Step {
        let Phase::Ready { body_end, started } = self.phase else {
            return Step::Stop;
        };
        if self.tx.len() >= self.start.bytes() {
            // Back-pressure: the peer reads earlier responses first.
            return Step::Stop;
        }
        let persistence = self.persistence();
        let body = Given::Whole { end: body_end };
        let Some((reply, _)) = self.call(body, persistence, started, now, env) else {
            return Step::Fail(Status::INTERNAL_SERVER_ERROR, RejectCause::Handler);
        };
        self.rx.consume(body_end, env.pool);
        self.carry_out(reply, started, now, env)
    }

    /// Tells the handler of a body too large to read whole, before reading it: a consumer
    /// takes it in parts; any other answer is sent with `Connection: close` and the body is
    /// never read; no answer is `413`.
    pub(super) fn announce(
        &mut self,
        large: Announce,
        started: Instant,
        now: Instant,
        env: &mut Env<'_, '_, H>,
    ) -> Step {
        let length = match large {
            Announce::Length(len) => Some(len),
            Announce::Chunked { .. } => None,
        };
        let Some((reply, consumer)) = self.call(
            Given::Large { length },
            Persistence::Close,
            started,
            now,
            env,
        ) else {
            return Step::Fail(Status::INTERNAL_SERVER_ERROR, RejectCause::Handler);
        };
        if let Some(consumer) = consumer {
            self.consumer = Some(consumer);
            let framing = match large {
                Announce::Length(left) => PartFraming::Length { left },
                Announce::Chunked { decoder, decoded } => PartFraming::Chunked { decoder, decoded },
            };
            self.phase = Phase::Parts {
                framing,
                answer: Answer::None,
                progress: now,
                started,
            };
            let head_len = self.head_len();
            let waits = self
                .head
                .as_ref()
                .is_some_and(RequestHead::expects_continue);
            if waits && self.rx.filled() == head_len {
                self.queue(CONTINUE_100, env.pool, now);
            }
            return Step::Again;
        }
        if matches!(reply, Reply::None | Reply::Refused) {
            return Step::Fail(Status::PAYLOAD_TOO_LARGE, RejectCause::BodyTooLarge);
        }
        // Answered without reading the body: nothing more of this connection is read.
        self.rx.release(env.pool);
        self.carry_out(reply, started, now, env)
    }

    /// Does what the handler's (or consumer's) final `reply` asks once the request is read:
    /// counts a complete response and goes on, starts pulling a body, finishes a pushed
    /// stream, or refuses.
    pub(super) fn carry_out(
        &mut self,
        reply: Reply<H::Body>,
        started: Instant,
        now: Instant,
        env: &mut Env<'_, '_, H>,
    ) -> Step {
        match reply {
            Reply::Sent {
                status,
                persistence,
            } => {
                self.responded(status, started, env);
                self.after_response(persistence, now, env.pool)
            }
            Reply::Push(push) => {
                self.finish_push(push, env.pool, now);
                self.responded(push.status, started, env);
                self.after_response(push.persistence, now, env.pool)
            }
            Reply::Pull(mut pull) if pull.is_bodiless() => {
                pull.end(env.handler.state(), End::Completed);
                self.responded(pull.status(), started, env);
                self.after_response(pull.persistence(), now, env.pool)
            }
            Reply::Pull(pull) => {
                self.pull = Some(pull);
                self.phase = Phase::Respond { started };
                Step::Again
            }
            Reply::Upgrade(socket, config) => {
                self.responded(Status::SWITCHING_PROTOCOLS, started, env);
                self.upgrade(socket, config, now, env)
            }
            Reply::Refused => Step::Fail(Status::PAYLOAD_TOO_LARGE, RejectCause::BodyTooLarge),
            Reply::None => Step::Fail(Status::INTERNAL_SERVER_ERROR, RejectCause::Handler),
        }
    }

    /// Fills the output queue from the body being pulled, as far as its free space and the
    /// source go; once the body is complete, moves on to the next request.
    #[inline(never)]
    pub(super) fn pump(&mut self, now: Instant, env: &mut Env<'_, '_, H>) -> Step {
        let Phase::Respond { started } = self.phase else {
            return Step::Stop;
        };
        let Some(pull) = self.pull.as_mut() else {
            return Step::Fail(Status::INTERNAL_SERVER_ERROR, RejectCause::Handler);
        };
        for _ in 0..FILLS {
            // Without a buffer the body stalls; the pull deadline or the peer ends it.
            let Some(out) = self.tx.space(env.pool, self.start) else {
                break;
            };
            if out.is_empty() {
                break;
            }
            let (written, progress) = pull.fill(env.handler.state(), now, out);
            self.tx.commit(written, now);
            match progress {
                Progress::Complete => {
                    let (status, persistence) = (pull.status(), pull.persistence());
                    pull.end(env.handler.state(), End::Completed);
                    self.pull = None;
                    self.responded(status, started, env);
                    return self.after_response(persistence, now, env.pool);
                }
                Progress::Short => {
                    warn!("a pulled body ended short of its length");
                    self.closing(CloseReason::Incomplete, env);
                    return Step::Stop;
                }
                Progress::Open if written == 0 => break,
                Progress::Open => {}
            }
        }
        Step::Stop
    }

    /// Queues the end of a pushed stream: the last chunk (nothing for a body the close ends).
    pub(super) fn finish_push(&mut self, push: Push, pool: &mut BufferPool<'_>, now: Instant) {
        if push.chunked {
            self.queue(LAST_CHUNK, pool, now);
        }
    }

    /// Calls the handler once for the current request (whose first byte arrived at `started`),
    /// with its head and `body`, the request lent out of the read buffer and the output queue
    /// free to grow. `None` when the head or
    /// a buffer is not there.
    pub(super) fn call(
        &mut self,
        body: Given,
        persistence: Persistence,
        started: Instant,
        now: Instant,
        env: &mut Env<'_, '_, H>,
    ) -> Option<Answered<H>> {
        let rx = self.rx.handle()?;
        let filled = self.rx.filled();
        let fresh = self.parsed == env.spans.parses;
        if !fresh && !self.refresh_spans(env.spans, self.rx.bytes(env.pool)) {
            return None;
        }
        let head = self.head.as_ref()?;
        let (input, mut rest) = env.pool.lend(rx).ok()?;
        let input = input.get(..filled).unwrap_or_default();
        let req = head.view(input, env.spans.table);
        let cx = EncodeContext {
            version: head.version(),
            head_request: head.is_head(),
            date: env.date,
            server: self.server,
        };
        self.head_request = cx.head_request;
        let arena = env.arena.as_deref();
        let mut res = Responder::new(
            &mut self.tx,
            &mut rest,
            self.start,
            now,
            cx,
            persistence,
            arena,
            Reply::None,
        )
        .with_origin(env.peer, started);
        let body = match body {
            Given::Whole { end } => {
                RequestBody::Whole(input.get(head.head_len()..end).unwrap_or_default())
            }
            Given::Large { length } => {
                res = res.with_large_body();
                RequestBody::Large { length }
            }
        };
        env.handler.handle(&req, body, &mut res);
        let done = res.into_reply();
        env.reset_arena();
        Some(done)
    }

    /// The encode context of a later answer to the current request (a consumer's).
    pub(super) fn later_cx<'d>(
        &self,
        date: Option<&'d crate::http::date::Date>,
    ) -> EncodeContext<'d> {
        EncodeContext {
            version: self
                .head
                .as_ref()
                .map_or(Version::Http11, RequestHead::version),
            head_request: self.head_request,
            date,
            server: self.server,
        }
    }
}

/// What a handler call came to: its reply, and the consumer it handed back.
type Answered<H> = (
    Reply<<H as Handler>::Body>,
    Option<<H as Handler>::Consumer>,
);

/// What the handler is given of the body.
#[derive(Clone, Copy, Debug)]
pub(super) enum Given {
    /// The whole body, which ends at `end` in the read buffer.
    Whole { end: usize },
    /// A large body, not read yet.
    Large { length: Option<u64> },
}
