#!/usr/bin/env python3
"""Resilience and soak runs: the real services under a steady stream of S-360 changes, with faults.

    scripts/resilience.py [--duration S] [--rate N] [--no-broker-restart] [--soak] [--broker-cluster] [--pg-switchover] [--bin DIR]

Starts, as native processes against the local PostgreSQL and RabbitMQ: `secutix-sim` (the
S-360 stand-in, posting Contact Webhook V2 every second), `webhook-ingest`, and `sync-worker`
(whose database connections go through a TCP proxy this script controls). A driver thread asks
the simulator for N contact changes per second (creations, updates, merges, anonymisations).
The simulator's webhook reaches the ingest through an HTTP proxy of this script that records
the status of every answer of the ingest, printed as a tally at the end.

Resilience mode (default) injects, spread over the run:
  1. SIGKILL of the worker, restarted a second later;
  2. a restart of the ingest (SIGTERM, two seconds down: the simulator's deliveries fail and
     are retried);
  3. the broker closing every connection of our services (`rabbitmqctl close_connection`);
  4. PostgreSQL unreachable for ten seconds (the proxy drops and refuses connections);
  5. unless --no-broker-restart: a RabbitMQ restart (`rabbitmqctl stop_app` / `start_app`).
Broker-cluster mode (--broker-cluster) starts a three-node RabbitMQ cluster of its own
(scripts/broker-cluster.sh), gives the services every node's address, checks that the quorum
queues and the stream are replicated on the three nodes, and injects one fault: a kill -9 of
the node leading `sync-worker.contacts`. Every answer of the ingest must be a 200, or a 503
with `Retry-After`. The cluster is torn down afterwards.
Switchover mode (--pg-switchover) runs the database on a primary and a streaming standby of its
own (scripts/pg-pair.sh, `pg_basebackup -R`), gives the worker and `auth-gateway` both hosts
with `target_session_attrs=read-write`, runs the worker's scheduled reconciliation every 5 s
(its leader lease holds a database session of its own), and injects one fault: the primary
stops at once and the standby is promoted. Afterwards a fan must sign in at the gateway (a read
and a session written) within 30 s, the lease must be taken again on the promoted server and a
scheduled run must complete there within 30 s, and no scheduled run may come twice in a period.
Every answer of the ingest must be a 200, or a 503 with `Retry-After`. Both servers are removed
afterwards.
Soak mode (--soak) injects nothing, runs at the given rate and samples every process's memory.

Afterwards it waits for the pipeline to drain and checks: every contact of the simulator is in
our database in the same state and at the same version, no anonymised contact keeps personal
data, the simulator abandoned nothing, and the dead-letter queue is empty (every change sent is
valid). It prints counts of events sent, accepted, applied, retried and dead-lettered, and
exits non-zero when a check fails. Only the standard library is used.
"""

import argparse
import calendar
import collections
import http.client as http_client
import http.server as http_server
import json
import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Cargo's output directory: $CARGO_TARGET_DIR when set (a relative one is taken from the
# repository root, as the shell scripts that run cargo there do), else target/.
TARGET_DIR = os.path.join(ROOT, os.environ.get("CARGO_TARGET_DIR") or "target")
# Where the run's database is created; --pg-switchover points it at a primary and its standby.
PG_ADMIN = [os.environ.get("RESILIENCE_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")]
PG_PAIR = os.path.join(ROOT, "scripts", "pg-pair.sh")
PG_ADDRESS = ("127.0.0.1", 5432)
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f")
INGEST_TOKEN = "resilience-" + uuid.uuid4().hex
# How the script reaches the broker's CLI; --broker-cluster points it at a node still up.
RABBITMQCTL = ["rabbitmqctl", "-q"]
CLUSTER = os.path.join(ROOT, "scripts", "broker-cluster.sh")
PERSONAL_COLUMNS = ["title", "first_name", "last_name", "birth_date", "email", "phone"]
# Switchover mode: the worker's scheduled reconciliation, and the bounds after the promotion.
RECONCILE_EVERY = 5
RECONCILE_LIMIT = 5
SIGN_IN_BOUND = 30
LEASE_BOUND = 30
# The worker's leader lease (sync-worker's LEADER_LOCK, 0x5345_4355_5449_5801) as pg_locks shows
# a bigint advisory lock: its high and low 32 bits.
LEADER_LOCK = (0x53454355, 0x54495801)
# The fan who signs in at the gateway across the switchover: an argon2id hash (the gateway's
# parameters, m=19456 t=2 p=1) of this test-only password, made once with a fixed salt.
FAN_PASSWORD = "resilience-switchover-password"
FAN_PASSWORD_HASH = "$argon2id$v=19$m=19456,t=2,p=1$cmVzaWxpZW5jZS1zYWx0IQ$n7oeb2VuW3HOF25HstYcbDYQ5po0/iGsBGgykCBFIn4"
# The simulator's contact API with its default credentials.
SECUTIX_CREDENTIALS = {
    "SECUTIX_INSTITUTION": "DEMO",
    "SECUTIX_VIRTUAL_OPERATOR": "DEMO_VO",
    "SECUTIX_PARTNER": "secutix-bridge",
    "SECUTIX_API_SECRET": "local-development-api-secret",
}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_url_of(database):
    """The run's database on the admin URL's server(s), keeping its query string."""
    base, _, rest = PG_ADMIN[0].rpartition("/")
    query = rest.partition("?")[2]
    return f"{base}/{database}" + (f"?{query}" if query else "")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(method, url, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text and text[0] in "[{" else text)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def psql(database_url, sql):
    result = subprocess.run(
        ["psql", database_url, "-AtqX", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


class Proxy:
    """A TCP proxy in front of PostgreSQL that can drop and refuse connections for a while."""

    def __init__(self, target):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down = False
        self.sockets = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            client, _ = self.listener.accept()
            if self.down:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets.update([client, upstream])
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a, b):
        peers = {a: b, b: a}
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 1.0)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        raise OSError("closed")
                    peers[sock].sendall(data)
        except OSError:
            pass
        finally:
            for sock in (a, b):
                sock.close()
            with self.lock:
                self.sockets.difference_update([a, b])

    def set_down(self, down):
        self.down = down
        if down:
            with self.lock:
                for sock in list(self.sockets):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass


class AnswerRecorder:
    """An HTTP proxy between the simulator's webhook and the ingest: forwards each delivery and
    its answer unchanged, and tallies the answers ("200", "503 with Retry-After", "503 without
    Retry-After", any other status, or "no answer" when the ingest could not be reached)."""

    def __init__(self, upstream_port):
        recorder = self
        self.tally = collections.Counter()
        self.lock = threading.Lock()

        class Handler(http_server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "content-length")}
                upstream = http_client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                try:
                    upstream.request("POST", self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    status, reply, answer_headers = answer.status, answer.read(), answer.getheaders()
                except OSError:
                    recorder.record("no answer")
                    self.send_response(502)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                finally:
                    upstream.close()
                retry_after = any(k.lower() == "retry-after" for k, _ in answer_headers)
                recorder.record(str(status) if status != 503 else f"503 {'with' if retry_after else 'without'} Retry-After")
                self.send_response(status)
                for key, value in answer_headers:
                    if key.lower() not in ("connection", "content-length", "transfer-encoding", "date", "server"):
                        self.send_header(key, value)
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http_server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def record(self, answer):
        with self.lock:
            self.tally[answer] += 1

    def counts(self):
        with self.lock:
            return dict(self.tally)

    def unexpected(self):
        """Answers other than 200 or a 503 with Retry-After."""
        return {k: v for k, v in self.counts().items() if k not in ("200", "503 with Retry-After")}


class Service:
    """One native process; its metrics are scraped so counters survive restarts."""

    def __init__(self, name, argv, env, port, logs):
        self.name, self.argv, self.env, self.port = name, argv, env, port
        self.log_file = open(os.path.join(logs, f"{name}.log"), "ab")
        self.process = None
        self.totals = {}
        self.current = {}
        self.rss_samples = []

    def start(self):
        env = dict(os.environ, **self.env, LISTEN_ADDR=f"127.0.0.1:{self.port}", LOG_FORMAT="json")
        self.process = subprocess.Popen(self.argv, env=env, stdout=self.log_file, stderr=self.log_file)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if http("GET", f"{self.url}/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.process.returncode}; see its log")
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not become healthy")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def scrape(self):
        try:
            status, text = http("GET", f"{self.url}/metrics", timeout=2)
        except OSError:
            return
        if status != 200:
            return
        for line in text.splitlines():
            match = re.match(r"^([a-z_]+(?:\{[^}]*\})?) ([0-9.e+]+)$", line)
            if match and "_total" in match.group(1):
                self.current[match.group(1)] = float(match.group(2))

    def sample_memory(self):
        try:
            with open(f"/proc/{self.process.pid}/status", encoding="utf-8") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        self.rss_samples.append((time.time(), int(line.split()[1]) / 1024))
        except OSError:
            pass

    def _bank(self):
        for key, value in self.current.items():
            self.totals[key] = self.totals.get(key, 0) + value
        self.current = {}

    def kill(self, sig):
        self.scrape()
        self._bank()
        self.process.send_signal(sig)
        self.process.wait(timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.kill(signal.SIGTERM)

    def counter(self, pattern):
        merged = dict(self.totals)
        for key, value in self.current.items():
            merged[key] = merged.get(key, 0) + value
        return int(sum(value for key, value in merged.items() if re.search(pattern, key)))


class Driver(threading.Thread):
    """Asks the simulator for a steady stream of contact changes."""

    def __init__(self, sim_url, rate, seed):
        super().__init__(daemon=True)
        self.sim_url, self.rate = sim_url, rate
        self.random = random.Random(seed)
        self.active = []
        self.stopped = threading.Event()
        self.counts = {"create": 0, "update": 0, "merge": 0, "anonymise": 0, "refused": 0}
        self.next_number = 1

    def run(self):
        interval = 1.0 / self.rate
        next_at = time.time()
        while not self.stopped.is_set():
            self.change()
            next_at += interval
            time.sleep(max(0.0, next_at - time.time()))

    def change(self):
        roll = self.random.random()
        if len(self.active) < 20 or roll < 0.4:
            number = f"{900000000 + self.next_number:010d}"
            self.next_number += 1
            body = {
                "contactNumber": number,
                "individualContact": {
                    "firstname": self.random.choice(["Ana", "Ben", "Chloé", "Dario", "Eva"]),
                    "lastname": f"Resilience{self.next_number}",
                    "email": f"r{number}@example.org",
                },
            }
            status, _ = http("POST", f"{self.sim_url}/admin/contacts", body)
            kind = "create"
            if status == 201:
                self.active.append(number)
        elif roll < 0.85:
            number = self.random.choice(self.active)
            body = {"individualContact": {"firstname": f"Changed{self.random.randrange(10**6)}"}}
            status, _ = http("PATCH", f"{self.sim_url}/admin/contacts/{number}", body)
            kind = "update"
        elif roll < 0.93:
            absorbed, head = self.random.sample(self.active, 2)
            status, _ = http("POST", f"{self.sim_url}/admin/contacts/{absorbed}/merge", {"into": head})
            kind = "merge"
            if status == 200:
                self.active.remove(absorbed)
        else:
            number = self.random.choice(self.active)
            status, _ = http("POST", f"{self.sim_url}/admin/contacts/{number}/anonymise")
            kind = "anonymise"
            if status == 200:
                self.active.remove(number)
        self.counts[kind if status in (200, 201) else "refused"] += 1


def broker_connections_of(pids):
    """Broker-side connection ids of the TCP connections the given processes hold to 5672."""
    ports = set()
    output = subprocess.run(["ss", "-tnpH", "dst", ":5672"], capture_output=True, text=True).stdout
    for line in output.splitlines():
        if any(f"pid={pid}," in line for pid in pids):
            ports.add(line.split()[3].rsplit(":", 1)[1])
    listing = subprocess.run(
        [*RABBITMQCTL, "list_connections", "pid", "peer_port"], capture_output=True, text=True
    ).stdout
    return [line.split()[0] for line in listing.splitlines() if line.split()[-1:] and line.split()[-1] in ports]


def queue_depth(name):
    listing = subprocess.run(
        [*RABBITMQCTL, "list_queues", "name", "messages"], capture_output=True, text=True
    ).stdout
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name:
            return int(parts[1])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=120, help="seconds of load (default 120)")
    parser.add_argument("--rate", type=float, default=40, help="contact changes per second (default 40)")
    parser.add_argument("--no-broker-restart", action="store_true", help="skip the RabbitMQ restart")
    parser.add_argument("--soak", action="store_true", help="no faults; sample memory and check its growth")
    parser.add_argument("--rss-growth-mb", type=float, default=64, help="soak: largest accepted memory growth of the worker and the ingest between the first and last fifth of the run, MiB (default 64; the simulator's is reported, since its store grows with every contact)")
    parser.add_argument("--bin", default=os.path.join(TARGET_DIR, "debug"), help="directory of the binaries (default: the debug build)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the change stream")
    parser.add_argument("--pg-switchover", action="store_true", help="run against a PostgreSQL primary and streaming standby of its own and switch over to the standby under load")
    parser.add_argument("--broker-cluster", action="store_true", help="run against a three-node RabbitMQ cluster of its own and kill -9 the node leading the worker's queue")
    args = parser.parse_args()
    amqp_url = AMQP_URL
    if args.pg_switchover:
        subprocess.run([PG_PAIR, "start"], check=True)
        PG_ADMIN[0] = subprocess.run([PG_PAIR, "url", "postgres"], check=True, capture_output=True, text=True).stdout.strip()
    if args.broker_cluster:
        subprocess.run([CLUSTER, "start"], check=True)
        amqp_url = subprocess.run([CLUSTER, "urls"], check=True, capture_output=True, text=True).stdout.strip()
        RABBITMQCTL[:] = ["rabbitmqctl", "-q", "-n", "bridge1@localhost"]

    run_id = uuid.uuid4().hex[:10]
    logs = os.path.join(TARGET_DIR, "resilience", run_id)
    os.makedirs(logs, exist_ok=True)
    database = f"resilience_{run_id}"
    psql(PG_ADMIN[0], f'CREATE DATABASE "{database}"')
    database_url = database_url_of(database)
    prefix = f"resilience-{run_id}."
    log(f"run {run_id}: database {database}, broker prefix {prefix}, logs in {logs}")
    subprocess.run([f"{args.bin}/sync-worker", "migrate"], env=dict(os.environ, DATABASE_URL=database_url), check=True, capture_output=True)

    proxy = Proxy(PG_ADDRESS)
    common = {"AMQP_URL": amqp_url, "AMQP_NAME_PREFIX": prefix, "RUST_LOG": "info"}
    sim_port = free_port()
    # The worker reaches the database through the proxy, or, for the switchover, at both hosts,
    # with its scheduled reconciliation on so that its leader lease lives through the switchover.
    worker_env = dict(common, DATABASE_URL=f"postgres://postgres@127.0.0.1:{proxy.port}/{database}")
    if args.pg_switchover:
        worker_env.update(
            SECUTIX_CREDENTIALS,
            DATABASE_URL=database_url,
            RECONCILE_EVERY=f"{RECONCILE_EVERY}s",
            RECONCILE_LIMIT=str(RECONCILE_LIMIT),
            SECUTIX_API_URL=f"http://127.0.0.1:{sim_port}/tnco/backend-apis",
        )
    worker = Service("sync-worker", [f"{args.bin}/sync-worker", "run"], worker_env, free_port(), logs)
    ingest = Service("webhook-ingest", [f"{args.bin}/webhook-ingest"], dict(common, INGEST_BEARER_TOKEN=INGEST_TOKEN), free_port(), logs)
    recorder = AnswerRecorder(ingest.port)
    sim = Service(
        "secutix-sim",
        [f"{args.bin}/secutix-sim", "run"],
        {
            "SIM_WEBHOOK_URL": f"http://127.0.0.1:{recorder.port}/webhooks/secutix/contacts",
            "SIM_WEBHOOK_TOKEN": INGEST_TOKEN,
            "SIM_WEBHOOK_INTERVAL": "1s",
            "SIM_WEBHOOK_PER_RUN": "2000",
            "SIM_WEBHOOK_BATCH_SIZE": "20",
            "RUST_LOG": "info",
        },
        sim_port,
        logs,
    )
    services = [worker, ingest, sim]
    fan = None
    if args.pg_switchover:
        gateway_port = free_port()
        gateway = Service(
            "auth-gateway",
            [f"{args.bin}/auth-gateway"],
            dict(common, DATABASE_URL=database_url, GATEWAY_ISSUER=f"http://127.0.0.1:{gateway_port}",
                 GATEWAY_DEV_KEYS_DIR=os.path.join(logs, "keys")),
            gateway_port,
            logs,
        )
        services.append(gateway)
        fan = Fan(database_url, f"fan-{run_id}@example.org")
    failures = []
    switchover = {}
    try:
        for service in services:
            service.start()
        if fan:
            outcome = fan.sign_in(gateway.url)
            if outcome != "signed in":
                raise SystemExit(f"the fan cannot sign in before the switchover: {outcome}")
            log("a fan signed in at the gateway before the switchover")
        driver = Driver(sim.url, args.rate, args.seed)
        driver.start()
        started = time.time()
        if args.soak:
            faults = []
        elif args.broker_cluster:
            faults = cluster_fault_plan(prefix, failures)
        elif args.pg_switchover:
            faults = [(0.4, "PostgreSQL switchover: the primary stops, its standby is promoted",
                       lambda: switch_over(database_url, gateway, worker, fan, switchover, failures))]
        else:
            faults = fault_plan(args, worker, ingest, proxy)
        while time.time() - started < args.duration:
            elapsed = time.time() - started
            while faults and elapsed >= faults[0][0] * args.duration:
                _, name, action = faults.pop(0)
                log(f"fault: {name}")
                action()
            for service in services:
                service.scrape()
                service.sample_memory()
            time.sleep(1)
        driver.stopped.set()
        driver.join()
        for _, name, action in faults:
            log(f"fault (late): {name}")
            action()
        log(f"load done: {driver.counts}; waiting for the pipeline to drain")
        check_convergence(sim, database_url, prefix, failures)
        for service in services:
            service.scrape()
        report(driver, sim, ingest, worker, prefix, recorder)
        if args.broker_cluster or args.pg_switchover:
            # The ingest never restarts in these modes: it answers every delivery, and refuses
            # one only with a 503 that says when to come back.
            unexpected = recorder.unexpected()
            if unexpected:
                failures.append(f"the ingest answered other than 200, or 503 with Retry-After: {unexpected}")
        if args.pg_switchover:
            check_schedule(database_url, switchover, failures)
        if args.soak:
            check_memory(services, args.rss_growth_mb, failures)
    finally:
        for service in services:
            service.stop()
        cleanup(database, prefix)
        if args.broker_cluster:
            subprocess.run([CLUSTER, "stop"], capture_output=True)
        if args.pg_switchover:
            subprocess.run([PG_PAIR, "stop"], capture_output=True)
    if failures:
        for failure in failures:
            log(f"FAILED: {failure}")
        sys.exit(1)
    log("every check passed")


def fault_plan(args, worker, ingest, proxy):
    def restart(service, sig, pause):
        def action():
            service.kill(sig)
            time.sleep(pause)
            service.start()

        return action

    def close_broker_connections():
        ids = broker_connections_of([worker.process.pid, ingest.process.pid])
        for connection in ids:
            subprocess.run([*RABBITMQCTL, "close_connection", connection, "resilience test"], capture_output=True)
        log(f"closed {len(ids)} broker connections")

    def database_outage():
        proxy.set_down(True)
        time.sleep(10)
        proxy.set_down(False)

    def broker_restart():
        subprocess.run([*RABBITMQCTL, "stop_app"], check=True, capture_output=True)
        time.sleep(3)
        subprocess.run([*RABBITMQCTL, "start_app"], check=True, capture_output=True)
        subprocess.run([*RABBITMQCTL, "await_startup"], capture_output=True)

    plan = [
        (0.12, "SIGKILL sync-worker, restart it", restart(worker, signal.SIGKILL, 1)),
        (0.27, "restart webhook-ingest (2 s down)", restart(ingest, signal.SIGTERM, 2)),
        (0.42, "broker closes our connections", close_broker_connections),
        (0.55, "PostgreSQL unreachable for 10 s", database_outage),
    ]
    if not args.no_broker_restart:
        plan.append((0.8, "RabbitMQ restart", broker_restart))
    return plan


def cluster_fault_plan(prefix, failures):
    """Checks the replication, then kills -9 the node leading the worker's queue; the script's
    own CLI calls move to a node still up."""
    queue = f"{prefix}sync-worker.contacts"

    def kill_leader():
        listing = subprocess.run([*RABBITMQCTL, "list_queues", "name", "type", "members", "--formatter", "json"],
                                 capture_output=True, text=True, check=True).stdout
        for q in json.loads(listing):
            if q["name"].startswith(prefix) and q["type"] in ("quorum", "stream"):
                members = len(q["members"]) if isinstance(q["members"], list) else 0
                log(f"{q['name']} ({q['type']}): replicated on {members} nodes")
                if members != 3:
                    failures.append(f"{q['name']} is replicated on {members} nodes, not 3")
        leader = subprocess.run([CLUSTER, "leader", queue], check=True, capture_output=True, text=True).stdout.strip()
        subprocess.run([CLUSTER, "kill", leader], check=True)
        survivor = "1" if leader != "1" else "2"
        RABBITMQCTL[:] = ["rabbitmqctl", "-q", "-n", f"bridge{survivor}@localhost"]
        log(f"killed -9 node bridge{leader}, the leader of {queue}")

    return [(0.4, "kill -9 the RabbitMQ node leading the worker's queue", kill_leader)]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Fan:
    """A fan with an account and a password (no contact: the account alone signs in), created
    in the run's database before the load."""

    def __init__(self, database_url, email):
        self.email = email
        self.subject = psql(
            database_url,
            "INSERT INTO accounts (login_email, password_hash, email_verified) "
            f"VALUES ('{email}', '{FAN_PASSWORD_HASH}', true) RETURNING subject_id",
        )

    def sign_in(self, gateway_url):
        """Signs in at the gateway's own page: the form (its CSRF cookie and field), then the
        password, which reads the account and the sign-in throttle and writes a session.
        Returns "signed in", or what happened instead."""
        opener = urllib.request.build_opener(NoRedirect)

        def call(request):
            try:
                with opener.open(request, timeout=10) as response:
                    return response.status, response.headers, response.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, error.headers, error.read().decode(errors="replace")

        try:
            status, headers, page = call(urllib.request.Request(f"{gateway_url}/login?return_to=%2Faccount"))
            if status != 200:
                return f"the sign-in page answered {status}"
            cookies = "; ".join(c.split(";", 1)[0] for c in headers.get_all("set-cookie") or [])
            form = {}
            for tag in re.findall(r"<input[^>]*>", page):
                name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
                if name:
                    form[name.group(1)] = value.group(1) if value else ""
            form.update(email=self.email, password=FAN_PASSWORD)
            request = urllib.request.Request(f"{gateway_url}/login", data=urllib.parse.urlencode(form).encode(), method="POST")
            request.add_header("cookie", cookies)
            request.add_header("content-type", "application/x-www-form-urlencoded")
            status, headers, _ = call(request)
        except OSError as error:
            return f"no answer ({error})"
        signed_in = any(c.startswith("__Host-session=") for c in headers.get_all("set-cookie") or [])
        return "signed in" if status == 303 and signed_in else f"the sign-in answered {status}"


def sql_or_none(database_url, sql):
    """psql's answer, or None while no server accepts the connection."""
    try:
        return psql(database_url, sql)
    except subprocess.CalledProcessError:
        return None


def switch_over(database_url, gateway, worker, fan, switchover, failures):
    """Stops the primary at once and promotes its standby; then a fan must sign in at the
    gateway within SIGN_IN_BOUND seconds, and the worker must take its leader lease again on the
    promoted server and complete a scheduled run there within LEASE_BOUND seconds."""
    subprocess.run([PG_PAIR, "switchover"], check=True)
    promoted = switchover["promoted"] = time.time()
    attempts, outcome = 0, None
    while time.time() - promoted < SIGN_IN_BOUND:
        attempts += 1
        outcome = fan.sign_in(gateway.url)
        if outcome == "signed in":
            break
        time.sleep(0.5)
    if outcome == "signed in":
        switchover["signed_in"] = time.time() - promoted
        sessions = sql_or_none(database_url, f"SELECT count(*) FROM sessions WHERE subject_id = '{fan.subject}'")
        log(f"the fan signed in {switchover['signed_in']:.1f} s after the promotion ({attempts} attempts); "
            f"the promoted server holds {sessions} sessions of the fan (the one from before, replicated, and the new)")
        if sessions != "2":
            failures.append(f"the promoted server holds {sessions} sessions of the fan, not 2")
    else:
        failures.append(f"no sign-in within {SIGN_IN_BOUND} s of the promotion: {outcome} ({attempts} attempts)")
    lock = ("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
            f"AND classid = {LEADER_LOCK[0]} AND objid = {LEADER_LOCK[1]} "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
    run = ("SELECT round(extract(epoch FROM started_at - to_timestamp(%f))::numeric, 1) FROM scheduled_runs "
           "WHERE name = 'reconcile' AND outcome = 'done' AND started_at > to_timestamp(%f) ORDER BY started_at LIMIT 1")
    while time.time() - promoted < LEASE_BOUND:
        held, first = sql_or_none(database_url, lock), sql_or_none(database_url, run % (promoted, promoted))
        if held == "1" and first:
            leader = re.search(r"^sync_worker_leader (\d+)", http("GET", f"{worker.url}/metrics", timeout=2)[1], re.M)
            switchover["first_run"] = float(first)
            log(f"the leader lease is held on the promoted server (sync_worker_leader {leader and leader.group(1)}); "
                f"its first scheduled run there started {first} s after the promotion and completed")
            if not leader or leader.group(1) != "1":
                failures.append("the worker holds the lease but its sync_worker_leader is not 1")
            break
        time.sleep(0.5)
    else:
        failures.append(f"no leader lease on the promoted server, or no scheduled run completed there, within {LEASE_BOUND} s")


def check_schedule(database_url, switchover, failures):
    """The scheduled reconciliation over the whole run: never twice within a period, runs on
    both sides of the switchover, and every run after it completed."""
    promoted = switchover.get("promoted", 0)
    rows = [line.split("|") for line in psql(
        database_url,
        "SELECT extract(epoch FROM started_at), coalesce(outcome, 'unfinished') FROM scheduled_runs "
        "WHERE name = 'reconcile' ORDER BY started_at").splitlines()]
    starts = [float(start) for start, _ in rows]
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    outcomes = collections.Counter(o if o in ("done", "unfinished") else "failed" for _, o in rows)
    before = sum(1 for start in starts if start < promoted)
    log(f"scheduled reconciliation every {RECONCILE_EVERY} s: {len(rows)} runs, {before} before the promotion and "
        f"{len(rows) - before} after; {dict(outcomes)}; gaps between starts {min(gaps, default=0):.2f} s to {max(gaps, default=0):.2f} s")
    if any(gap < RECONCILE_EVERY - 0.01 for gap in gaps):
        failures.append(f"a scheduled run came twice within {RECONCILE_EVERY} s: gaps {[round(g, 2) for g in gaps]}")
    if before == 0 or before == len(rows):
        failures.append(f"scheduled runs on one side of the switchover only ({before} before, {len(rows) - before} after)")
    after = [outcome for start, (_, outcome) in zip(starts, rows) if start > promoted]
    if any(outcome not in ("done", "unfinished") for outcome in after) or "unfinished" in after[:-1]:
        failures.append(f"a scheduled run after the promotion did not complete: {after}")


def check_convergence(sim, database_url, prefix, failures):
    deadline = time.time() + 180
    mismatches = None
    while time.time() < deadline:
        status, stats = http("GET", f"{sim.url}/admin/stats")
        pending = stats["webhook"]["pending"] if status == 200 else -1
        truth = http("GET", f"{sim.url}/admin/contacts")[1]
        rows = {}
        for line in psql(database_url, "SELECT contact_number, state, floor(extract(epoch FROM version_time) * 1000)::bigint FROM contacts").splitlines():
            number, state, version = line.split("|")
            rows[number] = (state, int(version))
        mismatches = []
        for record in truth:
            if record["state"] == "deleted":
                continue
            modified = record["contact"].get("lastModificationDate") or record["modified_at"]
            expected = (record["state"], parse_millis(modified))
            if rows.get(record["contact_number"]) != expected:
                mismatches.append((record["contact_number"], expected, rows.get(record["contact_number"])))
        if pending == 0 and not mismatches:
            log(f"converged: {len(truth)} contacts of the simulator equal our database")
            break
        time.sleep(2)
    else:
        failures.append(f"not converged after 180 s: {len(mismatches or [])} contacts differ, e.g. {(mismatches or [])[:3]}")
    personal = psql(
        database_url,
        "SELECT count(*) FROM contacts WHERE state = 'anonymised' AND ("
        + " OR ".join(f"{column} IS NOT NULL" for column in PERSONAL_COLUMNS)
        + ")",
    )
    if personal != "0":
        failures.append(f"{personal} anonymised contacts keep personal data")
    abandoned = http("GET", f"{sim.url}/admin/stats")[1]["webhook"]["abandoned"]
    if abandoned:
        failures.append(f"the simulator abandoned {abandoned} contacts")
    dead = queue_depth(f"{prefix}sync-worker.contacts.dlq")
    if dead:
        failures.append(f"{dead} dead letters, though every change sent was valid")


def parse_millis(text):
    match = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", text)
    if not match:
        raise ValueError(f"unexpected time {text}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = float(match.group(7) or 0)
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    offset = match.group(8)
    if offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        seconds -= sign * (int(offset[1:3]) * 3600 + int(offset[4:6]) * 60)
    return seconds * 1000 + int(fraction * 1000 + 1e-6)


def report(driver, sim, ingest, worker, prefix, recorder):
    stats = http("GET", f"{sim.url}/admin/stats")[1]["webhook"]
    rows = [
        ("changes made at the simulator", sum(v for k, v in driver.counts.items() if k != "refused")),
        ("contacts sent by the webhook (delivered)", stats["contacts_delivered"]),
        ("webhook attempts that failed (retried)", stats["failed_attempts"]),
        ("contacts abandoned by the simulator", stats["abandoned"]),
        ("contacts accepted by the ingest", ingest.counter(r"webhook_ingest_contacts_total")),
        ("events applied by the worker", worker.counter(r'sync_worker_contact_events_total\{outcome="(active|merged|anonymised|stale)"')),
        ("  of which stale (older than stored)", worker.counter(r'outcome="stale"')),
        ("database attempts retried by the worker", worker.counter(r"sync_worker_database_retries_total")),
        ("events dead-lettered", worker.counter(r'outcome="dead_lettered"')),
        ("dead letters in the queue now", queue_depth(f"{prefix}sync-worker.contacts.dlq")),
    ]
    print()
    for name, value in rows:
        print(f"  {name:<44} {value:>8}")
    print("  answers of the ingest to the webhook:")
    for answer, count in sorted(recorder.counts().items()):
        print(f"    {answer:<42} {count:>8}")
    print()


def check_memory(services, bound_mb, failures):
    """Bounds the growth of our services; the simulator's store grows with every contact it
    creates by design, so its memory is only reported."""
    for service in services:
        samples = service.rss_samples
        if len(samples) < 10:
            continue
        fifth = max(1, len(samples) // 5)
        first = sorted(rss for _, rss in samples[:fifth])[fifth // 2]
        last = sorted(rss for _, rss in samples[-fifth:])[fifth // 2]
        log(f"{service.name}: RSS median {first:.1f} MiB in the first fifth, {last:.1f} MiB in the last")
        if service.name != "secutix-sim" and last - first > bound_mb:
            failures.append(f"{service.name} grew by {last - first:.1f} MiB (bound {bound_mb} MiB)")


def cleanup(database, prefix):
    psql(PG_ADMIN[0], f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    listing = subprocess.run([*RABBITMQCTL, "list_queues", "name"], capture_output=True, text=True).stdout
    for name in listing.split():
        if name.startswith(prefix):
            subprocess.run([*RABBITMQCTL, "delete_queue", name], capture_output=True)


if __name__ == "__main__":
    main()
