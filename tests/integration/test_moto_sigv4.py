#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ecr-credd --once against moto with SigV4/IAM enforcement on.

One moto per script.  While enforcement is off we create an IAM user with an
ECR policy and a role in a second account; then /moto-api/reset-auth 0 makes
moto recompute every signature with botocore and check keys, session tokens
and policies.  We also re-sign each logged request ourselves with botocore.
Usage: test_moto_sigv4.py /path/to/ecr-credd
"""

import base64
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed as tb  # noqa: E402

ROLE_ACCOUNT = "210987654321"
REQUIRED_SIGNED = {"content-type", "host", "x-amz-date", "x-amz-target"}


def main():
    tap, binary = tb.start(modules=("moto", "boto3", "botocore"))

    with tb.workdir() as wd:
        moto = tb.Moto(wd)
        ak, sk = moto.create_user()
        role_arn = moto.create_role(ROLE_ACCOUNT)
        moto.reset_auth(0)
        tak, tsk, tst = moto.assume_role(ak, sk, role_arn)
        daemon = tb.Daemon(binary, os.path.join(wd, "home"))
        secrets = {"secret key": sk, "session secret": tsk, "session token": tst,
                   "token": tb.token_for(tb.DEFAULT_ACCOUNT),
                   "password": tb.password_for(tb.DEFAULT_ACCOUNT),
                   "role token": tb.token_for(ROLE_ACCOUNT),
                   "role password": tb.password_for(ROLE_ACCOUNT)}
        fresh_dir = tb.dir_maker(wd, "docker")

        def env(dc, **kw):
            return tb.aws_env(dc, ak, sk, endpoint=moto.url, **kw)

        def check_written(dc, accounts, region, what, res):
            path = os.path.join(dc, "config.json")
            try:
                cfg = tb.read_json(path)
            except (OSError, ValueError) as ex:
                tap.ok(False, "%s: config.json readable" % what, "%s\n%s" % (ex, res.diag()))
                return
            for acct in accounts:
                host = tb.ecr_host(acct, region)
                entry = (cfg.get("auths") or {}).get(host) or {}
                auth = entry.get("auth")
                tap.eq(auth, tb.token_for(acct), "%s: auths[%s].auth is moto's token" % (what, host),
                       json.dumps(cfg, indent=1))
                if auth:
                    try:
                        dec = base64.b64decode(auth).decode()
                    except ValueError:
                        dec = None
                    tap.eq(dec, "AWS:%s-auth-token" % acct, "%s: %s decodes to AWS:password"
                           % (what, host))

        def check_requests(what, ak_, sk_, token=None, region="us-east-1", ids=None):
            reqs = moto.token_requests(clear=True)
            if not tap.ok(len(reqs) >= 1, "%s: GetAuthorizationToken request logged" % what,
                          json.dumps(moto.log(), indent=1)):
                return
            got_ids = []
            for i, e in enumerate(reqs):
                tag = "%s: request %d" % (what, i + 1)
                a = tb.parse_authorization(e.get("Authorization", ""))
                tap.eq(a.get("algorithm"), "AWS4-HMAC-SHA256", tag + " algorithm")
                tap.eq((a.get("access_key"), a.get("region"), a.get("service"), a.get("term")),
                       (ak_, region, "ecr", "aws4_request"), tag + " credential scope",
                       e.get("Authorization"))
                tap.eq(a.get("date"), (e.get("X-Amz-Date") or "")[:8],
                       tag + " scope date matches X-Amz-Date")
                tap.eq(e.get("Content-Type"), "application/x-amz-json-1.1",
                       tag + " Content-Type application/x-amz-json-1.1")
                tap.eq(e.get("method"), "POST", tag + " method POST")
                tap.eq(e.get("path"), "/", tag + " path /")
                signed = set(a.get("signed_headers", []))
                want = set(REQUIRED_SIGNED)
                if token:
                    want.add("x-amz-security-token")
                    tap.eq(e.get("X-Amz-Security-Token"), token,
                           tag + " X-Amz-Security-Token is the session token")
                else:
                    tap.ok("X-Amz-Security-Token" not in e,
                           tag + " no X-Amz-Security-Token without session creds")
                tap.ok(want <= signed, tag + " SignedHeaders include " + ";".join(sorted(want)),
                       "SignedHeaders=%s" % a.get("SignedHeaders"))
                tap.eq(a.get("signed_headers"), sorted(a.get("signed_headers", [])),
                       tag + " SignedHeaders sorted")
                try:
                    body = json.loads(e.get("body") or "null")
                except ValueError:
                    body = "<invalid json %r>" % e.get("body")
                if ids is None:
                    tap.eq(body, {}, tag + " body is {}")
                else:
                    ok = isinstance(body, dict) and set(body) == {"registryIds"}
                    tap.ok(ok, tag + " body is {\"registryIds\":[...]}", repr(e.get("body")))
                    if ok:
                        got_ids += body["registryIds"]
                sig, creq = tb.botocore_signature(e, ak_, sk_, token)
                tap.eq(a.get("Signature"), sig,
                       tag + " Signature equals botocore SigV4Auth over the logged request",
                       "canonical request (botocore):\n" + creq)
            if ids is not None:
                tap.eq(sorted(got_ids), sorted(ids), what + ": registryIds sent")

        # 1. Long-term keys of an IAM user.
        moto.clear_log()
        dc = fresh_dir()
        r = daemon.run(env=env(dc))
        tap.eq(r.rc, 0, "user keys: exit 0", r.diag())
        check_written(dc, [tb.DEFAULT_ACCOUNT], "us-east-1", "user keys", r)
        check_requests("user keys", ak, sk)

        # 2. Wrong secret: moto refuses the signature (InvalidSignatureException).
        dc = fresh_dir()
        bad = "x" + sk[1:] if not sk.startswith("x") else "y" + sk[1:]
        secrets["wrong secret"] = bad
        r = daemon.run(env=env(dc, AWS_SECRET_ACCESS_KEY=bad))
        tap.eq(r.rc, 1, "wrong secret: exit 1", r.diag())
        errs = r.error_lines()
        tap.ok(len(errs) >= 1, "wrong secret: 'ecr-credd: error:' line on stderr", r.diag())
        tap.ok(any("InvalidSignatureException" in l for l in errs),
               "wrong secret: error names InvalidSignatureException", r.diag())
        tap.ok(not os.path.exists(os.path.join(dc, "config.json")),
               "wrong secret: config.json not created")
        log = moto.log(clear=True)
        tap.ok(any(e.get("converted_from") == "SignatureDoesNotMatch" for e in log),
               "wrong secret: moto itself rejected the signature", json.dumps(log)[:2000])

        # 2b. Wrong secret with an existing config.json: file unchanged.
        dc = fresh_dir()
        before = json.dumps({"auths": {tb.ecr_host(tb.DEFAULT_ACCOUNT): {"auth": "b2xkOm9sZA=="}}},
                            indent="\t").encode()
        tb.write_file(os.path.join(dc, "config.json"), before, 0o600)
        r = daemon.run(env=env(dc, AWS_SECRET_ACCESS_KEY=bad))
        tap.eq(r.rc, 1, "wrong secret, existing file: exit 1", r.diag())
        with open(os.path.join(dc, "config.json"), "rb") as f:
            tap.ok(f.read() == before, "wrong secret, existing file: config.json byte-identical")

        # 3. Unknown access key: UnrecognizedClientException.
        dc = fresh_dir()
        r = daemon.run(env=env(dc, AWS_ACCESS_KEY_ID="AKIAUNKNOWNKEY000000"))
        tap.eq(r.rc, 1, "unknown key: exit 1", r.diag())
        tap.ok(any("UnrecognizedClientException" in l for l in r.error_lines()),
               "unknown key: error names UnrecognizedClientException", r.diag())
        moto.clear_log()

        # 4. Session credentials from STS AssumeRole (role in another account).
        dc = fresh_dir()
        r = daemon.run(env=env(dc, AWS_ACCESS_KEY_ID=tak, AWS_SECRET_ACCESS_KEY=tsk,
                               AWS_SESSION_TOKEN=tst))
        tap.eq(r.rc, 0, "session creds: exit 0", r.diag())
        check_written(dc, [ROLE_ACCOUNT], "us-east-1", "session creds", r)
        check_requests("session creds", tak, tsk, token=tst)

        # 5. Wrong session token.
        dc = fresh_dir()
        badtok = tst[:-4] + ("AAAA" if not tst.endswith("AAAA") else "BBBB")
        secrets["wrong session token"] = badtok
        r = daemon.run(env=env(dc, AWS_ACCESS_KEY_ID=tak, AWS_SECRET_ACCESS_KEY=tsk,
                               AWS_SESSION_TOKEN=badtok))
        tap.eq(r.rc, 1, "wrong session token: exit 1", r.diag())
        tap.ok(any("UnrecognizedClientException" in l for l in r.error_lines()),
               "wrong session token: error names UnrecognizedClientException", r.diag())
        tap.ok(not os.path.exists(os.path.join(dc, "config.json")),
               "wrong session token: config.json not created")
        moto.clear_log()

        # 6. Two registry ids.
        ids = ["111111111111", "222222222222"]
        dc = fresh_dir()
        r = daemon.run(env=env(dc, AWS_ECR_REGISTRY_IDS=",".join(ids)))
        tap.eq(r.rc, 0, "AWS_ECR_REGISTRY_IDS x2: exit 0", r.diag())
        check_written(dc, ids, "us-east-1", "AWS_ECR_REGISTRY_IDS x2", r)
        try:
            auths = tb.read_json(os.path.join(dc, "config.json")).get("auths", {})
        except (OSError, ValueError):
            auths = {}
        tap.ok(tb.ecr_host(tb.DEFAULT_ACCOUNT) not in auths,
               "AWS_ECR_REGISTRY_IDS x2: caller's own registry not added", sorted(auths))
        check_requests("AWS_ECR_REGISTRY_IDS x2", ak, sk, ids=ids)

        # 7. Region from AWS_DEFAULT_REGION (eu-west-1) signs for that region.
        dc = fresh_dir()
        r = daemon.run(env=env(dc, AWS_REGION=None, AWS_DEFAULT_REGION="eu-west-1"))
        tap.eq(r.rc, 0, "AWS_DEFAULT_REGION eu-west-1: exit 0", r.diag())
        check_written(dc, [tb.DEFAULT_ACCOUNT], "eu-west-1", "AWS_DEFAULT_REGION", r)
        check_requests("AWS_DEFAULT_REGION", ak, sk, region="eu-west-1")

        # 7b. AWS_REGION wins over AWS_DEFAULT_REGION.
        dc = fresh_dir()
        r = daemon.run(env=env(dc, AWS_REGION="us-west-2", AWS_DEFAULT_REGION="eu-west-1"))
        tap.eq(r.rc, 0, "AWS_REGION over AWS_DEFAULT_REGION: exit 0", r.diag())
        check_written(dc, [tb.DEFAULT_ACCOUNT], "us-west-2", "AWS_REGION over AWS_DEFAULT_REGION", r)
        check_requests("AWS_REGION over AWS_DEFAULT_REGION", ak, sk, region="us-west-2")

        # 8. AWS_ENDPOINT_URL fallback, and _ECR taking precedence over it.
        dc = fresh_dir()
        r = daemon.run(env=env(dc, AWS_ENDPOINT_URL_ECR=None, AWS_ENDPOINT_URL=moto.url))
        tap.eq(r.rc, 0, "AWS_ENDPOINT_URL fallback: exit 0", r.diag())
        check_written(dc, [tb.DEFAULT_ACCOUNT], "us-east-1", "AWS_ENDPOINT_URL", r)
        closed = "http://127.0.0.1:%d" % tb.free_port()
        dc = fresh_dir()
        r = daemon.run(env=env(dc, AWS_ENDPOINT_URL=closed))
        tap.eq(r.rc, 0, "AWS_ENDPOINT_URL_ECR wins over AWS_ENDPOINT_URL", r.diag())
        moto.clear_log()

        # 9. Credentials and region from shared files (HOME/.aws), profile via AWS_PROFILE.
        home = daemon.home
        tb.write_file(os.path.join(home, ".aws", "credentials"),
                      "[default]\naws_access_key_id = AKIADEFAULTNOTINIAM0\n"
                      "aws_secret_access_key = nope\n\n"
                      "[ci]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (ak, sk),
                      0o600)
        tb.write_file(os.path.join(home, ".aws", "config"),
                      "[default]\nregion = us-west-2\n\n[profile ci]\nregion = eu-central-1\n")
        dc = fresh_dir()
        r = daemon.run(env=env(dc, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                               AWS_REGION=None, AWS_DEFAULT_REGION="ap-northeast-1",
                               AWS_PROFILE="ci"))
        tap.eq(r.rc, 0, "AWS_DEFAULT_REGION over the profile's region: exit 0", r.diag())
        check_written(dc, [tb.DEFAULT_ACCOUNT], "ap-northeast-1",
                      "AWS_DEFAULT_REGION over profile region", r)
        moto.clear_log()
        dc = fresh_dir()
        r = daemon.run(env=env(dc, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                               AWS_REGION=None, AWS_PROFILE="ci"))
        tap.eq(r.rc, 0, "shared files, AWS_PROFILE=ci: exit 0", r.diag())
        check_written(dc, [tb.DEFAULT_ACCOUNT], "eu-central-1", "shared files", r)
        check_requests("shared files", ak, sk, region="eu-central-1")

        # 10. Config file: region, registry_ids, profile and sink path from the file.
        sink = os.path.join(wd, "sink", "config.json")
        cfgpath = os.path.join(wd, "ecr-credd.json")
        tb.write_file(cfgpath, json.dumps({
            "registries": [{"region": "eu-west-1", "registry_ids": ["333333333333"],
                            "profile": "ci"}],
            "sinks": [{"type": "docker", "path": sink}]}))
        dc = fresh_dir()
        r = daemon.run(args=["--once", "--config", cfgpath],
                       env=env(dc, AWS_ACCESS_KEY_ID=None,
                               AWS_SECRET_ACCESS_KEY=None, AWS_REGION=None))
        tap.eq(r.rc, 0, "config file: exit 0", r.diag())
        tap.ok(not os.path.exists(os.path.join(dc, "config.json")),
               "config file: only the configured sink is written (not $DOCKER_CONFIG)")
        check_written(os.path.dirname(sink), ["333333333333"], "eu-west-1", "config file", r)
        check_requests("config file", ak, sk, region="eu-west-1", ids=["333333333333"])

        # 11. Debug logging must not reveal secrets either.
        r = daemon.run(args=["--once", "--log-level", "debug"], env=env(fresh_dir()))
        tap.eq(r.rc, 0, "--log-level debug: exit 0", r.diag())

        # 12. expiresAt as integer, float and Java-style scientific notation.
        for style in ("int", "float", "sci"):
            moto.configure(expires_in=7200, expires_style=style)
            dc = fresh_dir()
            r = daemon.run(env=env(dc))
            tap.eq(r.rc, 0, "expiresAt style %s: exit 0" % style, r.diag())
            check_written(dc, [tb.DEFAULT_ACCOUNT], "us-east-1", "expiresAt " + style, r)
        moto.configure(expires_in=43200, expires_style="int")
        moto.clear_log()

        tb.check_no_secrets(tap, daemon.results, secrets, "any stdout/stderr")
        if moto.proc.poll() is not None:
            tap.ok(False, "moto still running", moto.stderr())
        moto.stop()
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
