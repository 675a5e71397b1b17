#!/usr/bin/env bash
# The reconnect path, by hand (never in CI): what one new connection with one request costs
# Aurora's `hello` (one worker).
#
#   benches/load/reconnect.sh [connections]
#
# 1. Syscalls: `strace -c -f` attached to the running server while reconnect.py opens the
#    given number of connections (default 2000) one after another, each with one `GET /`
#    and `Connection: close`; prints strace's table and the calls per connection.
# 2. Instructions: the server under `valgrind --tool=cachegrind` serving the same
#    connections, and once serving none (start-up and shutdown only); the difference divided
#    by the connections is the instructions per accept-to-close, request included.
# Needs strace (Debian: strace), valgrind and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-2000}
HERE=benches/load
PORT=18086
cargo build --release --example hello
tmp=$(mktemp -d)
cleanup() {
    kill "${SERVER:-}" "${STRACE:-}" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
serve() { # command prefix...
    env AURORA_ADDR=127.0.0.1:$PORT AURORA_WORKERS=1 AURORA_PIN_CPUS=false AURORA_LOG=warn \
        "$@" target/release/examples/hello >"$tmp/server.out" 2>&1 &
    SERVER=$!
    for _ in $(seq 300); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return
        sleep 0.1
    done
    echo "server did not start" >&2
    exit 1
}
stop() {
    kill -INT "$SERVER"
    wait "$SERVER" || true
}

serve
# Warm the pools and the slot table first, as a running server would be.
python3 "$HERE/reconnect.py" 127.0.0.1 $PORT 200 >/dev/null
strace -c -f -o "$tmp/strace" -p "$SERVER" &
STRACE=$!
sleep 1
ok=$(python3 "$HERE/reconnect.py" 127.0.0.1 $PORT "$N")
sleep 0.5
kill -INT "$STRACE"
wait "$STRACE" || true
stop
echo "strace -c -f over $N connections ($ok answered 200), one request each:"
cat "$tmp/strace"
awk -v n="$N" '$NF == "total" { printf "%.2f syscalls per connection\n", $4 / n }' \
    "$tmp/strace"

irefs() { sed -n 's/.*I *refs: *//p' "$tmp/server.out" | tr -d ,; }
serve valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null
stop
base=$(irefs)
serve valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null
python3 "$HERE/reconnect.py" 127.0.0.1 $PORT "$N" >/dev/null
stop
with=$(irefs)
# One start-up probe (curl) is answered in both runs, so it cancels out.
echo "$(( (with - base) / N )) instructions per connection (accept, one request, close)"
