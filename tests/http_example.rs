//! The `hello` example as a process: it announces its address on stdout, serves, and exits
//! with 0 after SIGTERM. `cargo test` builds the examples next to this test's directory.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod util;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use util::{Client, get};

/// `target/<profile>/examples/hello`, from this test's own path
/// (`target/<profile>/deps/http_example-<hash>`).
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().unwrap().parent().unwrap();
    let path = profile.join("examples").join("hello");
    assert!(
        path.exists(),
        "{} is missing: run `cargo test` (it builds the examples) or `cargo build --examples`",
        path.display()
    );
    path
}

/// Kills the child if the test fails before it exits.
struct Guard(Option<Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn spawn(envs: &[(&str, &str)]) -> Guard {
    let mut command = Command::new(example());
    command
        .env_remove("AURORA_CONFIG")
        .env("AURORA_ADDR", "127.0.0.1:0")
        .env("AURORA_WORKERS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in envs {
        command.env(key, value);
    }
    Guard(Some(command.spawn().expect("spawn the example")))
}

/// Waits at most 10 s for the child to exit; its exit code and stderr.
fn wait(mut guard: Guard) -> (Option<i32>, String) {
    let child = guard.0.take().unwrap();
    let pid = child.id();
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let output = child.wait_with_output();
        let _ = done.send(output);
    });
    match result.recv_timeout(Duration::from_secs(10)) {
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
            panic!("the example did not exit within 10 s");
        }
    }
}

#[test]
fn example_serves_and_stops_on_sigterm() {
    let mut guard = spawn(&[("AURORA_LOG", "warn")]);
    let child = guard.0.as_mut().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (line_tx, line_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = line_tx.send(line);
        // Anything more on stdout is a broken promise; read it so the test can see it.
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut reader, &mut rest);
        assert!(rest.is_empty(), "more than one line on stdout: {rest:?}");
    });
    let line = line_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the example announces its address within 10 s");
    let addr: SocketAddr = line
        .strip_prefix("aurora listening on http://")
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .expect("a socket address");
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0);

    let mut client = Client::connect(addr);
    let resp = client.request(&get("/"));
    assert_eq!(resp.code, 200);
    assert_eq!(resp.text(), "Hello, World!");
    let resp = client.request(&get("/metrics"));
    assert_eq!(resp.code, 200);
    drop(client);

    let pid = child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success(), "kill -TERM {pid}");
    let (code, stderr) = wait(guard);
    assert_eq!(code, Some(0), "exit code; stderr:\n{stderr}");
}

#[test]
fn example_refuses_a_bad_config_with_exit_code_2() {
    let guard = spawn(&[("AURORA_MAX_CONNECTIONS", "0")]);
    let (code, stderr) = wait(guard);
    assert_eq!(code, Some(2), "stderr:\n{stderr}");
    assert!(
        stderr.contains("max_connections") || stderr.contains("MAX_CONNECTIONS"),
        "the message names the field: {stderr}"
    );
}
