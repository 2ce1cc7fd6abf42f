#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Daemon mode: the systemd side (sd_notify, watchdog, reload, stop), clock
jumps and --check.

  sequence        the exact notify order READY -> STATUS... -> (RELOADING with
                  MONOTONIC_USEC in the same datagram, CLOCK_MONOTONIC) -> READY ->
                  STATUS ... -> STOPPING, every datagram from the main pid;
                  WATCHDOG=1 every WATCHDOG_USEC/2 (+-30%)
  reload          SIGHUP with a valid new config (a new sink gets written), with an
                  invalid one ("reload: ... keeping the running configuration",
                  READY still follows RELOADING, the daemon keeps working: a later
                  valid reload applies)
  reload-outage   SIGHUP while AWS throttles: the held 12 h token stays in use (no
                  error-level messages, STATUS still fresh, sink untouched)
  watchdog-pid    WATCHDOG_PID naming another process: no WATCHDOG=1; the abstract
                  NOTIFY_SOCKET form "@name" works; WATCHDOG_PID naming the daemon
                  itself: pings
  reload-inflight SIGHUP while a fetch is held by moto: the reload completes and
                  the sink still gets its token
  reload-storm    15 SIGHUPs 20 ms apart while fetches are held: each RELOADING=1
                  gets its READY=1, the sink is written, a clean exit
  reload-remove   a removed registry group (in backoff) and a removed failing sink
                  get no more attempts after the reload; STATUS counts drop
  sigterm         SIGTERM while a fetch is in flight (moto holds it 5 s): exit 0
                  at once, STOPPING=1, no sink file or temp file left; SIGINT idle
  clock-jump      under libfaketime (wall clock only), a +7 h jump with a 12 h
                  token (next refresh ~6 h away) causes a refresh within seconds
  check           --check names the identity (provider, key id, never the secret),
                  the region of each group and the sinks; writes nothing; non-zero
                  with a reason when no credentials can be found
Usage: test_daemon_control.py /path/to/ecr-credd
"""

import calendar
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import daemoncase as dc  # noqa: E402
import testbed as tb  # noqa: E402
from notify import NotifySocket  # noqa: E402

TOKEN, FAST, GOT_TOKEN = dc.TOKEN, dc.FAST, dc.GOT_TOKEN
Case, sink_auth = dc.Case, dc.sink_auth
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def collapse(seq):
    """Runs of STATUS collapsed to one."""
    out = []
    for k in seq:
        if k == "STATUS" and out and out[-1] == "STATUS":
            continue
        out.append(k)
    return out


def amz_epoch(entry):
    try:
        return calendar.timegm(time.strptime(entry.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return None


def reload(tap, c, what):
    """SIGHUP; wait for RELOADING then READY; returns (reloading, ready) messages."""
    n0 = c.notify.count()
    c.bg.send(signal.SIGHUP)
    rel = c.notify.wait_for(lambda m: m.has("RELOADING", "1"), 5, since=n0)
    now_us = time.monotonic() * 1e6
    tap.ok(rel is not None, "%s: RELOADING=1 after SIGHUP" % what, c.diag())
    ready = None
    if rel is not None:
        mono = rel.get("MONOTONIC_USEC")
        tap.ok(mono is not None and mono.isdigit(),
               "%s: MONOTONIC_USEC= in the RELOADING datagram" % what, rel.text)
        if mono is not None and mono.isdigit():
            tap.ok(abs(int(mono) - now_us) < 3e6,
                   "%s: MONOTONIC_USEC is CLOCK_MONOTONIC (off by %.3f s)"
                   % (what, abs(int(mono) - now_us) / 1e6))
        ready = c.notify.wait_for(lambda m: m.has("READY", "1"), 5,
                                  since=c.notify.index_of(rel) + 1)
        tap.ok(ready is not None, "%s: READY=1 follows RELOADING=1" % what, c.diag())
    return rel, ready


def case_sequence_reload(tap, binary, wd, moto12h):
    c = Case(tap, binary, wd, moto12h, "sequence", 21, refresh=FAST,
             extra_env={"WATCHDOG_USEC": "1000000"})
    s2 = os.path.join(c.dir, "docker2", "config.json")
    s3 = os.path.join(c.dir, "docker3", "config.json")
    c.start()
    ready = c.notify.wait_for(lambda m: m.has("READY", "1"), 10)
    tap.ok(ready is not None, "sequence: READY=1", c.diag())
    tap.ok(tb.wait_until(lambda: sink_auth(c.sink) == TOKEN, 5), "sequence: sink written",
           c.diag())
    st = c.notify.wait_for(lambda m: (m.status() or {}).get("fresh") == 1, 5)
    tap.ok(st is not None, "sequence: STATUS '1 of 1 fresh'", c.notify.dump())
    time.sleep(0.3)
    last = [s for _, s in c.notify.statuses() if s][-1]
    tap.ok(last["next_s"] is not None and 5 * 3600 <= last["next_s"] <= 6 * 3600,
           "sequence: next refresh in %s (half of 12 h, jitter 0)" % last["next"])

    # Watchdog: WATCHDOG_USEC=1 s -> a ping every 0.5 s.
    time.sleep(4.0)
    iv = c.notify.watchdog_intervals()
    tap.diag("watchdog intervals: %s" % [round(x, 3) for x in iv])
    tap.ok(len(iv) >= 6, "watchdog: %d pings in ~4.5 s" % (len(iv) + 1), c.notify.dump())
    if iv:
        med = sorted(iv)[len(iv) // 2]
        tap.ok(0.35 <= med <= 0.65, "watchdog: median interval %.3f s (0.5 s +-30%%)" % med)
        tap.ok(max(iv) < 0.9, "watchdog: never close to the 1 s timeout (max %.3f s)"
               % max(iv))
        tap.ok(min(iv) > 0.2, "watchdog: not too often (min %.3f s)" % min(iv))

    # Valid reload: a second sink.
    tb.write_daemon_config(c.config, [c.sink, s2], refresh=FAST)
    rel, rdy = reload(tap, c, "reload valid")
    tap.ok(tb.wait_until(lambda: sink_auth(s2) == TOKEN, 5),
           "reload valid: the new sink is written", c.diag())
    if rdy is not None:
        st = c.notify.wait_for(lambda m: m.get("STATUS") is not None, 3,
                               since=c.notify.index_of(rdy))
        tap.ok(st is not None, "reload valid: a STATUS follows READY", c.notify.dump())

    # Invalid reload: kept running configuration.
    nl = c.bg.nlines()
    tb.write_file(c.config, '{"registries": [ {"region": ')
    rel, rdy = reload(tap, c, "reload invalid")
    line = c.bg.wait_line(r"reload: .*keeping the running configuration", 3, since=nl)
    tap.ok(line is not None, "reload invalid: 'reload: ... keeping the running "
           "configuration' logged", c.diag())
    tap.ok(line is not None and c.config in c.bg.stderr(),
           "reload invalid: the message names the file", c.diag())
    tap.ok(c.bg.alive(), "reload invalid: still running", c.diag())
    tap.eq(sink_auth(c.sink), TOKEN, "reload invalid: sinks untouched")

    # And it keeps working: a later valid reload applies.
    tb.write_daemon_config(c.config, [c.sink, s2, s3], refresh=FAST)
    reload(tap, c, "reload after invalid")
    tap.ok(tb.wait_until(lambda: sink_auth(s3) == TOKEN, 5),
           "reload after invalid: the third sink is written", c.diag())
    time.sleep(0.3)
    r = c.stop("sequence")
    seq = collapse(c.notify.sequence())
    want = ["READY", "STATUS",
            "RELOADING", "MONOTONIC_USEC", "READY", "STATUS",
            "RELOADING", "MONOTONIC_USEC", "READY", "STATUS",
            "RELOADING", "MONOTONIC_USEC", "READY", "STATUS",
            "STOPPING"]
    tap.eq(seq, want, "sequence: exact notify order (WATCHDOG left out, STATUS runs "
           "collapsed)", c.notify.dump())
    pids = {m.pid for m in c.notify.messages()}
    tap.eq(pids, {c.bg.pid}, "sequence: every datagram from the main pid")
    wd_after = [m for m in c.notify.messages() if m.has("STOPPING")]
    if wd_after:
        tap.ok(not [m for m in c.notify.messages(c.notify.index_of(wd_after[0]) + 1)],
               "sequence: nothing after STOPPING=1")
    n = len(tb.token_log(moto12h, c.ak))
    tap.diag("sequence: %d token request(s) for the start and 2 valid reloads" % n)
    tap.ok(n <= 3, "sequence: at most one fetch per start/valid reload (%d)" % n)
    return r


def case_reload_outage(tap, binary, wd, moto12h):
    """SIGHUP while AWS throttles: the sinks hold a 12 h token, so the daemon keeps
    it (or at least logs warnings, not errors) and never touches the sink."""
    c = Case(tap, binary, wd, moto12h, "reload-outage", 28, refresh=FAST)
    c.start()
    tap.ok(tb.wait_until(lambda: sink_auth(c.sink) == TOKEN, 10),
           "reload-outage: first token written", c.diag())
    with open(c.sink, "rb") as f:
        good = f.read()
    st0 = os.stat(c.sink)
    moto12h.fault("throttle", count=-1, match=c.ak)
    nl = c.bg.nlines()
    rel, rdy = reload(tap, c, "reload-outage")
    time.sleep(4.0)
    moto12h.clear_fault()
    errs = [l for _, l in c.bg.matching(r"^ecr-credd: error:", since=nl)]
    tap.ok(not errs, "reload-outage: failures are warnings while the sinks hold a token "
           "valid for 12 h (%d error lines)" % len(errs), c.diag())
    sts = [s for _, s in c.notify.statuses(c.notify.index_of(rdy) if rdy else 0) if s]
    tap.ok(sts and all(s["fresh"] == 1 for s in sts),
           "reload-outage: STATUS still counts the held 12 h token as fresh",
           c.notify.dump())
    with open(c.sink, "rb") as f:
        tap.ok(f.read() == good, "reload-outage: sink content unchanged")
    st1 = os.stat(c.sink)
    tap.eq((st1.st_ino, st1.st_mtime_ns), (st0.st_ino, st0.st_mtime_ns),
           "reload-outage: sink not rewritten")
    c.stop("reload-outage")


def case_reload_inflight(tap, binary, wd, moto12h):
    """SIGHUP while the first fetch is held 3 s by moto: reload completes, the sink
    still gets a token, and the exit stays clean."""
    c = Case(tap, binary, wd, moto12h, "reload-inflight", 29, refresh=FAST)
    moto12h.fault("delay", count=1, delay=3.0, match=c.ak)
    c.start()
    tap.ok(tb.wait_until(lambda: c.requests(), 10), "reload-inflight: fetch in flight",
           c.diag())
    rel, rdy = reload(tap, c, "reload-inflight")
    tap.ok(tb.wait_until(lambda: sink_auth(c.sink) == TOKEN, 8),
           "reload-inflight: the sink gets a token after the reload", c.diag())
    tap.ok(c.bg.alive(), "reload-inflight: still running", c.diag())
    c.stop("reload-inflight")


def case_reload_remove(tap, binary, wd, moto12h):
    """Work for a removed registry group (in slow-schedule backoff) and a removed
    failing sink stops after a reload."""
    c = Case(tap, binary, wd, moto12h, "reload-remove", 30, refresh=FAST)
    blocker = os.path.join(c.dir, "blocker")
    tb.write_file(blocker, "not a directory\n")
    bad = os.path.join(blocker, "config.json")
    two = [{"region": "us-east-1"}, {"region": "eu-west-1"}]
    tb.write_daemon_config(c.config, [c.sink, bad], refresh=FAST, registries=two)
    moto12h.fault("access_denied", count=-1, match="/eu-west-1/ecr/")
    c.start()
    tap.ok(tb.wait_until(lambda: sink_auth(c.sink) == TOKEN, 8),
           "reload-remove: the healthy group and sink work", c.diag())
    st = c.notify.wait_for(lambda m: (m.status() or {}).get("failing") == 2, 5)
    tap.ok(st is not None, "reload-remove: STATUS counts 2 failing (a group and a sink)",
           c.notify.dump())
    tb.write_daemon_config(c.config, [c.sink], refresh=FAST)
    rel, rdy = reload(tap, c, "reload-remove")
    t_reload = time.time()
    nl = c.bg.nlines()
    time.sleep(5.0)
    eu = [e for e in tb.token_log(moto12h, c.ak) if "/eu-west-1/" in e.get("Authorization", "")
          and e["time"] > t_reload + 0.2]
    tap.eq(len(eu), 0, "reload-remove: no request for the removed group after the reload")
    tap.eq(c.bg.matching(re.escape(bad), since=nl), [],
           "reload-remove: the removed sink is not retried")
    sts = [s for _, s in c.notify.statuses(c.notify.index_of(rdy) if rdy else 0) if s]
    tap.ok(sts and sts[-1]["total"] == 1 and sts[-1]["failing"] == 0,
           "reload-remove: STATUS '1 of 1 fresh, 0 failing'", c.notify.dump())
    moto12h.clear_fault()
    c.stop("reload-remove")


def case_watchdog_self(tap, binary, wd, moto12h):
    """WATCHDOG_PID set to the daemon's own pid (sh exports $$, then execs)."""
    c = Case(tap, binary, wd, moto12h, "watchdog-self", 32, refresh=FAST,
             extra_env={"WATCHDOG_USEC": "600000"})
    c.daemon.wrapper = ["/bin/sh", "-c", 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$0" "$@"'
                        ] + c.daemon.wrapper
    c.start()
    c.notify.wait_for(lambda m: m.has("READY", "1"), 10)
    time.sleep(2.0)
    iv = c.notify.watchdog_intervals()
    tap.ok(len(iv) >= 4 and all(0.2 <= x <= 0.5 for x in iv),
           "watchdog-self: WATCHDOG_PID = own pid: pings every 0.3 s: %s"
           % [round(x, 3) for x in iv], c.notify.dump())
    c.stop("watchdog-self")


def case_reload_storm(tap, binary, wd, moto12h):
    """15 SIGHUPs 20 ms apart while fetches are held: every RELOADING gets its READY,
    the daemon ends up serving, exits cleanly."""
    c = Case(tap, binary, wd, moto12h, "reload-storm", 33, refresh=FAST)
    moto12h.fault("delay", count=3, delay=0.5, match=c.ak)
    c.start()
    c.notify.wait_for(lambda m: m.has("READY", "1"), 10)
    for _ in range(15):
        c.bg.send(signal.SIGHUP)
        time.sleep(0.02)
    tap.ok(tb.wait_until(lambda: sink_auth(c.sink) == TOKEN, 8),
           "reload-storm: the sink gets its token", c.diag())
    time.sleep(0.5)
    seq = c.notify.sequence()
    n_rel, n_ready = seq.count("RELOADING"), seq.count("READY")
    tap.ok(n_rel >= 1 and n_ready == n_rel + 1,
           "reload-storm: every RELOADING=1 answered by READY=1 (%d, %d)" % (n_rel, n_ready),
           c.notify.dump())
    others = [k for k in seq if k != "STATUS"]
    tap.ok(seq and seq[-1] == "STATUS" and others[-1:] == ["READY"],
           "reload-storm: ends serving (READY, then STATUS)", " ".join(seq[-8:]))
    tap.diag("reload-storm: %d reloads, %d token requests" % (n_rel, len(c.requests())))
    c.stop("reload-storm")


def case_watchdog_pid(tap, binary, wd, moto12h):
    c = Case(tap, binary, wd, moto12h, "watchdog-pid", 22, refresh=FAST,
             extra_env={"WATCHDOG_USEC": "400000", "WATCHDOG_PID": "1"})
    c.notify.close()
    c.notify = NotifySocket(abstract=True)
    c.env.update(c.notify.env())
    c.start()
    ready = c.notify.wait_for(lambda m: m.has("READY", "1"), 10)
    tap.ok(ready is not None, "abstract socket: READY=1 received on %s" % c.notify.address,
           c.diag())
    time.sleep(2.0)
    tap.eq(len(c.notify.watchdog_times()), 0,
           "watchdog-pid: no WATCHDOG=1 when WATCHDOG_PID names another process",
           c.notify.dump())
    c.stop("watchdog-pid")


def case_sigterm_inflight(tap, binary, wd, moto12h):
    c = Case(tap, binary, wd, moto12h, "sigterm", 23, refresh=FAST)
    moto12h.fault("delay", count=1, delay=5.0, match=c.ak)
    c.start()
    got = tb.wait_until(lambda: c.requests(), 10)
    tap.ok(got, "sigterm: the first request reached moto (held 5 s)", c.diag())
    time.sleep(0.3)
    tap.ok("status" not in (got or [{}])[0], "sigterm: still in flight when signalled")
    r = c.stop("sigterm in flight")
    d = os.path.dirname(c.sink)
    left = os.listdir(d) if os.path.isdir(d) else []
    tap.eq(left, [], "sigterm: no sink file and no temp file left (%s)" % d)
    # Stays stopped: the held answer arriving later changes nothing.
    time.sleep(0.2)
    tap.ok(r is not None and r.secs < 5, "sigterm: exited before the held answer (%.2fs)"
           % (r.secs if r else -1))

    c2 = Case(tap, binary, wd, moto12h, "sigint", 26, refresh=FAST)
    c2.start()
    tb.wait_until(lambda: sink_auth(c2.sink) == TOKEN, 5)
    n0 = c2.notify.count()
    t0 = time.monotonic()
    c2.bg.send(signal.SIGINT)
    r2 = c2.bg.wait(5)
    tap.eq(r2.rc, 0, "sigint: exit 0", r2.diag())
    tap.ok(time.monotonic() - t0 < 3, "sigint: exits promptly")
    tap.ok(c2.notify.wait_for(lambda m: m.has("STOPPING", "1"), 1, since=n0) is not None,
           "sigint: STOPPING=1 sent")
    tap.ok(dc.LEAK not in r2.err, "sigint: no handles left open", r2.diag())
    c2.notify.close()


def faketime_env(rc_file, binary):
    e = {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME_TIMESTAMP_FILE": rc_file,
         "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    if tb.sanitized(binary):
        # ASan insists on coming first in the library list; libfaketime is preloaded.
        e["ASAN_OPTIONS"] = "verify_asan_link_order=0"
    return e


def case_clock_jump(tap, binary, wd, moto12h):
    if not os.path.exists(FAKETIME_LIB):
        if os.environ.get("CI", "").lower() == "true":
            tap.ok(False, "clock-jump: libfaketime installed (%s)" % FAKETIME_LIB)
        else:
            tap.skip("clock-jump", "libfaketime not installed (apt-get install libfaketime)")
        return
    # 1. Does libfaketime reach this binary's clock?  One --once run at +7 h:
    #    the request's X-Amz-Date must be 7 h ahead.
    rc_file = os.path.join(wd, "faketime-once.rc")
    tb.write_file(rc_file, "+7h\n")
    probe = tb.Daemon(binary, os.path.join(wd, "faketime-probe"))
    ak = tb.case_access_key(27)
    env = tb.aws_env(os.path.join(wd, "faketime-probe", "docker"), ak=ak, endpoint=moto12h.url)
    env.update(faketime_env(rc_file, binary))
    r = probe.run(["--once"], env=env)
    reqs = tb.token_log(moto12h, ak)
    off = (amz_epoch(reqs[-1]) - reqs[-1]["time"]) if reqs and amz_epoch(reqs[-1]) else None
    works = r.rc == 0 and off is not None and abs(off - 7 * 3600) < 60
    tap.ok(works, "clock-jump: libfaketime fakes this binary's wall clock (offset %s s)"
           % (round(off) if off is not None else None), r.diag())
    if not works:
        return

    # 2. The daemon, 12 h token, next refresh ~6 h away; WATCHDOG_USEC=1 s wakes it
    #    every 0.5 s.  Then the wall clock jumps 7 h ahead.
    rc_file = os.path.join(wd, "faketime.rc")
    tb.write_file(rc_file, "+0\n")
    extra = faketime_env(rc_file, binary)
    extra["WATCHDOG_USEC"] = "1000000"
    c = Case(tap, binary, wd, moto12h, "clock-jump", 24, refresh=FAST, extra_env=extra)
    c.start()
    tap.ok(tb.wait_until(lambda: sink_auth(c.sink) == TOKEN, 10),
           "clock-jump: first token written", c.diag())
    time.sleep(2.0)
    tap.eq(len(c.requests()), 1, "clock-jump: no refresh due before the jump")
    last = [s for _, s in c.notify.statuses() if s]
    tap.ok(last and last[-1]["next_s"] is not None and last[-1]["next_s"] > 5 * 3600,
           "clock-jump: STATUS says the next refresh is hours away (%s)"
           % (last[-1]["next"] if last else None))
    n0 = c.notify.count()
    tb.write_file(rc_file, "+7h\n")
    t_jump = time.monotonic()
    reqs = c.wait_requests(2, 6)
    took = time.monotonic() - t_jump
    tap.ok(len(reqs) >= 2, "clock-jump: refreshed after the +7 h jump (%.1f s)" % took,
           c.diag())
    if len(reqs) >= 2:
        tap.ok(took < 4, "clock-jump: within a few seconds (%.1f s)" % took)
        o = amz_epoch(reqs[1]) - reqs[1]["time"] if amz_epoch(reqs[1]) else 0
        tap.ok(abs(o - 7 * 3600) < 60, "clock-jump: the refresh was signed at the new time")
        time.sleep(2.0)
        tap.ok(len(c.requests()) <= 3, "clock-jump: no refresh storm after the jump (%d)"
               % len(c.requests()))
        st = c.notify.wait_for(lambda m: (m.status() or {}).get("fresh") == 1, 2, since=n0)
        tap.ok(st is not None, "clock-jump: STATUS updated after the jump", c.notify.dump(n0))
    c.stop("clock-jump")


def case_check(tap, binary, wd, moto12h):
    d = os.path.join(wd, "check")
    os.makedirs(d)
    s1 = os.path.join(d, "a", "config.json")
    s2 = os.path.join(d, "b", "config.json")
    cfg = tb.write_daemon_config(os.path.join(d, "config.json"), [s1, s2], registries=[
        {"region": "us-east-1"},
        {"region": "eu-west-1", "registry_ids": ["111111111111", "222222222222"]}])
    daemon = tb.Daemon(binary, os.path.join(d, "home"))
    ak = tb.case_access_key(25)
    env = tb.aws_env(os.path.join(d, "unused"), ak=ak, endpoint=moto12h.url)
    r = daemon.run(["--check", "--config", cfg], env=env)
    text = r.out + r.err
    tap.eq(r.rc, 0, "check: exit 0", r.diag())
    tap.ok(ak in text, "check: names the access key id", r.diag())
    tap.ok("environment" in text.lower() or "env" in text.lower(),
           "check: names the credential provider (environment)", r.diag())
    for region in ("us-east-1", "eu-west-1"):
        tap.ok(region in text, "check: names region %s" % region, r.diag())
    for s in (s1, s2):
        tap.ok(s in text, "check: lists sink %s" % s, r.diag())
    tap.ok(not os.path.exists(os.path.dirname(s1)) and not os.path.exists(os.path.dirname(s2)),
           "check: writes nothing", r.diag())
    tap.eq(len(tb.token_log(moto12h, ak)), 0, "check: fetches no token")
    # No credentials anywhere: non-zero, with a reason.
    env = tb.aws_env(os.path.join(d, "unused"), endpoint=moto12h.url,
                     AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                     AWS_CONFIG_FILE=os.path.join(d, "none"),
                     AWS_SHARED_CREDENTIALS_FILE=os.path.join(d, "none"))
    r = daemon.run(["--check", "--config", cfg], env=env, timeout=30)
    tap.ok(r.rc not in (0, "timeout"), "check, no credentials: non-zero exit", r.diag())
    tap.ok("credential" in (r.out + r.err).lower(), "check, no credentials: says why",
           r.diag())
    # Invalid config: exit 2 naming the file.
    bad = os.path.join(d, "bad.json")
    tb.write_file(bad, '{"registries": 5}')
    r = daemon.run(["--check", "--config", bad], env=tb.aws_env(os.path.join(d, "u"), ak=ak))
    tap.eq(r.rc, 2, "check, invalid config: exit 2", r.diag())
    tap.ok(bad in r.err, "check, invalid config: names the file", r.diag())
    return daemon


def main():
    tap, binary = tb.start(modules=("moto",))
    with tb.workdir() as wd:
        moto12h = tb.Moto(wd, expires_in=43200)
        extra = []
        try:
            case_sequence_reload(tap, binary, wd, moto12h)
            case_reload_outage(tap, binary, wd, moto12h)
            moto12h.clear_fault()
            case_watchdog_pid(tap, binary, wd, moto12h)
            case_watchdog_self(tap, binary, wd, moto12h)
            case_reload_inflight(tap, binary, wd, moto12h)
            moto12h.clear_fault()
            case_reload_remove(tap, binary, wd, moto12h)
            moto12h.clear_fault()
            case_reload_storm(tap, binary, wd, moto12h)
            moto12h.clear_fault()
            case_sigterm_inflight(tap, binary, wd, moto12h)
            moto12h.clear_fault()
            case_clock_jump(tap, binary, wd, moto12h)
            extra.append(case_check(tap, binary, wd, moto12h))
        finally:
            results = []
            for c in dc.CASES:
                if c.bg is not None and c.bg.result is None:
                    c.bg.stop()
                results += c.daemon.results
            for dm in extra:
                results += dm.results
            tb.check_no_secrets(tap, results, {"secret key": tb.EXAMPLE_SK, "token": TOKEN,
                                               "password": tb.password_for(dc.ACCT)},
                                "the daemon's output")
            moto12h.stop()
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
