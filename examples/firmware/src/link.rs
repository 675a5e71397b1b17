//! The network device of the firmware: embassy-net-driver-channel carrying Ethernet frames.
//!
//! The channel driver is the seam where a board's MAC driver would sit: the stack sees a
//! [`Device`], and whatever moves frames drives its [`Runner`]. Here two things can: [`cable`]
//! joins two devices back to back (the on-target test's client and server stacks), and
//! [`sink`] discards what one stack sends (the size images, whose only job is to link every
//! byte a real board needs above its MAC).
//!
//! This module owns only the frame hand-over; it never parses a frame.

use embassy_futures::join::join;
use embassy_net_driver_channel::driver::{HardwareAddress, LinkState};
use embassy_net_driver_channel::{RxRunner, TxRunner};

/// The largest Ethernet frame the link carries (1500 bytes of IP and the 14-byte header).
pub const MTU: usize = 1514;

/// Frames buffered in each direction of one device.
pub const QUEUE: usize = 4;

/// The memory of one device: its receive and transmit queues.
pub type State = embassy_net_driver_channel::State<MTU, QUEUE, QUEUE>;

/// What a stack talks to.
pub type Device = embassy_net_driver_channel::Device<'static, MTU>;

/// What a link (a MAC driver, the cable, the sink) drives.
pub type Runner = embassy_net_driver_channel::Runner<'static, MTU>;

/// A device on `state` with the MAC address `mac`, its link up.
pub fn device(state: &'static mut State, mac: [u8; 6]) -> (Runner, Device) {
    let (mut runner, device) =
        embassy_net_driver_channel::new(state, HardwareAddress::Ethernet(mac));
    runner.set_link_state(LinkState::Up);
    (runner, device)
}

/// Carries every frame one device sends to the other, both ways, for ever.
pub async fn cable(a: Runner, b: Runner) -> ! {
    let (_, a_rx, a_tx) = a.split();
    let (_, b_rx, b_tx) = b.split();
    join(carry(a_tx, b_rx), carry(b_tx, a_rx)).await;
    unreachable!("carry never returns")
}

/// Discards every frame a device sends, for ever; it receives none.
pub async fn sink(runner: Runner) -> ! {
    let (_, _rx, mut tx) = runner.split();
    loop {
        tx.tx_buf().await;
        tx.tx_done();
    }
}

/// Moves frames from one device's transmit queue to another's receive queue.
async fn carry(mut from: TxRunner<'static, MTU>, mut to: RxRunner<'static, MTU>) -> ! {
    loop {
        let frame = from.tx_buf().await;
        let slot = to.rx_buf().await;
        // The channel gives out frames of at most MTU bytes and receive slots of MTU bytes.
        let len = frame.len().min(slot.len());
        slot[..len].copy_from_slice(&frame[..len]);
        to.rx_done(len);
        from.tx_done();
    }
}
