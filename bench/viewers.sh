#!/usr/bin/env bash
# Live fan-out under load: signed votes at full rate on one event, first with no one
# watching, then with VIEWERS live result streams open on that event, then again with none
# (a baseline either side, same server, same run). Reports the vote rate and p99 of each
# phase, the snapshots the viewers received, and the server's resident memory per viewer.
#
#   bench/viewers.sh                                  # 1,000 viewers, 30 s per phase
#   VIEWERS=200 DURATION=10 bench/viewers.sh
#   PROFILE=debug VIEWERS=50 DURATION=3 bench/viewers.sh   # a smoke run of the script
#
# Votes come from examples/load.rs (as in bench/ratings.sh: a distinct phone and MessageSid
# per vote, so every vote changes the snapshot); viewers from examples/viewers.rs (one
# connection per stream, like separate browsers). SQLite, WAL + synchronous=FULL. Streams may
# take three quarters of --max-connections (the rest is kept for other requests), so the cap
# is sized for VIEWERS streams; all clients share 127.0.0.1, so no per-address cap.
set -euo pipefail
cd "$(dirname "$0")/.."

VIEWERS=${VIEWERS:-1000}
DURATION=${DURATION:-30}
CONCURRENCY=${CONCURRENCY:-128}
PROFILE=${PROFILE:-release}
TOKEN=bench-token-$$-$RANDOM
PASSWORD=bench-password-$$-$RANDOM
if [ "$PROFILE" = release ]; then
  cargo build -q --release -p sms-ratings --bin sms-ratings --example load --example viewers
else
  cargo build -q -p sms-ratings --bin sms-ratings --example load --example viewers
fi
TARGET=${CARGO_TARGET_DIR:-target}/$PROFILE
BIN=$TARGET/sms-ratings
LOAD=$TARGET/examples/load
VIEW=$TARGET/examples/viewers
WORK=$(mktemp -d)
SERVER=
WATCHERS=
cleanup() {
  for p in $WATCHERS $SERVER; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
db="$WORK/viewers.db"
"$BIN" --database "$db" events add BENCH "Bench event" >/dev/null
RUST_LOG=warn TWILIO_AUTH_TOKEN=$TOKEN ADMIN_PASSWORD=$PASSWORD \
  "$BIN" --database "$db" serve --listen "127.0.0.1:$port" \
  --max-connections-per-ip 0 \
  --max-connections $(( (VIEWERS + 100) * 4 / 3 + CONCURRENCY + 256 )) 2>"$WORK/server.log" &
SERVER=$!
for _ in $(seq 100); do curl -fs "$url/healthz" >/dev/null && break; sleep 0.1; done

rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }   # KiB
field() { sed -E "s/.*$1=([^ ]+).*/\1/" <<<"$2"; }
votes() { "$LOAD" --url "$url" --token "$TOKEN" --event BENCH --run "$1" --duration "$DURATION" --concurrency "$CONCURRENCY"; }
row() { printf '%-12s %10s %9s %9s %s\n' "$1" "$(field req_per_s "$2")" "$(field p50_ms "$2")" "$(field p99_ms "$2")" "${3:-}"; }

echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $PROFILE; votes at concurrency $CONCURRENCY, ${DURATION}s per phase; $VIEWERS viewers"
printf '%-12s %10s %9s %9s %s\n' phase votes_per_s p50_ms p99_ms notes
before=$(votes a)
row "no viewers" "$before" "ok=$(field ok "$before") failed=$(field failed "$before")"

rss_idle=$(rss)
ADMIN_PASSWORD=$PASSWORD "$VIEW" --url "$url" --event BENCH --viewers "$VIEWERS" \
  --duration $((DURATION + 5)) >"$WORK/viewers.out" &
WATCHERS=$!
for _ in $(seq 600); do grep -q '^connected=' "$WORK/viewers.out" 2>/dev/null && break; sleep 0.1; done
connected=$(head -1 "$WORK/viewers.out")
sleep 1
rss_viewers=$(rss)
during=$(votes b)
wait "$WATCHERS" || true; WATCHERS=
summary=$(tail -1 "$WORK/viewers.out")
row "$VIEWERS viewers" "$during" "ok=$(field ok "$during") failed=$(field failed "$during") $connected $(field snapshots_during "$summary") snapshots (per viewer $(field per_viewer "$summary"))"

sleep 2
after=$(votes c)
row "no viewers" "$after" "ok=$(field ok "$after") failed=$(field failed "$after")"

python3 - "$before" "$during" "$after" "$rss_idle" "$rss_viewers" "$VIEWERS" <<'PY'
import re, sys
f = lambda s, k: float(re.search(k + r"=([0-9.]+)", s).group(1))
before, during, after = sys.argv[1:4]
idle, viewers, n = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
base_rate = (f(before, "req_per_s") + f(after, "req_per_s")) / 2
base_p99 = (f(before, "p99_ms") + f(after, "p99_ms")) / 2
rate, p99 = f(during, "req_per_s"), f(during, "p99_ms")
print(f"with viewers: vote rate {rate / base_rate:.1%} of the no-viewer baseline "
      f"(mean of both sides), p99 {p99 / base_p99:.1%}; within 10%: "
      f"{'yes' if rate >= 0.9 * base_rate and p99 <= 1.1 * base_p99 else 'no'}")
print(f"server memory: {idle / 1024:.1f} MiB idle, {viewers / 1024:.1f} MiB with {n} viewers "
      f"= {(viewers - idle) / max(n, 1):.1f} KiB per viewer")
PY
