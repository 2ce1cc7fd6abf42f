#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Leader election (daemon/kube/lease.c) through tests/tools/kube-lease against
tests/fixtures/fake_kube.py: two campaigners and only one leads; the Lease carries
MicroTime renewals; killing the leader (no release) hands the lease to the other
within leaseDurationSeconds + retry period, counted as a transition; a stopped leader
releases the lease so the next one takes it at once; a leader that cannot renew steps
down at the renew deadline; a 403 names the missing RBAC; two campaigners started
together (create race) still give one leader.
Usage: test_kube_lease.py /path/to/kube-lease
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import testbed as tb  # noqa: E402
import fake_kube  # noqa: E402

LEASE = "/apis/coordination.k8s.io/v1/namespaces/default/leases/ecr-credd"
MICRO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
# Short periods keep the test quick: duration 3 s, renew deadline 2 s, retry 1 s.
TIMING = ["--duration", "3", "--renew-deadline", "2", "--retry-period", "1"]


class Campaigner:
    def __init__(self, binary, kc, identity, wd, extra=()):
        self.identity = identity
        self.errpath = os.path.join(wd, "lease-%s.err" % identity)
        self.errf = open(self.errpath, "w")
        env = {"PATH": os.environ.get("PATH", tb.CLEAN_PATH), "HOME": wd, "KUBE_GET_DEBUG": "1"}
        wrapper = os.environ.get("ECD_TEST_WRAPPER", "").split()
        self.p = tb._track(subprocess.Popen(
            wrapper + [binary, "--kubeconfig", kc, "--identity", identity] + TIMING + list(extra),
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.errf,
            text=True, bufsize=1))
        self.lines = []
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for ln in self.p.stdout:
            with self.cv:
                self.lines.append((time.monotonic(), ln.rstrip("\n")))
                self.cv.notify_all()
        with self.cv:
            self.lines.append((time.monotonic(), "EOF"))
            self.cv.notify_all()

    def wait_line(self, text, timeout, since=0):
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for i, (t, ln) in enumerate(self.lines[since:], since):
                    if ln == text:
                        return t
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cv.wait(left)

    def leading(self):
        with self.cv:
            states = [ln for _, ln in self.lines if ln.startswith("leading=")]
        return bool(states) and states[-1] == "leading=1"

    def count(self, text):
        with self.cv:
            return sum(1 for _, ln in self.lines if ln == text)

    def stderr(self):
        if not self.errf.closed:
            self.errf.flush()
        with open(self.errpath) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            tb.kill_proc(self.p)
            rc = None
        self.errf.close()
        return rc


def holder(fk):
    st, obj = fk.get(LEASE)
    return obj.get("spec", {}) if st == 200 else None


def main():
    tap, binary = tb.start(tools=("openssl",))
    slow = 5 if os.environ.get("ECD_TEST_WRAPPER") else 1
    with tb.workdir("ecd-lease-") as wd:
        pki = tb.make_pki(os.path.join(wd, "pki"))
        fk = fake_kube.FakeKube(wd, pki, tokens=["tok-lease"])
        kc = fk.kubeconfig(os.path.join(wd, "kc.json"))
        stderrs = []

        # --- one leader of two -----------------------------------------------
        a = Campaigner(binary, kc, "replica-a", wd)
        tap.ok(a.wait_line("leading=1", 10 * slow) is not None, "first campaigner leads",
               a.stderr())
        spec = holder(fk) or {}
        tap.eq(spec.get("holderIdentity"), "replica-a", "the Lease names replica-a")
        tap.eq((spec.get("leaseDurationSeconds"), spec.get("leaseTransitions")), (3, 0),
               "Lease duration and transitions on create")
        tap.ok(MICRO.match(spec.get("renewTime", "")) and MICRO.match(spec.get("acquireTime", "")),
               "renewTime and acquireTime are MicroTime (6 fractional digits)", spec)
        b = Campaigner(binary, kc, "replica-b", wd)
        time.sleep(4.5 * slow)
        tap.ok(a.leading() and not b.leading() and b.count("leading=1") == 0,
               "second campaigner stays a follower while the leader renews")
        spec2 = holder(fk) or {}
        tap.ok(spec2.get("holderIdentity") == "replica-a" and
               spec2.get("renewTime", "") > spec.get("renewTime", ""),
               "the leader renewed the Lease", spec2)
        tap.eq(spec2.get("acquireTime"), spec.get("acquireTime"),
               "renewals keep acquireTime")
        log = fk.log(clear=True)
        puts = [e for e in log if e["method"] == "PUT" and e["user"] and
                e["path"] == LEASE and e["status"] == 200]
        tap.ok(len(puts) >= 2, "renewals are PUTs (%d)" % len(puts))

        # --- leader killed: the follower takes over --------------------------
        t_kill = time.monotonic()
        a.stop(signal.SIGKILL)
        t_b = b.wait_line("leading=1", 15 * slow)
        tap.ok(t_b is not None, "follower leads after the leader died", b.stderr())
        if t_b is not None:
            took = t_b - t_kill
            tap.ok(took <= (3 + 1.2 + 1.5) * slow,
                   "takeover within duration + retry period (+ slack): %.1f s" % took)
            tap.ok(took >= 1.5, "no takeover before the lease could expire: %.1f s" % took)
        spec3 = holder(fk) or {}
        tap.eq((spec3.get("holderIdentity"), spec3.get("leaseTransitions")), ("replica-b", 1),
               "the Lease names replica-b, one transition")
        tap.ok(spec3.get("acquireTime", "") > spec.get("acquireTime", ""),
               "takeover sets a new acquireTime", spec3)

        # --- the leader cannot renew: it steps down at the deadline ----------
        n0 = len(b.lines)
        fk.fail_next(count=None, status=503, match="/leases/")
        t0 = time.monotonic()
        t_down = b.wait_line("leading=0", 10 * slow, since=n0)
        tap.ok(t_down is not None, "leader steps down when renewals fail", b.stderr())
        if t_down is not None:
            tap.ok(t_down - t0 <= (2 + 1 + 1.5) * slow,
                   "step-down within the renew deadline (+ one period): %.1f s" % (t_down - t0))
        fk.clear_faults()
        tap.ok(b.wait_line("leading=1", 10 * slow, since=n0) is not None,
               "after the server recovers, it leads again", b.stderr())

        # --- stop releases: the next campaigner takes it at once -----------
        rc = b.stop(signal.SIGTERM)
        tap.eq(rc, 0, "SIGTERM: campaigner exits 0")
        spec4 = holder(fk) or {}
        tap.eq((spec4.get("holderIdentity"), spec4.get("leaseDurationSeconds")), ("", 1),
               "stopping the leader released the Lease (holder empty, duration 1)")
        c = Campaigner(binary, kc, "replica-c", wd)
        t_c = c.wait_line("leading=1", 5 * slow)
        tap.ok(t_c is not None, "a new campaigner takes a released Lease", c.stderr())
        tap.eq((holder(fk) or {}).get("leaseTransitions"), 2, "released -> taken: a transition")
        tap.eq(c.stop(), 0, "third campaigner exits 0")
        stderrs += [a.stderr(), b.stderr(), c.stderr()]

        # --- create race: two at once, one leader ----------------------------
        fk.request("DELETE", LEASE)
        d = Campaigner(binary, kc, "replica-d", wd)
        e = Campaigner(binary, kc, "replica-e", wd)
        deadline = time.monotonic() + 10 * slow
        while time.monotonic() < deadline and not (d.leading() or e.leading()):
            time.sleep(0.1)
        time.sleep(2 * slow)  # room for a wrong second leader to show up
        leaders = [x.identity for x in (d, e) if x.leading()]
        tap.eq(len(leaders), 1, "two campaigners started together: exactly one leads (%s)"
               % leaders)
        tap.eq((holder(fk) or {}).get("holderIdentity"), leaders[0] if leaders else None,
               "the Lease names that one")
        tap.eq((d.stop(), e.stop()), (0, 0), "both campaigners exit 0")
        stderrs += [d.stderr(), e.stderr()]

        # --- RBAC ------------------------------------------------------------
        fk.deny(verb="*", resource="leases")
        f = Campaigner(binary, kc, "replica-f", wd)
        time.sleep(2 * slow)
        err = f.stderr()
        tap.ok(re.search(r"ecr-credd: error: lease default/ecr-credd: get answered 403 "
                         r"Forbidden: the service account needs get, create and update on "
                         r"leases \(coordination.k8s.io\) in namespace default", err),
               "403: the error names the missing RBAC", err)
        tap.eq(err.count("403 Forbidden"), 1, "403: logged once, not every retry", err)
        tap.ok(not f.leading(), "403: no leadership")
        tap.eq(f.stop(), 0, "denied campaigner exits 0")
        fk.clear_denies()
        stderrs.append(err)
        tap.ok(all("handles left open" not in s for s in stderrs),
               "every campaigner closed its loop cleanly")
        tap.ok(all("tok-lease" not in s for s in stderrs), "no token in any log")
        fk.stop()
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
