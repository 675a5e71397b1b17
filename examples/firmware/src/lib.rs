//! Aurora on a Cortex-M4: the pieces the firmware images share.
//!
//! Five images are built from this crate for `thumbv7em-none-eabihf` (QEMU's mps2-an386
//! board: 4 MiB of flash at 0, 4 MiB of RAM at `0x2000_0000`):
//!
//! - `hello`: Aurora's demo application (`aurora_apps::hello::Hello`, greeting, echo,
//!   `/metrics`) on embassy-net, 4 connections with 1 KiB TCP buffers each. Its size is
//!   what Aurora costs on a microcontroller.
//! - `device`: the device dashboard (`aurora_apps::device::Device`: page, JSON API, event
//!   stream, metrics) on the same server: what Aurora's application layer costs.
//! - `greeting`: the same server answering every request with one fixed greeting, the
//!   application of a minimal "hello world" server, for comparisons on equal terms.
//! - `baseline`: the same glue (executor, clock, stack, 4 sockets with 1 KiB buffers, the
//!   channel device) serving a byte echo instead of HTTP. `hello` minus `baseline` is the size
//!   of Aurora's HTTP layer.
//! - `qemu-test`: a server and a client stack joined by an in-memory link inside one image;
//!   the client sends requests to Aurora and checks the answers, prints over semihosting and
//!   exits QEMU with the outcome.
//!
//! Modules: [`app`] (the HTTP server and its memory), [`device`] (the device's server),
//! [`board`] (clock, device and stack of
//! the server images), [`clock`] (the embassy-time driver on
//! SysTick), [`link`] (the channel device and what drives it), [`net`] (stack configuration).
#![no_std]
#![warn(missing_docs)]

pub mod app;
pub mod board;
pub mod clock;
pub mod device;
pub mod link;
pub mod net;

/// The entry point, task and panic handler of a server image: boots the board
/// ([`board::start`]), then runs `$serve(stack)`, an async function returning a `Result`, in a
/// task; a server that cannot start stops the core (`udf`), as does a panic.
#[macro_export]
macro_rules! server_image {
    ($serve:path) => {
        #[embassy_executor::main]
        async fn main(spawner: embassy_executor::Spawner) {
            let Some(stack) = $crate::board::start(spawner) else {
                return;
            };
            spawner.spawn(http(stack).expect("spawned once"));
        }

        /// Serves HTTP for ever; stops the core if the server cannot start.
        #[embassy_executor::task]
        async fn http(stack: embassy_net::Stack<'static>) {
            if $serve(stack).await.is_err() {
                cortex_m::asm::udf();
            }
        }

        #[panic_handler]
        fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
            cortex_m::asm::udf()
        }
    };
}
