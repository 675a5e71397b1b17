//! The access log on kqueue; its own test binary, because it installs the process's one logger.
#![cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    all(target_os = "linux", feature = "emulate-kqueue"),
))]

#[test]
fn one_line_per_answer_when_on_and_none_when_off() {
    aurora_unix::testkit::access::one_line_per_answer_when_on_and_none_when_off::<aurora_bsd::Bsd>(
    );
}
