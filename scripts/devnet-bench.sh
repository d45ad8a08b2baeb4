#!/usr/bin/env bash
# The devnet's figures: time from start to the first finalised block, finalised transfers per
# second and time to finality under `flux bench-tx`, API requests per second under wrk (64
# connections) while the devnet keeps finalising transfers, and each fluxd's peak resident
# memory (VmHWM, the figure `/usr/bin/time -v` reports as "Maximum resident set size").
#
#   scripts/devnet-bench.sh            # 60 s at 2,500 transfers/s, 15 s of wrk per route
#   DURATION=10 RATE=500 scripts/devnet-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-60}"
RATE="${RATE:-2500}"
ACCOUNTS="${ACCOUNTS:-256}"
WRK_SECONDS="${WRK_SECONDS:-15}"
PORT="${PORT:-28080}"
step() { printf '\n==> %s\n' "$*"; }

if ! command -v wrk >/dev/null 2>&1; then
  step "installing wrk"
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
fi

step "cargo build --release -p flux-cli --bins"
cargo build --release -p flux-cli --bins
FLUX=./target/release/flux
DIR="$(mktemp -d)"
API="http://127.0.0.1:${PORT}"

step "flux devnet (4 validators) in $DIR"
started_ns=$(date +%s%N)
"$FLUX" devnet --dir "$DIR" --api-port "$PORT" >"$DIR/devnet.log" 2>&1 &
DEVNET=$!
LOAD=""
cleanup() {
  [ -n "$LOAD" ] && kill "$LOAD" 2>/dev/null || true
  kill -INT "$DEVNET" 2>/dev/null || true
  wait "$DEVNET" 2>/dev/null || true
}
trap cleanup EXIT
height() { curl -sf "$API/v1/status" | sed -n 's/.*"height":\([0-9]*\).*/\1/p'; }
until [ "$(height || echo 0)" -ge 1 ] 2>/dev/null; do sleep 0.02; done
echo "start to first finalised block: $(( ($(date +%s%N) - started_ns) / 1000000 )) ms (keys, genesis and 4 processes included)"

step "flux bench-tx: ${RATE} transfers/s for ${DURATION} s from ${ACCOUNTS} accounts"
"$FLUX" bench-tx --node "$API" --rate "$RATE" --duration "$DURATION" \
  --keys "$DIR/keys/faucet.key" --accounts "$ACCOUNTS"

step "API load: wrk, 64 connections, ${WRK_SECONDS} s per route, while 200 transfers/s finalise"
"$FLUX" bench-tx --node "$API" --rate 200 --duration $((2 * WRK_SECONDS + 10)) \
  --keys "$DIR/keys/faucet.key" --accounts 16 >"$DIR/background-load.log" 2>&1 &
LOAD=$!
sleep 3
ADDRESS=$(curl -sf "$API/v1/nodes" | sed -n 's/.*"owner":"\([^"]*\)".*/\1/p' | head -n1)
before=$(height)
for route in /v1/status "/v1/accounts/$ADDRESS"; do
  echo "--- GET $route"
  wrk -t2 -c64 -d"${WRK_SECONDS}s" "$API$route" | grep -E 'Requests/sec|Latency|Non-2xx|Socket errors' || true
done
echo "heights finalised meanwhile: $before -> $(height)"
wait "$LOAD" || true
LOAD=""
tail -n 3 "$DIR/background-load.log"

step "fluxd peak resident memory"
for pid in $(pgrep -f "fluxd --data-dir $DIR" || true); do
  node=$(tr '\0' ' ' </proc/"$pid"/cmdline | sed -n 's/.*--data-dir [^ ]*\/\(node[0-9]*\).*/\1/p')
  echo "$node: $(grep VmHWM /proc/"$pid"/status | awk '{printf "%.0f MB", $2/1024}')"
done
