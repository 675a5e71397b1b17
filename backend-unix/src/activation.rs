//! Socket activation: serving a listening socket the service manager passed instead of
//! binding one, so the socket outlives the process and a restart refuses no connection.
//!
//! The protocol is systemd's (`sd_listen_fds(3)`): the manager binds the socket, starts the
//! process with it as descriptor 3, and sets `LISTEN_FDS` to the number of descriptors passed
//! and `LISTEN_PID` to the process's id. A `LISTEN_PID` naming another process means the
//! variables were meant for it (they were inherited from a parent) and are ignored; the passed
//! descriptors are made close-on-exec, so no child of this process sees them.
//!
//! [`start`](crate::start) calls [`inherited`] once: with a socket passed, every worker serves
//! a duplicate of it (one accept queue for all, in this process and in the next one during a
//! hand-over) and `Options::addr` is not bound; the address served is the socket's own.

use std::io;

use crate::socket::Listener;
use crate::sys::activation;

/// The variable holding the id of the process the descriptors are for.
pub const PID_VARIABLE: &str = "LISTEN_PID";
/// The variable holding how many descriptors were passed.
pub const FDS_VARIABLE: &str = "LISTEN_FDS";

/// The listening socket passed to this process, if any, from the environment.
///
/// # Errors
///
/// `InvalidInput` when the variables are malformed, more than one socket was passed (a
/// server serves one), or the descriptor is not an open listening TCP socket; otherwise the
/// OS error of preparing it.
pub fn inherited() -> io::Result<Option<Listener>> {
    let pid = std::env::var(PID_VARIABLE).ok();
    let fds = std::env::var(FDS_VARIABLE).ok();
    let count = passed(pid.as_deref(), fds.as_deref(), std::process::id())?;
    if count == 0 {
        return Ok(None);
    }
    if count > 1 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{FDS_VARIABLE} = {count}: Aurora serves one listening socket"),
        ));
    }
    let Some(fd) = activation::take(count)?.and_then(|fds| fds.into_iter().next()) else {
        // Taken by an earlier start in this process, which owns it.
        return Ok(None);
    };
    Listener::inherit(fd).map(Some).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "the socket passed as descriptor {}: {e}",
                activation::FIRST_FD
            ),
        )
    })
}

/// How many descriptors the variables say were passed to process `own_pid`: 0 when
/// `LISTEN_PID` is unset or names another process.
///
/// # Errors
///
/// `InvalidInput` when a variable that counts is not a number.
pub fn passed(pid: Option<&str>, fds: Option<&str>, own_pid: u32) -> io::Result<usize> {
    let invalid = |name: &str, value: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name} = {value} is not a whole number"),
        )
    };
    let Some(pid) = pid else {
        return Ok(0);
    };
    if pid
        .trim()
        .parse::<u32>()
        .map_err(|_| invalid(PID_VARIABLE, pid))?
        != own_pid
    {
        return Ok(0);
    }
    let Some(fds) = fds else {
        return Ok(0);
    };
    fds.trim().parse().map_err(|_| invalid(FDS_VARIABLE, fds))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// `LISTEN_PID`, `LISTEN_FDS`, and what they say to process 42.
    type Row = (
        Option<&'static str>,
        Option<&'static str>,
        Result<usize, &'static str>,
    );

    #[test]
    fn what_the_variables_say() {
        let rows: [Row; 8] = [
            (None, None, Ok(0)),
            (None, Some("1"), Ok(0)),
            (Some("42"), Some("1"), Ok(1)),
            (Some("42"), Some("2"), Ok(2)),
            (Some("42"), None, Ok(0)),
            (Some("43"), Some("1"), Ok(0)),
            (
                Some("x"),
                Some("1"),
                Err("LISTEN_PID = x is not a whole number"),
            ),
            (
                Some("42"),
                Some("-1"),
                Err("LISTEN_FDS = -1 is not a whole number"),
            ),
        ];
        for (pid, fds, want) in rows {
            let got = passed(pid, fds, 42).map_err(|e| e.to_string());
            assert_eq!(got, want.map_err(str::to_owned), "{pid:?} {fds:?}");
        }
    }
}
