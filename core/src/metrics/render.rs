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

use core::fmt;

use super::instruments::HistogramSnapshot;

/// The `# TYPE` of a metric family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
    len: usize,
    family: Option<Family>,
}

/// The family written last: where its name sits in the buffer, and its kind.
#[derive(Clone, Copy, Debug)]
struct Family {
    start: usize,
    len: usize,
    kind: MetricKind,
}

/// A sample's value as it is printed.
#[derive(Clone, Copy, Debug)]
enum Value {
    Unsigned(u64),
    Signed(i64),
    /// `units / 10^digits`, printed as a decimal.
    Fixed(u64, u32),
    /// `+Inf`, for the last bucket bound.
    Inf,
}

impl<'a> Renderer<'a> {
    /// A renderer that appends to `buf` from its start.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            family: None,
        }
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
        if !is_metric_name(name) {
            return Err(RenderError::InvalidName);
        }
        self.atomically(|r| {
            if !help.is_empty() {
                r.put(b"# HELP ")?;
                r.put(name.as_bytes())?;
                r.put(b" ")?;
                r.put_escaped(help, false)?;
                r.put(b"\n")?;
            }
            r.put(b"# TYPE ")?;
            let start = r.len;
            r.put(name.as_bytes())?;
            r.put(b" ")?;
            r.put(kind.keyword().as_bytes())?;
            r.put(b"\n")?;
            r.family = Some(Family {
                start,
                len: name.len(),
                kind,
            });
            Ok(())
        })
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
        self.check_sample(name, labels, false)?;
        self.atomically(|r| r.put_sample(name, "", labels, None, Value::Unsigned(value)))
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
        self.check_sample(name, labels, value < 0)?;
        self.atomically(|r| r.put_sample(name, "", labels, None, Value::Signed(value)))
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
        self.atomically(|r| {
            r.family(name, help, MetricKind::Counter)?;
            r.sample_u64(name, labels, value)
        })
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
        self.atomically(|r| {
            r.family(name, help, MetricKind::Gauge)?;
            r.sample_i64(name, labels, value)
        })
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
        if labels
            .iter()
            .any(|(label, _)| !is_label_name(label) || *label == "le")
        {
            return Err(RenderError::InvalidName);
        }
        let digits = fraction_digits.min(MAX_FRACTION_DIGITS);
        self.atomically(|r| {
            r.family(name, help, MetricKind::Histogram)?;
            let mut cumulative = 0u64;
            for (bound, n) in snapshot.bounds.iter().zip(&snapshot.buckets) {
                cumulative = cumulative.wrapping_add(*n);
                let le = Value::Fixed(*bound, digits);
                r.put_sample(
                    name,
                    "_bucket",
                    labels,
                    Some(le),
                    Value::Unsigned(cumulative),
                )?;
            }
            let count = snapshot.count();
            let inf = Some(Value::Inf);
            r.put_sample(name, "_bucket", labels, inf, Value::Unsigned(count))?;
            let sum = Value::Fixed(snapshot.sum, digits);
            r.put_sample(name, "_sum", labels, None, sum)?;
            r.put_sample(name, "_count", labels, None, Value::Unsigned(count))
        })
    }

    /// Runs `f`; if it fails, forgets everything it wrote.
    fn atomically(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<(), RenderError>,
    ) -> Result<(), RenderError> {
        let (len, family) = (self.len, self.family);
        let result = f(self);
        if result.is_err() {
            self.len = len;
            self.family = family;
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
        let opened = self.buf.get(family.start..family.start + family.len);
        let fits_kind = match family.kind {
            MetricKind::Counter => !negative,
            MetricKind::Gauge | MetricKind::Untyped => true,
            MetricKind::Histogram => false,
        };
        if opened != Some(name.as_bytes()) || !fits_kind {
            return Err(RenderError::OutsideFamily);
        }
        if labels.iter().any(|(label, _)| !is_label_name(label)) {
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
    ) -> Result<(), RenderError> {
        self.put(name.as_bytes())?;
        self.put(suffix.as_bytes())?;
        if !labels.is_empty() || le.is_some() {
            self.put(b"{")?;
            for (i, (label, text)) in labels.iter().enumerate() {
                if i > 0 {
                    self.put(b",")?;
                }
                self.put(label.as_bytes())?;
                self.put(b"=\"")?;
                self.put_escaped(text, true)?;
                self.put(b"\"")?;
            }
            if let Some(le) = le {
                if !labels.is_empty() {
                    self.put(b",")?;
                }
                self.put(b"le=\"")?;
                self.put_value(le)?;
                self.put(b"\"")?;
            }
            self.put(b"}")?;
        }
        self.put(b" ")?;
        self.put_value(value)?;
        self.put(b"\n")
    }

    fn put_value(&mut self, value: Value) -> Result<(), RenderError> {
        match value {
            Value::Unsigned(v) => self.put_u64(v),
            Value::Signed(v) => {
                if v < 0 {
                    self.put(b"-")?;
                }
                self.put_u64(v.unsigned_abs())
            }
            Value::Fixed(units, digits) => self.put_fixed(units, digits),
            Value::Inf => self.put(b"+Inf"),
        }
    }

    fn put_u64(&mut self, mut v: u64) -> Result<(), RenderError> {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            // At most 20 iterations for a u64, so `start` stays in bounds.
            digits[start] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.put(&digits[start..])
    }

    /// Writes `units / 10^digits` as a decimal without trailing zeros; `digits <= 19`.
    fn put_fixed(&mut self, units: u64, digits: u32) -> Result<(), RenderError> {
        let scale = 10u64.pow(digits);
        self.put_u64(units / scale)?;
        let mut fraction = units % scale;
        if fraction == 0 {
            return Ok(());
        }
        let mut text = [0u8; MAX_FRACTION_DIGITS as usize];
        let len = digits as usize;
        for place in text[..len].iter_mut().rev() {
            *place = b'0' + (fraction % 10) as u8;
            fraction /= 10;
        }
        let kept = text[..len]
            .iter()
            .rposition(|d| *d != b'0')
            .map_or(0, |last| last + 1);
        self.put(b".")?;
        self.put(&text[..kept])
    }

    /// Writes `text` escaped: backslash and newline always, the double quote in label values.
    fn put_escaped(&mut self, text: &str, quote: bool) -> Result<(), RenderError> {
        let mut rest = text.as_bytes();
        while let Some(at) = rest
            .iter()
            .position(|b| matches!(b, b'\\' | b'\n') || (quote && *b == b'"'))
        {
            self.put(&rest[..at])?;
            self.put(match rest[at] {
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                _ => b"\\\"",
            })?;
            rest = &rest[at + 1..];
        }
        self.put(rest)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), RenderError> {
        let end = self
            .len
            .checked_add(bytes.len())
            .ok_or(RenderError::BufferTooSmall)?;
        let dest = self
            .buf
            .get_mut(self.len..end)
            .ok_or(RenderError::BufferTooSmall)?;
        dest.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
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
        ];
        for &(units, digits, want) in rows {
            let got = render(|r| {
                r.family("x", "", MetricKind::Untyped)?;
                r.atomically(|r| r.put_fixed(units, digits))
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
