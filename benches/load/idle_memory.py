#!/usr/bin/env python3
"""Resident memory of servers at start, holding idle keep-alive connections, and after a burst,
by hand (never in CI).

    benches/load/idle_memory.py [--idle N] [--burst M] [--settle S] NAME=PORT=PID[,PID...] ...

For each server NAME listening on 127.0.0.1:PORT whose processes are PID,... (a master and its
workers count together), in the order given:

1. start: the total resident set size (VmRSS summed over the PIDs) after a warm-up of 50
   keep-alive requests, so lazily built state is counted;
2. idle: N connections (default 5000) each send one keep-alive GET, read the response and stay
   open, idle; the total RSS then, and the growth per connection;
3. burst: those close; M connections (default 10000) are opened at once, each sends one GET
   and reads its response, and all close.

Then, once every server had its burst, it waits until S seconds (default 60) have passed since
the last burst closed and reads every total RSS again ("after"), with its ratio to "start".
Prints one line per server and phase, and the ratio of each server's figures to the last
server's (benches/load/memory.sh puts nginx last).
"""
import argparse
import resource
import socket
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"


def rss_kib(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
            else:
                raise SystemExit(f"no VmRSS for {pid}")
    return total


def read_response(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("server closed a connection")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("server closed a connection mid-body")
        body += chunk


def open_connections(port, count):
    """`count` connections, each with one request answered, left open."""
    conns = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        conns.append(s)
    # Send every request first, then read every answer: the server sees them all at once.
    for s in conns:
        s.sendall(REQUEST)
    for s in conns:
        read_response(s)
    return conns


def close_all(conns):
    for s in conns:
        s.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=int, default=5000)
    parser.add_argument("--burst", type=int, default=10000)
    parser.add_argument("--settle", type=float, default=60.0)
    parser.add_argument("servers", nargs="+", help="NAME=PORT=PID[,PID...]")
    args = parser.parse_args()
    servers = []
    for spec in args.servers:
        name, port, pids = spec.split("=")
        servers.append((name, int(port), [int(p) for p in pids.split(",")]))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = max(args.idle, args.burst) + 200
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, need)), hard))

    rows = {}
    last_burst = time.monotonic()
    for name, port, pids in servers:
        warm = open_connections(port, 50)
        time.sleep(0.5)
        start = rss_kib(pids)
        close_all(warm)
        conns = open_connections(port, args.idle)
        time.sleep(1.0)
        idle = rss_kib(pids)
        close_all(conns)
        time.sleep(0.5)
        burst = open_connections(port, args.burst)
        peak = rss_kib(pids)
        close_all(burst)
        last_burst = time.monotonic()
        rows[name] = {"start": start, "idle": idle, "peak": peak, "pids": pids}
        per = (idle - start) * 1024 / max(args.idle, 1)
        print(f"{name:8} start {start:7} KiB   {args.idle} idle {idle:7} KiB "
              f"({per:.0f} B/conn)   {args.burst} burst peak {peak:7} KiB", flush=True)
    wait = args.settle - (time.monotonic() - last_burst)
    if wait > 0:
        time.sleep(wait)
    for name, row in rows.items():
        row["after"] = rss_kib(row["pids"])
        print(f"{name:8} {args.settle:.0f} s after the burst {row['after']:7} KiB "
              f"({row['after'] / row['start']:.2f}x start)")
    base_name = servers[-1][0]
    base = rows[base_name]
    for name, row in rows.items():
        if name == base_name:
            continue
        ratios = "  ".join(f"{k} {row[k] / base[k]:.2f}" for k in ("start", "idle", "peak", "after"))
        print(f"{name} / {base_name}: {ratios}")


if __name__ == "__main__":
    main()
