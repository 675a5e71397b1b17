//! What the examples share: configuration from `AURORA_CONFIG` and `AURORA_*`, the log
//! filter in `AURORA_LOG`, the one line announcing the address, and the run until SIGINT or
//! SIGTERM. Each example passes the handler each worker serves.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[cfg(not(target_os = "linux"))]
use aurora::bsd as backend;
#[cfg(target_os = "linux")]
use aurora::linux as backend;
use aurora_core::conn::Handler;
use backend::Options;
pub use backend::WorkerContext;

/// The variable holding the log filter; the examples' own, so it is not passed to
/// [`Options::load`].
const LOG_VAR: &str = "AURORA_LOG";

/// Loads the configuration, starts the server with a handler per worker from
/// `make_handler`, announces the address and serves until a signal: exit code 0 after a
/// graceful stop, 2 for a bad configuration, 1 for any other failure.
pub fn main<H, F>(make_handler: F) -> ExitCode
where
    H: Handler + 'static,
    F: Fn(&WorkerContext) -> H + Send + Sync + 'static,
{
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

    let running = match backend::start(options, make_handler) {
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
