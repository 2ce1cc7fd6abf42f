#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Run: sudo tests/bench/bench_once.sh build/daemon/ecr-credd   (root: creates a network namespace)
"""Benchmark `ecr-credd --once` against its baselines, in one run.

Inside a private netns (no routes; /etc/hosts maps api.ecr.us-east-1.amazonaws.com
to 127.0.0.2, where socat terminates TLS with a throw-away CA in front of moto
with realistic expiresAt), hyperfine times four commands doing the same
GetAuthorizationToken over TLS with the default endpoint + AWS_CA_BUNDLE:
  ecr-credd --once (zero-config, DOCKER_CONFIG in a tmp dir)
  curl --aws-sigv4 (one signed request)
  aws ecr get-login-password (the real awscli entry point, not the pyenv shim)
  docker-credential-ecr-login get (AWS_ECR_DISABLE_CACHE=1)
then measures peak RSS of each with GNU time -f %M (or wait4) and prints a
table plus the ratios the design sets: ecr-credd/curl <= 1.5, aws/ecr-credd >= 20.
Not a test: exit 0 unless --strict and a target is missed, or a command fails.
"""

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import testbed as tb  # noqa: E402

AK = "AKIAIOSFODNN7EXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
API = "api.ecr.%s.amazonaws.com" % REGION
ACCT = tb.DEFAULT_ACCOUNT
REG_HOST = tb.ecr_host(ACCT, REGION)


def aws_cli_command():
    """The real awscli entry point for the python that has awscli installed."""
    exe = sys.executable
    cand = os.path.join(os.path.dirname(exe), "aws")
    if os.path.isfile(cand) and os.access(cand, os.X_OK):
        with open(cand, "rb") as f:
            head = f.read(200)
        if b"pyenv" not in head:  # a script, not a shim
            return [cand]
    return [exe, "-m", "awscli"]


def peak_rss_kib(ns, cmd, env, stdin_path=None, runs=20):
    """Peak RSS (KiB) of cmd, measured runs times; returns a list."""
    out = []
    gnu_time = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
    for _ in range(runs):
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        try:
            if gnu_time:
                with tempfile.NamedTemporaryFile("r", suffix=".rss") as tf:
                    p = subprocess.run(ns.prefix() + [gnu_time, "-f", "%M", "-o", tf.name] + cmd,
                                       env=env, stdin=stdin, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
                    val = tf.read().strip().splitlines()
                    if p.returncode != 0 or not val:
                        raise RuntimeError("rss run failed: %s (rc=%d)" % (cmd, p.returncode))
                    out.append(int(val[-1]))
            else:
                # `ip netns exec` execs the command, so wait4 sees its rusage.
                p = subprocess.Popen(ns.prefix() + cmd, env=env, stdin=stdin,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                _, status, ru = os.wait4(p.pid, 0)
                p.returncode = os.waitstatus_to_exitcode(status)
                if p.returncode != 0:
                    raise RuntimeError("rss run failed: %s (rc=%d)" % (cmd, p.returncode))
                out.append(ru.ru_maxrss)
        finally:
            if stdin_path:
                stdin.close()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary", help="path to ecr-credd")
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rss-runs", type=int, default=20)
    ap.add_argument("--out", default=os.path.join(HERE, "out", time.strftime("%Y%m%dT%H%M%S")))
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    if args.runs < 30:
        sys.exit("bench: --runs must be at least 30")
    missing = [t for t in ("ip", "socat", "openssl", "hyperfine", "curl",
                           "docker-credential-ecr-login") if shutil.which(t) is None]
    try:
        import awscli  # noqa: F401
        import moto  # noqa: F401
    except ImportError as e:
        missing.append("python module %s (run with the python that has moto+awscli)" % e.name)
    if os.geteuid() != 0:
        missing.append("root")
    if not os.access(binary, os.X_OK):
        missing.append("binary " + binary)
    if missing:
        sys.exit("bench: missing: " + ", ".join(missing))
    os.makedirs(args.out, exist_ok=True)

    wd = tempfile.mkdtemp(prefix="ecd-bench-")
    try:
        pk = tb.make_pki(os.path.join(wd, "pki"))
        with tb.Netns({API: "127.0.0.2", "sts.%s.amazonaws.com" % REGION: "127.0.0.2",
                       REG_HOST: "127.0.1.1"}) as ns:
            moto = tb.Moto(wd, netns=ns, expires_in=43200)
            tls = tb.TlsTerminator(pk["pem"], moto.port, wd, bind="127.0.0.2", port=443, netns=ns)
            home = os.path.join(wd, "home")
            dc = os.path.join(wd, "docker")
            os.makedirs(home)
            hostfile = os.path.join(wd, "host.txt")
            with open(hostfile, "w") as f:
                f.write(REG_HOST + "\n")
            env = {"PATH": tb.CLEAN_PATH, "HOME": home, "LC_ALL": "C",
                   "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": AK,
                   "AWS_SECRET_ACCESS_KEY": SK, "AWS_REGION": REGION,
                   "AWS_DEFAULT_REGION": REGION, "AWS_CA_BUNDLE": pk["ca"],
                   "AWS_ECR_DISABLE_CACHE": "1", "DOCKER_CONFIG": dc,
                   "AWS_CONFIG_FILE": os.path.join(home, "none"),
                   "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "none")}
            curl = ["curl", "-sS", "--fail", "-o", "/dev/null", "--cacert", pk["ca"],
                    "--aws-sigv4", "aws:amz:%s:ecr" % REGION, "--user", "%s:%s" % (AK, SK),
                    "-H", "Content-Type: application/x-amz-json-1.1",
                    "-H", "X-Amz-Target: " + tb.ECR_TOKEN_TARGET, "-d", "{}",
                    "https://%s/" % API]
            aws = aws_cli_command() + ["ecr", "get-login-password"]
            helper = [shutil.which("docker-credential-ecr-login"), "get"]
            cmds = [
                ("ecr-credd --once", [binary, "--once"], None),
                ("curl --aws-sigv4", curl, None),
                ("aws ecr get-login-password", aws, None),
                ("docker-credential-ecr-login get", helper, hostfile),
            ]

            # Every command must work once before it is timed.
            for name, cmd, stdin_path in cmds:
                stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
                p = subprocess.run(ns.prefix() + cmd, env=env, stdin=stdin,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
                if stdin_path:
                    stdin.close()
                if p.returncode != 0:
                    sys.exit("bench: %s failed (rc=%d): %s" % (name, p.returncode,
                                                                p.stderr.decode()[-800:]))
            cfg = tb.read_json(os.path.join(dc, "config.json"))
            if (cfg.get("auths") or {}).get(REG_HOST, {}).get("auth") != tb.token_for(ACCT):
                sys.exit("bench: ecr-credd did not write the expected entry: %r" % cfg)
            moto.clear_log()

            hjson = os.path.join(args.out, "hyperfine.json")
            hcmd = ["hyperfine", "--warmup", str(args.warmup), "--runs", str(args.runs),
                    "--style", "basic", "--export-json", hjson]
            for name, cmd, stdin_path in cmds:
                line = " ".join(shlex.quote(c) for c in cmd)
                if stdin_path:
                    line += " < " + shlex.quote(stdin_path)
                hcmd += ["-n", name, line]
            sys.stdout.write("== hyperfine (inside netns %s)\n" % ns.name)
            sys.stdout.flush()
            p = subprocess.run(ns.prefix() + hcmd, env=env)
            if p.returncode != 0:
                sys.exit("bench: hyperfine failed (rc=%d)" % p.returncode)
            with open(hjson) as f:
                results = {r["command"]: r for r in json.load(f)["results"]}
            requests = len(moto.token_requests(clear=True))

            sys.stdout.write("== peak RSS (%d runs each, %s)\n" % (
                args.rss_runs, "GNU time -f %M" if os.access("/usr/bin/time", os.X_OK)
                else "wait4"))
            rss = {}
            for name, cmd, stdin_path in cmds:
                rss[name] = peak_rss_kib(ns, cmd, env, stdin_path, args.rss_runs)

            rows = []
            for name, _cmd, _s in cmds:
                r = results[name]
                rows.append((name, statistics.median(r["times"]) * 1000, r["mean"] * 1000,
                             (r["stddev"] or 0) * 1000, min(r["times"]) * 1000,
                             statistics.median(rss[name]), min(rss[name]), max(rss[name])))
            hdr = ("| command | median ms | mean ± sd ms | min ms | median max RSS | RSS range KiB |\n"
                   "|---|---|---|---|---|---|\n")
            table = hdr + "".join(
                "| %s | %.1f | %.1f ± %.1f | %.1f | %.1f MiB (%d KiB) | %d–%d |\n"
                % (n, med, mean, sd, mn, rs / 1024.0, rs, lo, hi)
                for n, med, mean, sd, mn, rs, lo, hi in rows)
            med = {n: m for n, m, *_ in rows}
            r_curl = med["ecr-credd --once"] / med["curl --aws-sigv4"]
            r_aws = med["aws ecr get-login-password"] / med["ecr-credd --once"]
            r_helper = med["ecr-credd --once"] / med["docker-credential-ecr-login get"]
            rss_med = {n: rs for n, _a, _b, _c, _d, rs, _e, _f in rows}
            verdict = lambda ok: "met" if ok else "MISSED"  # noqa: E731
            summary = (
                "\nratios (medians, same run):\n"
                "  ecr-credd / curl        = %.2f   (target <= 1.5: %s)\n"
                "  aws / ecr-credd         = %.1f   (target >= 20: %s)\n"
                "  ecr-credd / ecr-login   = %.2f   (information)\n"
                "  RSS ecr-credd / curl    = %.2f   (information)\n"
                "server saw %d GetAuthorizationToken requests during hyperfine\n"
                % (r_curl, verdict(r_curl <= 1.5), r_aws, verdict(r_aws >= 20), r_helper,
                   rss_med["ecr-credd --once"] / rss_med["curl --aws-sigv4"], requests))
            report = ("ecr-credd --once benchmark, %s, %d runs + %d warm-ups, %d vCPU\n\n"
                      % (time.strftime("%Y-%m-%d %H:%M:%S %Z"), args.runs, args.warmup,
                         os.cpu_count() or 0) + table + summary)
            sys.stdout.write("\n" + report)
            with open(os.path.join(args.out, "report.md"), "w") as f:
                f.write(report)
            with open(os.path.join(args.out, "rss.json"), "w") as f:
                json.dump(rss, f, indent=1)
            sys.stdout.write("results in %s\n" % args.out)
            tls.stop()
            moto.stop()
            missed = r_curl > 1.5 or r_aws < 20
    finally:
        tb.cleanup_all()
        shutil.rmtree(wd, ignore_errors=True)
    sys.exit(1 if (args.strict and missed) else 0)


if __name__ == "__main__":
    main()
