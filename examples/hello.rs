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

#[cfg(any(
    target_os = "linux",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly"
))]
fn main() -> std::process::ExitCode {
    serve::main()
}

#[cfg(not(any(
    target_os = "linux",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly"
)))]
fn main() {
    eprintln!("the hello example needs the Linux, BSD or macOS backend");
    std::process::exit(1);
}

#[cfg(any(
    target_os = "linux",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly"
))]
mod serve {
    use std::io::Write;
    use std::path::PathBuf;
    use std::process::ExitCode;

    #[cfg(not(target_os = "linux"))]
    use aurora::bsd as backend;
    #[cfg(target_os = "linux")]
    use aurora::linux as backend;
    use aurora_apps::hello::Hello;
    use aurora_core::metrics::Renderer;
    use backend::Options;

    /// The variable holding the log filter; the example's own, so it is not passed to
    /// [`Options::load`].
    const LOG_VAR: &str = "AURORA_LOG";

    pub fn main() -> ExitCode {
        env_logger::Builder::from_env(env_logger::Env::new().filter_or(LOG_VAR, "info")).init();

        let config = std::env::var_os("AURORA_CONFIG").map(PathBuf::from);
        let vars = std::env::vars_os()
            .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
            .filter(|(key, _)| key != LOG_VAR);
        let options = match Options::load(config.as_deref(), vars) {
            Ok(options) => options,
            Err(error) => {
                eprintln!("aurora: {error}");
                return ExitCode::from(2);
            }
        };

        let running = match backend::start(options, |cx| {
            let metrics = cx.metrics.clone();
            Hello::new(move |r: &mut Renderer<'_>| metrics.render_into(r))
        }) {
            Ok(running) => running,
            Err(error) => {
                eprintln!("aurora: cannot start: {error}");
                return ExitCode::FAILURE;
            }
        };

        let mut out = std::io::stdout().lock();
        let announced = writeln!(out, "aurora listening on http://{}", running.local_addr())
            .and_then(|()| out.flush());
        drop(out);
        if let Err(error) = announced {
            eprintln!("aurora: cannot write to stdout: {error}");
        }

        match running.run_until_signal() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("aurora: {error}");
                ExitCode::FAILURE
            }
        }
    }
}
