#!/usr/bin/env bash
# Signed-SMS load against sms-ratings on SQLite and PostgreSQL, beside a no-op route
# (GET /livez) of the same server in the same run: req/s, p50/p99, peak RSS.
#
#   bench/ratings.sh                      # 60 s sustained SMS load per backend
#   DURATION=10 CONCURRENCY=256 bench/ratings.sh
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/ratings.sh   # adds PostgreSQL
#
# Every vote is a distinct phone and MessageSid, so each one is a new durable row; a 2xx is
# only sent after the batch holding the vote committed (SQLite: WAL + synchronous=FULL).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-60}
NOOP_DURATION=${NOOP_DURATION:-10}
CONCURRENCY=${CONCURRENCY:-128}
TOKEN=bench-token-$$
cargo build -q --release -p sms-ratings --bin sms-ratings --example load
BIN=target/release/sms-ratings
LOAD=target/release/examples/load
WORK=$(mktemp -d)
SERVER=
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# bench_backend NAME DATABASE
bench_backend() {
  local name=$1 db=$2 port
  port=$(free_port)
  "$BIN" --database "$db" events add BENCH "Bench event" >/dev/null
  RUST_LOG=warn TWILIO_AUTH_TOKEN=$TOKEN ADMIN_PASSWORD=bench-$TOKEN \
    "$BIN" --database "$db" serve --listen "127.0.0.1:$port" 2>"$WORK/$name.log" &
  SERVER=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local url="http://127.0.0.1:$port"
  local noop sms
  noop=$("$LOAD" --url "$url" --noop --duration "$NOOP_DURATION" --concurrency "$CONCURRENCY")
  sms=$("$LOAD" --url "$url" --token "$TOKEN" --event BENCH --run "$name" \
        --duration "$DURATION" --concurrency "$CONCURRENCY")
  local rss stored
  rss=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$SERVER/status")
  stored=$(curl -fs -u "admin:bench-$TOKEN" "$url/api/events/BENCH/results" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
  kill "$SERVER"; wait "$SERVER" || true; SERVER=
  field() { sed -E "s/.*$1=([^ ]+).*/\1/" <<<"$2"; }
  local ratio
  ratio=$(python3 -c "print(f'{$(field req_per_s "$sms")/$(field req_per_s "$noop"):.2f}')")
  printf '%-9s %-6s %10s %9s %9s %s\n' "$name" noop "$(field req_per_s "$noop")" "$(field p50_ms "$noop")" "$(field p99_ms "$noop")" ""
  printf '%-9s %-6s %10s %9s %9s %s\n' "$name" sms "$(field req_per_s "$sms")" "$(field p50_ms "$sms")" "$(field p99_ms "$sms")" \
    "sms/noop=${ratio} ok=$(field ok "$sms") failed=$(field failed "$sms") stored=$stored peak_rss=${rss}MiB"
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); concurrency $CONCURRENCY, sms ${DURATION}s, noop ${NOOP_DURATION}s"
printf '%-9s %-6s %10s %9s %9s %s\n' backend route req_per_s p50_ms p99_ms notes
bench_backend sqlite "$WORK/bench.db"
if [ -n "${DATABASE_URL:-}" ]; then
  schema="bench_$$"
  psql -q "$DATABASE_URL" -c "CREATE SCHEMA $schema" >/dev/null
  sep='?'; case "$DATABASE_URL" in *\?*) sep='&';; esac
  bench_backend postgres "${DATABASE_URL}${sep}options=-csearch_path%3D${schema}"
  psql -q "$DATABASE_URL" -c "DROP SCHEMA $schema CASCADE" >/dev/null
else
  echo "postgres: skipped (DATABASE_URL is not set)"
fi
