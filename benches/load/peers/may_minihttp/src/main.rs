//! may_minihttp on one `may` worker, answering every request with `Hello, World!` as
//! `text/plain; charset=utf-8` (it adds `Date` and `Server`), keeping connections open.
//! Listens on `PEER_ADDR` (default 127.0.0.1:18084).

use std::io;

use may_minihttp::{HttpServer, HttpService, Request, Response};

#[derive(Clone)]
struct Hello;

impl HttpService for Hello {
    fn call(&mut self, _req: Request, res: &mut Response) -> io::Result<()> {
        res.header("Content-Type: text/plain; charset=utf-8");
        res.body("Hello, World!");
        Ok(())
    }
}

fn main() {
    may::config().set_workers(1);
    let addr = std::env::var("PEER_ADDR").unwrap_or_else(|_| "127.0.0.1:18084".into());
    let server = HttpServer(Hello).start(addr).expect("listen");
    server.join().expect("serve");
}
