#!/usr/bin/env bash
# Memory per idle keep-alive connection for Aurora's `hello` and nginx, by hand (never in CI).
#
#   benches/load/memory.sh [connections]
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-5000}
HERE=benches/load
cargo build --release --example hello
ulimit -n "$(ulimit -Hn)"
tmp=$(mktemp -d)
mkdir -p "$tmp/tmp"
cleanup() {
    kill "${AURORA_PID:-}" "${NGINX_PID:-}" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
AURORA_ADDR=127.0.0.1:18080 AURORA_WORKERS=1 AURORA_MAX_CONNECTIONS=20000 AURORA_LOG=warn \
    AURORA_TIMEOUTS_KEEP_ALIVE_IDLE=600000 target/release/examples/hello >"$tmp/aurora.out" &
AURORA_PID=$!
nginx -p "$tmp" -c "$PWD/$HERE/nginx.conf" &
NGINX_PID=$!
sleep 1
echo -n "aurora: "
python3 $HERE/idle_memory.py "$AURORA_PID" 18080 "$COUNT"
# nginx runs a master and one worker: the worker holds the connections.
NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -1)
echo -n "nginx worker: "
python3 $HERE/idle_memory.py "$NGINX_WORKER" 18081 "$COUNT"
