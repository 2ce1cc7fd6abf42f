#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Bad input and AWS failures: exit codes, one clear error line, no secrets.

Covers the command line (--help, --version, unknown flags), missing or partial
credentials, unknown profiles, malformed and unknown config, an unreachable
endpoint, and AWS error responses injected by the moto wrapper (/_fault).
At the end every stdout/stderr of every run is scanned for secrets.
Usage: test_bad_input.py /path/to/ecr-credd
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed as tb  # noqa: E402

AK, SK = tb.EXAMPLE_AK, tb.EXAMPLE_SK
ST = "FQoGZXIvYXdzEBYaDSessionTokenForBadInputTests0123456789abcdef"
ACCT, HOST = tb.DEFAULT_ACCOUNT, tb.DEFAULT_HOST


def main():
    tap, binary = tb.start(modules=("moto",))

    with tb.workdir() as wd:
        moto = tb.Moto(wd)
        daemon = tb.Daemon(binary, os.path.join(wd, "home"))
        fresh_dir = tb.dir_maker(wd)

        def env(dc=None, **kw):
            return tb.aws_env(dc or fresh_dir(), endpoint=moto.url, **kw)

        def one_error(r, what, *needles, rc=None):
            """Exactly one 'ecr-credd: error:' line, containing every needle."""
            return tb.check_error(tap, r, what, needles, rc=rc)

        # --- command line -------------------------------------------------
        r = daemon.run(args=["--help"], env={})
        tap.eq(r.rc, 0, "--help: exit 0", r.diag())
        tap.ok("--once" in r.out and "--config" in r.out, "--help: usage on stdout lists "
               "--once and --config", r.diag())
        r = daemon.run(args=["--version"], env={})
        tap.eq(r.rc, 0, "--version: exit 0", r.diag())
        tap.ok(re.search(r"\d+\.\d+\.\d+", r.out) is not None, "--version: prints a version",
               r.diag())
        r = daemon.run(args=["--once", "--no-such-flag"], env=env())
        one_error(r, "unknown flag", "--no-such-flag", rc=2)
        r = daemon.run(args=["--once", "--log-level", "loud"], env=env())
        one_error(r, "bad --log-level", "loud", rc=2)
        r = daemon.run(args=["--once", "--config"], env=env())
        one_error(r, "--config without a value", "--config", rc=2)
        r = daemon.run(args=["--once", "--config", os.path.join(wd, "missing.json")], env=env())
        one_error(r, "missing config file", os.path.join(wd, "missing.json"), rc=2)
        tap.eq(len(moto.token_requests(clear=True)), 0, "command line errors: no request sent")

        # --- credentials --------------------------------------------------
        dc = fresh_dir()
        r = daemon.run(env=env(dc, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None))
        one_error(r, "no credentials", re.compile(r"(?i)credential"), rc=(1, 2))
        tap.ok(not os.path.exists(os.path.join(dc, "config.json")),
               "no credentials: config.json not created")
        tap.eq(len(moto.token_requests(clear=True)), 0, "no credentials: no request sent")

        r = daemon.run(env=env(AWS_SECRET_ACCESS_KEY=None))
        one_error(r, "AWS_ACCESS_KEY_ID without secret", re.compile(r"(?i)credential|secret"),
                  rc=(1, 2))
        r = daemon.run(env=env(AWS_ACCESS_KEY_ID=None))
        one_error(r, "AWS_SECRET_ACCESS_KEY without key id",
                  re.compile(r"(?i)credential|access.key"), rc=(1, 2))
        r = daemon.run(env=env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                               AWS_SESSION_TOKEN=ST))
        one_error(r, "session token alone", re.compile(r"(?i)credential"), rc=(1, 2))
        tap.eq(len(moto.token_requests(clear=True)), 0, "partial credentials: no request sent")

        tb.write_file(os.path.join(daemon.home, ".aws", "config"),
                      "[default]\nregion = us-east-1\n[profile real]\nregion = us-east-1\n")
        tb.write_file(os.path.join(daemon.home, ".aws", "credentials"),
                      "[real]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (AK, SK),
                      0o600)
        r = daemon.run(env=env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                               AWS_PROFILE="nope"))
        one_error(r, "AWS_PROFILE=nope", "nope", rc=(1, 2))
        r = daemon.run(env=env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                               AWS_PROFILE="real"))
        tap.eq(r.rc, 0, "AWS_PROFILE=real (control): exit 0", r.diag())

        r = daemon.run(env=env(AWS_REGION=None, AWS_DEFAULT_REGION=None,
                               AWS_CONFIG_FILE=os.path.join(wd, "none")))
        one_error(r, "no region anywhere", re.compile(r"(?i)region"), rc=(1, 2))
        moto.clear_log()

        # --- config files -------------------------------------------------
        def cfg_case(label, text, *needles):
            p = os.path.join(wd, "cfg-%s.json" % re.sub(r"\W+", "-", label))
            tb.write_file(p, text)
            r = daemon.run(args=["--once", "--config", p], env=env())
            one_error(r, "config " + label, p, *needles, rc=2)

        cfg_case("syntax error", '{"registries": [ {"region": "us-east-1"} ,, ]}')
        cfg_case("empty file", "")
        cfg_case("not an object", '["registries"]')
        cfg_case("region wrong type", '{"registries": [{"region": 5}]}',
                 re.compile(r"registries(\[0\]|/0|\.0)(\.|/)region"))
        cfg_case("registry_ids wrong type",
                 '{"registries": [{"region": "us-east-1", "registry_ids": "123456789012"}]}',
                 re.compile(r"registries(\[0\]|/0|\.0)(\.|/)registry_ids"))
        cfg_case("unknown top-level key", '{"registries": [{"region": "us-east-1"}], "bogus": 1}',
                 "bogus")
        cfg_case("unknown registry key",
                 '{"registries": [{"region": "us-east-1", "regoin": "x"}]}', "regoin")
        cfg_case("unknown sink type",
                 '{"registries": [{"region": "us-east-1"}], "sinks": [{"type": "ftp"}]}',
                 "ftp")
        cfg_case("docker sink path wrong type",
                 '{"registries": [{"region": "us-east-1"}], "sinks": [{"type": "docker", '
                 '"path": 5}]}', re.compile(r"sinks(\[0\]|/0|\.0)(\.|/)path"))
        cfg_case("registries not an array", '{"registries": {"region": "us-east-1"}}',
                 "registries")
        tap.eq(len(moto.token_requests(clear=True)), 0, "config errors: no request sent")

        # --- endpoint ---------------------------------------------------
        port = tb.free_port()
        url = "http://127.0.0.1:%d" % port
        dc = fresh_dir()
        r = daemon.run(env=env(dc, AWS_ENDPOINT_URL_ECR=url), timeout=60)
        one_error(r, "closed port", "127.0.0.1:%d" % port, rc=1)
        tap.ok(r.secs < 30, "closed port: gives up in under 30 s (%.1fs)" % r.secs)
        tap.ok(not os.path.exists(os.path.join(dc, "config.json")),
               "closed port: config.json not created")
        r = daemon.run(env=env(AWS_ENDPOINT_URL_ECR="not a url"))
        one_error(r, "malformed endpoint URL", "not a url", rc=(1, 2))

        # --- AWS errors via faults ------------------------------------------
        def fault_case(mode, needle, count=100, rc=1, **kw):
            moto.clear_log()
            moto.fault(mode, count=count, **kw)
            dc = fresh_dir()
            p = os.path.join(dc, "config.json")
            before = json.dumps({"auths": {HOST: {"auth": "b2xkOm9sZA=="}}}).encode()
            tb.write_file(p, before, 0o600)
            r = daemon.run(env=env(dc), timeout=60)
            moto.clear_fault()
            what = "fault %s%s" % (mode, " (namespaced)" if kw.get("namespaced") else "")
            one_error(r, what, *([needle] if needle else []), rc=rc)
            with open(p, "rb") as f:
                tap.ok(f.read() == before, what + ": existing config.json unchanged")
            return r

        fault_case("access_denied", "AccessDeniedException")
        fault_case("access_denied", "AccessDeniedException", namespaced=True)
        fault_case("expired_token", "ExpiredTokenException")
        fault_case("unrecognized_client", "UnrecognizedClientException")
        fault_case("invalid_signature", "InvalidSignatureException")
        r = fault_case("throttle", "ThrottlingException")
        reqs = moto.token_requests(clear=True)
        tap.ok(1 <= len(reqs) <= 10, "throttle beyond retries: %d attempts (1..10)" % len(reqs))
        fault_case("server_error", re.compile(r"ServerException|500"))
        fault_case("unavailable", re.compile(r"ServiceUnavailable|503"))
        fault_case("garbage", re.compile(r"(?i)json|pars|invalid|malformed|response"))
        fault_case("drop", re.compile(r"(?i)empty|closed|reset|recv|connection|server|disconnect"))
        moto.clear_log()

        # Two registries in two regions (so two requests), one refused: exit 3
        # (partial); the refused registry's old entry is kept, the other one is
        # refreshed.  Both refused: exit 1.
        good_id, good_region = "111111111111", "eu-west-1"
        bad_id, bad_region = "999999999999", "us-west-2"
        dc = fresh_dir()
        p = os.path.join(dc, "config.json")
        old_bad = {"auth": "b2xkOm9sZA=="}
        tb.write_file(p, json.dumps({"auths": {tb.ecr_host(bad_id, bad_region): old_bad}}),
                      0o600)
        cfgp = os.path.join(wd, "two-registries.json")
        tb.write_file(cfgp, json.dumps({
            "registries": [{"region": good_region, "registry_ids": [good_id]},
                           {"region": bad_region, "registry_ids": [bad_id]}],
            "sinks": [{"type": "docker", "path": p}]}))
        moto.clear_log()
        moto.fault("access_denied", count=100, match="/%s/ecr/" % bad_region)
        r = daemon.run(args=["--once", "--config", cfgp], env=env(), timeout=60)
        moto.clear_fault()
        tap.eq(r.rc, 3, "one of two registries refused: exit 3 (partial)", r.diag())
        tap.ok(any("AccessDeniedException" in l for l in r.error_lines()),
               "one of two registries refused: error names AccessDeniedException", r.diag())
        auths = tb.read_json(p, default={}).get("auths", {})
        tap.eq(auths.get(tb.ecr_host(good_id, good_region), {}).get("auth"),
               tb.token_for(good_id), "one of two registries refused: the other is written")
        tap.eq(auths.get(tb.ecr_host(bad_id, bad_region)), old_bad,
               "one of two registries refused: its old entry is kept")
        moto.fault("access_denied", count=100)
        r = daemon.run(args=["--once", "--config", cfgp], env=env(), timeout=60)
        moto.clear_fault()
        tap.eq(r.rc, 1, "both registries refused: exit 1", r.diag())
        auths = tb.read_json(p, default={}).get("auths", {})
        tap.eq(auths.get(tb.ecr_host(bad_id, bad_region)), old_bad,
               "both registries refused: old entry still kept")
        moto.clear_log()

        # A single throttle / 503 is retried within --once (SDK-like retry).
        for mode in ("throttle", "unavailable"):
            moto.clear_log()
            moto.fault(mode, count=1)
            r = daemon.run(env=env())
            moto.clear_fault()
            tap.eq(r.rc, 0, "single %s is retried: exit 0" % mode, r.diag())
            tap.eq(len(moto.token_requests(clear=True)), 2,
                   "single %s is retried: 2 requests" % mode)

        # A slow server (2 s) is still within the request timeout.
        moto.fault("delay", count=1, delay=2)
        r = daemon.run(env=env(), timeout=60)
        tap.eq(r.rc, 0, "2 s server delay: exit 0", r.diag())

        # --- secrets --------------------------------------------------------
        secrets = {"secret key": SK, "session token": ST, "token": tb.token_for(ACCT),
                   "password": tb.password_for(ACCT), "stale token": "b2xkOm9sZA=="}
        tb.check_no_secrets(tap, daemon.results, secrets, "any stdout/stderr")
        bad_lines = []
        for res in daemon.results:
            for line in res.err.splitlines():
                if line.startswith("ecr-credd: error:") and len(line) > 400:
                    bad_lines.append(line[:200] + "...")
        tap.ok(not bad_lines, "error lines are short (<= 400 chars)", "\n".join(bad_lines))
        moto.stop()
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
