#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The systemd units are valid and hardened.

argv[1] is the ecr-credd binary, argv[2] the generated ecr-credd-once.service,
argv[3] the source ecr-credd-once.timer.  The units are copied into a temp dir
with ExecStart pointing at the built binary, then `systemd-analyze verify` must
pass and `systemd-analyze security --offline=true` must rate the exposure at
2.0 or lower (the README quotes the figure).
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed  # noqa: E402


def main():
    tap = testbed.Tap()
    binary = testbed.binary_from_argv(tap)
    testbed.require(tap, tools=["systemd-analyze"], binary=binary)
    service_src, timer_src = sys.argv[2], sys.argv[3]
    with testbed.workdir() as d:
        service = os.path.join(d, "ecr-credd-once.service")
        timer = os.path.join(d, "ecr-credd-once.timer")
        with open(service_src) as f:
            text = f.read()
        tap.ok(re.search(r"^ExecStart=\S*/ecr-credd --once ", text, re.M),
               "the service runs ecr-credd --once", text)
        text = re.sub(r"^ExecStart=\S+", "ExecStart=" + binary, text, flags=re.M)
        with open(service, "w") as f:
            f.write(text)
        shutil.copy(timer_src, timer)
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", service, timer],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=d)
        out = r.stdout.decode()
        tap.ok(r.returncode == 0 and not out.strip(), "systemd-analyze verify is clean", out)
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", service],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=d)
        out = r.stdout.decode()
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
        tap.ok(m is not None, "security rating printed", out[-2000:])
        if m:
            level = float(m.group(1))
            tap.diag("exposure level %.1f" % level)
            tap.ok(level <= 2.0, "exposure level %.1f is at most 2.0" % level)
            readme = open(os.path.join(testbed.HERE, "..", "..", "README.md")).read()
            tap.ok("exposure level %.1f" % level in readme,
                   "README quotes the exposure level %.1f" % level)
    tap.done()


if __name__ == "__main__":
    main()
