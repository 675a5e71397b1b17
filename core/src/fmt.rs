//! The logging shim: one set of macros for the whole core.
//!
//! `trace!`, `debug!`, `info!`, `warn!` and `error!` route to `defmt` with the `defmt` feature,
//! to the `log` crate with the `log` feature, and compile to nothing (arguments still
//! type-checked) with neither. Enabling both is a compile error. Format strings must use the
//! subset both back ends accept: `{}` and `{:?}` placeholders with positional arguments.
#![allow(unused_macros)]

#[cfg(all(feature = "defmt", feature = "log"))]
compile_error!("aurora-core: enable at most one of the `defmt` and `log` features");

/// The body of every level macro, exported (hidden) so that a backend's own shim routes the
/// same way: the `cfg`s are those of the crate that expands it, so each crate's `defmt` and
/// `log` features decide for its own messages.
#[doc(hidden)]
#[macro_export]
macro_rules! __aurora_log {
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

macro_rules! trace { ($($arg:tt)+) => { $crate::__aurora_log!(trace, $($arg)+) }; }
macro_rules! debug { ($($arg:tt)+) => { $crate::__aurora_log!(debug, $($arg)+) }; }
macro_rules! info { ($($arg:tt)+) => { $crate::__aurora_log!(info, $($arg)+) }; }
macro_rules! warn { ($($arg:tt)+) => { $crate::__aurora_log!(warn, $($arg)+) }; }
macro_rules! error { ($($arg:tt)+) => { $crate::__aurora_log!(error, $($arg)+) }; }
