# The secutix-bridge container image: one image holding every service's binary
# (webhook-ingest, auth-gateway, sync-worker, support-console); the container command picks
# the service.
#
# Why one image: the three services are built from one workspace, one Cargo.lock and one
# protobuf contract, and are released together. One image means one build, one scan and one
# tag to promote, and the migration Job (`sync-worker migrate`) is guaranteed to run the
# schema the services of the same tag expect. The binaries share most of their dependencies,
# so three images would cost three times the registry space for little gain.
#
# Dependency caching: cargo-chef, which handles a virtual workspace (root Cargo.toml with
# `members`, no root package). `planner` reduces the workspace to a recipe (manifests and
# lock file); `cook` builds only the dependencies from it, so that layer is rebuilt only when
# Cargo.toml or Cargo.lock change, not on every source edit.
#
#   docker build -t secutix-bridge .
#   docker run --rm secutix-bridge webhook-ingest --help

ARG RUST_VERSION=1.95
ARG CARGO_CHEF_VERSION=0.1.78

FROM rust:${RUST_VERSION}-bookworm AS chef
ARG CARGO_CHEF_VERSION
RUN cargo install cargo-chef --locked --version "${CARGO_CHEF_VERSION}"
WORKDIR /src

# Stage 1: the recipe (changes only when a manifest or the lock file changes).
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

# Stage 2: dependencies from the recipe (cached layer), then the workspace itself.
FROM chef AS build
# OpenSSL's headers for webauthn-rs (passkeys); the rust image usually has them already.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
# `--workspace`, like `cook`, so both resolve the same dependency features (a `-p` selection
# could unify features differently and miss the cached layer).
RUN cargo build --release --locked --workspace --bins \
 && mkdir /out \
 && cp target/release/webhook-ingest target/release/auth-gateway target/release/sync-worker \
       target/release/support-console target/release/secutix-sim /out/

# Stage 3: the runtime. bookworm-slim rather than distroless/cc: the binaries need only glibc
# and libgcc (TLS is rustls) and libssl3 (the gateway's passkeys, through webauthn-rs), but
# the HEALTHCHECK below needs /bin/sh to serve all three.
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 bridge \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin bridge \
 # Where the gateway generates its development keys (docker-compose mounts a volume here).
 && mkdir -p /var/lib/auth-gateway \
 && chown 10001:10001 /var/lib/auth-gateway
COPY --from=build /out/ /usr/local/bin/
# Numeric user, so Kubernetes' runAsNonRoot can verify it without resolving names.
USER 10001:10001
ENV LOG_FORMAT=json
EXPOSE 8080 8081 8082 8083
# Each binary's `healthcheck` subcommand GETs http://127.0.0.1:<port of LISTEN_ADDR>/healthz
# and exits 0 on a 200. Only one service runs in a container, so the container is healthy when
# any of the three answers; `sync-worker migrate` listens on nothing (compose disables the
# check for it). Kubernetes ignores HEALTHCHECK: deploy/ uses httpGet probes instead.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["/bin/sh", "-c", "webhook-ingest healthcheck || auth-gateway healthcheck || sync-worker healthcheck || support-console healthcheck"]
CMD ["webhook-ingest", "--help"]
