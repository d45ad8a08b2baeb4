#!/usr/bin/env bash
# Issue 21 benchmarks that need a Docker Engine: the time from the block that places an app
# instance to the instance serving through the gateway (p50/p99 over DEPLOYS deploys, the image
# present), then the gateway's request rate against the app's port directly (scripts/gateway-bench.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
DEPLOYS="${DEPLOYS:-30}"
cargo build --release -p flux-net --bin flux-sample-app --example placed_to_serving
target/release/examples/placed_to_serving "$DEPLOYS" target/release/flux-sample-app
if [ -x scripts/gateway-bench.sh ]; then
  scripts/gateway-bench.sh
fi
