//! The demo server: [`Hello`](aurora_core::hello::Hello) on the platform's backend, as the
//! `aurora` facade picks it: epoll on Linux, kqueue on FreeBSD, DragonFly and macOS.
//!
//! ```text
//! cargo run --release --example hello
//! AURORA_ADDR=127.0.0.1:0 AURORA_LOG=debug cargo run --example hello
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

on_a_backend! { "hello",
    fn main() -> std::process::ExitCode {
        serve::main()
    }

    #[path = "support/serve.rs"]
    mod serve_support;

    mod serve {
        use std::process::ExitCode;

        use aurora_apps::hello::Hello;
        use aurora_core::metrics::Renderer;

        pub fn main() -> ExitCode {
            super::serve_support::main(|cx| {
                let metrics = cx.metrics.clone();
                Hello::new(move |r: &mut Renderer<'_>| metrics.render_into(r))
            })
        }
    }
}
