#!/usr/bin/env bash
# Builds the services and runs scripts/resilience.py (see its --help).
# Usage: scripts/resilience.sh [full|short|soak|soak-hour] [extra resilience.py options]
#   full       five minutes at 40 changes/s with every fault, RabbitMQ restart included, then
#              two minutes against a three-node RabbitMQ cluster whose queue leader is killed -9,
#              and two minutes on a PostgreSQL primary switched over to its standby (the worker,
#              its leader lease and the gateway's sign-in on both hosts)
#   short      one minute at 20 changes/s with every fault, then 40 s against the broker cluster
#              and 40 s through a database switchover (CI runs it)
#   soak       ten minutes at 150 changes/s, no faults, memory growth bounded
#   soak-hour  the same for an hour
set -euo pipefail
cd "$(dirname "$0")/.."
# Cargo's output directory: $CARGO_TARGET_DIR when set (a relative one is taken from the
# repository root, where this script runs cargo), else target/.
target_dir=${CARGO_TARGET_DIR:-target}
[[ $target_dir = /* ]] || target_dir=$PWD/$target_dir

scripts/services.sh check
mode=${1:-full}
shift || true
cluster=()
switchover=()
case "$mode" in
  full) profile=release; options=(--duration 300 --rate 40); cluster=(--broker-cluster --duration 120 --rate 40); switchover=(--pg-switchover --duration 120 --rate 40) ;;
  short) profile=debug; options=(--duration 60 --rate 20); cluster=(--broker-cluster --duration 40 --rate 20); switchover=(--pg-switchover --duration 40 --rate 20) ;;
  soak) profile=release; options=(--soak --duration 600 --rate 150) ;;
  soak-hour) profile=release; options=(--soak --duration 3600 --rate 150) ;;
  *) echo "usage: $0 [full|short|soak|soak-hour] [options]" >&2; exit 2 ;;
esac
if [ "$profile" = release ]; then
  cargo build --release --locked -p sync-worker -p webhook-ingest -p secutix-sim -p auth-gateway
else
  cargo build --locked -p sync-worker -p webhook-ingest -p secutix-sim -p auth-gateway
fi
python3 scripts/resilience.py --bin "$target_dir/$profile" "${options[@]}" "$@"
if [ ${#cluster[@]} -gt 0 ]; then
  python3 scripts/resilience.py --bin "$target_dir/$profile" "${cluster[@]}" "$@"
  python3 scripts/resilience.py --bin "$target_dir/$profile" "${switchover[@]}" "$@"
fi
