//! The upgraded phase: after a `101`, the connection's bytes are WebSocket frames. Frames in
//! go through the [`Decoder`] to the application's [`WebSocket`]; pings are answered, the
//! close handshake is carried out both ways, a silent peer is pinged and then dropped, and
//! the socket's own messages are pulled as the output queue drains.
//!
//! A close the server starts (the socket's [`Sender::close`] or [`Fill::Done`], shutdown's
//! 1001, an upgrade to no socket's 1011) waits for the peer's close reply, as RFC 6455
//! §5.5.1 and §7.1.1 ask: the connection keeps reading, drops data frames, pings and pongs,
//! and closes once the reply arrives, or when it has not within the socket's pong timeout
//! ([`SocketConfig::pong_timeout`]). A protocol error the decoder finds (1002, 1007, 1009)
//! closes without waiting: input past it is not parsed.
//!
//! Part of the connection engine; it reads from the same read buffer and writes into the same
//! output queue as every request, and reads no more while that queue is full.

use crate::http::Status;
use crate::http::response::Persistence;
use crate::time::{Duration, Instant};
use crate::ws::frame::MAX_HEADER;
use crate::ws::{CloseCode, Decoder, Event};

use super::handler::{Fill, Handler, Producer};
use super::pull::{Framing, Pull, Source};
use super::websocket::{Message, Sender, SocketConfig, WebSocket};
use super::{CloseReason, Connection, Env, Phase, Step, Timer};

/// An upgraded connection's own state; its [`WebSocket`] is kept where a pulled body would be.
#[derive(Clone, Copy, Debug)]
pub(super) struct Socket {
    decoder: Decoder,
    /// The silence after which the peer is pinged, in milliseconds (kept small: this state
    /// lives in every connection's phase).
    ping_after_ms: u32,
    /// The time it has to answer, in milliseconds.
    pong_timeout_ms: u32,
    /// When the peer last sent a byte; once a reply is awaited, when the wait began.
    heard: Instant,
    /// A ping went out after `heard`.
    pinged: bool,
    /// What the socket's [`WebSocket::poll_send`] waits for.
    wait: Wait,
    /// The close frame sent, if any: nothing more goes out.
    closed: Option<CloseCode>,
    /// A close the server started waits for the peer's reply (since `heard`), and then
    /// closes for this reason.
    reply: Option<CloseReason>,
}

/// What the socket's own output waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// Output space.
    Ready,
    /// [`Connection::wake`].
    Woken,
    /// This instant.
    Until(Instant),
}

/// A deadline of an upgraded connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Due {
    /// The peer has been silent: ping it.
    Ping,
    /// The peer did not answer the ping: drop it.
    Dead,
    /// The socket asked to send at this instant.
    Send,
    /// The peer did not answer the server's close: drop it.
    Unanswered,
}

/// The most events one pass decodes or sends before the backend writes.
const EVENTS: usize = 64;

impl<H: Handler> Connection<H> {
    /// Whether this application's bodies can be sockets ([`Producer::WEBSOCKET`]): every entry
    /// below returns at once without, so the optimizer drops the phase's code.
    const SOCKETS: bool = <H::Body as Producer<H::State>>::WEBSOCKET;

    /// Enters the upgraded phase with `socket`, its `101` queued.
    pub(super) fn upgrade(
        &mut self,
        socket: H::Body,
        config: SocketConfig,
        now: Instant,
        env: &mut Env<'_, '_, H>,
    ) -> Step {
        self.head = None;
        if !Self::SOCKETS {
            warn!("upgraded to a body that is no websocket");
            drop(socket);
            self.closing(CloseReason::WebSocket(CloseCode::INTERNAL_ERROR), env);
            return Step::Stop;
        }
        // A data frame that fits the read buffer arrives whole.
        let whole =
            u32::try_from(self.start.bytes().saturating_sub(MAX_HEADER)).unwrap_or(u32::MAX);
        let decoder = Decoder::new(config.max_message).with_whole_frames(whole);
        let source = Source::Producer(socket);
        let pull = Pull::new(
            Status::SWITCHING_PROTOCOLS,
            Persistence::Close,
            source,
            Framing::Nothing,
        );
        self.pull = Some(pull);
        self.phase = Phase::Socket(Socket {
            decoder,
            ping_after_ms: millis(config.ping_after),
            pong_timeout_ms: millis(config.pong_timeout),
            heard: now,
            pinged: false,
            wait: Wait::Ready,
            closed: None,
            reply: None,
        });
        if self.websocket().is_none() {
            warn!("upgraded to a body that is no websocket");
            let reason = CloseReason::WebSocket(CloseCode::INTERNAL_ERROR);
            if !self.socket_close(CloseCode::INTERNAL_ERROR, reason, now, env) {
                self.closing(reason, env);
            }
            return Step::Stop;
        }
        Step::Again
    }

    /// Works an upgraded connection: decodes buffered frames while the output queue has
    /// room, then lets the socket send.
    pub(super) fn socket(&mut self, now: Instant, env: &mut Env<'_, '_, H>) -> Step {
        if !Self::SOCKETS {
            return Step::Stop;
        }
        for _ in 0..EVENTS {
            if self.tx.len() >= self.start.bytes() || !self.socket_event(now, env) {
                break;
            }
        }
        self.socket_send(now, env);
        Step::Stop
    }

    /// Decodes and acts on one event: `false` when there was none (more bytes are needed, or
    /// the socket closed).
    fn socket_event(&mut self, now: Instant, env: &mut Env<'_, '_, H>) -> bool {
        let Phase::Socket(sock) = &mut self.phase else {
            return false;
        };
        let (Some(rx), filled) = (self.rx.handle(), self.rx.filled()) else {
            return false;
        };
        // A close sent and no reply awaited: the connection is closing.
        if filled == 0 || (sock.closed.is_some() && sock.reply.is_none()) {
            return false;
        }
        let Ok((input, mut rest)) = env.pool.lend(rx) else {
            return false;
        };
        let input = input.get_mut(self.rx.window()).unwrap_or_default();
        let mut out = Sender::new(&mut self.tx, &mut rest, self.start, now, &mut sock.closed);
        let socket = self
            .pull
            .as_mut()
            .and_then(Pull::producer)
            .and_then(Producer::websocket);
        // Once the server's close is sent, frames are read only for the peer's reply.
        let waiting = sock.reply;
        // The peer's input ended: its close, or a frame the decoder refused.
        let mut ended = false;
        let consumed = match sock.decoder.decode(input) {
            Err(error) => {
                debug!("websocket closed: {}", error);
                let _ = out.close(error.close_code(), "");
                ended = true;
                filled
            }
            Ok((0, None)) => return false,
            Ok((n, None)) => n,
            Ok((n, Some(event))) if waiting.is_some() => {
                ended = matches!(event, Event::Close(_));
                n
            }
            Ok((n, Some(event))) => {
                match event {
                    Event::Data {
                        text,
                        data,
                        first,
                        last,
                    } => {
                        let message = match (first && last, text) {
                            (true, true) => core::str::from_utf8(data).map_or(
                                Message::Part {
                                    text,
                                    data,
                                    first,
                                    last,
                                },
                                Message::Text,
                            ),
                            (true, false) => Message::Binary(data),
                            (false, _) => Message::Part {
                                text,
                                data,
                                first,
                                last,
                            },
                        };
                        if let Some(socket) = socket {
                            socket.receive(env.handler.state(), now, message, &mut out);
                        }
                    }
                    Event::Ping(payload) => {
                        // A pong that finds no room is dropped: the peer pings again.
                        let _ = out.pong(payload);
                    }
                    Event::Pong(_) => {}
                    Event::Close(body) => {
                        ended = true;
                        let _ = out.close(body.echo(), "");
                    }
                }
                n
            }
        };
        let closed = sock.closed;
        if let (Some(code), None, false) = (closed, waiting, ended) {
            // The socket closed while receiving: wait for the reply.
            sock.await_reply(CloseReason::WebSocket(code), now);
        }
        self.rx.consume(consumed);
        let reason = match (waiting, closed) {
            (Some(reason), _) if ended => reason,
            (None, Some(code)) if ended => CloseReason::WebSocket(code),
            _ => return true,
        };
        self.closing(reason, env);
        false
    }

    /// Lets the socket send as long as it has something and the queue has room.
    fn socket_send(&mut self, now: Instant, env: &mut Env<'_, '_, H>) {
        for _ in 0..EVENTS {
            let Phase::Socket(sock) = &mut self.phase else {
                return;
            };
            let ready = match sock.wait {
                Wait::Ready => true,
                Wait::Until(at) => at <= now,
                Wait::Woken => false,
            };
            if !ready || sock.closed.is_some() || self.tx.len() >= self.start.bytes() {
                break;
            }
            let Some(socket) = self
                .pull
                .as_mut()
                .and_then(Pull::producer)
                .and_then(Producer::websocket)
            else {
                return;
            };
            let mut out = Sender::new(&mut self.tx, env.pool, self.start, now, &mut sock.closed);
            let fill = socket.poll_send(env.handler.state(), now, &mut out);
            sock.wait = match fill {
                Fill::Filled(n) if n > 0 => Wait::Ready,
                Fill::Filled(_) | Fill::Pending => Wait::Woken,
                Fill::Until(at) => Wait::Until(at),
                Fill::Done => {
                    let _ = out.close(CloseCode::NORMAL, "");
                    Wait::Woken
                }
            };
            if sock.wait != Wait::Ready {
                break;
            }
        }
        if let Phase::Socket(sock) = &mut self.phase
            && let (Some(code), None) = (sock.closed, sock.reply)
        {
            sock.await_reply(CloseReason::WebSocket(code), now);
        }
    }

    /// Queues a close frame with `code` and waits for the peer's reply, then closes for
    /// `reason`; `false` when no close was queued now (the queue refused it, or one went
    /// before), and the caller closes.
    pub(super) fn socket_close(
        &mut self,
        code: CloseCode,
        reason: CloseReason,
        now: Instant,
        env: &mut Env<'_, '_, H>,
    ) -> bool {
        if !Self::SOCKETS {
            return false;
        }
        let Phase::Socket(sock) = &mut self.phase else {
            return false;
        };
        let mut out = Sender::new(&mut self.tx, env.pool, self.start, now, &mut sock.closed);
        if out.close(code, "").is_err() {
            return false;
        }
        sock.await_reply(reason, now);
        true
    }

    /// Bytes arrived from the peer: it is alive.
    pub(super) fn socket_heard(&mut self, now: Instant) {
        if let Phase::Socket(sock) = &mut self.phase
            && sock.reply.is_none()
        {
            sock.heard = now;
            sock.pinged = false;
        }
    }

    /// A socket waiting for [`Connection::wake`] is polled again.
    pub(super) fn socket_wake(&mut self) {
        if let Phase::Socket(sock) = &mut self.phase
            && sock.wait == Wait::Woken
        {
            sock.wait = Wait::Ready;
        }
    }

    /// The upgraded connection's next deadline.
    pub(super) fn socket_deadline(&self) -> Option<(Instant, Due)> {
        if !Self::SOCKETS {
            return None;
        }
        let Phase::Socket(sock) = &self.phase else {
            return None;
        };
        let timeout = Duration::from_millis(sock.pong_timeout_ms.into());
        if sock.reply.is_some() {
            return Some((sock.heard + timeout, Due::Unanswered));
        }
        let quiet = sock.heard + Duration::from_millis(sock.ping_after_ms.into());
        let live = if sock.pinged {
            (quiet + timeout, Due::Dead)
        } else {
            (quiet, Due::Ping)
        };
        match sock.wait {
            Wait::Until(at) if at < live.0 => Some((at, Due::Send)),
            _ => Some(live),
        }
    }

    /// Acts on the upgraded connection's deadline `due`, reached at `now`.
    pub(super) fn socket_timeout(&mut self, due: Due, now: Instant, env: &mut Env<'_, '_, H>) {
        if !Self::SOCKETS {
            return;
        }
        match due {
            Due::Dead => return self.close(CloseReason::TimedOut(Timer::Idle), env),
            Due::Unanswered => {
                if let Phase::Socket(Socket {
                    reply: Some(reason),
                    ..
                }) = self.phase
                {
                    debug!("websocket close unanswered");
                    return self.close(reason, env);
                }
            }
            Due::Ping => {
                if let Phase::Socket(sock) = &mut self.phase {
                    sock.pinged = true;
                    let mut out =
                        Sender::new(&mut self.tx, env.pool, self.start, now, &mut sock.closed);
                    let _ = out.ping();
                }
            }
            Due::Send => self.process(now, env),
        }
        self.settle(env.pool);
    }

    /// The socket of an upgraded connection.
    fn websocket(&mut self) -> Option<&mut dyn WebSocket<H::State>> {
        self.pull
            .as_mut()
            .and_then(Pull::producer)
            .and_then(Producer::websocket)
    }
}
impl Socket {
    /// From `now` on, waits for the peer's close reply, then closes for `reason`.
    fn await_reply(&mut self, reason: CloseReason, now: Instant) {
        self.reply = Some(reason);
        self.heard = now;
    }
}

/// `duration` in whole milliseconds, at most `u32::MAX` (49 days).
fn millis(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}
