//! The logging shim of this crate: `trace!` to `error!` route to `defmt` (feature `defmt`), to
//! `log` (feature `log`), or compile to nothing with their arguments still type-checked, by
//! the core's macro, expanded here so that this crate's features decide.
//!
//! Format strings use the subset both back ends accept: `{}` and `{:?}` with positional
//! arguments. Enabling both features is a compile error.
#![allow(unused_macros)]

#[cfg(all(feature = "defmt", feature = "log"))]
compile_error!("aurora-embassy: enable at most one of the `defmt` and `log` features");

macro_rules! trace { ($($arg:tt)+) => { ::aurora_core::__aurora_log!(trace, $($arg)+) }; }
macro_rules! debug { ($($arg:tt)+) => { ::aurora_core::__aurora_log!(debug, $($arg)+) }; }
macro_rules! info { ($($arg:tt)+) => { ::aurora_core::__aurora_log!(info, $($arg)+) }; }
macro_rules! warn { ($($arg:tt)+) => { ::aurora_core::__aurora_log!(warn, $($arg)+) }; }
macro_rules! error { ($($arg:tt)+) => { ::aurora_core::__aurora_log!(error, $($arg)+) }; }
