//! The shared backend suite (reactor, workers, server) on kqueue: a real one on the BSDs and
//! macOS, the emulation on Linux (feature `emulate-kqueue`).
#![cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    all(target_os = "linux", feature = "emulate-kqueue"),
))]

aurora_unix::backend_tests!(aurora_bsd::Bsd);
