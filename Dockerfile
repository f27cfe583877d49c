# syntax=docker/dockerfile:1
#
# The `migrate` CLI with this repository's migrations baked in: the image a Kubernetes migration Job (and the
# `migrate wait` init container) runs. See deploy/README.md.
#
#   docker build -t ghcr.io/example/orders-migrations:1.0.0 \
#     --build-arg VERSION=1.0.0 --build-arg REVISION="$(git rev-parse HEAD)" .
#   docker run --rm -e DB_HOST=... -e DB_NAME=... -e DB_USERNAME=... -e DB_PASSWORD_FILE=... \
#     ghcr.io/example/orders-migrations:1.0.0 info
#
# Official Swift images are tagged <major>.<minor>-bookworm (and <major>.<minor>.<patch>-bookworm) for Debian 12:
# swift:6.0-bookworm ... swift:6.3-bookworm. Override SWIFT_IMAGE to pin a patch release or a digest
# (swift:6.3.1-bookworm@sha256:...). Build and runtime must both be Debian 12, so that the libpq the binary was
# linked against is the libpq5 installed below.
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------------------------------
FROM ${SWIFT_IMAGE} AS build

# Versions are pinned to the series Debian 12 ships (PostgreSQL 15's libpq, zlib 1.2.13, pkg-config 1.8) rather
# than to exact versions: bookworm's security updates replace exact versions on the mirror, which would break
# the build, while a new series would be a deliberate change of this file.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        'libpq-dev=15.*' \
        'zlib1g-dev=1:1.2.13*' \
        'pkg-config=1.8.*' \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Package.resolved is copied when it exists (commit it to build exactly the tested dependency versions).
COPY Package.* ./
# SwiftPM checks every target's folder when it loads the package, so the test targets' sources come along too;
# nothing of them is built.
COPY Sources ./Sources
COPY Tests ./Tests
# The cache mount keeps dependency checkouts and build products between builds; the binary is copied out of it.
RUN --mount=type=cache,target=/src/.build,sharing=locked \
    swift build -c release --product migrate --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/migrate" /out/migrate

# ---------------------------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}

ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=https://github.com/example/runway

LABEL org.opencontainers.image.title="runway-migrate" \
      org.opencontainers.image.description="Flyway-compatible PostgreSQL migrations (migrate CLI) with the migrations baked in" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="debian:bookworm-slim"

# The Swift runtime is linked statically; what remains is libpq (with its TLS and Kerberos dependencies),
# zlib (already in the base image) and the CA bundle for sslmode=verify-full. ca-certificates is pinned to the
# bundle series bookworm currently ships; bump it when Debian publishes a new one.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        'libpq5=15.*' \
        'ca-certificates=2025*' \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 runway \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin runway

COPY --from=build /out/migrate /usr/local/bin/migrate

WORKDIR /app
# Owned by root and read-only for the runtime user: the image's migrations cannot be changed at run time.
# --locations defaults to `migrations`, relative to this working directory.
COPY migrations/ /app/migrations/

# Fails the build if a shared library is missing from the runtime image.
RUN /usr/local/bin/migrate --help >/dev/null

# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001

# A one-shot command, not a service: nothing to health-check.
HEALTHCHECK NONE

ENTRYPOINT ["/usr/local/bin/migrate"]
CMD ["migrate"]
