//! The size baseline: everything `hello` links except HTTP.
//!
//! The same executor, clock, embassy-net stack, channel device and 4 TCP sockets with 1 KiB
//! buffers, each serving a plain byte echo. `hello`'s size minus this image's is what Aurora's
//! HTTP layer (parser, connection engine, driver, the demo application) costs.
#![no_std]
#![no_main]

use aurora_firmware::{board, net};
use embassy_executor::Spawner;
use embassy_net::Stack;
use embassy_net::tcp::TcpSocket;

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let Some(stack) = board::start(spawner) else {
        return;
    };
    for _ in 0..net::CONNECTIONS {
        spawner.spawn(echo(stack).expect("one per connection"));
    }
}

/// Accepts on the server port and echoes every byte until the peer closes, for ever.
#[embassy_executor::task(pool_size = net::CONNECTIONS)]
async fn echo(stack: Stack<'static>) -> ! {
    let mut rx = [0u8; net::TCP_BUFFER];
    let mut tx = [0u8; net::TCP_BUFFER];
    loop {
        let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
        if socket.accept(net::PORT).await.is_err() {
            continue;
        }
        let mut buf = [0u8; 256];
        while let Ok(n @ 1..) = socket.read(&mut buf).await {
            if socket.write(&buf[..n]).await.is_err() {
                break;
            }
        }
        socket.close();
        let _ = socket.flush().await;
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    cortex_m::asm::udf()
}
