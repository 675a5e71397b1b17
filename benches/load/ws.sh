#!/usr/bin/env bash
# WebSocket echoes per second over many connections, CPU time per echo, and resident memory
# per idle WebSocket connection: Aurora's `device` example (`/api/ws`, one worker) beside a
# tokio-tungstenite echo server on one thread (benches/load/ws, `peer`) in the same run, by
# hand (never in CI).
#
#   benches/load/ws.sh [connections] [seconds] [message-bytes] [idle-connections]
#
# Defaults: 64 connections, 10 s, 32-byte text messages, 1000 idle connections. The load
# generator (`load`, one thread) runs on the same machine; both servers listen on 127.0.0.1.
# CPU per echo is the server's user+system time (from /proc) over the echoes it answered.
set -euo pipefail
cd "$(dirname "$0")/../.."
CONNS=${1:-64}
SECS=${2:-10}
SIZE=${3:-32}
IDLE=${4:-1000}
AURORA_PORT=18090
PEER_PORT=18091
cargo build --release --example device
(cd benches/load/ws && cargo build --release)
tools=benches/load/ws/target/release
ulimit -n "$(ulimit -Hn)"
AURORA_ADDR=127.0.0.1:$AURORA_PORT AURORA_WORKERS=1 AURORA_MAX_CONNECTIONS=20000 AURORA_LOG=warn \
    target/release/examples/device >/dev/null &
AURORA_PID=$!
"$tools/peer" 127.0.0.1:$PEER_PORT >/dev/null &
PEER_PID=$!
trap 'kill $AURORA_PID $PEER_PID 2>/dev/null || true' EXIT
sleep 1

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
tick=$(getconf CLK_TCK)

echo "# $(date -u +%Y-%m-%d) $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# $CONNS connections, $SECS s, $SIZE-byte text messages echoed; then $IDLE idle connections"
for server in aurora=$AURORA_PORT=$AURORA_PID peer=$PEER_PORT=$PEER_PID; do
    IFS== read -r name port pid <<<"$server"
    url=ws://127.0.0.1:$port/api/ws
    before=$(cpu_ticks "$pid")
    rate=$("$tools/load" echo "$url" "$CONNS" "$SECS" "$SIZE" | sed -n 's/ echoes\/s//p')
    after=$(cpu_ticks "$pid")
    echoes=$((rate * SECS))
    cpu_us=$(awk -v t=$((after - before)) -v hz="$tick" -v n="$echoes" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
    rss0=$(rss_kib "$pid")
    fifo=$(mktemp -u)
    mkfifo "$fifo"
    "$tools/load" idle "$url" "$IDLE" 20 >"$fifo" &
    IDLE_PID=$!
    read -r _ <"$fifo"
    sleep 2
    rss1=$(rss_kib "$pid")
    kill "$IDLE_PID" 2>/dev/null || true
    wait "$IDLE_PID" 2>/dev/null || true
    rm -f "$fifo"
    per=$(awk -v a="$rss0" -v b="$rss1" -v n="$IDLE" 'BEGIN {printf "%.0f", (b - a) * 1024 / n}')
    echo "$name: $rate echoes/s, $cpu_us us CPU per echo, RSS $rss0 KiB -> $rss1 KiB with $IDLE idle sockets: $per bytes each"
done
