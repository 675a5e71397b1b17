"""Loads a page in headless chromium and prints the DOM once it holds every expected text.

Usage: http_browser_dom.py BROWSER URL EXPECTED...

The browser is driven over the DevTools protocol on a pipe (fds 3 and 4, NUL-separated JSON),
so the check waits for the page's own scripts and fetches, however long they take, while its
live event stream stays open. Exit 0 with the DOM printed once every EXPECTED text is in it;
exit 1 with the last DOM seen after 20 s.
"""
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time

browser, url, expected = sys.argv[1], sys.argv[2], sys.argv[3:]

to_browser_r, to_browser_w = os.pipe()
from_browser_r, from_browser_w = os.pipe()


def wire_pipes():
    # The browser reads commands on fd 3 and writes answers on fd 4. The pipes may already
    # sit on 3 or 4, so both move above them first.
    commands = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
    answers = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
    os.dup2(commands, 3)
    os.dup2(answers, 4)


profile = tempfile.mkdtemp(prefix="aurora-chromium-")
proc = subprocess.Popen(
    [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
     "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
    preexec_fn=wire_pipes, close_fds=False,
    stdout=subprocess.DEVNULL, stderr=None if os.environ.get("AURORA_BROWSER_LOG") else subprocess.DEVNULL)
os.close(to_browser_r)
os.close(from_browser_w)
writer = os.fdopen(to_browser_w, "wb")
reader = os.fdopen(from_browser_r, "rb")
pending = b""
next_id = 0


def call(method, params=None, session=None):
    """Sends one command and returns its result, skipping events."""
    global next_id, pending
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    writer.write(json.dumps(message).encode() + b"\0")
    writer.flush()
    while True:
        while b"\0" not in pending:
            chunk = reader.read1(65536)
            if not chunk:
                sys.exit("chromium closed the DevTools pipe")
            pending += chunk
        raw, pending = pending.split(b"\0", 1)
        answer = json.loads(raw)
        if answer.get("id") == next_id:
            if "error" in answer:
                sys.exit(f"{method}: {answer['error']}")
            return answer["result"]


dom = ""
try:
    target = call("Target.createTarget", {"url": url})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        result = call("Runtime.evaluate",
                      {"expression": "document.documentElement.outerHTML"}, session)
        dom = result["result"].get("value", "")
        if all(text in dom for text in expected):
            print(dom)
            sys.exit(0)
        time.sleep(0.1)
    print(dom)
    sys.exit(1)
finally:
    proc.kill()
    proc.wait()
