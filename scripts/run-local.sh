#!/usr/bin/env bash
# Runs the whole stack natively against the local PostgreSQL and RabbitMQ: creates the
# database if needed, migrates it, starts the services with their logs on this terminal.
# ctrl-c stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh check

export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/secutix_bridge}
export AMQP_URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
export RUST_LOG=${RUST_LOG:-info}
# The token S-360 (or curl) presents to the ingest; set your own outside local development.
export INGEST_BEARER_TOKEN=${INGEST_BEARER_TOKEN:-local-development-token}
# The gateway signs with a key pair generated once into .local/keys (never used in production).
export GATEWAY_DEV_KEYS_DIR=${GATEWAY_DEV_KEYS_DIR:-.local/keys}

database=${DATABASE_URL##*/}
database=${database%%\?*}
admin_url=${DATABASE_URL%/*}/postgres
if ! psql "$admin_url" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
  echo "Creating database $database"
  psql "$admin_url" -qc "CREATE DATABASE \"$database\""
fi

cargo build --workspace --bins --locked
bin=target/debug

"$bin/sync-worker" migrate

pids=()
stop() {
  trap - INT TERM EXIT
  echo "Stopping the stack"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

LISTEN_ADDR=127.0.0.1:8082 "$bin/sync-worker" run & pids+=($!)
LISTEN_ADDR=127.0.0.1:8081 "$bin/webhook-ingest" & pids+=($!)
LISTEN_ADDR=127.0.0.1:8080 "$bin/auth-gateway" & pids+=($!)

cat <<MSG

secutix-bridge is running (ctrl-c stops it):
  auth-gateway    http://127.0.0.1:8080/.well-known/openid-configuration
  webhook-ingest  http://127.0.0.1:8081/webhooks/secutix/contacts
  sync-worker     http://127.0.0.1:8082/readyz   (metrics: /metrics)

Post a contact:
  curl -sS -H 'content-type: application/json' -H "authorization: Bearer $INGEST_BEARER_TOKEN" \\
       --data @crates/model/fixtures/getContactData.sample.json \\
       http://127.0.0.1:8081/webhooks/secutix/contacts
and see it in the database:
  psql $DATABASE_URL -c 'SELECT contact_number, first_name, last_name, email FROM contacts'

MSG
wait -n "${pids[@]}"
