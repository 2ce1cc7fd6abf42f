#!/bin/sh
# SPDX-License-Identifier: MIT
# Install what ecr-credd needs from Debian 12's archive: `build` for compiling,
# `test` adds the real servers and clients the test suite drives (registry, skopeo,
# TLS terminator, namespaces, fuzzing runtime, benchmark tools).
set -eu
what=${1:-build}
build="meson ninja-build gcc pkg-config libcurl4-openssl-dev libssl-dev libuv1-dev
       libcjson-dev libsystemd-dev libexpat1-dev libmicrohttpd-dev libyaml-dev ca-certificates"
test="$build curl openssl docker-registry skopeo umoci runc debootstrap socat apache2-utils iproute2 jq
      hyperfine time amazon-ecr-credential-helper clang libclang-rt-14-dev valgrind
      clang-format python3 systemd faketime libfaketime"
case "$what" in
build) pkgs=$build ;;
test) pkgs=$test ;;
*) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then
    echo "$0: run as root (it calls apt-get)" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $pkgs
