//! The worker threads of [`runtime`](crate::runtime) on real loopback connections, with an echo
//! loop instead of the HTTP server.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aurora_core::server::io::{CloseKind, Socket, SocketError, Token};

use crate::metrics::MetricsHandle;
use crate::options::Options;
use crate::platform::{Platform, Poller};
use crate::runtime::{Worker, spawn};
use crate::socket::TcpSocket;
use crate::sys::cpu;

const PATIENCE: Duration = Duration::from_secs(5);

fn options(workers: u16) -> Options {
    let mut options = Options {
        addr: "127.0.0.1:0".parse().unwrap(),
        ..Options::default()
    };
    options.config.workers = workers;
    options
}

fn io_error(e: SocketError) -> io::Error {
    io::Error::other(e.to_string())
}

/// A worker loop that echoes what every connection sends, until stopped.
pub fn echo<R: Poller>(mut w: Worker<R>) -> io::Result<()> {
    let mut conns: Vec<Option<TcpSocket>> = Vec::new();
    while !w.stop.is_stopping() {
        w.reactor.wait(None)?;
        while let Some(event) = w.reactor.poll_event() {
            if event.token == Token::LISTENER {
                while let Some(mut socket) = w.reactor.accept().map_err(io_error)? {
                    w.reactor
                        .register(&mut socket, Token(conns.len()))
                        .map_err(io_error)?;
                    conns.push(Some(socket));
                }
                continue;
            }
            let Some(slot) = conns.get_mut(event.token.0) else {
                continue;
            };
            let mut buf = [0u8; 1024];
            while let Some(socket) = slot.as_mut() {
                match socket.read(&mut buf) {
                    Err(SocketError::WouldBlock) => break,
                    Ok(0) | Err(_) => {
                        if let Some(socket) = slot.take() {
                            w.reactor.close(socket, CloseKind::Graceful);
                        }
                    }
                    // Small test messages always fit the send buffer.
                    Ok(n) => assert_eq!(socket.write(&buf[..n]), Ok(n)),
                }
            }
        }
    }
    Ok(())
}

fn client(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

fn round_trip(stream: &mut TcpStream, message: &[u8]) {
    stream.write_all(message).unwrap();
    let mut got = vec![0u8; message.len()];
    stream.read_exact(&mut got).unwrap();
    assert_eq!(got, message);
}

pub fn workers_share_one_port_and_stop<P: Platform>() {
    let running = spawn::<P, _>(options(3), MetricsHandle::new(), echo).unwrap();
    assert_eq!(running.workers(), 3);
    let addr = running.local_addr();
    assert_ne!(addr.port(), 0);
    // Every worker already listens: connect at once, many times, so several get some.
    let mut clients: Vec<TcpStream> = (0..12).map(|_| client(addr)).collect();
    for (i, c) in clients.iter_mut().enumerate() {
        round_trip(c, format!("hello {i}").as_bytes());
    }
    let stop = running.stop_handle();
    assert!(!stop.is_stopping());
    stop.stop();
    stop.stop();
    assert!(stop.is_stopping());
    running.join().unwrap();
    // The listeners are gone with the workers.
    assert!(TcpStream::connect(addr).is_err());
}

pub fn workers_know_who_they_are<P: Platform>() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let running = spawn::<P, _>(options(2), MetricsHandle::new(), move |w| {
        record.lock().unwrap().push(w.context.clone());
        assert_eq!((w.workers, w.options.config.workers), (2, 2));
        echo(w)
    })
    .unwrap();
    running.stop_handle().stop();
    running.join().unwrap();
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by_key(|c| c.index);
    assert_eq!(seen.iter().map(|c| c.index).collect::<Vec<_>>(), [0, 1]);
    let cpus = cpu::allowed_cpus();
    for c in &seen {
        if cpus.is_empty() {
            // An OS without pinning (macOS): the workers run unpinned.
            assert_eq!((c.cpu, c.numa_node), (None, None));
            continue;
        }
        // Pinning is on by default: each worker sits on an allowed CPU.
        assert_eq!(c.cpu, Some(cpus[c.index % cpus.len()]));
        assert_eq!(c.numa_node, P::numa_node(cpus[c.index % cpus.len()]));
    }
}

pub fn unpinned_workers_have_no_cpu<P: Platform>() {
    let mut options = options(1);
    options.pin_cpus = false;
    let running = spawn::<P, _>(options, MetricsHandle::new(), |w| {
        assert_eq!((w.context.cpu, w.context.numa_node), (None, None));
        echo(w)
    })
    .unwrap();
    running.stop_handle().stop();
    running.join().unwrap();
}

pub fn a_bind_failure_fails_the_start<P: Platform>() {
    let mut options = options(2);
    // TEST-NET-1: no interface of this machine has it.
    options.addr = "192.0.2.1:0".parse().unwrap();
    let err = spawn::<P, _>(options, MetricsHandle::new(), echo).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrNotAvailable);
    assert!(err.to_string().contains("binding 192.0.2.1:0"), "{err}");
}

pub fn a_port_in_use_fails_the_start<P: Platform>() {
    // A listener without SO_REUSEPORT keeps the port to itself.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut options = options(2);
    options.addr = taken.local_addr().unwrap();
    let err = spawn::<P, _>(options, MetricsHandle::new(), echo).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
}

/// A running server's listeners let others share their port (`SO_REUSEPORT`); a second server
/// on that address must still be refused, not handed a share of the first one's connections.
pub fn a_port_another_server_shares_fails_the_start<P: Platform>() {
    let first = spawn::<P, _>(options(2), MetricsHandle::new(), echo).unwrap();
    let mut options = options(2);
    options.addr = first.local_addr();
    let err = spawn::<P, _>(options, MetricsHandle::new(), echo).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    assert!(err.to_string().contains("already in use"), "{err}");
    let mut c = client(first.local_addr());
    round_trip(&mut c, b"the first server still serves");
    first.stop_handle().stop();
    first.join().unwrap();
}

pub fn a_failing_worker_ends_run_until_signal<P: Platform>() {
    let running = spawn::<P, _>(options(2), MetricsHandle::new(), |w| {
        if w.context.index == 1 {
            return Err(io::Error::other("worker 1 gives up"));
        }
        echo(w)
    })
    .unwrap();
    let err = running.run_until_signal().unwrap_err();
    assert_eq!(err.to_string(), "worker 1 gives up");
}

pub fn a_stop_ends_run_until_signal<P: Platform>() {
    let running = spawn::<P, _>(options(1), MetricsHandle::new(), echo).unwrap();
    let stop = running.stop_handle();
    let waiter = std::thread::spawn(move || running.run_until_signal());
    stop.stop();
    waiter.join().unwrap().unwrap();
}

pub fn dropping_running_stops_the_workers<P: Platform>() {
    let running = spawn::<P, _>(options(1), MetricsHandle::new(), echo).unwrap();
    let stop = running.stop_handle();
    drop(running);
    assert!(stop.is_stopping());
}

/// SIGTERM, sent to the thread in `run_until_signal` alone (so the harness's other threads
/// never see it), ends the wait through the platform's signal source.
#[cfg(target_os = "linux")]
pub fn sigterm_ends_run_until_signal<P: Platform>() {
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        // Blocked before the signal is sent, so it stays pending for the signal source even
        // if it arrives before run_until_signal looks.
        crate::sys::signal::BlockGuard::new().unwrap().forever();
        let running = spawn::<P, _>(options(1), MetricsHandle::new(), echo).unwrap();
        tx.send((rustix::thread::gettid(), running.local_addr()))
            .unwrap();
        running.run_until_signal()
    });
    let (tid, addr) = rx.recv_timeout(PATIENCE).unwrap();
    let mut c = client(addr);
    round_trip(&mut c, b"before the signal");
    crate::sys::signal::send_to_thread(tid, libc::SIGTERM);
    waiter.join().unwrap().unwrap();
}
