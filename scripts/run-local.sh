#!/usr/bin/env bash
# Runs the whole stack natively against the local PostgreSQL and RabbitMQ: creates the database
# if needed, migrates it, starts an SMTP catcher (mail lands in .local/mailbox/new/), the three
# services and secutix-sim (the S-360 stand-in, seeded with demo contacts), imports the demo
# contacts, starts the support console with a demo staff account, and prints what to try.
# ctrl-c stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
# Cargo's output directory: $CARGO_TARGET_DIR when set (a relative one is taken from the
# repository root, where this script runs cargo), else target/.
target_dir=${CARGO_TARGET_DIR:-target}
[[ $target_dir = /* ]] || target_dir=$PWD/$target_dir

scripts/services.sh check

export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/secutix_bridge}
export AMQP_URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
export RUST_LOG=${RUST_LOG:-info}
# The token S-360 (the simulator, or curl) presents to the ingest; set your own outside local
# development.
export INGEST_BEARER_TOKEN=${INGEST_BEARER_TOKEN:-local-development-token}
# The gateway signs with a key pair generated once into .local/keys (never used in production),
# and knows the simulator's shop from the local client registry (its secret is public).
export GATEWAY_ISSUER=${GATEWAY_ISSUER:-http://127.0.0.1:8080}
export GATEWAY_DEV_KEYS_DIR=${GATEWAY_DEV_KEYS_DIR:-.local/keys}
export GATEWAY_CLIENTS_FILE=${GATEWAY_CLIENTS_FILE:-deploy/local/clients.toml}
export GATEWAY_TICKETSHOP_URLS=${GATEWAY_TICKETSHOP_URLS:-http://127.0.0.1:8090/shop}
# The worker mails through the local catcher and calls the simulator's contact API.
export SMTP_URL=${SMTP_URL:-smtp://127.0.0.1:2525}
export MAIL_FROM=${MAIL_FROM:-Club tickets <no-reply@localhost>}
export MAIL_LOGO_URL=${MAIL_LOGO_URL:-http://127.0.0.1:8080/theme/logo}
export SECUTIX_API_URL=${SECUTIX_API_URL:-http://127.0.0.1:8090/tnco/backend-apis}
export SECUTIX_API_SECRET=${SECUTIX_API_SECRET:-local-development-api-secret}
export SECUTIX_INSTITUTION=${SECUTIX_INSTITUTION:-DEMO}
export SECUTIX_VIRTUAL_OPERATOR=${SECUTIX_VIRTUAL_OPERATOR:-DEMO_VO}
export SECUTIX_PARTNER=${SECUTIX_PARTNER:-secutix-bridge}
# Erasure requests (accounts fans delete) are mailed to the club's data-protection team.
export GATEWAY_DATA_PROTECTION_EMAIL=${GATEWAY_DATA_PROTECTION_EMAIL:-data-protection@club.example}

database=${DATABASE_URL##*/}
database=${database%%\?*}
admin_url=${DATABASE_URL%/*}/postgres
if ! psql "$admin_url" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
  echo "Creating database $database"
  psql "$admin_url" -qc "CREATE DATABASE \"$database\""
fi
python3 -c 'import aiosmtpd' 2>/dev/null || scripts/test-deps.sh

cargo build --workspace --bins --locked
bin=$target_dir/debug

"$bin/sync-worker" migrate

pids=()
stop() {
  trap - INT TERM EXIT
  echo "Stopping the stack"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

wait_healthy() {
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$1/healthz" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "$1 did not become healthy" >&2
  return 1
}

mkdir -p .local/mailbox/tmp .local/mailbox/new .local/mailbox/cur
python3 -m aiosmtpd -n -l 127.0.0.1:2525 -c aiosmtpd.handlers.Mailbox .local/mailbox & pids+=($!)
LISTEN_ADDR=127.0.0.1:8082 "$bin/sync-worker" run & pids+=($!)
LISTEN_ADDR=127.0.0.1:8081 "$bin/webhook-ingest" & pids+=($!)
LISTEN_ADDR=127.0.0.1:8080 "$bin/auth-gateway" & pids+=($!)
# The support console, a staff client of the gateway (its secret is public: local only).
LISTEN_ADDR=127.0.0.1:8083 CONSOLE_ISSUER="$GATEWAY_ISSUER" CONSOLE_PUBLIC_URL=http://127.0.0.1:8083 \
  CONSOLE_CLIENT_SECRET=local-development-console-secret "$bin/support-console" & pids+=($!)
wait_healthy http://127.0.0.1:8080
wait_healthy http://127.0.0.1:8083
wait_healthy http://127.0.0.1:8081
LISTEN_ADDR=127.0.0.1:8090 SIM_SEED=${SIM_SEED:-20} \
  SIM_WEBHOOK_URL=http://127.0.0.1:8081/webhooks/secutix/contacts SIM_WEBHOOK_TOKEN="$INGEST_BEARER_TOKEN" \
  SIM_WEBHOOK_INTERVAL=${SIM_WEBHOOK_INTERVAL:-5s} SIM_API_SECRET="$SECUTIX_API_SECRET" \
  SIM_SHOP_ISSUER="$GATEWAY_ISSUER" SIM_SHOP_CLIENT_ID=secutix-shop SIM_SHOP_CLIENT_SECRET=local-development-shop-secret \
  "$bin/secutix-sim" run & pids+=($!)
wait_healthy http://127.0.0.1:8090

# The initial import of the simulator's web customers (safe to repeat: nothing is imported twice).
curl -fsS 'http://127.0.0.1:8090/admin/export?format=jsonl' -o .local/s360-export.jsonl
"$bin/sync-worker" import --file .local/s360-export.jsonl

# A demo staff account for the console, once (its TOTP URI is kept in .local for the demo). When
# .local lost the URI but the database kept the account, the demo account is made afresh: its
# secret cannot be read back.
if [[ ! -s .local/staff-totp.txt ]]; then
  psql "$DATABASE_URL" -qc "DELETE FROM staff_accounts WHERE email = 'admin@club.example'"
  STAFF_PASSWORD=local-development-staff "$bin/support-console" staff add --email admin@club.example \
    --name "Demo admin" --role admin | sed -n 's/^totp_uri: //p' > .local/staff-totp.txt || true
fi

cat <<MSG

secutix-bridge and the S-360 simulator are running (ctrl-c stops them):
  ticket shop (S-360 stand-in)  http://127.0.0.1:8090/shop
  identity provider             http://127.0.0.1:8080/.well-known/openid-configuration
  webhook-ingest                http://127.0.0.1:8081/webhooks/secutix/contacts
  sync-worker                   http://127.0.0.1:8082/metrics
  support console (staff)       http://127.0.0.1:8083  admin@club.example / local-development-staff,
                                TOTP secret in .local/staff-totp.txt (add it to an authenticator app)
  S-360 admin API               http://127.0.0.1:8090/admin/contacts
  mail sent by the worker       .local/mailbox/new/

Try it:
  1. Every demo contact was mailed a set-your-password link. Open the first one's:
       grep -ho 'http://127.0.0.1:8080/password/reset?token=[A-Za-z0-9_-]*' .local/mailbox/new/* | head -1
     and choose a password.
  2. Open the ticket shop: it sends you to the sign-in page; sign in with that contact's e-mail
     (curl -s http://127.0.0.1:8090/admin/contacts/0009000001) and your password.
  3. Change your details at http://127.0.0.1:8080/profile: the worker writes them back to S-360.
  4. Change the contact at S-360 and watch it arrive (the simulator posts every ${SIM_WEBHOOK_INTERVAL:-5s}):
       curl -s -X PATCH -H 'content-type: application/json' -d '{"individualContact":{"lastname":"Changed"}}' \\
            http://127.0.0.1:8090/admin/contacts/0009000001
       psql $DATABASE_URL -c "SELECT contact_number, first_name, last_name, state FROM contacts"
  Or run \`make demo\` in another terminal: it plays the whole journey and says what happens.

MSG
wait -n "${pids[@]}"
