//! The `hello` example as a process: it announces its address on stdout, serves, exits with 0
//! after SIGTERM, and refuses to start on an address another server holds. `cargo test`
//! builds the examples next to this test's directory.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

#[path = "util/example.rs"]
mod example;
mod util;

use example::{Guard, command};
use util::{Client, get};

#[test]
fn example_serves_and_stops_on_sigterm() {
    let mut guard = Guard::spawn(command(&[("AURORA_LOG", "warn")]));
    let addr = guard.announced();
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0);

    let mut client = Client::connect(addr);
    let resp = client.request(&get("/"));
    assert_eq!(resp.code, 200);
    assert_eq!(resp.text(), "Hello, World!");
    let resp = client.request(&get("/metrics"));
    assert_eq!(resp.code, 200);
    drop(client);

    guard.terminate();
    let (code, stderr) = guard.wait();
    assert_eq!(code, Some(0), "exit code; stderr:\n{stderr}");
    assert!(
        !stderr.contains("INFO"),
        "AURORA_LOG=warn filters info out:\n{stderr}"
    );
}

#[test]
fn example_refuses_a_bad_config_with_exit_code_2() {
    let guard = Guard::spawn(command(&[("AURORA_MAX_CONNECTIONS", "0")]));
    let (code, stderr) = guard.wait();
    assert_eq!(code, Some(2), "stderr:\n{stderr}");
    assert!(
        stderr.contains("max_connections") || stderr.contains("MAX_CONNECTIONS"),
        "the message names the field: {stderr}"
    );
}

/// Two processes on one address: the second must fail with a clear message and exit code 1,
/// though the first one's listeners carry `SO_REUSEPORT` (two workers, so two of them) and
/// the kernel would let it join them.
#[test]
fn a_second_example_on_a_taken_address_fails() {
    let mut first = Guard::spawn(command(&[("AURORA_WORKERS", "2")]));
    let addr = first.announced().to_string();
    let second = Guard::spawn(command(&[("AURORA_ADDR", &addr), ("AURORA_WORKERS", "2")]));
    let (code, stderr) = second.wait();
    assert_eq!(code, Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains(&format!("binding {addr}: the address is already in use")),
        "{stderr}"
    );
    let mut client = Client::connect(addr.parse().unwrap());
    assert_eq!(client.request(&get("/")).code, 200);
    first.terminate();
    let (code, stderr) = first.wait();
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
    // The log's default level is info.
    assert!(stderr.contains("workers listening on"), "{stderr}");
}
