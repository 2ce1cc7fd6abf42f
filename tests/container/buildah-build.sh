#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the Dockerfile itself, both stages, with buildah (apt-get install buildah) and
# run tests/integration/test_container.py on the image it makes.  No docker engine and
# no registry: the FROM images are made with debootstrap (tests/container/ocibuild.py
# --base, cached) and tagged as debian:12 and debian:12-slim in a private buildah
# storage; only the build's own RUN apt-get lines reach Debian's archive.
# Not part of the suite (it compiles everything again: 3-5 minutes here); run as root:
#   tests/container/buildah-build.sh [WORKDIR]     (default /var/tmp/ecr-credd-buildah)
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-/var/tmp/ecr-credd-buildah}
tag=localhost/ecr-credd:dev
if [ "$(id -u)" -ne 0 ]; then
    echo "$0: run as root (debootstrap, buildah, runc)" >&2
    exit 2
fi
command -v buildah >/dev/null || { echo "$0: buildah is not installed" >&2; exit 2; }
mkdir -p "$work"
b() {
    buildah --root "$work/storage" --runroot "$work/run" --storage-driver overlay "$@"
}
# containers-storage leaves its overlay directory mounted; nothing needs it afterwards.
cleanup() {
    b rm --all >/dev/null 2>&1 || true
    umount "$work/storage/overlay" 2>/dev/null || true
}
trap cleanup EXIT

# debian:12 differs from -slim by its documentation only; the build stage needs none,
# so one debootstrap serves both names.
base=$(python3 "$src/tests/container/ocibuild.py" --base debian:12-slim)
id=$(b pull -q "oci:$base")
b tag "$id" docker.io/library/debian:12-slim docker.io/library/debian:12

# --format docker keeps the HEALTHCHECK (the OCI image format has no place for it).
b bud --pull=never --network host --layers --format docker -t "$tag" -f "$src/Dockerfile" "$src"
rm -rf "$work/oci"
b push "$tag" "oci:$work/oci:ecr-credd"
echo "image: $work/oci:ecr-credd ($(b inspect --format '{{.Docker.Config.Healthcheck}}' "$tag"))"

# The test's binary argument is not used with ECD_CONTAINER_IMAGE; /bin/true satisfies
# its check that the argument is an executable.
ECD_CONTAINER_IMAGE="$work/oci:ecr-credd" \
    python3 "$src/tests/integration/test_container.py" /bin/true
