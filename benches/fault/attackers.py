"""Hostile clients that run in a thread beside wrk, each until `stop()`: the slowloris
trickler and the connection flood. One selector loop per attacker, non-blocking sockets,
127.0.0.1 only; a connection the server closes is opened again at once and counted as cut.
"""

import collections
import selectors
import socket
import threading
import time

TICK = 0.01


class Attacker(threading.Thread):
    """Holds `count` connections to `port`, each sending one byte of a head that never ends
    every `byte_every` seconds (None: not a byte)."""

    def __init__(self, port, count, byte_every=None):
        super().__init__(daemon=True)
        self.port, self.count, self.byte_every = port, count, byte_every
        self.sel = selectors.DefaultSelector()
        self.halt = threading.Event()
        self.cut = 0  # connections the server closed
        self.open = 0

    # A head that never ends: a request line, Host, then one header field after another.
    HEAD = b"GET / HTTP/1.1\r\nHost: t\r\n"
    FIELD = b"X-Slow: 1\r\n"

    def byte(self, sent):
        if sent < len(self.HEAD):
            return self.HEAD[sent:sent + 1]
        i = (sent - len(self.HEAD)) % len(self.FIELD)
        return self.FIELD[i:i + 1]

    def connect(self, slot, now):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", self.port))
        state = {"slot": slot, "sent": 0}
        self.sel.register(s, selectors.EVENT_READ, state)
        self.socks[slot] = s
        self.open += 1
        if self.byte_every is not None:
            # Spread the first bytes over one interval, so the trickle is even.
            self.due.append((now + self.byte_every * (slot / self.count), slot, s))

    def run(self):
        # Every connection waits the same interval between bytes, so the schedule is a FIFO.
        self.socks, self.due, lost = [None] * self.count, collections.deque(), []
        now = time.monotonic()
        for slot in range(self.count):
            self.connect(slot, now)
        while not self.halt.is_set():
            for key, _ in self.sel.select(TICK):
                s = key.fileobj
                try:
                    closed = not s.recv(65536)
                except OSError:
                    closed = True
                if closed:
                    self.cut += 1
                    self.sel.unregister(s)
                    s.close()
                    self.open -= 1
                    self.socks[key.data["slot"]] = None
                    lost.append(key.data["slot"])
            now = time.monotonic()
            for slot in lost:
                self.connect(slot, now)
            lost.clear()
            while self.due and self.due[0][0] <= now:
                _, slot, s = self.due.popleft()
                if self.socks[slot] is not s:
                    continue  # closed since; its successor has its own place
                state = self.sel.get_key(s).data
                try:
                    s.send(self.byte(state["sent"]))
                    state["sent"] += 1
                except OSError:
                    pass  # full, or reset: the read side sees a reset next
                self.due.append((now + self.byte_every, slot, s))
        for s in self.socks:
            if s is not None:
                self.sel.unregister(s)
                s.close()

    def stop(self):
        self.halt.set()
        self.join(30)


def slowloris(port, count, byte_every=1.0):
    """`count` connections each sending one byte of a never-ending head every `byte_every`
    seconds."""
    return Attacker(port, count, byte_every)


def flood(port, count):
    """`count` connections opened at once and held without a byte."""
    return Attacker(port, count, None)
