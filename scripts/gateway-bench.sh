#!/usr/bin/env bash
# Gateway throughput with wrk (issue 21): requests/s to a trivial app through the gateway against
# the same app directly, 64 connections, one run; prints both rates and their ratio (target: the
# gateway at least half the direct rate).
#
#   scripts/gateway-bench.sh [seconds]      # default 10 s per side
#
# The app and the gateway come from the criterion bench's `--serve` mode
# (flux-net/benches/gateway.rs, built in release); wrk must be installed (apt-get install wrk).
set -euo pipefail

secs="${1:-10}"
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    echo "gateway-bench: wrk is not installed (apt-get install wrk); 'cargo bench -p flux-net --bench gateway' measures the same ratio without it" >&2
    exit 1
fi

bin_line=$(cargo bench -p flux-net --bench gateway --no-run --message-format=json 2>/dev/null \
    | grep '"executable":"[^"]*gateway-' | tail -1)
bin=$(sed -E 's/.*"executable":"([^"]+)".*/\1/' <<<"$bin_line")
if [[ ! -x "$bin" ]]; then
    echo "gateway-bench: could not build the gateway bench binary" >&2
    exit 1
fi

# The server runs until its stdin closes: feed it from a FIFO held open by this script.
dir=$(mktemp -d)
fifo="$dir/stdin"
mkfifo "$fifo"
"$bin" --serve <"$fifo" >"$dir/addrs" &
server=$!
exec 3>"$fifo"
cleanup() {
    exec 3>&-
    wait "$server" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
    [[ -s "$dir/addrs" ]] && break
    sleep 0.1
done
read -r direct_kv gateway_kv host_kv <"$dir/addrs"
direct=${direct_kv#direct=}
gateway=${gateway_kv#gateway=}
host=${host_kv#host=}

rate() { # url [header]
    wrk -t2 -c64 -d"${secs}s" ${2:+-H "$2"} "$1" | awk '/Requests\/sec/ {print $2}'
}

direct_rate=$(rate "http://$direct/" "Host: $host")
gateway_rate=$(rate "http://$gateway/" "Host: $host")
ratio=$(awk -v g="$gateway_rate" -v d="$direct_rate" 'BEGIN { printf "%.2f", g / d }')
echo "gateway-bench (wrk, 64 connections, ${secs}s each): direct ${direct_rate} req/s, via gateway ${gateway_rate} req/s, gateway/direct = ${ratio} (target >= 0.5)"
