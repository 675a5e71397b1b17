#!/usr/bin/env python3
"""Memory per idle keep-alive connection, by hand (never in CI).

    benches/load/idle_memory.py PID PORT [CONNECTIONS]

Opens CONNECTIONS (default 5000) connections to the server PID listening on 127.0.0.1:PORT,
sends one keep-alive GET on each and reads its response, then leaves them all idle and reads
the server's resident set size (VmRSS) again. Prints the growth divided by the connection
count. Run it against Aurora and nginx alike (benches/load/memory.sh does both).
"""
import resource
import socket
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit("no VmRSS")


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
        body += sock.recv(4096)


def main():
    pid, port = int(sys.argv[1]), int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, count + 100)), hard))
    request = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
    # Warm the server up with a few connections so lazily built state is not counted.
    warm = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(request)
        read_response(s)
        warm.append(s)
    time.sleep(0.5)
    before = rss_kib(pid)
    conns = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(request)
        read_response(s)
        conns.append(s)
    time.sleep(1.0)
    after = rss_kib(pid)
    per = (after - before) * 1024 / count
    print(f"rss before {before} KiB, after {after} KiB, {count} idle connections: "
          f"{per:.0f} bytes per connection")
    for s in conns + warm:
        s.close()


if __name__ == "__main__":
    main()
