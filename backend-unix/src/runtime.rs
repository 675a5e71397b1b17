//! The worker threads of one server: spawning them pinned to CPUs, each with its own
//! `SO_REUSEPORT` listener and poller, and stopping them: [`Running`], [`StopHandle`],
//! [`WorkerContext`].
//!
//! This module owns threads, the signal mask and the order of start-up; the loop a worker runs
//! (the driver's turns) is handed in by the caller, so nothing here knows about HTTP.
//!
//! # Start-up
//!
//! Threads are spawned with SIGINT and SIGTERM blocked (so only
//! [`Running::run_until_signal`] ever receives them). Each thread pins itself to its CPU (a
//! failure is logged, not fatal; there is no pinning on macOS), reads its NUMA node, binds its
//! listener and creates its [`Poller`], and reports back; with port 0, worker 0 binds first and the others bind the port
//! it got. Before any bind, [`ensure_free`] refuses an address another server already listens
//! on (the workers' `SO_REUSEPORT` would otherwise let them share it). A listening socket
//! passed by the service manager ([`activation`](crate::activation)) replaces all of this:
//! every worker serves a duplicate of it and nothing is bound. Spawning returns once every worker listens, or with the first error after stopping
//! the workers already started. Only then does each worker build what its loop needs (its
//! buffer pools), on its own CPU, so that memory is first touched on the worker's NUMA node.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use crate::metrics::MetricsHandle;
use crate::options::Options;
use crate::platform::{Control, Platform, Poller, Wake};
use crate::socket::{Listener, ensure_free};
use crate::sys::cpu;
use crate::sys::signal::BlockGuard;

/// The stack of every worker thread, as large as a main thread's: the driver's tables and
/// pools are on the heap, so only what handlers use of it is ever touched.
pub const WORKER_STACK_BYTES: usize = 8 << 20;

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
    /// Wakes every worker's response bodies that wait to be woken ([`Fill::Pending`]): for an
    /// application whose state changed in a way its streams report.
    ///
    /// [`Fill::Pending`]: aurora_core::conn::Fill::Pending
    pub wake: BodyWaker,
}

/// Wakes the response bodies of every worker that wait to be woken
/// ([`Fill::Pending`](aurora_core::conn::Fill::Pending)): each worker pulls them again at its
/// next turn. Cheap to clone and to call from any thread; calls that come faster than the
/// workers turn are merged.
#[derive(Clone, Debug)]
pub struct BodyWaker {
    shared: Arc<Shared>,
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
pub struct Worker<R> {
    /// Who the worker is.
    pub context: WorkerContext,
    /// Its poller, listening.
    pub reactor: R,
    /// The server's options.
    pub options: Options,
    /// How many workers the server runs.
    pub workers: usize,
    /// Says when to begin the graceful stop.
    pub stop: StopHandle,
}

/// State the workers, the [`StopHandle`]s and [`Running`] share.
#[derive(Debug)]
struct Shared {
    /// Set once by the first [`StopHandle::stop`].
    stopping: AtomicBool,
    /// How many times a [`BodyWaker`] woke the workers.
    wakes: AtomicU64,
    /// The wakers of the workers that are listening.
    wakers: Mutex<Vec<Box<dyn Wake>>>,
    /// Woken by a stop and by every worker that ends, for [`Running::run_until_signal`].
    control: Box<dyn Control>,
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
    /// Failing to set up the signal source (the workers are stopped then), or what
    /// [`join`](Self::join) returns.
    pub fn run_until_signal(self) -> io::Result<()> {
        let waited = self.shared.control.wait_for_signal(&self.shared.stopping);
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

    /// How many times the workers were woken ([`BodyWaker::wake`]) so far.
    pub(crate) fn wakes(&self) -> u64 {
        self.shared.wakes.load(Ordering::Acquire)
    }
}

impl BodyWaker {
    /// Asks every worker to pull its waiting response bodies again.
    pub fn wake(&self) {
        self.shared.wakes.fetch_add(1, Ordering::AcqRel);
        let wakers = self
            .shared
            .wakers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for waker in wakers.iter() {
            waker.wake();
        }
    }
}

impl Shared {
    fn new(control: Box<dyn Control>) -> Self {
        Shared {
            stopping: AtomicBool::new(false),
            wakes: AtomicU64::new(0),
            wakers: Mutex::new(Vec::new()),
            control,
        }
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

/// Spawns the workers `options` asks for on platform `P`, each running `body` once it
/// listens, and returns once all of them listen.
///
/// # Errors
///
/// Spawning a thread, the signal mask, or a worker's bind or poller failed; workers already
/// started are stopped and joined first.
pub fn spawn<P, B>(options: Options, metrics: MetricsHandle, body: B) -> io::Result<Running>
where
    P: Platform,
    B: Fn(Worker<P::Poller>) -> io::Result<()> + Send + Sync + 'static,
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
    // A socket the service manager passed is served as it is; an address to bind must be free
    // of other servers first.
    let inherited = crate::activation::inherited()?;
    let local_addr = match &inherited {
        Some(listener) => {
            let addr = listener.local_addr()?;
            log::info!("aurora: serving the listening socket passed by the service manager");
            addr
        }
        None => {
            ensure_free(options.addr)
                .map_err(|e| io::Error::new(e.kind(), format!("binding {}: {e}", options.addr)))?;
            options.addr
        }
    };
    let shared = Arc::new(Shared::new(Box::new(P::Control::new()?)));
    let body = Arc::new(body);
    let (tx, rx) = mpsc::channel::<Ready>();
    let mut running = Running {
        local_addr,
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
        let listener = match inherited.as_ref().map(Listener::try_clone).transpose() {
            Ok(listener) => listener,
            Err(e) => return Err(fail(running, e)),
        };
        let spawned = spawn_worker::<P, B>(
            &running, index, workers, cpu, options, listener, reporter, body,
        );
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

/// Spawns worker `index`'s thread, which serves `listener` or else binds its own.
#[allow(clippy::too_many_arguments)]
fn spawn_worker<P, B>(
    running: &Running,
    index: usize,
    workers: usize,
    cpu: Option<usize>,
    options: Options,
    listener: Option<Listener>,
    reporter: Reporter,
    body: Arc<B>,
) -> io::Result<JoinHandle<io::Result<()>>>
where
    P: Platform,
    B: Fn(Worker<P::Poller>) -> io::Result<()> + Send + Sync + 'static,
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
            let numa_node = cpu.and_then(P::numa_node);
            log::debug!("worker {index}: CPU {cpu:?}, NUMA node {numa_node:?}");
            let reactor = match listener.map_or_else(
                || listen::<P::Poller>(addr),
                |listener| P::Poller::with_listener(Some(listener)),
            ) {
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
                .push(Box::new(reactor.wake_handle()));
            reporter.send(local);
            let context = WorkerContext {
                index,
                cpu,
                numa_node,
                metrics,
                wake: BodyWaker {
                    shared: Arc::clone(&stop.shared),
                },
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

/// A poller over a new listener on `addr`.
fn listen<R: Poller>(addr: SocketAddr) -> io::Result<R> {
    let listener = Listener::bind(addr)
        .map_err(|e| io::Error::new(e.kind(), format!("binding {addr}: {e}")))?;
    R::with_listener(Some(listener))
}

/// Stops and joins the workers of a start-up that failed with `error`, and returns it.
fn fail(running: Running, error: io::Error) -> io::Error {
    running.shared.stop();
    // Their outcome matters less than why start-up failed.
    let _ = running.join();
    error
}
