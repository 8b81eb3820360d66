#!/usr/bin/env bash
# A three-node RabbitMQ cluster on this machine, separate from its broker, for the failover
# test (`scripts/resilience.py --broker-cluster`): nodes bridge1..3@localhost on AMQP ports
# 5701..5703 (distribution 25701..25703), state under $BROKER_CLUSTER_DIR (default
# /tmp/secutix-bridge-broker-cluster), no plugins, guest allowed from loopback.
# Usage: scripts/broker-cluster.sh start | stop | urls | kill N | leader QUEUE
set -euo pipefail
base=${BROKER_CLUSTER_DIR:-/tmp/secutix-bridge-broker-cluster}
nodes=(1 2 3)

node_env() {
  local i=$1 d=$base/n$1
  echo RABBITMQ_NODENAME=bridge$i@localhost RABBITMQ_NODE_PORT=$((5700 + i)) \
    RABBITMQ_DIST_PORT=$((25700 + i)) RABBITMQ_CONFIG_FILE=$d/rabbitmq \
    RABBITMQ_MNESIA_BASE=$d/mnesia RABBITMQ_LOG_BASE=$d/log RABBITMQ_PID_FILE=$d/pid \
    RABBITMQ_ENABLED_PLUGINS_FILE=$d/enabled_plugins
}

# The Erlang VMs of node $1, found by the node name in their environment (the pid file is
# only written once the node has booted).
node_pids() {
  local pid
  for pid in $(pgrep -f beam.smp || true); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "RABBITMQ_NODENAME=bridge$1@localhost"; then
      echo "$pid"
    fi
  done
}

ctl() { local i=$1; shift; rabbitmqctl -q -n "bridge$i@localhost" "$@"; }

case ${1:-} in
  start)
    "$0" stop >/dev/null 2>&1 || true
    mkdir -p "$base"
    for i in "${nodes[@]}"; do
      d=$base/n$i
      mkdir -p "$d"
      printf 'listeners.tcp.local = 127.0.0.1:%s\nloopback_users = none\n' $((5700 + i)) >"$d/rabbitmq.conf"
      echo '[].' >"$d/enabled_plugins"
    done
    # The nodes run as the broker's user, with its Erlang cookie, as the machine's broker does.
    chown -R rabbitmq:rabbitmq "$base" 2>/dev/null || true
    for i in "${nodes[@]}"; do
      # In the foreground of a process of its own (-detached loses the environment when the
      # wrapper switches to the broker's user).
      # shellcheck disable=SC2046
      setsid env $(node_env "$i") rabbitmq-server >"$base/n$i/server.out" 2>&1 </dev/null &
    done
    for i in "${nodes[@]}"; do
      ctl "$i" wait "$base/n$i/pid" --timeout 60
    done
    for i in 2 3; do
      ctl "$i" stop_app
      ctl "$i" join_cluster bridge1@localhost
      ctl "$i" start_app
    done
    ctl 1 cluster_status --formatter json | python3 -c \
      'import json,sys; s=json.load(sys.stdin); n=s["running_nodes"]; assert len(n)==3, n; print("cluster of", len(n), "nodes:", " ".join(sorted(n)))'
    ;;
  urls)
    # One AMQP_URL naming every node: the services fail over between them.
    printf 'amqp://guest:guest@127.0.0.1:5701/%%2f,amqp://guest:guest@127.0.0.1:5702/%%2f,amqp://guest:guest@127.0.0.1:5703/%%2f\n'
    ;;
  leader)
    # The node leading quorum queue $2, by number (1..3).
    for i in "${nodes[@]}"; do
      leader=$(ctl "$i" list_queues name leader --formatter json 2>/dev/null |
        python3 -c 'import json,sys; q=[x for x in json.load(sys.stdin) if x["name"]==sys.argv[1]]; print(q[0]["leader"] if q else "")' "$2") || continue
      [ -n "$leader" ] && { echo "${leader//[^0-9]/}"; exit 0; }
    done
    echo "no node knows queue $2" >&2
    exit 1
    ;;
  kill)
    for pid in $(node_pids "$2"); do kill -9 "$pid"; done
    ;;
  stop)
    for i in "${nodes[@]}"; do
      for pid in $(node_pids "$i"); do kill -9 "$pid" 2>/dev/null || true; done
    done
    rm -rf "$base"
    ;;
  *)
    sed -n 2,6p "$0" >&2
    exit 2
    ;;
esac
