//! The logging shim: one set of macros for the whole core.
//!
//! `trace!`, `debug!`, `info!`, `warn!` and `error!` route to `defmt` with the `defmt` feature,
//! to the `log` crate with the `log` feature, and compile to nothing (arguments still
//! type-checked) with neither. Enabling both is a compile error. Format strings must use the
//! subset both back ends accept: `{}` and `{:?}` placeholders with positional arguments.
#![allow(unused_macros)]

#[cfg(all(feature = "defmt", feature = "log"))]
compile_error!("aurora-core: enable at most one of the `defmt` and `log` features");

macro_rules! aurora_log {
    ($level:ident, $($arg:tt)+) => {{
        #[cfg(feature = "defmt")]
        ::defmt::$level!($($arg)+);
        #[cfg(feature = "log")]
        ::log::$level!($($arg)+);
        #[cfg(not(any(feature = "defmt", feature = "log")))]
        {
            let _ = || { let _ = ::core::format_args!($($arg)+); };
        }
    }};
}

macro_rules! trace { ($($arg:tt)+) => { aurora_log!(trace, $($arg)+) }; }
macro_rules! debug { ($($arg:tt)+) => { aurora_log!(debug, $($arg)+) }; }
macro_rules! info { ($($arg:tt)+) => { aurora_log!(info, $($arg)+) }; }
macro_rules! warn { ($($arg:tt)+) => { aurora_log!(warn, $($arg)+) }; }
macro_rules! error { ($($arg:tt)+) => { aurora_log!(error, $($arg)+) }; }
