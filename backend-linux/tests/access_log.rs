//! The access log on epoll; its own test binary, because it installs the process's one logger.

#[test]
fn one_line_per_answer_when_on_and_none_when_off() {
    aurora_unix::testkit::access::one_line_per_answer_when_on_and_none_when_off::<
        aurora_linux::Linux,
    >();
}
