//! The Prometheus text exposition format (version 0.0.4), written into a caller's buffer.
//!
//! [`Renderer`] appends metric families to a `&mut [u8]`: a `# HELP` and a `# TYPE` line, then
//! the family's samples, `name{label="value",...} value`, one per line. It checks every metric
//! and label name against the format's grammar, escapes help texts and label values, and prints
//! numbers by hand (no `core::fmt`). It never allocates and never panics; when the buffer runs
//! out the call fails with [`RenderError::BufferTooSmall`] and leaves nothing of itself behind.
//!
//! It does not remember which families were written: writing the same family twice is the
//! caller's mistake to avoid.
//!
//! For a response streamed in pieces, the crate also renders a *window*: the same calls with
//! the first lines left out and as many whole lines as fit kept, so an exposition larger than
//! any one buffer goes out line by line, each piece ending on a line's end.

use core::fmt;

use super::instruments::HistogramSnapshot;

/// The `# TYPE` of a metric family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum MetricKind {
    /// A value that only goes up. Samples are written with [`Renderer::sample_u64`].
    Counter,
    /// A value that goes up and down. Samples are written with [`Renderer::sample_i64`] or
    /// [`Renderer::sample_u64`].
    Gauge,
    /// Buckets, sum and count; written whole by [`Renderer::histogram`].
    Histogram,
    /// A value of unknown meaning. Samples as for a gauge.
    Untyped,
}

impl MetricKind {
    /// The keyword on the `# TYPE` line.
    pub const fn keyword(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
            Self::Untyped => "untyped",
        }
    }
}

/// Why rendering failed. The call that failed wrote nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RenderError {
    /// The buffer is full; render again into a larger one.
    BufferTooSmall,
    /// A metric name does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`, or a label name does not match
    /// `[a-zA-Z_][a-zA-Z0-9_]*`, starts with the reserved `__`, or is `le` on a histogram.
    InvalidName,
    /// A sample does not belong to the family written last: its name differs, no family was
    /// opened, a counter sample is negative, or the family is a histogram.
    OutsideFamily,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BufferTooSmall => "metrics buffer too small",
            Self::InvalidName => "invalid metric or label name",
            Self::OutsideFamily => "metric sample outside its family",
        })
    }
}

impl core::error::Error for RenderError {}

/// Writes metric families in the Prometheus text format into a caller's buffer.
///
/// Call order: for each family, either [`family`](Self::family) followed by its samples
/// ([`sample_u64`](Self::sample_u64), [`sample_i64`](Self::sample_i64)), or one of the
/// one-call forms [`counter`](Self::counter), [`gauge`](Self::gauge),
/// [`histogram`](Self::histogram). Then [`finish`](Self::finish) for the byte count.
///
/// Labels are `(name, value)` pairs; values may hold any text and are escaped.
///
/// # Examples
///
/// ```
/// use aurora_core::metrics::{MetricKind, Renderer};
///
/// let mut buf = [0u8; 256];
/// let mut r = Renderer::new(&mut buf);
/// r.family("app_hits_total", "Hits.", MetricKind::Counter)?;
/// r.sample_u64("app_hits_total", &[("path", "/")], 3)?;
/// r.gauge("app_queue_depth", "Jobs waiting.", &[], -1)?;
/// let n = r.finish();
/// let want = concat!(
///     "# HELP app_hits_total Hits.\n",
///     "# TYPE app_hits_total counter\n",
///     "app_hits_total{path=\"/\"} 3\n",
///     "# HELP app_queue_depth Jobs waiting.\n",
///     "# TYPE app_queue_depth gauge\n",
///     "app_queue_depth -1\n",
/// );
/// assert_eq!(core::str::from_utf8(&buf[..n]).unwrap(), want);
/// # Ok::<(), aurora_core::metrics::RenderError>(())
/// ```
#[derive(Debug)]
pub struct Renderer<'a> {
    buf: &'a mut [u8],
    /// Bytes written, or that would have been: past `buf.len()` once a call ran out.
    len: usize,
    family: Option<Family>,
    /// Lines still to leave out (a window's lines sent before).
    skip: u32,
    /// Whether this is a window: a call that runs out keeps the whole lines it wrote, and
    /// nothing is written after it.
    window: bool,
    /// Whole lines in `buf[..line_end]`.
    lines: u32,
    /// The end of the last whole line in `buf`.
    line_end: usize,
}

/// The family written last: a hash of its name (see [`name_hash`]), and its kind.
#[derive(Clone, Copy, Debug)]
struct Family {
    name: u32,
    kind: MetricKind,
}

/// A sample's value as it is printed.
#[derive(Clone, Copy, Debug)]
enum Value {
    /// `units / 10^scale` (`scale <= MAX_FRACTION_DIGITS`), printed as a decimal without
    /// trailing zeros, after a `-` if `negative`.
    Number {
        units: u64,
        scale: u32,
        negative: bool,
    },
    /// `+Inf`, for the last bucket bound.
    Inf,
}

impl Value {
    const fn unsigned(units: u64) -> Self {
        Self::Number {
            units,
            scale: 0,
            negative: false,
        }
    }

    const fn signed(value: i64) -> Self {
        Self::Number {
            units: value.unsigned_abs(),
            scale: 0,
            negative: value < 0,
        }
    }
}

/// Where a renderer stood before a call, to go back to if the call fails.
#[derive(Clone, Copy, Debug)]
struct Mark {
    len: usize,
    family: Option<Family>,
}

impl<'a> Renderer<'a> {
    /// A renderer that appends to `buf` from its start.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            family: None,
            skip: 0,
            window: false,
            lines: 0,
            line_end: 0,
        }
    }

    /// A window: a renderer that leaves out the first `skip` lines and then writes whole lines
    /// into `buf` while they fit. Once one does not, the call writing it fails with
    /// [`RenderError::BufferTooSmall`] and every later call writes nothing and fails alike;
    /// [`window_end`](Self::window_end) tells what was kept.
    pub fn window(buf: &'a mut [u8], skip: u32) -> Self {
        let mut r = Self::new(buf);
        r.skip = skip;
        r.window = true;
        r
    }

    /// How a window ended: the bytes of the whole lines in its buffer, their count, and
    /// whether lines were left out for want of room.
    pub fn window_end(self) -> (usize, u32, bool) {
        (self.line_end, self.lines, self.len > self.buf.len())
    }

    /// Bytes written so far.
    pub fn written(&self) -> usize {
        self.len
    }

    /// Ends rendering and returns the number of bytes written: the exposition is
    /// `buf[..n]`.
    pub fn finish(self) -> usize {
        self.len
    }

    /// Starts a family: writes its `# HELP` line (left out if `help` is empty) and its
    /// `# TYPE` line. Samples of a counter, gauge or untyped family follow through
    /// [`sample_u64`](Self::sample_u64) and [`sample_i64`](Self::sample_i64).
    ///
    /// # Errors
    ///
    /// [`RenderError::InvalidName`] for a bad `name`, [`RenderError::BufferTooSmall`].
    pub fn family(&mut self, name: &str, help: &str, kind: MetricKind) -> Result<(), RenderError> {
        self.write_family(name, help, kind, &[], None)
    }

    /// Writes one sample of the family opened last, which must be named `name` and be a
    /// counter, gauge or untyped family.
    ///
    /// # Errors
    ///
    /// [`RenderError::OutsideFamily`], [`RenderError::InvalidName`] for a bad label name,
    /// [`RenderError::BufferTooSmall`].
    pub fn sample_u64(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        value: u64,
    ) -> Result<(), RenderError> {
        self.sample(name, labels, Value::unsigned(value))
    }

    /// Writes one signed sample of the family opened last, which must be named `name` and be
    /// a gauge or untyped family (or a counter, if `value` is not negative).
    ///
    /// # Errors
    ///
    /// As [`sample_u64`](Self::sample_u64).
    pub fn sample_i64(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        value: i64,
    ) -> Result<(), RenderError> {
        self.sample(name, labels, Value::signed(value))
    }

    /// A counter family with one sample.
    ///
    /// # Errors
    ///
    /// As [`family`](Self::family) and [`sample_u64`](Self::sample_u64).
    pub fn counter(
        &mut self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        value: u64,
    ) -> Result<(), RenderError> {
        let value = Value::unsigned(value);
        self.write_family(name, help, MetricKind::Counter, labels, Some(value))
    }

    /// A gauge family with one sample.
    ///
    /// # Errors
    ///
    /// As [`family`](Self::family) and [`sample_i64`](Self::sample_i64).
    pub fn gauge(
        &mut self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        value: i64,
    ) -> Result<(), RenderError> {
        let value = Value::signed(value);
        self.write_family(name, help, MetricKind::Gauge, labels, Some(value))
    }

    /// A histogram family: cumulative `name_bucket{...,le="bound"}` samples ending with
    /// `le="+Inf"`, then `name_sum` and `name_count`.
    ///
    /// Bounds and the sum are printed as `units / 10^fraction_digits` (at most 19 digits are
    /// honoured): `6` prints microseconds as seconds, `le="0.0001"` for a 100 µs bound; `0`
    /// prints them as they are.
    ///
    /// # Errors
    ///
    /// As [`family`](Self::family); [`RenderError::InvalidName`] also for a label named `le`.
    pub fn histogram<const N: usize>(
        &mut self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        snapshot: &HistogramSnapshot<N>,
        fraction_digits: u32,
    ) -> Result<(), RenderError> {
        let counts = Counts {
            bounds: snapshot.bounds,
            buckets: &snapshot.buckets,
            count: snapshot.count(),
            sum: snapshot.sum,
        };
        self.write_histogram(name, help, labels, &counts, fraction_digits)
    }

    /// [`histogram`](Self::histogram) for any number of buckets: one body, not one per `N`.
    fn write_histogram(
        &mut self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        counts: &Counts<'_>,
        fraction_digits: u32,
    ) -> Result<(), RenderError> {
        if labels.iter().any(|(label, _)| *label == "le") {
            return Err(RenderError::InvalidName);
        }
        let mark = self.mark();
        self.write_family(name, help, MetricKind::Histogram, labels, None)?;
        let scale = fraction_digits.min(MAX_FRACTION_DIGITS);
        let fixed = |units| Value::Number {
            units,
            scale,
            negative: false,
        };
        let mut cumulative = 0u64;
        for (bound, n) in counts.bounds.iter().zip(counts.buckets) {
            cumulative = cumulative.wrapping_add(*n);
            let le = Some(fixed(*bound));
            self.put_sample(name, "_bucket", labels, le, Value::unsigned(cumulative));
        }
        let count = Value::unsigned(counts.count);
        self.put_sample(name, "_bucket", labels, Some(Value::Inf), count);
        self.put_sample(name, "_sum", labels, None, fixed(counts.sum));
        self.put_sample(name, "_count", labels, None, count);
        self.settle(mark, Ok(()))
    }

    /// Opens a family as [`family`](Self::family) does and, with a `value`, writes its one
    /// sample: all or nothing.
    #[inline(never)]
    fn write_family(
        &mut self,
        name: &str,
        help: &str,
        kind: MetricKind,
        labels: &[(&str, &str)],
        value: Option<Value>,
    ) -> Result<(), RenderError> {
        if !is_metric_name(name) || !labels_are_valid(labels) {
            return Err(RenderError::InvalidName);
        }
        let mark = self.mark();
        if !help.is_empty() {
            self.put(b"# HELP ");
            self.put(name.as_bytes());
            self.put(b" ");
            self.put_escaped(help, false);
            self.end_line();
        }
        self.put(b"# TYPE ");
        self.put(name.as_bytes());
        self.put(b" ");
        self.put(kind.keyword().as_bytes());
        self.end_line();
        self.family = Some(Family {
            name: name_hash(name),
            kind,
        });
        if let Some(value) = value {
            self.put_sample(name, "", labels, None, value);
        }
        self.settle(mark, Ok(()))
    }

    /// Writes one plain sample of the family opened last: all or nothing.
    #[inline(never)]
    fn sample(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        value: Value,
    ) -> Result<(), RenderError> {
        let negative = matches!(value, Value::Number { negative: true, .. });
        self.check_sample(name, labels, negative)?;
        let mark = self.mark();
        self.put_sample(name, "", labels, None, value);
        self.settle(mark, Ok(()))
    }

    /// Where the renderer stands now.
    fn mark(&self) -> Mark {
        Mark {
            len: self.len,
            family: self.family,
        }
    }

    /// Ends a call begun at `mark`: a call that failed or ran past the buffer is forgotten
    /// (but for the whole lines a window keeps).
    fn settle(&mut self, mark: Mark, result: Result<(), RenderError>) -> Result<(), RenderError> {
        let result = match result {
            Ok(()) if self.len > self.buf.len() => Err(RenderError::BufferTooSmall),
            other => other,
        };
        if result.is_err() && !self.window {
            self.len = mark.len;
            self.family = mark.family;
        }
        result
    }

    /// Checks that a plain sample named `name` belongs to the open family.
    fn check_sample(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        negative: bool,
    ) -> Result<(), RenderError> {
        let Some(family) = self.family else {
            return Err(RenderError::OutsideFamily);
        };
        let fits_kind = match family.kind {
            MetricKind::Counter => !negative,
            MetricKind::Gauge | MetricKind::Untyped => true,
            MetricKind::Histogram => false,
        };
        if !fits_kind || family.name != name_hash(name) {
            return Err(RenderError::OutsideFamily);
        }
        if !labels_are_valid(labels) {
            return Err(RenderError::InvalidName);
        }
        Ok(())
    }

    /// Writes `name suffix{labels,le="..."} value\n`; names are checked by the caller.
    fn put_sample(
        &mut self,
        name: &str,
        suffix: &str,
        labels: &[(&str, &str)],
        le: Option<Value>,
        value: Value,
    ) {
        self.put(name.as_bytes());
        self.put(suffix.as_bytes());
        let mut open = b"{";
        for (label, text) in labels {
            self.put(open);
            open = b",";
            self.put(label.as_bytes());
            self.put(b"=\"");
            self.put_escaped(text, true);
            self.put(b"\"");
        }
        if let Some(le) = le {
            self.put(open);
            open = b",";
            self.put(b"le=\"");
            self.put_value(le);
            self.put(b"\"");
        }
        if open == b"," {
            self.put(b"}");
        }
        self.put(b" ");
        self.put_value(value);
        self.end_line();
    }

    /// Writes a value: `+Inf`, or a number as `[-]integer[.fraction]` with no trailing zeros
    /// in the fraction.
    fn put_value(&mut self, value: Value) {
        let Value::Number {
            units,
            scale,
            negative,
        } = value
        else {
            self.put(b"+Inf");
            return;
        };
        // The digits of `units`, right-aligned, with zeros in front: at most 20 digits, and
        // at least one zero before a fraction of up to `MAX_FRACTION_DIGITS`.
        const END: usize = 40;
        let mut text = [b'0'; END];
        let mut start = END;
        let mut rest = units;
        loop {
            start -= 1;
            // At most 20 digits for a u64, so `start` stays in bounds.
            text[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let point = END - scale.min(MAX_FRACTION_DIGITS) as usize;
        let mut end = END;
        while end > point && text[end - 1] == b'0' {
            end -= 1;
        }
        if negative {
            self.put(b"-");
        }
        // `point >= 21` and `start >= 20`, so the integer part has at least one digit.
        self.put(&text[start.min(point - 1)..point]);
        if end > point {
            self.put(b".");
            self.put(&text[point..end]);
        }
    }

    /// Writes `text` escaped: backslash and newline always, the double quote in label values.
    fn put_escaped(&mut self, text: &str, quote: bool) {
        for b in text.bytes() {
            match b {
                b'\\' => self.put(b"\\\\"),
                b'\n' => self.put(b"\\n"),
                b'"' if quote => self.put(b"\\\""),
                _ => self.put(&[b]),
            }
        }
    }

    /// Ends a line (the only raw newline the format has: escaping turns those in texts into
    /// `\n`), or leaves out one more of the lines a window skips.
    fn end_line(&mut self) {
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        self.put(b"\n");
        if self.len <= self.buf.len() {
            self.line_end = self.len;
            self.lines = self.lines.saturating_add(1);
        }
    }

    /// Appends `bytes` as far as they fit (nothing while a window skips lines);
    /// [`settle`](Self::settle) then sees the length past the buffer's end and undoes the
    /// call. Once past the end, nothing more is written.
    #[inline(never)]
    fn put(&mut self, bytes: &[u8]) {
        if self.skip > 0 {
            return;
        }
        let end = self.len.saturating_add(bytes.len());
        if let Some(dest) = self.buf.get_mut(self.len..end) {
            dest.copy_from_slice(bytes);
        }
        self.len = end;
    }
}

/// A histogram's counts with the bucket count erased.
struct Counts<'s> {
    bounds: &'s [u64],
    buckets: &'s [u64],
    count: u64,
    sum: u64,
}

/// A 32-bit FNV-1a hash of a family's name: how a sample is matched to the family opened last
/// without keeping the name (a window may have left it out of the buffer).
fn name_hash(name: &str) -> u32 {
    name.bytes().fold(0x811c_9dc5, |hash, b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Whether every label name is valid.
fn labels_are_valid(labels: &[(&str, &str)]) -> bool {
    labels.iter().all(|(label, _)| is_label_name(label))
}

/// The most fractional digits a scaled value is printed with (`10^19` still fits a `u64`).
const MAX_FRACTION_DIGITS: u32 = 19;

/// Whether `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn is_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'A'..=b'Z' | b'_' | b':'))
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// Whether `name` matches `[a-zA-Z_][a-zA-Z0-9_]*` and does not start with the reserved `__`.
pub fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'A'..=b'Z' | b'_'))
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.starts_with("__")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::metrics::Histogram;

    fn render(f: impl FnOnce(&mut Renderer<'_>) -> Result<(), RenderError>) -> std::string::String {
        let mut buf = [0u8; 2048];
        let mut r = Renderer::new(&mut buf);
        f(&mut r).unwrap();
        let n = r.finish();
        std::string::String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn fixed_point_table() {
        // (units, fraction digits, expected)
        let rows: &[(u64, u32, &str)] = &[
            (0, 6, "0"),
            (100, 6, "0.0001"),
            (2_500, 6, "0.0025"),
            (1_000_000, 6, "1"),
            (1_500_000, 6, "1.5"),
            (123, 0, "123"),
            (u64::MAX, 19, "1.8446744073709551615"),
            (u64::MAX, 0, "18446744073709551615"),
            (1, 19, "0.0000000000000000001"),
            (10, 1, "1"),
            (12_340, 3, "12.34"),
            (5, 30, "0.0000000000000000005"),
        ];
        for &(units, digits, want) in rows {
            let got = render(|r| {
                r.family("x", "", MetricKind::Untyped)?;
                let value = Value::Number {
                    units,
                    scale: digits,
                    negative: false,
                };
                r.put_value(value);
                Ok(())
            });
            assert_eq!(
                got,
                std::format!("# TYPE x untyped\n{want}"),
                "{units}/{digits}"
            );
        }
    }

    #[test]
    fn escaping() {
        let got = render(|r| {
            r.family("m", "a\\b\nc \"q\"", MetricKind::Gauge)?;
            r.sample_i64("m", &[("l", "x\\y\n\"z\""), ("k", "ü")], i64::MIN)
        });
        assert_eq!(
            got,
            "# HELP m a\\\\b\\nc \"q\"\n# TYPE m gauge\n\
             m{l=\"x\\\\y\\n\\\"z\\\"\",k=\"ü\"} -9223372036854775808\n"
        );
    }

    #[test]
    fn names_are_checked() {
        let mut buf = [0u8; 256];
        let mut r = Renderer::new(&mut buf);
        for bad in ["", "1a", "a-b", "a b", "é"] {
            assert_eq!(
                r.family(bad, "", MetricKind::Counter),
                Err(RenderError::InvalidName)
            );
        }
        assert_eq!(r.sample_u64("a", &[], 1), Err(RenderError::OutsideFamily));
        r.family("a:b_c", "", MetricKind::Counter).unwrap();
        assert_eq!(r.sample_u64("a:b", &[], 1), Err(RenderError::OutsideFamily));
        assert_eq!(
            r.sample_i64("a:b_c", &[], -1),
            Err(RenderError::OutsideFamily)
        );
        for bad in ["", "__x", "a:b", "1"] {
            assert_eq!(
                r.sample_u64("a:b_c", &[(bad, "v")], 1),
                Err(RenderError::InvalidName)
            );
        }
        static B: [u64; 1] = [1];
        let snap = Histogram::new(&B).snapshot();
        assert_eq!(
            r.histogram("h", "", &[("le", "1")], &snap, 0),
            Err(RenderError::InvalidName)
        );
        r.histogram("h", "", &[], &snap, 0).unwrap();
        assert_eq!(r.sample_u64("h", &[], 1), Err(RenderError::OutsideFamily));
    }

    #[test]
    fn histogram_with_labels() {
        static B: [u64; 2] = [250, 1_000_000];
        let h = Histogram::new(&B);
        h.observe(100);
        h.observe(2_000_000);
        let got = render(|r| r.histogram("d_seconds", "D.", &[("m", "GET")], &h.snapshot(), 6));
        assert_eq!(
            got,
            "# HELP d_seconds D.\n# TYPE d_seconds histogram\n\
             d_seconds_bucket{m=\"GET\",le=\"0.00025\"} 1\n\
             d_seconds_bucket{m=\"GET\",le=\"1\"} 1\n\
             d_seconds_bucket{m=\"GET\",le=\"+Inf\"} 2\n\
             d_seconds_sum{m=\"GET\"} 2.0001\n\
             d_seconds_count{m=\"GET\"} 2\n"
        );
    }

    /// A window leaves out the lines asked and keeps the whole lines that fit: (buffer size,
    /// lines to skip) → (text kept, lines kept, whether lines were cut).
    #[test]
    fn windows_keep_whole_lines() {
        static B: [u64; 1] = [5];
        let all = |r: &mut Renderer<'_>| {
            r.counter("a", "A.", &[], 1)?;
            r.histogram("h", "", &[("k", "v")], &Histogram::new(&B).snapshot(), 0)?;
            r.family("g", "", MetricKind::Gauge)?;
            r.sample_i64("g", &[], -2)
        };
        let lines = [
            "# HELP a A.\n",
            "# TYPE a counter\n",
            "a 1\n",
            "# TYPE h histogram\n",
            "h_bucket{k=\"v\",le=\"5\"} 0\n",
            "h_bucket{k=\"v\",le=\"+Inf\"} 0\n",
            "h_sum{k=\"v\"} 0\n",
            "h_count{k=\"v\"} 0\n",
            "# TYPE g gauge\n",
            "g -2\n",
        ];
        let rows: &[(usize, u32, usize, u32, bool)] = &[
            (512, 0, 0, 10, false),
            (512, 3, 3, 7, false),
            (512, 10, 10, 0, false),
            (512, 99, 10, 0, false),
            (0, 0, 0, 0, true),
            (12, 0, 0, 1, true),
            (13, 0, 0, 1, true),
            (30, 0, 0, 2, true),
            (40, 4, 4, 1, true),
            (80, 4, 4, 3, true),
            (30, 8, 8, 2, false),
        ];
        for &(size, skip, first, count, cut) in rows {
            let mut buf = [0u8; 512];
            let mut r = Renderer::window(&mut buf[..size], skip);
            let result = all(&mut r);
            let (len, kept, was_cut) = r.window_end();
            let want: std::string::String = lines[first..first + count as usize].concat();
            let what = (size, skip);
            assert_eq!(std::str::from_utf8(&buf[..len]).unwrap(), want, "{what:?}");
            assert_eq!((kept, was_cut), (count, cut), "{what:?}");
            assert_eq!(result.is_err(), cut, "{what:?}");
        }
    }

    #[test]
    fn failed_call_leaves_nothing_behind() {
        let mut buf = [0u8; 40];
        let mut r = Renderer::new(&mut buf);
        r.counter("a", "", &[], 1).unwrap();
        let before = r.written();
        assert_eq!(
            r.counter("long_name_that_does_not_fit", "help", &[], 7),
            Err(RenderError::BufferTooSmall)
        );
        assert_eq!(r.written(), before);
        // The family that failed was not opened either.
        assert_eq!(r.sample_u64("a", &[], 2), Ok(()));
    }
}
