//! The device page in a real browser: Debian's `chromium`, headless, loads `/` from the
//! running `device` example, its script fetches `/api/status`, and the rendered DOM
//! (`--dump-dom`) must show the status. `.ci/run` installs chromium; in CI (`CI=true`) a
//! missing chromium fails this test, elsewhere it is skipped with a message.
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
fn the_page_shows_the_status_in_a_browser() {
    let Some(browser) = chromium() else {
        let install = "apt-get install chromium (Debian)";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromium is missing in CI; install it: {install}"
        );
        eprintln!("skipped: chromium is not installed ({install})");
        return;
    };
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

    // `--timeout` dumps the DOM that long after the load began, scripts run meanwhile.
    let output = Command::new("timeout")
        .args(["60", browser, "--headless", "--no-sandbox", "--disable-gpu"])
        .args(["--no-first-run", "--timeout=3000", "--dump-dom"])
        .arg(format!("http://{addr}/"))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        dom.contains(r#"<dd id="name">seen-by-chromium</dd>"#),
        "the DOM shows the name from /api/status:\n{dom}"
    );
    assert!(
        dom.contains(r#"<dd id="led" data-on="true">on</dd>"#),
        "{dom}"
    );
    assert!(dom.contains(r#"<dd id="interval">500</dd>"#), "{dom}");
    drop(guard);
}
