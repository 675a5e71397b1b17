//! The `hello` example (or another: [`command_of`]) as a child process: where `cargo test` built it, a guard that kills it
//! if a test fails, the address it announces, SIGTERM, and a bounded wait for its exit.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a test waits for the example to announce itself or to exit.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// `target/<profile>/examples/hello`, from this test's own path
/// (`target/<profile>/deps/<test>-<hash>`).
pub fn path() -> PathBuf {
    path_of("hello")
}

/// `target/<profile>/examples/<name>`.
pub fn path_of(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().unwrap().parent().unwrap();
    let path = profile.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo test` (it builds the examples) or `cargo build --examples`",
        path.display()
    );
    path
}

/// The example with a clean configuration: no config file, 127.0.0.1 port 0, one worker,
/// stdout and stderr piped. Add `envs`, or change it further, then [`Guard::spawn`] it.
pub fn command(envs: &[(&str, &str)]) -> Command {
    let mut command = Command::new(path());
    configure(&mut command, envs);
    command
}

/// The example `name` with [`command`]'s configuration.
pub fn command_of(name: &str, envs: &[(&str, &str)]) -> Command {
    let mut command = Command::new(path_of(name));
    configure(&mut command, envs);
    command
}

/// Gives `command` (the example, or a wrapper that execs it) [`command`]'s configuration.
pub fn configure(command: &mut Command, envs: &[(&str, &str)]) {
    command
        .env_remove("AURORA_CONFIG")
        .env_remove("LISTEN_PID")
        .env_remove("LISTEN_FDS")
        .env("AURORA_ADDR", "127.0.0.1:0")
        .env("AURORA_WORKERS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in envs {
        command.env(key, value);
    }
}

/// Kills the child if the test fails before it exits.
pub struct Guard(pub Option<Child>);

impl Guard {
    /// Spawns `command`.
    pub fn spawn(mut command: Command) -> Self {
        Guard(Some(command.spawn().expect("spawn the example")))
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.0.as_ref().unwrap().id()
    }

    /// Waits at most [`PATIENCE`] for the one line the example prints on stdout and returns
    /// the address in it. Anything more on stdout fails the test (on a reader thread).
    pub fn announced(&mut self) -> SocketAddr {
        let stdout = self.0.as_mut().unwrap().stdout.take().unwrap();
        let (line_tx, line_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = line_tx.send(line);
            // Anything more on stdout is a broken promise; read it so the test can see it.
            let mut rest = String::new();
            let _ = reader.read_to_string(&mut rest);
            assert!(rest.is_empty(), "more than one line on stdout: {rest:?}");
        });
        let line = line_rx
            .recv_timeout(PATIENCE)
            .expect("the example announces its address in time");
        line.strip_prefix("aurora listening on http://")
            .and_then(|rest| rest.strip_suffix('\n'))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("a socket address")
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let pid = self.pid().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success(), "kill -TERM {pid}");
    }

    /// Waits at most [`PATIENCE`] for the child to exit; its exit code and stderr.
    pub fn wait(mut self) -> (Option<i32>, String) {
        let child = self.0.take().unwrap();
        let pid = child.id();
        let (done, result) = mpsc::channel();
        std::thread::spawn(move || {
            let output = child.wait_with_output();
            let _ = done.send(output);
        });
        match result.recv_timeout(PATIENCE) {
            Ok(output) => {
                let output = output.unwrap();
                (
                    output.status.code(),
                    String::from_utf8_lossy(&output.stderr).into_owned(),
                )
            }
            Err(_) => {
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg(pid.to_string())
                    .status();
                panic!("the example did not exit within {PATIENCE:?}");
            }
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
