# syntax=docker/dockerfile:1
#
# One image, every binary (collector, enricher, compactor, loadgen); the ECS task definitions and
# the systemd units pick the binary by command. Why one image rather than one per component:
# - the four binaries share one dependency tree (the AWS SDK, arrow/parquet, tokio), so one
#   `cargo build` compiles it once; four images would compile or copy it four times;
# - one tag = one consistent release: an enricher can never be deployed against a compactor
#   built from another commit, and a rollback is one image tag;
# - the cost is ~250 MB of binaries a collector task does not run (release, line tables kept) — pulled once per host and
#   layer-cached, cheaper than four pipelines, four scans and four tags to keep in step.
#
# Build:  docker build -t clickstream:$(git rev-parse --short HEAD) .
# Run:    docker run --rm -p 8080:8080 clickstream collector --listen 0.0.0.0:8080 ...

# ---- build: the same script CI runs (scripts/build-release.sh) ----
FROM rust:1.95-bookworm AS build
# cmake + clang: aws-lc-sys (the TLS crypto under the AWS SDK's default HTTPS client) may need them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake clang \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Cache mounts keep the registry and target/ between builds (BuildKit); the binaries are copied
# out of the mounted target/ by the script into /out.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    scripts/build-release.sh /out

# ---- runtime: Debian slim (glibc, CA certificates for TLS to AWS, /bin/sh for the compactor's
# date arithmetic in scheduled tasks), non-root ----
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 clickstream \
 && useradd --system --uid 10001 --gid clickstream --home-dir /var/lib/clickstream --create-home clickstream
COPY --from=build /out/ /usr/local/bin/
USER 10001:10001
WORKDIR /var/lib/clickstream
# The collector's port; the enricher and compactor need none (the enricher's metrics port is set
# by its flag). Every flag is also an environment variable (COLLECTOR_*, ENRICHER_*, ...).
EXPOSE 8080
ENV COLLECTOR_LISTEN=0.0.0.0:8080 \
    COLLECTOR_LOG_JSON=true
# No ENTRYPOINT binary: the command names the component, e.g. ["collector"] or ["enricher","run"].
CMD ["collector"]
