#!/usr/bin/env bash
# The webhook paths beside their floor, in one run: every server pinned to core 0, the load
# generator pinned to core 1, the same concurrency for each path, every request a distinct
# signed incoming SMS (a new MessageSid and sender). Prints each path's request rate as a share
# of a no-op axum POST handler that validates nothing and answers a TwiML message
# (`examples/bench_upstream`), measured in the same run right before the path (`floor_req/s`).
#
#   bench/floor.sh [SECONDS_PER_PATH=10] [CONCURRENCY=32]
#   LOAD=send bench/floor.sh        # the project's own generator instead of wrk
#   PERF=DIR bench/floor.sh         # also profile each path's servers while loaded (perf, on
#                                   # core 1): DIR/NAME.txt, self time by symbol
#
# The generator is wrk (Debian package `wrk`) when installed: `signed_sms.py` signs
# REQUESTS distinct requests up front and `floor.lua` sends each once, so the generator does
# no HMAC while measuring and is not the bottleneck. With LOAD=send, `twilio-webhook send`
# signs every request as it goes (one core of signing, TLS-free reqwest and TwiML checks), which
# caps what it can drive at about the floor's rate: the ratios then read too close to 1.
#
# Paths: the no-op floor; `examples/axum_sms` (layer + replay guard + TwiML);
# `examples/actix_sms`; `twilio-webhook proxy` in front of the no-op upstream (both on core 0);
# `sms-ratings serve` on SQLite (durable: a 2xx means committed). Needs 2 cores.
#
# `cpu` is how many cores the path's servers kept busy while loaded (CPU time / wall time): a
# path at 1.00 is bound by its own computing; below it, by waiting (sms-ratings on its flushes).
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${1:-${BENCH_SECONDS:-10}}
CONC=${2:-${BENCH_CONCURRENCY:-32}}
[ "$(nproc)" -ge 2 ] || { echo "needs 2 cores (servers on core 0, load on core 1)" >&2; exit 1; }

cargo build --release --quiet -p twilio-webhook --features axum,actix --example axum_sms --example actix_sms
cargo build --release --quiet -p twilio-webhook-cli --bin twilio-webhook --example bench_upstream
cargo build --release --quiet -p sms-ratings --bin sms-ratings
REL=${CARGO_TARGET_DIR:-target}/release
CLI=$REL/twilio-webhook

# shellcheck source=bench/common.sh
. bench/common.sh
wait_port() { # $1 = port: waits until something accepts on it
    for _ in $(seq 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
        sleep 0.05
    done
    echo "nothing listening on port $1" >&2
    exit 1
}
start() { # start NAME PORT CMD...: runs CMD on core 0 in the background
    local name=$1 port=$2
    shift 2
    RUST_LOG=warn taskset -c 0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=($!)
    wait_port "$port"
}
stop_all() { # stops the processes in `pids` (only those: the floor stays up between paths)
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
}
PUBLIC=https://bench.example.com
LOAD=${LOAD:-$(command -v wrk >/dev/null && echo wrk || echo send)}
REQUESTS=${REQUESTS:-$((250000 * SECS))}
if [ "$LOAD" = wrk ]; then
    echo "signing $REQUESTS requests for wrk ..." >&2
    python3 bench/signed_sms.py "$TWILIO_AUTH_TOKEN" "$PUBLIC/sms" bench.example.com "$REQUESTS" \
        "$tmp/requests" "BENCH 4 great talk"
fi
load() { # load URL: prints a summary line (rps, p50_ms, p99_ms, failed)
    local url=$1
    if [ "$LOAD" = wrk ]; then
        taskset -c 1 wrk -t1 -c"$CONC" -d"${SECS}s" --latency -s bench/floor.lua "$url" -- \
            "$tmp/requests" >"$tmp/wrk.out" 2>&1
        awk '
            /Requests\/sec/ { rps = $2 }
            $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
            /Non-2xx/ { failed = $NF } /Socket errors/ { failed += 0 }
            function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; return v * 1000 }
            END { printf "summary rps=%s p50_ms=%.3f p99_ms=%.3f failed=%d\n", rps, ms(p50), ms(p99), failed }
        ' "$tmp/wrk.out"
        grep -q exhausted "$tmp/wrk.out" && echo "warning: $REQUESTS requests ran out; raise REQUESTS" >&2
        return 0
    fi
    taskset -c 1 "$CLI" send "$url" --public-url "$PUBLIC/sms" --duration "${SECS}s" \
        --concurrency "$CONC" --timeout 5 --body "BENCH 4 great talk" | grep '^summary'
}
cpu_ticks() { # CPU time (clock ticks, user + system) used so far by the processes in `pids`
    local total=0 pid
    for pid in "${pids[@]}"; do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }

declare -A RESULT
measure() { # measure NAME URL: loads URL, accounting the CPU of the processes in `pids`
    local recorder=
    if [ -n "${PERF:-}" ]; then
        mkdir -p "$PERF"
        taskset -c 1 perf record -q -F 1999 -p "$(IFS=,; echo "${pids[*]}")" -o "$PERF/$1.data" \
            -- sleep "$SECS" >/dev/null 2>&1 &
        recorder=$!
    fi
    local before after
    before=$(cpu_ticks)
    RESULT[$1]="$(load "$2")"
    after=$(cpu_ticks)
    # Cores the path's servers kept busy: 1.00 is all of core 0; less means they were waiting
    # (on a disk flush, say) rather than computing.
    RESULT[$1]+=" cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v s="$SECS" \
        'BEGIN {printf "%.2f", t / hz / s}')"
    if [ -n "$recorder" ]; then
        wait "$recorder" || true
        perf report -i "$PERF/$1.data" --no-children --sort dso,sym --percent-limit 0.4 --stdio \
            >"$PERF/$1.txt" 2>/dev/null || true
    fi
}

# The floor stays up (idle while a path is loaded) and is measured right before each path, so
# every share divides two figures taken a few seconds apart: the machine's speed drifts by
# tens of percent over minutes on a shared host.
floor_port=$(free_port)
start floor "$floor_port" "$REL/examples/bench_upstream" "127.0.0.1:$floor_port"
floor_pids=("${pids[@]}")
pids=()
run_path() { # run_path NAME URL: the floor, then the servers started since the last run_path
    local path_pids=("${pids[@]}")
    pids=("${floor_pids[@]}")
    measure "floor_$1" "http://127.0.0.1:$floor_port/sms"
    pids=("${path_pids[@]}")
    measure "$1" "$2"
    stop_all
}

port=$(free_port)
PORT=$port PUBLIC_URL="$PUBLIC" start axum "$port" "$REL/examples/axum_sms"
run_path axum_sms "http://127.0.0.1:$port/sms"

port=$(free_port)
PORT=$port PUBLIC_URL="$PUBLIC" start actix "$port" "$REL/examples/actix_sms"
run_path actix_sms "http://127.0.0.1:$port/sms"

up=$(free_port)
start upstream "$up" "$REL/examples/bench_upstream" "127.0.0.1:$up"
port=$(free_port)
start proxy "$port" "$CLI" proxy --listen "127.0.0.1:$port" --upstream "http://127.0.0.1:$up" \
    --public-url "$PUBLIC"
run_path proxy "http://127.0.0.1:$port/sms"

port=$(free_port)
db="$tmp/ratings.db"
"$REL/sms-ratings" --database "$db" events add BENCH "Bench event" >/dev/null
ADMIN_PASSWORD="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
    start ratings "$port" "$REL/sms-ratings" --database "$db" serve --listen "127.0.0.1:$port" \
    --public-url "$PUBLIC"
run_path sms_ratings "http://127.0.0.1:$port/sms"
pids=("${floor_pids[@]}")

echo "# $(date -u +%FT%TZ) servers on core 0, load ($LOAD) on core 1, ${SECS}s per path, concurrency $CONC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %10s %10s %9s %9s %7s %5s %6s\n' path floor_req/s req/s p50_ms p99_ms failed cpu share
for name in axum_sms actix_sms proxy sms_ratings; do
    line=${RESULT[$name]}
    floor=$(field "${RESULT[floor_$name]}" rps)
    printf '%-12s %10s %10s %9s %9s %7s %5s %6s\n' "$name" "$floor" "$(field "$line" rps)" \
        "$(field "$line" p50_ms)" "$(field "$line" p99_ms)" "$(field "$line" failed)" \
        "$(field "$line" cpu)" "$(awk -v a="$(field "$line" rps)" -v b="$floor" 'BEGIN {printf "%.2f", a / b}')"
done
