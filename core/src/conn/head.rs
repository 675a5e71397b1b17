//! Reading one request: parsing its head, deciding how its body is read (whole, or announced
//! to the handler as large), reading a whole body, and refusing a request with a status.
//!
//! Part of the connection engine; it never calls the application except through `call`.

use crate::http::Status;
use crate::http::chunked::ChunkedDecoder;
use crate::http::request::{self, BodyFraming, Parse, RequestHead, Version};
use crate::http::response::{
    self, CONTINUE_100, Check, EncodeContext, Persistence, ResponseHead, Space,
};
use crate::time::Instant;

use super::call::Announce;
use super::rx::MAX_READ_BUFFER;
use super::{Body, Connection, Env, Handler, Phase, RejectCause, Spans, Step};

impl<H: Handler> Connection<H> {
    /// Parses the buffered head; on success moves on to its body (or, for a body too large to
    /// read whole, announces it to the handler).
    #[inline(never)]
    pub(super) fn parse_head(&mut self, now: Instant, env: &mut Env<'_, '_, H>) -> Step {
        let started = match self.phase {
            Phase::Head { started } => started,
            _ => now,
        };
        let buf = self.rx.bytes(env.pool);
        let filled = buf.len();
        let head = match request::parse(buf, &self.limits, env.spans.table) {
            Ok(Parse::Complete(head)) => head,
            Ok(Parse::Partial) if filled >= MAX_READ_BUFFER => {
                let status = Status::REQUEST_HEADER_FIELDS_TOO_LARGE;
                return Step::Fail(status, RejectCause::HeadTooLarge);
            }
            Ok(Parse::Partial) => return Step::Stop,
            Err(error) => {
                debug!("request rejected: {}", error.as_str());
                return Step::Fail(error.status(), RejectCause::Request(error));
            }
        };
        env.spans.parses = env.spans.parses.wrapping_add(1);
        self.parsed = env.spans.parses;
        let head_len = head.head_len();
        let expects_continue = head.expects_continue();
        let framing = head.body_framing();
        self.head = Some(head);
        let body = match framing {
            // No body: an empty one of known length, complete at once.
            BodyFraming::None => Body::Length { end: head_len },
            BodyFraming::ContentLength(len) => {
                let end = usize::try_from(len)
                    .ok()
                    .and_then(|len| head_len.checked_add(len))
                    .filter(|&end| end <= MAX_READ_BUFFER);
                match end {
                    Some(end) => Body::Length { end },
                    // Within the body limit (the parser checked), beyond the buffer.
                    None => return self.announce(Announce::Length(len), started, now, env),
                }
            }
            BodyFraming::Chunked => Body::Chunked {
                decoder: ChunkedDecoder::from_limits(&self.limits),
                decoded: 0,
            },
        };
        self.phase = Phase::Body {
            body,
            progress: now,
            started,
        };
        // A head without a body is already in the buffer.
        if let Body::Length { end } = body
            && end > head_len
            && !self.rx.reserve(end, env.pool)
        {
            return Step::Fail(Status::SERVICE_UNAVAILABLE, RejectCause::NoBuffer);
        }
        let awaits_body = !matches!(body, Body::Length { end } if end == head_len);
        if expects_continue && awaits_body && self.rx.filled() == head_len {
            self.queue(CONTINUE_100, env.pool, now);
        }
        Step::Again
    }

    /// Advances the body being read whole; once complete, the request is ready.
    #[inline(never)]
    pub(super) fn read_body(&mut self, now: Instant, env: &mut Env<'_, '_, H>) -> Step {
        let head_len = self.head_len();
        let Phase::Body { body, started, .. } = &mut self.phase else {
            return Step::Stop;
        };
        let started = *started;
        let body_end = match body {
            Body::Length { end } if self.rx.filled() >= *end => *end,
            Body::Length { .. } => return Step::Stop,
            Body::Chunked { decoder, decoded } => {
                match self.rx.decode_chunked(head_len, decoder, decoded, env.pool) {
                    Ok(step) if step.done => head_len.saturating_add(step.body_end),
                    Ok(_) if self.rx.filled() >= MAX_READ_BUFFER => {
                        // The body outgrew the largest buffer: announce it as large.
                        let (decoder, decoded) = (*decoder, *decoded);
                        let large = Announce::Chunked { decoder, decoded };
                        return self.announce(large, started, now, env);
                    }
                    Ok(_) => return Step::Stop,
                    Err((status, cause)) => return Step::Fail(status, cause),
                }
            }
        };
        self.phase = Phase::Ready { body_end, started };
        Step::Again
    }

    /// Makes `spans` hold this connection's head again (another connection parsed since):
    /// the bytes are the same, so the outcome is too; `false` would mean they changed.
    pub(super) fn refresh_spans(&mut self, spans: &mut Spans<'_>, buf: &[u8]) -> bool {
        let head_len = self.head_len();
        let bytes = buf.get(..head_len).unwrap_or_default();
        let again = request::parse(bytes, &self.limits, spans.table);
        spans.parses = spans.parses.wrapping_add(1);
        self.parsed = spans.parses;
        matches!(again, Ok(Parse::Complete(h)) if h.head_len() == head_len)
    }

    /// Queues an empty response with `status` and `Connection: close`, if it fits, in the
    /// version of the request being read.
    pub(super) fn reject(&mut self, status: Status, env: &mut Env<'_, '_, H>, now: Instant) {
        let version = match self.phase {
            Phase::Body { .. } | Phase::Ready { .. } | Phase::Parts { .. } => self
                .head
                .as_ref()
                .map_or(Version::Http11, RequestHead::version),
            _ => Version::Http11,
        };
        let head = ResponseHead {
            status,
            headers: &[],
            persistence: Persistence::Close,
        };
        let cx = EncodeContext {
            version,
            head_request: false,
            date: env.date,
            server: self.server,
        };
        let Some(out) = self.tx.space(env.pool, self.start) else {
            return;
        };
        // No fields of the caller's to check.
        if let Ok(encoded) =
            response::encode_full_as(&head, b"", &cx, out, Check::Done, Space::Free)
        {
            self.tx.commit(encoded.len, now);
        }
    }

    /// Appends `bytes` to the output queue, if they fit.
    pub(super) fn queue(
        &mut self,
        bytes: &[u8],
        pool: &mut crate::mem::buffer_pool::BufferPool<'_>,
        now: Instant,
    ) {
        let Some(space) = self.tx.reserve(pool, self.start, bytes.len()) else {
            return;
        };
        if let Some(out) = space.get_mut(..bytes.len()) {
            out.copy_from_slice(bytes);
            self.tx.commit(bytes.len(), now);
        }
    }
}
