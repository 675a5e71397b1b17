//! The access log: one line per answered request when `access_log` is on, none when off.
//! Installs the process's one logger, so it runs in a test binary of its own.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::Duration;

use aurora_core::conn::{RequestBody, Responder};
use aurora_core::http::Status;
use aurora_core::http::request::Request;

use crate::options::Options;
use crate::platform::Platform;
use crate::server::start;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Collect;

impl log::Log for Collect {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        meta.target() == "aurora::access"
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            LINES.lock().unwrap().push(record.args().to_string());
        }
    }
    fn flush(&self) {}
}

/// Serves one `Connection: close` GET of `path` on a server with the access log `on` or off;
/// returns the bytes of the response.
fn serve_one<P: Platform>(on: bool, path: &str) -> usize {
    let mut options = Options {
        addr: "127.0.0.1:0".parse().unwrap(),
        pin_cpus: false,
        access_log: on,
        ..Options::default()
    };
    options.config.workers = 1;
    let running = start::<P, _, _>(options, |_| {
        |_req: &Request<'_>, _body: RequestBody<'_>, res: &mut Responder<'_>| {
            let _ = res.send(Status::NOT_FOUND, &[], b"nope");
        }
    })
    .unwrap();
    let mut stream = TcpStream::connect(running.local_addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    assert!(response.starts_with(b"HTTP/1.1 404"));
    running.stop_handle().stop();
    running.join().unwrap();
    response.len()
}

pub fn one_line_per_answer_when_on_and_none_when_off<P: Platform>() {
    log::set_logger(&Collect).unwrap();
    log::set_max_level(log::LevelFilter::Info);
    let _ = serve_one::<P>(false, "/quiet");
    assert!(LINES.lock().unwrap().is_empty());
    let bytes = serve_one::<P>(true, "/loud?x=1");
    let lines = LINES.lock().unwrap().clone();
    assert_eq!(lines.len(), 1, "{lines:?}");
    // PEER WORKER "METHOD TARGET VERSION" STATUS BYTES LATENCY_US
    let (peer, rest) = lines[0].split_once(' ').unwrap();
    assert!(peer.starts_with("127.0.0.1:"), "{peer}");
    assert!(peer["127.0.0.1:".len()..].parse::<u16>().is_ok(), "{peer}");
    let (request, rest) = rest
        .strip_prefix("0 \"")
        .unwrap()
        .split_once("\" ")
        .unwrap();
    assert_eq!(request, "GET /loud?x=1 HTTP/1.1");
    let fields: Vec<&str> = rest.split(' ').collect();
    assert_eq!(fields.len(), 3, "{rest}");
    assert_eq!(fields[0], "404");
    assert_eq!(
        fields[1],
        bytes.to_string(),
        "the whole response, head and body"
    );
    assert!(
        fields[2].parse::<u64>().is_ok(),
        "latency in microseconds: {}",
        fields[2]
    );
}
