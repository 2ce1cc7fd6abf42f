# SPDX-License-Identifier: MIT
# ecr-credd as a container: a Rancher 1.6 sidecar, a Kubernetes Deployment or a plain
# `docker run`, configured by environment variables alone (or a JSON config mounted at
# /etc/ecr-credd/config.json).
#
#   docker build -t ecr-credd .      # buildah/podman: add --format docker (HEALTHCHECK)
#   docker run --read-only -e AWS_REGION=eu-west-1 -e AWS_ACCESS_KEY_ID \
#       -e AWS_SECRET_ACCESS_KEY -v /srv/docker-auth:/home/ecr-credd/.docker ecr-credd
# (the mounted directory must be writable by uid 65532, or pass --user UID:GID)
#
# tests/integration/test_container.py reads the runtime stage of this file, rebuilds it
# without a docker engine (debootstrap + these RUN lines in a chroot + umoci) and runs the
# image with runc: keep that stage to FROM, RUN, COPY --from=build, ENV, USER, WORKDIR,
# LABEL, EXPOSE, HEALTHCHECK, ENTRYPOINT and CMD.

# ---- build ----------------------------------------------------------------------------
FROM debian:12 AS build
COPY tools/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh build && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN meson setup /build --buildtype=release \
        -Dsinks=docker,kubernetes,rancher1,rancher2 -Dhealth=enabled -Dtests=false \
 && ninja -C /build \
 && strip -o /ecr-credd /build/daemon/ecr-credd \
 && /ecr-credd --version

# ---- runtime --------------------------------------------------------------------------
FROM debian:12-slim
# The libraries the binary links (libcurl4 brings OpenSSL), CA certificates for TLS, and
# curl for the HEALTHCHECK below.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        libcurl4 libuv1 libcjson1 libsystemd0 libexpat1 libyaml-0-2 libmicrohttpd12 \
        ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
# An unprivileged user with a home for the default docker sink ($HOME/.docker/config.json);
# mount a volume there (or set DOCKER_CONFIG) to keep what it writes.
RUN groupadd --gid 65532 ecr-credd \
 && useradd --uid 65532 --gid 65532 --no-create-home --no-log-init --home-dir /home/ecr-credd \
        --shell /usr/sbin/nologin ecr-credd \
 && install -d -o 65532 -g 65532 -m 0700 /home/ecr-credd
COPY --from=build /ecr-credd /usr/local/bin/ecr-credd
LABEL org.opencontainers.image.title="ecr-credd" \
      org.opencontainers.image.description="Keeps Amazon ECR pull credentials fresh" \
      org.opencontainers.image.licenses="MIT"
# LISTEN_PORT turns on the health listener (GET /healthz, /metrics); 8080 is what the old
# rancher-ecr-credentials image used.
ENV HOME=/home/ecr-credd LISTEN_PORT=8080
EXPOSE 8080
WORKDIR /home/ecr-credd
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS -o /dev/null --max-time 4 "http://127.0.0.1:${LISTEN_PORT}/healthz" || exit 1
ENTRYPOINT ["ecr-credd"]
