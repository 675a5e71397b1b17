//! CPU affinity: which CPUs the process may use, and pinning a thread to one.
//!
//! Linux and FreeBSD (and DragonFly) have `sched_getaffinity`/`sched_setaffinity` (FreeBSD's
//! are built on `cpuset`). macOS has no way to pin a thread: there the list of CPUs is empty,
//! so workers run unpinned, and pinning fails with `Unsupported`.

use std::io;

#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "dragonfly"
))]
use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};

/// The CPUs this process may run on, in increasing order (empty if the kernel would not say).
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "dragonfly"
))]
pub fn allowed_cpus() -> Vec<usize> {
    match sched_getaffinity(None) {
        Ok(set) => (0..CpuSet::MAX_CPU)
            .filter(|&cpu| set.is_set(cpu))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Restricts the calling thread to CPU `cpu`.
///
/// # Errors
///
/// `InvalidInput` if `cpu` is beyond what a CPU set holds; the kernel's error if the CPU is
/// not one this process may use.
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "dragonfly"
))]
pub fn pin_current_thread(cpu: usize) -> io::Result<()> {
    if cpu >= CpuSet::MAX_CPU {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "CPU number beyond the CPU set",
        ));
    }
    let mut set = CpuSet::new();
    set.set(cpu);
    sched_setaffinity(None, &set)?;
    Ok(())
}

/// No CPU to pin to: this OS cannot pin threads.
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "dragonfly"
)))]
pub fn allowed_cpus() -> Vec<usize> {
    Vec::new()
}

/// Always `Unsupported`: this OS cannot pin threads.
///
/// # Errors
///
/// Always [`io::ErrorKind::Unsupported`].
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "dragonfly"
)))]
pub fn pin_current_thread(cpu: usize) -> io::Result<()> {
    let _ = cpu;
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no CPU pinning on this OS",
    ))
}

#[cfg(test)]
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "dragonfly"
))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn pinning_to_an_allowed_cpu() {
        let cpus = allowed_cpus();
        assert!(!cpus.is_empty());
        let cpu = cpus[0];
        std::thread::spawn(move || {
            pin_current_thread(cpu).unwrap();
            // Only that CPU is left in the thread's own set.
            let set = sched_getaffinity(None).unwrap();
            let left: Vec<usize> = (0..CpuSet::MAX_CPU).filter(|&c| set.is_set(c)).collect();
            assert_eq!(left, [cpu]);
        })
        .join()
        .unwrap();
        assert!(pin_current_thread(CpuSet::MAX_CPU).is_err());
    }
}
