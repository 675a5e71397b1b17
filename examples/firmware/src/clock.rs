//! The embassy-time driver of this firmware: SysTick at 1 kHz, one timer queue.
//!
//! QEMU's mps2-an386 board has no vendor HAL, so the firmware brings its own driver: SysTick
//! counts milliseconds from the 25 MHz core clock, and every tick checks the timer queue for
//! wakers that are due. A tick per millisecond is simple and exact enough for Aurora's 10 ms
//! timer wheel; a real board would use a tickless low-power timer instead.
//!
//! This module owns the tick counter and the queue; it never blocks, and everything it
//! shares with the SysTick exception sits behind a critical section (single core).

use core::cell::{Cell, RefCell};
use core::task::Waker;

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
use critical_section::{CriticalSection, Mutex};
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

/// The core clock of QEMU's mps2-an386 board (and of the real AN386 FPGA image).
pub const CORE_HZ: u32 = 25_000_000;

/// Core cycles per tick: the tick rate is `embassy-time`'s `tick-hz-1_000`.
const CYCLES_PER_TICK: u32 = CORE_HZ / embassy_time_driver::TICK_HZ as u32;

/// Milliseconds since [`start`], the queue of wakers and the next tick that wakes one.
struct SysTickDriver {
    ticks: Mutex<Cell<u64>>,
    alarm: Mutex<Cell<u64>>,
    queue: Mutex<RefCell<Queue>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    ticks: Mutex::new(Cell::new(0)),
    alarm: Mutex::new(Cell::new(u64::MAX)),
    queue: Mutex::new(RefCell::new(Queue::new())),
});

impl SysTickDriver {
    /// Wakes what is due at `now` and remembers the next deadline.
    fn wake_due(&self, cs: CriticalSection<'_>, now: u64) {
        let next = self.queue.borrow(cs).borrow_mut().next_expiration(now);
        self.alarm.borrow(cs).set(next);
    }
}

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| self.ticks.borrow(cs).get())
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            if self.queue.borrow(cs).borrow_mut().schedule_wake(at, waker) {
                // A deadline already past is woken at once rather than a tick later.
                self.wake_due(cs, self.ticks.borrow(cs).get());
            }
        });
    }
}

/// Starts the 1 kHz tick. Call once, before the executor runs.
pub fn start(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(CYCLES_PER_TICK - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let ticks = DRIVER.ticks.borrow(cs);
        let now = ticks.get().wrapping_add(1);
        ticks.set(now);
        if now >= DRIVER.alarm.borrow(cs).get() {
            DRIVER.wake_due(cs, now);
        }
    });
}
