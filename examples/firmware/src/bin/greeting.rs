//! Aurora serving one fixed greeting, as Cortex-M4 firmware: the same application as a minimal
//! "hello world" server, for comparing Aurora's cost with other embedded HTTP servers on equal
//! terms (`hello` serves more: echo and `/metrics`).
//!
//! The same glue as `hello` and `baseline`, and aurora-embassy's server with the same 4 sockets
//! and limits, but a handler that answers every request with `200` and `Hello, World!`, and
//! the small pool ([`app::small_config`]): 2 KiB of buffers per connection, heads up to 1 KiB,
//! as picoserve's hello has. It serves no metrics, so it records none ([`NoMetrics`]).
#![no_std]
#![no_main]

use aurora_core::conn::{RequestBody, Responder};
use aurora_core::http::Status;
use aurora_core::http::request::Request;
use aurora_core::http::response::CheckedFields;
use aurora_core::metrics::NoMetrics;
use aurora_embassy::{Checked, Options, RunError};
use aurora_firmware::{app, net};
use embassy_net::Stack;
use static_cell::ConstStaticCell;

aurora_firmware::server_image!(serve);

/// The greeting's header field, checked while the image is built (a bad one fails the build),
/// so no response checks it again.
const TEXT: CheckedFields<'static> = match CheckedFields::new(&[("Content-Type", b"text/plain")]) {
    Ok(fields) => fields,
    Err(_) => panic!("an invalid header field"),
};

/// Serves the greeting for ever.
///
/// # Errors
///
/// [`RunError`] when the pool does not fit the configuration (checked when the image is built).
async fn serve(stack: Stack<'static>) -> Result<(), RunError> {
    let mut greet = |_: &Request<'_>, _: RequestBody<'_>, res: &mut Responder<'_>| {
        let _ = res.send_checked(Status::OK, TEXT, b"Hello, World!");
    };
    static MEMORY: ConstStaticCell<app::SmallMemory> =
        ConstStaticCell::new(app::SmallMemory::new());
    static OPTIONS: Checked = Options::checked(net::PORT, app::small_config());
    app::serve_in(stack, MEMORY.take(), &OPTIONS, &NoMetrics, &mut greet).await
}
