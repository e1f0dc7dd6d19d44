#!/usr/bin/env bash
# Automatic HTTPS, measured against a real ACME server (Debian's pebble, 5% of nonces
# rejected, validation by TLS-ALPN-01 for real):
#   1. time from `sms-ratings serve --acme-domain …` starting to the first trusted HTTPS answer
#      with a new certificate (fresh cache each run; median of RUNS);
#   2. TLS handshake rate of the server pinned to one core (`taskset -c 0`), full handshakes
#      by `openssl s_time -new` on the other core: the ACME certificate (resolver over an
#      atomic swap) vs the same certificate and key from files (--tls-cert/--tls-key),
#      alternated ROUNDS times in the same run; the ratio is ACME / file.
# Usage: bench/acme.sh [RUNS=5] [ROUNDS=3] [SECONDS_PER_ROUND=5]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
RUNS=${1:-5} ROUNDS=${2:-3} SECS=${3:-5}
DOMAIN=ratings.test
command -v pebble >/dev/null || { echo "pebble is not installed (apt-get install pebble)"; exit 1; }

cargo build --release -q -p sms-ratings
bin="${CARGO_TARGET_DIR:-target}/release/sms-ratings"

# Pebble's own HTTPS: a CA and a certificate for 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
    -keyout "$tmp/pebble.key" -out "$tmp/pebble.csr" 2>/dev/null
openssl x509 -req -in "$tmp/pebble.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -days 2 \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost') -out "$tmp/pebble.pem" 2>/dev/null

port=$(free_port) acme=$(free_port) mgmt=$(free_port) dns=$(free_port) dnsmgmt=$(free_port)
cat >"$tmp/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$acme", "managementListenAddress": "127.0.0.1:$mgmt",
 "certificate": "$tmp/pebble.pem", "privateKey": "$tmp/pebble.key",
 "httpPort": $(free_port), "tlsPort": $port, "ocspResponderURL": "",
 "externalAccountBindingRequired": false}}
JSON
pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 "127.0.0.1:$dns" \
    -http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$dnsmgmt" >"$tmp/dns.log" 2>&1 &
pids+=($!)
PEBBLE_VA_NOSLEEP=1 pebble -config "$tmp/pebble.json" -dnsserver "127.0.0.1:$dns" >"$tmp/pebble.log" 2>&1 &
pids+=($!)
until curl -sf --cacert "$tmp/ca.pem" "https://127.0.0.1:$mgmt/roots/0" -o "$tmp/root.pem"; do sleep 0.05; done

https() { curl -sf --max-time 2 --resolve "$DOMAIN:$port:127.0.0.1" --cacert "$tmp/root.pem" "https://$DOMAIN:$port/healthz" >/dev/null; }
serve() { # extra flags…; runs the server pinned to core 0, records its pid in $server
    taskset -c 0 "$bin" --database "$tmp/r.db" serve --listen "127.0.0.1:$port" "$@" >>"$tmp/server.log" 2>&1 &
    server=$!
    pids+=("$server")
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; }

echo "== time from start to serving with a new certificate (pebble, TLS-ALPN-01), $RUNS runs"
times=()
for run in $(seq "$RUNS"); do
    rm -rf "$tmp/acme-$run"
    start=$(date +%s.%N)
    serve --acme-domain "$DOMAIN" --acme-directory "https://127.0.0.1:$acme/dir" \
        --acme-root-ca "$tmp/ca.pem" --acme-cache "$tmp/acme-$run"
    until https; do sleep 0.01; done
    end=$(date +%s.%N)
    stop
    times+=("$(echo "$end - $start" | bc)")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "start-to-serving seconds: median %.3f (min %.3f, max %.3f)\n", a[int((NR+1)/2)], a[1], a[NR]}'

# The issued certificate and key, for the file-certificate server: the same bytes.
pem=$(ls "$tmp/acme-1"/certificate-*.pem)
openssl pkey -in "$pem" -out "$tmp/key.pem"
awk '/BEGIN CERTIFICATE/,/END CERTIFICATE/' "$pem" >"$tmp/chain.pem"

rate() { # handshakes per second for SECS seconds, client on core 1
    # No SNI (s_time cannot send it): the ACME resolver then serves its current certificate.
    taskset -c 1 openssl s_time -connect "127.0.0.1:$port" -new \
        -time "$SECS" -CAfile "$tmp/root.pem" 2>/dev/null \
        | awk '/connections in [0-9.]+ real seconds/ {print $1 / $4}' | tail -n1
}
echo "== TLS handshakes per second, server on one core, $ROUNDS alternating rounds of ${SECS}s"
acme_rates=() file_rates=()
for round in $(seq "$ROUNDS"); do
    serve --acme-domain "$DOMAIN" --acme-directory "https://127.0.0.1:$acme/dir" \
        --acme-root-ca "$tmp/ca.pem" --acme-cache "$tmp/acme-1"
    until https; do sleep 0.01; done
    acme_rates+=("$(rate)"); stop
    serve --tls-cert "$tmp/chain.pem" --tls-key "$tmp/key.pem"
    until https; do sleep 0.01; done
    file_rates+=("$(rate)"); stop
    echo "round $round: acme ${acme_rates[-1]}/s, file ${file_rates[-1]}/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
a=$(median "${acme_rates[@]}") f=$(median "${file_rates[@]}")
printf 'handshakes/s median: acme %.0f, file %.0f, ratio acme/file %.3f\n' "$a" "$f" "$(echo "$a / $f" | bc -l)"
