#!/usr/bin/env bash
# Instructions per request of the in-process webhook paths, beside their floors, under
# callgrind: repeatable on a loaded machine, unlike wall-clock. Each case runs N times inside
# `measured` (benches/instructions.rs); only that is counted.
#
#   bench/instructions.sh [N=2000]
#
# Prints each case's instructions per request and its ratio to its floor:
# validate_sms / bare_hmac_sha1, layer/* / bare (layer/replay_hit: a repeat answered from the
# stored response).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
bin=$(cargo bench -p twilio-webhook --features axum --bench instructions --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "instructions" and m.get("executable"):
        print(m["executable"])')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count() { # count CASE: instructions per run of CASE
    valgrind --tool=callgrind --toggle-collect='*measured*' --callgrind-out-file="$tmp/out" \
        "$bin" "$1" "$N" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    awk -v n="$N" '/^summary:|^totals:/ { print int($2 / n); exit }' "$tmp/out"
}
declare -A ir
for case in bare_hmac_sha1 validate_sms bare layer/no_replay layer/replay_fresh layer/replay_hit; do
    ir[$case]=$(count "$case")
done
printf '%-20s %10s %8s\n' case Ir/request ratio
printf '%-20s %10d %8s\n' bare_hmac_sha1 "${ir[bare_hmac_sha1]}" 1.00
printf '%-20s %10d %8.2f\n' validate_sms "${ir[validate_sms]}" "$(echo "${ir[validate_sms]} / ${ir[bare_hmac_sha1]}" | bc -l)"
printf '%-20s %10d %8s\n' bare "${ir[bare]}" 1.00
for case in layer/no_replay layer/replay_fresh layer/replay_hit; do
    printf '%-20s %10d %8.2f\n' "$case" "${ir[$case]}" "$(echo "${ir[$case]} / ${ir[bare]}" | bc -l)"
done
