#!/usr/bin/env bash
# Throughput of the device example's `GET /api/status` (router, JSON written by the app
# layer) beside `hello`'s `GET /` in the same run, by hand (never in CI):
#
#   benches/load/app.sh [seconds-per-run] [rounds]
#
# Both servers run one worker pinned to CPU 0, wrk runs on CPU 1; each round runs every
# variant against hello and then the device back to back. Prints one line per run and the
# median requests/s per server and variant with the device's ratio to hello. Needs wrk and
# 2 CPUs.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-5}
ROUNDS=${2:-3}
source benches/load/common.sh
HELLO_PORT=18090
DEVICE_PORT=18091

cargo build --release --example hello --example device
ulimit -n "$(ulimit -Hn)"
results=$(mktemp)
cleanup() {
    kill "${HELLO_PID:-}" "${DEVICE_PID:-}" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -f "$results"
}
trap cleanup EXIT

# shellcheck disable=SC2046 # the command line is split into words on purpose
taskset -c 0 $(aurora_command hello $HELLO_PORT) >/dev/null &
HELLO_PID=$!
# shellcheck disable=SC2046
taskset -c 0 $(aurora_command device $DEVICE_PORT) >/dev/null &
DEVICE_PID=$!
wait_ready "http://127.0.0.1:$HELLO_PORT/" "http://127.0.0.1:$DEVICE_PORT/api/status"

run() { # server url variant
    local out rps
    out=$(wrk_variant "$2" "$3" "$SECS")
    rps=$(wrk_rate "$out")
    echo "$1 $3 $rps $(wrk_errors "$out")"
    echo "$1 $3 $rps" >>"$results"
}
for _ in $(seq "$ROUNDS"); do
    for v in c64 pipe16; do
        run hello "http://127.0.0.1:$HELLO_PORT/" "$v"
        run device "http://127.0.0.1:$DEVICE_PORT/api/status" "$v"
    done
done

echo
echo "median requests/s over $ROUNDS rounds of ${SECS}s (server on CPU 0, wrk on CPU 1)"
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
for v in ("c64", "pipe16"):
    h = statistics.median(float(r[2]) for r in rows if r[0] == "hello" and r[1] == v)
    d = statistics.median(float(r[2]) for r in rows if r[0] == "device" and r[1] == v)
    print(f"{v:7} hello / {h:10.0f}  device /api/status {d:10.0f}  ratio {d / h:.2f}")
PY
