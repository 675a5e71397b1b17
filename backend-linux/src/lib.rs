//! # aurora-linux
//!
//! Aurora's Linux backend: the OS glue that drives the core's server on epoll.
#![deny(unsafe_code)]
#![warn(missing_docs)]
