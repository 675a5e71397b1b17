//! [`Window`]: a writer that keeps one window of a document — it skips the bytes already sent,
//! writes what fits into the output space and stops once that is full — and [`Resume`], the
//! cursor of a body that is rendered again from its start at each pull. So a serializer or a
//! `core::fmt` rendering that cannot pause still sends a document larger than any buffer, one
//! piece per pull.
//!
//! This module owns the window arithmetic; it never knows what is written (JSON, text), never
//! allocates, and a document must render the same bytes at each pull (a producer that owns
//! its value does).

use core::fmt;

use aurora_core::conn::Fill;

/// One window of a document being written: the bytes before `skip` are counted and dropped,
/// the next ones land in the output space until it is full.
#[derive(Debug)]
pub struct Window<'o> {
    out: &'o mut [u8],
    skip: usize,
    len: usize,
    full: bool,
}

/// The window is full: the rest of the document goes in a later piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

/// The cursor of a document sent in pieces: how much went out, and whether all of it did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resume {
    sent: usize,
    done: bool,
}

impl<'o> Window<'o> {
    /// A window over `out` that drops the first `skip` bytes written.
    pub const fn new(out: &'o mut [u8], skip: usize) -> Self {
        Self {
            out,
            skip,
            len: 0,
            full: false,
        }
    }

    /// Writes `bytes`, past the skipped part, into the output space.
    ///
    /// # Errors
    ///
    /// [`Full`] once the output space is full and `bytes` did not all fit; later writes fail
    /// too, so a writer stops at the first.
    pub fn put(&mut self, bytes: &[u8]) -> Result<(), Full> {
        if self.full {
            return Err(Full);
        }
        let skipped = self.skip.min(bytes.len());
        self.skip -= skipped;
        let bytes = &bytes[skipped..];
        let room = self.out.len() - self.len;
        let take = room.min(bytes.len());
        self.out[self.len..self.len + take].copy_from_slice(&bytes[..take]);
        self.len += take;
        if take < bytes.len() {
            self.full = true;
            return Err(Full);
        }
        Ok(())
    }

    /// Bytes written into the output space.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether none was.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the document went past the window.
    pub const fn is_full(&self) -> bool {
        self.full
    }
}

impl fmt::Write for Window<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.put(s.as_bytes()).map_err(|_| fmt::Error)
    }
}

impl Resume {
    /// Nothing sent yet.
    pub const fn new() -> Self {
        Self {
            sent: 0,
            done: false,
        }
    }

    /// The next piece into `out`: `render` writes the whole document into the window it is
    /// given (stopping when a write fails) and says whether it rendered without an error of
    /// its own. `Filled(n)` while pieces remain (`Filled(0)`: no room, wait), then `Done`. A
    /// document that fails to render stalls (`Pending`) and the connection's timeout cuts it.
    pub fn fill(&mut self, out: &mut [u8], render: impl FnOnce(&mut Window<'_>) -> bool) -> Fill {
        if self.done {
            return Fill::Done;
        }
        let mut window = Window::new(out, self.sent);
        let rendered = render(&mut window);
        let len = window.len();
        if !window.is_full() && !rendered {
            return Fill::Pending;
        }
        self.sent = self.sent.saturating_add(len);
        if !window.is_full() {
            self.done = true;
            if len == 0 {
                return Fill::Done;
            }
        }
        Fill::Filled(len)
    }

    /// Bytes sent so far.
    pub const fn sent(&self) -> usize {
        self.sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` pulled through windows of `size` bytes, reassembled.
    fn pieces(text: &[u8], size: usize) -> ([u8; 64], usize, usize) {
        let mut all = [0u8; 64];
        let mut len = 0;
        let mut pulls = 0;
        let mut resume = Resume::default();
        let mut out = [0u8; 64];
        loop {
            pulls += 1;
            match resume.fill(&mut out[..size], |w| {
                let _ = w.put(&text[..3]);
                let _ = w.put(&text[3..]);
                true
            }) {
                Fill::Filled(n) => {
                    all[len..len + n].copy_from_slice(&out[..n]);
                    len += n;
                }
                Fill::Done => return (all, len, pulls),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn windows_reassemble() {
        let text = b"0123456789abcdefghij";
        for size in 1..=24 {
            let (all, len, pulls) = pieces(text, size);
            assert_eq!(&all[..len], text, "window {size}");
            assert!(pulls <= text.len().div_ceil(size) + 1, "window {size}");
        }
        let mut resume = Resume::default();
        assert_eq!(
            resume.fill(&mut [], |w| w.put(b"x").is_ok()),
            Fill::Filled(0)
        );
        assert_eq!(resume.fill(&mut [0; 4], |_| false), Fill::Pending);
        assert_eq!(
            resume.fill(&mut [0; 4], |w| w.put(b"x").is_ok()),
            Fill::Filled(1)
        );
        assert_eq!(
            resume.fill(&mut [0; 4], |w| w.put(b"x").is_ok()),
            Fill::Done
        );
    }
}
