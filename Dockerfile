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
# (swift:6.3.1-bookworm@sha256:...). The runtime libraries are taken from the build stage's own Debian packages, so
# they are the ones the binary was linked against.
ARG SWIFT_IMAGE=swift:6.3-bookworm

# ---------------------------------------------------------------------------------------------------------------
# The root file system: scripts/build-image.sh builds the binary and assembles everything the image holds (the
# stripped binary, the shared libraries it needs taken from Debian's packages, the CA bundle, /etc/passwd with user
# 10001, migrations/). The same script builds the OCI archive without Docker (CI), from this file's final stage, so
# both give the same files and the same metadata.
FROM ${SWIFT_IMAGE} AS rootfs

WORKDIR /src
# Package.resolved is copied when it exists (commit it to build exactly the tested dependency versions).
COPY Package.* ./
# SwiftPM checks every target's folder when it loads the package, so the test targets' sources come along too;
# nothing of them is built.
COPY Sources ./Sources
COPY Tests ./Tests
COPY migrations ./migrations
COPY scripts/build-image.sh ./scripts/
# Versions are pinned to the series Debian 12 ships (PostgreSQL 15's libpq, zlib 1.2.13, pkg-config 1.8) rather
# than to exact versions: bookworm's security updates replace exact versions on the mirror, which would break
# the build, while a new series would be a deliberate change of this file. The package lists stay for the script,
# which downloads the runtime libraries' packages; this stage is not shipped.
# The cache mount keeps dependency checkouts and build products between builds.
# hadolint ignore=DL3009
RUN --mount=type=cache,target=/src/.build-image,sharing=locked \
    apt-get update \
    && apt-get install -y --no-install-recommends \
        'libpq-dev=15.*' \
        'zlib1g-dev=1:1.2.13*' \
        'pkg-config=1.8.*' \
    && bash scripts/build-image.sh --rootfs /rootfs

# ---------------------------------------------------------------------------------------------------------------
# The image: nothing but that root file system (no shell, no package manager). scripts/build-image.sh builds this
# stage with podman, replacing the COPY line below by the same files as a tarball: keep that line as it is.
FROM scratch

ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=https://github.com/example/runway

LABEL org.opencontainers.image.title="runway-migrate" \
      org.opencontainers.image.description="Flyway-compatible PostgreSQL migrations (migrate CLI) with the migrations baked in" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}"

COPY --from=rootfs /rootfs/ /

# --locations defaults to `migrations`, relative to this working directory: /app/migrations, owned by root and
# read-only for the runtime user.
WORKDIR /app

# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001

ENTRYPOINT ["/usr/local/bin/migrate"]
CMD ["migrate"]
