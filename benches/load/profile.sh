#!/usr/bin/env bash
# Where a pipelined request's CPU goes, Aurora's `hello` beside may_minihttp, by hand (never
# in CI):
#
#   benches/load/profile.sh [seconds]
#
# Each server alone, one worker on CPU 0, `wrk -c64` 16 deep on CPU 1: user and system CPU per
# request (/proc/PID/stat over a run), syscalls per request (`strace -c -f` over a second run;
# strace slows the server, so read counts, not times) and a symbol profile (`perf record -e
# cpu-clock`, the software clock, over a third). Prints the per-request figures and each
# server's top symbols. Needs wrk, strace, perf and the peer built by peers.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-5}
source benches/load/common.sh
MAY=$LOAD_DIR/peers/may_minihttp/target/release/peer-may-minihttp

cargo build --release --example hello
[ -x "$MAY" ] || (cd "$LOAD_DIR/peers/may_minihttp" && cargo build --release)
tmp=$(mktemp -d)
trap 'kill "${PID:-}" 2>/dev/null || true; rm -rf "$tmp"' EXIT

# Clock ticks of user and system CPU of a process (fields 14 and 15 of its stat).
ticks() { awk '{ sub(/^.*\) /, ""); print $12, $13 }' "/proc/$1/stat"; }
profile() { # name port command...
    local name=$1 port=$2 url="http://127.0.0.1:$2/"
    shift 2
    taskset -c 0 "$@" >"$tmp/$name.log" 2>&1 &
    PID=$!
    wait_ready "$url"
    local before after out requests
    before=$(ticks "$PID")
    out=$(wrk_variant "$url" pipe16 "$SECS")
    after=$(ticks "$PID")
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    python3 - "$name" "$requests" "$(getconf CLK_TCK)" $before $after <<'PY'
import sys
name, requests, hz, u0, s0, u1, s1 = sys.argv[1], *map(int, sys.argv[2:])
us = lambda ticks: ticks / hz * 1e6 / max(requests, 1)
print(f"{name}: user {us(u1 - u0):.3f} us, system {us(s1 - s0):.3f} us per request")
PY
    timeout $((SECS + 1)) strace -c -f -p "$PID" -o "$tmp/$name.strace" &
    local tracer=$!
    sleep 0.5
    out=$(wrk_variant "$url" pipe16 "$SECS")
    wait "$tracer" || true
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    echo "$name: syscalls over $requests requests"
    grep -E '^ *[0-9]' "$tmp/$name.strace" | awk '{ print "  " $NF, $4 }'
    perf record -e cpu-clock -F 2000 -g -p "$PID" -o "$tmp/$name.perf" -- sleep "$SECS" \
        >/dev/null 2>&1 &
    local recorder=$!
    sleep 0.3
    wrk_variant "$url" pipe16 "$SECS" >/dev/null
    wait "$recorder" || true
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    echo "$name: top symbols (share of samples)"
    perf report -i "$tmp/$name.perf" --no-children --sort dso,sym --stdio -g none 2>/dev/null |
        grep '%' | grep -v '^#' | head -25
}
# shellcheck disable=SC2046 # the command line is split into words on purpose
profile aurora 18280 $(aurora_command hello 18280)
profile may_minihttp 18284 env PEER_ADDR=127.0.0.1:18284 "$MAY"
