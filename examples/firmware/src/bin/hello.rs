//! Aurora's hello server as Cortex-M4 firmware: the image whose size is what Aurora costs.
//!
//! The executor, the SysTick clock, an embassy-net stack on the channel device (where a board's
//! MAC driver would sit; here its frames are discarded) and aurora-embassy's server with 4 TCP
//! sockets of 1 KiB buffers each, serving `aurora_core::hello::Hello` (greeting, echo,
//! `/metrics`). The `baseline` image has the same glue without HTTP; the difference is the
//! HTTP layer. `qemu-test` runs this same server against a client.
#![no_std]
#![no_main]

use aurora_firmware::{app, clock, link, net};
use embassy_executor::Spawner;
use embassy_net::{Stack, StackResources};
use static_cell::ConstStaticCell;

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        return;
    };
    clock::start(peripherals.SYST);

    static LINK: ConstStaticCell<link::State> = ConstStaticCell::new(link::State::new());
    let (runner, device) = link::device(LINK.take(), net::SERVER_MAC);
    static RESOURCES: ConstStaticCell<StackResources<{ net::CONNECTIONS }>> =
        ConstStaticCell::new(StackResources::new());
    let (stack, stack_runner) =
        embassy_net::new(device, net::config(net::SERVER), RESOURCES.take(), 0x5eed);
    spawner.spawn(sink(runner).expect("spawned once"));
    spawner.spawn(run_stack(stack_runner).expect("spawned once"));
    spawner.spawn(http(stack).expect("spawned once"));
}

#[embassy_executor::task]
async fn sink(runner: link::Runner) -> ! {
    link::sink(runner).await
}

#[embassy_executor::task]
async fn run_stack(mut runner: embassy_net::Runner<'static, link::Device>) -> ! {
    runner.run().await
}

/// Serves HTTP for ever; stops the core if the server cannot start.
#[embassy_executor::task]
async fn http(stack: Stack<'static>) {
    if app::serve(stack).await.is_err() {
        cortex_m::asm::udf();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    cortex_m::asm::udf()
}
