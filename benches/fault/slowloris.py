#!/usr/bin/env python3
"""Slowloris: throughput under 1,000 connections that trickle a head byte by byte.

    benches/fault/slowloris.py [seconds-per-wrk-run] [rounds]

For each configuration (Aurora's defaults, then max_connections 8192; nginx with as many
worker_connections and the same head timeout), and for Aurora then nginx: wrk -c64 alone, then
wrk -c64 while the attackers each send one byte a second, a few rounds. Prints both rates, how
many attackers the server cut, wrk's errors, and the median ratio of attacked to alone.
Bounded: about 4 x rounds x (2 x seconds + 4) s.
"""

import statistics
import sys
import time

import attackers
import common

SECS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
COUNT = 1000


def round_(server):
    """One wrk run alone, then one under attack: (alone, attacked, cut, errors)."""
    alone, _ = common.wrk(server.port, SECS)
    attack = attackers.slowloris(server.port, COUNT)
    attack.start()
    time.sleep(3)
    during, errors = common.wrk(server.port, SECS)
    cut = attack.cut
    attack.stop()
    return alone, during, cut, errors


def run(server):
    rounds = [round_(server) for _ in range(ROUNDS)]
    for alone, during, cut, errors in rounds:
        common.log(f"  {server.name:6} alone {alone:8.0f}/s  attacked {during:8.0f}/s  "
                   f"attackers cut {cut}  {errors}")
    ratio = statistics.median(during / alone for alone, during, _, _ in rounds)
    ok = server.alive() and common.get(server.port)[0] == 200
    common.log(f"{server.name:6} median ratio {ratio:.2f}  rss {server.rss_kib()} KiB  "
               f"healthy after {ok}")


def main():
    common.build()
    for label, connections in (("default (1024)", 1024), ("max_connections 8192", 8192)):
        common.log(f"-- {label}: {COUNT} slowloris connections, 1 byte/s each, wrk -c64 "
                   f"{SECS} s, {ROUNDS} rounds")
        env = {} if connections == 1024 else {"max_connections": connections}
        for start in (lambda: common.aurora(**env), lambda: common.nginx(connections)):
            server = start()
            try:
                run(server)
            finally:
                server.stop()


main()
