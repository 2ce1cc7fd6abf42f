#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""botocore as the oracle for the whole credential chain (daemon/creds.c and
daemon/creds/*.c), run on a libuv loop by tests/tools/resolve-chain (argv[1]).

For every scenario (environment and files under a temporary HOME) botocore, in
this process, and resolve-chain, in a child, resolve credentials against the
same servers: moto (STS) via AWS_ENDPOINT_URL_STS, tests/fixtures/fake_imds.py
via AWS_EC2_METADATA_SERVICE_ENDPOINT and tests/fixtures/fake_ecs.py via
AWS_CONTAINER_CREDENTIALS_FULL_URI.  Then:

  * "same": same provider method, key id, secret and token digests;
  * "sts":  moto hands out fresh keys per call, so: same provider method, and
            moto's GetCallerIdentity for each side's key id names the same
            assumed role and session (botocore-session-<time> normalised);
  * an error or "none" row: botocore raises (or finds nothing) and
            resolve-chain fails with the given status and a message with the
            given words.

Then the refresh-ahead, sharing, fast-failure and IMDS-protocol checks the
oracle cannot express.  ECD_TEST_WRAPPER (e.g. "valgrind -q --error-exitcode=99")
prefixes every resolve-chain run.  Nothing leaves loopback: the metadata and container
endpoints are always pointed at the fakes, or IMDS is disabled.  TAP output.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed  # noqa: E402

FIX = testbed.HERE
AK, SK = "AKIDORACLESTATIC01", "oracle/static+secret"
ROLE = "arn:aws:iam::210987654321:role/ecr-reader"
ROLE2 = "arn:aws:iam::333333333333:role/hop"
WEB_ROLE = "arn:aws:iam::210987654321:role/irsa"


def keys(ak=AK, sk=SK):
    return "aws_access_key_id = %s\naws_secret_access_key = %s\n" % (ak, sk)


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


def scenarios(imds, ecs, closed_port):
    ecs_env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": ecs.url + "/v2/creds",
               "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ecs-auth"}
    imds_env = {"AWS_EC2_METADATA_DISABLED": None,
                "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url}
    role_profile = ("[profile r]\nrole_arn = %s\nrole_session_name = sess-r\n"
                    "source_profile = base\n" % ROLE)
    proc_ok = "%s -c 'import json; print(json.dumps(%s))'" % (sys.executable, json.dumps(
        {"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": "proc-secret",
         "SessionToken": "proc-token", "Expiration": "2099-01-01T00:00:00Z"}).replace("'", ""))
    # name, env, files, argv, kind, (want status, message words) for errors
    return [
        ("env keys only", {"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK}, {}, [],
         "same", None),
        ("env keys with a session token", {"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK,
                                           "AWS_SESSION_TOKEN": "tok"}, {}, [], "same", None),
        ("env beats AWS_PROFILE", {"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK,
                                   "AWS_PROFILE": "dev"},
         {".aws/credentials": "[dev]\n" + keys("AKIDDEV", "d")}, [], "same", None),
        ("credentials file beats config file", {"AWS_PROFILE": "dev"},
         {".aws/credentials": "[dev]\n" + keys("AKIDCRED", "c"),
          ".aws/config": "[profile dev]\n" + keys("AKIDCONF", "f")}, [], "same", None),
        ("config file keys", {}, {".aws/config": "[default]\n" + keys()}, [], "same", None),
        ("AWS_PROFILE names a missing profile", {"AWS_PROFILE": "nope"}, {}, [], "error",
         ("ECD_ECONFIG", "nope")),
        ("partial env keys", {"AWS_ACCESS_KEY_ID": AK}, {}, [], "error",
         ("ECD_ECONFIG", "partial credentials")),
        ("malformed credentials file", {}, {".aws/credentials": "[default\n" + keys()}, [],
         "error", ("ECD_ECONFIG", ".aws/credentials")),
        ("assume role from a static source_profile", {"AWS_PROFILE": "r"},
         {".aws/config": role_profile + "[profile base]\n" + keys()}, [], "sts", None),
        ("assume role with external_id and duration_seconds", {"AWS_PROFILE": "r"},
         {".aws/config": role_profile + "external_id = ext-1\nduration_seconds = 1800\n"
          "[profile base]\n" + keys()}, [], "sts", None),
        ("role chain: r -> hop -> static", {"AWS_PROFILE": "r"},
         {".aws/config": "[profile r]\nrole_arn = %s\nrole_session_name = s1\n"
          "source_profile = hop\n[profile hop]\nrole_arn = %s\nrole_session_name = s2\n"
          "source_profile = base\n[profile base]\n%s" % (ROLE, ROLE2, keys())}, [], "sts", None),
        ("source profile with keys and role_arn uses its keys", {"AWS_PROFILE": "r"},
         {".aws/config": role_profile + "[profile base]\nrole_arn = %s\n%s" % (ROLE2, keys())},
         [], "sts", None),
        ("source_profile naming itself, with static keys", {"AWS_PROFILE": "me"},
         {".aws/config": "[profile me]\nrole_arn = %s\nrole_session_name = self\n"
          "source_profile = me\n%s" % (ROLE, keys())}, [], "sts", None),
        ("credential_source Environment", {"AWS_PROFILE": "r", "AWS_ACCESS_KEY_ID": AK,
                                           "AWS_SECRET_ACCESS_KEY": SK},
         {".aws/config": "[profile r]\nrole_arn = %s\nrole_session_name = envsrc\n"
          "credential_source = Environment\n" % ROLE}, [], "sts", None),
        ("credential_source EcsContainer", dict(ecs_env, AWS_PROFILE="r"),
         {".aws/config": "[profile r]\nrole_arn = %s\nrole_session_name = ecssrc\n"
          "credential_source = EcsContainer\n" % ROLE}, [], "sts", None),
        ("credential_source Ec2InstanceMetadata", dict(imds_env, AWS_PROFILE="r"),
         {".aws/config": "[profile r]\nrole_arn = %s\nrole_session_name = imdssrc\n"
          "credential_source = Ec2InstanceMetadata\n" % ROLE}, [], "sts", None),
        ("credential_source in the wrong case", dict(imds_env, AWS_PROFILE="r"),
         {".aws/config": "[profile r]\nrole_arn = %s\n"
          "credential_source = ec2instancemetadata\n" % ROLE}, [], "error",
         ("ECD_ECONFIG", "not supported")),
        ("credential_source Environment with a profile override",
         {"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK},
         {".aws/config": "[profile r]\nrole_arn = %s\nrole_session_name = envsrc\n"
          "credential_source = Environment\n" % ROLE}, ["--profile", "r"], "sts", None),
        ("role without a session name: botocore-session-<time>", {"AWS_PROFILE": "r"},
         {".aws/config": "[profile r]\nrole_arn = %s\nsource_profile = base\n"
          "[profile base]\n%s" % (ROLE, keys())}, [], "sts", None),
        ("source_profile loop", {"AWS_PROFILE": "a"},
         {".aws/config": "[profile a]\nrole_arn = %s\nsource_profile = b\n"
          "[profile b]\nrole_arn = %s\nsource_profile = a\n" % (ROLE, ROLE2)}, [], "error",
         ("ECD_ECONFIG", "loop")),
        ("source_profile and credential_source both", {"AWS_PROFILE": "r"},
         {".aws/config": role_profile + "credential_source = Environment\n[profile base]\n" +
          keys()}, [], "error", ("ECD_ECONFIG", "both")),
        ("role_arn without a source", {"AWS_PROFILE": "r"},
         {".aws/config": "[profile r]\nrole_arn = %s\n" % ROLE}, [], "error",
         ("ECD_ECONFIG", "neither source_profile nor credential_source")),
        ("unknown credential_source", {"AWS_PROFILE": "r"},
         {".aws/config": "[profile r]\nrole_arn = %s\ncredential_source = Moon\n" % ROLE}, [],
         "error", ("ECD_ECONFIG", "not supported")),
        ("source_profile that does not exist", {"AWS_PROFILE": "r"},
         {".aws/config": role_profile}, [], "error", ("ECD_ECONFIG", "does not exist")),
        ("web identity from the environment", {"AWS_ROLE_ARN": WEB_ROLE,
                                               "AWS_WEB_IDENTITY_TOKEN_FILE": "@token",
                                               "AWS_ROLE_SESSION_NAME": "irsa-1"},
         {"token": "eyJhbGciOiJSUzI1NiJ9.e30.sig\n"}, [], "sts", None),
        ("web identity from profile keys", {"AWS_PROFILE": "w"},
         {"token": "eyJ.e30.sig", ".aws/config": "[profile w]\nrole_arn = %s\n"
          "web_identity_token_file = @token\nrole_session_name = irsa-2\n" % WEB_ROLE}, [],
         "sts", None),
        ("web identity token file missing", {"AWS_ROLE_ARN": WEB_ROLE,
                                             "AWS_WEB_IDENTITY_TOKEN_FILE": "@missing"}, {}, [],
         "error", ("ECD_ECONFIG", "web identity token file")),
        ("web identity without a role ARN", {"AWS_WEB_IDENTITY_TOKEN_FILE": "@token"},
         {"token": "t"}, [], "error", ("ECD_ECONFIG", "no role ARN")),
        ("credential_process", {},
         {".aws/config": "[default]\ncredential_process = %s\n" % proc_ok}, [], "same", None),
        ("credential_process exits 1", {},
         {".aws/config": "[default]\ncredential_process = %s -c 'import sys; "
          "sys.stderr.write(\"no way\"); sys.exit(1)'\n" % sys.executable}, [], "error",
         ("ECD_EAUTH", "no way")),
        ("credential_process prints Version 2", {},
         {".aws/config": "[default]\ncredential_process = %s -c 'print(\"{\\\"Version\\\": 2,"
          " \\\"AccessKeyId\\\": \\\"a\\\", \\\"SecretAccessKey\\\": \\\"b\\\"}\")'\n"
          % sys.executable}, [], "error", ("ECD_EPROTO", "Version")),
        ("container credentials (full URI, token)", ecs_env, {}, [], "same", None),
        ("container credentials (token file)",
         {"AWS_CONTAINER_CREDENTIALS_FULL_URI": ecs.url + "/v2/creds",
          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "@ecs-token",
          "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong"}, {"ecs-token": "ecs-auth"}, [],
         "same", None),
        ("container token file ending in a newline",
         {"AWS_CONTAINER_CREDENTIALS_FULL_URI": ecs.url + "/v2/creds",
          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "@ecs-token"}, {"ecs-token": "ecs-auth\n"},
         [], "error", ("ECD_ECONFIG", "line break")),
        ("container endpoint on a forbidden host",
         {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://192.0.2.10/creds"}, {}, [], "error",
         ("ECD_ECONFIG", "unsupported host")),
        ("container token with a line break",
         {"AWS_CONTAINER_CREDENTIALS_FULL_URI": ecs.url + "/v2/creds",
          "AWS_CONTAINER_AUTHORIZATION_TOKEN": "a\nb"}, {}, [], "error",
         ("ECD_ECONFIG", "line break")),
        ("instance metadata (IMDSv2)", imds_env, {}, [], "same", None),
        ("SSO profile is refused", {"AWS_PROFILE": "s"},
         {".aws/config": "[profile s]\nsso_account_id = 1\nsso_role_name = r\n"
          "sso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n"}, [], "error",
         ("ECD_ECONFIG", "not supported")),
        ("nothing, instance metadata disabled", {}, {}, [], "none",
         ("ECD_EAUTH", "no AWS credentials")),
        ("nothing, instance metadata down", {"AWS_EC2_METADATA_DISABLED": None,
                                             "AWS_EC2_METADATA_SERVICE_ENDPOINT":
                                             "http://127.0.0.1:%d" % closed_port}, {}, [],
         "none", ("ECD_EAUTH", "instance metadata")),
    ]


def ask_botocore(env, argv):
    """('creds', method, ak, sk, token), ('none',) or ('error', class name)."""
    import botocore.session
    saved = dict(os.environ)
    profile = argv[argv.index("--profile") + 1] if "--profile" in argv else None
    os.environ.clear()
    os.environ.update(env)
    try:
        creds = botocore.session.Session(profile=profile).get_credentials()
        if creds is None:
            return ("none",)
        f = creds.get_frozen_credentials()
        return ("creds", creds.method, f.access_key, f.secret_key, f.token)
    except Exception as e:  # noqa: BLE001 - the class is the answer
        return ("error", type(e).__name__ + ": " + str(e)[:200])
    finally:
        os.environ.clear()
        os.environ.update(saved)


SERVICES = ("[services corp]\n"
            "ecr =\n  endpoint_url = http://ecr.corp.test:5000\n"
            "ecr_public =\n  endpoint_url = http://ecr-public.corp.test\n"
            "sts =\n  endpoint_url = https://sts.corp.test:8443/base\n")


def endpoint_scenarios():
    """name, env, config file, botocore client name, region, kind: "same" (the same
    URL), "error" (both refuse; our words), or "own" (a documented difference: our URL)."""
    svc = "[default]\nservices = corp\n" + SERVICES
    return [
        ("services section: ecr", {}, svc, "ecr", "eu-west-1", "same", None),
        ("services section: sts", {}, svc, "sts", "eu-west-1", "same", None),
        ("services section: ecr-public", {}, svc, "ecr-public", "us-east-1", "same", None),
        ("AWS_ENDPOINT_URL_ECR beats the services section",
         {"AWS_ENDPOINT_URL_ECR": "http://env-ecr.test:81"}, svc, "ecr", "eu-west-1", "same",
         None),
        ("AWS_ENDPOINT_URL beats the services section (sts)",
         {"AWS_ENDPOINT_URL": "http://env-all.test:82"}, svc, "sts", "eu-west-1", "same", None),
        ("profile endpoint_url for a service the section does not list",
         {}, "[default]\nservices = corp\nendpoint_url = http://global.test:83\n"
         "[services corp]\nsts =\n  endpoint_url = http://sts.test\n", "ecr", "eu-west-1",
         "same", None),
        ("profile endpoint_url (global) for sts", {},
         "[default]\nendpoint_url = http://global.test:83\n", "sts", "ap-south-1", "same", None),
        ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true in the environment",
         {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_ENDPOINT_URL_ECR": "http://x.test"},
         svc, "ecr", "eu-west-1", "same", None),
        ("ignore_configured_endpoint_urls in the profile (sts)", {},
         "[default]\nservices = corp\nignore_configured_endpoint_urls = true\n" + SERVICES,
         "sts", "eu-west-1", "same", None),
        ("use_fips_endpoint in the profile: ECR FIPS", {},
         "[default]\nuse_fips_endpoint = true\n", "ecr", "us-east-2", "same", None),
        ("use_dualstack_endpoint in the profile: ECR dual-stack", {},
         "[default]\nuse_dualstack_endpoint = true\n", "ecr", "cn-north-1", "same", None),
        ("AWS_USE_FIPS_ENDPOINT=false beats the profile's true", {"AWS_USE_FIPS_ENDPOINT": "false"},
         "[default]\nuse_fips_endpoint = true\n", "ecr", "eu-west-1", "same", None),
        ("profile FIPS for sts in us-gov-east-1 (the plain name is FIPS)", {},
         "[default]\nuse_fips_endpoint = true\n", "sts", "us-gov-east-1", "same", None),
        ("AWS_PROFILE picks whose services section", {"AWS_PROFILE": "p2"},
         "[default]\nservices = corp\n[profile p2]\nservices = other\n" + SERVICES +
         "[services other]\necr =\n  endpoint_url = http://other.test:84\n", "ecr",
         "eu-west-1", "same", None),
        ("services section plus profile FIPS: the URL wins", {},
         "[default]\nservices = corp\nuse_fips_endpoint = true\n" + SERVICES, "ecr",
         "eu-west-1", "same", None),
        ("AWS_ENDPOINT_URL_STS plus AWS_USE_DUALSTACK_ENDPOINT: the URL wins",
         {"AWS_ENDPOINT_URL_STS": "http://sts-env.test:85", "AWS_USE_DUALSTACK_ENDPOINT": "true"},
         "", "sts", "eu-west-1", "same", None),
        ("missing services section (ecr): refused", {},
         "[default]\nservices = nope\n" + SERVICES, "ecr", "eu-west-1", "error",
         "no [services nope] section"),
        ("missing services section (sts): refused", {},
         "[default]\nservices = nope\n" + SERVICES, "sts", "eu-west-1", "error",
         "no [services nope] section"),
        ("malformed nested block in the services section: refused", {},
         "[default]\nservices = corp\n[services corp]\necr =\n  endpoint_url\n", "ecr",
         "eu-west-1", "error", "config"),
        ("ECR Public with profile FIPS stays on its one API host (ours)", {},
         "[default]\nuse_fips_endpoint = true\n", "ecr-public", "us-east-1", "own",
         "https://api.ecr-public.us-east-1.amazonaws.com"),
    ]


class _Sent(Exception):
    """Raised from botocore's before-send hook: the request never leaves."""


def botocore_url(env, client_name, region):
    """('url', the URL botocore would send GetAuthorizationToken / GetCallerIdentity to)
    or ('error', class name).  The request is stopped before it is sent."""
    import botocore.config
    import botocore.session
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        client = botocore.session.Session().create_client(
            client_name, region_name=region, aws_access_key_id="AKIDENDPOINT",
            aws_secret_access_key="x", config=botocore.config.Config(retries={"max_attempts": 0}))

        def stop(request, **kwargs):
            raise _Sent(request.url)
        client.meta.events.register("before-send", stop)
        try:
            if client_name == "sts":
                client.get_caller_identity()
            else:
                client.get_authorization_token()
        except _Sent as sent:
            return ("url", str(sent))
        return ("error", "request was not stopped")
    except Exception as e:  # noqa: BLE001 - the class is the answer
        return ("error", type(e).__name__ + ": " + str(e)[:200])
    finally:
        os.environ.clear()
        os.environ.update(saved)


def endpoint_rows(tap, tool, moto, top, table):
    for i, (name, env, config, client, region, kind, want) in enumerate(endpoint_scenarios()):
        home = os.path.join(top, "e%d" % i)
        os.makedirs(os.path.join(home, ".aws"))
        with open(os.path.join(home, ".aws", "config"), "w") as f:
            f.write(config)
        # Static keys so that no provider is asked; STS is not pointed at moto here.
        full = make_env(home, dict({"AWS_ENDPOINT_URL_STS": None, "AWS_ACCESS_KEY_ID": AK,
                                    "AWS_SECRET_ACCESS_KEY": SK}, **env), moto)
        boto = botocore_url(full, client, region)
        rc, lines, err, _ = run_chain(tool, full, ["--endpoint", client.replace("-", "_"),
                                                   "--region", region])
        ours = lines[0] if lines else {}
        diag = "botocore: %r\nresolve-chain rc=%d: %r\nstderr: %s" % (boto, rc, ours,
                                                                      err.strip()[-1500:])
        if kind == "same":
            ok = (boto[0] == "url" and rc == 0 and
                  ours.get("url", "").rstrip("/") == boto[1].rstrip("/"))
            result = ours.get("url") or ours.get("error")
        elif kind == "own":
            ok = boto[0] == "url" and rc == 0 and ours.get("url") == want
            result = "%s (botocore: %s)" % (ours.get("url") or ours.get("error"), boto[1])
        else:
            ok = boto[0] == "error" and rc != 0 and ours.get("error") == "ECD_ECONFIG" and \
                want in err
            result = "%s (%s)" % (ours.get("error"), boto[1].split(":")[0])
        table.append(("endpoint: " + name, result, ok))
        tap.ok(ok, "endpoint oracle: %s" % name, diag)


def caller(moto, key_id):
    """moto's idea of who key_id is, session time normalised."""
    arn = moto.client("sts", ak=key_id, sk="x").get_caller_identity()["Arn"]
    return re.sub(r"botocore-session-\d+", "botocore-session-N", arn)


def run_chain(tool, env, argv=(), timeout=60):
    t0 = time.monotonic()
    wrapper = os.environ.get("ECD_TEST_WRAPPER", "").split()
    p = subprocess.run(wrapper + [tool] + list(argv), env=env, capture_output=True, text=True,
                       timeout=timeout)
    lines = [dict(kv.split("=", 1) for kv in line.split(" ") if "=" in kv)
             for line in p.stdout.splitlines()]
    return p.returncode, lines, p.stderr, time.monotonic() - t0


def make_env(home, env, moto):
    e = {"HOME": home, "PATH": testbed.CLEAN_PATH, "LANG": "C.UTF-8",
         "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL_STS": moto.url,
         "AWS_DEFAULT_REGION": "us-east-1", "BOTO_CONFIG": os.path.join(home, "none")}
    for k, v in env.items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v.replace("@", home + "/") if v.startswith("@") else v
    return e


def oracle_rows(tap, tool, moto, imds, ecs, top, table):
    closed = testbed.free_port()
    for i, (name, env, files, argv, kind, want) in enumerate(scenarios(imds, ecs, closed)):
        home = os.path.join(top, "o%d" % i)
        os.makedirs(os.path.join(home, ".aws"))
        for rel, text in files.items():
            with open(os.path.join(home, rel), "w") as f:
                f.write(text.replace("= @", "= " + home + "/"))
        full = make_env(home, env, moto)
        boto = ask_botocore(full, argv)
        rc, lines, err, secs = run_chain(tool, full, argv)
        ours = lines[0] if lines else {}
        diag = "botocore: %r\nresolve-chain rc=%d: %r\nstderr: %s" % (
            boto[:2] if boto[0] == "creds" else boto, rc, ours, err.strip()[-1500:])
        if kind == "same":
            ok = (boto[0] == "creds" and rc == 0 and
                  ours.get("provider") == boto[1] and ours.get("access_key_id") == boto[2] and
                  ours.get("secret_sha256") == sha(boto[3]) and
                  ours.get("token_sha256") == (sha(boto[4]) if boto[4] else "none"))
            result = "%s %s" % (ours.get("provider"), ours.get("access_key_id"))
        elif kind == "sts":
            ok = boto[0] == "creds" and rc == 0 and ours.get("provider") == boto[1]
            result = ours.get("provider", "?")
            if ok:
                theirs, mine = caller(moto, boto[2]), caller(moto, ours["access_key_id"])
                ok = theirs == mine
                diag += "\nbotocore is %s\nresolve-chain is %s" % (theirs, mine)
                result += " " + mine.split(":", 5)[-1]
        else:
            status, words = want
            ok = (boto[0] == ("none" if kind == "none" else "error") and rc != 0 and
                  ours.get("error") == status and words in err)
            result = "%s (%s)" % (ours.get("error"), boto[1].split(":")[0] if boto[0] == "error"
                                  else "botocore: none")
            if kind == "none":
                ok = ok and secs < (10 if os.environ.get("ECD_TEST_WRAPPER") else 5)
                diag += "\ntook %.1f s" % secs
        table.append((name, result, ok))
        tap.ok(ok, "oracle: %s" % name, diag)


def refresh_checks(tap, tool, moto, ecs, imds, top):
    home = os.path.join(top, "refresh")
    os.makedirs(home)
    base = make_env(home, {"AWS_CONTAINER_CREDENTIALS_FULL_URI": ecs.url + "/c"}, moto)

    # Refresh ahead: 20 s credentials, advisory window 10 s, mandatory 5 s.
    ecs.control(expires_in=20, rotate=True, auth=None)
    ecs.log()
    rc, lines, err, secs = run_chain(tool, base, ["--advisory-s", "10", "--mandatory-s", "5",
                                                  "--gets", "3", "--interval-ms", "5500"])
    ids = [ln.get("access_key_id") for ln in lines]
    tap.ok(rc == 0 and len(ids) == 3 and ids[0] == ids[1] and ids[2] != ids[1],
           "refresh-ahead: cached while fresh, renewed inside the advisory window",
           "%r\n%s" % (lines, err))
    tap.eq(len(ecs.log()), 2, "refresh-ahead: two fetches for three gets")

    # Concurrent gets share one resolution.
    rc, lines, err, _ = run_chain(tool, base, ["--concurrent", "5"])
    tap.ok(rc == 0 and len(lines) == 5 and len({ln["access_key_id"] for ln in lines}) == 1,
           "five concurrent gets get one set of credentials", "%r\n%s" % (lines, err))
    tap.eq(len(ecs.log()), 1, "five concurrent gets: one fetch")

    # A failed refresh in the advisory window keeps the current credentials; in the
    # mandatory window it is an error.
    ecs.control(expires_in=16, fail_after=1, fail_status=500)
    rc, lines, err, _ = run_chain(tool, dict(base), ["--advisory-s", "15", "--mandatory-s",
                                                     "5", "--gets", "3", "--interval-ms", "1500"])
    ids = [ln.get("access_key_id") or ln.get("error") for ln in lines]
    tap.ok(len(ids) == 3 and ids[0] == ids[1] and ids[0].startswith("ASIA"),
           "advisory refresh failure: the current credentials are still used",
           "%r\n%s" % (lines, err))
    tap.ok("advisory window" in err, "advisory refresh failure: a warning says so", err)
    ecs.control(fail_after=None)
    ecs.log()

    # IMDS: static stability and a token that expired.
    ienv = make_env(home, {"AWS_EC2_METADATA_DISABLED": None,
                           "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url}, moto)
    imds.control(expires_in=60, expire_tokens_once=True, require_v2=True)
    imds.log()
    rc, lines, err, _ = run_chain(tool, ienv)
    exp = int(lines[0].get("expiration", 0)) if lines else 0
    tap.ok(rc == 0 and exp >= time.time() + 15 * 60,
           "IMDS credentials about to expire are kept 15+ min (static stability)",
           "%r\n%s" % (lines, err))
    log = [(e["method"], e["path"]) for e in imds.log()]
    tap.eq([m for m, _ in log], ["PUT", "GET", "PUT", "GET", "GET"],
           "IMDS: a 401 on the token gets a new token, then role and credentials", log)
    imds.control(expires_in=6 * 3600, expire_tokens_once=False, v1_only=True, require_v2=False)
    rc, lines, err, _ = run_chain(tool, ienv)
    log = imds.log()
    tap.ok(rc == 0 and not any(e["has_token"] for e in log) and log[0]["method"] == "PUT",
           "IMDS: without IMDSv2 (PUT 403) it falls back to IMDSv1", "%r\n%r" % (lines, log))
    ienv2 = dict(ienv, AWS_EC2_METADATA_V1_DISABLED="true")
    rc, lines, err, _ = run_chain(tool, ienv2)
    tap.ok(rc != 0 and "IMDSv1 is disabled" in err,
           "IMDS: no fallback when AWS_EC2_METADATA_V1_DISABLED=true", err)
    imds.control(v1_only=False, slow=3)
    rc, lines, err, secs = run_chain(tool, ienv)
    limit = 8 if os.environ.get("ECD_TEST_WRAPPER") else 2.5
    tap.ok(rc != 0 and secs < limit, "IMDS slower than the 1 s timeout: fast failure (%.1f s)"
           % secs, err)
    imds.control(slow=0)
    rc, lines, err, _ = run_chain(tool, ienv, ["--imds-region"])
    tap.eq(lines, [{"region": "eu-central-1"}], "IMDS placement/region", err)
    imds_token_checks(tap, tool, imds, ienv)

    # The configured role_arn (per-registry identity) on top of the default chain.
    cenv = make_env(home, {"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK}, moto)
    rc, lines, err, _ = run_chain(tool, cenv, ["--role-arn", ROLE, "--external-id", "ext-9",
                                               "--session-name", "registry-1"])
    who = caller(moto, lines[0]["access_key_id"]) if rc == 0 and lines else None
    tap.eq(who, "arn:aws:sts::210987654321:assumed-role/ecr-reader/registry-1",
           "config role_arn: AssumeRole with the default chain's credentials", err)
    rc, lines, err, _ = run_chain(tool, cenv, ["--describe", "--role-arn", ROLE,
                                               "--session-name", "check-1"])
    tap.eq((lines[0].get("provider"), lines[0].get("arn")) if lines else None,
           ("assume-role", "arn:aws:sts::210987654321:assumed-role/ecr-reader/check-1"),
           "describe: provider and GetCallerIdentity ARN", err)
    rc, lines, err, _ = run_chain(tool, cenv, ["--role-arn", ROLE, "--cancel-ms", "0"])
    tap.eq((rc, lines), (1, [{"error": "ECD_ECANCELED"}]),
           "a chain freed during a get ends it with ECD_ECANCELED, loop closes clean", err)
    with open(os.path.join(home, "slow.cfg"), "w") as f:
        f.write("[default]\ncredential_process = sleep 30\n")
    penv = make_env(home, {"AWS_CONFIG_FILE": os.path.join(home, "slow.cfg")}, moto)
    rc, lines, err, secs = run_chain(tool, penv, ["--cancel-ms", "500"])
    tap.ok((rc, lines) == (1, [{"error": "ECD_ECANCELED"}]) and secs < 10,
           "freeing the chain kills a running credential_process (%.1f s)" % secs, err)
    rc, lines, err, _ = run_chain(tool, cenv, ["--role-arn", "not-an-arn"])
    tap.ok(rc != 0 and "expected an IAM role ARN" in err, "config role_arn is checked", err)
    for secret in (SK, "imds-secret", "ecs-secret", "ecs-auth"):
        tap.ok(secret not in err, "no secret in the output (%s...)" % secret[:4], err[-500:])


def imds_token_checks(tap, tool, imds, ienv):
    """The chain keeps its IMDSv2 session token across credential refreshes, and a token
    the server no longer knows (401) costs exactly one new PUT."""
    # 20 min credentials (no static stability) and an advisory window longer than that:
    # every get is a refresh; rotate shows that each one really asked IMDS.
    imds.control(expires_in=1200, rotate=True, require_v2=True, token_ttl_cap=None,
                 expire_tokens_once=False, v1_only=False, slow=0)
    imds.log()
    imds.stats()
    rc, lines, err, _ = run_chain(tool, ienv, ["--advisory-s", "1300", "--mandatory-s", "5",
                                               "--gets", "3"])
    log, stats = imds.log(), imds.stats()
    ids = [ln.get("access_key_id") for ln in lines]
    tap.ok(rc == 0 and len(ids) == 3 and len(set(ids)) == 3,
           "IMDS token reuse: three refreshes, three credentials", "%r\n%s" % (lines, err))
    methods = [e["method"] for e in log]
    # Token PUTs are counted in the request log: a request of an earlier check that the
    # fake is still sleeping on may add to its tokens_issued later.
    tap.eq((methods.count("PUT"), methods.count("GET"), stats["tokens_rejected"]), (1, 6, 0),
           "IMDS token reuse: one token PUT for three refreshes, every GET with it",
           [(e["method"], e["path"], e["has_token"]) for e in log])
    tap.ok(all(e["has_token"] for e in log if e["method"] == "GET"),
           "IMDS token reuse: every GET carries the session token", log)
    tap.ok(all(e["headers"].get("x-aws-ec2-metadata-token-ttl-seconds") == "21600"
               for e in log if e["method"] == "PUT"),
           "IMDS token: asked for with a 21600 s TTL", log)

    # The server lets tokens live 1 s: the second refresh meets a 401 with the cached
    # token, gets one new token, and goes on.
    imds.control(token_ttl_cap=1)
    rc, lines, err, _ = run_chain(tool, ienv, ["--advisory-s", "1300", "--mandatory-s", "5",
                                               "--gets", "2", "--interval-ms", "2500"])
    log, stats = imds.log(), imds.stats()
    tap.ok(rc == 0 and len(lines) == 2 and all("access_key_id" in ln for ln in lines),
           "IMDS expired token: both refreshes succeed", "%r\n%s" % (lines, err))
    tap.eq(([e["method"] for e in log], stats["tokens_rejected"]),
           (["PUT", "GET", "GET", "GET", "PUT", "GET", "GET"], 1),
           "IMDS expired token: one 401, exactly one new PUT, then role and credentials",
           [(e["method"], e["path"]) for e in log])
    imds.control(token_ttl_cap=None, rotate=False, expires_in=6 * 3600)


def main():
    tap = testbed.Tap()
    tool = testbed.binary_from_argv(tap)
    testbed.require(tap, modules=("botocore", "boto3", "moto"), binary=tool)
    top = tempfile.mkdtemp(prefix="creds-oracle-", dir=os.environ.get("ECD_TEST_BUILDDIR"))
    table = []
    try:
        moto = testbed.Moto(top)
        imds = testbed.Fixture("fake_imds.py", "--require-v2")
        ecs = testbed.Fixture("fake_ecs.py", "--auth", "ecs-auth")
        oracle_rows(tap, tool, moto, imds, ecs, top, table)
        endpoint_rows(tap, tool, moto, top, table)
        refresh_checks(tap, tool, moto, ecs, imds, top)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    tap.diag("scenario | ecr-credd | agrees with botocore")
    for name, result, ok in table:
        tap.diag("%s | %s | %s" % (name, result, "yes" if ok else "NO"))
    tap.done()


if __name__ == "__main__":
    testbed.run_main(main)
