#![no_std]
#![no_main]

use aurora_firmware::clock;
use cortex_m_semihosting::{debug, hprintln};
use embassy_executor::Spawner;
use embassy_time::{Instant, Timer};

#[embassy_executor::main]
async fn main(_spawner: Spawner) {
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        return;
    };
    clock::start(peripherals.SYST);
    let t0 = Instant::now();
    Timer::after_millis(50).await;
    hprintln!("slept {} ms", t0.elapsed().as_millis());
    debug::exit(debug::EXIT_SUCCESS);
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    hprintln!("panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}
