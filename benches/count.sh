#!/usr/bin/env bash
# Instructions per call of the benches' operations, by cachegrind (by hand; never in CI):
#
#   benches/count.sh [iterations]
#
# Builds the `instructions` bench (release, as `cargo bench` builds it), runs each case under
# `valgrind --tool=cachegrind --cache-sim=no` with the given iterations (default 100000) and
# with 0, and prints (difference / iterations): one call's instructions, set-up excluded. The
# chunked cases print instructions per chunk (64 KiB body: 1024 chunks of 64 bytes, 16 of
# 4096); the conn cases per request (one `GET` through a sans-IO Connection serving Hello,
# alone or 16 pipelined in one read; `conn-pipelined-bare` the same without the router).
# `route-nested` is one `PUT /api/leds/7` resolved by a nested table of eight routes. Needs
# valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
bin=$(cargo bench --bench instructions --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*instructions[^"]*\)".*/\1/p' | tail -n 1)
[ -x "$bin" ] || { echo "could not build the instructions bench" >&2; exit 1; }
count() {
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 |
        sed -n 's/.*I *refs: *//p' | tr -d ,
}
for case in parse-curl parse-browser httparse-curl httparse-browser encode route-nested chunked-64 chunked-4096 \
    conn-keepalive conn-pipelined conn-pipelined-bare; do
    iterations=$N
    per=1
    case $case in
        chunked-64) iterations=$((N / 1000 + 1)); per=1024 ;;
        chunked-4096) iterations=$((N / 1000 + 1)); per=16 ;;
        conn-pipelined*) iterations=$((N / 16 + 1)); per=16 ;;
    esac
    with=$(count "$case" "$iterations")
    without=$(count "$case" 0)
    unit=call
    case $case in chunked-*) unit=chunk ;; conn-*) unit=request ;; esac
    echo "$case: $(( (with - without) / iterations / per )) instructions per $unit"
done
