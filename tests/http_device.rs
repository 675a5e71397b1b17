//! The `device` example as a process, checked with independent clients on 127.0.0.1: `curl`
//! for the routes (a table of method × path × expected status), the page's asset rules
//! (`ETag`, `304`, gzip, ranges) and the event stream, and Python's `http.client` for the
//! JSON API (`tests/http_device_check.py`). Every client runs with a time limit.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

#[path = "util/example.rs"]
mod example;

use std::net::SocketAddr;
use std::process::{Command, Output};

use example::{Guard, command_of};

/// The page the example embeds.
const PAGE: &[u8] = include_bytes!("../examples/apps/assets/device.html");

fn start() -> (Guard, SocketAddr) {
    let mut guard = Guard::spawn(command_of("device", &[("AURORA_LOG", "warn")]));
    let addr = guard.announced();
    (guard, addr)
}

/// `curl` with a 10 s limit and `args`, at `path` of `addr`.
fn curl(addr: SocketAddr, path: &str, args: &[&str]) -> Output {
    let output = Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(args)
        .arg(format!("http://{addr}{path}"))
        .output()
        .expect("run curl (Debian package curl)");
    assert!(
        output.status.success() || output.status.code() == Some(28),
        "curl {args:?} {path}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The status code curl saw.
fn code(addr: SocketAddr, method: &str, path: &str, extra: &[&str]) -> u16 {
    let mut args = vec!["-o", "/dev/null", "-w", "%{http_code}", "-X", method];
    if method == "HEAD" {
        args = vec!["-o", "/dev/null", "-w", "%{http_code}", "-I"];
    }
    args.extend_from_slice(extra);
    let out = curl(addr, path, &args);
    String::from_utf8_lossy(&out.stdout).parse().unwrap()
}

/// The response head curl printed, lower-cased.
fn head(addr: SocketAddr, path: &str, extra: &[&str]) -> String {
    let mut args = vec!["-o", "/dev/null", "-D", "-"];
    args.extend_from_slice(extra);
    String::from_utf8_lossy(&curl(addr, path, &args).stdout).to_lowercase()
}

/// The value of header `name` in `head`.
fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

#[test]
fn routes_answer_by_table() {
    let (guard, addr) = start();
    let json: &[&str] = &["-H", "Content-Type: application/json", "--data-binary"];
    let valid = r#"{"name":"a","interval_ms":100,"led":false}"#;
    macro_rules! t {
        ($($method:literal $path:literal $($extra:expr)? => $want:literal;)+) => {$({
            let extra: Vec<&str> = {
                #[allow(unused_mut)]
                let mut v: Vec<&str> = Vec::new();
                $(v.extend_from_slice($extra);)?
                v
            };
            assert_eq!(code(addr, $method, $path, &extra), $want, "{} {}", $method, $path);
        })+};
    }
    let put = |body: &'static str| -> Vec<&'static str> {
        let mut v = json.to_vec();
        v.push(body);
        v
    };
    let (ok, bad_json, bad_range, text) = (
        put(valid),
        put(r#"{"name":"#),
        put(r#"{"name":"","interval_ms":1,"led":false}"#),
        vec!["-H", "Content-Type: text/plain", "--data-binary", valid],
    );
    t! {
        "GET" "/" => 200;
        "HEAD" "/" => 200;
        "POST" "/" => 405;
        "OPTIONS" "/" => 204;
        "GET" "/api/status" => 200;
        "HEAD" "/api/status" => 200;
        "DELETE" "/api/status" => 405;
        "GET" "/api/config" => 200;
        "PUT" "/api/config" &ok => 200;
        "PUT" "/api/config" &bad_json => 400;
        "PUT" "/api/config" &bad_range => 422;
        "PUT" "/api/config" &text => 415;
        "OPTIONS" "/api/config" => 204;
        "POST" "/api/config" => 405;
        "HEAD" "/api/events" => 200;
        "GET" "/metrics" => 200;
        "GET" "/api" => 404;
        "GET" "/api/" => 404;
        "GET" "/index.html" => 404;
        "GET" "/api/status/" => 404;
        "GET" "/api/status?x=1" => 200;
    }
    let allow = head(addr, "/api/config", &["-X", "DELETE"]);
    assert_eq!(header(&allow, "allow"), Some("get, head, put, options"));
    let big = "x".repeat(600);
    let mut args = json.to_vec();
    args.push(&big);
    assert_eq!(code(addr, "PUT", "/api/config", &args), 413);
    drop(guard);
}

#[test]
fn page_follows_the_asset_rules() {
    let (guard, addr) = start();
    let plain = curl(addr, "/", &[]);
    assert_eq!(plain.stdout, PAGE);
    let gz = curl(addr, "/", &["--compressed"]);
    assert_eq!(gz.stdout, PAGE, "the gzip variant decodes to the page");

    let h = head(addr, "/", &[]);
    let etag = header(&h, "etag").unwrap().to_owned();
    assert_eq!(header(&h, "vary"), Some("accept-encoding"));
    assert_eq!(header(&h, "content-encoding"), None);
    assert_eq!(header(&h, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));
    let hz = head(addr, "/", &["-H", "Accept-Encoding: gzip"]);
    let etag_gz = header(&hz, "etag").unwrap().to_owned();
    assert_eq!(header(&hz, "content-encoding"), Some("gzip"));
    assert_ne!(etag, etag_gz, "each variant has its own strong tag");
    let refused = head(addr, "/", &["-H", "Accept-Encoding: gzip;q=0"]);
    assert_eq!(header(&refused, "content-encoding"), None);

    let inm = format!("If-None-Match: {etag}");
    assert_eq!(code(addr, "GET", "/", &["-H", &inm]), 304);
    assert_eq!(
        code(addr, "GET", "/", &["-H", "If-None-Match: \"other\""]),
        200
    );
    let h304 = head(addr, "/", &["-H", &inm]);
    assert_eq!(header(&h304, "etag"), Some(etag.as_str()));

    let part = curl(addr, "/", &["-H", "Range: bytes=0-14"]);
    assert_eq!(part.stdout, &PAGE[..15]);
    let hr = head(addr, "/", &["-H", "Range: bytes=-5"]);
    assert!(hr.starts_with("http/1.1 206"), "{hr}");
    let total = PAGE.len();
    let want = format!("bytes {}-{}/{total}", total - 5, total - 1);
    assert_eq!(header(&hr, "content-range"), Some(want.as_str()));
    let past = format!("Range: bytes={total}-");
    assert_eq!(code(addr, "GET", "/", &["-H", &past]), 416);
    let h416 = head(addr, "/", &["-H", &past]);
    assert_eq!(
        header(&h416, "content-range"),
        Some(format!("bytes */{total}").as_str())
    );
    drop(guard);
}

#[test]
fn events_arrive_per_interval() {
    let (guard, addr) = start();
    let set = r#"{"name":"fast","interval_ms":100,"led":true}"#;
    let json = [
        "-H",
        "Content-Type: application/json",
        "-X",
        "PUT",
        "--data-binary",
        set,
    ];
    curl(addr, "/api/config", &json);
    // 10 intervals of 100 ms in a 1.05 s window: about 11 events (the first at once).
    let out = curl(addr, "/api/events", &["-N", "--max-time", "1.05"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let events = text.matches("event: status\ndata: {").count();
    assert!((6..=13).contains(&events), "{events} events:\n{text}");
    assert!(text.contains(r#""name":"fast""#));
    drop(guard);
}

#[test]
fn python_checks_the_json_api() {
    let (guard, addr) = start();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/http_device_check.py");
    let output = Command::new("timeout")
        .args([
            "30",
            "python3",
            script,
            &addr.ip().to_string(),
            &addr.port().to_string(),
        ])
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    drop(guard);
}

#[test]
fn stops_on_sigterm() {
    let (guard, addr) = start();
    assert_eq!(code(addr, "GET", "/api/status", &[]), 200);
    guard.terminate();
    let (code, stderr) = guard.wait();
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
}
