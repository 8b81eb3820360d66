#!/usr/bin/env bash
# Runs every test of the workspace against the local PostgreSQL and RabbitMQ.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh check
scripts/test-deps.sh
# The crash tests run the real binaries as processes.
cargo build --workspace --bins --locked

if command -v cargo-nextest >/dev/null 2>&1; then
  exec cargo nextest run --workspace --locked --no-fail-fast "$@"
else
  exec cargo test --workspace --locked --no-fail-fast "$@"
fi
