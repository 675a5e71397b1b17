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
HERE=benches/load
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

serve() { # example port
    AURORA_ADDR=127.0.0.1:$2 AURORA_WORKERS=1 AURORA_PIN_CPUS=false \
        AURORA_MAX_CONNECTIONS=20000 AURORA_MAX_REQUESTS_PER_CONNECTION=4294967295 \
        AURORA_LOG=warn taskset -c 0 "target/release/examples/$1" >/dev/null &
}
serve hello $HELLO_PORT
HELLO_PID=$!
serve device $DEVICE_PORT
DEVICE_PID=$!
for url in "http://127.0.0.1:$HELLO_PORT/" "http://127.0.0.1:$DEVICE_PORT/api/status"; do
    for _ in $(seq 100); do
        curl -s -o /dev/null "$url" && break
        sleep 0.1
    done
done

run() { # server url variant
    local args=(-c 64) tail=()
    if [ "$3" = pipe16 ]; then args=(-c 64 -s "$HERE/pipeline.lua"); tail=(-- 16); fi
    local out rps
    out=$(taskset -c 1 wrk -t 1 "${args[@]}" -d "${SECS}s" "$2" "${tail[@]}")
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    echo "$1 $3 $rps $(awk '/Non-2xx|Socket errors/ { print }' <<<"$out")"
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
