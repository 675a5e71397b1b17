//! An upgraded connection on virtual time: the handshake answered by a route, frames echoed by
//! the application's socket, pings, the close handshake both ways, protocol errors, the idle
//! ping and dead-peer timeout, shutdown, and every cut of the input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use aurora_core::config::ServerConfig;
use aurora_core::conn::{
    CloseReason, Connection, End, Env, Fill, Handler, Message, Never, Producer, RequestBody,
    Responder, Sender, SocketConfig, Spans, State, Timer, WebSocket,
};
use aurora_core::http::header::HeaderSpan;
use aurora_core::http::request::Request;
use aurora_core::mem::buffer_pool::{BufferPool, ClassRegion, SizeClass, Slot};
use aurora_core::time::{Duration, Instant};
use aurora_core::ws::handshake::{self, Handshake};

/// The application: upgrades `/ws`, and records how its socket ended.
#[derive(Default)]
struct App {
    ended: Vec<End>,
    received: usize,
    /// Messages the socket sends of its own on the next `poll_send`.
    announce: Vec<&'static str>,
}

/// The socket: echoes every message, part by part.
#[derive(Debug)]
struct Echo;

impl Producer<App> for Echo {
    const WEBSOCKET: bool = true;

    fn poll_fill(&mut self, _: &mut App, _: Instant, _: &mut [u8]) -> Fill {
        Fill::Done
    }

    fn end(&mut self, app: &mut App, how: End) {
        app.ended.push(how);
    }

    fn websocket(&mut self) -> Option<&mut dyn WebSocket<App>> {
        Some(self)
    }
}

impl WebSocket<App> for Echo {
    fn receive(&mut self, app: &mut App, _: Instant, message: Message<'_>, out: &mut Sender<'_>) {
        app.received += 1;
        let _ = match message {
            Message::Text("bye") => out.close(aurora_core::ws::CloseCode(4000), "asked"),
            message => out.echo(message),
        };
    }

    fn poll_send(&mut self, app: &mut App, _: Instant, out: &mut Sender<'_>) -> Fill {
        match app.announce.pop() {
            Some(text) => {
                out.text(text).unwrap();
                Fill::Filled(1)
            }
            None => Fill::Pending,
        }
    }
}

impl Handler for App {
    type State = App;
    type Body = Echo;
    type Consumer = Never;

    fn state(&mut self) -> &mut App {
        self
    }

    fn handle(&mut self, req: &Request<'_>, _: RequestBody<'_>, res: &mut Responder<'_, Echo>) {
        let _ = match Handshake::check(req) {
            Ok(hs) => {
                let protocol = handshake::select(req, &["echo"]);
                res.upgrade(&hs, protocol, Echo, CONFIG)
            }
            Err(error) => res.refuse_upgrade(error),
        };
    }
}

const CONFIG: SocketConfig = SocketConfig {
    max_message: 1000,
    ping_after: Duration::from_secs(30),
    pong_timeout: Duration::from_secs(10),
};

const HANDSHAKE: &[u8] = b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, echo\r\n\r\n";

/// A masked client frame.
fn client(b0: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0xA1, 0xB2, 0xC3, 0xD4];
    let mut out = vec![b0];
    if payload.len() < 126 {
        out.push(0x80 | payload.len() as u8);
    } else {
        out.push(0x80 | 126);
        out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

/// A server frame as the test reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Frame {
    fin: bool,
    opcode: u8,
    payload: Vec<u8>,
}

/// Splits the server's output after the `101` head into frames (server frames are unmasked).
fn frames(mut bytes: &[u8]) -> Vec<Frame> {
    let mut out = Vec::new();
    while bytes.len() >= 2 {
        let (b0, b1) = (bytes[0], bytes[1]);
        assert_eq!(b1 & 0x80, 0, "server frames are unmasked");
        let (len, at) = match b1 {
            126 => (u16::from_be_bytes([bytes[2], bytes[3]]) as usize, 4),
            127 => (
                u64::from_be_bytes(bytes[2..10].try_into().unwrap()) as usize,
                10,
            ),
            n => (n as usize, 2),
        };
        out.push(Frame {
            fin: b0 & 0x80 != 0,
            opcode: b0 & 0x0F,
            payload: bytes[at..at + len].to_vec(),
        });
        bytes = &bytes[at + len..];
    }
    assert!(bytes.is_empty(), "a cut frame: {bytes:?}");
    out
}

fn text(t: &str) -> Frame {
    Frame {
        fin: true,
        opcode: 1,
        payload: t.as_bytes().to_vec(),
    }
}

fn close(code: u16) -> Frame {
    Frame {
        fin: true,
        opcode: 8,
        payload: code.to_be_bytes().to_vec(),
    }
}

/// One connection and its memory, driven by hand on a virtual clock.
struct Peer {
    bytes: Vec<u8>,
    slots: Vec<Slot>,
    table: Vec<HeaderSpan>,
}

/// What one drive saw: everything the server wrote, how it closed, and the buffers still
/// taken from the pool.
struct Run<H = App> {
    out: Vec<u8>,
    closed: Option<CloseReason>,
    app: H,
    in_use: usize,
}

impl<H> Run<H> {
    /// The frames after the `101` head.
    fn frames(&self) -> Vec<Frame> {
        let end = self.out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        frames(&self.out[end..])
    }

    fn head(&self) -> String {
        let end = self.out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        String::from_utf8(self.out[..end].to_vec()).unwrap()
    }
}

/// Feeds `pieces` in order (output drained after each), then runs `after` on the connection
/// at the final clock, and reports.
fn drive<H: Handler>(
    pieces: &[&[u8]],
    app: H,
    after: impl FnOnce(&mut Connection<H>, &mut Env<'_, '_, H>, &mut Vec<u8>),
) -> Run<H> {
    let mut peer = Peer {
        bytes: vec![0u8; 4 * 4096],
        slots: vec![Slot::EMPTY; 4],
        table: vec![HeaderSpan::EMPTY; 16],
    };
    let mut pool = BufferPool::new(
        1,
        [
            ClassRegion::empty(),
            ClassRegion::new(&mut peer.bytes, &mut peer.slots),
            ClassRegion::empty(),
            ClassRegion::empty(),
            ClassRegion::empty(),
        ],
    );
    let mut spans = Spans::new(&mut peer.table);
    let mut app = app;
    let config = ServerConfig::DEFAULT;
    let now = Instant::ZERO;
    let mut conn = Connection::new(&config, now);
    let mut out = Vec::new();
    {
        let mut env = Env {
            pool: &mut pool,
            handler: &mut app,
            date: None,
            spans: &mut spans,
            observer: &mut (),
            arena: None,
            peer: None,
        };
        for piece in pieces {
            let mut rest = *piece;
            let mut steps = 0;
            while !rest.is_empty() {
                steps += 1;
                assert!(steps < 10_000, "livelock");
                drain(&mut conn, &mut env, &mut out);
                let Ok(space) = conn.read_buf(env.pool) else {
                    break;
                };
                let n = space.len().min(rest.len());
                space[..n].copy_from_slice(&rest[..n]);
                conn.handle_read(n, now, &mut env);
                rest = &rest[n..];
            }
            drain(&mut conn, &mut env, &mut out);
        }
        after(&mut conn, &mut env, &mut out);
        drain(&mut conn, &mut env, &mut out);
    }
    let closed = conn.poll_close();
    let in_use = SizeClass::ALL
        .iter()
        .map(|&class| pool.stats(class).in_use)
        .sum();
    Run {
        out,
        closed,
        app,
        in_use,
    }
}

/// Writes everything the connection queued.
fn drain<H: Handler>(conn: &mut Connection<H>, env: &mut Env<'_, '_, H>, out: &mut Vec<u8>) {
    for _ in 0..1000 {
        let Some(bytes) = conn.poll_transmit(env.pool) else {
            return;
        };
        out.extend_from_slice(bytes);
        let n = bytes.len();
        conn.handle_written(n, Instant::ZERO, env);
    }
    panic!("output never drained");
}

fn nothing<H: Handler>(_: &mut Connection<H>, _: &mut Env<'_, '_, H>, _: &mut Vec<u8>) {}

#[test]
fn the_handshake_is_answered_with_101_and_the_chosen_protocol() {
    let run = drive(&[HANDSHAKE], App::default(), |conn, _, _| {
        assert_eq!(conn.state(), State::Upgraded);
    });
    let head = run.head();
    assert!(
        head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{head}"
    );
    for line in [
        "Connection: upgrade\r\n",
        "Upgrade: websocket\r\n",
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
        "Sec-WebSocket-Protocol: echo\r\n",
    ] {
        assert!(head.contains(line), "{line:?} missing from {head}");
    }
    assert_eq!(run.frames(), []);
    assert_eq!(run.closed, None);
}

#[test]
fn another_version_is_426_and_no_upgrade() {
    let request = String::from_utf8(HANDSHAKE.to_vec())
        .unwrap()
        .replace("Version: 13", "Version: 8");
    let run = drive(&[request.as_bytes()], App::default(), nothing);
    let head = run.head();
    assert!(
        head.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
        "{head}"
    );
    assert!(head.contains("Sec-WebSocket-Version: 13\r\n"), "{head}");
    let missing = String::from_utf8(HANDSHAKE.to_vec())
        .unwrap()
        .replace("Upgrade: websocket\r\n", "");
    let run = drive(&[missing.as_bytes()], App::default(), nothing);
    assert!(run.head().starts_with("HTTP/1.1 400 Bad Request\r\n"));
}

#[test]
fn messages_are_echoed_and_pings_answered() {
    let frames_in = [
        client(0x81, b"hello"),
        client(0x82, &[0, 1, 2]),
        client(0x89, b"are you there"),
        client(0x01, b"frag"),
        client(0x80, b"mented"),
        client(0x81, &[b'x'; 300]),
    ]
    .concat();
    let run = drive(&[HANDSHAKE, &frames_in], App::default(), nothing);
    assert_eq!(
        run.frames(),
        [
            text("hello"),
            Frame {
                fin: true,
                opcode: 2,
                payload: vec![0, 1, 2]
            },
            Frame {
                fin: true,
                opcode: 10,
                payload: b"are you there".to_vec()
            },
            Frame {
                fin: false,
                opcode: 1,
                payload: b"frag".to_vec()
            },
            Frame {
                fin: true,
                opcode: 0,
                payload: b"mented".to_vec()
            },
            Frame {
                fin: true,
                opcode: 1,
                payload: vec![b'x'; 300]
            },
        ]
    );
    assert_eq!(run.closed, None);
}

#[test]
fn an_empty_message_ending_the_input_is_echoed() {
    // Its header is the last byte read: no later byte asks for its (empty) payload.
    let run = drive(&[HANDSHAKE, &client(0x81, b"")], App::default(), nothing);
    assert_eq!(run.frames(), [text("")]);
    let run = drive(
        &[HANDSHAKE, &client(0x01, b""), &client(0x80, b"")],
        App::default(),
        nothing,
    );
    assert_eq!(
        run.frames(),
        [
            Frame {
                fin: false,
                opcode: 1,
                payload: vec![]
            },
            Frame {
                fin: true,
                opcode: 0,
                payload: vec![]
            }
        ]
    );
}

#[test]
fn frames_in_the_handshakes_read_and_every_cut_give_the_same_echo() {
    let input = [
        HANDSHAKE,
        &client(0x81, b"hi"),
        &client(0x89, b""),
        &client(0x82, &[7; 130]),
    ]
    .concat();
    let want = drive(&[&input], App::default(), nothing).out;
    for cut in HANDSHAKE.len()..input.len() {
        let run = drive(&[&input[..cut], &input[cut..]], App::default(), nothing);
        assert_eq!(run.out, want, "cut at {cut}");
    }
}

#[test]
fn the_peers_close_is_echoed_and_the_socket_completes() {
    let input = [
        client(0x81, b"a"),
        client(0x88, &[0x03, 0xE8, b'o', b'k']),
        client(0x81, b"late"),
    ]
    .concat();
    let run = drive(&[HANDSHAKE, &input], App::default(), nothing);
    assert_eq!(run.frames(), [text("a"), close(1000)]);
    assert_eq!(
        run.closed,
        Some(CloseReason::WebSocket(aurora_core::ws::CloseCode(1000)))
    );
    assert_eq!(run.app.ended, [End::Completed]);
    assert_eq!(run.app.received, 1);
}

#[test]
fn the_socket_closes_first_and_the_peers_reply_closes() {
    let bye = client(0x81, b"bye");
    let late = [client(0x81, b"late"), client(0x89, b"p")].concat();
    let reply = client(0x88, &[0x0F, 0xA0]);
    let mut want = close(4000);
    want.payload.extend_from_slice(b"asked");
    // Before the reply the connection stays open, and drops data and pings.
    let run = drive(&[HANDSHAKE, &bye, &late], App::default(), nothing);
    assert_eq!(run.frames(), [want.clone()]);
    assert_eq!(run.closed, None);
    assert_eq!(run.app.ended, []);
    assert_eq!(run.app.received, 1);
    // The reply closes it.
    let run = drive(&[HANDSHAKE, &bye, &late, &reply], App::default(), nothing);
    assert_eq!(run.frames(), [want]);
    closed_after_bye(&run);
}

#[test]
fn an_unanswered_close_is_dropped_at_the_pong_timeout() {
    let run = drive(
        &[HANDSHAKE, &client(0x81, b"bye"), &client(0x81, b"x")],
        App::default(),
        |conn, env, _| {
            let at = conn.poll_timeout().unwrap();
            assert_eq!(at, Instant::ZERO + CONFIG.pong_timeout);
            conn.handle_timeout(at - Duration::from_millis(1), env);
            assert_eq!(conn.poll_close(), None);
            conn.handle_timeout(at, env);
        },
    );
    closed_after_bye(&run);
}

#[test]
fn a_reply_that_breaks_the_framing_closes_at_once() {
    let bye = client(0x81, b"bye");
    let run = drive(
        &[HANDSHAKE, &bye, &[0x81, 0x02, b'h', b'i']],
        App::default(),
        nothing,
    );
    assert_eq!(run.frames().len(), 1);
    closed_after_bye(&run);
}

/// The socket's close after "bye" ended the connection, the socket and every buffer.
fn closed_after_bye(run: &Run) {
    assert_eq!(
        run.closed,
        Some(CloseReason::WebSocket(aurora_core::ws::CloseCode(4000)))
    );
    assert_eq!(run.app.ended, [End::Failed]);
    assert_eq!(run.app.received, 1);
    assert_eq!(run.in_use, 0);
}

#[test]
fn protocol_errors_close_with_their_codes() {
    let cases: &[(&[u8], u16)] = &[
        (&[0x81, 0x02, b'h', b'i'], 1002),
        (&client(0xC1, b"x"), 1002),
        (&client(0x83, b""), 1002),
        (&client(0x09, b""), 1002),
        (&client(0x80, b"x"), 1002),
        (&client(0x81, b"\xff"), 1007),
        (&client(0x82, &[0; 1001]), 1009),
        (&client(0x88, b"\x03"), 1002),
        (&client(0x88, b"\x03\xed"), 1002),
    ];
    for (input, code) in cases {
        let run = drive(&[HANDSHAKE, input], App::default(), nothing);
        assert_eq!(run.frames(), [close(*code)], "{input:02x?}");
        assert_eq!(
            run.closed,
            Some(CloseReason::WebSocket(aurora_core::ws::CloseCode(*code)))
        );
        assert_eq!(run.app.ended, [End::Failed]);
        assert_eq!(run.app.received, 0);
    }
}

#[test]
fn a_silent_peer_is_pinged_then_dropped() {
    let run = drive(&[HANDSHAKE], App::default(), |conn, env, out| {
        let ping_at = conn.poll_timeout().unwrap();
        assert_eq!(ping_at, Instant::ZERO + Duration::from_secs(30));
        conn.handle_timeout(ping_at, env);
        drain(conn, env, out);
        let dead_at = conn.poll_timeout().unwrap();
        assert_eq!(dead_at, ping_at + Duration::from_secs(10));
        conn.handle_timeout(dead_at, env);
    });
    assert_eq!(
        run.frames(),
        [Frame {
            fin: true,
            opcode: 9,
            payload: vec![]
        }]
    );
    assert_eq!(run.closed, Some(CloseReason::TimedOut(Timer::Idle)));
    assert_eq!(run.app.ended, [End::TimedOut]);
}

#[test]
fn a_pong_keeps_the_peer_alive() {
    let run = drive(&[HANDSHAKE], App::default(), |conn, env, out| {
        let ping_at = conn.poll_timeout().unwrap();
        conn.handle_timeout(ping_at, env);
        drain(conn, env, out);
        let pong = client(0x8A, b"");
        let space = conn.read_buf(env.pool).unwrap();
        space[..pong.len()].copy_from_slice(&pong);
        let later = ping_at + Duration::from_secs(5);
        conn.handle_read(pong.len(), later, env);
        assert_eq!(conn.poll_timeout(), Some(later + Duration::from_secs(30)));
    });
    assert_eq!(run.closed, None);
}

#[test]
fn shutdown_sends_going_away() {
    let run = drive(&[HANDSHAKE], App::default(), |conn, env, out| {
        conn.shutdown(Instant::ZERO, env);
        drain(conn, env, out);
        assert_eq!(conn.poll_close(), None, "waits for the reply");
        let reply = client(0x88, &[0x03, 0xE9]);
        let space = conn.read_buf(env.pool).unwrap();
        space[..reply.len()].copy_from_slice(&reply);
        conn.handle_read(reply.len(), Instant::ZERO, env);
    });
    assert_eq!(run.frames(), [close(1001)]);
    assert_eq!(run.closed, Some(CloseReason::Shutdown));
    assert_eq!(run.app.ended, [End::Shutdown]);
    assert_eq!(run.in_use, 0);
}

#[test]
fn the_socket_sends_of_its_own_when_woken() {
    let run = drive(&[HANDSHAKE], App::default(), |conn, env, out| {
        drain(conn, env, out);
        env.handler.announce = vec!["two", "one"];
        conn.wake(Instant::ZERO, env);
    });
    assert_eq!(run.frames(), [text("one"), text("two")]);
}

#[test]
fn the_peer_leaving_ends_the_socket() {
    let run = drive(&[HANDSHAKE], App::default(), |conn, env, _| {
        conn.handle_eof(Instant::ZERO, env);
    });
    assert_eq!(run.closed, Some(CloseReason::PeerClosed));
    assert_eq!(run.app.ended, [End::PeerGone]);
}

/// An application whose body is no socket ([`Producer::WEBSOCKET`] is `false`).
#[derive(Default)]
struct Plain;

/// A body that cannot be a socket.
struct NoSocket;

impl Producer<Plain> for NoSocket {
    fn poll_fill(&mut self, _: &mut Plain, _: Instant, _: &mut [u8]) -> Fill {
        Fill::Done
    }
}

impl Handler for Plain {
    type State = Plain;
    type Body = NoSocket;
    type Consumer = Never;

    fn state(&mut self) -> &mut Plain {
        self
    }

    fn handle(&mut self, req: &Request<'_>, _: RequestBody<'_>, res: &mut Responder<'_, NoSocket>) {
        let hs = Handshake::check(req).unwrap();
        res.upgrade(&hs, None, NoSocket, CONFIG).unwrap();
    }
}

#[test]
fn an_upgrade_to_a_body_that_is_no_socket_closes() {
    let run = drive(&[HANDSHAKE, &client(0x81, b"hi")], Plain, nothing);
    assert!(run.head().starts_with("HTTP/1.1 101 "));
    assert_eq!(run.frames(), [], "nothing after the head");
    assert_eq!(
        run.closed,
        Some(CloseReason::WebSocket(
            aurora_core::ws::CloseCode::INTERNAL_ERROR
        ))
    );
}
