#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Leader election between two kubernetes-sink daemons against fake_kube.py.

Both daemons run the same config with "leader_election" on; each talks to the
fake with its own token, which the fake maps to its own user, so the fake's
request log tells who wrote.  Checks: only the leader writes secrets (also for
a namespace created later), the follower says once that it does not write,
and after the leader is killed (SIGKILL: no release) the other takes over
within the lease time and at once writes what the dead leader left undone.
Usage: test_kube_leader.py /path/to/ecr-credd
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed as tb  # noqa: E402
from fake_kube import FakeKube  # noqa: E402

LEASE_S = 6
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def main():
    tap, binary = tb.start(modules=("moto",), tools=("openssl",))

    with tb.workdir() as wd:
        pki = tb.make_pki(os.path.join(wd, "pki"))
        moto = tb.Moto(wd)
        fk = FakeKube(wd, pki, tokens=["tok-a", "tok-b"])
        fk.set_tokens({"tok-a": "user-a", "tok-b": "user-b"})
        for n in ("app-1", "app-2"):
            fk.create_namespace(n)
        env = tb.aws_env(os.path.join(wd, "dc"), endpoint=moto.url)
        daemons, procs = {}, {}
        for who in ("a", "b"):
            kc = fk.kubeconfig(os.path.join(wd, "kc-" + who), token="tok-" + who)
            cfg = tb.write_daemon_config(os.path.join(wd, "c-%s.json" % who), [{
                "type": "kubernetes", "name": "k8s", "kubeconfig": kc, "namespaces": ["app-*"],
                "leader_election": {"namespace": "default", "name": "ecr-credd",
                                    "lease_duration": "%ds" % LEASE_S}}],
                refresh={"retry_min": "1s", "retry_max": "2s"})
            daemons[who] = tb.Daemon(binary, os.path.join(wd, "home-" + who))
            daemons[who].cfg = cfg

        def secret(ns):
            st, o = fk.get("/api/v1/namespaces/%s/secrets/ecr-pull" % ns)
            return o if st == 200 else None

        def writers():
            return sorted({e.get("user") for e in fk.log()
                           if e.get("method") in WRITES and "/secrets" in e.get("path", "")})

        def lease_holder():
            st, o = fk.get("/apis/coordination.k8s.io/v1/namespaces/default/leases/ecr-credd")
            return ((o or {}).get("spec") or {}).get("holderIdentity") if st == 200 else None

        try:
            procs["a"] = tb.spawn(daemons["a"], ["--config", daemons["a"].cfg], env=env)
            ok = tb.wait_until(lambda: secret("app-1") and secret("app-2"), 20)
            tap.ok(ok, "a alone: becomes leader and writes", procs["a"].stderr())
            holder_a = lease_holder()
            tap.ok(holder_a, "a alone: the lease names a holder (%s)" % holder_a)
            fk.clear_log()
            procs["b"] = tb.spawn(daemons["b"], ["--config", daemons["b"].cfg], env=env)
            ok = procs["b"].wait_line(r"sink k8s: not the leader", 20)
            tap.ok(ok, "b: says it is not the leader", procs["b"].stderr())
            fk.create_namespace("app-3")
            ok = tb.wait_until(lambda: secret("app-3"), 10)
            tap.ok(ok, "a: writes the namespace created later", procs["a"].stderr())
            time.sleep(1)
            tap.eq(writers(), ["user-a"], "only the leader (user-a) wrote secrets")
            tap.eq(len(procs["b"].matching(r"not the leader")), 1,
                   "b: the follower line is logged once", procs["b"].stderr())
            tap.eq(lease_holder(), holder_a, "the lease still names a")

            # Kill the leader without a release; a namespace appears meanwhile.
            procs["a"].send(signal.SIGKILL)
            procs["a"].wait(5)
            t0 = time.monotonic()
            fk.clear_log()
            fk.create_namespace("app-4")
            ok = tb.wait_until(lambda: lease_holder() not in (None, holder_a), LEASE_S * 3)
            took = time.monotonic() - t0
            tap.ok(ok and took < LEASE_S + 6,
                   "b takes the lease within the lease time (%.1fs, lease %ds)" % (took, LEASE_S),
                   procs["b"].stderr())
            ok = tb.wait_until(lambda: secret("app-4"), 10)
            tap.ok(ok, "b: writes at once on gaining leadership (%.1fs after the kill)"
                   % (time.monotonic() - t0), procs["b"].stderr())
            tap.eq(writers(), ["user-b"], "after the takeover only user-b writes")
            # A graceful stop gives the lease back, so a follower leads at once
            # instead of after the lease time.
            procs["a"] = tb.spawn(daemons["a"], ["--config", daemons["a"].cfg], env=env)
            ok = procs["a"].wait_line(r"sink k8s: not the leader", 20)
            tap.ok(ok, "a again: follows b", procs["a"].stderr())
            holder_b = lease_holder()
            t0 = time.monotonic()
            r = procs["b"].stop()
            stop_took = time.monotonic() - t0
            tap.eq(r.rc, 0, "b: SIGTERM: clean exit", r.diag())
            tap.ok(stop_took < 3, "b: giving the lease back does not hold up shutdown (%.2fs)"
                   % stop_took)
            ok = tb.wait_until(lambda: lease_holder() not in (None, "", holder_b), LEASE_S * 2)
            took = time.monotonic() - t0
            tap.ok(ok and took < LEASE_S,
                   "b's SIGTERM released the lease: a leads after %.1fs (lease %ds)"
                   % (took, LEASE_S), procs["a"].stderr())
        finally:
            for p in procs.values():
                if p.alive():
                    p.stop()
        tb.check_no_secrets(tap, daemons["a"].results + daemons["b"].results, {
            "secret key": tb.EXAMPLE_SK, "token": tb.token_for(tb.DEFAULT_ACCOUNT),
            "kube token a": "tok-a", "kube token b": "tok-b"})
        tb.stop_all(fk, moto)
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
