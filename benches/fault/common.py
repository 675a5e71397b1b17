"""What every fault script shares: the two servers under test, wrk, and what is read from a
running server (RSS, open descriptors, Aurora's /metrics).

Aurora is the `hello` example (release build) with one worker on CPU 0; nginx is one worker
on CPU 0 answering the same 13-byte greeting, with a large static file for the slow-reader
test. Clients (wrk and the Python attackers) run on CPU 1. Everything binds 127.0.0.1 only;
every server started here is stopped when the script ends, however it ends. Nothing here
ever waits without a bound.
"""

import atexit
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HELLO = os.path.join(ROOT, "target", "release", "examples", "hello")
AURORA_PORT = 18180
NGINX_PORT = 18181
# The size of nginx's large file, and of the echo body Aurora streams back for the same test.
BIG = 8 << 20

NGINX_CONF = """
worker_processes 1;
daemon off;
pid nginx.pid;
error_log stderr crit;
worker_rlimit_nofile 20000;
events {{ worker_connections {connections}; }}
http {{
    access_log off;
    keepalive_requests 100;  # Aurora's max_requests_per_connection
    send_timeout {write_s}s;
    client_header_timeout {head_s}s;
    client_body_temp_path tmp;
    proxy_temp_path tmp;
    fastcgi_temp_path tmp;
    uwsgi_temp_path tmp;
    scgi_temp_path tmp;
    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;
        location = /big {{ root {root}; }}
        location / {{
            default_type text/plain;
            return 200 "Hello, World!";
        }}
    }}
}}
"""


# The clients' CPU: the server has CPU 0 to itself (as far as a shared machine allows).
os.sched_setaffinity(0, {1})


def log(*args):
    print(*args, flush=True)


def build():
    subprocess.run(["cargo", "build", "--release", "--example", "hello"], cwd=ROOT, check=True)


class Server:
    """A server process under test; `pids` are every process whose RSS and descriptors count."""

    def __init__(self, name, port, proc, tmp=None):
        self.name, self.port, self.proc, self.tmp = name, port, proc, tmp
        atexit.register(self.stop)
        wait_up(port)

    @property
    def pids(self):
        pids = [self.proc.pid]
        try:
            children = open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read()
            pids += [int(p) for p in children.split()]
        except OSError:
            pass
        return pids

    def alive(self):
        return self.proc.poll() is None

    def rss_kib(self):
        total = 0
        for pid in self.pids:
            try:
                for line in open(f"/proc/{pid}/status"):
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total

    def cpu_secs(self):
        """User plus system CPU time of every process, in seconds."""
        total = 0
        for pid in self.pids:
            try:
                fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except OSError:
                pass
        return total / os.sysconf("SC_CLK_TCK")

    def fds(self):
        return sum(len(os.listdir(f"/proc/{pid}/fd")) for pid in self.pids)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


def wait_up(port, secs=10):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on port {port} after {secs} s")


def aurora(**env):
    """The `hello` example; `env` adds AURORA_* variables (`max_connections=8192` sets
    AURORA_MAX_CONNECTIONS)."""
    full = dict(os.environ)
    full.update(
        AURORA_ADDR=f"127.0.0.1:{AURORA_PORT}",
        AURORA_WORKERS="1",
        AURORA_PIN_CPUS="false",
        AURORA_LOG="error",
    )
    for key, value in env.items():
        full["AURORA_" + key.upper()] = str(value)
    proc = subprocess.Popen(["taskset", "-c", "0", HELLO], env=full, stdout=subprocess.DEVNULL)
    return Server("aurora", AURORA_PORT, proc)


def nginx(connections=1024, write_s=30, head_s=10):
    """nginx with Aurora's defaults where nginx has the same knob: as many connections, the
    same write and head timeouts."""
    tmp = tempfile.mkdtemp(prefix="aurora-fault-")
    os.chmod(tmp, 0o755)  # nginx's workers may run as another user and must read `big`
    os.makedirs(os.path.join(tmp, "tmp"))
    os.makedirs(os.path.join(tmp, "logs"))
    with open(os.path.join(tmp, "big"), "wb") as f:
        f.write(b"x" * BIG)
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(
            NGINX_CONF.format(
                connections=connections, write_s=write_s, head_s=head_s, port=NGINX_PORT, root=tmp
            )
        )
    proc = subprocess.Popen(["taskset", "-c", "0", "nginx", "-p", tmp, "-c", conf])
    return Server("nginx", NGINX_PORT, proc, tmp)


def wrk(port, secs, connections=64):
    """Requests per second of `wrk -t1 -c<connections>` on CPU 1, and its error lines."""
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{secs}s",
         f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, timeout=secs + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = " ".join(l.strip() for l in out.splitlines() if "errors" in l or "Non-2xx" in l)
    return rps, errors


def get(port, path="/", timeout=5):
    """One `GET` on a fresh connection: (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def metrics(port=AURORA_PORT):
    """Aurora's /metrics as {name{labels}: value}."""
    status, body = get(port, "/metrics")
    assert status == 200, status
    text = dechunk(body).decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def dechunk(body):
    out, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2:]
    return out


def buffers_in_use(port=AURORA_PORT):
    return sum(v for k, v in metrics(port).items() if k.startswith("aurora_buffers_in_use"))


def settle(server, until, secs=15):
    """Polls `until(server)` for up to `secs` seconds; returns its last value."""
    end = time.monotonic() + secs
    while True:
        value = until(server)
        if value or time.monotonic() > end:
            return value
        time.sleep(0.2)
