//! The reactor and its sockets on real loopback connections: accepting, edge-triggered
//! readiness, the wake-up, pausing the listener, resets.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use aurora_core::server::io::{CloseKind, Event, Socket, SocketError, Token};

use crate::platform::{Poller, Wake};
use crate::socket::{Listener, TcpSocket};

const LOOPBACK: &str = "127.0.0.1:0";
/// How long a test waits for an event that must come.
const PATIENCE: Duration = Duration::from_secs(5);

fn reactor<R: Poller>() -> (R, SocketAddr) {
    let listener = Listener::bind(LOOPBACK.parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    (R::with_listener(Some(listener)).unwrap(), addr)
}

fn client(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Waits until an event for `token` satisfies `want`, failing after [`PATIENCE`].
fn wait_for<R: Poller>(reactor: &mut R, token: Token, want: impl Fn(&Event) -> bool) -> Event {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no matching event for {token:?}");
        reactor.wait(Some(left)).unwrap();
        while let Some(event) = reactor.poll_event() {
            if event.token == token && want(&event) {
                return event;
            }
        }
    }
}

/// Accepts the one connection a client just opened.
fn accept_one<R: Poller>(reactor: &mut R) -> TcpSocket {
    wait_for(reactor, Token::LISTENER, |e| e.readiness.readable);
    let socket = reactor.accept().unwrap().expect("a pending connection");
    assert!(reactor.accept().unwrap().is_none());
    socket
}

/// Reads until `WouldBlock`, returning what came.
fn drain(socket: &mut TcpSocket) -> Result<Vec<u8>, SocketError> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match socket.read(&mut buf) {
            Ok(0) => return Ok(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(SocketError::WouldBlock) => return Ok(got),
            Err(e) => return Err(e),
        }
    }
}

pub fn accept_until_none_then_read_and_write<R: Poller>() {
    let (mut reactor, addr) = reactor::<R>();
    let mut peers: Vec<TcpStream> = (0..3).map(|_| client(addr)).collect();
    wait_for(&mut reactor, Token::LISTENER, |e| e.readiness.readable);
    let mut sockets = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    while sockets.len() < 3 {
        assert!(Instant::now() < deadline);
        match reactor.accept().unwrap() {
            Some(socket) => sockets.push(socket),
            None => {
                reactor.wait(Some(PATIENCE)).unwrap();
                while reactor.poll_event().is_some() {}
            }
        }
    }
    assert!(reactor.accept().unwrap().is_none());

    let mut socket = sockets.pop().unwrap();
    reactor.register(&mut socket, Token(7)).unwrap();
    // A fresh connection is writable at once.
    wait_for(&mut reactor, Token(7), |e| e.readiness.writable);
    assert_eq!(socket.read(&mut [0u8; 16]), Err(SocketError::WouldBlock));

    peers[2].write_all(b"ping").unwrap();
    wait_for(&mut reactor, Token(7), |e| e.readiness.readable);
    assert_eq!(drain(&mut socket).unwrap(), b"ping");

    assert_eq!(socket.write(b"pong").unwrap(), 4);
    let mut buf = [0u8; 4];
    peers[2].read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"pong");

    // The peer's FIN is an event and then a read of 0.
    peers[2].shutdown(std::net::Shutdown::Write).unwrap();
    wait_for(&mut reactor, Token(7), |e| e.readiness.readable);
    assert_eq!(socket.read(&mut [0u8; 16]), Ok(0));
    reactor.close(socket, CloseKind::Graceful);
    let mut rest = Vec::new();
    peers[2].read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}

pub fn wait_honours_its_timeout<R: Poller>() {
    let (mut reactor, _) = reactor::<R>();
    let start = Instant::now();
    reactor.wait(Some(Duration::from_millis(30))).unwrap();
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(30), "{waited:?}");
    assert!(waited < PATIENCE, "{waited:?}");
    assert_eq!(reactor.poll_event(), None);
    // A sub-millisecond timeout still waits (it rounds up), and zero returns at once.
    reactor.wait(Some(Duration::from_micros(10))).unwrap();
    reactor.wait(Some(Duration::ZERO)).unwrap();
}

pub fn a_wake_handle_ends_a_blocked_wait<R: Poller>() {
    let (mut reactor, _) = reactor::<R>();
    let handle = reactor.wake_handle();
    let waker = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        handle.wake();
    });
    let start = Instant::now();
    reactor.wait(None).unwrap();
    assert!(start.elapsed() < PATIENCE);
    // The wake-up is the reactor's own: it never reaches the driver.
    assert_eq!(reactor.poll_event(), None);
    assert!(reactor.take_wake());
    assert!(!reactor.take_wake());
    waker.join().unwrap();
    // Reset: the next wait times out instead of returning at once for the old wake-up.
    reactor.wait(Some(Duration::from_millis(10))).unwrap();
    assert_eq!(reactor.poll_event(), None);
    assert!(!reactor.take_wake());
}

pub fn paused_accepting_hides_the_listener_until_resumed<R: Poller>() {
    let (mut reactor, addr) = reactor::<R>();
    reactor.set_accepting(false);
    let _peer = client(addr);
    reactor.wait(Some(Duration::from_millis(50))).unwrap();
    while let Some(event) = reactor.poll_event() {
        assert_ne!(event.token, Token::LISTENER);
    }
    // Resuming re-arms the edge: the connection that queued meanwhile is reported.
    reactor.set_accepting(true);
    let _socket = accept_one(&mut reactor);
}

pub fn abort_resets_the_peer<R: Poller>() {
    let (mut reactor, addr) = reactor::<R>();
    let mut peer = client(addr);
    let socket = accept_one(&mut reactor);
    reactor.close(socket, CloseKind::Abort);
    let mut buf = [0u8; 8];
    let err = peer.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
}

pub fn a_reset_peer_is_a_readable_event_and_an_error<R: Poller>() {
    let (mut reactor, addr) = reactor::<R>();
    let peer = client(addr);
    let mut socket = accept_one(&mut reactor);
    reactor.register(&mut socket, Token(1)).unwrap();
    // Linger 0 on the client makes its close a reset.
    socket2_linger_zero(&peer);
    drop(peer);
    wait_for(&mut reactor, Token(1), |e| e.readiness.readable);
    let got = socket.read(&mut [0u8; 8]);
    assert_eq!(
        got,
        Err(SocketError::Io(
            aurora_core::server::io::ErrorKind::ConnectionReset
        ))
    );
    // Writing to a reset connection is an error too, and never a SIGPIPE.
    assert!(matches!(socket.write(b"x"), Err(SocketError::Io(_))));
}

pub fn the_listener_token_is_not_for_connections<R: Poller>() {
    let (mut reactor, addr) = reactor::<R>();
    let _peer = client(addr);
    let mut socket = accept_one(&mut reactor);
    assert!(reactor.register(&mut socket, Token::LISTENER).is_err());
    assert!(
        reactor
            .register(&mut socket, Token(usize::MAX - 1))
            .is_err()
    );
}

pub fn listeners_share_a_port<R: Poller>() {
    let first = Listener::bind(LOOPBACK.parse().unwrap()).unwrap();
    let addr = first.local_addr().unwrap();
    let second = Listener::bind(addr).unwrap();
    assert_eq!(second.local_addr().unwrap(), addr);
}

pub fn a_reactor_without_listener_accepts_nothing<R: Poller>() {
    let mut reactor = R::with_listener(None).unwrap();
    assert!(reactor.accept().unwrap().is_none());
    reactor.set_accepting(false);
    reactor.wait(Some(Duration::ZERO)).unwrap();
    assert_eq!(reactor.poll_event(), None);
}

/// Sets `SO_LINGER` to zero on a std stream, so dropping it sends a reset.
fn socket2_linger_zero(stream: &TcpStream) {
    rustix::net::sockopt::set_socket_linger(stream, Some(Duration::ZERO)).unwrap();
}
