//! The shared backend suite (reactor, workers, server) on epoll.

aurora_unix::backend_tests!(aurora_linux::Linux);
