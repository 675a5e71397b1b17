#!/usr/bin/env python3
"""Slow readers: 200 clients ask for a large answer and never read it.

    benches/fault/slowreader.py [seconds-per-wrk-run]

Aurora echoes an 8 MiB POST body (the client keeps sending as far as the server takes it);
nginx sends an 8 MiB file. Each client reads through a 4 KiB receive buffer and never calls
recv, so the server's writes stall. Both servers have a 10 s write timeout (Aurora's
timeouts.write, nginx's send_timeout). Measured: wrk -c64 alone, while the readers hold their
stalled connections, and alone again once they are gone (the ratio is to the mean of the two
alone); the server's peak RSS; how long after the stall the server has closed every reader
(its descriptor count back where it was). Bounded: about 2 x (4 x seconds + 30) s.
"""

import socket
import sys
import threading
import time

import common

SECS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
READERS = 200
WRITE_TIMEOUT_S = 10


class Readers(threading.Thread):
    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.halt, self.stalled = server, threading.Event(), threading.Event()
        self.peak_rss = 0

    def run(self):
        socks = []
        aurora = self.server.name == "aurora"
        head = (
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % common.BIG
            if aurora else b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n"
        )
        for _ in range(READERS):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", self.server.port))
            s.sendall(head)
            s.setblocking(False)
            socks.append([s, 0])
        body = memoryview(b"b" * common.BIG)
        idle_rounds = 0
        while not self.halt.is_set():
            moved = 0
            for entry in socks:
                s, sent = entry
                if aurora and sent < common.BIG:
                    try:
                        n = s.send(body[sent:sent + 65536])
                        entry[1] += n
                        moved += n
                    except BlockingIOError:
                        pass
                    except OSError:
                        entry[1] = common.BIG  # cut
            # Stalled: nothing more went out for half a second.
            idle_rounds = idle_rounds + 1 if moved == 0 else 0
            if idle_rounds == 10 and not self.stalled.is_set():
                self.stalled.set()
            self.peak_rss = max(self.peak_rss, self.server.rss_kib())
            time.sleep(0.05)
        for s, _ in socks:
            s.close()


def run(server):
    common.get(server.port)
    time.sleep(0.5)
    fds = server.fds()
    alone, _ = common.wrk(server.port, SECS)
    rss_before = server.rss_kib()
    readers = Readers(server)
    readers.start()
    readers.stalled.wait(30)
    stalled = time.monotonic()
    held = server.fds() - fds
    during, errors = common.wrk(server.port, SECS)
    cut_after = common.settle(server, lambda s: s.fds() <= fds, secs=WRITE_TIMEOUT_S + 20)
    cut_after = time.monotonic() - stalled if cut_after else None
    readers.halt.set()
    readers.join(10)
    after, _ = common.wrk(server.port, SECS)
    ok = server.alive() and common.get(server.port)[0] == 200
    common.log(
        f"{server.name:6} alone {alone:8.0f}/s, after {after:8.0f}/s  with readers {during:8.0f}/s  "
        f"ratio to the mean alone {2 * during / (alone + after):.2f}  readers held once stalled: {held}  all cut "
        f"{cut_after and round(cut_after, 1)} s after the stall  rss {rss_before} -> peak {readers.peak_rss} KiB  "
        f"healthy {ok}  {errors}"
    )


def main():
    common.build()
    common.log(f"-- {READERS} slow readers of an 8 MiB answer, write timeout {WRITE_TIMEOUT_S} s, "
               f"wrk -c64 {SECS} s")
    for start in (
        lambda: common.aurora(timeouts_write=WRITE_TIMEOUT_S * 1000,
                              limits_max_body_bytes=common.BIG),
        lambda: common.nginx(write_s=WRITE_TIMEOUT_S),
    ):
        server = start()
        try:
            run(server)
        finally:
            server.stop()


main()
