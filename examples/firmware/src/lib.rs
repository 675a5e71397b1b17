//! Aurora on a Cortex-M4: the pieces the firmware images share.
//!
//! Three images are built from this crate for `thumbv7em-none-eabihf` (QEMU's mps2-an386
//! board: 4 MiB of flash at 0, 4 MiB of RAM at `0x2000_0000`):
//!
//! - `hello`: Aurora's demo application (`aurora_core::hello::Hello`, greeting, echo,
//!   `/metrics`) on embassy-net, 4 connections with 1 KiB TCP buffers each. Its size is
//!   what Aurora costs on a microcontroller.
//! - `baseline`: the same glue (executor, clock, stack, 4 sockets with 1 KiB buffers, the
//!   channel device) serving a byte echo instead of HTTP. `hello` minus `baseline` is the size
//!   of Aurora's HTTP layer.
//! - `qemu-test`: a server and a client stack joined by an in-memory link inside one image;
//!   the client sends requests to Aurora and checks the answers, prints over semihosting and
//!   exits QEMU with the outcome.
//!
//! Modules: [`app`] (the HTTP server and its memory), [`clock`] (the embassy-time driver on
//! SysTick), [`link`] (the channel device and what drives it), [`net`] (stack configuration).
#![no_std]
#![warn(missing_docs)]

pub mod app;
pub mod clock;
pub mod link;
pub mod net;
