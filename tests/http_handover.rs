//! Restarts without a failed request: the `hello` example served from an inherited listening
//! socket (systemd's socket activation), under load, replaced by a new process on the same
//! socket — the new one started, then the old one sent SIGTERM — several times over.
//!
//! The test plays the service manager: it binds the socket, keeps it open, and starts every
//! server with it as descriptor 3, `LISTEN_FDS=1` and `LISTEN_PID` set to the server's own id
//! (by a `sh` that exports its `$$` and execs the example). Clients are keep-alive loops that
//! reconnect when a server closes. A request whose connection was reused and closed or reset
//! before any byte of its response arrived is retried on a new connection, as HTTP clients
//! retry an idempotent request on a kept-alive connection the server closed meanwhile; any
//! other error — a fresh connection that answers nothing, a partial response, a wrong
//! status or body, a timeout — is a failed request, and there must be none.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

#[path = "util/example.rs"]
mod example;
mod util;

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use example::Guard;
use util::Client;

/// Client threads.
const CLIENTS: usize = 4;
/// How many times a running server is replaced by a new one.
const REPLACEMENTS: usize = 3;
/// Requests completed between two replacements (and before the first, after the last).
const REQUESTS_BETWEEN: usize = 400;
/// Bounds on the load: requests per client, and time for the whole test.
const MAX_REQUESTS_PER_CLIENT: usize = 100_000;
const TIME_LIMIT: Duration = Duration::from_secs(60);
/// Retries of one request before it counts as failed.
const MAX_RETRIES: usize = 5;

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: handover\r\n\r\n";

/// What the clients counted.
#[derive(Default)]
struct Tally {
    completed: AtomicUsize,
    retried: AtomicUsize,
    failures: std::sync::Mutex<Vec<String>>,
}

/// Starts the example on `listener`, passed as descriptor 3 the way systemd passes it.
fn activated(listener: &TcpListener) -> Guard {
    let fd = listener.as_raw_fd();
    let mut command = Command::new("sh");
    command.args([
        "-c",
        "LISTEN_PID=$$; export LISTEN_PID; exec \"$0\"",
        example::path().to_str().unwrap(),
    ]);
    example::configure(
        &mut command,
        &[
            ("LISTEN_FDS", "1"),
            ("AURORA_WORKERS", "2"),
            // Not bound: the passed socket is served instead. A port in use would fail.
            ("AURORA_ADDR", "127.0.0.1:1"),
            ("AURORA_LOG", "warn"),
        ],
    );
    // SAFETY: between fork and exec this calls only `dup2` and `fcntl`, which are
    // async-signal-safe, and allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if fd == 3 {
                // dup2 onto itself keeps close-on-exec: clear it instead.
                if libc::fcntl(3, libc::F_SETFD, 0) == -1 {
                    return Err(io::Error::last_os_error());
                }
            } else if libc::dup2(fd, 3) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Guard::spawn(command)
}

/// One client: GET after GET until `stop`, reconnecting when a server closes.
fn client(addr: SocketAddr, stop: &AtomicBool, tally: &Tally, started: Instant) {
    let mut conn: Option<Client> = None;
    for _ in 0..MAX_REQUESTS_PER_CLIENT {
        if stop.load(Ordering::Relaxed) || started.elapsed() > TIME_LIMIT {
            return;
        }
        let mut retries = 0;
        loop {
            let reused = conn.is_some();
            let mut c = match conn.take() {
                Some(c) => c,
                None => match Client::try_connect(addr) {
                    Ok(c) => c,
                    Err(e) => {
                        fail(tally, format!("connect: {e}"));
                        return;
                    }
                },
            };
            let answer = match c.stream.write_all(REQUEST) {
                Ok(()) => c.read(false),
                // Nothing of a response arrived: the same as a close before its first byte.
                Err(e) if is_closed(&e) => Ok(None),
                Err(e) => Err(e),
            };
            match answer {
                Ok(Some(resp)) if resp.code == 200 && resp.body == b"Hello, World!" => {
                    tally.completed.fetch_add(1, Ordering::Relaxed);
                    if !resp.closes() {
                        conn = Some(c);
                    }
                    break;
                }
                Ok(Some(resp)) => {
                    fail(tally, format!("{} {:?}", resp.code, resp.text()));
                    break;
                }
                Ok(None) if reused && retries < MAX_RETRIES => {
                    retries += 1;
                    tally.retried.fetch_add(1, Ordering::Relaxed);
                }
                Ok(None) => {
                    let what = if reused {
                        "retries"
                    } else {
                        "a fresh connection"
                    };
                    fail(tally, format!("closed before any response ({what})"));
                    break;
                }
                Err(e) => {
                    fail(tally, format!("{:?}: {e}", e.kind()));
                    break;
                }
            }
        }
    }
}

fn is_closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

fn fail(tally: &Tally, what: String) {
    tally.failures.lock().unwrap().push(what);
}

/// Waits until the clients completed `count` requests, within the test's time limit.
fn wait_for(tally: &Tally, count: usize, started: Instant) {
    while tally.completed.load(Ordering::Relaxed) < count {
        assert!(
            started.elapsed() < TIME_LIMIT,
            "only {} requests completed, waiting for {count}",
            tally.completed.load(Ordering::Relaxed)
        );
        assert!(
            tally.failures.lock().unwrap().len() < 10,
            "failures: {:?}",
            tally.failures.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn replacing_the_server_on_its_socket_fails_no_request() {
    let started = Instant::now();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut current = activated(&listener);
    assert_eq!(
        current.announced(),
        addr,
        "the server serves the passed socket"
    );

    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (stop, tally) = (Arc::clone(&stop), Arc::clone(&tally));
            std::thread::spawn(move || client(addr, &stop, &tally, started))
        })
        .collect();

    let mut target = REQUESTS_BETWEEN;
    for round in 0..REPLACEMENTS {
        wait_for(&tally, target, started);
        let mut next = activated(&listener);
        assert_eq!(
            next.announced(),
            addr,
            "round {round}: the new server's socket"
        );
        current.terminate();
        let (code, stderr) = current.wait();
        assert_eq!(
            code,
            Some(0),
            "round {round}: the old server's exit; stderr:\n{stderr}"
        );
        current = next;
        target = tally.completed.load(Ordering::Relaxed) + REQUESTS_BETWEEN;
    }
    wait_for(&tally, target, started);
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    current.terminate();
    let (code, stderr) = current.wait();
    assert_eq!(code, Some(0), "the last server's exit; stderr:\n{stderr}");

    let failures = tally.failures.lock().unwrap();
    let completed = tally.completed.load(Ordering::Relaxed);
    let retried = tally.retried.load(Ordering::Relaxed);
    eprintln!("{completed} requests, {retried} retried on a new connection");
    assert!(failures.is_empty(), "failed requests: {failures:?}");
}
