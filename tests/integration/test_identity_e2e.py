#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Per-registry identity end to end: one --once run, several identities and regions.

Inside a route-less netns whose /etc/hosts maps the AWS names to loopback:
  api.ecr.{us-east-1,eu-west-1}, api.ecr-public.us-east-1, sts.{us-east-1,eu-west-1}
      .amazonaws.com -> 127.0.0.2:443 (socat TLS -> moto, SigV4/IAM enforced)
  111111111111.dkr.ecr.{us-east-1,eu-west-1}.amazonaws.com -> 127.0.1.1:443
      (docker-registry, htpasswd AWS:111111111111-auth-token)
  222222222222.dkr.ecr.eu-west-1.amazonaws.com -> 127.0.1.2:443
      (docker-registry, htpasswd AWS:222222222222-auth-token)
  public.ecr.aws -> 127.0.1.3:443 (docker-registry, htpasswd AWS:ecr-public-auth-token)
One config file, four registry entries:
  A   us-east-1, role_arn arn:aws:iam::111111111111:role/ra (+ external_id,
      role_session_name), assumed with the env keys of an IAM user in 123456789012
  A2  eu-west-1, the same role: the same identity, so no second AssumeRole
  B   eu-west-1, profile "b": static keys of an IAM user in 222222222222
  P   {"public": true}: ECR Public, written as public.ecr.aws
No entry names a registry id: moto answers for the caller's own account, so each
token proves which credentials signed the call.  The daemon uses the default
endpoints (STS included) and only AWS_CA_BUNDLE; skopeo then reads an image from
each registry with the one config.json written.
Usage: test_identity_e2e.py /path/to/ecr-credd
"""

import base64
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed as tb  # noqa: E402

ACCT_A = "111111111111"
ACCT_B = "222222222222"
REGION_A = "us-east-1"
REGION_B = "eu-west-1"
ROLE_A = "arn:aws:iam::%s:role/ra" % ACCT_A
EXTERNAL_ID = "ext-a-42"
SESSION_A = "ecd-identity-a"
PUBLIC_HOST = "public.ecr.aws"
PUBLIC_ACCT = "ecr-public"  # Registry() htpasswd: AWS:ecr-public-auth-token
PUBLIC_API = "api.ecr-public.us-east-1.amazonaws.com"
PUBLIC_TARGET = "SpencerFrontendService.GetAuthorizationToken"
IMAGE = "team/tiny:1.0"

HOST_A = tb.ecr_host(ACCT_A, REGION_A)
HOST_A2 = tb.ecr_host(ACCT_A, REGION_B)
HOST_B = tb.ecr_host(ACCT_B, REGION_B)


def public_cert(pk, d):
    """A server certificate for public.ecr.aws from the test CA (pki.py's SAN list
    does not name it); returns {"cert", "key"} as Registry() wants them."""
    os.makedirs(d, exist_ok=True)
    key, csr, crt, ext = (os.path.join(d, n) for n in
                          ("public.key", "public.csr", "public.crt", "public.ext"))
    tb.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", csr, "-subj", "/CN=" + PUBLIC_HOST], check=True)
    tb.write_file(ext, "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                       "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s\n" % PUBLIC_HOST)
    tb.run(["openssl", "x509", "-req", "-in", csr, "-CA", pk["ca"], "-CAkey", pk["ca_key"],
            "-CAcreateserial", "-CAserial", os.path.join(d, "public.srl"), "-days", "2",
            "-extfile", ext, "-out", crt], check=True)
    return {"cert": crt, "key": key}


def form(entry):
    return {k: v[0] for k, v in urllib.parse.parse_qs(entry.get("body") or "").items()}


def scope(entry):
    a = tb.parse_authorization(entry.get("Authorization", ""))
    return (a.get("access_key"), a.get("region"), a.get("service"))


def main():
    tap, binary = tb.start(tools=("ip", "socat", "openssl", "docker-registry", "skopeo",
                                  "umoci", "htpasswd"),
                           modules=("moto", "boto3", "botocore"), root=True)

    with tb.workdir() as wd:
        pk = tb.make_pki(os.path.join(wd, "pki"))
        pub_pki = public_cert(pk, os.path.join(wd, "pki-public"))
        api_names = ["api.ecr.%s.amazonaws.com" % REGION_A, "api.ecr.%s.amazonaws.com" % REGION_B,
                     PUBLIC_API, "sts.%s.amazonaws.com" % REGION_A,
                     "sts.%s.amazonaws.com" % REGION_B, "sts.amazonaws.com"]
        hosts = {n: "127.0.0.2" for n in api_names}
        hosts.update({HOST_A: "127.0.1.1", HOST_A2: "127.0.1.1", HOST_B: "127.0.1.2",
                      PUBLIC_HOST: "127.0.1.3"})
        skhome = os.path.join(wd, "skopeo-home")
        os.makedirs(skhome)

        with tb.Netns(hosts) as ns:
            routes = tb.run(["ip", "-n", ns.name, "route", "show"], check=True).stdout.strip()
            if not tap.eq(routes, "", "fixture: the netns has no route (nothing leaves it)"):
                tap.done()
            moto = tb.Moto(wd, netns=ns)
            tls = tb.TlsTerminator(pk["pem"], moto.port, wd, bind="127.0.0.2", port=443, netns=ns)
            regs = [tb.Registry(ACCT_A, "127.0.1.1", pk, wd, ns),
                    tb.Registry(ACCT_B, "127.0.1.2", pk, wd, ns),
                    tb.Registry(PUBLIC_ACCT, "127.0.1.3", pub_pki, wd, ns)]
            src = tb.build_tiny_image(wd)
            for host, acct in ((HOST_A, ACCT_A), (HOST_B, ACCT_B), (PUBLIC_HOST, PUBLIC_ACCT)):
                p = tb.push_image(src, "%s/%s" % (host, IMAGE), acct, pk["certs_d"], ns, skhome)
                if not tap.eq(p.returncode, 0, "fixture: push to %s" % host, p.stderr):
                    tap.done()

            # Identities, created while enforcement is off; then SigV4/IAM enforced.
            ak, sk = moto.create_user()  # 123456789012: sts:AssumeRole, ecr token
            role = moto.create_role(ACCT_A, name="ra")
            tap.eq(role, ROLE_A, "fixture: role ra created in %s" % ACCT_A)
            bak, bsk = moto.create_user("b-user", ["ecr:GetAuthorizationToken"], account=ACCT_B)
            moto.reset_auth(0)

            def inspect(host, authfile):
                return tb.skopeo_inspect("%s/%s" % (host, IMAGE), authfile, pk["certs_d"], ns,
                                         skhome)

            # Fixture sanity: every registry refuses an empty authfile.
            empty = os.path.join(wd, "empty.json")
            tb.write_file(empty, '{"auths":{}}')
            for host in (HOST_A, HOST_B, PUBLIC_HOST):
                p = inspect(host, empty)
                tap.ok(p.returncode != 0 and "unauthorized" in p.stderr.lower(),
                       "fixture: %s refuses an empty authfile" % host, p.stderr)

            daemon = tb.Daemon(binary, os.path.join(wd, "home"))
            tb.write_file(os.path.join(daemon.home, ".aws", "credentials"),
                          "[default]\naws_access_key_id = AKIADEFAULTNOTINIAM0\n"
                          "aws_secret_access_key = not-used\n\n"
                          "[b]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                          % (bak, bsk), 0o600)
            sink = os.path.join(wd, "sink", "config.json")
            cfgpath = tb.write_daemon_config(os.path.join(wd, "ecr-credd.json"), [sink], registries=[
                {"region": REGION_A, "role_arn": ROLE_A, "external_id": EXTERNAL_ID,
                 "role_session_name": SESSION_A},
                {"region": REGION_B, "role_arn": ROLE_A, "external_id": EXTERNAL_ID,
                 "role_session_name": SESSION_A},
                {"region": REGION_B, "profile": "b"},
                {"public": True}])
            dc = os.path.join(wd, "docker-unused")
            # Default endpoints for ECR, ECR Public and STS: this run is inside the
            # route-less netns, where those names are loopback addresses.
            env = tb.aws_env(dc, ak, sk, region=REGION_A, ca_bundle=pk["ca"],
                             AWS_ENDPOINT_URL_STS=None)
            moto.clear_log()
            r = daemon.run(args=["--once", "--config", cfgpath], env=env, netns=ns, timeout=30)
            tap.eq(r.rc, 0, "one --once run, four entries, three identities: exit 0", r.diag())
            log = moto.log(clear=True)
            tap.ok(not os.path.exists(os.path.join(dc, "config.json")),
                   "only the configured sink is written")

            # The one config.json: exactly the four hosts, each with its own token.
            cfg = tb.read_json(sink, default={})
            auths = cfg.get("auths") or {}
            want = {HOST_A: tb.token_for(ACCT_A), HOST_A2: tb.token_for(ACCT_A),
                    HOST_B: tb.token_for(ACCT_B),
                    PUBLIC_HOST: base64.b64encode(b"AWS:ecr-public-auth-token").decode()}
            got = {h: (v or {}).get("auth") for h, v in auths.items() if isinstance(v, dict)}
            tap.eq(sorted(auths), sorted(want), "config.json has exactly the four registry hosts",
                   json.dumps(cfg, indent=1) + "\n" + r.diag())
            for host, tok in sorted(want.items()):
                tap.eq(got.get(host), tok, "auths[%s].auth is the token of %s" %
                       (host, base64.b64decode(tok).decode().split(":")[1].rsplit("-auth", 1)[0]))

            # Each entry opens its own real registry.
            for host in (HOST_A, HOST_A2, HOST_B, PUBLIC_HOST):
                p = inspect(host, sink)
                ok = tap.eq(p.returncode, 0, "skopeo inspect %s/%s with the written config.json"
                            % (host, IMAGE), p.stderr)
                try:
                    info = json.loads(p.stdout) if ok else {}
                except ValueError:
                    info = {}
                tap.eq(info.get("Name"), "%s/team/tiny" % host, "%s: skopeo names the image" % host)
            # Cross-check the bed: each registry refuses the other identity's token.
            for host, other in ((HOST_A, HOST_B), (HOST_B, HOST_A), (PUBLIC_HOST, HOST_A)):
                sw = os.path.join(wd, "swapped-%s.json" % host)
                tb.write_file(sw, json.dumps({"auths": {host: {"auth": got.get(other) or "eA=="}}}))
                p = inspect(host, sw)
                tap.ok(p.returncode != 0 and "unauthorized" in p.stderr.lower(),
                       "fixture: %s refuses the token written for %s" % (host, other), p.stderr)

            # STS: exactly one AssumeRole for the role, signed with the user's keys,
            # at the regional endpoint of the first entry that names it.
            sts = [e for e in log if scope(e)[2] == "sts" or "Action=" in (e.get("body") or "")]
            assumes = [e for e in sts if form(e).get("Action") == "AssumeRole"]
            tap.eq(len(sts), 1, "exactly one STS request in the run",
                   json.dumps([(e.get("Host"), e.get("body")) for e in sts], indent=1))
            tap.eq([form(e).get("RoleArn") for e in assumes], [ROLE_A],
                   "exactly one AssumeRole call, for %s (shared by A and A2)" % ROLE_A)
            if assumes:
                e, f = assumes[0], form(assumes[0])
                tap.eq(e.get("Host"), "sts.%s.amazonaws.com" % REGION_A,
                       "AssumeRole went to the regional STS endpoint (Host header)")
                tap.eq(scope(e), (ak, REGION_A, "sts"),
                       "AssumeRole signed with the env user's key for sts in %s" % REGION_A,
                       e.get("Authorization"))
                tap.eq((f.get("ExternalId"), f.get("RoleSessionName")), (EXTERNAL_ID, SESSION_A),
                       "AssumeRole carries the configured external_id and role_session_name")
                tap.eq(e.get("status"), 200, "moto accepted the AssumeRole (IAM enforced)")
            tap.ok(not any(bak in (e.get("Authorization") or "") for e in sts),
                   "profile b (static keys) made no STS call")

            # ECR: one call per identity and region, each signed by its identity.
            tok = [e for e in log if e.get("X-Amz-Target") == tb.ECR_TOKEN_TARGET]
            role_keys = {scope(e)[0] for e in tok if e.get("X-Amz-Security-Token")}
            calls = sorted((e.get("Host"), scope(e)[1], scope(e)[2],
                            "user" if scope(e)[0] == ak else "b" if scope(e)[0] == bak
                            else "role" if scope(e)[0] in role_keys else scope(e)[0],
                            e.get("status")) for e in tok)
            tap.eq(calls, sorted([
                ("api.ecr.%s.amazonaws.com" % REGION_A, REGION_A, "ecr", "role", 200),
                ("api.ecr.%s.amazonaws.com" % REGION_B, REGION_B, "ecr", "role", 200),
                ("api.ecr.%s.amazonaws.com" % REGION_B, REGION_B, "ecr", "b", 200)]),
                "three GetAuthorizationToken calls: role in both regions, profile b in %s"
                % REGION_B, json.dumps([(e.get("Host"), e.get("Authorization")) for e in tok],
                                       indent=1))
            tap.eq(len(role_keys), 1, "both role calls use the one set of role session keys")
            tap.ok(all(k.startswith("ASIA") for k in role_keys),
                   "role calls use temporary (ASIA) keys with X-Amz-Security-Token", role_keys)
            tap.ok(all(json.loads(e.get("body") or "null") == {} for e in tok),
                   "no registryIds sent: each token is the caller's own account",
                   [e.get("body") for e in tok])
            pub = [e for e in log if e.get("X-Amz-Target") == PUBLIC_TARGET]
            tap.eq([(e.get("Host"), scope(e)) for e in pub],
                   [(PUBLIC_API, (ak, "us-east-1", "ecr-public"))],
                   "one ECR Public call to %s, signed for ecr-public in us-east-1" % PUBLIC_API,
                   json.dumps(pub, indent=1))
            others = [e for e in log if e not in sts and e not in tok and e not in pub]
            tap.eq(len(others), 0, "no other AWS request in the run",
                   json.dumps([(e.get("Host"), e.get("X-Amz-Target"), e.get("body"))
                               for e in others], indent=1))

            tb.check_no_secrets(tap, daemon.results, {
                "secret key": sk, "profile b secret": bsk,
                "token A": tb.token_for(ACCT_A), "password A": tb.password_for(ACCT_A),
                "token B": tb.token_for(ACCT_B), "password B": tb.password_for(ACCT_B),
                "public token": want[PUBLIC_HOST], "public password": "ecr-public-auth-token"})
            if moto.proc.poll() is not None:
                tap.ok(False, "moto still running", moto.stderr())
            tb.stop_all(*regs, tls, moto)
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
