# What the throughput scripts share (sourced, never run): how a server under test is started
# on CPU 0, how the scripts wait for it, and how one wrk run of a variant is made on CPU 1.
# Variants: c64 and c256 (keep-alive connections), pipe16 (16 requests deep on 64).

LOAD_DIR=benches/load

# Prints the command line of one Aurora example (`hello`, `device`, or a path to a binary)
# with one unpinned worker on `port`, room for 20,000 connections and `max-requests` per
# connection (default: unlimited, like the peers).
aurora_command() { # example-or-path port [max-requests]
    local bin=$1
    [[ $bin == */* ]] || bin=target/release/examples/$bin
    echo env AURORA_ADDR=127.0.0.1:$2 AURORA_WORKERS=1 AURORA_PIN_CPUS=false \
        AURORA_MAX_CONNECTIONS=20000 AURORA_MAX_REQUESTS_PER_CONNECTION=${3:-4294967295} \
        AURORA_LOG=warn "$bin"
}

# Waits (up to 10 s each) until every URL answers.
wait_ready() { # url...
    local url
    for url in "$@"; do
        for _ in $(seq 100); do
            curl -s -o /dev/null "$url" && break
            sleep 0.1
        done
    done
}

# Runs wrk on CPU 1 against `url` for `seconds` with the variant's connections and script,
# and prints its report.
wrk_variant() { # url variant seconds
    local args=(-c 64) tail=()
    case $2 in
        c256) args=(-c 256) ;;
        pipe16) args=(-c 64 -s "$LOAD_DIR/pipeline.lua"); tail=(-- 16) ;;
    esac
    taskset -c 1 wrk -t 1 "${args[@]}" -d "${3}s" "$1" "${tail[@]}"
}

# From a wrk report: requests/s, and its error lines (empty when there were none).
wrk_rate() { awk '/^Requests\/sec:/ { print $2 }' <<<"$1"; }
wrk_errors() { awk '/Non-2xx|Socket errors/ { print }' <<<"$1"; }
