//! The test suite every Unix backend runs on real loopback sockets (feature `testkit`).
//!
//! Each public function is one test, generic over the backend's [`Platform`](crate::Platform) or
//! [`Poller`](crate::Poller); it panics when what it checks fails. A backend runs them all with
//! [`backend_tests!`](crate::backend_tests) in one test file, and
//! [`access::one_line_per_answer_when_on_and_none_when_off`] alone in another (it installs the
//! process's logger). Sockets bind 127.0.0.1 with port 0, and every wait is bounded.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::missing_panics_doc
)]

pub mod access;
pub mod reactor;
pub mod runtime;
pub mod server;

/// Defines one `#[test]` per function of [`reactor`], [`runtime`] and [`server`] for the
/// platform type given, in modules of those names.
///
/// ```ignore
/// aurora_unix::backend_tests!(aurora_linux::Linux);
/// ```
#[macro_export]
macro_rules! backend_tests {
    ($platform:ty) => {
        $crate::backend_tests!(@each reactor, <$platform as $crate::Platform>::Poller, [
            accept_until_none_then_read_and_write,
            wait_honours_its_timeout,
            a_wake_handle_ends_a_blocked_wait,
            paused_accepting_hides_the_listener_until_resumed,
            abort_resets_the_peer,
            a_reset_peer_is_a_readable_event_and_an_error,
            the_listener_token_is_not_for_connections,
            listeners_share_a_port,
            a_reactor_without_listener_accepts_nothing,
        ]);
        $crate::backend_tests!(@each runtime, $platform, [
            workers_share_one_port_and_stop,
            workers_know_who_they_are,
            unpinned_workers_have_no_cpu,
            a_bind_failure_fails_the_start,
            a_port_in_use_fails_the_start,
            a_port_another_server_shares_fails_the_start,
            a_failing_worker_ends_run_until_signal,
            a_stop_ends_run_until_signal,
            dropping_running_stops_the_workers,
        ]);
        #[cfg(target_os = "linux")]
        mod signal {
            #[test]
            fn sigterm_ends_run_until_signal() {
                $crate::testkit::runtime::sigterm_ends_run_until_signal::<$platform>();
            }
        }
        $crate::backend_tests!(@each server, $platform, [
            two_requests_on_one_connection,
            many_clients_reach_every_worker_and_stop_closes_idle_ones,
            a_stalled_request_is_cut_at_the_shutdown_deadline,
            a_draining_server_refuses_new_connections_and_finishes_its_request,
            a_config_that_does_not_validate_is_refused,
            an_event_loop_runs_once_at_a_time_and_stops,
            a_pending_body_is_pulled_again_when_woken,
        ]);
    };
    (@each $module:ident, $ty:ty, [$($name:ident),* $(,)?]) => {
        mod $module {
            $(
                #[test]
                fn $name() {
                    $crate::testkit::$module::$name::<$ty>();
                }
            )*
        }
    };
}
