//! The server configuration schema: every knob a backend loads, its default, its allowed range,
//! and the typed error that names a knob set wrong.
//!
//! [`ServerConfig`] is a plain `Copy` struct with `pub` fields and a `const`
//! [`DEFAULT`](ServerConfig::DEFAULT). A backend fills it (from TOML, the environment, or code),
//! calls [`ServerConfig::validate`], and refuses to start on a [`ConfigError`], whose message
//! names the field by its dotted key and gives the allowed range:
//!
//! ```text
//! limits.max_head_bytes = 300000 is out of range (256..=262144)
//! ```
//!
//! [`Field`] lists every key ([`Field::ALL`], [`Field::name`], [`Field::from_name`]), and
//! [`ServerConfig::set_value`] / [`ServerConfig::value`] read and write the numeric ones by key,
//! so a loader maps `key = number` pairs without a table of its own.
//!
//! This module only describes and checks; it never reads files, the environment or the clock.
//!
//! # Keys, units and ranges
//!
//! | key | unit | range | default |
//! |---|---|---|---|
//! | `limits.max_head_bytes` | bytes | 256..=262144 | 8192 |
//! | `limits.max_headers` | count | 1..=256 | 64 |
//! | `limits.max_target_bytes` | bytes | 1..=`limits.max_head_bytes` | 8192 |
//! | `limits.max_body_bytes` | bytes | any; 0 refuses every body with 413 | 1048576 |
//! | `limits.max_trailer_bytes` | bytes | 0..=262144; 0 refuses trailers | 4096 |
//! | `limits.max_trailers` | count | 0..=256 | 16 |
//! | `timeouts.header_read` | ms | 1..=86400000 | 10000 |
//! | `timeouts.body_read` | ms | 1..=86400000 | 30000 |
//! | `timeouts.write` | ms | 1..=86400000 | 30000 |
//! | `timeouts.keep_alive_idle` | ms | 1..=86400000 | 15000 |
//! | `max_requests_per_connection` | count | 1..=4294967295 | 100 |
//! | `pools.buffers_1k` .. `pools.buffers_256k` | count | 0..=65535, see below | 256, 1024, 64, 16, 4 |
//! | `pools.start_bytes` | bytes | a class size: 1024, 4096, 16384, 65536 or 262144 | 4096 |
//! | `pools.arena_bytes` | bytes | 0..=16777216; 0 for handlers that allocate nothing | 16384 |
//! | `pools.arena_fallback_bytes` | bytes | 0..=1073741824; 0 = no fallback heap | 262144 |
//! | `max_connections` | count | 1..=1048576 | 1024 |
//! | `high_water_percent` | % | 1..=100 | 80 |
//! | `low_water_percent` | % | 0..=99, below `high_water_percent` | 60 |
//! | `overload_response` | `503` or `close` | | `503` |
//! | `overload_response.retry_after_secs` | s | 0..=86400 | 1 |
//! | `server_header` | text | 1..=128 visible ASCII characters, inner spaces | none |
//! | `workers` | count | 0..=1024; 0 = one per CPU | 0 |
//!
//! `pools.start_bytes` is the buffer class a connection's read buffer and output queue start
//! in; they grow one class at a time when a head, body or response needs more. 1 KiB suits a
//! small device with small requests (and cuts memory per connection anywhere); a head larger
//! than that then grows the read buffer.
//!
//! The buffer classes must hold buffers where connections need them: in the start class, and in
//! every class above it up to the smallest that holds a head of `limits.max_head_bytes` (a head
//! grows through each).

use core::fmt;

use crate::http::Limits;
use crate::mem::buffer_pool::SizeClass;
use crate::mem::{MAX_BUFFER_BYTES, SIZE_CLASSES};
use crate::time::Duration;

/// Everything a backend needs to run a server, validated by [`ServerConfig::validate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ServerConfig {
    /// Size limits on what a peer sends.
    pub limits: Limits,
    /// How long a peer may take.
    pub timeouts: Timeouts,
    /// Requests served on one connection before it is closed (with `Connection: close` on the
    /// last response). 1 turns keep-alive off.
    pub max_requests_per_connection: u32,
    /// How much memory the pools carve up.
    pub pools: Pools,
    /// The most connections open at once, per server (all workers together).
    pub max_connections: u32,
    /// When open connections reach this percentage of `max_connections` (rounded up, see
    /// [`ServerConfig::high_water_mark`]), new connections get `overload_response`.
    pub high_water_percent: u8,
    /// Accepting normally resumes once open connections fall to this percentage (rounded down,
    /// see [`ServerConfig::low_water_mark`]). Must be below `high_water_percent`.
    pub low_water_percent: u8,
    /// What a connection accepted above the high-water mark gets.
    pub overload_response: OverloadPolicy,
    /// The `Server` header value sent with every response, or `None` for no `Server` header.
    pub server_header: Option<&'static str>,
    /// Worker threads (or tasks); 0 lets the backend run one per available CPU.
    pub workers: u16,
}

/// The timeouts of one connection. Each is a deadline the connection arms in the timer wheel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Timeouts {
    /// From a request's first byte until its head is complete; exceeded is 408 and close.
    pub header_read: Duration,
    /// The longest wait for the next body bytes (a progress timeout, reset by every read);
    /// exceeded is 408 and close.
    pub body_read: Duration,
    /// The longest wait for the peer to accept more response bytes (reset by every write);
    /// exceeded closes the connection.
    pub write: Duration,
    /// How long a kept-alive connection may sit idle between requests before it is closed.
    pub keep_alive_idle: Duration,
}

/// Pool sizes, per worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Pools {
    /// Buffers in each size class of [`SIZE_CLASSES`] (1, 4, 16, 64, 256 KiB).
    pub buffers: [u16; SIZE_CLASSES.len()],
    /// The class a connection's read buffer and output queue start in (key
    /// `pools.start_bytes`, its size in bytes); they grow from it when a request or response
    /// needs more.
    pub start_class: SizeClass,
    /// Bytes of each request's scratch arena.
    pub arena_bytes: usize,
    /// Bytes of the fallback heap a request arena spills into when it runs out; 0 for none.
    pub arena_fallback_bytes: usize,
}

/// What a connection accepted above the high-water mark gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum OverloadPolicy {
    /// A `503 Service Unavailable` with `Retry-After: retry_after_secs`, then close.
    ServiceUnavailable {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u32,
    },
    /// Close at once without a response.
    Close,
}

/// A configuration key: one field of [`ServerConfig`], named by its dotted path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Field {
    /// `limits.max_head_bytes`
    MaxHeadBytes,
    /// `limits.max_headers`
    MaxHeaders,
    /// `limits.max_target_bytes`
    MaxTargetBytes,
    /// `limits.max_body_bytes`
    MaxBodyBytes,
    /// `limits.max_trailer_bytes`
    MaxTrailerBytes,
    /// `limits.max_trailers`
    MaxTrailers,
    /// `timeouts.header_read`
    HeaderReadTimeout,
    /// `timeouts.body_read`
    BodyReadTimeout,
    /// `timeouts.write`
    WriteTimeout,
    /// `timeouts.keep_alive_idle`
    KeepAliveIdleTimeout,
    /// `max_requests_per_connection`
    MaxRequestsPerConnection,
    /// `pools.buffers_1k`
    Buffers1K,
    /// `pools.buffers_4k`
    Buffers4K,
    /// `pools.buffers_16k`
    Buffers16K,
    /// `pools.buffers_64k`
    Buffers64K,
    /// `pools.buffers_256k`
    Buffers256K,
    /// `pools.start_bytes`: the size of [`Pools::start_class`].
    StartBytes,
    /// `pools.arena_bytes`
    ArenaBytes,
    /// `pools.arena_fallback_bytes`
    ArenaFallbackBytes,
    /// `max_connections`
    MaxConnections,
    /// `high_water_percent`
    HighWaterPercent,
    /// `low_water_percent`
    LowWaterPercent,
    /// `overload_response`: which [`OverloadPolicy`] (not a number).
    OverloadResponse,
    /// `overload_response.retry_after_secs`
    RetryAfterSecs,
    /// `server_header` (text, not a number).
    ServerHeader,
    /// `workers`
    Workers,
}

/// The unit of a [`Field`]'s numeric value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Unit {
    /// Bytes.
    Bytes,
    /// A plain count.
    Count,
    /// Milliseconds (timeouts).
    Millis,
    /// Seconds.
    Seconds,
    /// A percentage, 0 to 100.
    Percent,
    /// Not a number: a choice or a text.
    Other,
}

/// Why a [`ServerConfig`] is invalid, naming the field at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConfigError {
    /// `field` holds `value`, outside `min..=max` (in the field's [`Unit`]).
    OutOfRange {
        /// The field at fault.
        field: Field,
        /// The smallest allowed value.
        min: u64,
        /// The largest allowed value.
        max: u64,
        /// The value found.
        value: u64,
    },
    /// `field` holds `value`, more than `limit` holds (`limit_value`), which it must not exceed.
    Exceeds {
        /// The field at fault.
        field: Field,
        /// Its value.
        value: u64,
        /// The field that bounds it.
        limit: Field,
        /// That field's value.
        limit_value: u64,
    },
    /// `field` holds `value`, which must be below `bound` (`bound_value`) and is not.
    NotBelow {
        /// The field at fault.
        field: Field,
        /// Its value.
        value: u64,
        /// The field it must stay below.
        bound: Field,
        /// That field's value.
        bound_value: u64,
    },
    /// `field` holds `value`, which is not one of the sizes of [`SIZE_CLASSES`].
    NotSizeClass {
        /// The field at fault.
        field: Field,
        /// The value given.
        value: u64,
    },
    /// The buffer class `field` has no buffers, but every connection starts in it.
    NoStartBuffers {
        /// The `pools.buffers_*` field of the start class.
        field: Field,
    },
    /// The buffer class `field` has no buffers, but a head of `limits.max_head_bytes` grows
    /// into it from the start class (it is the smallest that holds such a head, or below it).
    NoHeadBuffers {
        /// The `pools.buffers_*` field of the needed class.
        field: Field,
        /// The value of `limits.max_head_bytes`.
        max_head_bytes: u64,
    },
    /// `server_header` is empty, longer than 128 bytes, has a byte other than visible ASCII
    /// and inner spaces, or starts or ends with a space.
    InvalidServerHeader,
    /// [`ServerConfig::set_value`] was given a number for a field that is not numeric.
    NotNumeric {
        /// The field.
        field: Field,
    },
}

impl ServerConfig {
    /// The defaults: [`Limits::DEFAULT`]; header read 10 s, body read 30 s, write 30 s,
    /// keep-alive idle 15 s; 100 requests per connection; buffers 256 × 1 KiB, 1024 × 4 KiB,
    /// 64 × 16 KiB, 16 × 64 KiB, 4 × 256 KiB (about 7.3 MiB) per worker, connections starting
    /// in 4 KiB ([`START_CLASS`](crate::mem::START_CLASS)); 16 KiB arenas with a
    /// 256 KiB fallback heap; 1024 connections, high water 80 %, low water 60 %; 503 with
    /// `Retry-After: 1` under overload; no `Server` header; one worker per CPU.
    ///
    /// The keep-alive idle timeout is shorter than the others because idle connections hold a
    /// slot and nothing else; 15 s outlasts a browser's think time between clicks.
    pub const DEFAULT: Self = Self {
        limits: Limits::DEFAULT,
        timeouts: Timeouts {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(30),
            write: Duration::from_secs(30),
            keep_alive_idle: Duration::from_secs(15),
        },
        max_requests_per_connection: 100,
        pools: Pools {
            buffers: [256, 1024, 64, 16, 4],
            start_class: crate::mem::START_CLASS,
            arena_bytes: 16 * 1024,
            arena_fallback_bytes: 256 * 1024,
        },
        max_connections: 1024,
        high_water_percent: 80,
        low_water_percent: 60,
        overload_response: OverloadPolicy::ServiceUnavailable {
            retry_after_secs: 1,
        },
        server_header: None,
        workers: 0,
    };

    /// Checks every field and every combination; the first problem found, in [`Field::ALL`]
    /// order, is the error.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`] that [`for_each_error`](Self::for_each_error) reports.
    pub const fn validate(&self) -> Result<(), ConfigError> {
        let mut check = 0;
        while check < CHECKS {
            if let Some(e) = self.check(check) {
                return Err(e);
            }
            check += 1;
        }
        Ok(())
    }

    /// Calls `report` with every problem in the configuration, in [`Field::ALL`] order, for a
    /// loader that lists them all at once.
    pub fn for_each_error(&self, mut report: impl FnMut(ConfigError)) {
        for check in 0..CHECKS {
            if let Some(e) = self.check(check) {
                report(e);
            }
        }
    }

    /// Check number `check` (of [`CHECKS`]): each field's own range in [`Field::ALL`] order,
    /// then the target against the head, the buffer classes a connection needs, the water
    /// marks and the `Server` text. A `const fn`, so a configuration built in a `const` or
    /// `static` can be checked while the program is built.
    const fn check(&self, check: usize) -> Option<ConfigError> {
        const FIELDS: usize = Field::ALL.len();
        const CLASSES: usize = FIELDS + 1;
        const WATER: usize = CLASSES + SIZE_CLASSES.len();
        let head = as_u64(self.limits.max_head_bytes);
        if check < FIELDS {
            let field = Field::ALL[check];
            if let (Some((min, max)), Some(value)) = (field.range(), self.value(field))
                && (value < min || value > max)
            {
                return Some(ConfigError::OutOfRange {
                    field,
                    min,
                    max,
                    value,
                });
            }
        } else if check == FIELDS {
            let target = as_u64(self.limits.max_target_bytes);
            if target > head {
                return Some(ConfigError::Exceeds {
                    field: Field::MaxTargetBytes,
                    value: target,
                    limit: Field::MaxHeadBytes,
                    limit_value: head,
                });
            }
        } else if check < WATER {
            // Connections start in the start class; a head grows its buffer one class at a
            // time (never into a larger class when one is empty) up to the smallest that
            // holds `max_head_bytes`: those classes need buffers.
            let class = check - CLASSES;
            let start = self.pools.start_class.index();
            let needed = class == start
                || (class > start && SIZE_CLASSES[class - 1] < self.limits.max_head_bytes);
            if needed && self.pools.buffers[class] == 0 {
                let field = Field::BUFFERS[class];
                return Some(if class == start {
                    ConfigError::NoStartBuffers { field }
                } else {
                    ConfigError::NoHeadBuffers {
                        field,
                        max_head_bytes: head,
                    }
                });
            }
        } else if check == WATER {
            if self.low_water_percent >= self.high_water_percent {
                return Some(ConfigError::NotBelow {
                    field: Field::LowWaterPercent,
                    value: self.low_water_percent as u64,
                    bound: Field::HighWaterPercent,
                    bound_value: self.high_water_percent as u64,
                });
            }
        } else if let Some(text) = self.server_header
            && !is_server_header(text)
        {
            return Some(ConfigError::InvalidServerHeader);
        }
        None
    }

    /// The open-connection count at which new connections get the overload response:
    /// `max_connections × high_water_percent / 100`, rounded up.
    pub const fn high_water_mark(&self) -> u32 {
        let mark = (self.max_connections as u64 * self.high_water_percent as u64).div_ceil(100);
        if mark > u32::MAX as u64 {
            u32::MAX
        } else {
            mark as u32
        }
    }

    /// The open-connection count at or below which accepting resumes after overload:
    /// `max_connections × low_water_percent / 100`, rounded down.
    pub const fn low_water_mark(&self) -> u32 {
        let mark = self.max_connections as u64 * self.low_water_percent as u64 / 100;
        if mark > u32::MAX as u64 {
            u32::MAX
        } else {
            mark as u32
        }
    }

    /// The numeric value of `field`, in its [`Unit`] (timeouts in whole milliseconds, rounded
    /// down). `None` for [`Field::OverloadResponse`], [`Field::ServerHeader`], and
    /// [`Field::RetryAfterSecs`] when the policy is [`OverloadPolicy::Close`].
    pub const fn value(&self, field: Field) -> Option<u64> {
        let l = &self.limits;
        let p = &self.pools;
        Some(match field {
            Field::MaxHeadBytes => as_u64(l.max_head_bytes),
            Field::MaxHeaders => as_u64(l.max_headers),
            Field::MaxTargetBytes => as_u64(l.max_target_bytes),
            Field::MaxBodyBytes => l.max_body_bytes,
            Field::MaxTrailerBytes => as_u64(l.max_trailer_bytes),
            Field::MaxTrailers => as_u64(l.max_trailers),
            Field::HeaderReadTimeout => self.timeouts.header_read.as_millis(),
            Field::BodyReadTimeout => self.timeouts.body_read.as_millis(),
            Field::WriteTimeout => self.timeouts.write.as_millis(),
            Field::KeepAliveIdleTimeout => self.timeouts.keep_alive_idle.as_millis(),
            Field::MaxRequestsPerConnection => self.max_requests_per_connection as u64,
            Field::Buffers1K => p.buffers[0] as u64,
            Field::Buffers4K => p.buffers[1] as u64,
            Field::Buffers16K => p.buffers[2] as u64,
            Field::Buffers64K => p.buffers[3] as u64,
            Field::Buffers256K => p.buffers[4] as u64,
            Field::StartBytes => as_u64(p.start_class.bytes()),
            Field::ArenaBytes => as_u64(p.arena_bytes),
            Field::ArenaFallbackBytes => as_u64(p.arena_fallback_bytes),
            Field::MaxConnections => self.max_connections as u64,
            Field::HighWaterPercent => self.high_water_percent as u64,
            Field::LowWaterPercent => self.low_water_percent as u64,
            Field::RetryAfterSecs => match self.overload_response {
                OverloadPolicy::ServiceUnavailable { retry_after_secs } => retry_after_secs as u64,
                OverloadPolicy::Close => return None,
            },
            Field::Workers => self.workers as u64,
            Field::OverloadResponse | Field::ServerHeader => return None,
        })
    }

    /// Sets the numeric `field` to `value`, in its [`Unit`] (timeouts in milliseconds).
    /// Setting [`Field::RetryAfterSecs`] also selects [`OverloadPolicy::ServiceUnavailable`].
    /// Only the field's own range is checked here; [`validate`](Self::validate) still checks
    /// combinations.
    ///
    /// # Errors
    ///
    /// [`ConfigError::OutOfRange`] if `value` is outside [`Field::range`] and
    /// [`ConfigError::NotSizeClass`] if [`Field::StartBytes`] is not a class size (nothing
    /// changes); [`ConfigError::NotNumeric`] for [`Field::OverloadResponse`] and [`Field::ServerHeader`].
    pub fn set_value(&mut self, field: Field, value: u64) -> Result<(), ConfigError> {
        let Some((min, max)) = field.range() else {
            return Err(ConfigError::NotNumeric { field });
        };
        if value < min || value > max {
            return Err(ConfigError::OutOfRange {
                field,
                min,
                max,
                value,
            });
        }
        // Every range fits the field's type, even a 32-bit `usize`: the conversions saturate
        // only in theory.
        let size = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        let count16 = |v: u64| u16::try_from(v).unwrap_or(u16::MAX);
        let count32 = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        let percent = |v: u64| u8::try_from(v).unwrap_or(u8::MAX);
        let l = &mut self.limits;
        let p = &mut self.pools;
        match field {
            Field::MaxHeadBytes => l.max_head_bytes = size(value),
            Field::MaxHeaders => l.max_headers = size(value),
            Field::MaxTargetBytes => l.max_target_bytes = size(value),
            Field::MaxBodyBytes => l.max_body_bytes = value,
            Field::MaxTrailerBytes => l.max_trailer_bytes = size(value),
            Field::MaxTrailers => l.max_trailers = size(value),
            Field::HeaderReadTimeout => self.timeouts.header_read = Duration::from_millis(value),
            Field::BodyReadTimeout => self.timeouts.body_read = Duration::from_millis(value),
            Field::WriteTimeout => self.timeouts.write = Duration::from_millis(value),
            Field::KeepAliveIdleTimeout => {
                self.timeouts.keep_alive_idle = Duration::from_millis(value);
            }
            Field::MaxRequestsPerConnection => self.max_requests_per_connection = count32(value),
            Field::Buffers1K => p.buffers[0] = count16(value),
            Field::Buffers4K => p.buffers[1] = count16(value),
            Field::Buffers16K => p.buffers[2] = count16(value),
            Field::Buffers64K => p.buffers[3] = count16(value),
            Field::Buffers256K => p.buffers[4] = count16(value),
            Field::StartBytes => {
                let class = SizeClass::ALL
                    .into_iter()
                    .find(|c| as_u64(c.bytes()) == value);
                p.start_class = class.ok_or(ConfigError::NotSizeClass { field, value })?;
            }
            Field::ArenaBytes => p.arena_bytes = size(value),
            Field::ArenaFallbackBytes => p.arena_fallback_bytes = size(value),
            Field::MaxConnections => self.max_connections = count32(value),
            Field::HighWaterPercent => self.high_water_percent = percent(value),
            Field::LowWaterPercent => self.low_water_percent = percent(value),
            Field::RetryAfterSecs => {
                self.overload_response = OverloadPolicy::ServiceUnavailable {
                    retry_after_secs: count32(value),
                };
            }
            Field::Workers => self.workers = count16(value),
            Field::OverloadResponse | Field::ServerHeader => {
                return Err(ConfigError::NotNumeric { field });
            }
        }
        Ok(())
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl Field {
    /// Every field, in the order [`ServerConfig::validate`] checks them.
    pub const ALL: [Field; 26] = [
        Self::MaxHeadBytes,
        Self::MaxHeaders,
        Self::MaxTargetBytes,
        Self::MaxBodyBytes,
        Self::MaxTrailerBytes,
        Self::MaxTrailers,
        Self::HeaderReadTimeout,
        Self::BodyReadTimeout,
        Self::WriteTimeout,
        Self::KeepAliveIdleTimeout,
        Self::MaxRequestsPerConnection,
        Self::Buffers1K,
        Self::Buffers4K,
        Self::Buffers16K,
        Self::Buffers64K,
        Self::Buffers256K,
        Self::StartBytes,
        Self::ArenaBytes,
        Self::ArenaFallbackBytes,
        Self::MaxConnections,
        Self::HighWaterPercent,
        Self::LowWaterPercent,
        Self::OverloadResponse,
        Self::RetryAfterSecs,
        Self::ServerHeader,
        Self::Workers,
    ];

    /// The `pools.buffers_*` field of each size class, indexed like [`SIZE_CLASSES`].
    pub const BUFFERS: [Field; SIZE_CLASSES.len()] = [
        Self::Buffers1K,
        Self::Buffers4K,
        Self::Buffers16K,
        Self::Buffers64K,
        Self::Buffers256K,
    ];

    /// The dotted key, e.g. `"limits.max_head_bytes"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::MaxHeadBytes => "limits.max_head_bytes",
            Self::MaxHeaders => "limits.max_headers",
            Self::MaxTargetBytes => "limits.max_target_bytes",
            Self::MaxBodyBytes => "limits.max_body_bytes",
            Self::MaxTrailerBytes => "limits.max_trailer_bytes",
            Self::MaxTrailers => "limits.max_trailers",
            Self::HeaderReadTimeout => "timeouts.header_read",
            Self::BodyReadTimeout => "timeouts.body_read",
            Self::WriteTimeout => "timeouts.write",
            Self::KeepAliveIdleTimeout => "timeouts.keep_alive_idle",
            Self::MaxRequestsPerConnection => "max_requests_per_connection",
            Self::Buffers1K => "pools.buffers_1k",
            Self::Buffers4K => "pools.buffers_4k",
            Self::Buffers16K => "pools.buffers_16k",
            Self::Buffers64K => "pools.buffers_64k",
            Self::Buffers256K => "pools.buffers_256k",
            Self::StartBytes => "pools.start_bytes",
            Self::ArenaBytes => "pools.arena_bytes",
            Self::ArenaFallbackBytes => "pools.arena_fallback_bytes",
            Self::MaxConnections => "max_connections",
            Self::HighWaterPercent => "high_water_percent",
            Self::LowWaterPercent => "low_water_percent",
            Self::OverloadResponse => "overload_response",
            Self::RetryAfterSecs => "overload_response.retry_after_secs",
            Self::ServerHeader => "server_header",
            Self::Workers => "workers",
        }
    }

    /// The field whose [`name`](Self::name) is exactly `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.name() == name)
    }

    /// The unit of the field's numeric value.
    pub const fn unit(self) -> Unit {
        match self {
            Self::MaxHeadBytes
            | Self::MaxTargetBytes
            | Self::MaxBodyBytes
            | Self::MaxTrailerBytes
            | Self::StartBytes
            | Self::ArenaBytes
            | Self::ArenaFallbackBytes => Unit::Bytes,
            Self::MaxHeaders
            | Self::MaxTrailers
            | Self::MaxRequestsPerConnection
            | Self::Buffers1K
            | Self::Buffers4K
            | Self::Buffers16K
            | Self::Buffers64K
            | Self::Buffers256K
            | Self::MaxConnections
            | Self::Workers => Unit::Count,
            Self::HeaderReadTimeout
            | Self::BodyReadTimeout
            | Self::WriteTimeout
            | Self::KeepAliveIdleTimeout => Unit::Millis,
            Self::RetryAfterSecs => Unit::Seconds,
            Self::HighWaterPercent | Self::LowWaterPercent => Unit::Percent,
            Self::OverloadResponse | Self::ServerHeader => Unit::Other,
        }
    }

    /// The field's own allowed range, `(min, max)` inclusive in its [`Unit`]; `None` for the
    /// fields that are not numbers. Some fields are bounded further by others
    /// (`limits.max_target_bytes` by `limits.max_head_bytes`, `low_water_percent` by
    /// `high_water_percent`); [`ServerConfig::validate`] checks those. [`Field::StartBytes`]
    /// takes only the sizes of [`SIZE_CLASSES`] within its range.
    pub const fn range(self) -> Option<(u64, u64)> {
        const MAX_BUFFER: u64 = MAX_BUFFER_BYTES as u64;
        const DAY_MS: u64 = 24 * 60 * 60 * 1_000;
        Some(match self {
            Self::MaxHeadBytes => (256, MAX_BUFFER),
            Self::MaxHeaders => (1, 256),
            Self::MaxTargetBytes => (1, MAX_BUFFER),
            Self::MaxBodyBytes => (0, u64::MAX),
            Self::MaxTrailerBytes => (0, MAX_BUFFER),
            Self::MaxTrailers => (0, 256),
            Self::HeaderReadTimeout
            | Self::BodyReadTimeout
            | Self::WriteTimeout
            | Self::KeepAliveIdleTimeout => (1, DAY_MS),
            Self::MaxRequestsPerConnection => (1, u32::MAX as u64),
            Self::Buffers1K
            | Self::Buffers4K
            | Self::Buffers16K
            | Self::Buffers64K
            | Self::Buffers256K => (0, u16::MAX as u64),
            // Only the class sizes within: `set_value` refuses the others.
            Self::StartBytes => (SIZE_CLASSES[0] as u64, MAX_BUFFER),
            // 0: an arena that refuses every allocation (unless there is a fallback heap), for
            // handlers that allocate nothing, such as a small firmware's.
            Self::ArenaBytes => (0, 16 * 1024 * 1024),
            Self::ArenaFallbackBytes => (0, 1024 * 1024 * 1024),
            Self::MaxConnections => (1, 1024 * 1024),
            Self::HighWaterPercent => (1, 100),
            Self::LowWaterPercent => (0, 99),
            Self::RetryAfterSecs => (0, 86_400),
            Self::Workers => (0, 1024),
            Self::OverloadResponse | Self::ServerHeader => return None,
        })
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl ConfigError {
    /// The field at fault.
    pub const fn field(self) -> Field {
        match self {
            Self::OutOfRange { field, .. }
            | Self::Exceeds { field, .. }
            | Self::NotBelow { field, .. }
            | Self::NotSizeClass { field, .. }
            | Self::NoStartBuffers { field }
            | Self::NoHeadBuffers { field, .. }
            | Self::NotNumeric { field } => field,
            Self::InvalidServerHeader => Field::ServerHeader,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |field: Field| {
            if field.unit() == Unit::Millis {
                " ms"
            } else {
                ""
            }
        };
        match *self {
            Self::OutOfRange {
                field,
                min,
                max,
                value,
            } => {
                let unit = ms(field);
                write!(
                    f,
                    "{field} = {value}{unit} is out of range ({min}..={max}{unit})"
                )
            }
            Self::Exceeds {
                field,
                value,
                limit,
                limit_value,
            } => write!(
                f,
                "{field} = {value} must not exceed {limit} = {limit_value}"
            ),
            Self::NotBelow {
                field,
                value,
                bound,
                bound_value,
            } => write!(f, "{field} = {value} must be below {bound} = {bound_value}"),
            Self::NotSizeClass { field, value } => write!(
                f,
                "{field} = {value} is not a buffer class size (1024, 4096, 16384, 65536 or \
                 262144)"
            ),
            Self::NoStartBuffers { field } => write!(
                f,
                "{field} = 0, but every connection starts in that buffer class"
            ),
            Self::NoHeadBuffers {
                field,
                max_head_bytes,
            } => write!(
                f,
                "{field} = 0, but a head of limits.max_head_bytes = {max_head_bytes} needs that \
                 buffer class"
            ),
            Self::InvalidServerHeader => f.write_str(
                "server_header must be 1..=128 visible ASCII characters, spaces only inside",
            ),
            Self::NotNumeric { field } => write!(f, "{field} is not a number"),
        }
    }
}

impl core::error::Error for ConfigError {}

/// How many checks [`ServerConfig::validate`] makes: one per field's range, the target
/// against the head, one per buffer class, the water marks, the `Server` text.
const CHECKS: usize = Field::ALL.len() + 1 + SIZE_CLASSES.len() + 2;

/// Whether `text` may be sent as the `Server` header value.
const fn is_server_header(text: &str) -> bool {
    let bytes = text.as_bytes();
    let [first, .., last] = bytes else {
        // One visible character is a valid header; a space or nothing is not.
        return matches!(bytes, [b'!'..=b'~']);
    };
    if bytes.len() > 128 || *first == b' ' || *last == b' ' {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if !matches!(bytes[i], b' ' | b'!'..=b'~') {
            return false;
        }
        i += 1;
    }
    true
}

/// `usize` to `u64`; every supported target's `usize` fits (Rust has none wider than 64 bits).
const fn as_u64(n: usize) -> u64 {
    n as u64
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::string::ToString;

    const D: ServerConfig = ServerConfig::DEFAULT;

    fn with(f: impl FnOnce(&mut ServerConfig)) -> ServerConfig {
        let mut c = D;
        f(&mut c);
        c
    }

    /// The check runs while the program is built.
    const _: () = assert!(ServerConfig::DEFAULT.validate().is_ok());

    #[test]
    fn server_header_text() {
        let valid = |text| with(|c| c.server_header = Some(text)).validate().is_ok();
        assert!(valid("a"));
        assert!(valid("aurora/0.1 (device)"));
        assert!(valid("x".repeat(128).leak()));
        assert!(!valid(""));
        assert!(!valid(" "));
        assert!(!valid(" a"));
        assert!(!valid("a "));
        assert!(!valid("a\tb"));
        assert!(!valid("x".repeat(129).leak()));
    }

    #[test]
    fn default_validates() {
        assert_eq!(D.validate(), Ok(()));
        assert_eq!(ServerConfig::default(), D);
        assert_eq!(D.high_water_mark(), 820);
        assert_eq!(D.low_water_mark(), 614);
        assert_eq!(D.pools.start_class, crate::mem::START_CLASS);
        assert_eq!(D.value(Field::StartBytes), Some(4_096));
    }

    /// One row: a change to the default config, then the error `validate` must return.
    macro_rules! invalid {
        ($($c:ident => $change:expr => $want:expr;)+) => {{
            let mut n = 0;
            $(
                let mut $c = D;
                $change;
                let want: ConfigError = $want;
                assert_eq!($c.validate(), Err(want), "row {n}: {}", stringify!($change));
                // The message names the field at fault first.
                let message = want.to_string();
                assert!(message.starts_with(want.field().name()), "{message}");
                n += 1;
            )+
            let _ = n;
        }};
    }

    #[test]
    fn invalid_configs() {
        use ConfigError::*;
        use Field::*;
        let out = |field, min, max, value| OutOfRange {
            field,
            min,
            max,
            value,
        };
        let day = 86_400_000;
        invalid! {
            c => c.limits.max_head_bytes = 300_000 => out(MaxHeadBytes, 256, 262_144, 300_000);
            c => c.limits.max_head_bytes = 255 => out(MaxHeadBytes, 256, 262_144, 255);
            c => c.limits.max_headers = 0 => out(MaxHeaders, 1, 256, 0);
            c => c.limits.max_headers = 257 => out(MaxHeaders, 1, 256, 257);
            c => c.limits.max_target_bytes = 0 => out(MaxTargetBytes, 1, 262_144, 0);
            c => c.limits.max_target_bytes = 8_193
                => Exceeds { field: MaxTargetBytes, value: 8_193, limit: MaxHeadBytes, limit_value: 8_192 };
            c => c.limits.max_trailer_bytes = 262_145 => out(MaxTrailerBytes, 0, 262_144, 262_145);
            c => c.limits.max_trailers = 300 => out(MaxTrailers, 0, 256, 300);
            c => c.timeouts.header_read = Duration::ZERO => out(HeaderReadTimeout, 1, day, 0);
            c => c.timeouts.body_read = Duration::from_micros(999) => out(BodyReadTimeout, 1, day, 0);
            c => c.timeouts.write = Duration::from_secs(86_401) => out(WriteTimeout, 1, day, day + 1_000);
            c => c.timeouts.keep_alive_idle = Duration::ZERO => out(KeepAliveIdleTimeout, 1, day, 0);
            c => c.max_requests_per_connection = 0 => out(MaxRequestsPerConnection, 1, u32::MAX.into(), 0);
            c => c.pools.arena_bytes = (16 << 20) + 1 => out(ArenaBytes, 0, 16 << 20, (16 << 20) + 1);
            c => c.pools.arena_fallback_bytes = (1 << 30) + 1 => out(ArenaFallbackBytes, 0, 1 << 30, (1 << 30) + 1);
            c => c.max_connections = 0 => out(MaxConnections, 1, 1 << 20, 0);
            c => c.max_connections = (1 << 20) + 1 => out(MaxConnections, 1, 1 << 20, (1 << 20) + 1);
            c => c.high_water_percent = 101 => out(HighWaterPercent, 1, 100, 101);
            c => c.high_water_percent = 0 => out(HighWaterPercent, 1, 100, 0);
            c => c.low_water_percent = 80
                => NotBelow { field: LowWaterPercent, value: 80, bound: HighWaterPercent, bound_value: 80 };
            c => c.overload_response = OverloadPolicy::ServiceUnavailable { retry_after_secs: 86_401 }
                => out(RetryAfterSecs, 0, 86_400, 86_401);
            c => c.workers = 1_025 => out(Workers, 0, 1_024, 1_025);
            c => c.pools.buffers[1] = 0 => NoStartBuffers { field: Buffers4K };
            c => c.pools.buffers[2] = 0 => NoHeadBuffers { field: Buffers16K, max_head_bytes: 8_192 };
            // The default start grows a head of 100000 bytes through 16 and 64 KiB into 256 KiB.
            c => { c.limits.max_head_bytes = 100_000; c.pools.buffers[3] = 0 }
                => NoHeadBuffers { field: Buffers64K, max_head_bytes: 100_000 };
            c => { c.pools.start_class = SizeClass::Kib1; c.pools.buffers[0] = 0 }
                => NoStartBuffers { field: Buffers1K };
            c => { c.pools.start_class = SizeClass::Kib16; c.pools.buffers[2] = 0 }
                => NoStartBuffers { field: Buffers16K };
            // From 1 KiB a head of 8 KiB grows through 4 KiB into 16 KiB: both need buffers.
            c => { c.pools.start_class = SizeClass::Kib1; c.pools.buffers[1] = 0 }
                => NoHeadBuffers { field: Buffers4K, max_head_bytes: 8_192 };
            c => { c.pools.start_class = SizeClass::Kib1; c.pools.buffers[2] = 0 }
                => NoHeadBuffers { field: Buffers16K, max_head_bytes: 8_192 };
            c => { c.limits.max_head_bytes = 100_000; c.pools.buffers[4] = 0 }
                => NoHeadBuffers { field: Buffers256K, max_head_bytes: 100_000 };
            c => c.server_header = Some("") => InvalidServerHeader;
            c => c.server_header = Some("aurora\r\nx: y") => InvalidServerHeader;
            c => c.server_header = Some(" aurora") => InvalidServerHeader;
            c => c.server_header = Some("aurora/1 \u{e9}") => InvalidServerHeader;
            c => c.server_header = Some(&"x".repeat(129).leak()[..]) => InvalidServerHeader;
        }
    }

    #[test]
    fn valid_edge_configs() {
        let rows = [
            // A head that fits the start class needs no other class.
            with(|c| {
                c.limits.max_head_bytes = 4_096;
                c.limits.max_target_bytes = 4_096;
                c.pools.buffers = [0, 8, 0, 0, 0];
            }),
            // The same from a 1 KiB start, and from 1 KiB with an 8 KiB head limit.
            with(|c| {
                c.limits.max_head_bytes = 1_024;
                c.limits.max_target_bytes = 1_024;
                c.pools.buffers = [8, 0, 0, 0, 0];
                c.pools.start_class = SizeClass::Kib1;
            }),
            with(|c| {
                c.pools.buffers = [8, 2, 1, 0, 0];
                c.pools.start_class = SizeClass::Kib1;
            }),
            // A start class above the head's needs no smaller class.
            with(|c| {
                c.pools.buffers = [0, 0, 0, 2, 0];
                c.pools.start_class = SizeClass::Kib64;
            }),
            with(|c| {
                c.pools.buffers = [0, 0, 0, 0, 1];
                c.pools.start_class = SizeClass::Kib256;
            }),
            with(|c| c.limits.max_body_bytes = 0),
            with(|c| c.overload_response = OverloadPolicy::Close),
            with(|c| c.server_header = Some("aurora/0.1 (linux)")),
            with(|c| {
                c.high_water_percent = 1;
                c.low_water_percent = 0;
            }),
        ];
        for (n, config) in rows.iter().enumerate() {
            assert_eq!(config.validate(), Ok(()), "row {n}");
        }
    }

    #[test]
    fn every_range_boundary() {
        for field in Field::ALL {
            let Some((min, max)) = field.range() else {
                assert_eq!(D.value(field), None, "{field}");
                let mut c = D;
                assert_eq!(
                    c.set_value(field, 1),
                    Err(ConfigError::NotNumeric { field })
                );
                assert_eq!(c, D);
                continue;
            };
            // A config where cross-field bounds stay out of the way.
            let base = with(|c| {
                c.limits.max_head_bytes = MAX_BUFFER_BYTES;
                c.limits.max_target_bytes = 1;
                c.low_water_percent = 0;
                c.high_water_percent = 100;
                c.pools.buffers = [1; 5];
            });
            for value in [min, max] {
                let mut c = base;
                c.set_value(field, value).unwrap();
                assert_eq!(c.value(field), Some(value), "{field}");
                let want = match (field, value) {
                    // Emptying the start class or a class the head grows through is caught,
                    // but not as a range.
                    (Field::Buffers4K, 0) => Err(ConfigError::NoStartBuffers { field }),
                    (Field::Buffers16K | Field::Buffers64K | Field::Buffers256K, 0) => {
                        Err(ConfigError::NoHeadBuffers {
                            field,
                            max_head_bytes: MAX_BUFFER_BYTES as u64,
                        })
                    }
                    _ => Ok(()),
                };
                assert_eq!(c.validate(), want, "{field} = {value}");
            }
            let outside = [min.checked_sub(1), max.checked_add(1)];
            for value in outside.into_iter().flatten() {
                let mut c = base;
                let err = ConfigError::OutOfRange {
                    field,
                    min,
                    max,
                    value,
                };
                assert_eq!(c.set_value(field, value), Err(err), "{field}");
                assert_eq!(c, base);
            }
        }
    }

    #[test]
    fn start_bytes_takes_class_sizes_only() {
        use ConfigError::{NotSizeClass, OutOfRange};
        let field = Field::StartBytes;
        let out = |value| OutOfRange {
            field,
            min: 1_024,
            max: 262_144,
            value,
        };
        let rows: [(u64, Result<SizeClass, ConfigError>); 11] = [
            (1_024, Ok(SizeClass::Kib1)),
            (4_096, Ok(SizeClass::Kib4)),
            (16_384, Ok(SizeClass::Kib16)),
            (65_536, Ok(SizeClass::Kib64)),
            (262_144, Ok(SizeClass::Kib256)),
            (
                1_025,
                Err(NotSizeClass {
                    field,
                    value: 1_025,
                }),
            ),
            (
                2_048,
                Err(NotSizeClass {
                    field,
                    value: 2_048,
                }),
            ),
            (
                8_192,
                Err(NotSizeClass {
                    field,
                    value: 8_192,
                }),
            ),
            (
                262_143,
                Err(NotSizeClass {
                    field,
                    value: 262_143,
                }),
            ),
            (512, Err(out(512))),
            (262_145, Err(out(262_145))),
        ];
        for (value, want) in rows {
            let mut c = with(|c| c.pools.start_class = SizeClass::Kib16);
            match want {
                Ok(class) => {
                    assert_eq!(c.set_value(field, value), Ok(()), "{value}");
                    assert_eq!(c.pools.start_class, class, "{value}");
                    assert_eq!(c.value(field), Some(value), "{value}");
                }
                Err(err) => {
                    assert_eq!(c.set_value(field, value), Err(err), "{value}");
                    assert_eq!(c.pools.start_class, SizeClass::Kib16, "{value}: unchanged");
                }
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for (i, field) in Field::ALL.into_iter().enumerate() {
            assert_eq!(Field::from_name(field.name()), Some(field));
            assert!(
                Field::ALL[..i]
                    .iter()
                    .all(|other| other.name() != field.name())
            );
        }
        assert_eq!(Field::from_name("limits.max_head_byte"), None);
        assert_eq!(Field::from_name(""), None);
        for (class, field) in Field::BUFFERS.into_iter().enumerate() {
            let kib = SIZE_CLASSES[class] / 1024;
            assert_eq!(field.name(), std::format!("pools.buffers_{kib}k"));
        }
    }

    #[test]
    fn messages() {
        let e = with(|c| c.limits.max_head_bytes = 300_000)
            .validate()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "limits.max_head_bytes = 300000 is out of range (256..=262144)"
        );
        let e = with(|c| c.timeouts.header_read = Duration::ZERO)
            .validate()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "timeouts.header_read = 0 ms is out of range (1..=86400000 ms)"
        );
        let e = with(|c| c.limits.max_target_bytes = 9_000)
            .validate()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "limits.max_target_bytes = 9000 must not exceed limits.max_head_bytes = 8192"
        );
        let e = with(|c| c.low_water_percent = 90).validate().unwrap_err();
        assert_eq!(
            e.to_string(),
            "low_water_percent = 90 must be below high_water_percent = 80"
        );
        let e = { D }.set_value(Field::StartBytes, 2_048).unwrap_err();
        assert_eq!(
            e.to_string(),
            "pools.start_bytes = 2048 is not a buffer class size (1024, 4096, 16384, 65536 or \
             262144)"
        );
        let e = with(|c| c.pools.buffers[2] = 0).validate().unwrap_err();
        assert_eq!(
            e.to_string(),
            "pools.buffers_16k = 0, but a head of limits.max_head_bytes = 8192 needs that buffer \
             class"
        );
    }

    #[test]
    fn all_errors_are_reported() {
        let c = with(|c| {
            c.max_connections = 0;
            c.workers = 2_000;
            c.low_water_percent = 90;
        });
        let mut errors = std::vec::Vec::new();
        c.for_each_error(|e| errors.push(e.field()));
        assert_eq!(
            errors,
            [
                Field::MaxConnections,
                Field::Workers,
                Field::LowWaterPercent
            ]
        );
    }

    #[test]
    fn set_value_by_key() {
        let mut c = D;
        c.set_value(Field::from_name("timeouts.write").unwrap(), 1_500)
            .unwrap();
        assert_eq!(c.timeouts.write, Duration::from_millis(1_500));
        c.overload_response = OverloadPolicy::Close;
        assert_eq!(c.value(Field::RetryAfterSecs), None);
        c.set_value(Field::RetryAfterSecs, 5).unwrap();
        assert_eq!(
            c.overload_response,
            OverloadPolicy::ServiceUnavailable {
                retry_after_secs: 5
            }
        );
        assert_eq!(
            c.set_value(Field::ServerHeader, 1),
            Err(ConfigError::NotNumeric {
                field: Field::ServerHeader
            })
        );
    }

    #[test]
    fn water_marks() {
        let c = with(|c| {
            c.max_connections = 1;
            c.high_water_percent = 1;
            c.low_water_percent = 0;
        });
        assert_eq!((c.high_water_mark(), c.low_water_mark()), (1, 0));
        let c = with(|c| c.max_connections = 1 << 20);
        assert_eq!(c.high_water_mark(), 838_861);
    }
}
