#!/usr/bin/env bash
# Gateway throughput with wrk (issue 21): requests/s to a trivial app through the gateway against
# the same app directly, 64 connections, one run; prints both rates and their ratio (target: the
# gateway at least half the direct rate).
#
#   scripts/gateway-bench.sh [seconds]               # default 10 s per side
#   scripts/gateway-bench.sh --container [seconds]   # the app as hosting runs it
#
# The gateway comes from the criterion bench's `--serve` mode (flux-net/benches/gateway.rs, built
# in release). The app is, by default, a hyper server in the gateway's own process and runtime;
# with `--container` it is the sample app (flux-sample-app) in a Docker container, which the
# gateway reaches at the container's address as a node's gateway reaches its own instances,
# and wrk reaches directly both at its published port and at the container's address (image
# made here with `docker import` of the binary and its libraries: no registry). wrk must be installed (apt-get install
# wrk).
set -euo pipefail

container=""
if [[ "${1:-}" == "--container" ]]; then
    container=1
    shift
fi
secs="${1:-10}"
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    echo "gateway-bench: wrk is not installed (apt-get install wrk); 'cargo bench -p flux-net --bench gateway' measures the same ratio without it" >&2
    exit 1
fi

# Built in the release profile (the one devnet-bench.sh and the node use), not the bench profile:
# the dependencies are then compiled once for both scripts.
bin_line=$(cargo build --release -p flux-net --bench gateway --message-format=json 2>/dev/null \
    | grep '"executable":"[^"]*gateway-' | tail -1)
bin=$(sed -E 's/.*"executable":"([^"]+)".*/\1/' <<<"$bin_line")
if [[ ! -x "$bin" ]]; then
    echo "gateway-bench: could not build the gateway bench binary" >&2
    exit 1
fi

dir=$(mktemp -d)
name="flux-gateway-bench-$$"
upstream=()
if [[ -n "$container" ]]; then
    cargo build --release -q -p flux-net --bin flux-sample-app
    app=target/release/flux-sample-app
    mkdir -p "$dir/root"
    cp "$app" "$dir/root/app"
    for lib in $(ldd "$app" | grep -o '/[^ ]*'); do
        mkdir -p "$dir/root$(dirname "$lib")"
        cp -L "$lib" "$dir/root$lib"
    done
    tar -C "$dir/root" -c . | docker import -c 'ENTRYPOINT ["/app"]' - "$name:bench" >/dev/null
    docker run -d --rm --name "$name" -p 127.0.0.1::8080 -e PORT=8080 -e MESSAGE=ok \
        "$name:bench" >/dev/null
    port=$(docker port "$name" 8080/tcp | head -1 | sed 's/.*://')
    # The gateway reaches the instance as a node's gateway reaches its own: at the container's
    # address on its network (hosting's `direct`), without Docker's port proxy.
    inner=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name")
    upstream=(--upstream "$inner:8080")
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/" >/dev/null && break
        sleep 0.1
    done
fi

# The server runs until its stdin closes: feed it from a FIFO held open by this script.
fifo="$dir/stdin"
mkfifo "$fifo"
"$bin" --serve "${upstream[@]}" <"$fifo" >"$dir/addrs" &
server=$!
exec 3>"$fifo"
cleanup() {
    exec 3>&-
    wait "$server" 2>/dev/null || true
    if [[ -n "$container" ]]; then
        docker rm -f "$name" >/dev/null 2>&1 || true
        docker rmi "$name:bench" >/dev/null 2>&1 || true
    fi
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

ratio() { awk -v g="$1" -v d="$2" 'BEGIN { printf "%.2f", g / d }'; }
if [[ -n "$container" ]]; then
    # Direct: the app's published port (what a client reaches without the gateway), and the
    # container's own address (no proxy at all), both in the same run.
    direct_rate=$(rate "http://127.0.0.1:$port/" "Host: $host")
    inner_rate=$(rate "http://$inner:8080/" "Host: $host")
    gateway_rate=$(rate "http://$gateway/" "Host: $host")
    echo "gateway-bench (the sample app in a container; wrk, 64 connections, ${secs}s each): direct to its published port ${direct_rate} req/s, direct to the container ${inner_rate} req/s, via gateway (to the container) ${gateway_rate} req/s; gateway/published = $(ratio "$gateway_rate" "$direct_rate") (target >= 0.5), gateway/container = $(ratio "$gateway_rate" "$inner_rate")"
else
    direct_rate=$(rate "http://$direct/" "Host: $host")
    gateway_rate=$(rate "http://$gateway/" "Host: $host")
    echo "gateway-bench (in-process app; wrk, 64 connections, ${secs}s each): direct ${direct_rate} req/s, via gateway ${gateway_rate} req/s, gateway/direct = $(ratio "$gateway_rate" "$direct_rate") (target >= 0.5)"
fi
