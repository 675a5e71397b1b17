//! The device page in a real browser: Debian's `chromium`, headless, loads `/` from the
//! running `device` example, its script fetches `/api/status`, and the rendered DOM (read
//! over the DevTools protocol by `http_browser_dom.py`) must show the status. A fresh machine
//! has no chromium, so the test is `#[ignore]`d; `.ci/run` installs chromium and runs it with
//! `--ignored`, where a missing browser fails it.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

#[path = "util/example.rs"]
mod example;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use example::{Guard, command_of};

/// The browser's command, if one is installed.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|name| {
        Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
#[ignore = "needs chromium (Debian package); .ci/run installs it and runs this"]
fn the_page_shows_the_status_in_a_browser() {
    let browser = chromium().expect("chromium is not installed: apt-get install chromium (Debian)");
    let mut guard = Guard::spawn(command_of("device", &[("AURORA_LOG", "warn")]));
    let addr = guard.announced();

    // A name the page can only show if its script fetched the status.
    let body = r#"{"name":"seen-by-chromium","interval_ms":500,"led":true}"#;
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "PUT /api/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // The DevTools protocol lets the check wait for the page's script and its fetches
    // while the page's live event stream stays open.
    let expected = [
        r#"<dd id="name">seen-by-chromium</dd>"#,
        r#"<dd id="led" data-on="true">on</dd>"#,
        r#"<dd id="interval">500</dd>"#,
    ];
    let output = Command::new("timeout")
        .args(["60", "python3", "tests/http_browser_dom.py", browser])
        .arg(format!("http://{addr}/"))
        .args(expected)
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "the DOM shows the status the page fetched from /api/status:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    drop(guard);
}
