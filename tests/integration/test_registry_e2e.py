#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The whole real path, inside a private network namespace.

In a route-less netns whose /etc/hosts maps the AWS names to loopback:
  api.ecr.us-east-1.amazonaws.com -> 127.0.0.2:443 (socat TLS -> moto)
  <account>.dkr.ecr.us-east-1.amazonaws.com -> 127.0.1.i:443 (docker-registry,
      htpasswd AWS:<account>-auth-token, TLS with the test CA)
A tiny OCI image (umoci) is pushed to each registry with skopeo.  ecr-credd
runs with the default AWS endpoint and only AWS_CA_BUNDLE + keys; skopeo then
reads the image with the config.json it wrote, and fails without the entry.
Usage: test_registry_e2e.py /path/to/ecr-credd
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed as tb  # noqa: E402

SK = tb.EXAMPLE_SK
REGION = "us-east-1"
ACCOUNTS = [tb.DEFAULT_ACCOUNT, "222222222222"]
API = "api.ecr.%s.amazonaws.com" % REGION
IMAGE = "team/tiny:1.0"


def main():
    tap, binary = tb.start(tools=("ip", "socat", "openssl", "docker-registry", "skopeo",
                                  "umoci", "htpasswd"),
                           modules=("moto",), root=True)

    with tb.workdir() as wd:
        pk = tb.make_pki(os.path.join(wd, "pki"))
        hosts = {API: "127.0.0.2", "sts.%s.amazonaws.com" % REGION: "127.0.0.2"}
        reg_addr = {}
        for i, acct in enumerate(ACCOUNTS):
            reg_addr[acct] = "127.0.1.%d" % (i + 1)
            hosts[tb.ecr_host(acct, REGION)] = reg_addr[acct]
        skhome = os.path.join(wd, "skopeo-home")
        os.makedirs(skhome)

        with tb.Netns(hosts) as ns:
            moto = tb.Moto(wd, netns=ns)
            tls = tb.TlsTerminator(pk["pem"], moto.port, wd, bind="127.0.0.2", port=443, netns=ns)
            registries = {a: tb.Registry(a, reg_addr[a], pk, wd, ns) for a in ACCOUNTS}
            src = tb.build_tiny_image(wd)
            for acct in ACCOUNTS:
                ref = "%s/%s" % (tb.ecr_host(acct, REGION), IMAGE)
                p = tb.push_image(src, ref, acct, pk["certs_d"], ns, skhome)
                if p.returncode != 0:
                    tap.ok(False, "fixture: push to %s" % ref,
                           p.stderr + "\n" + registries[acct].log())
            daemon = tb.Daemon(binary, os.path.join(wd, "home"))

            def env(dc, **kw):
                return tb.aws_env(dc, region=REGION, ca_bundle=pk["ca"], **kw)

            def inspect(acct, authfile):
                return tb.skopeo_inspect("%s/%s" % (tb.ecr_host(acct, REGION), IMAGE),
                                         authfile, pk["certs_d"], ns, skhome)

            # Fixture sanity: the registry refuses an empty authfile.
            empty = os.path.join(wd, "empty.json")
            tb.write_file(empty, '{"auths":{}}')
            p = inspect(ACCOUNTS[0], empty)
            tap.ok(p.returncode != 0 and "unauthorized" in p.stderr.lower(),
                   "fixture: registry refuses an empty authfile (unauthorized)", p.stderr)

            # 1. Zero-config: the caller's own registry via the default endpoint.
            dc = os.path.join(wd, "docker1")
            moto.clear_log()
            r = daemon.run(env=env(dc), netns=ns)
            tap.eq(r.rc, 0, "default endpoint over TLS: exit 0", r.diag())
            reqs = moto.token_requests(clear=True)
            tap.ok(len(reqs) >= 1 and reqs[0].get("Host") == API,
                   "request went to https://%s (Host header)" % API,
                   json.dumps([e.get("Host") for e in reqs]))
            cfgp = os.path.join(dc, "config.json")
            p = inspect(ACCOUNTS[0], cfgp)
            tap.eq(p.returncode, 0, "skopeo inspect with the written config.json succeeds",
                   p.stderr + "\n" + r.diag())
            try:
                info = json.loads(p.stdout)
            except ValueError:
                info = {}
            tap.eq(info.get("Name"), "%s/team/tiny" % tb.ecr_host(ACCOUNTS[0], REGION),
                   "skopeo inspect names the image")
            tap.eq(len(info.get("Layers") or []), 1, "skopeo inspect sees the one layer")

            # 2. With our entry removed, the same authfile is refused.
            cfg = tb.read_json(cfgp, default={"auths": {}})
            for k in list(tb.find_auth(cfg, tb.ecr_host(ACCOUNTS[0], REGION))):
                del cfg["auths"][k]
            stripped = os.path.join(wd, "stripped.json")
            tb.write_file(stripped, json.dumps(cfg))
            p = inspect(ACCOUNTS[0], stripped)
            tap.ok(p.returncode != 0 and "unauthorized" in p.stderr.lower(),
                   "entry removed: skopeo inspect fails with unauthorized", p.stderr)

            # 3. Two accounts through AWS_ECR_REGISTRY_IDS, each against its own registry.
            dc = os.path.join(wd, "docker2")
            r = daemon.run(env=env(dc, AWS_ECR_REGISTRY_IDS=",".join(ACCOUNTS)), netns=ns)
            tap.eq(r.rc, 0, "AWS_ECR_REGISTRY_IDS two accounts: exit 0", r.diag())
            cfgp = os.path.join(dc, "config.json")
            for acct in ACCOUNTS:
                p = inspect(acct, cfgp)
                tap.eq(p.returncode, 0, "two accounts: skopeo inspect %s succeeds" % acct,
                       p.stderr)
            # Cross-check the test bed: account A's password does not open B.
            try:
                cfg = tb.read_json(cfgp)
                a_auth = cfg["auths"][tb.ecr_host(ACCOUNTS[0], REGION)]["auth"]
                swapped = {"auths": {tb.ecr_host(ACCOUNTS[1], REGION): {"auth": a_auth}}}
            except (OSError, ValueError, KeyError, TypeError):
                swapped = {"auths": {}}
            sw = os.path.join(wd, "swapped.json")
            tb.write_file(sw, json.dumps(swapped))
            p = inspect(ACCOUNTS[1], sw)
            tap.ok(p.returncode != 0, "fixture: account A's token is refused by B's registry",
                   p.stderr)

            # 4. Wrong CA inside the netns: default endpoint, no token.
            dc = os.path.join(wd, "docker3")
            r = daemon.run(env=env(dc, AWS_CA_BUNDLE=pk["wrong_ca"]), netns=ns)
            tap.eq(r.rc, 1, "default endpoint, wrong CA: exit 1", r.diag())
            tap.ok(not os.path.exists(os.path.join(dc, "config.json")),
                   "default endpoint, wrong CA: nothing written")

            tb.check_no_secrets(tap, daemon.results, {
                "secret key": SK, "token": tb.token_for(ACCOUNTS[0]),
                "password": tb.password_for(ACCOUNTS[0]),
                "token 2": tb.token_for(ACCOUNTS[1]), "password 2": tb.password_for(ACCOUNTS[1])})
            tb.stop_all(*registries.values(), tls, moto)
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
