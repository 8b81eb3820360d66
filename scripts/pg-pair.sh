#!/usr/bin/env bash
# A PostgreSQL primary and its streaming standby on this machine, separate from its own server,
# for the switchover test (`scripts/resilience.py --pg-switchover`): the primary on port 5441,
# the standby made by `pg_basebackup -R` on 5442, trust authentication on 127.0.0.1, state under
# $PG_PAIR_DIR (default /tmp/secutix-bridge-pg-pair). Replication is synchronous, as a
# production failover setup should be (CloudNativePG's synchronous replicas, Patroni's
# synchronous_mode): a commit returns once the standby has it, so promoting the standby loses no
# committed write and the test's "nothing lost" is the services' doing, not luck.
# Usage: scripts/pg-pair.sh start | url DATABASE | switchover | stop
set -euo pipefail
base=${PG_PAIR_DIR:-/tmp/secutix-bridge-pg-pair}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case ${1:-} in
  start)
    "$0" stop >/dev/null 2>&1 || true
    mkdir -p "$base"
    chown postgres: "$base" 2>/dev/null || true
    as_postgres "$bin/initdb" -D "$base/primary" -U postgres -A trust >/dev/null
    cat >>"$base/primary/postgresql.conf" <<CONF
port = 5441
listen_addresses = '127.0.0.1'
unix_socket_directories = '$base'
wal_level = replica
max_wal_senders = 5
CONF
    as_postgres "$bin/pg_ctl" -D "$base/primary" -l "$base/primary.log" -w start >/dev/null
    as_postgres "$bin/pg_basebackup" -h 127.0.0.1 -p 5441 -U postgres -D "$base/standby" -R -X stream
    echo "port = 5442" >>"$base/standby/postgresql.auto.conf"
    as_postgres "$bin/pg_ctl" -D "$base/standby" -l "$base/standby.log" -w start >/dev/null
    # Synchronous once the standby streams; set after the base backup, so the standby (the next
    # primary, with no standby of its own) does not inherit it and wait forever.
    for _ in $(seq 1 100); do
      [ "$(psql -h 127.0.0.1 -p 5441 -U postgres -AtqX -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ] && break
      sleep 0.1
    done
    psql -h 127.0.0.1 -p 5441 -U postgres -qX -v ON_ERROR_STOP=1 \
      -c "ALTER SYSTEM SET synchronous_standby_names = '*'" -c "SELECT pg_reload_conf()" >/dev/null
    echo "primary on 5441, synchronous streaming standby on 5442"
    ;;
  url)
    # Both hosts: libpq and tokio-postgres connect to the one that accepts writes.
    echo "postgres://postgres@127.0.0.1:5441,127.0.0.1:5442/$2?target_session_attrs=read-write"
    ;;
  switchover)
    # The primary stops at once (as a failed node would), then the standby is promoted.
    as_postgres "$bin/pg_ctl" -D "$base/primary" -m immediate -w stop >/dev/null
    as_postgres "$bin/pg_ctl" -D "$base/standby" -w promote >/dev/null
    echo "standby on 5442 promoted; the primary on 5441 is down"
    ;;
  stop)
    for node in standby primary; do
      [ -d "$base/$node" ] && as_postgres "$bin/pg_ctl" -D "$base/$node" -m immediate -w stop >/dev/null 2>&1 || true
    done
    rm -rf "$base"
    ;;
  *)
    sed -n 2,9p "$0" >&2
    exit 2
    ;;
esac
