//! [`EmbassyReactor`]: the core's [`Reactor`] over an array of embassy-net TCP sockets.
//!
//! This module owns the life of every socket of one server: listening, handed to the driver
//! as a connection, closing (FIN sent, unread input discarded, until the peer closes or a
//! linger bound passes) or resetting (RST queued), and back to listening. It also owns the
//! wait: registering the run loop's waker on every socket before the loop sleeps. It never
//! parses or answers HTTP; that is the core's driver.
//!
//! # Listening without a backlog
//!
//! smoltcp has no accept queue: a socket in `Listen` takes one connection, and a SYN no socket
//! listens for is refused with RST. So every socket that is neither a connection nor closing
//! listens, and a burst of up to that many connections is taken at once. [`Reactor::accept`]
//! hands out the listening sockets whose handshake completed (`Established`, or `CloseWait`
//! for a peer that already sent everything and its FIN).
//!
//! # Readiness
//!
//! embassy-net reports no events, only wakes a task. Before the loop sleeps the reactor notes
//! each connection's state and queue lengths; after a wake-up it reports readable and
//! writable every connection where one of them changed (and every connection just
//! registered), and the listener readable. Events for both directions are hints, which the
//! core's contract allows; reporting unchanged sockets too would be allowed, but would keep
//! re-arming their timers and cost a read per connection per wake-up. Before the loop sleeps, the reactor
//! registers the loop's waker for both directions of every socket (embassy-net registers a
//! direction only while it is not ready: a direction that is ready is one the driver left
//! alone on purpose, waiting for the other direction or for its timer).

use core::cell::RefCell;
use core::fmt;
use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::Poll;

use aurora_core::server::io::{CloseKind, Event, Reactor, Readiness, SocketError, Token};
use embassy_net::tcp::{State, TcpSocket};
use embassy_time::{Duration, Instant};

use crate::socket::{EmbassySocket, poll_once};

/// How long an aborted socket may take to send its RST before it listens again.
const RESET_WAIT: Duration = Duration::from_millis(100);

/// Bytes discarded from a closing socket per call, into a scratch on the stack.
const DISCARD_SCRATCH: usize = 256;

/// Reads of unread input a closing socket gets per call.
const DISCARD_READS: usize = 64;

/// The sockets of one server and what each is doing: the core's [`Reactor`], built and driven
/// by [`run`](crate::run) (public for its documentation and its [`EmbassySocket`] type).
pub struct EmbassyReactor<'s, 'd, const N: usize> {
    sockets: &'s [RefCell<TcpSocket<'d>>; N],
    phases: [Phase; N],
    port: u16,
    linger: Duration,
    accepting: bool,
    /// The next socket index [`Reactor::poll_event`] looks at; `N` is the listener, beyond it
    /// nothing is left.
    cursor: usize,
}

/// What can change on a connected socket between two looks: its state (a FIN, a reset), the
/// bytes waiting to be read and the bytes not yet acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Seen {
    state: State,
    recv_queue: usize,
    send_queue: usize,
}

/// What one socket is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Phase {
    /// Closed and not listening (accepting is off, or listening failed).
    Idle,
    /// Waiting for a connection.
    Listening,
    /// Handed to the driver; `token` once it registered it.
    Connected {
        /// The driver's token for it.
        token: Option<Token>,
        /// What the socket looked like when the loop last went to sleep; `None` until the
        /// first event after registering (which is due at once, as epoll reports a socket's
        /// current readiness when it is added).
        seen: Option<Seen>,
    },
    /// FIN queued after the last response: discarding input until the peer closes too, or
    /// until `until`, when it is reset.
    Closing {
        /// When lingering ends.
        until: Instant,
    },
    /// RST queued: listening again once it is sent, or at `until`.
    Resetting {
        /// When the socket is reused regardless.
        until: Instant,
    },
}

impl<'s, 'd, const N: usize> EmbassyReactor<'s, 'd, N> {
    /// A reactor over `sockets`, serving `port`, lingering at most `linger` after a graceful
    /// close. Nothing listens until [`maintain`](Self::maintain).
    pub(crate) fn new(
        sockets: &'s [RefCell<TcpSocket<'d>>; N],
        port: u16,
        linger: Duration,
    ) -> Self {
        Self {
            sockets,
            phases: [Phase::Idle; N],
            port,
            linger,
            accepting: true,
            cursor: N.saturating_add(1),
        }
    }

    /// Moves sockets along their life: closing ones discard input and end when the peer
    /// closed (or their linger ran out), reset ones end once the RST left, and free ones
    /// listen while accepting is on.
    pub(crate) fn maintain(&mut self, now: Instant) {
        for (phase, cell) in self.phases.iter_mut().zip(self.sockets) {
            let Ok(mut socket) = cell.try_borrow_mut() else {
                continue;
            };
            let next = match *phase {
                Phase::Closing { until } => {
                    discard(&mut socket);
                    match socket.state() {
                        State::Closed | State::TimeWait => Some(Phase::Idle),
                        _ if now >= until => {
                            debug!("linger over, resetting");
                            socket.abort();
                            Some(Phase::Resetting {
                                until: now + RESET_WAIT,
                            })
                        }
                        _ => None,
                    }
                }
                Phase::Resetting { until } => {
                    let sent = matches!(poll_once(socket.flush()), Poll::Ready(_));
                    (sent || now >= until).then_some(Phase::Idle)
                }
                Phase::Listening if !self.accepting => {
                    socket.abort();
                    Some(Phase::Idle)
                }
                Phase::Idle | Phase::Listening | Phase::Connected { .. } => None,
            };
            if let Some(next) = next {
                *phase = next;
            }
            if *phase == Phase::Idle && self.accepting {
                *phase = listen(&mut socket, self.port);
            }
        }
    }

    /// Notes what every connection looks like as the loop goes to sleep, and returns whether
    /// one was just registered and waits for its first event (then the loop must not sleep).
    pub(crate) fn before_wait(&mut self) -> bool {
        let mut fresh = false;
        for (phase, cell) in self.phases.iter_mut().zip(self.sockets) {
            if let Phase::Connected { seen, .. } = phase {
                match seen {
                    None => fresh = true,
                    Some(seen) => {
                        if let Ok(socket) = cell.try_borrow() {
                            *seen = look(&socket);
                        }
                    }
                }
            }
        }
        fresh
    }

    /// Reports, on the next [`poll_event`](Reactor::poll_event)s, the connections that changed
    /// since [`before_wait`](Self::before_wait) and the listener: the loop woke up.
    pub(crate) fn arm_events(&mut self) {
        self.cursor = 0;
    }

    /// The earliest linger or reset bound, when the loop must look again without a wake-up.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.phases
            .iter()
            .filter_map(|phase| match *phase {
                Phase::Closing { until } | Phase::Resetting { until } => Some(until),
                _ => None,
            })
            .min()
    }

    /// Whether no socket is still closing or resetting.
    pub(crate) fn is_quiet(&self) -> bool {
        self.next_deadline().is_none()
    }

    /// How many sockets listen right now.
    pub(crate) fn listening(&self) -> usize {
        self.phases
            .iter()
            .filter(|phase| **phase == Phase::Listening)
            .count()
    }

    /// Resolves once any socket may have changed: registers the task's waker for both
    /// directions of every socket on the first poll, and is ready on any later one (a wake-up
    /// from a socket, or from whatever the loop selects this with: spurious then, and
    /// harmless).
    pub(crate) fn ready(&self) -> impl Future<Output = ()> + '_ {
        let mut armed = false;
        poll_fn(move |cx| {
            if armed {
                return Poll::Ready(());
            }
            armed = true;
            for cell in self.sockets {
                let Ok(socket) = cell.try_borrow() else {
                    continue;
                };
                let _ = pin!(socket.wait_read_ready()).poll(cx);
                let _ = pin!(socket.wait_write_ready()).poll(cx);
            }
            Poll::Pending
        })
    }
}

impl<'s, 'd, const N: usize> Reactor for EmbassyReactor<'s, 'd, N> {
    type Socket = EmbassySocket<'s, 'd>;

    fn accept(&mut self) -> Result<Option<Self::Socket>, SocketError> {
        for (index, (phase, cell)) in self.phases.iter_mut().zip(self.sockets).enumerate() {
            if *phase != Phase::Listening {
                continue;
            }
            let Ok(mut socket) = cell.try_borrow_mut() else {
                continue;
            };
            match socket.state() {
                State::Listen | State::SynReceived => {}
                State::Established | State::CloseWait => {
                    *phase = Phase::Connected {
                        token: None,
                        seen: None,
                    };
                    trace!("accepted on socket {}", index);
                    return Ok(Some(EmbassySocket {
                        index,
                        socket: cell,
                    }));
                }
                // Back to closed (a reset handshake) or some state a listener cannot reach:
                // start over.
                _ => {
                    socket.abort();
                    *phase = if self.accepting {
                        listen(&mut socket, self.port)
                    } else {
                        Phase::Idle
                    };
                }
            }
        }
        Ok(None)
    }

    fn register(&mut self, socket: &mut Self::Socket, token: Token) -> Result<(), SocketError> {
        match self.phases.get_mut(socket.index) {
            Some(phase @ Phase::Connected { .. }) => {
                *phase = Phase::Connected {
                    token: Some(token),
                    seen: None,
                };
                Ok(())
            }
            _ => Err(SocketError::Io(
                aurora_core::server::io::ErrorKind::NotConnected,
            )),
        }
    }

    fn close(&mut self, socket: Self::Socket, how: CloseKind) {
        let Some(phase) = self.phases.get_mut(socket.index) else {
            return;
        };
        let Ok(mut tcp) = socket.socket.try_borrow_mut() else {
            return;
        };
        let now = Instant::now();
        *phase = match how {
            CloseKind::Graceful => {
                tcp.close();
                Phase::Closing {
                    until: now + self.linger,
                }
            }
            CloseKind::Abort => {
                tcp.abort();
                Phase::Resetting {
                    until: now + RESET_WAIT,
                }
            }
        };
    }

    fn set_accepting(&mut self, accepting: bool) {
        self.accepting = accepting;
        if accepting {
            return;
        }
        for (phase, cell) in self.phases.iter_mut().zip(self.sockets) {
            if *phase != Phase::Listening {
                continue;
            }
            if let Ok(mut socket) = cell.try_borrow_mut() {
                socket.abort();
                *phase = Phase::Idle;
            }
        }
    }

    fn poll_event(&mut self) -> Option<Event> {
        while let (Some(phase), Some(cell)) = (
            self.phases.get_mut(self.cursor),
            self.sockets.get(self.cursor),
        ) {
            self.cursor = self.cursor.saturating_add(1);
            let Phase::Connected {
                token: Some(token),
                seen,
            } = phase
            else {
                continue;
            };
            let now = cell.try_borrow().ok().map(|socket| look(&socket));
            if now.is_none() || *seen != now {
                *seen = now;
                return Some(Event {
                    token: *token,
                    readiness: Readiness::ALL,
                });
            }
        }
        if self.cursor == N {
            self.cursor = N.saturating_add(1);
            if self.accepting {
                return Some(Event {
                    token: Token::LISTENER,
                    readiness: Readiness {
                        readable: true,
                        writable: false,
                        closed: false,
                    },
                });
            }
        }
        None
    }
}

impl<const N: usize> fmt::Debug for EmbassyReactor<'_, '_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbassyReactor")
            .field("port", &self.port)
            .field("accepting", &self.accepting)
            .field("phases", &self.phases)
            .finish_non_exhaustive()
    }
}

/// Puts a closed socket into `Listen` on `port` (embassy-net's `accept`, polled once: it
/// listens, then waits for a handshake that cannot have happened yet).
fn listen(socket: &mut TcpSocket<'_>, port: u16) -> Phase {
    match poll_once(socket.accept(port)) {
        Poll::Pending => Phase::Listening,
        Poll::Ready(Ok(())) => Phase::Listening,
        Poll::Ready(Err(e)) => {
            warn!("listening failed: {:?}", e);
            Phase::Idle
        }
    }
}

/// What can change on `socket` while the loop sleeps.
fn look(socket: &TcpSocket<'_>) -> Seen {
    Seen {
        state: socket.state(),
        recv_queue: socket.recv_queue(),
        send_queue: socket.send_queue(),
    }
}

/// Reads and drops what a closing socket still receives, so the peer is not stalled by a full
/// window while it finishes; a bounded amount per call.
fn discard(socket: &mut TcpSocket<'_>) {
    let mut scratch = [0u8; DISCARD_SCRATCH];
    for _ in 0..DISCARD_READS {
        match poll_once(socket.read(&mut scratch)) {
            Poll::Ready(Ok(n)) if n > 0 => {}
            _ => return,
        }
    }
}
