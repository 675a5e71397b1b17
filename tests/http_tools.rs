//! Independent clients and parsers against the demo: `curl`, Python's `http.client`,
//! `promtool check metrics` and Python's `prometheus_client` parser.
//!
//! `curl` and `python3` come with a fresh Debian machine, so their tests run with every
//! `cargo test`. `promtool` and `prometheus_client` do not: their tests are `#[ignore]`d, and
//! `.ci/run` installs both and runs them with `cargo test --test http_tools -- --ignored`.
//! Nothing is skipped silently: a missing tool fails its test with the command that installs
//! it.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod util;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use util::{Server, get};

/// Runs `command` with stdin `input`, waiting at most 30 s.
fn run(mut command: Command, input: &[u8], install: &str) -> Output {
    let program = command.get_program().to_string_lossy().into_owned();
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{program}` ({e}); install it: {install}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let pid = child.id();
    let output = within_or_kill(pid, move || child.wait_with_output().unwrap());
    feeder.join().unwrap();
    output
}

/// Like `util::within`, but kills process `pid` when time runs out.
fn within_or_kill<T: Send + 'static>(pid: u32, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(f());
    });
    match wait.recv_timeout(Duration::from_secs(30)) {
        Ok(value) => value,
        Err(_) => {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
            panic!("process {pid} did not finish within 30 s");
        }
    }
}

fn ok(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

const CURL: &str = "apt-get install curl";

fn curl(args: &[&str]) -> Output {
    let mut command = Command::new("curl");
    command
        .args(["-sS", "--http1.1", "--max-time", "20"])
        .args(args);
    run(command, b"", CURL)
}

/// A file in the target directory for upload bodies.
fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .join("http_tools");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn curl_reuses_one_connection_for_two_urls() {
    let server = Server::start();
    let base = format!("http://{}", server.addr);
    let output = curl(&[
        "-w",
        "%{http_code} %{num_connects}\n",
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        &format!("{base}/one"),
        &format!("{base}/two"),
    ]);
    ok(&output, "curl");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "200 1\n200 0\n");
}

#[test]
fn curl_get_and_post() {
    let server = Server::start();
    let url = format!("http://{}/", server.addr);
    let output = curl(&[&url]);
    ok(&output, "curl GET");
    assert_eq!(output.stdout, b"Hello, World!");
    let output = curl(&["--data-binary", "posted bytes", &url]);
    ok(&output, "curl POST");
    assert_eq!(output.stdout, b"posted bytes");
}

#[test]
fn curl_chunked_upload() {
    let server = Server::start();
    let body = util::binary(30_000);
    let file = temp_file("chunked", &body);
    let output = curl(&[
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        &format!("@{}", file.display()),
        &format!("http://{}/up", server.addr),
    ]);
    let _ = std::fs::remove_file(&file);
    ok(&output, "curl chunked upload");
    assert_eq!(output.stdout, body);
}

#[test]
fn curl_http10() {
    let server = Server::start();
    let mut command = Command::new("curl");
    command.args([
        "-sS",
        "--http1.0",
        "--max-time",
        "20",
        "-D",
        "-",
        &format!("http://{}/", server.addr),
    ]);
    let output = run(command, b"", CURL);
    ok(&output, "curl --http1.0");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.ends_with("\r\n\r\nHello, World!"), "{text}");
}

#[test]
fn curl_expect_100_continue() {
    let server = Server::start();
    let body = util::binary(20_000);
    let file = temp_file("expect", &body);
    let output = curl(&[
        "-v",
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        &format!("@{}", file.display()),
        &format!("http://{}/up", server.addr),
    ]);
    let _ = std::fs::remove_file(&file);
    ok(&output, "curl with Expect: 100-continue");
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("Expect: 100-continue"), "{log}");
    assert!(log.contains("HTTP/1.1 100 Continue"), "{log}");
    assert_eq!(output.stdout, body);
}

#[test]
fn python_http_client() {
    let server = Server::start();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/http_client_check.py");
    let mut command = Command::new("python3");
    command
        .arg(script)
        .arg(server.addr.ip().to_string())
        .arg(server.addr.port().to_string());
    let output = run(command, b"", "apt-get install python3");
    ok(&output, "http_client_check.py");
}

/// The `/metrics` body after some traffic, errors included.
fn metrics_text(server: &Server) -> Vec<u8> {
    let mut client = server.connect();
    for _ in 0..5 {
        assert_eq!(client.request(&get("/")).code, 200);
    }
    let mut bad = server.connect();
    bad.send(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    assert_eq!(bad.response().code, 400);
    let resp = client.request(&get("/metrics"));
    assert_eq!(resp.code, 200);
    assert_eq!(
        resp.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    resp.body
}

#[test]
#[ignore = "needs promtool (Debian package `prometheus`); .ci/run installs it and runs this"]
fn promtool_accepts_the_metrics() {
    let server = Server::start();
    let text = metrics_text(&server);
    let mut command = Command::new("promtool");
    command.args(["check", "metrics"]);
    let output = run(
        command,
        &text,
        "`apt-get install prometheus` (it provides promtool)",
    );
    ok(
        &output,
        &format!(
            "promtool check metrics on:\n{}\n",
            String::from_utf8_lossy(&text)
        ),
    );
}

#[test]
#[ignore = "needs Python's prometheus_client; .ci/run installs it and runs this"]
fn prometheus_client_parses_the_metrics() {
    let server = Server::start();
    let text = metrics_text(&server);
    let mut command = Command::new("python3");
    command.args([
        "-c",
        "import sys\n\
         from prometheus_client.parser import text_string_to_metric_families\n\
         families = list(text_string_to_metric_families(sys.stdin.read()))\n\
         assert families, 'no metric families'\n\
         print(len(families))\n",
    ]);
    let output = run(command, &text, "`pip install prometheus_client`");
    ok(
        &output,
        &format!(
            "prometheus_client parser on:\n{}\n",
            String::from_utf8_lossy(&text)
        ),
    );
}
