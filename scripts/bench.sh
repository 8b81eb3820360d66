#!/usr/bin/env bash
# Runs benchmarks against the local PostgreSQL and RabbitMQ, each beside its raw baseline,
# and writes the results as JSON under target/bench/ ($CARGO_TARGET_DIR/bench/ when that is
# set). `all` also merges them into one table, docs/bench/results.json and the chart
# docs/bench/ratios.svg, with the growth benchmark's curves in docs/bench/growth.svg
# (scripts/bench-report.py).
# Usage: scripts/bench.sh [ingest|worker|gateway|passkeys|import|storm|growth|all|quick]
# `quick` runs every benchmark briefly on a debug build: it checks they still work (CI runs it)
# and fails on an error, never on a timing.
set -euo pipefail
cd "$(dirname "$0")/.."
# Cargo's output directory: $CARGO_TARGET_DIR when set (a relative one is taken from the
# repository root, where this script runs cargo), else target/.
target_dir=${CARGO_TARGET_DIR:-target}
[[ $target_dir = /* ]] || target_dir=$PWD/$target_dir

scripts/services.sh check
# wrk generates the HTTP load from a separate, lean process (Debian package).
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
  else
    echo "wrk is not installed (apt-get install wrk); the ingest benchmark falls back to an in-process client" >&2
  fi
fi
out=$target_dir/bench
mkdir -p "$out"
which=${1:-all}
if [ "$which" = quick ]; then
  cargo build --locked -p bench -p sync-worker -p auth-gateway -p support-console
  bench=$target_dir/debug/bench
  "$bench" ingest --contacts 300 --rounds 1 --json "$out/quick-ingest.json"
  "$bench" worker --events 300 --batches 10 --rounds 1 --capacity-seconds 1 --lag-seconds 1 --json "$out/quick-worker.json"
  "$bench" gateway --seconds 1 --first-use-seconds 1 --rounds 1 --concurrency 4 --json "$out/quick-gateway.json"
  "$bench" passkeys --seconds 1 --rounds 1 --concurrency 4 --json "$out/quick-passkeys.json"
  "$bench" import --contacts 2000 --batch-size 500 --json "$out/quick-import.json"
  "$bench" storm --seconds 2 --silent-fans 2 --patience 5 --json "$out/quick-storm.json"
  "$bench" growth --sizes 0,10000,50000 --events 300 --rounds 1 --seconds 1 --first-use-seconds 1 \
    --concurrency 4 --searches 20 --json "$out/quick-growth.json"
  python3 scripts/bench-report.py "$out/quick" "$out"/quick-*.json
  exit 0
fi
cargo build --release --locked -p bench -p sync-worker -p auth-gateway -p support-console
if [ "$which" = ingest ] || [ "$which" = all ]; then
  "$target_dir/release/bench" ingest --json "$out/ingest.json"
fi
if [ "$which" = worker ] || [ "$which" = all ]; then
  "$target_dir/release/bench" worker --json "$out/worker.json"
fi
if [ "$which" = gateway ] || [ "$which" = all ]; then
  "$target_dir/release/bench" gateway --json "$out/gateway.json"
fi
if [ "$which" = passkeys ] || [ "$which" = all ]; then
  "$target_dir/release/bench" passkeys --json "$out/passkeys.json"
fi
if [ "$which" = import ] || [ "$which" = all ]; then
  "$target_dir/release/bench" import --json "$out/import.json"
fi
if [ "$which" = storm ] || [ "$which" = all ]; then
  "$target_dir/release/bench" storm --json "$out/storm.json"
fi
if [ "$which" = growth ] || [ "$which" = all ]; then
  "$target_dir/release/bench" growth --json "$out/growth.json"
  [ "$which" = all ] || python3 scripts/bench-report.py "$out/growth-report" "$out/growth.json"
fi
if [ "$which" = all ]; then
  echo
  python3 scripts/bench-report.py docs/bench "$out/ingest.json" "$out/worker.json" \
    "$out/gateway.json" "$out/passkeys.json" "$out/import.json" "$out/storm.json" "$out/growth.json"
fi
