#!/usr/bin/env bash
# Aurora's `hello` beside nginx, hyper and may_minihttp in interleaved rounds, by hand (never
# in CI):
#
#   benches/load/peers.sh [seconds-per-run] [rounds]
#
# Builds the example and the peer crates under benches/load/peers/ (each its own workspace,
# fetched from crates.io on first use), then starts every server with one worker pinned to
# CPU 0 (Aurora twice: with unlimited requests per connection, like the peers, and with its
# default of 100) and runs wrk pinned to CPU 1. Each round runs every variant (64 and 256
# keep-alive connections, 16-deep pipelining on 64) against every server back to back, so all
# see the same machine. Prints one line per run, then the median requests/s per server and
# variant, each server's ratio to Aurora, and the server's CPU per pipelined request: its
# utime + stime from /proc/PID/stat over the run, divided by the requests wrk counted.
# Needs wrk, nginx (Debian: wrk, nginx-light), curl, 2 CPUs and network access once.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
ROUNDS=${2:-3}
source benches/load/common.sh

cargo build --release --example hello
for peer in hyper may_minihttp; do
    (cd "$LOAD_DIR/peers/$peer" && cargo build --release)
done
ulimit -n "$(ulimit -Hn)"

tmp=$(mktemp -d)
mkdir -p "$tmp/tmp" "$tmp/logs"
pids=()
cleanup() {
    kill "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

declare -A PORT PID
start() { # name port command...
    local name=$1 port=$2
    shift 2
    taskset -c 0 "$@" >"$tmp/$name.out" 2>&1 &
    PID[$name]=$!
    PORT[$name]=$port
    pids+=($!)
}
# shellcheck disable=SC2046 # the command line is split into words on purpose
start aurora 18080 $(aurora_command hello 18080)
# shellcheck disable=SC2046
start aurora-100 18085 $(aurora_command hello 18085 100)
start nginx 18081 nginx -p "$tmp" -c "$PWD/$LOAD_DIR/nginx.conf"
start hyper 18083 env PEER_ADDR=127.0.0.1:18083 "$LOAD_DIR/peers/hyper/target/release/peer-hyper"
start may_minihttp 18084 env PEER_ADDR=127.0.0.1:18084 \
    "$LOAD_DIR/peers/may_minihttp/target/release/peer-may-minihttp"
servers=(aurora aurora-100 nginx hyper may_minihttp)
for name in "${servers[@]}"; do wait_ready "http://127.0.0.1:${PORT[$name]}/"; done

# Clock ticks of CPU a server has used, user and system (fields 14 and 15 of a stat, counted
# after the parenthesised command name): the process and its children (nginx's worker).
ticks() {
    local pids
    pids=("$1" $(cat /proc/"$1"/task/*/children 2>/dev/null))
    for p in "${pids[@]}"; do cat "/proc/$p/stat"; done |
        awk '{ sub(/^.*\) /, ""); sum += $12 + $13 } END { print sum }'
}
hz=$(getconf CLK_TCK)
results="$tmp/results"
: >"$results"
run() { # server variant
    local before after out rps requests us errors
    before=$(ticks "${PID[$1]}")
    out=$(wrk_variant "http://127.0.0.1:${PORT[$1]}/" "$2" "$SECS")
    after=$(ticks "${PID[$1]}")
    rps=$(wrk_rate "$out")
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    us=$(python3 -c "print(f'{($after - $before) / $hz * 1e6 / max($requests, 1):.3f}')")
    errors=$(wrk_errors "$out")
    echo "$1 $2 $rps req/s, server CPU $us us/request ${errors:+($errors)}"
    echo "$1 $2 $rps $us" >>"$results"
}
for _ in $(seq "$ROUNDS"); do
    for v in c64 c256 pipe16; do
        for name in "${servers[@]}"; do run "$name" "$v"; done
    done
done

echo
echo "medians over $ROUNDS rounds of ${SECS}s (one server worker on CPU 0, wrk on CPU 1)"
python3 - "$results" "${servers[@]}" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
servers = sys.argv[2:]
med = lambda s, v, i: statistics.median(float(r[i]) for r in rows if r[0] == s and r[1] == v)
print(f"{'':14}" + "".join(f"{s:>14}" for s in servers))
for v in ("c64", "c256", "pipe16"):
    print(f"{v + ' req/s':14}" + "".join(f"{med(s, v, 2):14.0f}" for s in servers))
    print(f"{'  / aurora':14}" + "".join(f"{med(s, v, 2) / med('aurora', v, 2):14.2f}" for s in servers))
print(f"{'pipe16 us/req':14}" + "".join(f"{med(s, 'pipe16', 3):14.3f}" for s in servers))
print(f"{'  / aurora':14}" + "".join(f"{med(s, 'pipe16', 3) / med('aurora', 'pipe16', 3):14.2f}" for s in servers))
PY
