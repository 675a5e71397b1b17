#!/usr/bin/env python3
"""Flood: twice the connection limit opened at once and held, then let go.

    benches/fault/flood.py [hold-seconds]

For Aurora's default max_connections (1024) and for 8192 (nginx beside each, with as many
worker_connections): wrk -c64 for 1 s; then 2 x limit connections opened at once, each held
without a byte and opened again when the server closes it, for the hold time, with wrk
measuring meanwhile; then every flood connection closed and wrk for 1 s at once and 1 s
more. Prints the four rates, the peak RSS, the flood connections the server cut, and whether
it still answers. Bounded: about 4 x (hold + 10) s.
"""

import sys
import threading
import time

import attackers
import common

HOLD = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def run(server, count):
    common.get(server.port)
    before, _ = common.wrk(server.port, 1)
    rss_before = server.rss_kib()
    flood = attackers.flood(server.port, count)
    peak, halt = [0], threading.Event()

    def watch():
        while not halt.wait(0.1):
            peak[0] = max(peak[0], server.rss_kib())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    flood.start()
    time.sleep(1)
    during, errors = common.wrk(server.port, max(1, HOLD - 1))
    cut = flood.cut
    flood.stop()
    after, _ = common.wrk(server.port, 1)
    then, _ = common.wrk(server.port, 1)
    halt.set()
    watcher.join()
    ok = server.alive() and common.get(server.port)[0] == 200
    common.log(
        f"{server.name:6} before {before:8.0f}/s  flooded {during:8.0f}/s  first second after "
        f"{after:8.0f}/s (ratio {after / before:.2f})  the next {then:8.0f}/s (ratio "
        f"{then / before:.2f})  flood connections cut {cut}  rss "
        f"{rss_before} -> peak {peak[0]} KiB  healthy {ok}  {errors}"
    )


def main():
    common.build()
    for limit in (1024, 8192):
        common.log(f"-- max_connections {limit}: {2 * limit} connections held {HOLD} s")
        env = {} if limit == 1024 else {"max_connections": limit}
        for start in (lambda: common.aurora(**env), lambda: common.nginx(limit)):
            server = start()
            try:
                run(server, 2 * limit)
            finally:
                server.stop()


main()
