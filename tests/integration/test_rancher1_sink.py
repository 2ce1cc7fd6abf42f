#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The rancher1 sink (Rancher 1.6 / Cattle) and the env-only configuration, through
the real binary, against moto and tests/fixtures/fake_rancher1.py.

  existing       a registry (serverAddress spelled https://HOST/ in upper case) and
                 its credential: GET registries, GET its credentials, PUT the
                 credential (publicValue AWS, the token's password, the email)
  missing        no registry, auto_create off: failure, the message says what to do,
                 nothing created; with auto_create: registry and credential created
  several        two accounts (AWS_ECR_REGISTRY_IDS-style): both credentials set
  pages          registries over 3 pages of 1, links naming another host (a proxy):
                 followed, but sent to the configured server only
  busy           a credential in updating-active is waited for; two sinks updating
                 the same credential at once: the second gets 409 InvalidState, waits
                 and retries
  v2-beta        the /v2-beta/projects/<id> base
  errors         401 and 403 name the key and the action; an empty CATTLE_URL names
                 the agent labels; a bad URL; the server down (--once fails)
  daemon         server down at start, then back: the daemon retries and succeeds;
                 a second token fetch puts the password again (a credential changed
                 behind our back is restored)
  env            the old updater's variables only (no config file) give the same
                 requests and the same final state as the equivalent JSON file
  secrets        neither the password nor the Cattle secret key in any output
Usage: test_rancher1_sink.py /path/to/ecr-credd
"""

import json
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed as tb  # noqa: E402

FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                    "fake_rancher1.py")
ACCT, ACCT2 = tb.DEFAULT_ACCOUNT, "210987654321"
HOST, HOST2 = tb.ecr_host(ACCT), tb.ecr_host(ACCT2)
PW, PW2 = tb.password_for(ACCT), tb.password_for(ACCT2)
AK, SK = "ACCESSKEY1", "secret-one"
EMAIL = "not-really@required.anymore"


class FakeRancher:
    def __init__(self, workdir):
        self.errf = open(os.path.join(workdir, "fake-rancher.log"), "wb")
        self.proc = tb._track(subprocess.Popen([sys.executable, FAKE], stdout=subprocess.PIPE,
                                               stderr=self.errf, stdin=subprocess.DEVNULL))
        self.port = tb.wait_ready(self.proc, "fake_rancher1", 15.0)
        self.url = "http://127.0.0.1:%d" % self.port

    def _req(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def control(self, **knobs):
        return self._req("POST", "/_control", knobs)

    def reset(self, **knobs):
        self._req("POST", "/_reset", {})
        base = {"keys": {AK: SK}, "page_size": 100, "activate_delay": 0.3, "update_delay": 0.3,
                "forbid": [], "fail": None, "link_base": None, "down": False, "slow": 0,
                "conflict_puts": 0}
        base.update(knobs)
        self.control(**base)

    def seed(self, registries=(), credentials=()):
        return self._req("POST", "/_state", {"registries": list(registries),
                                             "credentials": list(credentials)})

    def set_secret(self, oid, value):
        self._req("POST", "/_state", {"set_secret": {"id": oid, "secretValue": value}})

    def state(self):
        return self._req("GET", "/_state")["objects"]

    def log(self):
        return self._req("GET", "/_log")

    def api_log(self):
        return [e for e in self.log() if e["path"].startswith(("/v1", "/v2-beta"))]

    def stop(self):
        tb.kill_proc(self.proc)
        self.errf.close()


def creds_of(state, kind="registryCredential"):
    return [o for o in state if o["type"] == kind]


def reqs(log):
    """method path?query for each API request."""
    return ["%s %s%s" % (e["method"], e["path"], "?" + e["query"] if e["query"] else "")
            for e in log]


def main():
    tap, binary = tb.start(modules=("moto",))
    with tb.workdir() as wd:
        moto = tb.Moto(wd, realistic_auth_errors=True)
        fake = FakeRancher(wd)
        daemon = tb.Daemon(binary, os.path.join(wd, "home"))
        n = [0]

        def config(sinks, registries=None, refresh=None):
            n[0] += 1
            return tb.write_daemon_config(os.path.join(wd, "c%d.json" % n[0]), sinks,
                                          refresh=refresh, registries=registries)

        def env(**kw):
            e = tb.aws_env(os.path.join(wd, "dc"), endpoint=moto.url,
                           CATTLE_ACCESS_KEY=AK, CATTLE_SECRET_KEY=SK)
            e.update(kw)
            return e

        def sink(**kw):
            s = {"type": "rancher1", "url": fake.url + "/v1"}
            s.update(kw)
            return s

        def once(cfg, **kw):
            return daemon.run(args=("--once", "--config", cfg), env=env(**kw))

        # existing ------------------------------------------------------------
        fake.reset()
        fake.seed([{"serverAddress": "HTTPS://" + HOST.upper() + "/"}],
                  [{"registryId": "1sp1", "publicValue": "AWS", "secretValue": "stale",
                    "email": "old@example.com"}])
        r = once(config([sink()]))
        tap.eq(r.rc, 0, "existing: exit 0", r.diag())
        log = fake.api_log()
        tap.eq(reqs(log), ["GET /v1/registries", "GET /v1/registryCredentials?registryId=1sp1",
                           "PUT /v1/registryCredentials/1rc1"],
               "existing: list registries, list its credentials, PUT the credential",
               json.dumps(log, indent=1))
        tap.eq(log[-1]["body"] if log else None,
               {"publicValue": "AWS", "secretValue": PW, "email": EMAIL},
               "existing: PUT body has only publicValue, secretValue, email")
        tap.ok(all(e["user"] == AK for e in log), "existing: every request with Basic auth as "
               "CATTLE_ACCESS_KEY")
        c = creds_of(fake.state())
        tap.eq([(x["secretValue"], x["publicValue"]) for x in c], [(PW, "AWS")],
               "existing: the credential holds the password")
        tap.ok(any(l.startswith("ecr-credd: info: sink rancher1-0: Rancher") and
                   "1 credential updated" in l for l in r.err.splitlines()),
               "existing: info line says 1 credential updated", r.err)

        # missing -------------------------------------------------------------
        fake.reset()
        fake.seed([{"serverAddress": "quay.io"}])
        r = once(config([sink()]))
        tap.ok(r.rc not in (0, "timeout"), "missing: non-zero exit without auto_create", r.diag())
        want = ("registry %s not found in Rancher; create it or set AUTO_CREATE=true" % HOST)
        tap.ok(any(want in l for l in r.error_lines()), "missing: error says '%s'" % want,
               r.diag())
        tap.ok(not [e for e in fake.api_log() if e["method"] != "GET"],
               "missing: nothing created without auto_create")
        fake.control(activate_delay=0.3)
        r = once(config([sink(auto_create=True)]))
        tap.eq(r.rc, 0, "auto_create: exit 0", r.diag())
        st = fake.state()
        regs = [o for o in st if o["type"] == "registry" and o["serverAddress"] == HOST]
        tap.eq(len(regs), 1, "auto_create: registry %s created" % HOST, json.dumps(st))
        c = [x for x in creds_of(st) if regs and x["registryId"] == regs[0]["id"]]
        tap.eq([(x["publicValue"], x["secretValue"], x["email"]) for x in c],
               [("AWS", PW, EMAIL)], "auto_create: its credential created with the password",
               json.dumps(st))
        posts = [e for e in fake.api_log() if e["method"] == "POST"]
        tap.eq([e["path"] for e in posts], ["/v1/registries", "/v1/registryCredentials"],
               "auto_create: POST registry then POST credential")
        if posts:
            tap.eq((posts[0]["body"] or {}).get("serverAddress"), HOST,
                   "auto_create: serverAddress is the bare host")

        # several hosts -------------------------------------------------------
        fake.reset()
        fake.seed([{"serverAddress": HOST}],
                  [{"registryId": "1sp1", "publicValue": "AWS", "secretValue": "stale",
                    "email": EMAIL}])
        cfg = config([sink(auto_create=True)],
                     registries=[{"region": "us-east-1", "registry_ids": [ACCT, ACCT2]}])
        r = once(cfg)
        tap.eq(r.rc, 0, "several: exit 0", r.diag())
        st = fake.state()
        by_host = {}
        for reg in (o for o in st if o["type"] == "registry"):
            for x in creds_of(st):
                if x["registryId"] == reg["id"]:
                    by_host[reg["serverAddress"]] = x["secretValue"]
        tap.eq(by_host, {HOST: PW, HOST2: PW2}, "several: each account's password in its "
               "registry's credential", json.dumps(st))

        fake.reset()
        fake.seed([{"serverAddress": HOST}],
                  [{"registryId": "1sp1", "publicValue": "AWS", "secretValue": "stale",
                    "email": EMAIL}])
        r = once(config([sink()], registries=[{"region": "us-east-1",
                                                "registry_ids": [ACCT2, ACCT]}]))
        tb.check_error(tap, r, "several, one missing", needles=(
            "registry %s not found in Rancher" % HOST2,))
        tap.eq([x["secretValue"] for x in creds_of(fake.state())], [PW],
               "several, one missing: the other host is still updated")

        # pages + links naming another host -----------------------------------
        fake.reset(page_size=1, link_base="http://rancher.invalid:8080")
        fake.seed([{"serverAddress": "quay.io"}, {"serverAddress": "ghcr.io"},
                   {"serverAddress": HOST}],
                  [{"registryId": "1sp3", "publicValue": "AWS", "secretValue": "stale",
                    "email": EMAIL}])
        r = once(config([sink()]))
        tap.eq(r.rc, 0, "pages: exit 0", r.diag())
        got = reqs(fake.api_log())
        tap.eq(got[:3], ["GET /v1/registries", "GET /v1/registries?marker=m1",
                         "GET /v1/registries?marker=m2"],
               "pages: three pages of registries followed", "\n".join(got))
        tap.eq(got[-1:], ["PUT /v1/registryCredentials/1rc1"],
               "pages: the link (naming rancher.invalid) was sent to the configured server")
        tap.eq([x["secretValue"] for x in creds_of(fake.state())], [PW], "pages: updated")

        # busy: a credential in updating-active, then two sinks at once --------
        fake.reset()
        fake.seed([{"serverAddress": HOST}],
                  [{"registryId": "1sp1", "publicValue": "AWS", "secretValue": "stale",
                    "email": EMAIL, "state": "updating-active", "hold_after_read": 1.2}])
        r = once(config([sink()]))
        tap.eq(r.rc, 0, "busy: exit 0 after waiting for updating-active", r.diag())
        log = fake.api_log()
        puts = [e for e in log if e["method"] == "PUT"]
        lists = [e for e in log if e["path"] == "/v1/registryCredentials"]
        gap = puts[0]["time"] - lists[0]["time"] if puts and lists else -1
        tap.ok(len(puts) == 1 and gap >= 1.1 and puts[0]["status"] == 200,
               "busy: one PUT, after the state settled (%.2f s after the listing)" % gap,
               json.dumps(log, indent=1))
        tap.ok(any(e["method"] == "GET" and e["path"] == "/v1/registryCredentials/1rc1"
                   for e in log), "busy: the credential was looked at again before the PUT")
        fake.reset(update_delay=0.8, conflict_puts=2)
        fake.seed([{"serverAddress": HOST}],
                  [{"registryId": "1sp1", "publicValue": "AWS", "secretValue": "stale",
                    "email": EMAIL}])
        r = once(config([sink()]))
        tap.eq(r.rc, 0, "409: exit 0 after two 409 InvalidState answers", r.diag())
        puts = [e for e in fake.api_log() if e["method"] == "PUT"]
        tap.eq([e["status"] for e in puts], [409, 409, 200],
               "409: PUT refused twice while updating-active, then accepted",
               json.dumps(puts, indent=1))
        tap.eq([x["secretValue"] for x in creds_of(fake.state())], [PW],
               "409: the password is in")
        fake.reset(update_delay=1.0)
        fake.seed([{"serverAddress": HOST}],
                  [{"registryId": "1sp1", "publicValue": "AWS", "secretValue": "stale",
                    "email": EMAIL}])
        r = once(config([sink(name="r-a"), sink(name="r-b")]))
        tap.eq(r.rc, 0, "two sinks on one credential at once: both succeed", r.diag())
        tap.eq([e["status"] for e in fake.api_log() if e["method"] == "PUT"][-1:], [200],
               "two sinks: the last PUT accepted")

        # v2-beta with a project ---------------------------------------------
        fake.reset()
        fake.seed([{"serverAddress": HOST}], [])
        r = once(config([sink(url=fake.url + "/v2-beta/projects/1a5/")]))
        tap.eq(r.rc, 0, "v2-beta: exit 0 (credential created)", r.diag())
        tap.eq(reqs(fake.api_log())[:1], ["GET /v2-beta/projects/1a5/registries"],
               "v2-beta: requests under /v2-beta/projects/1a5")

        # errors ---------------------------------------------------------------
        fake.reset()
        fake.seed([{"serverAddress": HOST}], [])
        r = once(config([sink()]), CATTLE_SECRET_KEY="wrong-secret")
        tb.check_error(tap, r, "401", needles=(
            'Rancher refused the API key "%s" (401 Unauthorized) trying to list registries' % AK,
            "check CATTLE_ACCESS_KEY and CATTLE_SECRET_KEY"))
        fake.reset(forbid=["POST registryCredential"])
        fake.seed([{"serverAddress": HOST}], [])
        r = once(config([sink()]))
        tb.check_error(tap, r, "403", needles=(
            'the API key "%s" may not create the credential of registry %s (403 Forbidden'
            % (AK, HOST),))
        fake.reset(fail={"count": 1, "status": 500})
        fake.seed([{"serverAddress": HOST}], [])
        r = once(config([sink()]))
        tb.check_error(tap, r, "500", needles=(
            "cannot list registries: %s/v1/registries answered 500: ServerError: injected "
            "failure" % fake.url,))
        r = once(config([{"type": "rancher1"}]), CATTLE_URL="")
        tb.check_error(tap, r, "empty CATTLE_URL", needles=(
            "CATTLE_URL is empty", "io.rancher.container.create_agent: 'true'",
            "io.rancher.container.agent.role: environment"))
        r = once(config([sink(url=fake.url + "/")]))
        tb.check_error(tap, r, "bad url", needles=("sinks[0].url", "ending in /v1 or /v2-beta"))
        r = once(config([{"type": "rancher1", "url": fake.url + "/v1", "auto_create": "yes"}]))
        tb.check_error(tap, r, "auto_create not a bool", needles=("sinks[0].auto_create",))
        fake.reset(down=True)
        r = once(config([sink()]))
        tb.check_error(tap, r, "server down", needles=("cannot list registries",
                                                       fake.url + "/v1/registries"))
        fake.reset()

        # daemon: down at start, then back; a second fetch puts the password again
        moto6 = tb.Moto(wd, expires_in=6)
        fake.reset(down=True)
        fake.seed([{"serverAddress": HOST}],
                  [{"registryId": "1sp1", "publicValue": "AWS", "secretValue": "stale",
                    "email": EMAIL}])
        cfg = config([sink()], refresh={"jitter": "0s", "retry_min": "1s", "retry_max": "2s"})
        e = env()
        e["AWS_ENDPOINT_URL_ECR"] = moto6.url
        bg = tb.spawn(daemon, args=("--config", cfg), env=e)
        failed = bg.wait_line(r"sink rancher1-0: cannot list registries", 15)
        tap.ok(failed is not None, "daemon: the first push fails while Rancher is down",
               bg.stderr())
        fake.control(down=False)
        ok = tb.wait_until(lambda: [x["secretValue"] for x in creds_of(fake.state())] == [PW],
                           15)
        tap.ok(ok, "daemon: once Rancher is back the credential is updated", bg.stderr())
        fake.set_secret("1rc1", "changed-behind-our-back")
        ok = tb.wait_until(lambda: [x["secretValue"] for x in creds_of(fake.state())] == [PW],
                           15)
        tap.ok(ok, "daemon: the next token fetch puts the password again", bg.stderr())
        puts = [x for x in fake.api_log() if x["method"] == "PUT" and x["status"] == 200]
        tap.ok(len(puts) >= 2, "daemon: %d successful PUTs over two fetches" % len(puts))
        res = bg.stop()
        tap.eq(res.rc, 0, "daemon: SIGTERM: exit 0", res.diag())
        moto6.stop()

        # cancel: SIGTERM while a request is in flight, and while waiting for a
        # busy credential: the push ends at once and the daemon exits 0.
        for label, knobs, seed_cred in (
                ("request in flight", {"slow": 20}, {}),
                ("waiting for updating-active", {}, {"state": "updating-active",
                                                     "hold_after_read": 60})):
            fake.reset(**knobs)
            fake.seed([{"serverAddress": HOST}],
                      [dict({"registryId": "1sp1", "publicValue": "AWS", "secretValue": "stale",
                             "email": EMAIL}, **seed_cred)])
            bg = tb.spawn(daemon, args=("--config", config([sink()])), env=env())
            want = "/v1/registries" if knobs else "/v1/registryCredentials/1rc1"
            seen = tb.wait_until(lambda: any(x["path"] == want for x in fake.log()), 40)
            tap.ok(seen, "cancel (%s): the daemon got there (%s)" % (label, want), bg.stderr())
            t0 = time.monotonic()
            res = bg.stop(timeout=10)
            tap.ok(res.rc == 0 and time.monotonic() - t0 < 5,
                   "cancel (%s): SIGTERM: exit 0 within 5 s (%.1f s)" %
                   (label, time.monotonic() - t0), res.diag())
        fake.reset()

        # env-only mode == the equivalent JSON file ------------------------------
        role = "arn:aws:iam::%s:role/ecr-reader" % ACCT
        old_vars = {"AWS_REGION": "us-east-1", "AWS_ECR_REGISTRY_IDS": "%s,%s" % (ACCT, ACCT2),
                    "AWS_ROLE_ARN": role, "AUTO_CREATE": "true",
                    "CATTLE_URL": fake.url + "/v1", "CATTLE_ACCESS_KEY": AK,
                    "CATTLE_SECRET_KEY": SK, "LISTEN_PORT": str(tb.free_port())}
        equivalent = {"registries": [{"region": "us-east-1", "registry_ids": [ACCT, ACCT2],
                                      "role_arn": role}],
                      "sinks": [{"type": "rancher1", "auto_create": True}],
                      "health": {"listen": "0.0.0.0:" + old_vars["LISTEN_PORT"]}}
        outcomes = []
        for label in ("env", "file"):
            fake.reset()
            fake.seed([{"serverAddress": "https://" + HOST}],
                      [{"registryId": "1sp1", "publicValue": "AWS", "secretValue": "stale",
                        "email": EMAIL}])
            moto.clear_log()
            e = tb.aws_env(os.path.join(wd, "dc-" + label), endpoint=moto.url, region=None)
            if label == "env":
                e.update(old_vars)
                r = daemon.run(args=("--once",), env=e)
            else:
                p = os.path.join(wd, "equivalent.json")
                cfgd = dict(equivalent)
                if "no health endpoint" in outcomes[0][3]:
                    del cfgd["health"]  # the env run ignored LISTEN_PORT: so does the file
                tb.write_file(p, json.dumps(cfgd))
                e.update({"CATTLE_URL": fake.url + "/v1", "CATTLE_ACCESS_KEY": AK,
                          "CATTLE_SECRET_KEY": SK})
                r = daemon.run(args=("--once", "--config", p), env=e)
            tap.eq(r.rc, 0, "env mode (%s): exit 0" % label, r.diag())
            log = [(x["method"], x["path"], x["query"], x["body"]) for x in fake.api_log()]
            st = [{k: v for k, v in o.items() if k != "created"} for o in fake.state()]
            targets = [x.get("X-Amz-Target") or
                       ("AssumeRole" if "Action=AssumeRole" in x.get("body", "") else "other")
                       for x in moto.log()]
            signers = [("Credential=%s/" % tb.EXAMPLE_AK) in x.get("Authorization", "")
                       for x in moto.log() if x.get("X-Amz-Target") == tb.ECR_TOKEN_TARGET]
            outcomes.append((log, st, targets, r.err, signers))
        if len(outcomes) == 2:
            tap.eq(outcomes[0][0], outcomes[1][0],
                   "env mode: the same Rancher requests as the equivalent file",
                   json.dumps(outcomes, indent=1))
            tap.eq(outcomes[0][1], outcomes[1][1], "env mode: the same final Rancher state")
            tap.ok(len(outcomes[0][0]) >= 5 and any(m == "POST" for m, _, _, _ in outcomes[0][0]),
                   "env mode: both hosts handled (one updated, one created)",
                   json.dumps(outcomes[0][0], indent=1))
            tap.eq(outcomes[0][2], outcomes[1][2], "env mode: the same AWS calls")
            tap.eq(outcomes[0][2], ["AssumeRole", tb.ECR_TOKEN_TARGET],
                   "env mode: AssumeRole into AWS_ROLE_ARN, then GetAuthorizationToken")
            tap.eq(outcomes[0][4], [False], "env mode: the token request is signed with the "
                   "role's credentials, not the base keys")
        r = daemon.run(args=("--once",), env=dict(tb.aws_env(os.path.join(wd, "dcx"),
                                                             endpoint=moto.url),
                                                  AUTO_CREATE="yes please",
                                                  CATTLE_URL=fake.url + "/v1"))
        tb.check_error(tap, r, "env mode: bad AUTO_CREATE", rc=2, needles=(
            "AUTO_CREATE: expected true or false, got 'yes please'",))
        r = daemon.run(args=("--once",), env=dict(tb.aws_env(os.path.join(wd, "dcx"),
                                                             endpoint=moto.url),
                                                  CATTLE_URL="", CATTLE_ACCESS_KEY=AK))
        tb.check_error(tap, r, "env mode: empty CATTLE_URL", needles=(
            "CATTLE_URL is empty", "io.rancher.container.agent.role: environment"))

        tb.check_no_secrets(tap, daemon.results, {
            "ECR password": PW, "second ECR password": PW2, "Cattle secret key": SK,
            "Basic header": __import__("base64").b64encode(("%s:%s" % (AK, SK)).encode())
            .decode()})
        fake.stop()
        moto.stop()
    return tap.done()


if __name__ == "__main__":
    tb.run_main(main)
