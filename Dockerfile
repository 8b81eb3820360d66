# One image with every secutix-bridge binary; the compose file and the Kubernetes manifests
# pick the binary with the container command.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bins \
 && mkdir /out \
 && cp target/release/webhook-ingest target/release/sync-worker target/release/auth-gateway /out/

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home bridge
COPY --from=build /out/ /usr/local/bin/
USER 10001
ENV LOG_FORMAT=json
