# Sourced by the bench scripts: a scratch directory removed on exit with every process the
# script recorded in `pids`, a throw-away token (the bench signs and verifies with it, nothing
# else), and a free loopback port.
tmp=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

TWILIO_AUTH_TOKEN="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export TWILIO_AUTH_TOKEN

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
