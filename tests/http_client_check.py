"""Checks the demo server with Python's own HTTP client (http.client).

Usage: python3 http_client_check.py HOST PORT

GET, HEAD, POST echo (Content-Length and chunked), OPTIONS, 501, and keep-alive reuse of
one connection; exits non-zero with a message on the first failure.
"""

import http.client
import sys


def check(condition, message):
    if not condition:
        print("FAIL: " + message, file=sys.stderr)
        sys.exit(1)


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    conn = http.client.HTTPConnection(host, port, timeout=5)

    conn.request("GET", "/")
    resp = conn.getresponse()
    body = resp.read()
    check(resp.status == 200, "GET / status %d" % resp.status)
    check(body == b"Hello, World!", "GET / body %r" % body)
    check(resp.getheader("Content-Type", "").startswith("text/plain"), "GET / content type")
    sock = conn.sock
    check(sock is not None, "the connection closed after GET")

    conn.request("HEAD", "/")
    resp = conn.getresponse()
    check(resp.status == 200 and resp.read() == b"", "HEAD /")
    check(resp.getheader("Content-Length") == "13", "HEAD / Content-Length")

    payload = bytes(range(256)) * 40
    conn.request("POST", "/echo", body=payload)
    resp = conn.getresponse()
    echoed = resp.read()
    check(resp.status == 200, "POST status %d" % resp.status)
    check(echoed == payload, "POST echo differs (%d bytes back)" % len(echoed))
    check(resp.getheader("Content-Type") == "application/octet-stream", "POST content type")

    conn.request("PUT", "/x", body=iter([b"chunk one, ", b"chunk two"]),
                 headers={"Transfer-Encoding": "chunked"}, encode_chunked=True)
    resp = conn.getresponse()
    check(resp.read() == b"chunk one, chunk two", "chunked PUT echo")

    conn.request("OPTIONS", "/")
    resp = conn.getresponse()
    resp.read()
    check(resp.status == 204, "OPTIONS status %d" % resp.status)
    check(resp.getheader("Allow") == "GET, HEAD, POST, PUT, OPTIONS", "OPTIONS Allow")

    conn.request("BREW", "/")
    resp = conn.getresponse()
    resp.read()
    check(resp.status == 501, "BREW status %d" % resp.status)

    conn.request("GET", "/again")
    resp = conn.getresponse()
    check(resp.read() == b"Hello, World!", "GET after the others")
    check(conn.sock is sock, "keep-alive: a new socket was opened")
    conn.close()
    print("ok")


if __name__ == "__main__":
    main()
