//! Aurora serving one fixed greeting, as Cortex-M4 firmware: the same application as a minimal
//! "hello world" server, for comparing Aurora's cost with other embedded HTTP servers on equal
//! terms (`hello` serves more: echo and `/metrics`).
//!
//! The same glue as `hello` and `baseline`, and aurora-embassy's server with the same 4 sockets,
//! configuration and limits, but a handler that answers every request with `200` and
//! `Hello, World!`, and a pool without the 16 KiB buffer only `/metrics` needs.
#![no_std]
#![no_main]

use aurora_core::conn::Responder;
use aurora_core::http::Status;
use aurora_core::http::request::Request;
use aurora_embassy::{Memory, Options, RunError};
use aurora_firmware::{app, net};
use embassy_net::Stack;
use static_cell::ConstStaticCell;

/// Buffers in each size class: a read buffer and an output queue for each connection.
const POOL_BUFFERS: [u16; 5] = [0, 8, 0, 0, 0];

/// Bytes of the pool and the arena.
const POOL_BYTES: usize = 8 * 4 * 1024 + app::ARENA_BYTES;

/// The server's options: `hello`'s configuration with this pool.
static OPTIONS: Options = Options::new(net::PORT, config());

aurora_firmware::server_image!(serve);

/// Serves the greeting for ever.
///
/// # Errors
///
/// [`RunError`] when the configuration does not validate or the pool does not fit it.
async fn serve(stack: Stack<'static>) -> Result<(), RunError> {
    static POOL: ConstStaticCell<Memory<POOL_BYTES, 8, { app::MAX_HEADERS }>> =
        ConstStaticCell::new(Memory::new());
    let mut greet = |_: &Request<'_>, _: &[u8], res: &mut Responder<'_>| {
        let _ = res.send(
            Status::OK,
            &[("Content-Type", b"text/plain")],
            b"Hello, World!",
        );
    };
    app::serve_with(stack, POOL.take(), &OPTIONS, &mut greet).await
}

/// `hello`'s configuration with a pool of 4 KiB buffers only.
const fn config() -> aurora_core::config::ServerConfig {
    let mut config = app::config();
    config.pools.buffers = POOL_BUFFERS;
    config
}
