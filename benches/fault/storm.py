#!/usr/bin/env python3
"""Malformed storm: the fuzz corpora replayed against the live server.

    benches/fault/storm.py [corpus-dir] [passes]

Every file of <corpus-dir>/request_head and <corpus-dir>/connection goes out raw, and every
file of <corpus-dir>/chunked_body behind a chunked POST head, each on a connection of its own,
32 at a time; the client then half-closes and reads until the server closes (at most 5 s).
The corpora are what `cargo fuzz` leaves in fuzz/corpus (not in git; CI's 60 s runs or a
longer run by hand fill it). Each connection ends one of four ways: refused (its last answer
a 4xx or 5xx, then the close), served (only 1xx-3xx answers: the input held whole valid
requests), closed without an answer, or hung (no close within 5 s: a failure). Afterwards
the server must answer a normal request, hold no more descriptors than before, and for
Aurora have no pool buffer in use and no new arena fallback (/metrics). nginx gets the same
bytes when it is installed. Bounded: files x passes connections of at most 5 s each, 32 in parallel.
"""

import concurrent.futures
import os
import re
import shutil
import socket
import sys
import time

import common

CORPUS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(common.ROOT, "fuzz", "corpus")
PASSES = int(sys.argv[2]) if len(sys.argv) > 2 else 1
CHUNKED_HEAD = b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
STATUS = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


def inputs():
    found = []
    for target, prefix in (("request_head", b""), ("connection", b""),
                           ("chunked_body", CHUNKED_HEAD)):
        folder = os.path.join(CORPUS, target)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), "rb") as f:
                found.append(prefix + f.read())
    return found


def replay(port, data):
    try:
        with socket.create_connection(("127.0.0.1", port), 5) as s:
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server closed early; what it said is still to be read
            got = b""
            start = time.monotonic()
            while time.monotonic() - start < 5:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    return "hung"
                except OSError:
                    break  # a reset after the answer
                if not chunk:
                    break
                got += chunk
            else:
                return "hung"
    except OSError:
        return "connect failed"
    # Status lines at the start of the stream or right after a blank line end.
    codes = [int(m.group(1)) for m in STATUS.finditer(got)
             if m.start() == 0 or got[m.start() - 4:m.start()] == b"\r\n\r\n" or
             got[m.start() - 2:m.start()] == b"\r\n"]
    if not codes:
        return "closed without an answer"
    return "refused" if codes[-1] >= 400 else "served"


def run(server, data):
    common.get(server.port)
    time.sleep(0.5)
    fds = server.fds()
    fallbacks = common.metrics()["aurora_arena_fallbacks_total"] if server.name == "aurora" else 0
    start = time.monotonic()
    outcomes = {}
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        for outcome in pool.map(lambda d: replay(server.port, d), data * PASSES):
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    secs = time.monotonic() - start
    healthy = server.alive() and common.get(server.port)[0] == 200
    fds_ok = common.settle(server, lambda s: s.fds() <= fds)
    extra = ""
    if server.name == "aurora":
        m = common.metrics()
        extra = (f"  pool buffers in use {common.buffers_in_use():.0f}  new arena fallbacks "
                 f"{m['aurora_arena_fallbacks_total'] - fallbacks:.0f}  parse errors counted "
                 f"{sum(v for k, v in m.items() if k.startswith('aurora_parse_errors')):.0f}")
    common.log(
        f"{server.name:6} {len(data) * PASSES} connections in {secs:.0f} s: "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        + f"  healthy {healthy}  descriptors back {bool(fds_ok)}  rss {server.rss_kib()} KiB"
        + extra
    )
    return "hung" not in outcomes and healthy and fds_ok


def main():
    data = inputs()
    if not data:
        sys.exit(f"no corpus under {CORPUS}: run the fuzz targets first")
    common.build()
    ok = True
    # nginx is the peer when it is installed (by hand); CI runs Aurora alone.
    for start in (common.aurora, common.nginx) if shutil.which("nginx") else (common.aurora,):
        server = start()
        try:
            ok &= bool(run(server, data))
        finally:
            server.stop()
    sys.exit(0 if ok else 1)


main()
