//! 100,000 requests over keep-alive connections from a few client threads, bounded in time,
//! every response checked.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod util;

use std::time::{Duration, Instant};

use util::{Server, with_body};

const TOTAL: usize = 100_000;
const THREADS: usize = 4;
/// Requests written at once on a connection (pipelined), so the test spends its time in the
/// server rather than in round trips.
const BATCH: usize = 10;
const TIME_LIMIT: Duration = Duration::from_secs(120);

#[test]
fn hundred_thousand_requests() {
    let server = Server::with(|o| o.config.max_requests_per_connection = 1_000);
    let addr = server.addr;
    let start = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::spawn(move || {
                let mut served = 0usize;
                let mut connections = 0usize;
                let mut client = util::Client::connect(addr);
                connections += 1;
                let mut in_this = 0usize;
                while served < TOTAL / THREADS {
                    assert!(start.elapsed() < TIME_LIMIT, "thread {t}: out of time");
                    let mut raw = Vec::new();
                    let batch = BATCH.min(TOTAL / THREADS - served);
                    for i in 0..batch {
                        if (served + i).is_multiple_of(3) {
                            raw.extend(with_body(
                                "POST",
                                "/",
                                format!("{t}:{}", served + i).as_bytes(),
                            ));
                        } else {
                            raw.extend(util::get("/"));
                        }
                    }
                    client.send(&raw);
                    let mut closed = false;
                    for i in 0..batch {
                        let resp = client.response();
                        assert_eq!(resp.code, 200);
                        if (served + i).is_multiple_of(3) {
                            assert_eq!(resp.text(), format!("{t}:{}", served + i));
                        } else {
                            assert_eq!(resp.body, b"Hello, World!");
                        }
                        in_this += 1;
                        if resp.closes() {
                            assert_eq!(i, batch - 1, "closed inside a batch");
                            closed = true;
                        }
                    }
                    served += batch;
                    if closed {
                        assert_eq!(in_this, 1_000, "closed before the request limit");
                        client.assert_closed();
                        client = util::Client::connect(addr);
                        connections += 1;
                        in_this = 0;
                    }
                }
                (served, connections)
            })
        })
        .collect();
    let mut total = 0;
    for thread in threads {
        let (served, connections) = thread.join().expect("a client thread failed");
        assert!(connections >= served / 1_000);
        total += served;
    }
    assert_eq!(total, TOTAL);
    eprintln!("{TOTAL} requests in {:?}", start.elapsed());
}
