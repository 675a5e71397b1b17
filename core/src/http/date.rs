//! The `Date` header: an IMF-fixdate (RFC 9110 §5.6.7) formatted from a Unix time and cached
//! per second.
//!
//! This module owns turning whole seconds since 1970-01-01 00:00:00 UTC into the 29 bytes
//! `Sun, 06 Nov 1994 08:49:37 GMT`, by hand, without `core::fmt`. It must never read a clock:
//! the backend reads its wall clock (not the monotonic [`Instant`](crate::time::Instant) the
//! rest of the core uses) once per loop turn and passes the seconds to [`DateCache::update`],
//! which reformats only when the second changed.
//!
//! Years 1970 to 9999 are exact. A time past `9999-12-31T23:59:59Z` saturates to that second,
//! so the output is always 29 bytes of the IMF-fixdate grammar.

/// Length of an IMF-fixdate in bytes: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub const DATE_LEN: usize = 29;

/// The last second this module formats exactly: `Fri, 31 Dec 9999 23:59:59 GMT`. Later times
/// saturate to it.
pub const MAX_UNIX_SECS: u64 = 253_402_300_799;

/// Seconds in a civil day (UTC has no leap seconds in Unix time).
const SECS_PER_DAY: u64 = 86_400;

/// Days in a 400-year Gregorian cycle: 400 * 365 + 97 leap days.
const DAYS_PER_400_YEARS: u32 = 146_097;

/// Days in a 100-year span that does not end on a 400-year boundary: 100 * 365 + 24.
const DAYS_PER_100_YEARS: u32 = 36_524;

/// Days in a 4-year span holding one leap day: 4 * 365 + 1.
const DAYS_PER_4_YEARS: u32 = 1_461;

/// Days from 0000-03-01 (proleptic Gregorian) to 1970-01-01. Counting from a March 1st puts the
/// leap day at the very end of each counted year, which keeps the arithmetic below branch-light.
const DAYS_FROM_0000_03_01_TO_EPOCH: u32 = 719_468;

/// Month abbreviations, March first, to match [`MONTH_STARTS_FROM_MARCH`].
const MONTH_NAMES_FROM_MARCH: [&[u8; 3]; 12] = [
    b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec", b"Jan", b"Feb",
];

/// Weekday abbreviations, Thursday first: 1970-01-01 was a Thursday.
const WEEKDAY_NAMES_FROM_THURSDAY: [&[u8; 3]; 7] =
    [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];

/// One formatted IMF-fixdate. It can only be built by formatting a time, so its bytes are
/// always a valid header value (the response encoder relies on this).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Date {
    bytes: [u8; DATE_LEN],
}

impl Date {
    /// `Thu, 01 Jan 1970 00:00:00 GMT`.
    pub const UNIX_EPOCH: Self = Self::from_unix_secs(0);

    /// The IMF-fixdate of `unix_secs` seconds after 1970-01-01 00:00:00 UTC, saturating at
    /// [`MAX_UNIX_SECS`].
    pub const fn from_unix_secs(unix_secs: u64) -> Self {
        let secs = if unix_secs > MAX_UNIX_SECS {
            MAX_UNIX_SECS
        } else {
            unix_secs
        };
        // The one 64-bit division; the clamp above keeps the days (at most 2,932,896) and
        // everything after in 32 bits, where division by a constant is a multiplication.
        let days = (secs / SECS_PER_DAY) as u32;
        let secs_of_day = (secs - days as u64 * SECS_PER_DAY) as u32;
        let civil = Civil::from_days_since_epoch(days);

        let mut b = *b"Thu, 01 Jan 1970 00:00:00 GMT";
        let weekday = WEEKDAY_NAMES_FROM_THURSDAY[(days % 7) as usize];
        b[0] = weekday[0];
        b[1] = weekday[1];
        b[2] = weekday[2];
        let month = MONTH_NAMES_FROM_MARCH[civil.month_from_march as usize];
        b[8] = month[0];
        b[9] = month[1];
        b[10] = month[2];
        // The year is at most 9999 here because the seconds were clamped above. One loop
        // writes every two-digit field, so the digit code exists once.
        let fields = [
            (5, civil.day as u32),
            (12, civil.year / 100),
            (14, civil.year % 100),
            (17, secs_of_day / 3_600),
            (20, secs_of_day / 60 % 60),
            (23, secs_of_day % 60),
        ];
        let mut i = 0;
        while i < fields.len() {
            let (at, value) = fields[i];
            // Every offset is a constant below `DATE_LEN - 1`, every value below 100.
            b[at] = b'0' + (value / 10 % 10) as u8;
            b[at + 1] = b'0' + (value % 10) as u8;
            i += 1;
        }
        Self { bytes: b }
    }

    /// The 29 bytes of the date, ready to follow `Date: `.
    pub const fn as_bytes(&self) -> &[u8; DATE_LEN] {
        &self.bytes
    }

    /// The date as text.
    pub fn as_str(&self) -> &str {
        // The bytes are ASCII by construction, so this never takes the fallback.
        core::str::from_utf8(&self.bytes).unwrap_or("")
    }
}

impl Default for Date {
    fn default() -> Self {
        Self::UNIX_EPOCH
    }
}

impl core::fmt::Display for Date {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The current `Date` header value, reformatted at most once per second.
///
/// A backend calls [`update`](Self::update) with its wall-clock seconds before encoding
/// responses; within one second every call after the first is a comparison and nothing more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DateCache {
    unix_secs: u64,
    date: Date,
}

impl DateCache {
    /// A cache holding `unix_secs`.
    pub const fn new(unix_secs: u64) -> Self {
        Self {
            unix_secs,
            date: Date::from_unix_secs(unix_secs),
        }
    }

    /// Moves the cache to `unix_secs`, reformatting only if the second differs from the cached
    /// one (in either direction: a wall clock may step backwards). Returns whether it reformatted.
    pub fn update(&mut self, unix_secs: u64) -> bool {
        if unix_secs == self.unix_secs {
            return false;
        }
        self.unix_secs = unix_secs;
        self.date = Date::from_unix_secs(unix_secs);
        true
    }

    /// The cached date.
    pub const fn date(&self) -> &Date {
        &self.date
    }

    /// The cached date's 29 bytes.
    pub const fn as_bytes(&self) -> &[u8; DATE_LEN] {
        self.date.as_bytes()
    }

    /// The second the cache holds, as last passed in.
    pub const fn unix_secs(&self) -> u64 {
        self.unix_secs
    }
}

impl Default for DateCache {
    fn default() -> Self {
        Self::new(0)
    }
}

/// A civil (proleptic Gregorian) date, with months counted from March.
struct Civil {
    /// The calendar year (January and February already moved to the following year).
    year: u32,
    /// 0 for March up to 11 for February.
    month_from_march: u8,
    /// Day of the month, 1 to 31.
    day: u8,
}

impl Civil {
    /// The civil date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`, in
    /// 32 bits and without branches or tables). Exact for any `days` that does not overflow the
    /// count from year 0 (past the year 11,000,000); callers pass at most the days to
    /// 9999-12-31.
    const fn from_days_since_epoch(days: u32) -> Self {
        let since_0000_03_01 = days + DAYS_FROM_0000_03_01_TO_EPOCH;
        let cycles_400 = since_0000_03_01 / DAYS_PER_400_YEARS;
        let day_of_cycle = since_0000_03_01 - cycles_400 * DAYS_PER_400_YEARS;
        // Leap days skipped: one every 4 years (1460 days without it), none every 100 years,
        // one every 400 years; what is left divides into 365-day years.
        let year_of_cycle = (day_of_cycle - day_of_cycle / (DAYS_PER_4_YEARS - 1)
            + day_of_cycle / DAYS_PER_100_YEARS
            - day_of_cycle / (DAYS_PER_400_YEARS - 1))
            / 365;
        let day_of_year =
            day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
        // Months from March run 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, (28 or 29): in
        // five-month periods of 153 days.
        let month_from_march = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
        let march_year = cycles_400 * 400 + year_of_cycle;
        // January and February belong to the year after the March that began the count.
        let year = if month_from_march >= 10 {
            march_year + 1
        } else {
            march_year
        };
        Self {
            year,
            month_from_march: month_from_march as u8,
            day: day as u8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Unix seconds and the IMF-fixdate Python's `email.utils.formatdate(t, usegmt=True)`
    /// printed for them when these tests were written.
    const KNOWN: &[(u64, &str)] = &[
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (31_536_000, "Fri, 01 Jan 1971 00:00:00 GMT"),
        (94_694_399, "Sun, 31 Dec 1972 23:59:59 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_399, "Mon, 28 Feb 2000 23:59:59 GMT"),
        (951_825_600, "Tue, 29 Feb 2000 12:00:00 GMT"),
        (951_868_800, "Wed, 01 Mar 2000 00:00:00 GMT"),
        (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT"),
        (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 GMT"),
        (2_147_483_648, "Tue, 19 Jan 2038 03:14:08 GMT"),
        (4_107_542_399, "Sun, 28 Feb 2100 23:59:59 GMT"),
        (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
        (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
    ];

    #[test]
    fn known_dates() {
        for &(secs, expected) in KNOWN {
            assert_eq!(Date::from_unix_secs(secs).as_str(), expected, "at {secs}");
        }
    }

    #[test]
    fn saturates_past_year_9999() {
        let last = "Fri, 31 Dec 9999 23:59:59 GMT";
        for secs in [MAX_UNIX_SECS + 1, MAX_UNIX_SECS * 2, u64::MAX] {
            assert_eq!(Date::from_unix_secs(secs).as_str(), last);
        }
    }

    #[test]
    fn cache_reformats_only_on_a_new_second() {
        let mut cache = DateCache::default();
        assert_eq!(cache.date(), &Date::UNIX_EPOCH);
        assert!(!cache.update(0));
        assert!(cache.update(784_111_777));
        assert_eq!(cache.as_bytes(), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert!(!cache.update(784_111_777));
        assert_eq!(cache.unix_secs(), 784_111_777);
        // A clock stepping backwards is followed too.
        assert!(cache.update(0));
        assert_eq!(cache.as_bytes(), Date::UNIX_EPOCH.as_bytes());
    }

    #[test]
    fn displays_as_its_bytes() {
        let text = std::format!("{}", Date::from_unix_secs(784_111_777));
        assert_eq!(text, "Sun, 06 Nov 1994 08:49:37 GMT");
    }

    /// The fields of a formatted date, read back by a deliberately naive parser.
    #[derive(Debug, PartialEq)]
    struct Fields {
        weekday: usize,
        day: u64,
        month: u64,
        year: u64,
        hour: u64,
        minute: u64,
        second: u64,
    }

    fn number(b: &[u8]) -> u64 {
        b.iter().fold(0, |n, d| {
            assert!(d.is_ascii_digit());
            n * 10 + u64::from(d - b'0')
        })
    }

    fn fields(date: &Date) -> Fields {
        const DAYS: [&[u8]; 7] = [b"Sun", b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat"];
        const MONTHS: [&[u8]; 12] = [
            b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
            b"Dec",
        ];
        let b = date.as_bytes();
        assert_eq!(&b[3..5], b", ");
        assert_eq!(b[7], b' ');
        assert_eq!(b[11], b' ');
        assert_eq!(b[16], b' ');
        assert_eq!(b[19], b':');
        assert_eq!(b[22], b':');
        assert_eq!(&b[25..], b" GMT");
        Fields {
            weekday: DAYS.iter().position(|d| *d == &b[0..3]).unwrap_or(99),
            day: number(&b[5..7]),
            month: MONTHS.iter().position(|m| *m == &b[8..11]).unwrap_or(99) as u64 + 1,
            year: number(&b[12..16]),
            hour: number(&b[17..19]),
            minute: number(&b[20..22]),
            second: number(&b[23..25]),
        }
    }

    fn is_leap(year: u64) -> bool {
        (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
    }

    fn days_in_month(year: u64, month: u64) -> u64 {
        match month {
            2 if is_leap(year) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// The Unix time of some fields, by summing whole years and months: slow, obvious and
    /// independent of the cycle arithmetic under test.
    fn unix_secs_of(f: &Fields) -> u64 {
        let mut days = 0;
        for year in 1970..f.year {
            days += if is_leap(year) { 366 } else { 365 };
        }
        for month in 1..f.month {
            days += days_in_month(f.year, month);
        }
        days += f.day - 1;
        days * SECS_PER_DAY + f.hour * 3_600 + f.minute * 60 + f.second
    }

    #[test]
    fn every_day_from_1970_to_9999_follows_the_one_before() {
        let (mut year, mut month, mut day, mut weekday) = (1970, 1, 1, 4);
        let mut secs = 0;
        while secs <= MAX_UNIX_SECS {
            let f = fields(&Date::from_unix_secs(secs));
            assert_eq!(
                (f.year, f.month, f.day, f.weekday),
                (year, month, day, weekday)
            );
            weekday = (weekday + 1) % 7;
            day += 1;
            if day > days_in_month(year, month) {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
            secs += SECS_PER_DAY;
        }
        assert_eq!((year, month, day), (10_000, 1, 1));
    }

    proptest! {
        #[test]
        fn fields_read_back_to_the_same_second(secs in 0..=MAX_UNIX_SECS) {
            let f = fields(&Date::from_unix_secs(secs));
            prop_assert!(f.day >= 1 && f.day <= days_in_month(f.year, f.month));
            prop_assert!(f.hour < 24 && f.minute < 60 && f.second < 60);
            prop_assert_eq!(unix_secs_of(&f), secs);
        }

        #[test]
        fn next_day_is_one_weekday_and_one_civil_day_later(
            secs in 0..=(MAX_UNIX_SECS - SECS_PER_DAY),
        ) {
            let today = fields(&Date::from_unix_secs(secs));
            let tomorrow = fields(&Date::from_unix_secs(secs + SECS_PER_DAY));
            prop_assert_eq!(tomorrow.weekday, (today.weekday + 1) % 7);
            let expected = if today.day < days_in_month(today.year, today.month) {
                (today.year, today.month, today.day + 1)
            } else if today.month < 12 {
                (today.year, today.month + 1, 1)
            } else {
                (today.year + 1, 1, 1)
            };
            prop_assert_eq!((tomorrow.year, tomorrow.month, tomorrow.day), expected);
            prop_assert_eq!(
                (tomorrow.hour, tomorrow.minute, tomorrow.second),
                (today.hour, today.minute, today.second)
            );
        }
    }
}
