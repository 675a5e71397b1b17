//! The device dashboard: [`Device`](aurora_apps::device::Device) — an embedded page, a JSON
//! API, a live feed of Server-Sent Events and the metrics — on the platform's backend, its
//! state shared by every worker.
//!
//! ```text
//! cargo run --release --example device
//! ```
//!
//! Configuration comes from the TOML file named by `AURORA_CONFIG` (if set), then the
//! `AURORA_*` variables; a bad value prints the reason and exits with 2. `AURORA_LOG` filters
//! the log as `RUST_LOG` does for `env_logger` (a level such as `debug`, or per module:
//! `warn,aurora_unix=debug`; default `info`; logs go to stderr). Once bound, the server prints
//! exactly one line, `aurora listening on http://ADDR`, and serves until SIGINT or SIGTERM,
//! then shuts down gracefully and exits with 0. An address another server holds stops it with
//! the reason and exit code 1. Started by systemd with a listening socket (`LISTEN_FDS`), it
//! serves that socket instead of binding (`docs/DEPLOY.md`).

#[macro_use]
#[path = "support/platform.rs"]
mod platform;

on_a_backend! { "device",
    fn main() -> std::process::ExitCode {
        serve::main()
    }

    #[path = "support/serve.rs"]
    mod serve_support;

    mod serve {
        use std::process::ExitCode;

        use std::sync::{Arc, Mutex, PoisonError};

        use aurora_apps::device::{Config, Device, Local, Store};
        use aurora_core::metrics::Renderer;
        use aurora_core::time::Instant;

        /// The device's state, shared by every worker.
        struct Shared(Arc<Mutex<Local>>);

        impl Shared {
            fn with<T>(&self, f: impl FnOnce(&mut Local) -> T) -> T {
                f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
            }
        }

        impl Store for Shared {
            fn config(&self) -> Config {
                self.with(|local| local.config())
            }

            fn set_config(&mut self, config: Config) {
                self.with(|local| local.set_config(config));
            }

            fn count_request(&mut self) {
                self.with(Local::count_request);
            }

            fn requests(&self) -> u64 {
                self.with(|local| local.requests())
            }

            fn start(&mut self, now: Instant) -> Instant {
                self.with(|local| local.start(now))
            }
        }

        pub fn main() -> ExitCode {
            let shared = Arc::new(Mutex::new(Local::default()));
            super::serve_support::main(move |cx| {
                let metrics = cx.metrics.clone();
                let render = move |r: &mut Renderer<'_>| metrics.render_into(r);
                Device::new(render, Shared(Arc::clone(&shared)))
            })
        }
    }
}
