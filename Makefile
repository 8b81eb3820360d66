# secutix-bridge: `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /usr/bin/env bash

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-8s %s\n", $$1, $$2}'

.PHONY: build
build: ## Build every crate
	cargo build --workspace --locked

.PHONY: test
test: ## Run every test against the local PostgreSQL and RabbitMQ
	scripts/test.sh

.PHONY: lint
lint: ## Check formatting and clippy lints (warnings are errors)
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

.PHONY: fmt
fmt: ## Format the code
	cargo fmt --all

.PHONY: validate-deploy
validate-deploy: ## Check the Dockerfile, compose file and Kubernetes overlays offline
	scripts/validate-deploy.sh

.PHONY: bench
bench: ## Run every benchmark beside its raw baseline (release build; results in target/bench/, or $CARGO_TARGET_DIR/bench/)
	scripts/bench.sh all

.PHONY: bench-quick
bench-quick: ## Run every benchmark briefly on a debug build (checks they work; CI runs it)
	scripts/bench.sh quick

.PHONY: bench-ingest
bench-ingest: ## Benchmark webhook-ingest against raw confirmed publishing
	scripts/bench.sh ingest

.PHONY: bench-worker
bench-worker: ## Benchmark sync-worker against a raw consume-and-upsert loop, and end-to-end lag
	scripts/bench.sh worker

.PHONY: bench-gateway
bench-gateway: ## Benchmark auth-gateway: refresh grants, userinfo, sign-ins beside their baselines
	scripts/bench.sh gateway

.PHONY: bench-passkeys
bench-passkeys: ## Benchmark passkey sign-ins at auth-gateway beside webauthn-rs verification alone and password sign-ins
	scripts/bench.sh passkeys

.PHONY: bench-import
bench-import: ## Benchmark sync-worker import of 1M generated contacts against psql \copy of the same rows
	scripts/bench.sh import

.PHONY: bench-growth
bench-growth: ## Benchmark worker apply, userinfo, sign-ins and the console's search with 0, 1M and 5M fans stored, each against the empty database
	scripts/bench.sh growth

.PHONY: bench-storm
bench-storm: ## Benchmark auth-gateway under a sign-in storm at 0.5x, 1x and 10x the argon2id rate, with silent sign-ins beside
	scripts/bench.sh storm

.PHONY: run
run: ## The whole stack natively: the three services, the S-360 simulator with demo contacts imported, a mail catcher; ctrl-c stops it
	scripts/run-local.sh

.PHONY: sim
sim: ## Run the S-360 simulator: 20 demo contacts posted to the local ingest every 30 s (crates/secutix-sim/README.md)
	SIM_SEED=$${SIM_SEED:-20} SIM_WEBHOOK_INTERVAL=$${SIM_WEBHOOK_INTERVAL:-30s} SIM_WEBHOOK_URL=$${SIM_WEBHOOK_URL:-http://127.0.0.1:8081/webhooks/secutix/contacts} \
	  SIM_WEBHOOK_TOKEN=$${SIM_WEBHOOK_TOKEN:-local-development-token} cargo run --locked -p secutix-sim -- run

.PHONY: demo
demo: ## With `make run` going in another terminal: play the fan journey (import, first password, shop sign-in, profile write-back, S-360 changes) and print each step
	python3 scripts/demo.py

.PHONY: console-walk
console-walk: ## With `make run` going in another terminal: walk the support console in Chromium (resend a mail, lift a lock, revoke sessions, redrive a dead letter, read the audit) and check each
	python3 scripts/console_walk.py $${SCREENSHOTS:+--screenshots $$SCREENSHOTS}

.PHONY: up
up: ## Start the stack with Docker Compose (machines with a Docker engine)
	docker compose up --build -d

.PHONY: down
down: ## Stop the Docker Compose stack
	docker compose down

.PHONY: resilience
resilience: ## Faults under load (worker SIGKILL, ingest restart, broker connections closed, PostgreSQL down 10 s, RabbitMQ restart, a 3-node broker cluster losing its queue leader); checks nothing is lost
	scripts/resilience.sh full

.PHONY: resilience-short
resilience-short: ## The one-minute resilience run CI makes
	scripts/resilience.sh short

.PHONY: soak
soak: ## Ten minutes of steady load without faults; fails on an error or on memory growth (soak-hour: an hour)
	scripts/resilience.sh soak

.PHONY: soak-hour
soak-hour: ## The hour-long soak
	scripts/resilience.sh soak-hour
