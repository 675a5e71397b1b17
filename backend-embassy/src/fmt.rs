//! The logging shim of this crate: `trace!` to `error!` route to `defmt` (feature `defmt`), to
//! `log` (feature `log`), or compile to nothing with their arguments still type-checked.
//!
//! Format strings use the subset both back ends accept: `{}` and `{:?}` with positional
//! arguments. Enabling both features is a compile error.
#![allow(unused_macros)]

#[cfg(all(feature = "defmt", feature = "log"))]
compile_error!("aurora-embassy: enable at most one of the `defmt` and `log` features");

macro_rules! embassy_log {
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

macro_rules! trace { ($($arg:tt)+) => { embassy_log!(trace, $($arg)+) }; }
macro_rules! debug { ($($arg:tt)+) => { embassy_log!(debug, $($arg)+) }; }
macro_rules! info { ($($arg:tt)+) => { embassy_log!(info, $($arg)+) }; }
macro_rules! warn { ($($arg:tt)+) => { embassy_log!(warn, $($arg)+) }; }
macro_rules! error { ($($arg:tt)+) => { embassy_log!(error, $($arg)+) }; }
