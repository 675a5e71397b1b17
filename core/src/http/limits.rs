//! Size limits for everything a peer sends. Each limit names the status that exceeding it earns.

/// The size limits a request must fit. Exceeding a limit is never a generic error: each maps to
/// its own status (431, 414, 413).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Limits {
    /// Largest request head (request line, headers and the blank line), in bytes. A head still
    /// incomplete at this size is answered with 431.
    pub max_head_bytes: usize,
    /// Most header fields in one request head; more is 431.
    pub max_headers: usize,
    /// Longest request-target, in bytes; longer is 414.
    pub max_target_bytes: usize,
    /// Largest request body, in bytes, whether framed by Content-Length or chunked; larger is 413.
    pub max_body_bytes: u64,
    /// Largest trailer section of a chunked body, in bytes; larger is 431.
    pub max_trailer_bytes: usize,
    /// Most trailer fields in a chunked body; more is 431.
    pub max_trailers: usize,
}

impl Limits {
    /// The default limits: head 8 KiB, 64 headers, request-target 8 KiB, body 1 MiB,
    /// trailers 4 KiB in at most 16 fields.
    pub const DEFAULT: Self = Self {
        max_head_bytes: 8 * 1024,
        max_headers: 64,
        max_target_bytes: 8 * 1024,
        max_body_bytes: 1024 * 1024,
        max_trailer_bytes: 4 * 1024,
        max_trailers: 16,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
