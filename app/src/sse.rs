//! Server-Sent Events (`text/event-stream`): writing an event's fields and a keep-alive comment
//! into the output space, and the [`Ticker`] that tells an event producer when its next event
//! is due, so it answers [`Fill::Until`](aurora_core::conn::Fill::Until) in between.
//!
//! This module owns the wire format of events; the stream's state (what to send next, the
//! last id) lives in the application's producer. It never reads a clock (`now` comes in) and
//! never allocates. A peer that stops reading is cut by the connection's write timeout;
//! while a producer waits with `Until` no write timeout runs, so a quiet stream lives on.

use aurora_core::time::{Duration, Instant};

use crate::digits::decimal;

/// `Content-Type` of an event stream.
pub const EVENT_STREAM_TYPE: &[u8] = b"text/event-stream";

/// One event. `data` may hold several lines: each goes out as a `data:` field of its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Event<'a> {
    /// The `event` field (the type an `EventSource` listener names), if any.
    pub event: Option<&'a str>,
    /// The `id` field, if any.
    pub id: Option<&'a str>,
    /// The `retry` field in milliseconds, if any.
    pub retry: Option<u32>,
    /// The data.
    pub data: &'a str,
}

/// When the next event of a periodic stream is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticker {
    interval: Duration,
    next: Option<Instant>,
}

/// What a [`Ticker`] says at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tick {
    /// An event is due: write it, then [`Ticker::sent`].
    Due,
    /// Nothing before this instant.
    Wait(Instant),
}

impl Event<'_> {
    /// Writes the event into `out`, returning its length, or `None` (nothing usable written)
    /// when it does not fit. A field value's line breaks would end the field early, so `event`
    /// and `id` are cut at their first line break.
    pub fn write(&self, out: &mut [u8]) -> Option<usize> {
        let mut w = Writer { out, len: 0 };
        if let Some(event) = self.event {
            w.field("event", first_line(event))?;
        }
        if let Some(id) = self.id {
            w.field("id", first_line(id))?;
        }
        if let Some(retry) = self.retry {
            let mut digits = [0u8; 20];
            w.field_bytes("retry", decimal(retry.into(), &mut digits))?;
        }
        for line in self.data.split('\n') {
            w.field("data", line.strip_suffix('\r').unwrap_or(line))?;
        }
        w.put(b"\n")?;
        Some(w.len)
    }
}

/// Writes the comment `: text` (a keep-alive the client ignores) into `out`, or `None` when
/// it does not fit.
pub fn comment(text: &str, out: &mut [u8]) -> Option<usize> {
    let mut w = Writer { out, len: 0 };
    w.field_bytes("", first_line(text).as_bytes())?;
    w.put(b"\n")?;
    Some(w.len)
}

impl Ticker {
    /// An event every `interval`, the first at once.
    pub const fn new(interval: Duration) -> Self {
        Self {
            interval,
            next: None,
        }
    }

    /// Changes the interval from the next event on.
    pub fn set_interval(&mut self, interval: Duration) {
        self.interval = interval;
    }

    /// Whether an event is due at `now`.
    pub fn poll(&self, now: Instant) -> Tick {
        match self.next {
            Some(at) if at > now => Tick::Wait(at),
            _ => Tick::Due,
        }
    }

    /// The due event went out at `now`: the next is one interval later.
    pub fn sent(&mut self, now: Instant) {
        self.next = Some(now + self.interval);
    }
}

/// Appends to `out`, failing once it is full.
struct Writer<'o> {
    out: &'o mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.len.checked_add(bytes.len())?;
        self.out.get_mut(self.len..end)?.copy_from_slice(bytes);
        self.len = end;
        Some(())
    }

    fn field(&mut self, name: &str, value: &str) -> Option<()> {
        self.field_bytes(name, value.as_bytes())
    }

    fn field_bytes(&mut self, name: &str, value: &[u8]) -> Option<()> {
        self.put(name.as_bytes())?;
        self.put(b": ")?;
        self.put(value)?;
        self.put(b"\n")
    }
}

fn first_line(text: &str) -> &str {
    text.split(['\r', '\n']).next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(event: Event<'_>) -> Option<String> {
        let mut out = [0u8; 128];
        let n = event.write(&mut out)?;
        Some(String::from_utf8(out[..n].to_vec()).unwrap())
    }

    extern crate std;
    use std::string::String;

    #[test]
    fn fields() {
        let data = Event {
            data: "x",
            ..Event::default()
        };
        assert_eq!(written(data).as_deref(), Some("data: x\n\n"));
        let full = Event {
            event: Some("status\nforged: 1"),
            id: Some("7"),
            retry: Some(1500),
            data: "a\r\nb",
        };
        assert_eq!(
            written(full).as_deref(),
            Some("event: status\nid: 7\nretry: 1500\ndata: a\ndata: b\n\n")
        );
        let mut small = [0u8; 8];
        assert_eq!(data.write(&mut small), None);
        let mut out = [0u8; 16];
        assert_eq!(comment("ping", &mut out), Some(8));
        assert_eq!(&out[..8], b": ping\n\n");
    }

    #[test]
    fn ticks() {
        let t0 = Instant::from_millis(1000);
        let mut ticker = Ticker::new(Duration::from_millis(250));
        assert_eq!(ticker.poll(t0), Tick::Due);
        ticker.sent(t0);
        assert_eq!(ticker.poll(t0), Tick::Wait(Instant::from_millis(1250)));
        assert_eq!(ticker.poll(Instant::from_millis(1250)), Tick::Due);
    }
}
