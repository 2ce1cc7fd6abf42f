#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Where the AWS region comes from, through the real binary (--once and --check).

The documented order: the registry's "region" in the config, AWS_REGION,
AWS_DEFAULT_REGION, the profile's region, then EC2 instance metadata
(placement/region, IMDSv2) for instance users who configured none.  Checks that
each place wins over the later ones (the metadata service must not even be
asked when an earlier place answers), that the metadata region is the one the
token is fetched for (its host lands in config.json), and that no region at all
is a clear, fast configuration error.  Usage: test_region.py /path/to/ecr-credd
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed as tb  # noqa: E402

ACCT = tb.DEFAULT_ACCOUNT


def main():
    tap, binary = tb.start(modules=("moto",))

    with tb.workdir() as wd:
        moto = tb.Moto(wd)
        imds = tb.Fixture("fake_imds.py", "--region", "eu-central-1")
        daemon = tb.Daemon(binary, os.path.join(wd, "home"))
        fresh_dir = tb.dir_maker(wd, create=True)
        aws = os.path.join(daemon.home, ".aws")
        os.makedirs(aws, exist_ok=True)

        def env(dc, **kw):
            base = {"AWS_REGION": None, "AWS_DEFAULT_REGION": None,
                    "AWS_EC2_METADATA_DISABLED": None,
                    "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url}
            base.update(kw)
            return tb.aws_env(dc, endpoint=moto.url, **base)

        def hosts(dc):
            try:
                return sorted(tb.read_json(os.path.join(dc, "config.json"))["auths"])
            except (OSError, ValueError, KeyError):
                return []

        def write_profile(text):
            with open(os.path.join(aws, "config"), "w") as f:
                f.write(text)

        # 1. Nothing configured: the instance's region, from IMDSv2.
        imds.log()
        dc = fresh_dir()
        r = daemon.run(env=env(dc))
        tb.check_exit(tap, r, 0, "no region configured: --once")
        tap.eq(hosts(dc), [tb.ecr_host(ACCT, "eu-central-1")],
               "the token is for the instance's region (placement/region)", r.diag())
        seen = [e["path"] for e in imds.log()]
        tap.ok("/latest/api/token" in seen and "/latest/meta-data/placement/region" in seen,
               "asked with an IMDSv2 session token", seen)
        tap.ok("region eu-central-1 from instance metadata" in r.err,
               "the log says where the region came from", r.err)

        # 2. Each earlier place wins, and metadata is not asked at all.
        write_profile("[default]\nregion = ap-south-1\n")
        cases = [
            ("profile region", {}, "ap-south-1"),
            ("AWS_DEFAULT_REGION", {"AWS_DEFAULT_REGION": "us-west-1"}, "us-west-1"),
            ("AWS_REGION", {"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "us-west-1"},
             "us-west-2"),
        ]
        for name, extra, want in cases:
            dc = fresh_dir()
            r = daemon.run(env=env(dc, **extra))
            tb.check_exit(tap, r, 0, "%s: --once" % name)
            tap.eq(hosts(dc), [tb.ecr_host(ACCT, want)], "%s wins" % name, r.diag())
            tap.eq([e["path"] for e in imds.log()], [], "%s: instance metadata not asked" % name)
        cfg = os.path.join(wd, "config.json")
        with open(cfg, "w") as f:
            json.dump({"registries": [{"region": "sa-east-1"}],
                       "sinks": [{"type": "docker", "path": os.path.join(fresh_dir(), "c.json")}]}, f)
        r = daemon.run(["--once", "--config", cfg], env=env(fresh_dir(), AWS_REGION="us-west-2"))
        tb.check_exit(tap, r, 0, "config region: --once")
        tap.ok("sa-east-1" in open(json.load(open(cfg))["sinks"][0]["path"]).read(),
               "the config's region wins over AWS_REGION", r.diag())
        tap.eq([e["path"] for e in imds.log()], [], "config region: instance metadata not asked")
        write_profile("")

        # 3. --check names the region found in instance metadata.
        r = daemon.run(["--check"], env=env(fresh_dir()))
        tb.check_exit(tap, r, 0, "--check with the instance's region")
        tap.ok("eu-central-1" in r.out, "--check shows the metadata region", r.diag())
        imds.log()

        # 4. No region anywhere: metadata disabled, or not answering.
        for name, extra in [("metadata disabled", {"AWS_EC2_METADATA_DISABLED": "true"}),
                            ("metadata unreachable",
                             {"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"})]:
            dc = fresh_dir()
            r = daemon.run(env=env(dc, **extra))
            tb.check_error(tap, r, name, needles=("no AWS region", "AWS_REGION"), rc=2)
            tap.ok("warning: instance metadata: " in r.err,
                   "%s: a warning says why metadata gave no region" % name, r.err)
            tap.ok(r.secs < 5, "%s: fails fast (%.2f s)" % (name, r.secs))
            tap.eq(os.listdir(dc), [], "%s: nothing written" % name)
        tap.eq([e["path"] for e in imds.log()], [], "disabled/unreachable: the fake was not asked")

        tb.check_no_secrets(tap, daemon.results, {"secret key": tb.EXAMPLE_SK,
                                                    "ECR password": tb.password_for(ACCT)})
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
