#!/usr/bin/env python3
"""Soak: many requests from 64 keep-alive clients, 5% of them abandoned at a random byte.

    benches/fault/soak.py [requests] [seed]

Each of 64 connections sends one request at a time: a GET / (the greeting) or a POST / with a
random body of up to 2 KiB (echoed). One request in twenty is abandoned instead, by FIN or by
RST, at a random byte: of its head, of a 16 KiB body, or of the 256 KiB echo coming back (the
client reads through a 4 KiB receive buffer, so the server is still writing). A client whose
connection the server closes after a `Connection: close` answer opens another.

Checked against Aurora's `hello` (default configuration): every request not abandoned gets
its whole, correct answer; after the run, with every client gone, the server holds as many
descriptors as before it (/proc/PID/fd), no pool buffer is in use (/metrics), and its RSS
over the run stays within a few pages of its level after the first tenth. nginx does not
echo bodies or expose its buffers, so it does not run this one. Bounded: the requests, and a
15 s stall limit on any connection.
"""

import random
import selectors
import socket
import struct
import sys
import time

import common

TOTAL = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 1
CLIENTS = 64
ABORT_EVERY = 20
STALL = 15.0
GREETING = b"Hello, World!"


def post(body, length=None):
    length = len(body) if length is None else length
    return b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % length + body


class Exchange:
    """One request on one connection: what goes out, what must come back, and where (if
    anywhere) the client gives up."""

    def __init__(self, rng):
        self.abort = None  # ("send" | "recv", at byte, "fin" | "rst")
        kind = rng.random()
        if rng.randrange(ABORT_EVERY) == 0:
            how = rng.choice(("fin", "rst"))
            where = rng.choice(("head", "body", "response"))
            if where == "head":
                self.out = b"GET / HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"p" * rng.randrange(200) + b"\r\n\r\n"
                self.abort = ("send", rng.randrange(1, len(self.out)), how)
            elif where == "body":
                self.out = post(rng.randbytes(16384))
                self.abort = ("send", rng.randrange(len(self.out) - 16384, len(self.out)), how)
            else:
                self.out = post(rng.randbytes(262144))
                self.abort = ("recv", rng.randrange(1, 200_000), how)
            self.expect = None
        elif kind < 0.5:
            self.out, self.expect = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n", GREETING
        else:
            body = rng.randbytes(rng.randrange(2048))
            self.out, self.expect = post(body), body
        self.sent = 0
        self.got = bytearray()


def response_end(buf):
    """(end offset, body, closes) of the first whole response in `buf`, or None."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = bytes(buf[:head_end]).lower()
    closes = b"connection: close" in head
    at = head_end + 4
    if b"transfer-encoding: chunked" in head:
        body = bytearray()
        while True:
            line_end = buf.find(b"\r\n", at)
            if line_end < 0:
                return None
            size = int(bytes(buf[at:line_end]).split(b";")[0], 16)
            at = line_end + 2
            if size == 0:
                if buf.find(b"\r\n", at) != at:
                    return None  # trailers are never sent; wait for the last CRLF
                return at + 2, bytes(body), closes
            if len(buf) < at + size + 2:
                return None
            body += buf[at:at + size]
            at += size + 2
    length = int(head.split(b"content-length:")[1].split(b"\r\n")[0])
    if len(buf) < at + length:
        return None
    return at + length, bytes(buf[at:at + length]), closes


class Soak:
    def __init__(self, port, rng):
        self.port, self.rng = port, rng
        self.sel = selectors.DefaultSelector()
        self.started = self.done = self.aborted = self.lost = 0
        self.lost_examples = []

    def open(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", self.port))
        self.next(s)

    def next(self, s):
        if self.started >= TOTAL:
            s.close()
            return
        self.started += 1
        ex = Exchange(self.rng)
        ex.since = time.monotonic()
        self.sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, ex)

    def finish(self, s, how=None):
        self.sel.unregister(s)
        if how == "rst":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        self.open()

    def lose(self, s, ex, why):
        self.lost += 1
        if len(self.lost_examples) < 5:
            self.lost_examples.append((why, ex.out[:60], bytes(ex.got[:120])))
        self.finish(s)

    def step(self, key, events):
        s, ex = key.fileobj, key.data
        ex.since = time.monotonic()
        if events & selectors.EVENT_WRITE and ex.sent < len(ex.out):
            stop = len(ex.out)
            if ex.abort and ex.abort[0] == "send":
                stop = ex.abort[1]
            try:
                ex.sent += s.send(ex.out[ex.sent:stop])
            except BlockingIOError:
                pass
            except OSError as e:
                return self.lose(s, ex, f"send: {e}") if ex.expect is not None else self.drop(s, ex)
            if ex.abort and ex.abort[0] == "send" and ex.sent >= stop:
                return self.drop(s, ex)
            if ex.sent == len(ex.out):
                self.sel.modify(s, selectors.EVENT_READ, ex)
        if events & selectors.EVENT_READ:
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                return
            except OSError as e:
                return self.lose(s, ex, f"recv: {e}") if ex.expect is not None else self.drop(s, ex)
            if not chunk:
                return self.lose(s, ex, "closed") if ex.expect is not None else self.drop(s, ex)
            ex.got += chunk
            if ex.abort and ex.abort[0] == "recv" and len(ex.got) >= ex.abort[1]:
                return self.drop(s, ex)
            whole = response_end(ex.got)
            if whole is None or ex.expect is None:
                return
            end, body, closes = whole
            if not ex.got.startswith(b"HTTP/1.1 200 ") or body != ex.expect or end != len(ex.got):
                return self.lose(s, ex, "wrong answer")
            self.done += 1
            if closes:
                return self.finish(s)
            self.sel.unregister(s)
            self.next(s)

    def drop(self, s, ex):
        self.aborted += 1
        self.finish(s, ex.abort[2] if ex.abort else None)

    def run(self, server, samples):
        for _ in range(CLIENTS):
            self.open()
        next_sample = 0
        while self.sel.get_map():
            for key, events in self.sel.select(1.0):
                self.step(key, events)
            now = time.monotonic()
            for key in list(self.sel.get_map().values()):
                if now - key.data.since > STALL:
                    self.lose(key.fileobj, key.data, "stalled")
            if self.started >= next_sample:
                samples.append((self.started, server.rss_kib()))
                next_sample += TOTAL // 20


def main():
    common.build()
    server = common.aurora()
    try:
        common.get(server.port)
        time.sleep(0.5)
        fds_before = server.fds()
        samples = []
        start = time.monotonic()
        soak = Soak(server.port, random.Random(SEED))
        soak.run(server, samples)
        secs = time.monotonic() - start
        common.settle(server, lambda s: common.metrics()["aurora_connections_open"] <= 1)
        fds_after = common.settle(server, lambda s: s.fds() == fds_before and s.fds())
        buffers = common.buffers_in_use()
        tail = [rss for n, rss in samples if n >= TOTAL // 10]
        common.log(
            f"aurora soak: {soak.started} requests in {secs:.0f} s ({soak.started / secs:.0f}/s), "
            f"{soak.done} answered, {soak.aborted} abandoned, {soak.lost} lost"
        )
        for example in soak.lost_examples:
            common.log("  lost:", example)
        common.log(
            f"  descriptors before {fds_before}, after {server.fds()}; pool buffers in use "
            f"{buffers:.0f}; RSS after the first tenth {min(tail)}..{max(tail)} KiB, at the "
            f"end {server.rss_kib()} KiB; healthy {server.alive() and common.get(server.port)[0] == 200}"
        )
        ok = soak.lost == 0 and fds_after and buffers == 0 and server.alive()
        sys.exit(0 if ok else 1)
    finally:
        server.stop()


main()
