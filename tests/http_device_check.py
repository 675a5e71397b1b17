"""Checks the device example's JSON API with Python's own HTTP client (http.client).

Usage: python3 http_device_check.py HOST PORT

Status, a configuration round trip on one kept-alive connection, 422 naming the fields, 400,
415, and the first event of the live feed; exits non-zero with a message on the first failure.
"""

import http.client
import json
import sys


def check(condition, message):
    if not condition:
        print("FAIL: " + message, file=sys.stderr)
        sys.exit(1)


def put(conn, body, content_type="application/json"):
    conn.request("PUT", "/api/config", body=body, headers={"Content-Type": content_type})
    resp = conn.getresponse()
    return resp.status, resp.read()


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    conn = http.client.HTTPConnection(host, port, timeout=5)

    conn.request("GET", "/api/status")
    resp = conn.getresponse()
    status = json.loads(resp.read())
    check(resp.status == 200, "status %d" % resp.status)
    check(resp.getheader("Content-Type") == "application/json", "status content type")
    for key in ("uptime_ms", "requests", "config"):
        check(key in status, "status lacks %s: %r" % (key, status))
    check(isinstance(status["uptime_ms"], int), "uptime_ms %r" % status["uptime_ms"])

    new = {"name": "porch light", "interval_ms": 250, "led": True}
    code, body = put(conn, json.dumps(new))
    check(code == 200, "valid PUT %d %r" % (code, body))
    check(json.loads(body) == new, "PUT answers the new config: %r" % body)
    conn.request("GET", "/api/config")
    resp = conn.getresponse()
    check(json.loads(resp.read()) == new, "GET after PUT")

    code, body = put(conn, json.dumps({"name": "x" * 33, "interval_ms": 99, "led": False}))
    check(code == 422, "invalid PUT %d" % code)
    check(json.loads(body)["fields"] == ["name", "interval_ms"], "422 names fields: %r" % body)
    code, body = put(conn, json.dumps({"name": "ok", "interval_ms": 70000, "led": False}))
    check(code == 422 and json.loads(body)["fields"] == ["interval_ms"], "422 interval %r" % body)
    code, _ = put(conn, b'{"name": "ok", "interval_ms": 100')
    check(code == 400, "malformed PUT %d" % code)
    code, _ = put(conn, b'{"name": "ok", "interval_ms": 100, "led": "yes"}')
    check(code == 400, "led not a bool %d" % code)
    code, _ = put(conn, json.dumps(new), "text/plain")
    check(code == 415, "text/plain PUT %d" % code)
    conn.request("GET", "/api/config")
    resp = conn.getresponse()
    check(json.loads(resp.read()) == new, "refused PUTs change nothing")
    conn.close()

    conn = http.client.HTTPConnection(host, port, timeout=5)
    conn.request("GET", "/api/events")
    resp = conn.getresponse()
    check(resp.status == 200, "events %d" % resp.status)
    check(resp.getheader("Content-Type") == "text/event-stream", "events content type")
    check(resp.readline() == b"event: status\n", "first event's type")
    line = resp.readline()
    check(line.startswith(b"data: "), "first event's data %r" % line)
    check(json.loads(line[6:])["config"] == new, "event carries the config")
    conn.close()
    print("ok")


main()
