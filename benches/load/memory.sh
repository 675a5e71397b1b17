#!/usr/bin/env bash
# Resident memory of Aurora's `hello` beside nginx's in the same run, by hand (never in CI):
# at start, holding idle keep-alive connections, at the peak of a burst, and a while after it.
#
#   benches/load/memory.sh [idle-connections] [burst-connections] [settle-seconds] [workers]
#
# Defaults: 5000 idle, a burst of 10000, 60 s to settle, 1 worker each. Both servers are
# configured for 20000 connections and listen on 127.0.0.1 only. nginx's figure is its master
# plus its workers; Aurora's is its one process. Installs nginx (Debian) if it is missing.
# Takes about settle-seconds plus half a minute.
set -euo pipefail
cd "$(dirname "$0")/../.."
IDLE=${1:-5000}
BURST=${2:-10000}
SETTLE=${3:-60}
WORKERS=${4:-1}
HERE=benches/load
AURORA_PORT=18080
NGINX_PORT=18081

if ! command -v nginx >/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y nginx
fi
cargo build --release --example hello
ulimit -n "$(ulimit -Hn)"
tmp=$(mktemp -d)
mkdir -p "$tmp/tmp" "$tmp/logs"
cleanup() {
    kill "${AURORA_PID:-}" "${NGINX_PID:-}" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
sed "s/^worker_processes 1;/worker_processes $WORKERS;/" "$HERE/nginx.conf" >"$tmp/nginx.conf"

AURORA_ADDR=127.0.0.1:$AURORA_PORT AURORA_WORKERS=$WORKERS AURORA_MAX_CONNECTIONS=20000 \
    AURORA_LOG=warn AURORA_TIMEOUTS_KEEP_ALIVE_IDLE=600000 \
    target/release/examples/hello >"$tmp/aurora.out" &
AURORA_PID=$!
nginx -p "$tmp" -c "$tmp/nginx.conf" &
NGINX_PID=$!
for port in $AURORA_PORT $NGINX_PORT; do
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && break
        sleep 0.1
    done
done
NGINX_PIDS=$(echo "$NGINX_PID" $(pgrep -P "$NGINX_PID") | tr ' ' ',')

echo "$(date -u +%F) $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "$WORKERS worker(s) each, $(nginx -v 2>&1 | cut -d: -f2 | xargs)"
python3 $HERE/idle_memory.py --idle "$IDLE" --burst "$BURST" --settle "$SETTLE" \
    "aurora=$AURORA_PORT=$AURORA_PID" "nginx=$NGINX_PORT=$NGINX_PIDS"
