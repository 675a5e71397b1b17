//! The worker threads of one server: spawning them pinned to CPUs, each with its own
//! `SO_REUSEPORT` listener and epoll instance, and stopping them: [`Running`], [`StopHandle`],
//! [`WorkerContext`].
//!
//! This module owns threads, the signal mask and the order of start-up; the loop a worker runs
//! (the driver's turns) is handed in by the caller, so nothing here knows about HTTP.
//!
//! # Start-up
//!
//! Threads are spawned with SIGINT and SIGTERM blocked (so only
//! [`Running::run_until_signal`] ever receives them). Each thread pins itself to its CPU (a
//! failure is logged, not fatal), reads its NUMA node, binds its listener and creates its
//! reactor, and reports back; with port 0, worker 0 binds first and the others bind the port
//! it got. Spawning returns once every worker listens, or with the first error after stopping
//! the workers already started. Only then does each worker build what its loop needs (its
//! buffer pools), on its own CPU, so that memory is first touched on the worker's NUMA node.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use rustix::event::{PollFd, PollFlags};

use crate::metrics::MetricsHandle;
use crate::options::Options;
use crate::reactor::{EpollReactor, WakeHandle};
use crate::socket::Listener;
use crate::sys::cpu;
use crate::sys::signal::{BlockGuard, SignalFd};
use crate::sys::waker::Waker;

/// The stack of every worker thread: the driver's slot table is built on it before it is
/// boxed.
pub(crate) const WORKER_STACK_BYTES: usize = 64 << 20;

/// What a worker knows about itself, handed to the handler factory.
#[derive(Clone, Debug)]
pub struct WorkerContext {
    /// The worker's number, `0..workers`.
    pub index: usize,
    /// The CPU the worker is pinned to, or `None` when pinning is off or failed.
    pub cpu: Option<usize>,
    /// The NUMA node of that CPU, when the system reports one.
    pub numa_node: Option<usize>,
    /// The server's metrics, to render `/metrics` from.
    pub metrics: MetricsHandle,
}

/// A running server: its workers and how to stop them.
///
/// Dropping it without [`join`](Self::join) begins a graceful stop and does not wait.
#[derive(Debug)]
pub struct Running {
    local_addr: SocketAddr,
    handles: Vec<JoinHandle<io::Result<()>>>,
    metrics: MetricsHandle,
    shared: Arc<Shared>,
}

/// Begins a graceful stop of every worker of one server, from any thread. Clone it freely.
#[derive(Clone, Debug)]
pub struct StopHandle {
    shared: Arc<Shared>,
}

/// What a worker's loop gets.
#[derive(Debug)]
pub(crate) struct Worker {
    /// Who the worker is.
    pub(crate) context: WorkerContext,
    /// Its reactor, listening.
    pub(crate) reactor: EpollReactor,
    /// The server's options.
    pub(crate) options: Options,
    /// How many workers the server runs.
    pub(crate) workers: usize,
    /// Says when to begin the graceful stop.
    pub(crate) stop: StopHandle,
}

/// State the workers, the [`StopHandle`]s and [`Running`] share.
#[derive(Debug)]
struct Shared {
    /// Set once by the first [`StopHandle::stop`].
    stopping: AtomicBool,
    /// The wakers of the workers that are listening.
    wakers: Mutex<Vec<WakeHandle>>,
    /// Woken by a stop and by every worker that ends, for [`Running::run_until_signal`].
    control: Waker,
}

/// A worker's report to the spawning thread: listening on this address, or why not.
type Ready = (usize, io::Result<SocketAddr>);

/// Sends a worker's report once; if the worker ends (or panics) before reporting, dropping
/// it reports that.
struct Reporter {
    index: usize,
    tx: Option<mpsc::Sender<Ready>>,
}

/// Wakes [`Shared::control`] when the worker holding it ends, however it ends.
struct ExitNotice(Arc<Shared>);

impl Running {
    /// The address the workers listen on, with the real port when the options asked for 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// How many worker threads run.
    pub fn workers(&self) -> usize {
        self.handles.len()
    }

    /// The server's metrics.
    pub fn metrics(&self) -> MetricsHandle {
        self.metrics.clone()
    }

    /// A handle that begins a graceful stop.
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Waits for every worker to finish (after a [`StopHandle::stop`], or an error).
    ///
    /// # Errors
    ///
    /// The first worker's error, or `Other` if a worker panicked.
    pub fn join(mut self) -> io::Result<()> {
        let mut result = Ok(());
        for (index, handle) in std::mem::take(&mut self.handles).into_iter().enumerate() {
            let outcome = handle
                .join()
                .unwrap_or_else(|_| Err(io::Error::other(format!("worker {index} panicked"))));
            if let Err(e) = outcome {
                log::error!("worker {index}: {e}");
                if result.is_ok() {
                    result = Err(e);
                }
            }
        }
        result
    }

    /// Blocks SIGINT and SIGTERM in the calling thread (for good), waits for one of them, a
    /// [`StopHandle::stop`] or a worker that ends, then stops gracefully and joins.
    ///
    /// # Errors
    ///
    /// Failing to set up the signalfd (the workers are stopped then), or what
    /// [`join`](Self::join) returns.
    pub fn run_until_signal(self) -> io::Result<()> {
        let waited = wait_for_signal(&self.shared);
        self.stop_handle().stop();
        let joined = self.join();
        waited.and(joined)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.handles.is_empty() {
            self.shared.stop();
        }
    }
}

impl StopHandle {
    /// Begins a graceful stop: every worker stops accepting, finishes or closes its
    /// connections within the shutdown deadline, and ends. Calling it again does nothing more.
    pub fn stop(&self) {
        self.shared.stop();
    }

    /// Whether a stop has begun.
    pub fn is_stopping(&self) -> bool {
        self.shared.stopping.load(Ordering::Acquire)
    }
}

impl Shared {
    fn new() -> io::Result<Self> {
        Ok(Shared {
            stopping: AtomicBool::new(false),
            wakers: Mutex::new(Vec::new()),
            control: Waker::new()?,
        })
    }

    fn stop(&self) {
        if self.stopping.swap(true, Ordering::AcqRel) {
            return;
        }
        let wakers = self.wakers.lock().unwrap_or_else(PoisonError::into_inner);
        for waker in wakers.iter() {
            waker.wake();
        }
        self.control.wake();
    }
}

impl Reporter {
    fn send(&mut self, ready: io::Result<SocketAddr>) {
        if let Some(tx) = self.tx.take() {
            // The spawning thread waits for every report; it only stops listening after an
            // error, when this report no longer matters.
            let _ = tx.send((self.index, ready));
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        let index = self.index;
        self.send(Err(io::Error::other(format!(
            "worker {index} ended before listening"
        ))));
    }
}

impl Drop for ExitNotice {
    fn drop(&mut self) {
        self.0.control.wake();
    }
}

/// Spawns the workers `options` asks for, each running `body` once it listens, and returns
/// once all of them listen.
///
/// # Errors
///
/// Spawning a thread, the signal mask, or a worker's bind or reactor failed; workers already
/// started are stopped and joined first.
pub(crate) fn spawn<B>(options: Options, metrics: MetricsHandle, body: B) -> io::Result<Running>
where
    B: Fn(Worker) -> io::Result<()> + Send + Sync + 'static,
{
    let workers = match options.config.workers {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => usize::from(n),
    };
    let cpus = if options.pin_cpus {
        cpu::allowed_cpus()
    } else {
        Vec::new()
    };
    let shared = Arc::new(Shared::new()?);
    let body = Arc::new(body);
    let (tx, rx) = mpsc::channel::<Ready>();
    let mut running = Running {
        local_addr: options.addr,
        handles: Vec::with_capacity(workers),
        metrics,
        shared,
    };
    // Threads inherit the mask: no worker ever takes SIGINT or SIGTERM.
    let mask = BlockGuard::new()?;
    for index in 0..workers {
        let cpu = (!cpus.is_empty()).then(|| cpus[index % cpus.len()]);
        let reporter = Reporter {
            index,
            tx: Some(tx.clone()),
        };
        let body = Arc::clone(&body);
        let spawned = spawn_worker(&running, index, workers, cpu, options, reporter, body);
        match spawned {
            Ok(handle) => running.handles.push(handle),
            Err(e) => return Err(fail(running, e)),
        }
        if index == 0 {
            // The others bind the port worker 0 got (it differs from the options' with port 0).
            match rx.recv() {
                Ok((_, Ok(addr))) => running.local_addr = addr,
                Ok((_, Err(e))) => return Err(fail(running, e)),
                Err(_) => return Err(fail(running, io::Error::other("worker 0 vanished"))),
            }
        }
    }
    drop(mask);
    drop(tx);
    for _ in 1..workers {
        match rx.recv() {
            Ok((_, Ok(_))) => {}
            Ok((_, Err(e))) => return Err(fail(running, e)),
            Err(_) => return Err(fail(running, io::Error::other("a worker vanished"))),
        }
    }
    log::info!(
        "aurora: {workers} workers listening on {}",
        running.local_addr
    );
    Ok(running)
}

/// Spawns worker `index`'s thread.
fn spawn_worker<B>(
    running: &Running,
    index: usize,
    workers: usize,
    cpu: Option<usize>,
    options: Options,
    reporter: Reporter,
    body: Arc<B>,
) -> io::Result<JoinHandle<io::Result<()>>>
where
    B: Fn(Worker) -> io::Result<()> + Send + Sync + 'static,
{
    let addr = running.local_addr;
    let metrics = running.metrics.clone();
    let stop = running.stop_handle();
    std::thread::Builder::new()
        .name(format!("aurora-worker-{index}"))
        .stack_size(WORKER_STACK_BYTES)
        .spawn(move || {
            let _exit = ExitNotice(Arc::clone(&stop.shared));
            let mut reporter = reporter;
            let cpu = cpu.filter(|&cpu| match cpu::pin_current_thread(cpu) {
                Ok(()) => true,
                Err(e) => {
                    log::warn!(
                        "worker {index}: pinning to CPU {cpu} failed ({e}); running unpinned"
                    );
                    false
                }
            });
            let numa_node = cpu.and_then(cpu::numa_node);
            log::debug!("worker {index}: CPU {cpu:?}, NUMA node {numa_node:?}");
            let reactor = match listen(addr) {
                Ok(reactor) => reactor,
                Err(e) => {
                    reporter.send(Err(e));
                    return Ok(());
                }
            };
            let local = reactor.listener().map_or(Ok(addr), Listener::local_addr);
            stop.shared
                .wakers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(reactor.wake_handle());
            reporter.send(local);
            let context = WorkerContext {
                index,
                cpu,
                numa_node,
                metrics,
            };
            body(Worker {
                context,
                reactor,
                options,
                workers,
                stop,
            })
        })
}

/// A reactor over a new listener on `addr`.
fn listen(addr: SocketAddr) -> io::Result<EpollReactor> {
    let listener = Listener::bind(addr)
        .map_err(|e| io::Error::new(e.kind(), format!("binding {addr}: {e}")))?;
    EpollReactor::new(Some(listener))
}

/// Stops and joins the workers of a start-up that failed with `error`, and returns it.
fn fail(running: Running, error: io::Error) -> io::Error {
    running.shared.stop();
    // Their outcome matters less than why start-up failed.
    let _ = running.join();
    error
}

/// Blocks the shutdown signals in this thread and waits for one, a stop, or a worker's end.
fn wait_for_signal(shared: &Shared) -> io::Result<()> {
    BlockGuard::new()?.forever();
    let signals = SignalFd::new()?;
    loop {
        if shared.stopping.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut fds = [
            PollFd::new(&signals, PollFlags::IN),
            PollFd::new(&shared.control, PollFlags::IN),
        ];
        match rustix::event::poll(&mut fds, None) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
        if let Some(signal) = signals.take()? {
            log::info!("aurora: signal {signal} received, stopping gracefully");
            return Ok(());
        }
        if shared.control.reset() {
            // A stop, or a worker that ended: either way the server stops.
            return Ok(());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::socket::TcpSocket;
    use aurora_core::server::io::{CloseKind, Reactor, Socket, SocketError, Token};
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

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
    fn echo(mut w: Worker) -> io::Result<()> {
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
                        Ok(0) | Err(SocketError::Io(_)) => {
                            if let Some(socket) = slot.take() {
                                w.reactor.close(socket, CloseKind::Graceful);
                            }
                        }
                        // Small test messages always fit the send buffer.
                        Ok(n) => assert_eq!(socket.write(&buf[..n]), Ok(n)),
                        Err(SocketError::WouldBlock) => break,
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

    #[test]
    fn workers_share_one_port_and_stop() {
        let running = spawn(options(3), MetricsHandle::new(), echo).unwrap();
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

    #[test]
    fn workers_know_who_they_are() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let running = spawn(options(2), MetricsHandle::new(), move |w| {
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
            // Pinning is on by default: each worker sits on an allowed CPU.
            assert_eq!(c.cpu, Some(cpus[c.index % cpus.len()]));
            assert_eq!(c.numa_node, cpu::numa_node(cpus[c.index % cpus.len()]));
        }
    }

    #[test]
    fn unpinned_workers_have_no_cpu() {
        let mut options = options(1);
        options.pin_cpus = false;
        let running = spawn(options, MetricsHandle::new(), |w| {
            assert_eq!((w.context.cpu, w.context.numa_node), (None, None));
            echo(w)
        })
        .unwrap();
        running.stop_handle().stop();
        running.join().unwrap();
    }

    #[test]
    fn a_bind_failure_fails_the_start() {
        let mut options = options(2);
        // TEST-NET-1: no interface of this machine has it.
        options.addr = "192.0.2.1:0".parse().unwrap();
        let err = spawn(options, MetricsHandle::new(), echo).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrNotAvailable);
        assert!(err.to_string().contains("binding 192.0.2.1:0"), "{err}");
    }

    #[test]
    fn a_port_in_use_fails_the_start() {
        // A listener without SO_REUSEPORT keeps the port to itself.
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut options = options(2);
        options.addr = taken.local_addr().unwrap();
        let err = spawn(options, MetricsHandle::new(), echo).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    }

    #[test]
    fn a_failing_worker_ends_run_until_signal() {
        let running = spawn(options(2), MetricsHandle::new(), |w| {
            if w.context.index == 1 {
                return Err(io::Error::other("worker 1 gives up"));
            }
            echo(w)
        })
        .unwrap();
        let err = running.run_until_signal().unwrap_err();
        assert_eq!(err.to_string(), "worker 1 gives up");
    }

    #[test]
    fn a_stop_ends_run_until_signal() {
        let running = spawn(options(1), MetricsHandle::new(), echo).unwrap();
        let stop = running.stop_handle();
        let waiter = std::thread::spawn(move || running.run_until_signal());
        stop.stop();
        waiter.join().unwrap().unwrap();
    }

    #[test]
    fn sigterm_ends_run_until_signal() {
        let (tx, rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            // Blocked before the signal is sent, so it waits for the signalfd even if it
            // arrives before run_until_signal looks.
            BlockGuard::new().unwrap().forever();
            let running = spawn(options(1), MetricsHandle::new(), echo).unwrap();
            let addr = running.local_addr();
            tx.send((rustix::thread::gettid(), addr)).unwrap();
            running.run_until_signal()
        });
        let (tid, addr) = rx.recv_timeout(PATIENCE).unwrap();
        let mut c = client(addr);
        round_trip(&mut c, b"before the signal");
        crate::sys::signal::send_to_thread(tid, libc::SIGTERM);
        waiter.join().unwrap().unwrap();
    }

    #[test]
    fn dropping_running_stops_the_workers() {
        let running = spawn(options(1), MetricsHandle::new(), echo).unwrap();
        let stop = running.stop_handle();
        drop(running);
        assert!(stop.is_stopping());
    }
}
