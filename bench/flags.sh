#!/usr/bin/env bash
# Instructions per vote of the whole vote path (service, store, SQLite; the writer thread
# included) with the ballot-stuffing detector and without it, under callgrind: repeatable on a
# loaded machine, unlike wall-clock. Each case runs with N votes and with none; the
# difference over N is the cost of one vote, start-up left out (crates/sms-ratings/benches/
# vote_path.rs).
#
#   bench/flags.sh [N=1000]
#
# Prints each case's instructions per vote and the ratio detector / plain.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
bin=$(cargo bench -p sms-ratings --bench vote_path --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "vote_path" and m.get("executable"):
        print(m["executable"])')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count() { # count CASE VOTES: instructions of the whole run
    valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$bin" "$1" "$2" >/dev/null 2>"$tmp/err" ||
        { cat "$tmp/err" >&2; exit 1; }
    awk '/^summary:|^totals:/ { print $2; exit }' "$tmp/out"
}
declare -A ir
for case in plain detector; do
    ir[$case]=$(( ($(count "$case" "$N") - $(count "$case" 0)) / N ))
done
printf '%-10s %10s %8s\n' case Ir/vote ratio
printf '%-10s %10d %8s\n' plain "${ir[plain]}" 1.00
printf '%-10s %10d %8.3f\n' detector "${ir[detector]}" "$(echo "${ir[detector]} / ${ir[plain]}" | bc -l)"
