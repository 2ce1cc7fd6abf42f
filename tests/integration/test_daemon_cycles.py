#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Many refresh cycles: no leaks, no growth, a clean exit.

moto answers with its own expiresAt (2015, already past), so the daemon
refreshes every retry_min (50 ms): each cycle is a signed request, a parsed
answer and a sink update.  Two modes, chosen by the environment:
  plain     (no ECD_TEST_WRAPPER) 1,000 cycles; VmRSS / Pss_Anon after 100
            cycles and after 1,000 must not grow by more than a small slack
  valgrind  (ECD_TEST_WRAPPER starts with valgrind, see meson.build) 300
            cycles under valgrind --leak-check=full --error-exitcode=99, then
            SIGTERM: exit 0 means no memory error and no leak of any kind
Under valgrind three reloads (valid, invalid, valid) run in the middle.  Both
end with SIGTERM while a request is in flight (moto holds it): exit 0,
STOPPING=1, no handles left open.
With --tls the daemon talks HTTPS (socat in front of moto, a throw-away CA in
AWS_CA_BUNDLE), so OpenSSL's allocations are checked too.
Usage: test_daemon_cycles.py /path/to/ecr-credd [--tls]
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import daemoncase as dc  # noqa: E402
import testbed as tb  # noqa: E402

REFRESH = {"jitter": "0s", "retry_min": "50ms", "retry_max": "200ms"}
RSS_SLACK_KB = 256


class Counter:
    """Counts the daemon's token requests; clears moto's log as it goes."""

    def __init__(self, moto, ak):
        self.moto, self.ak, self.n, self.ok = moto, ak, 0, 0

    def update(self):
        for e in self.moto.log(clear=True):
            if e.get("X-Amz-Target") == tb.ECR_TOKEN_TARGET and \
                    ("Credential=%s/" % self.ak) in e.get("Authorization", ""):
                self.n += 1
                if e.get("status") == 200:
                    self.ok += 1
        return self.n

    def wait(self, n, timeout, alive):
        deadline = time.monotonic() + timeout
        while self.update() < n and time.monotonic() < deadline and alive():
            time.sleep(0.25)
        return self.n


def main():
    tls_mode = "--tls" in sys.argv[2:]
    if tls_mode:
        sys.argv.remove("--tls")
    tap, binary = tb.start(modules=("moto",), tools=("socat", "openssl") if tls_mode else ())
    wrapper = os.environ.get("ECD_TEST_WRAPPER", "")
    valgrind = wrapper.split()[:1] == ["valgrind"]
    target = 300 if valgrind else 1000
    budget = 100 if valgrind else 90  # seconds
    with tb.workdir() as wd:
        moto = tb.Moto(wd, expires_in=0)
        c = dc.Case(tap, binary, wd, moto, "cycles", 31, refresh=REFRESH)
        tls = None
        if tls_mode:
            # HTTPS through socat with a throw-away CA: OpenSSL's allocations too.
            pk = tb.make_pki(os.path.join(wd, "pki"))
            tls = tb.TlsTerminator(pk["pem"], moto.port, wd)
            c.env["AWS_ENDPOINT_URL_ECR"] = "https://127.0.0.1:%d" % tls.port
            c.env["AWS_CA_BUNDLE"] = pk["ca"]
            tap.diag("over HTTPS (socat on port %d)" % tls.port)
        try:
            c.start()
            cnt = Counter(moto, c.ak)
            ready = c.notify.wait_for(lambda m: m.has("READY", "1"), 60 if valgrind else 10)
            tap.ok(ready is not None, "READY=1", c.diag())
            samples = {}
            t0 = time.monotonic()
            if not valgrind:
                cnt.wait(100, 30, c.bg.alive)
                samples[cnt.n] = (tb.proc_status(c.bg.pid, "VmRSS"),
                                  tb.smaps_rollup(c.bg.pid).get("Pss_Anon"))
            if valgrind:
                # The reload paths under valgrind too: a valid new config (a second
                # sink), an invalid one, and the first one back.
                cnt.wait(target // 3, budget / 2, c.bg.alive)
                sink2 = os.path.join(c.dir, "docker2", "config.json")
                for text in (None, '{"sinks": [', "restore"):
                    if text is None:
                        tb.write_daemon_config(c.config, [c.sink, sink2], refresh=REFRESH)
                    elif text == "restore":
                        tb.write_daemon_config(c.config, [c.sink], refresh=REFRESH)
                    else:
                        tb.write_file(c.config, text)
                    nr = c.notify.count()
                    c.bg.send(signal.SIGHUP)
                    tap.ok(c.notify.wait_for(lambda m: m.has("READY", "1"), 20, since=nr),
                           "reload (%s) under valgrind: READY=1 again"
                           % ("valid" if text != '{"sinks": [' else "invalid"), c.diag())
                    time.sleep(0.5)
                tap.ok(dc.sink_auth(sink2) == dc.TOKEN, "reload under valgrind: new sink written")
            n = cnt.wait(target, budget, c.bg.alive)
            secs = time.monotonic() - t0
            if not valgrind and c.bg.alive():
                samples[n] = (tb.proc_status(c.bg.pid, "VmRSS"),
                              tb.smaps_rollup(c.bg.pid).get("Pss_Anon"))
            tap.diag("%d refresh cycles (%d answered 200) in %.1f s%s"
                     % (n, cnt.ok, secs, " under valgrind" if valgrind else ""))
            tap.ok(n >= target, "%d refresh cycles (want %d)" % (n, target), c.diag())
            sinks = c.bg.matching(r"sink docker-0: (updated|unchanged)")
            tap.ok(len(sinks) >= min(n, target) * 0.9,
                   "each cycle pushed to the sink (%d pushes)" % len(sinks), c.diag())
            if not valgrind and tb.sanitized(binary):
                tap.skip("VmRSS/Pss_Anon growth", "sanitizer build: quarantine and shadow "
                         "memory make RSS meaningless (its leak check runs at exit)")
            elif not valgrind and len(samples) == 2:
                (n1, (rss1, pss1)), (n2, (rss2, pss2)) = sorted(samples.items())
                tap.diag("VmRSS %d kB after %d cycles, %d kB after %d; Pss_Anon %s -> %s kB"
                         % (rss1, n1, rss2, n2, pss1, pss2))
                tap.ok(rss2 - rss1 <= RSS_SLACK_KB, "VmRSS grew %d kB from cycle %d to %d "
                       "(at most %d)" % (rss2 - rss1, n1, n2, RSS_SLACK_KB))
                if pss1 is not None and pss2 is not None:
                    tap.ok(pss2 - pss1 <= RSS_SLACK_KB, "Pss_Anon grew %d kB (at most %d)"
                           % (pss2 - pss1, RSS_SLACK_KB))
            # Stop while a request is in flight (moto holds it 3 s): the cancel path.
            moto.fault("delay", count=1, delay=3.0, match=c.ak)
            held = tb.wait_until(lambda: [e for e in moto.log() if e.get("fault") == "delay"],
                                 10, 0.05)
            tap.ok(held, "a request is in flight when SIGTERM comes")
            r = c.bg.stop(timeout=60 if valgrind else 10)
            tap.eq(r.rc, 0, "SIGTERM: exit 0%s" % (
                " (valgrind: no memory error, no leak)" if valgrind else ""), r.diag()[-6000:])
            tap.ok(c.notify.wait_for(lambda m: m.has("STOPPING", "1"), 1) is not None,
                   "STOPPING=1 sent")
            tap.ok(dc.LEAK not in r.err, "no handles left open at exit")
            tap.ok(not [l for l in r.err.splitlines() if l.startswith("==")],
                   "no valgrind report", r.err[-4000:])
            tb.check_no_secrets(tap, c.daemon.results, {
                "secret key": tb.EXAMPLE_SK, "token": dc.TOKEN,
                "password": tb.password_for(dc.ACCT)}, "the daemon's output")
        finally:
            if c.bg is not None and c.bg.result is None:
                c.bg.stop()
            c.notify.close()
            if tls is not None:
                tls.stop()
            moto.stop()
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
