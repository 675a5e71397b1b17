#!/usr/bin/env bash
# Throughput of Aurora's `hello` against nginx in the same run, by hand (never in CI).
#
#   benches/load/run.sh [seconds-per-run] [rounds]
#
# The server under test is pinned to CPU 0 with one worker; wrk is pinned to CPU 1. Each round
# runs every variant against Aurora and then nginx, back to back, so both see the same machine.
# Prints one line per run and, at the end, the median requests/s per server and variant and
# Aurora's ratio to nginx. Needs wrk and nginx (Debian: wrk, nginx-light) and 2 CPUs.
#
# BASELINE_HELLO=path/to/hello runs another build of the example (an earlier commit's, say)
# as a third server in the same rounds, for a before-and-after beside nginx.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
ROUNDS=${2:-3}
source benches/load/common.sh
AURORA_PORT=18080
NGINX_PORT=18081
BASELINE_PORT=18082
BASELINE=${BASELINE_HELLO:-}

cargo build --release --example hello
ulimit -n "$(ulimit -Hn)"

tmp=$(mktemp -d)
mkdir -p "$tmp/tmp" "$tmp/logs"
cleanup() {
    kill "${AURORA_PID:-}" "${NGINX_PID:-}" "${BASELINE_PID:-}" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck disable=SC2046 # the command line is split into words on purpose
taskset -c 0 $(aurora_command hello $AURORA_PORT) >"$tmp/aurora.out" &
AURORA_PID=$!
taskset -c 0 nginx -p "$tmp" -c "$PWD/$LOAD_DIR/nginx.conf" &
NGINX_PID=$!
ports=($AURORA_PORT $NGINX_PORT)
if [ -n "$BASELINE" ]; then
    # shellcheck disable=SC2046
    taskset -c 0 $(aurora_command "$(realpath "$BASELINE")" $BASELINE_PORT) >"$tmp/baseline.out" &
    BASELINE_PID=$!
    ports+=($BASELINE_PORT)
fi
wait_ready "${ports[@]/#/http://127.0.0.1:}"

variants=("c64" "c256" "pipe16")
results="$tmp/results"
: >"$results"
run() { # server port variant
    local out rps errors
    out=$(wrk_variant "http://127.0.0.1:$2/" "$3" "$SECS")
    rps=$(wrk_rate "$out")
    errors=$(wrk_errors "$out")
    echo "$1 $3 $rps ${errors:+($errors)}"
    echo "$1 $3 $rps" >>"$results"
}
for round in $(seq "$ROUNDS"); do
    for v in "${variants[@]}"; do
        run aurora $AURORA_PORT "$v"
        run nginx $NGINX_PORT "$v"
        if [ -n "$BASELINE" ]; then run baseline $BASELINE_PORT "$v"; fi
    done
done

echo
echo "median requests/s over $ROUNDS rounds of ${SECS}s (server on CPU 0, wrk on CPU 1)"
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
for v in ("c64", "c256", "pipe16"):
    a = statistics.median(float(r[2]) for r in rows if r[0] == "aurora" and r[1] == v)
    n = statistics.median(float(r[2]) for r in rows if r[0] == "nginx" and r[1] == v)
    line = f"{v:7} aurora {a:12.0f}  nginx {n:12.0f}  ratio {a / n:.2f}"
    b = [float(r[2]) for r in rows if r[0] == "baseline" and r[1] == v]
    if b:
        b = statistics.median(b)
        line += f"  baseline {b:12.0f}  ratio {b / n:.2f}  aurora/baseline {a / b:.2f}"
    print(line)
PY
