//! The read side of one connection: the pooled buffer that bytes from the peer are read into,
//! how much of it is filled, and the in-place work on what is buffered (dropping what was
//! consumed, decoding a chunked body).
//!
//! This module owns the read buffer's life: taken from the pool when bytes are about to
//! arrive, grown (up to [`MAX_READ_BUFFER`]) for a large head or body, given back whenever
//! nothing is buffered. A consumed request is dropped by moving the start of what is buffered
//! past it; the rest moves down only before the next read, so a pipelined batch is not copied
//! once per request. It never parses a head and never calls the application.

use crate::http::Status;
use crate::http::chunked::{ChunkedDecoder, InPlace};
use crate::mem::SIZE_CLASSES;
use crate::mem::buffer_pool::{BufferHandle, BufferPool, SizeClass, Spill};

use super::state::{ReadError, RejectCause};

/// The largest read buffer a connection grows to (the 64 KiB class). A head that does not fit
/// is refused with 431; a body that does not fit with its head (but is within
/// [`Limits::max_body_bytes`](crate::http::Limits::max_body_bytes)) is announced to the
/// handler as [`RequestBody::Large`](super::RequestBody::Large).
pub const MAX_READ_BUFFER: usize = SIZE_CLASSES[3];

/// The buffered input: `buf[start..end]`. Offsets the rest of the engine passes in and gets
/// back (a head's length, a body's end) count from `start`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Rx {
    buf: Option<BufferHandle>,
    /// A `u32` (it sits in the handle's padding, keeping the connection small): a read buffer
    /// is at most [`MAX_READ_BUFFER`] bytes, so every offset into it fits.
    start: u32,
    end: usize,
}

impl Rx {
    /// The buffer, if one is held.
    pub(crate) const fn handle(&self) -> Option<BufferHandle> {
        self.buf
    }

    /// Bytes buffered.
    pub(crate) const fn filled(&self) -> usize {
        self.end.saturating_sub(self.start as usize)
    }

    /// Where the buffered bytes lie in the buffer, for a caller that borrows it whole.
    pub(crate) const fn window(&self) -> core::ops::Range<usize> {
        self.start as usize..self.end
    }

    /// The space to read into, taking a buffer in `class` if none is held; a full buffer grows
    /// into the next class unless `fixed` (a body in parts waits for the handler instead).
    pub(crate) fn space<'b>(
        &mut self,
        pool: &'b mut BufferPool<'_>,
        class: SizeClass,
        fixed: bool,
    ) -> Result<&'b mut [u8], ReadError> {
        let handle = match self.buf {
            Some(handle) => handle,
            None => {
                let handle = pool
                    .acquire(class, Spill::ToLarger)
                    .map_err(ReadError::Pool)?;
                self.buf = Some(handle);
                self.start = 0;
                self.end = 0;
                handle
            }
        };
        // What earlier requests left moves to the front once per read, not once per request.
        self.compact(handle, pool);
        let handle = if self.end >= handle.capacity() && !fixed {
            // Full: the head or chunked body needs the next class. The connection refuses
            // input that reaches MAX_READ_BUFFER, so a full buffer is always below it here.
            let want = handle.capacity().saturating_add(1).min(MAX_READ_BUFFER);
            let grown = pool
                .grow(handle, want, self.end, Spill::Never)
                .map_err(ReadError::Pool)?;
            self.buf = Some(grown);
            grown
        } else {
            handle
        };
        let buf = pool.bytes_mut(handle).map_err(ReadError::Pool)?;
        match buf.get_mut(self.end..) {
            Some(space) if !space.is_empty() => Ok(space),
            _ => Err(ReadError::Paused),
        }
    }

    /// `n` bytes were read into [`space`](Self::space).
    pub(crate) fn add(&mut self, n: usize) {
        let room = self
            .buf
            .map_or(0, |b| b.capacity().saturating_sub(self.end));
        self.end = self.end.saturating_add(n.min(room));
    }

    /// The buffered bytes.
    pub(crate) fn bytes<'b>(&self, pool: &'b BufferPool<'_>) -> &'b [u8] {
        self.buf
            .and_then(|buf| pool.bytes(buf).ok())
            .and_then(|buf| buf.get(self.window()))
            .unwrap_or_default()
    }

    /// Makes the buffer hold at least `len` bytes from the start of what is buffered, keeping
    /// what is buffered.
    pub(crate) fn reserve(&mut self, len: usize, pool: &mut BufferPool<'_>) -> bool {
        let Some(handle) = self.buf else {
            return false;
        };
        if handle.capacity().saturating_sub(self.start as usize) >= len {
            return true;
        }
        self.compact(handle, pool);
        if handle.capacity() >= len {
            return true;
        }
        match pool.grow(handle, len, self.end, Spill::Never) {
            Ok(grown) => {
                self.buf = Some(grown);
                true
            }
            Err(_) => false,
        }
    }

    /// Drops the buffered bytes `from..to`, moving what follows them down.
    pub(crate) fn cut(&mut self, from: usize, to: usize, pool: &mut BufferPool<'_>) {
        let filled = self.filled();
        let to = to.min(filled);
        let from = from.min(to);
        if let Some(buf) = self.buf.and_then(|handle| pool.bytes_mut(handle).ok()) {
            let end = self.end.min(buf.len());
            let at = |offset: usize| offset.saturating_add(self.start as usize).min(end);
            buf.copy_within(at(to)..end, at(from));
        }
        self.end = self.end.saturating_sub(to.saturating_sub(from));
    }

    /// Drops the first `n` buffered bytes: a request that was consumed. Nothing moves; the
    /// offsets start over when nothing is left.
    pub(crate) fn consume(&mut self, n: usize) {
        let start = n.saturating_add(self.start as usize);
        if start >= self.end {
            self.start = 0;
            self.end = 0;
            return;
        }
        // Below `end`, which is within the buffer, so the offset fits (see `start`).
        self.start = u32::try_from(start).unwrap_or(u32::MAX);
    }

    /// Forgets everything buffered and gives the buffer back.
    pub(crate) fn release(&mut self, pool: &mut BufferPool<'_>) {
        if let Some(handle) = self.buf.take()
            && pool.release(handle).is_err()
        {
            warn!("read buffer was not live on release");
        }
        self.start = 0;
        self.end = 0;
    }

    /// Moves the buffered bytes to the front of `handle`'s buffer.
    fn compact(&mut self, handle: BufferHandle, pool: &mut BufferPool<'_>) {
        if self.start == 0 {
            return;
        }
        if let Ok(buf) = pool.bytes_mut(handle) {
            let end = self.end.min(buf.len());
            buf.copy_within((self.start as usize).min(end)..end, 0);
        }
        self.end = self.filled();
        self.start = 0;
    }

    /// Decodes the chunked body buffered after a head of `head_len` bytes in place, on from
    /// the `decoded` bytes already there (updated); the framing reclaimed shrinks what is
    /// buffered. `Err` names the status and cause to fail the request with.
    pub(crate) fn decode_chunked(
        &mut self,
        head_len: usize,
        decoder: &mut ChunkedDecoder,
        decoded: &mut usize,
        pool: &mut BufferPool<'_>,
    ) -> Result<InPlace, (Status, RejectCause)> {
        let Some(buf) = self.buf.and_then(|rx| pool.bytes_mut(rx).ok()) else {
            return Err((Status::INTERNAL_SERVER_ERROR, RejectCause::NoBuffer));
        };
        let body = head_len.saturating_add(self.start as usize);
        let region = buf.get_mut(body..self.end).unwrap_or_default();
        match decoder.decode_in_place(region, *decoded) {
            Ok(step) => {
                *decoded = step.body_end;
                self.end = body.saturating_add(step.filled);
                Ok(step)
            }
            Err(error) => {
                debug!("chunked body rejected: {}", error.as_str());
                Err((error.status(), RejectCause::Chunked(error)))
            }
        }
    }
}
