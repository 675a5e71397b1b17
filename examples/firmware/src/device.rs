//! The HTTP server of the `device` image: `aurora_apps::device::Device` (the dashboard page
//! from flash, the JSON status and settings, the live feed of events, the metrics) on the
//! same sockets, memory and configuration as the other images ([`app::serve_with`]).
//!
//! The device keeps its settings and its request count in RAM ([`Local`]): each boot starts
//! from the defaults. Its uptime counts from the first `now` the server hands a response's
//! body, which on this board is the SysTick clock of [`clock`](crate::clock).

use aurora_apps::device::{Device, Local};
use aurora_core::metrics::{RenderError, Renderer};
use aurora_embassy::RunError;
use embassy_net::Stack;

use crate::app;

/// The application: the device with [`app::METRICS`] at `/metrics`, its state in RAM.
pub type App = Device<fn(&mut Renderer<'_>) -> Result<(), RenderError>, Local>;

/// The device at boot: default settings, no request counted yet.
pub fn app() -> App {
    Device::new(app::render_metrics, Local::default())
}

/// Serves the device on `stack`, port [`net::PORT`](crate::net::PORT), for ever. Call once.
///
/// # Errors
///
/// [`RunError`] when the pool does not fit the configuration (checked when the image is built).
///
/// # Panics
///
/// When called a second time (the static memory is taken).
pub async fn serve(stack: Stack<'static>) -> Result<(), RunError> {
    app::serve_with(stack, &mut app()).await
}
