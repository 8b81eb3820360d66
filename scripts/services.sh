#!/usr/bin/env bash
# Checks that PostgreSQL and RabbitMQ answer on their local ports.
#   scripts/services.sh check   report, and say how to start whichever is down (exit 1)
#   scripts/services.sh ensure  start whichever is down (needs root), then wait for both
set -euo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
AMQP_HOST=${AMQP_HOST:-127.0.0.1}
AMQP_PORT=${AMQP_PORT:-5672}

pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; }
amqp_up() { (exec 3<>"/dev/tcp/$AMQP_HOST/$AMQP_PORT") 2>/dev/null; }

start_pg() { pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start; }
start_amqp() { rabbitmq-server -detached; }

wait_for() {
  local name=$1 probe=$2
  for _ in $(seq 1 120); do
    if $probe; then return 0; fi
    sleep 1
  done
  echo "$name did not come up within 120 s" >&2
  return 1
}

case "${1:-check}" in
  check)
    ok=true
    if ! pg_up; then
      ok=false
      echo "PostgreSQL does not answer on $PG_HOST:$PG_PORT. Start it with:" >&2
      echo "  pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" >&2
    fi
    if ! amqp_up; then
      ok=false
      echo "RabbitMQ does not answer on $AMQP_HOST:$AMQP_PORT. Start it with:" >&2
      echo "  rabbitmq-server -detached" >&2
    fi
    $ok
    ;;
  ensure)
    pg_up || { echo "Starting PostgreSQL"; start_pg; }
    amqp_up || { echo "Starting RabbitMQ"; start_amqp; }
    wait_for PostgreSQL pg_up
    wait_for RabbitMQ amqp_up
    # The AMQP port opens before the broker accepts work; wait until it does.
    for _ in $(seq 1 60); do
      rabbitmq-diagnostics -q check_running >/dev/null 2>&1 && break
      sleep 1
    done
    echo "PostgreSQL and RabbitMQ are up"
    ;;
  *)
    echo "usage: $0 check|ensure" >&2
    exit 2
    ;;
esac
