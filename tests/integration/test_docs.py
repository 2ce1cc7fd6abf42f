#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The README, the man page and the example config stay true to the code.

Checks: every option in --help is documented in the man page and vice versa;
the exit codes in daemon/exitcode.h, the README table and the man page agree;
every environment variable the man page documents is read by the code; the
example configuration is accepted by the binary (--check); the README's two
commands name scripts that exist.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed  # noqa: E402

SRC = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def read(rel):
    with open(os.path.join(SRC, rel), encoding="utf-8") as f:
        return f.read()


def code_text():
    out = []
    for d in ("common", "daemon"):
        for root, _, files in os.walk(os.path.join(SRC, d)):
            out += [open(os.path.join(root, f), encoding="utf-8").read()
                    for f in files if f.endswith((".c", ".h"))]
    return "\n".join(out)


def main():
    tap = testbed.Tap()
    binary = testbed.binary_from_argv(tap)
    testbed.require(tap, binary=binary)
    man = read("doc/ecr-credd.8")
    man_plain = man.replace("\\-", "-")
    readme = read("README.md")
    code = code_text()

    help_out = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, check=False).stdout.decode()
    help_opts = set(re.findall(r"--[a-z][a-z-]+", help_out))
    man_opts = set(re.findall(r"--[a-z][a-z-]+", man_plain.split(".SH ZERO-CONFIG")[0]))
    tap.ok(len(help_opts) >= 5, "--help lists the options", help_out)
    tap.eq(sorted(help_opts - man_opts), [], "every --help option is in the man page")
    tap.eq(sorted(man_opts - help_opts), [], "every man page option is in --help")

    codes = dict((name, int(v)) for name, v in
                 re.findall(r"ECD_EXIT_(\w+) = (\d+)", read("daemon/exitcode.h")))
    tap.eq(sorted(codes.values()), [0, 1, 2, 3], "exitcode.h defines 0..3")
    readme_codes = sorted(int(c) for c in re.findall(r"^\| (\d) \|", readme, re.M))
    tap.eq(readme_codes, sorted(codes.values()), "README's exit code table matches exitcode.h")
    exit_sec = man.split(".SH EXIT STATUS")[1].split(".SH ")[0]
    man_codes = sorted(int(c) for c in re.findall(r"^\.B (\d)$", exit_sec, re.M))
    tap.eq(man_codes, sorted(codes.values()), "man page EXIT STATUS matches exitcode.h")
    help_codes = sorted(int(c) for c in re.findall(r"(\d) [a-z]", help_out.split("Exit codes:")[1]))
    tap.eq(help_codes, sorted(codes.values()), "--help exit codes match exitcode.h")

    env_sec = man_plain.split(".SH ENVIRONMENT")[1].split(".SH ")[0]
    man_env = sorted(v for v in set(re.findall(r"\b([A-Z][A-Z0-9_]{3,})\b", env_sec))
                     if "_" in v or v == "HOME")
    for var in man_env:
        tap.ok('"%s"' % var in code, "man page variable %s is read by the code" % var)

    with testbed.workdir() as home:
        # --check asks STS who the credentials belong to: moto plays STS.
        moto = testbed.Moto(home)
        d = testbed.Daemon(binary, home)
        # The example names profile "prod" and uses the default one: give both keys,
        # as its user would have.
        testbed.write_file(os.path.join(home, ".aws", "config"),
                           "[profile prod]\nregion = eu-west-1\n")
        testbed.write_file(os.path.join(home, ".aws", "credentials"),
                           "[default]\naws_access_key_id = AKIADEFAULTEXAMPLE\n"
                           "aws_secret_access_key = default-secret-example\n"
                           "[prod]\naws_access_key_id = AKIAPRODEXAMPLE\n"
                           "aws_secret_access_key = prod-secret-example\n", mode=0o600)
        r = d.run(["--check", "--config",
                   os.path.join(SRC, "config", "ecr-credd.conf.example")],
                  env={"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_STS": moto.url})
        moto.stop()
        tap.eq(r.rc, 0, "the example config passes --check", r.diag())
        tap.ok("identity prod: credentials from shared-credentials-file, access key "
               "AKIAPRODEXAMPLE" in r.out, "--check names the provider and key id", r.diag())
        tap.ok(re.search(r"caller arn:aws:(iam|sts)::\d{12}:", r.out),
               "--check names the caller (sts:GetCallerIdentity)", r.diag())
        tap.ok("secret-example" not in r.out + r.err, "--check prints no secret", r.diag())

    for script in re.findall(r"(?:sudo )?((?:tools|tests)/[\w./-]+\.sh)", readme):
        tap.ok(os.access(os.path.join(SRC, script), os.X_OK), "README names %s, which exists" % script)
    tap.ok("meson test" in read("tests/run.sh"), "the README's test script runs meson test")
    tap.done()


if __name__ == "__main__":
    main()
