#!/usr/bin/env bash
# A flood of half-open connections (each sends half a request head, then nothing) against
# `sms-ratings serve`, and what a normal client's `GET /livez` sees meanwhile: before the
# flood, during it, and how long the server keeps the flood's connections.
#
#   bench/slow_flood.sh [FLOOD=2000] [SECONDS=40]
#
# Runs four scenarios in one go: the default limits; the default limits against a flooder
# that reopens every closed connection at once (--refill); that flooder from another address
# than the normal client with --max-connections-per-ip 64; and --max-connections above the
# flood. ONLY=defaults runs the first only (an older binary has none of the flags).
# SERVE_ARGS adds flags to every run; BIN picks another sms-ratings binary (e.g. one
# built from an older commit, as the baseline). PROFILE=release (default dev: the question
# is whether the normal client is served at all, not how fast).
set -euo pipefail
cd "$(dirname "$0")/.."

FLOOD=${1:-2000}
SECS=${2:-40}
PROFILE=${PROFILE:-dev}
if [ -z "${BIN:-}" ]; then
  cargo build -q --profile "$PROFILE" -p sms-ratings --bin sms-ratings
  dir=$PROFILE; [ "$PROFILE" = dev ] && dir=debug
  BIN=target/$dir/sms-ratings
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
WORK=$(mktemp -d)
SERVER=
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

scenario() {
  local name=$1 flood_args=$2; shift 2
  local port
  port=$(free_port)
  # shellcheck disable=SC2086
  RUST_LOG=warn TWILIO_AUTH_TOKEN=bench-token-$$ ADMIN_PASSWORD=bench \
    "$BIN" --database "$WORK/$name.db" serve --listen "127.0.0.1:$port" "$@" ${SERVE_ARGS:-} \
    2>"$WORK/$name.log" &
  SERVER=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/livez" >/dev/null && break; sleep 0.1; done
  echo "## $name: serve $* ${SERVE_ARGS:-}"
  # shellcheck disable=SC2086
  python3 bench/slow_flood.py 127.0.0.1 "$port" --flood "$FLOOD" --seconds "$SECS" $flood_args
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); flood $FLOOD, ${SECS}s, $BIN"
scenario defaults ""
[ "${ONLY:-}" = defaults ] && exit 0
scenario defaults-refill "--refill"
scenario per-ip-refill "--refill --flood-from 127.0.0.2" --max-connections-per-ip 64
scenario cap-above-flood "" --max-connections $((FLOOD * 2))
