//! The board under a server image: the SysTick clock, the channel device (its frames
//! discarded, where a real board's MAC driver would sit) and the embassy-net stack on it.
//!
//! `hello`, `greeting` and `baseline` start the same way through [`start`], so the difference
//! between their sizes is what they serve, never how they boot.

use embassy_executor::Spawner;
use embassy_net::{Stack, StackResources};
use static_cell::ConstStaticCell;

use crate::{clock, link, net};

/// Starts the clock and the server's stack with room for [`net::CONNECTIONS`] sockets, and
/// spawns the tasks that run the stack and drain the device. `None` when the core peripherals
/// were already taken (the image was started twice).
///
/// # Panics
///
/// When called a second time (the static memory is taken).
pub fn start(spawner: Spawner) -> Option<Stack<'static>> {
    let peripherals = cortex_m::Peripherals::take()?;
    clock::start(peripherals.SYST);
    static LINK: ConstStaticCell<link::State> = ConstStaticCell::new(link::State::new());
    let (runner, device) = link::device(LINK.take(), net::SERVER_MAC);
    static RESOURCES: ConstStaticCell<StackResources<{ net::CONNECTIONS }>> =
        ConstStaticCell::new(StackResources::new());
    let (stack, stack_runner) =
        embassy_net::new(device, net::config(net::SERVER), RESOURCES.take(), 0x5eed);
    spawner.spawn(sink(runner).expect("spawned once"));
    spawner.spawn(run_stack(stack_runner).expect("spawned once"));
    Some(stack)
}

/// Discards what the server sends on the device.
#[embassy_executor::task]
async fn sink(runner: link::Runner) -> ! {
    link::sink(runner).await
}

/// Runs the stack.
#[embassy_executor::task]
async fn run_stack(mut runner: embassy_net::Runner<'static, link::Device>) -> ! {
    runner.run().await
}
