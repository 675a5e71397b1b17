"""Opens `count` connections to `host:port` one after another, sends one `GET /` on each
and reads the whole answer before closing: the reconnect path, one request per connection.
Used by reconnect.sh; prints the connections that got a `200`."""

import socket
import sys

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
request = f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()
ok = 0
for _ in range(count):
    with socket.create_connection((host, port)) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(4096):
            answer += chunk
        ok += answer.startswith(b"HTTP/1.1 200 ")
print(ok)
