//! [`Options`]: everything a server run needs, and [`Options::load`], which layers defaults, a
//! TOML file and `AURORA_*` environment variables, then validates the result.
//!
//! Keys are the core's ([`Field::ALL`], dotted: `limits.max_head_bytes`) plus the backend's
//! own: `addr`, `pin_cpus`, `access_log`, `shutdown_deadline_ms`. In TOML a dotted key is a
//! table path (`[limits]` then `max_head_bytes = 8192`); as a variable it is `AURORA_` and the
//! key in upper case with `_` for `.` (`AURORA_LIMITS_MAX_HEAD_BYTES`). Unknown keys and
//! unknown `AURORA_*` variables are errors, so a typo never goes unnoticed; `AURORA_CONFIG`
//! (the file's path, read by the caller) is the one variable `load` skips.
//!
//! This module reads the file it is given and nothing else; it never reads the process
//! environment itself (the caller passes `std::env::vars()` or a test's own list).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aurora_core::config::{ConfigError, Field, OverloadPolicy, ServerConfig};
use aurora_core::mem::SIZE_CLASSES;

/// The prefix of every variable [`Options::load`] reads.
pub const ENV_PREFIX: &str = "AURORA_";

/// The variable naming the TOML file; [`Options::load`] skips it.
pub const CONFIG_VARIABLE: &str = "AURORA_CONFIG";

/// The longest `shutdown_deadline_ms`: one day.
const MAX_SHUTDOWN_DEADLINE_MS: u64 = 86_400_000;

/// Everything [`start`](crate::start) needs to run a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Where every worker listens (`SO_REUSEPORT`); port 0 picks one port for all. Default
    /// `127.0.0.1:8080`.
    pub addr: SocketAddr,
    /// The core's configuration; `config.workers` is the number of worker threads.
    pub config: ServerConfig,
    /// Pin worker `i` to the `i`-th CPU this process may use (modulo their count). Default
    /// `true`.
    pub pin_cpus: bool,
    /// Log one line per response at `info` level, target `aurora::access`. Default `false`.
    pub access_log: bool,
    /// How long a graceful shutdown waits for open connections before closing them. Default
    /// 10 s.
    pub shutdown_deadline: Duration,
}

/// Why [`Options::load`] refused: where, which key, and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    origin: Origin,
    kind: LoadErrorKind,
}

/// Where a [`LoadError`] was found.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origin {
    /// In the TOML file at this path.
    File(PathBuf),
    /// In the environment.
    Environment,
    /// In the combination of every source (found by [`ServerConfig::validate`]).
    Combined,
}

/// What [`Options::load`] found wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadErrorKind {
    /// The TOML file could not be read.
    Read(std::io::ErrorKind),
    /// The TOML file is not valid TOML; the parser's message.
    Syntax(String),
    /// A dotted key or `AURORA_*` variable that names no option.
    UnknownKey(String),
    /// A value of the wrong type or form for its key.
    BadValue {
        /// The dotted key or the variable.
        key: String,
        /// The value as found.
        value: String,
        /// What the key takes, with its range.
        expected: String,
    },
    /// A value the core's configuration refused: out of its range, or (found by
    /// [`ServerConfig::validate`] after every source) in conflict with another.
    Config {
        /// The dotted key or the variable that set it.
        key: String,
        /// The core's error, which names the field and the allowed range.
        error: ConfigError,
    },
}

/// An option's key: a core field or one of the backend's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    /// A field of [`ServerConfig`].
    Core(Field),
    /// `addr`
    Addr,
    /// `pin_cpus`
    PinCpus,
    /// `access_log`
    AccessLog,
    /// `shutdown_deadline_ms`
    ShutdownDeadlineMs,
}

/// A value as a source gave it.
#[derive(Clone, Copy, Debug)]
enum Input<'a> {
    /// A TOML value.
    Toml(&'a toml::Value),
    /// A variable's text.
    Env(&'a str),
}

impl Default for Options {
    fn default() -> Self {
        Options {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            config: ServerConfig::DEFAULT,
            pin_cpus: true,
            access_log: false,
            shutdown_deadline: Duration::from_secs(10),
        }
    }
}

impl Options {
    /// The defaults, then the TOML file at `toml_path` (if any), then the `AURORA_*` variables
    /// in `env` (others are ignored), checked by [`ServerConfig::validate`].
    ///
    /// A `server_header` string is leaked to get the `'static` lifetime the core's
    /// configuration holds; load options once per process.
    ///
    /// # Errors
    ///
    /// A [`LoadError`] for an unreadable or malformed file, an unknown key or variable, a value
    /// of the wrong form or out of range, or a combination the core refuses. Its message names
    /// the key or variable and what it takes.
    pub fn load(
        toml_path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Options, LoadError> {
        let mut options = Options::default();
        if let Some(path) = toml_path {
            options.apply_file(path)?;
        }
        options.apply_env(env)?;
        options.config.validate().map_err(|error| LoadError {
            origin: Origin::Combined,
            kind: LoadErrorKind::Config {
                key: error.field().name().to_owned(),
                error,
            },
        })?;
        Ok(options)
    }

    /// Applies every key of the TOML file at `path`.
    fn apply_file(&mut self, path: &Path) -> Result<(), LoadError> {
        let origin = || Origin::File(path.to_owned());
        let text = std::fs::read_to_string(path).map_err(|e| LoadError {
            origin: origin(),
            kind: LoadErrorKind::Read(e.kind()),
        })?;
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| LoadError {
            origin: origin(),
            kind: LoadErrorKind::Syntax(e.message().to_owned()),
        })?;
        let mut leaves = Vec::new();
        flatten(&table, "", &mut leaves);
        for (name, value) in leaves {
            let Some(key) = Key::from_name(&name) else {
                return Err(LoadError {
                    origin: origin(),
                    kind: LoadErrorKind::UnknownKey(name),
                });
            };
            self.apply(key, &name, Input::Toml(value))
                .map_err(|kind| LoadError {
                    origin: origin(),
                    kind,
                })?;
        }
        Ok(())
    }

    /// Applies every `AURORA_*` variable of `env`, in key order (so the outcome does not depend
    /// on the order of the environment); a variable given twice counts with its last value.
    fn apply_env(
        &mut self,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), LoadError> {
        let mut found: Vec<(Key, String, String)> = Vec::new();
        for (name, value) in env {
            if !name.starts_with(ENV_PREFIX) || name == CONFIG_VARIABLE {
                continue;
            }
            let Some(key) = Key::from_env_name(&name) else {
                return Err(LoadError {
                    origin: Origin::Environment,
                    kind: LoadErrorKind::UnknownKey(name),
                });
            };
            found.retain(|(k, _, _)| *k != key);
            found.push((key, name, value));
        }
        found.sort_by_key(|(key, _, _)| key.order());
        for (key, name, value) in &found {
            self.apply(*key, name, Input::Env(value))
                .map_err(|kind| LoadError {
                    origin: Origin::Environment,
                    kind,
                })?;
        }
        Ok(())
    }

    /// Sets `key`, called `name` in its source, from `input`.
    fn apply(&mut self, key: Key, name: &str, input: Input<'_>) -> Result<(), LoadErrorKind> {
        let bad = |expected: String| LoadErrorKind::BadValue {
            key: name.to_owned(),
            value: input.to_string(),
            expected,
        };
        match key {
            Key::Addr => {
                let text = input.text().ok_or_else(|| bad(Key::Addr.expected()))?;
                self.addr = text.parse().map_err(|_| bad(Key::Addr.expected()))?;
            }
            Key::PinCpus => self.pin_cpus = input.boolean().ok_or_else(|| bad(key.expected()))?,
            Key::AccessLog => {
                self.access_log = input.boolean().ok_or_else(|| bad(key.expected()))?;
            }
            Key::ShutdownDeadlineMs => {
                let ms = input
                    .number()
                    .filter(|ms| *ms <= MAX_SHUTDOWN_DEADLINE_MS)
                    .ok_or_else(|| bad(key.expected()))?;
                self.shutdown_deadline = Duration::from_millis(ms);
            }
            Key::Core(Field::ServerHeader) => {
                let text = input.text().ok_or_else(|| bad(key.expected()))?;
                // The core keeps `&'static str`: options are loaded once per process.
                self.config.server_header = Some(Box::leak(text.to_owned().into_boxed_str()));
            }
            Key::Core(Field::OverloadResponse) => {
                let policy = match input {
                    Input::Toml(toml::Value::Integer(503)) => "503",
                    Input::Toml(toml::Value::String(s)) => s.as_str(),
                    Input::Env(s) => s,
                    Input::Toml(_) => "",
                };
                self.config.overload_response = match policy {
                    "503" => match self.config.overload_response {
                        keep @ OverloadPolicy::ServiceUnavailable { .. } => keep,
                        _ => OverloadPolicy::ServiceUnavailable {
                            retry_after_secs: 1,
                        },
                    },
                    "close" => OverloadPolicy::Close,
                    _ => return Err(bad(key.expected())),
                };
            }
            Key::Core(field) => {
                let value = input.number().ok_or_else(|| bad(key.expected()))?;
                self.config
                    .set_value(field, value)
                    .map_err(|error| LoadErrorKind::Config {
                        key: name.to_owned(),
                        error,
                    })?;
            }
        }
        Ok(())
    }
}

impl LoadError {
    /// What was wrong.
    pub fn kind(&self) -> &LoadErrorKind {
        &self.kind
    }

    /// The core's error, when the core's configuration refused a value.
    pub fn config_error(&self) -> Option<ConfigError> {
        match self.kind {
            LoadErrorKind::Config { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Origin::File(path) => write!(f, "{}: ", path.display())?,
            Origin::Environment => {}
            Origin::Combined => f.write_str("invalid configuration: ")?,
        }
        match &self.kind {
            LoadErrorKind::Read(kind) => write!(f, "cannot read the file: {kind}"),
            LoadErrorKind::Syntax(message) => write!(f, "invalid TOML: {}", message.trim_end()),
            LoadErrorKind::UnknownKey(key) => match self.origin {
                Origin::Environment => write!(f, "unknown variable {key}"),
                _ => write!(f, "unknown key {key}"),
            },
            LoadErrorKind::BadValue {
                key,
                value,
                expected,
            } => write!(f, "{key} = {value} is not {expected}"),
            LoadErrorKind::Config { key, error } => {
                // The core's message starts with the dotted key; name a variable before it.
                if key != error.field().name() {
                    write!(f, "{key}: ")?;
                }
                write!(f, "{error}")
            }
        }
    }
}

impl std::error::Error for LoadError {}

impl Key {
    /// The backend's own keys.
    const BACKEND: [Key; 4] = [
        Key::Addr,
        Key::PinCpus,
        Key::AccessLog,
        Key::ShutdownDeadlineMs,
    ];

    /// Every key: the core's, then the backend's.
    fn all() -> impl Iterator<Item = Key> {
        Field::ALL.into_iter().map(Key::Core).chain(Key::BACKEND)
    }

    /// The dotted key.
    fn name(self) -> &'static str {
        match self {
            Key::Core(field) => field.name(),
            Key::Addr => "addr",
            Key::PinCpus => "pin_cpus",
            Key::AccessLog => "access_log",
            Key::ShutdownDeadlineMs => "shutdown_deadline_ms",
        }
    }

    /// The key whose dotted name is `name`.
    fn from_name(name: &str) -> Option<Key> {
        Key::all().find(|key| key.name() == name)
    }

    /// The key whose variable is `name` (`AURORA_` and the key in upper case, `_` for `.`).
    fn from_env_name(name: &str) -> Option<Key> {
        let rest = name.strip_prefix(ENV_PREFIX)?;
        Key::all().find(|key| {
            let key = key.name();
            key.len() == rest.len()
                && key.bytes().zip(rest.bytes()).all(|(k, r)| {
                    r == if k == b'.' {
                        b'_'
                    } else {
                        k.to_ascii_uppercase()
                    }
                })
        })
    }

    /// The position of the key in [`Key::all`], the order sources are applied in.
    fn order(self) -> usize {
        Key::all().position(|key| key == self).unwrap_or(usize::MAX)
    }

    /// What the key takes, for error messages.
    fn expected(self) -> String {
        match self {
            Key::Addr => "an IP address and port such as 127.0.0.1:8080".to_owned(),
            Key::PinCpus | Key::AccessLog => "true or false".to_owned(),
            Key::ShutdownDeadlineMs => {
                format!("a whole number of milliseconds in 0..={MAX_SHUTDOWN_DEADLINE_MS}")
            }
            Key::Core(Field::OverloadResponse) => "503 or close".to_owned(),
            Key::Core(Field::ServerHeader) => "a string".to_owned(),
            Key::Core(Field::StartBytes) => {
                let sizes: Vec<String> = SIZE_CLASSES.iter().map(|size| size.to_string()).collect();
                format!("one of the buffer class sizes {}", sizes.join(", "))
            }
            Key::Core(field) => match field.range() {
                Some((min, max)) => format!("a whole number in {min}..={max}"),
                None => "a whole number".to_owned(),
            },
        }
    }
}

impl<'a> Input<'a> {
    /// The text of a TOML string or of a variable.
    fn text(self) -> Option<&'a str> {
        match self {
            Input::Toml(toml::Value::String(s)) => Some(s),
            Input::Env(s) => Some(s),
            Input::Toml(_) => None,
        }
    }

    /// A TOML boolean, or a variable's `true`/`false`/`1`/`0`/`yes`/`no`/`on`/`off`.
    fn boolean(self) -> Option<bool> {
        match self {
            Input::Toml(toml::Value::Boolean(b)) => Some(*b),
            Input::Env(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Some(true),
                "false" | "0" | "no" | "off" => Some(false),
                _ => None,
            },
            Input::Toml(_) => None,
        }
    }

    /// A non-negative TOML integer, or a variable's decimal digits.
    fn number(self) -> Option<u64> {
        match self {
            Input::Toml(toml::Value::Integer(n)) => u64::try_from(*n).ok(),
            Input::Env(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().ok()
            }
            Input::Toml(_) | Input::Env(_) => None,
        }
    }
}

impl fmt::Display for Input<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Env(s) => f.write_str(s),
            Input::Toml(toml::Value::String(s)) => write!(f, "{s:?}"),
            Input::Toml(toml::Value::Integer(n)) => write!(f, "{n}"),
            Input::Toml(toml::Value::Float(x)) => write!(f, "{x}"),
            Input::Toml(toml::Value::Boolean(b)) => write!(f, "{b}"),
            Input::Toml(toml::Value::Datetime(d)) => write!(f, "{d}"),
            Input::Toml(toml::Value::Array(_)) => f.write_str("[..]"),
            Input::Toml(toml::Value::Table(_)) => f.write_str("{..}"),
        }
    }
}

/// Collects the leaves of `table` as `(dotted key, value)` pairs; tables nest into dots.
fn flatten<'t>(table: &'t toml::Table, prefix: &str, out: &mut Vec<(String, &'t toml::Value)>) {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            toml::Value::Table(inner) => flatten(inner, &key, out),
            leaf => out.push((key, leaf)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use aurora_core::mem::buffer_pool::SizeClass;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Loads from `toml` (written to a fresh file, unless `None`) and `env`; an error comes
    /// back as its message with the file's path replaced by `FILE`.
    fn load(toml: Option<&str>, env: &[(&str, &str)]) -> Result<Options, String> {
        static FILES: AtomicUsize = AtomicUsize::new(0);
        let n = FILES.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("aurora-{}-{n}.toml", std::process::id()));
        if let Some(text) = toml {
            std::fs::write(&path, text).unwrap();
        }
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let path_arg = toml.map(|_| path.as_path());
        let got = Options::load(path_arg, env);
        let _ = std::fs::remove_file(&path);
        got.map_err(|e| e.to_string().replace(&path.display().to_string(), "FILE"))
    }

    #[test]
    fn defaults() {
        assert_eq!(load(None, &[]), Ok(Options::default()));
        let o = Options::default();
        assert_eq!(o.addr.to_string(), "127.0.0.1:8080");
        assert!(o.pin_cpus && !o.access_log);
        assert_eq!(o.shutdown_deadline, Duration::from_secs(10));
        assert_eq!(o.config, ServerConfig::DEFAULT);
    }

    #[test]
    fn a_full_file() {
        let toml = r#"
            addr = "0.0.0.0:9000"
            pin_cpus = false
            access_log = true
            shutdown_deadline_ms = 500
            workers = 2
            max_connections = 5000
            overload_response = "close"
            server_header = "aurora/0.1"

            [limits]
            max_body_bytes = 10
            max_headers = 32

            [timeouts]
            header_read = 1500

            [pools]
            buffers_64k = 2
            start_bytes = 1024
        "#;
        let o = load(Some(toml), &[]).unwrap();
        assert_eq!(o.addr.to_string(), "0.0.0.0:9000");
        assert!(!o.pin_cpus && o.access_log);
        assert_eq!(o.shutdown_deadline, Duration::from_millis(500));
        let c = o.config;
        assert_eq!((c.workers, c.max_connections), (2, 5000));
        assert_eq!(c.overload_response, OverloadPolicy::Close);
        assert_eq!(c.server_header, Some("aurora/0.1"));
        assert_eq!((c.limits.max_body_bytes, c.limits.max_headers), (10, 32));
        assert_eq!(
            c.timeouts.header_read,
            aurora_core::time::Duration::from_millis(1500)
        );
        assert_eq!(c.pools.buffers[3], 2);
        assert_eq!(c.pools.start_class, SizeClass::Kib1);
        let env = [("AURORA_POOLS_START_BYTES", "16384")];
        let o = load(None, &env).unwrap();
        assert_eq!(o.config.pools.start_class, SizeClass::Kib16);
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let toml =
            "max_connections = 10\npin_cpus = true\n[overload_response]\nretry_after_secs = 7";
        let env = [
            ("PATH", "/bin"),
            ("AURORA_CONFIG", "elsewhere.toml"),
            ("AURORA_MAX_CONNECTIONS", "20"),
            ("AURORA_PIN_CPUS", "off"),
            ("AURORA_ACCESS_LOG", "YES"),
            ("AURORA_ADDR", "[::1]:0"),
            ("AURORA_LIMITS_MAX_BODY_BYTES", "0"),
            ("AURORA_SHUTDOWN_DEADLINE_MS", "0"),
        ];
        let o = load(Some(toml), &env).unwrap();
        assert_eq!(o.config.max_connections, 20);
        assert!(!o.pin_cpus && o.access_log);
        assert_eq!(o.addr.to_string(), "[::1]:0");
        assert_eq!(o.config.limits.max_body_bytes, 0);
        assert_eq!(o.shutdown_deadline, Duration::ZERO);
        assert_eq!(
            o.config.overload_response,
            OverloadPolicy::ServiceUnavailable {
                retry_after_secs: 7
            }
        );
    }

    #[test]
    fn overload_policy_forms() {
        let close = load(None, &[("AURORA_OVERLOAD_RESPONSE", "close")]).unwrap();
        assert_eq!(close.config.overload_response, OverloadPolicy::Close);
        let back = load(
            Some("overload_response = \"close\""),
            &[("AURORA_OVERLOAD_RESPONSE", "503")],
        )
        .unwrap();
        let default_503 = ServerConfig::DEFAULT.overload_response;
        assert_eq!(back.config.overload_response, default_503);
        let number = load(Some("overload_response = 503"), &[]).unwrap();
        assert_eq!(number.config.overload_response, default_503);
        // Setting the retry time selects 503, whatever the order of the environment.
        let env = [
            ("AURORA_OVERLOAD_RESPONSE_RETRY_AFTER_SECS", "9"),
            ("AURORA_OVERLOAD_RESPONSE", "close"),
        ];
        let retry = load(None, &env).unwrap();
        assert_eq!(
            retry.config.overload_response,
            OverloadPolicy::ServiceUnavailable {
                retry_after_secs: 9
            }
        );
    }

    /// One refusal: a file's text (if any), variables, and the message expected.
    type Row<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);

    #[test]
    fn refusals() {
        let rows: &[Row<'_>] = &[
            (
                Some("[limits]\nmax_head_bytes = 300000"),
                &[],
                "FILE: limits.max_head_bytes = 300000 is out of range (256..=262144)",
            ),
            (
                None,
                &[("AURORA_LIMITS_MAX_HEAD_BYTES", "300000")],
                "AURORA_LIMITS_MAX_HEAD_BYTES: limits.max_head_bytes = 300000 is out of range \
                 (256..=262144)",
            ),
            (
                None,
                &[("AURORA_TIMEOUTS_HEADER_READ", "0")],
                "AURORA_TIMEOUTS_HEADER_READ: timeouts.header_read = 0 ms is out of range \
                 (1..=86400000 ms)",
            ),
            (
                Some("limits.max_head_byte = 1"),
                &[],
                "FILE: unknown key limits.max_head_byte",
            ),
            (
                Some("[max_connections]\nx = 1"),
                &[],
                "FILE: unknown key max_connections.x",
            ),
            (
                None,
                &[("AURORA_MAX_CONECTIONS", "1")],
                "unknown variable AURORA_MAX_CONECTIONS",
            ),
            (
                Some("pin_cpus = \"yes\""),
                &[],
                "FILE: pin_cpus = \"yes\" is not true or false",
            ),
            (
                None,
                &[("AURORA_ACCESS_LOG", "maybe")],
                "AURORA_ACCESS_LOG = maybe is not true or false",
            ),
            (
                None,
                &[("AURORA_MAX_CONNECTIONS", "many")],
                "AURORA_MAX_CONNECTIONS = many is not a whole number in 1..=1048576",
            ),
            (
                None,
                &[("AURORA_WORKERS", "+1")],
                "AURORA_WORKERS = +1 is not a whole number in 0..=1024",
            ),
            (
                Some("max_connections = -1"),
                &[],
                "FILE: max_connections = -1 is not a whole number in 1..=1048576",
            ),
            (
                Some("workers = [1]"),
                &[],
                "FILE: workers = [..] is not a whole number in 0..=1024",
            ),
            (
                Some("[timeouts]\nwrite = 1.5"),
                &[],
                "FILE: timeouts.write = 1.5 is not a whole number in 1..=86400000",
            ),
            (
                None,
                &[("AURORA_ADDR", "localhost")],
                "AURORA_ADDR = localhost is not an IP address and port such as 127.0.0.1:8080",
            ),
            (
                Some("addr = 8080"),
                &[],
                "FILE: addr = 8080 is not an IP address and port such as 127.0.0.1:8080",
            ),
            (
                None,
                &[("AURORA_SHUTDOWN_DEADLINE_MS", "86400001")],
                "AURORA_SHUTDOWN_DEADLINE_MS = 86400001 is not a whole number of milliseconds \
                 in 0..=86400000",
            ),
            (
                Some("overload_response = \"drop\""),
                &[],
                "FILE: overload_response = \"drop\" is not 503 or close",
            ),
            (
                Some("server_header = 1"),
                &[],
                "FILE: server_header = 1 is not a string",
            ),
            (
                None,
                &[("AURORA_LOW_WATER_PERCENT", "90")],
                "invalid configuration: low_water_percent = 90 must be below \
                 high_water_percent = 80",
            ),
            (
                None,
                &[("AURORA_SERVER_HEADER", " aurora")],
                "invalid configuration: server_header must be 1..=128 visible ASCII \
                 characters, spaces only inside",
            ),
            (
                None,
                &[("AURORA_POOLS_START_BYTES", "2048")],
                "AURORA_POOLS_START_BYTES: pools.start_bytes = 2048 is not a buffer class size \
                 (1024, 4096, 16384, 65536 or 262144)",
            ),
            (
                Some("[pools]\nstart_bytes = 1024\nbuffers_1k = 0"),
                &[],
                "invalid configuration: pools.buffers_1k = 0, but every connection starts in \
                 that buffer class",
            ),
            (
                Some("[pools]\nbuffers_4k = 0"),
                &[],
                "invalid configuration: pools.buffers_4k = 0, but every connection starts in \
                 that buffer class",
            ),
        ];
        for (n, (toml, env, want)) in rows.iter().enumerate() {
            assert_eq!(load(*toml, env).unwrap_err(), *want, "row {n}");
        }
    }

    #[test]
    fn unreadable_and_malformed_files() {
        let missing = Options::load(Some(Path::new("/nonexistent/aurora.toml")), []).unwrap_err();
        assert_eq!(
            missing.kind(),
            &LoadErrorKind::Read(std::io::ErrorKind::NotFound)
        );
        assert!(
            missing
                .to_string()
                .starts_with("/nonexistent/aurora.toml: cannot read the file"),
            "{missing}"
        );
        let syntax = load(Some("max_connections = "), &[]).unwrap_err();
        assert!(syntax.starts_with("FILE: invalid TOML: "), "{syntax}");
    }

    #[test]
    fn config_errors_are_kept() {
        let env = [("AURORA_MAX_CONNECTIONS".to_owned(), "0".to_owned())];
        let e = Options::load(None, env).unwrap_err();
        assert_eq!(
            e.config_error(),
            Some(ConfigError::OutOfRange {
                field: Field::MaxConnections,
                min: 1,
                max: 1 << 20,
                value: 0
            })
        );
    }

    #[test]
    fn every_key_has_a_name_and_a_variable() {
        for key in Key::all() {
            assert_eq!(Key::from_name(key.name()), Some(key));
            let variable = format!("{ENV_PREFIX}{}", key.name().replace('.', "_")).to_uppercase();
            assert_eq!(Key::from_env_name(&variable), Some(key), "{variable}");
        }
        for name in ["AURORA_", "AURORA_workers", "WORKERS", "AURORA_WORKERSS"] {
            assert_eq!(Key::from_env_name(name), None, "{name}");
        }
        // The variables API.md lists by name.
        for (variable, key) in [
            ("AURORA_ADDR", Key::Addr),
            ("AURORA_WORKERS", Key::Core(Field::Workers)),
            ("AURORA_PIN_CPUS", Key::PinCpus),
            ("AURORA_ACCESS_LOG", Key::AccessLog),
            ("AURORA_SHUTDOWN_DEADLINE_MS", Key::ShutdownDeadlineMs),
            ("AURORA_MAX_CONNECTIONS", Key::Core(Field::MaxConnections)),
        ] {
            assert_eq!(Key::from_env_name(variable), Some(key));
        }
    }

    #[test]
    fn every_numeric_key_loads_its_bounds_from_both_sources() {
        for field in Field::ALL {
            let Some((min, max)) = field.range() else {
                continue;
            };
            let variable = format!("AURORA_{}", field.name().replace('.', "_")).to_uppercase();
            for value in [min, max] {
                let mut options = Options::default();
                let text = value.to_string();
                options
                    .apply(Key::Core(field), &variable, Input::Env(&text))
                    .unwrap();
                assert_eq!(options.config.value(field), Some(value), "{field}");
            }
            if let Some(above) = max.checked_add(1) {
                let mut options = Options::default();
                let text = above.to_string();
                let err = options
                    .apply(Key::Core(field), &variable, Input::Env(&text))
                    .unwrap_err();
                assert!(matches!(err, LoadErrorKind::Config { .. }), "{field}");
            }
            if let Ok(i) = i64::try_from(min) {
                let mut options = Options::default();
                let value = toml::Value::Integer(i);
                options
                    .apply(Key::Core(field), field.name(), Input::Toml(&value))
                    .unwrap();
                assert_eq!(options.config.value(field), Some(min), "{field}");
            }
        }
    }
}
