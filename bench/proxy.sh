#!/usr/bin/env bash
# The proxy's cost: the same signed webhook load (`twilio-webhook send --duration
# --concurrency`) against a minimal upstream directly, then through `twilio-webhook proxy`,
# in one run. Reports req/s, p50/p99 for both, their ratio, and the proxy's memory: resident
# set sampled every second and its peak (VmHWM from /proc/PID/status).
#
#   bench/proxy.sh [SECONDS_PER_PHASE=60] [CONCURRENCY=8] [UPSTREAM_DELAY_MS=0]
#
# UPSTREAM_DELAY_MS makes the upstream wait before answering, standing in for a real
# backend's work; 0 measures the proxy against a backend that does nothing at all.
#
# PROXY_ARGS adds flags to the proxy (e.g. PROXY_ARGS="--replay-store off").
# The proxy runs with its defaults (memory replay store capped at 100 000 entries, every
# request a distinct MessageSid, so the store fills and evicts) and RUST_LOG=warn.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${1:-${BENCH_SECONDS:-60}}
CONC=${2:-${BENCH_CONCURRENCY:-8}}
DELAY_MS=${3:-${BENCH_UPSTREAM_DELAY_MS:-0}}
PUBLIC=https://bench.example.com

cargo build --release --quiet -p twilio-webhook-cli --bin twilio-webhook --example bench_upstream
BIN=target/release/twilio-webhook
UPSTREAM_BIN=target/release/examples/bench_upstream

# shellcheck source=bench/common.sh
. bench/common.sh

# Waits for "listening on ADDR" in file $1 and prints ADDR.
address_in() {
    for _ in $(seq 100); do
        if addr=$(grep -o 'listening on [0-9.:]*' "$1" 2>/dev/null | head -1); then
            echo "${addr#listening on }"
            return
        fi
        sleep 0.1
    done
    echo "no 'listening on' in $1:" >&2
    cat "$1" >&2
    exit 1
}

"$UPSTREAM_BIN" 127.0.0.1:0 "$DELAY_MS" >"$tmp/upstream.out" &
pids+=($!)
UP=$(address_in "$tmp/upstream.out")

# shellcheck disable=SC2086 # PROXY_ARGS is a list of flags
RUST_LOG=warn "$BIN" proxy --listen 127.0.0.1:0 --upstream "http://$UP" --public-url "$PUBLIC" \
    ${PROXY_ARGS:-} 2>"$tmp/proxy.err" &
PROXY_PID=$!
pids+=($PROXY_PID)
PROXY=$(address_in "$tmp/proxy.err")
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$PROXY_PID/status" 2>/dev/null || true; }
IDLE_RSS=$(rss_kb)

run_load() { # $1 = base URL; prints the summary line
    "$BIN" send "$1/sms" --public-url "$PUBLIC/sms" --duration "${SECS}s" \
        --concurrency "$CONC" --timeout 5 | grep '^summary'
}
field() { # $1 = summary line, $2 = key
    tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'
}

echo "direct:  ${SECS}s at concurrency $CONC against http://$UP (upstream delay ${DELAY_MS} ms) ..." >&2
DIRECT=$(run_load "http://$UP")

(while kill -0 "$PROXY_PID" 2>/dev/null; do rss_kb >>"$tmp/rss"; sleep 1; done) &
pids+=($!)
echo "proxied: ${SECS}s at concurrency $CONC through http://$PROXY ..." >&2
PROXIED=$(run_load "http://$PROXY")
PEAK_KB=$(awk '/^VmHWM/ {print $2}' "/proc/$PROXY_PID/status")
RSS_SAMPLES=$(tr '\n' ' ' <"$tmp/rss")

printf '\n%-8s %10s %10s %10s %10s %8s\n' "" "req/s" "p50 ms" "p99 ms" "max ms" "failed"
for name in direct proxied; do
    line=$([ "$name" = direct ] && echo "$DIRECT" || echo "$PROXIED")
    printf '%-8s %10s %10s %10s %10s %8s\n' "$name" "$(field "$line" rps)" "$(field "$line" p50_ms)" \
        "$(field "$line" p99_ms)" "$(field "$line" max_ms)" "$(field "$line" failed)"
done
awk -v a="$(field "$DIRECT" p50_ms)" -v b="$(field "$PROXIED" p50_ms)" \
    -v r1="$(field "$DIRECT" rps)" -v r2="$(field "$PROXIED" rps)" 'BEGIN {
    printf "\nproxied/direct: p50 x%.2f (+%.0f%%), req/s x%.2f\n", b / a, (b / a - 1) * 100, r2 / r1 }'
echo "proxy RSS: idle ${IDLE_RSS} kB, peak (VmHWM) ${PEAK_KB} kB"
echo "proxy RSS every second under load (kB): $RSS_SAMPLES"
