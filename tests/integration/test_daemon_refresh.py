#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Daemon mode (no --once): start-up, expiry-driven refresh, sinks.

Against plain-HTTP moto on loopback with short token lifetimes
(moto_ecr.py --expires-in N) and short refresh settings, each case runs the
daemon in the background with a test $NOTIFY_SOCKET and proves:
  ready-first     READY=1 comes after setup and before the first token (the
                  first request is held 2 s by a "delay" fault), then STATUS
                  "1 of 1 fresh, 0 failing; next refresh in ..." and the log line
  before-expiry   with 6 s tokens and the default before_expiry (half the
                  lifetime) each refresh comes ~3 s after the previous one (moto's
                  request log), well before the token expires
  expired-token   moto's own 2015 expiresAt (already past): no tight loop, the
                  attempts are at least retry_min apart, little CPU
  sig-expired     "Signature expired" is answered by one re-signed retry at once
                  (well before retry_min), which succeeds
  failing-sink    two docker sinks, one unwritable (its directory is a file): the
                  good one is written at once, the bad one is retried with backoff
                  on its own, STATUS counts it as failing, and once the directory
                  is fixed the sink is written without a new token being needed
  two-groups      two fetch groups (identity+region), one refused: STATUS counts
                  "1 of 2 fresh, 1 failing", the healthy group is not held up, and
                  the refused one recovers on the slow schedule
Every case ends with SIGTERM: STOPPING=1, exit 0, no leaked libuv handles.
Usage: test_daemon_refresh.py /path/to/ecr-credd
"""

import calendar
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import daemoncase as dc  # noqa: E402
import testbed as tb  # noqa: E402

ACCT, HOST, TOKEN = dc.ACCT, dc.HOST, dc.TOKEN
FAST, GOT_TOKEN = dc.FAST, dc.GOT_TOKEN
Case, sink_auth, cpu_seconds, times, gaps = dc.Case, dc.sink_auth, dc.cpu_seconds, dc.times, dc.gaps


def case_ready_first(tap, binary, wd, moto6):
    c = Case(tap, binary, wd, moto6, "ready-first", 1, refresh=FAST)
    moto6.fault("delay", count=1, delay=2.0, match=c.ak)
    c.start()
    ready = c.notify.wait_for(lambda m: m.has("READY", "1"), 10)
    sink_at_ready = os.path.exists(c.sink)
    tap.ok(ready is not None, "ready-first: READY=1 received", c.diag())
    tap.ok(not sink_at_ready, "ready-first: READY=1 before the first token was written",
           c.diag())
    if ready is not None:
        tap.eq(ready.pid, c.bg.pid, "ready-first: sent by the main pid (NotifyAccess=main)")
    got = c.bg.wait_line(GOT_TOKEN, 10)
    tap.ok(got is not None, "ready-first: log line 'got a token for 1 registry in us-east-1, "
           "valid until ...'", c.diag())
    tap.ok(tb.wait_until(lambda: sink_auth(c.sink) == TOKEN, 5),
           "ready-first: the sink holds the token", c.diag())
    # STATUS: fresh after the token; the next refresh is due in at most 3 s (half of 6 s).
    st = c.notify.wait_for(lambda m: (m.status() or {}).get("fresh") == 1, 5)
    if tap.ok(st is not None, "ready-first: STATUS reports 1 fresh", c.diag()):
        s = st.status()
        tap.eq((s["fresh"], s["total"], s["failing"]), (1, 1, 0),
               "ready-first: STATUS is '1 of 1 fresh, 0 failing'", st.text)
        tap.ok(c.notify.index_of(ready) < c.notify.index_of(st),
               "ready-first: READY=1 before that STATUS")
        time.sleep(0.3)
        last = [s for _, s in c.notify.statuses() if s][-1]
        tap.ok(last["next_s"] is not None and 1 <= last["next_s"] <= 3,
               "ready-first: settled STATUS: next refresh in %s (1..3 s: half the 6 s "
               "lifetime)" % last["next"], c.notify.dump())
    bad = [m.text for m, s in c.notify.statuses() if s is None]
    tap.ok(not bad, "ready-first: every STATUS= has the documented form", "\n".join(bad))

    # before-expiry: the following refreshes come ~3 s apart (half of 6 s).
    reqs = c.wait_requests(5, 25)
    ts = times(reqs)
    g = gaps(ts)
    tap.ok(len(reqs) >= 5, "before-expiry: 5 token requests within 25 s (%d)" % len(reqs),
           c.diag())
    tap.ok(all(x < 6.0 for x in g[:1]) and all(x < 5.0 for x in g[1:]),
           "before-expiry: every refresh before the 6 s token expires: gaps %s" % g)
    steady = g[1:]
    tap.ok(steady and all(2.4 <= x <= 4.0 for x in steady),
           "before-expiry: steady gaps ~3 s (half the lifetime): %s" % steady, c.diag())
    tap.ok(all(e.get("status") == 200 for e in reqs[1:]),
           "before-expiry: every refresh succeeded")
    n_got = len(c.bg.matching(GOT_TOKEN))
    tap.ok(n_got >= len(reqs) - 1, "before-expiry: one 'got a token' line per refresh "
           "(%d lines, %d requests)" % (n_got, len(reqs)), c.diag())
    n_status = len([1 for _, s in c.notify.statuses() if s and s["fresh"] == 1])
    tap.ok(n_status >= len(reqs) - 1, "before-expiry: a STATUS update after every refresh "
           "(%d, %d requests)" % (n_status, len(reqs)), c.notify.dump())
    tap.ok(not c.bg.matching(r"ecr-credd: (warning|error):"),
           "before-expiry: no warning or error", c.diag())
    wrong = [m.text for m, s in c.notify.statuses()
             if s and s["fresh"] == 1 and s["failing"] == 0 and s["next"] == "now"]
    tap.ok(not wrong, "before-expiry: no STATUS says 'next refresh in now' right after a "
           "successful refresh (%d do)" % len(wrong), c.notify.dump())
    c.stop()
    return c


def case_expired_token(tap, binary, wd, moto0):
    c = Case(tap, binary, wd, moto0, "expired-token", 2, refresh=FAST)
    c.start()
    first = c.wait_requests(1, 10)
    tap.ok(first, "expired-token: first request", c.diag())
    cpu0 = cpu_seconds(c.bg.pid)
    time.sleep(6.0)
    cpu1 = cpu_seconds(c.bg.pid)
    reqs = c.requests()
    t0 = first[0]["time"] if first else 0
    window = [e for e in reqs if e["time"] <= t0 + 6.0]
    g = gaps(times(reqs))
    tap.ok(2 <= len(window) <= 8,
           "expired-token: %d requests in the 6 s after the first (2..8: retried, not looping)"
           % len(window), c.diag())
    tap.ok(all(x >= 0.9 for x in g), "expired-token: attempts at least retry_min (1 s) apart: "
           "%s" % g)
    if cpu0 is not None and cpu1 is not None:
        tap.ok(cpu1 - cpu0 < 1.0, "expired-token: %.2f s of CPU in 6 s (no busy loop)"
               % (cpu1 - cpu0))
    sts = [s for _, s in c.notify.statuses() if s]
    tap.ok(sts and all(s["fresh"] == 0 for s in sts[1:]),
           "expired-token: STATUS never counts an expired token as fresh",
           c.notify.dump())
    tap.ok(c.bg.alive(), "expired-token: still running", c.diag())
    c.stop()


def case_signature_expired(tap, binary, wd, moto12h):
    refresh = dict(FAST, retry_min="5s", retry_max="10s")
    c = Case(tap, binary, wd, moto12h, "sig-expired", 3, refresh=refresh)
    moto12h.fault("signature_expired", count=1, match=c.ak)
    c.start()
    reqs = c.wait_requests(2, 8, pred=lambda e: "status" in e)
    tap.eq(len(reqs), 2, "sig-expired: the rejected request is retried once", c.diag())
    if len(reqs) >= 2:
        tap.eq(reqs[0].get("fault"), "signature_expired", "sig-expired: first one rejected")
        tap.eq(reqs[1].get("status"), 200, "sig-expired: the re-signed retry succeeded")
        d = reqs[1]["time"] - reqs[0]["time"]
        tap.ok(d < 2.0, "sig-expired: retried at once (%.2fs, retry_min is 5 s)" % d)
        skew = abs(calendar.timegm(time.strptime(
            reqs[1].get("X-Amz-Date", "19700101T000000Z"), "%Y%m%dT%H%M%SZ"))
            - reqs[1]["time"])
        tap.ok(skew < 5, "sig-expired: the retry is signed with the server's time "
               "(X-Amz-Date %s)" % reqs[1].get("X-Amz-Date"))
    tap.ok(tb.wait_until(lambda: sink_auth(c.sink) == TOKEN, 3),
           "sig-expired: the sink holds the token", c.diag())
    time.sleep(1.0)
    tap.eq(len(c.requests()), 2, "sig-expired: no further request (token valid 12 h)")
    c.stop()


def case_failing_sink(tap, binary, wd, moto12h):
    base = os.path.join(wd, "failing-sink-paths")
    os.makedirs(base)
    good = os.path.join(base, "good", "config.json")
    blocker = os.path.join(base, "blocker")
    tb.write_file(blocker, "a file where a directory should be\n")
    bad = os.path.join(blocker, "config.json")
    c = Case(tap, binary, wd, moto12h, "failing-sink", 4, sinks=[bad, good], refresh=FAST)
    c.start()
    t_start = time.monotonic()
    ok = tb.wait_until(lambda: sink_auth(good) == TOKEN, 5)
    tap.ok(ok, "failing-sink: the healthy sink is written at once (%.1fs)"
           % (time.monotonic() - t_start), c.diag())
    st = c.notify.wait_for(lambda m: (m.status() or {}).get("failing") == 1, 5)
    tap.ok(st is not None and (st.status()["fresh"], st.status()["total"]) == (1, 1),
           "failing-sink: STATUS '1 of 1 fresh, 1 failing'", c.notify.dump())
    time.sleep(11.0)
    fails = c.bg.matching(re.escape(bad))
    ft = [t for t, _ in fails]
    g = gaps(ft)
    tap.ok(len(fails) >= 3, "failing-sink: the bad sink is retried (%d messages naming it in "
           "~11 s)" % len(fails), c.diag())
    tap.ok(len(fails) <= 12, "failing-sink: not retried in a tight loop (%d)" % len(fails))
    tap.ok(all(0.85 <= x <= 4.6 for x in g), "failing-sink: retries back off within "
           "[retry_min 1 s, retry_max 4 s]: %s" % g, c.diag())
    tap.ok(all(("warning" in l or "error" in l) for _, l in fails),
           "failing-sink: failures logged as warning/error")
    tap.ok(not any(os.path.basename(p).startswith(".") or "tmp" in p
                   for p in os.listdir(os.path.dirname(good)) if p != "config.json"),
           "failing-sink: no temp files next to the healthy sink",
           os.listdir(os.path.dirname(good)))
    # Fix the directory: the bad sink gets the token within one backoff step.
    os.unlink(blocker)
    os.makedirs(blocker, mode=0o700)
    t_fix = time.monotonic()
    ok = tb.wait_until(lambda: sink_auth(bad) == TOKEN, 8)
    tap.ok(ok, "failing-sink: written once its directory exists (%.1fs)"
           % (time.monotonic() - t_fix), c.diag())
    n0 = c.notify.count()
    st = c.notify.wait_for(lambda m: (m.status() or {}).get("failing") == 0, 3,
                           since=max(0, n0 - 3))
    tap.ok(st is not None and st.status()["fresh"] == 1,
           "failing-sink: STATUS back to '1 of 1 fresh, 0 failing'", c.notify.dump())
    n = len(c.requests())
    tap.diag("failing-sink: %d token request(s) while the sink was retried" % n)
    tap.ok(n <= 2, "failing-sink: sink retries reuse the token (%d requests)" % n)
    c.stop()


def case_two_groups(tap, binary, wd, moto12h):
    """Two fetch groups; one refused at first: the counts in STATUS, then recovery."""
    c = Case(tap, binary, wd, moto12h, "two-groups", 5, refresh=FAST)
    tb.write_daemon_config(c.config, [c.sink], refresh=FAST, registries=[
        {"region": "us-east-1"},
        {"region": "eu-west-1", "registry_ids": ["111111111111", "222222222222"]}])
    moto12h.fault("access_denied", count=-1, match="/eu-west-1/ecr/")
    c.start()
    tap.ok(tb.wait_until(lambda: sink_auth(c.sink) == TOKEN, 5),
           "two-groups: the healthy group's token is written at once", c.diag())
    st = c.notify.wait_for(lambda m: m.status() is not None and m.status()["total"] == 2 and
                           m.status()["failing"] == 1 and m.status()["fresh"] == 1, 5)
    tap.ok(st is not None, "two-groups: STATUS '1 of 2 fresh, 1 failing'", c.notify.dump())
    moto12h.clear_fault()
    line = c.bg.wait_line(r"registries\[1\]: got a token for 2 registries in eu-west-1, "
                          r"valid until \S+", 8)
    tap.ok(line is not None, "two-groups: 'registries[1]: got a token for 2 registries in "
           "eu-west-1' after the refusal ends (slow schedule, 4 s)", c.diag())
    st = c.notify.wait_for(lambda m: m.status() is not None and
                           (m.status()["fresh"], m.status()["total"], m.status()["failing"]) ==
                           (2, 2, 0), 3)
    tap.ok(st is not None, "two-groups: STATUS '2 of 2 fresh, 0 failing'", c.notify.dump())
    want = sorted([HOST, tb.ecr_host("111111111111", "eu-west-1"),
                   tb.ecr_host("222222222222", "eu-west-1")])

    def hosts():
        cfg = tb.read_json(c.sink, default={}) or {}
        return sorted((cfg.get("auths") or {}).keys()) if isinstance(cfg, dict) else []
    tb.wait_until(lambda: hosts() == want, 5)
    tap.eq(hosts(), want, "two-groups: the sink holds all three registries", c.diag())
    c.stop()


def main():
    tap, binary = tb.start(modules=("moto",))
    with tb.workdir() as wd:
        moto6 = tb.Moto(wd, expires_in=6)
        moto0 = tb.Moto(wd, expires_in=0)
        moto12h = tb.Moto(wd, expires_in=43200)
        try:
            case_ready_first(tap, binary, wd, moto6)
            case_expired_token(tap, binary, wd, moto0)
            case_signature_expired(tap, binary, wd, moto12h)
            case_failing_sink(tap, binary, wd, moto12h)
            case_two_groups(tap, binary, wd, moto12h)
        finally:
            secrets = {"secret key": tb.EXAMPLE_SK, "token": TOKEN,
                       "password": tb.password_for(ACCT)}
            results = []
            for c in dc.CASES:
                if c.bg is not None and c.bg.result is None:
                    c.bg.stop()
                results += c.daemon.results
            tb.check_no_secrets(tap, results, secrets, "the daemon's output")
            tb.stop_all(moto6, moto0, moto12h)
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
