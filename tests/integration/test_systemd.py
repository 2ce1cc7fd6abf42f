#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The systemd units are valid and hardened.

argv[1] is the ecr-credd binary, argv[2] the generated ecr-credd-once.service,
argv[3] the source ecr-credd-once.timer, argv[4] the generated ecr-credd.service
(the daemon).  The units are copied into a temp dir with ExecStart pointing at the
built binary, then `systemd-analyze verify` must pass for all of them and
`systemd-analyze security --offline=true` must rate each service's exposure at
2.0 or lower (the README quotes the figures).
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed  # noqa: E402


def unit_settings(text):
    """{key: [values]} of a unit file (comments and sections ignored)."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")) or "=" not in line:
            continue
        k, v = line.split("=", 1)
        out.setdefault(k.strip(), []).append(v.strip())
    return out


def install(src, d, binary):
    """Copy a unit into d with ExecStart= pointing at binary; returns (path, text)."""
    with open(src) as f:
        text = f.read()
    dst = os.path.join(d, os.path.basename(src))
    with open(dst, "w") as f:
        f.write(re.sub(r"^ExecStart=\S+", "ExecStart=" + binary, text, flags=re.M))
    return dst, text


def rate(tap, service, d, readme):
    name = os.path.basename(service)
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", service],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=d)
    out = r.stdout.decode()
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
    tap.ok(m is not None, "%s: security rating printed" % name, out[-2000:])
    if m:
        level = float(m.group(1))
        tap.diag("%s: exposure level %.1f" % (name, level))
        tap.ok(level <= 2.0, "%s: exposure level %.1f is at most 2.0" % (name, level))
        tap.ok("exposure level %.1f" % level in readme,
               "%s: README quotes the exposure level %.1f" % (name, level))


def main():
    tap = testbed.Tap()
    binary = testbed.binary_from_argv(tap)
    testbed.require(tap, tools=["systemd-analyze"], binary=binary)
    once_src, timer_src = sys.argv[2], sys.argv[3]
    daemon_src = sys.argv[4] if len(sys.argv) > 4 else None
    readme = open(os.path.join(testbed.HERE, "..", "..", "README.md")).read()
    with testbed.workdir() as d:
        once, text = install(once_src, d, binary)
        tap.ok(re.search(r"^ExecStart=\S*/ecr-credd --once ", text, re.M),
               "the once service runs ecr-credd --once", text)
        timer = os.path.join(d, "ecr-credd-once.timer")
        shutil.copy(timer_src, timer)
        units = [once, timer]
        daemon = None
        if daemon_src is None:
            tap.ok(False, "ecr-credd.service given (argv[4])")
        else:
            daemon, text = install(daemon_src, d, binary)
            units.append(daemon)
            s = unit_settings(text)
            tap.eq(s.get("Type"), ["notify"], "daemon: Type=notify")
            tap.ok(any(re.match(r"\S*/ecr-credd --config /etc/ecr-credd/config\.json$", v)
                       for v in s.get("ExecStart", [])),
                   "daemon: ExecStart runs the daemon (no --once) on /etc/ecr-credd/config.json",
                   s.get("ExecStart"))
            tap.eq(s.get("ExecReload"), ["/bin/kill -HUP $MAINPID"],
                   "daemon: ExecReload sends SIGHUP")
            tap.eq(s.get("WatchdogSec"), ["60s"], "daemon: WatchdogSec=60s")
            tap.eq(s.get("NotifyAccess"), ["main"], "daemon: NotifyAccess=main")
            tap.eq(s.get("Restart"), ["on-failure"], "daemon: Restart=on-failure")
            tap.eq(s.get("RestartPreventExitStatus"), ["2"],
                   "daemon: no restart after a configuration error (exit 2)")
            tap.eq(s.get("User"), ["ecr-credd"], "daemon: runs as ecr-credd")
            tap.ok(s.get("StateDirectory"), "daemon: has a StateDirectory")
            # Same hardening as the once service: every setting of it is present.
            once_s = unit_settings(open(once_src).read())
            hardening = ("NoNewPrivileges", "CapabilityBoundingSet", "AmbientCapabilities",
                         "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices",
                         "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
                         "ProtectControlGroups", "ProtectClock", "ProtectHostname",
                         "ProtectProc", "ProcSubset", "RestrictAddressFamilies",
                         "RestrictNamespaces", "RestrictRealtime", "RestrictSUIDSGID",
                         "LockPersonality", "MemoryDenyWriteExecute", "RemoveIPC", "UMask",
                         "SystemCallArchitectures", "SystemCallFilter", "PrivateUsers",
                         "DevicePolicy")
            diff = [k for k in hardening if s.get(k) != once_s.get(k)]
            tap.ok(not diff, "daemon: hardened like the once service", "differs: %s" % diff)
            tap.ok(all(";" not in v and " #" not in v for vs in s.values() for v in vs),
                   "daemon: no inline comments in values")
        r = subprocess.run(["systemd-analyze", "verify", "--man=no"] + units,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=d)
        out = r.stdout.decode()
        tap.ok(r.returncode == 0 and not out.strip(),
               "systemd-analyze verify is clean (%s)" % ", ".join(map(os.path.basename, units)),
               out)
        rate(tap, once, d, readme)
        if daemon is not None:
            rate(tap, daemon, d, readme)
    tap.done()


if __name__ == "__main__":
    main()
