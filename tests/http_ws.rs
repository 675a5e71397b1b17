//! `/api/ws` of the device application over real sockets on 127.0.0.1, with a real client
//! (the `tungstenite` crate): echoes of text and binary messages (one past the read buffer,
//! so it travels in parts), the `status` command, pings, the close handshake, refused
//! handshakes, and close 1001 on a graceful shutdown. Every read has a time limit.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod util;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use aurora_apps::device::{Device, Local};
use aurora_core::metrics::Renderer;
use aurora_linux::Running;
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Bytes, Message, WebSocket};

/// A device server on 127.0.0.1 with the test timeouts.
fn device() -> (Running, SocketAddr) {
    let running = aurora_linux::start(util::options(), |_| {
        Device::new(|_: &mut Renderer<'_>| Ok(()), Local::default())
    })
    .expect("the server starts");
    let addr = running.local_addr();
    (running, addr)
}

/// A client connected to `/api/ws` of `addr`.
fn connect(addr: SocketAddr) -> WebSocket<TcpStream> {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(util::IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(util::IO_TIMEOUT)).unwrap();
    let (socket, response) = tungstenite::client(format!("ws://{addr}/api/ws"), stream).unwrap();
    assert_eq!(response.status(), 101);
    socket
}

/// The next data message, answering nothing else.
fn next(socket: &mut WebSocket<TcpStream>) -> Message {
    loop {
        match socket.read().unwrap() {
            Message::Ping(_) | Message::Pong(_) => {}
            message => return message,
        }
    }
}

#[test]
fn messages_are_echoed_and_status_is_answered() {
    let (running, addr) = device();
    let mut socket = connect(addr);
    for text in ["hello", "", "κόσμε 𝄞"] {
        socket.send(Message::text(text)).unwrap();
        assert_eq!(next(&mut socket), Message::text(text));
    }
    let binary: Vec<u8> = (0..=255).collect();
    socket.send(Message::binary(binary.clone())).unwrap();
    assert_eq!(next(&mut socket), Message::binary(binary));
    // Longer than the 4 KiB read buffer: it arrives and is echoed in parts.
    let long = "x".repeat(20_000);
    socket.send(Message::text(long.clone())).unwrap();
    assert_eq!(next(&mut socket), Message::text(long));
    socket.send(Message::text("status")).unwrap();
    let Message::Text(status) = next(&mut socket) else {
        panic!("status is text");
    };
    assert!(status.starts_with(r#"{"uptime_ms":"#), "{status}");
    assert!(status.contains(r#""config":{"name":"#), "{status}");
    socket
        .send(Message::Ping(Bytes::from_static(b"hi")))
        .unwrap();
    match socket.read().unwrap() {
        Message::Pong(payload) => assert_eq!(&payload[..], b"hi"),
        other => panic!("expected the pong, got {other:?}"),
    }
    socket
        .close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "done".into(),
        }))
        .unwrap();
    loop {
        match socket.read() {
            Ok(Message::Close(Some(frame))) => {
                assert_eq!(frame.code, CloseCode::Normal);
            }
            Ok(other) => panic!("after the close: {other:?}"),
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(error) => panic!("{error}"),
        }
    }
    running.stop_handle().stop();
    running.join().unwrap();
}

#[test]
fn many_sockets_at_once() {
    let (running, addr) = device();
    let mut sockets: Vec<_> = (0..32).map(|_| connect(addr)).collect();
    for round in 0..10 {
        for (i, socket) in sockets.iter_mut().enumerate() {
            socket.send(Message::text(format!("{i}/{round}"))).unwrap();
        }
        for (i, socket) in sockets.iter_mut().enumerate() {
            assert_eq!(next(socket), Message::text(format!("{i}/{round}")));
        }
    }
    // Each client answers the server's 1001, so the shutdown need not wait out the timeout.
    running.stop_handle().stop();
    for socket in &mut sockets {
        while socket.read().is_ok() {}
    }
    running.join().unwrap();
}

/// Sends `request` raw and returns the response head.
fn raw(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(util::IO_TIMEOUT)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut buf = [0u8; 1024];
    let mut filled = 0;
    while !buf[..filled].windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf[filled..]).unwrap();
        assert!(n > 0, "closed before a response");
        filled += n;
    }
    String::from_utf8_lossy(&buf[..filled]).into_owned()
}

#[test]
fn bad_handshakes_are_refused() {
    let (running, addr) = device();
    let handshake = "GET /api/ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let head = raw(addr, handshake);
    assert!(
        head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{head}"
    );
    assert!(
        head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
        "{head}"
    );
    let head = raw(addr, &handshake.replace("Version: 13", "Version: 8"));
    assert!(
        head.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
        "{head}"
    );
    assert!(head.contains("Sec-WebSocket-Version: 13\r\n"), "{head}");
    let head = raw(
        addr,
        &handshake.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
    );
    assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
    let head = raw(addr, "GET /api/ws HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
    running.stop_handle().stop();
    running.join().unwrap();
}

#[test]
fn an_unmasked_frame_is_closed_with_1002() {
    let (running, addr) = device();
    let mut socket = connect(addr);
    // Write an unmasked text frame under the client's nose.
    socket
        .get_mut()
        .write_all(&[0x81, 0x02, b'h', b'i'])
        .unwrap();
    match socket.read() {
        Ok(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Protocol),
        other => panic!("expected close 1002, got {other:?}"),
    }
    running.stop_handle().stop();
    running.join().unwrap();
}

#[test]
fn shutdown_sends_going_away() {
    let (running, addr) = device();
    let mut socket = connect(addr);
    socket.send(Message::text("before")).unwrap();
    assert_eq!(next(&mut socket), Message::text("before"));
    running.stop_handle().stop();
    match socket.read() {
        Ok(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected close 1001, got {other:?}"),
    }
    // The client's reply goes out with the next read; the server closes the TCP connection
    // once it has it, which completes the handshake on the client's side.
    match socket.read() {
        Err(tungstenite::Error::ConnectionClosed) => {}
        other => panic!("expected the handshake to complete, got {other:?}"),
    }
    running.join().unwrap();
}
