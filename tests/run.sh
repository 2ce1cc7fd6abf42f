#!/bin/sh
# SPDX-License-Identifier: MIT
# The whole test suite: configure (if needed), build, and run every test
# (unit, SigV4 suite, integration against moto, a real registry, skopeo).
# Usage: tests/run.sh [BUILD_DIR]    (as root: integration tests create namespaces)
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ -f "$dir/build.ninja" ] || meson setup "$dir"
ninja -C "$dir"
exec meson test -C "$dir" --print-errorlogs --num-processes 2
