#!/bin/sh
# Run: sudo tests/bench/bench_once.sh build/daemon/ecr-credd [--runs 40] [--strict]
# SPDX-License-Identifier: MIT
# ecr-credd --once vs curl --aws-sigv4, aws CLI and docker-credential-ecr-login,
# over TLS inside a private network namespace (see bench_once.py).  Needs root,
# hyperfine, socat, openssl, curl, docker-credential-ecr-login and a python3
# with moto + awscli (set PYTHON=... if python3 on PATH has neither).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 path/to/ecr-credd [bench_once.py options]" >&2; exit 2; }
for py in ${PYTHON:-} python3 /root/.pyenv/shims/python3; do
	[ -n "$py" ] || continue
	if "$py" -c 'import moto, awscli' >/dev/null 2>&1; then
		exec "$py" "$here/bench_once.py" "$@"
	fi
done
echo "$0: no python3 with moto and awscli found; set PYTHON=" >&2
exit 2
