//! A response body the connection pulls: static bytes or a [`Producer`], framed by length, as
//! chunks or until the close, written into the output queue's free space as it drains.
//!
//! This module owns the framing of a pulled body and what its source asked to wait for; the
//! connection decides when to pull and tells the source how its response ended. It never
//! touches the pool and never reads a clock.

use crate::http::Status;
use crate::http::response::{self, LAST_CHUNK, Persistence};
use crate::time::{Duration, Instant};

use super::handler::{End, Fill, Producer};

/// A body being pulled, with its response's status and persistence.
#[derive(Debug)]
pub(crate) struct Pull<B> {
    status: Status,
    persistence: Persistence,
    source: Source<B>,
    framing: Framing,
    wait: Wait,
}

/// Where the bytes come from.
#[derive(Debug)]
pub(crate) enum Source<B> {
    /// Static memory, the part not yet queued.
    Static(&'static [u8]),
    /// The application's producer.
    Producer(B),
}

/// How the body is delimited on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `Content-Length`: this many bytes are left.
    Length { left: u64 },
    /// Chunks; `finishing` once the source is done and the last chunk is still to be queued.
    Chunked { finishing: bool },
    /// Raw bytes; the close ends the body.
    UntilClose,
    /// No body goes out (a `HEAD` request).
    Nothing,
}

/// What the source is waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// Nothing: pull when there is space.
    Ready,
    /// A wake-up, since this instant ([`Fill::Pending`]).
    Woken { since: Instant },
    /// This instant ([`Fill::Until`]).
    Until(Instant),
}

/// What one [`Pull::fill`] came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// More is to come.
    Open,
    /// The body is complete (its last bytes are among those written).
    Complete,
    /// The source ended before the length it announced: the response cannot be completed.
    Short,
}

impl<B> Pull<B> {
    /// A body from `source`, framed as `framing`.
    pub(crate) const fn new(
        status: Status,
        persistence: Persistence,
        source: Source<B>,
        framing: Framing,
    ) -> Self {
        Self {
            status,
            persistence,
            source,
            framing,
            wait: Wait::Ready,
        }
    }

    /// The response's status.
    pub(crate) const fn status(&self) -> Status {
        self.status
    }

    /// Whether the connection stays open after the response.
    pub(crate) const fn persistence(&self) -> Persistence {
        self.persistence
    }

    /// The body bytes still to come, when its length is known (none for a `HEAD` request).
    pub(crate) const fn length_left(&self) -> Option<u64> {
        match self.framing {
            Framing::Length { left } => Some(left),
            Framing::Nothing => Some(0),
            Framing::Chunked { .. } | Framing::UntilClose => None,
        }
    }

    /// Whether no body goes out: the response is complete with its head.
    pub(crate) const fn is_bodiless(&self) -> bool {
        matches!(self.framing, Framing::Nothing)
    }

    /// Whether the source waits for a wake-up or an instant rather than for space.
    pub(crate) const fn is_waiting(&self) -> bool {
        !matches!(self.wait, Wait::Ready)
    }

    /// When the connection must act on its own: the instant the source asked for, or, for a
    /// source waiting to be woken, the end of the `stall` it may wait (then it is cut).
    /// `true` with the instant means the source is cut then.
    pub(crate) fn deadline(&self, stall: Duration) -> Option<(Instant, bool)> {
        match self.wait {
            Wait::Ready => None,
            Wait::Woken { since } => Some((since + stall, true)),
            Wait::Until(at) => Some((at, false)),
        }
    }

    /// Writes what the source has into `out` (the queue's free space), framed, and returns
    /// the bytes written and where the body stands.
    pub(crate) fn fill<H>(&mut self, app: &mut H, now: Instant, out: &mut [u8]) -> (usize, Progress)
    where
        B: Producer<H>,
    {
        match self.framing {
            Framing::Nothing => (0, Progress::Complete),
            Framing::Length { left } => {
                let cap = usize::try_from(left).map_or(out.len(), |left| left.min(out.len()));
                if left == 0 {
                    return (0, Progress::Complete);
                }
                let Some(region) = out.get_mut(..cap).filter(|r| !r.is_empty()) else {
                    return (0, Progress::Open);
                };
                match self.pull(app, now, region) {
                    Some(n) => {
                        let left = left.saturating_sub(n as u64);
                        self.framing = Framing::Length { left };
                        (
                            n,
                            if left == 0 {
                                Progress::Complete
                            } else {
                                Progress::Open
                            },
                        )
                    }
                    None if self.wait == Wait::Ready => (0, Progress::Short),
                    None => (0, Progress::Open),
                }
            }
            Framing::UntilClose => match self.pull(app, now, out) {
                Some(n) => (n, Progress::Open),
                None if self.wait == Wait::Ready => (0, Progress::Complete),
                None => (0, Progress::Open),
            },
            Framing::Chunked { finishing: true } => last_chunk(out),
            Framing::Chunked { finishing: false } => {
                let offset = response::chunk_data_offset(out.len());
                let cap = response::max_chunk_data(out.len());
                let Some(region) = out.get_mut(offset..offset + cap).filter(|r| !r.is_empty())
                else {
                    return (0, Progress::Open);
                };
                match self.pull(app, now, region) {
                    Some(n) => (response::frame_chunk(out, n).unwrap_or(0), Progress::Open),
                    None if self.wait == Wait::Ready => {
                        self.framing = Framing::Chunked { finishing: true };
                        last_chunk(out)
                    }
                    None => (0, Progress::Open),
                }
            }
        }
    }

    /// The producer, for a body that is an upgraded connection's socket.
    pub(crate) fn producer(&mut self) -> Option<&mut B> {
        match &mut self.source {
            Source::Producer(producer) => Some(producer),
            Source::Static(_) => None,
        }
    }

    /// Tells a producer how its response ended. Static bytes need no telling.
    pub(crate) fn end<H>(&mut self, app: &mut H, how: End)
    where
        B: Producer<H>,
    {
        if let Source::Producer(producer) = &mut self.source {
            producer.end(app, how);
        }
    }

    /// One pull from the source into `out` (not empty): `Some(n)` for `n > 0` bytes written,
    /// `None` when it is done (`wait` left ready) or waits (`wait` set).
    fn pull<H>(&mut self, app: &mut H, now: Instant, out: &mut [u8]) -> Option<usize>
    where
        B: Producer<H>,
    {
        let fill = match &mut self.source {
            Source::Static(bytes) => {
                if bytes.is_empty() {
                    Fill::Done
                } else {
                    let n = bytes.len().min(out.len());
                    let (now_part, rest) = bytes.split_at(n);
                    if let Some(dst) = out.get_mut(..n) {
                        dst.copy_from_slice(now_part);
                    }
                    *bytes = rest;
                    Fill::Filled(n)
                }
            }
            Source::Producer(producer) => producer.poll_fill(app, now, out),
        };
        match fill {
            Fill::Filled(n) if n > 0 => {
                self.wait = Wait::Ready;
                Some(n.min(out.len()))
            }
            Fill::Done => {
                self.wait = Wait::Ready;
                None
            }
            Fill::Until(at) => {
                self.wait = Wait::Until(at);
                None
            }
            Fill::Filled(_) | Fill::Pending => {
                if !matches!(self.wait, Wait::Woken { .. }) {
                    self.wait = Wait::Woken { since: now };
                }
                None
            }
        }
    }
}

/// Queues the last chunk if it fits.
fn last_chunk(out: &mut [u8]) -> (usize, Progress) {
    match out.get_mut(..LAST_CHUNK.len()) {
        Some(dst) => {
            dst.copy_from_slice(LAST_CHUNK);
            (LAST_CHUNK.len(), Progress::Complete)
        }
        None => (0, Progress::Open),
    }
}
