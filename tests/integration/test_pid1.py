#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A SIGTERM during start-up is not lost when the daemon is a container's PID 1.

The kernel drops signals that PID 1 has no handler for, and the daemon installs its
handlers only after start-up work (here: an instance-metadata region lookup that
takes most of a second).  Run as PID 1 of a new PID namespace (unshare), send
SIGTERM in the middle of that work: the daemon must stop cleanly (exit 0) as soon
as it is up, not keep running.  Usage: test_pid1.py /path/to/ecr-credd (root).
"""

import http.server
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed as tb  # noqa: E402

SLOW_S = 0.8


class SlowImds(http.server.BaseHTTPRequestHandler):
    """IMDSv2 that takes SLOW_S to hand out a session token."""

    def log_message(self, *a):
        pass

    def _send(self, code, body):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        time.sleep(SLOW_S)
        self._send(200, b"slow-token")

    def do_GET(self):
        if self.path == "/latest/meta-data/placement/region":
            return self._send(200, b"us-east-1")
        self._send(404, b"")


def inner_pid(parent, timeout=3.0):
    """The ecr-credd process unshare forked (PID 1 inside), once it has exec'ed."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/stat" % pid) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                if ppid == parent and os.readlink("/proc/%s/exe" % pid).endswith("ecr-credd"):
                    return int(pid)
            except (OSError, ValueError, IndexError):
                pass
        time.sleep(0.002)
    return None


def main():
    tap, binary = tb.start(tools=("unshare",), root=True)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowImds)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    with tb.workdir() as wd:
        daemon = tb.Daemon(binary, os.path.join(wd, "home"))
        env = daemon.base_env()
        env.pop("AWS_EC2_METADATA_DISABLED")
        env.update({"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:%d" % srv.server_port,
                    "AWS_ACCESS_KEY_ID": tb.EXAMPLE_AK, "AWS_SECRET_ACCESS_KEY": tb.EXAMPLE_SK,
                    "AWS_ENDPOINT_URL_ECR": "http://127.0.0.1:9",
                    "DOCKER_CONFIG": os.path.join(wd, "docker")})
        for trial in range(3):
            p = tb._track(subprocess.Popen(
                ["unshare", "--fork", "--pid", "--kill-child"] + daemon.wrapper + [binary],
                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE))
            pid = inner_pid(p.pid)
            if not tap.ok(pid is not None, "trial %d: the daemon runs as PID 1 of a new "
                          "namespace" % trial):
                tb.kill_proc(p)
                continue
            time.sleep(SLOW_S / 3)  # inside the region lookup, before the handlers exist
            os.kill(pid, 15)
            t0 = time.monotonic()
            try:
                p.wait(timeout=SLOW_S + 5)
                rc, secs = p.returncode, time.monotonic() - t0
            except subprocess.TimeoutExpired:
                rc, secs = "still running", None
                tb.kill_proc(p)
            err = p.stderr.read().decode("utf-8", "replace")
            tap.eq(rc, 0, "trial %d: SIGTERM during start-up: clean exit once up" % trial, err)
            tap.ok(secs is not None and secs < SLOW_S + 3,
                   "trial %d: within start-up time plus a moment (%s)" % (
                       trial, "%.2f s" % secs if secs is not None else "-"))
    srv.shutdown()
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
