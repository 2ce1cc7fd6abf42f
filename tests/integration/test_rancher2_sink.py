#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The rancher2 sink, through the real binary, against moto (ECR) and
fake_rancher2.py (the Rancher v3 API over HTTPS with the test CA).

--once cases: a project-scoped dockerCredential is created, then updated in
place (same id and uuid, new password, never delete+create; every registry's
password resent); a namespacedDockerCredential; several ECR hosts in one
credential; a credential that holds other registries is refused (their
passwords are write-only); Rancher's per-namespace copy is never written;
401/403/404/422/500 answers give one error line naming the action and project;
the wrong CA gives a TLS error naming ca_file; bad config keys exit 2 naming
file and path; the API key from the environment; the example config loads.
Daemon cases: the API key file is re-read on every push (rotation), a password
changed behind our back is restored on the next refresh, and a server that is
down is retried until it is back.  The Secret Rancher would store
(/_fake/secret) is checked end to end: auth = base64(AWS:<ECR password>).
No secret (API key, ECR password, token) ever appears in any output.
Usage: test_rancher2_sink.py /path/to/ecr-credd
"""

import base64
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed as tb  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "fixtures", "fake_rancher2.py")
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
PROJECT = "c-abc12:p-xyz34"
OTHER_PROJECT = "local:p-qt6tq"
KEY1 = "token-abc12:s3cr3t-key-one-kxq9wv2bzt5hplm8nrdf6"
KEY2 = "token-def34:s3cr3t-key-two-gq7l2c9xwzv8mnb4rtp5y"
RO_KEY = "token-ro567:s3cr3t-read-only-9x8c7v6b5n4m3l2k1j"
NONE_KEY = "token-no890:s3cr3t-no-access-1q2w3e4r5t6y7u8i9o"
ACCT, HOST = tb.DEFAULT_ACCOUNT, tb.DEFAULT_HOST
ACCT2 = "210987654321"
HOST2 = tb.ecr_host(ACCT2)
HOST3 = tb.ecr_host(ACCT, "eu-west-1")
TOKEN = tb.token_for(ACCT)
FAST = {"jitter": "0s", "retry_min": "1s", "retry_max": "3s"}


class FakeRancher:
    def __init__(self, wd, pki):
        self.logpath = os.path.join(wd, "fake-rancher.log")
        self.logf = open(self.logpath, "wb")
        cmd = [sys.executable, FAKE, "--cert", pki["cert"], "--key", pki["key"],
               "--project", PROJECT + "=team-a,team-b", "--project", OTHER_PROJECT + "=",
               "--token", KEY1, "--token", RO_KEY + "=read-only",
               "--token", NONE_KEY + "=none"]
        self.proc = tb._track(subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                               stdout=subprocess.PIPE, stderr=self.logf))
        self.port = tb.wait_ready(self.proc, "fake_rancher2", 15.0,
                                  lambda: tb._tail(self.logpath, 4000))
        self.url = "https://127.0.0.1:%d" % self.port
        self.ctx = ssl.create_default_context(cafile=pki["ca"])

    def _http(self, method, path, obj=None):
        data = json.dumps(obj).encode() if obj is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10, context=self.ctx) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def control(self, **knobs):
        return self._http("POST", "/_control", knobs)[1]

    def log(self, clear=False):
        return self._http("GET", "/_log" + ("?clear=1" if clear else ""))[1]

    def state(self):
        return self._http("GET", "/_fake/state")[1]

    def secret(self, ns, name):
        st, obj = self._http("GET", "/_fake/secret/%s/%s" % (ns, name))
        if st != 200:
            return None
        return json.loads(base64.b64decode(obj["data"][".dockerconfigjson"]))

    def seed(self, **spec):
        return self._http("POST", "/_fake/seed", spec)

    def tamper(self, cid, host, password):
        return self._http("POST", "/_fake/tamper", {"id": cid, "host": host,
                                                    "password": password})

    def stop(self):
        tb.kill_proc(self.proc)
        self.logf.close()


def sink(fake, pki, tokfile, **kw):
    s = {"type": "rancher2", "name": "r2", "url": fake.url, "token_file": tokfile,
         "ca_file": pki["ca"], "project": PROJECT}
    s.update(kw)
    return {k: v for k, v in s.items() if v is not None}


def entry_ok(auths, host, account):
    """The dockerconfigjson entry for host carries account's ECR password."""
    e = (auths or {}).get("auths", {}).get(host) or {}
    pw = tb.password_for(account)
    return (e.get("username") == "AWS" and e.get("password") == pw and
            e.get("auth") == base64.b64encode(("AWS:" + pw).encode()).decode())


def main():
    tap, binary = tb.start(modules=("moto",))
    with tb.workdir() as wd:
        pki = tb.make_pki(os.path.join(wd, "pki"))
        moto = tb.Moto(wd)
        fake = FakeRancher(wd, pki)
        daemon = tb.Daemon(binary, os.path.join(wd, "home"))
        tokfile = os.path.join(wd, "rancher-token")
        tb.write_file(tokfile, KEY1 + "\n", 0o600)
        counter = [0]

        def run_once(sinks, registries=None, env=None, args=("--once",)):
            counter[0] += 1
            cfg = tb.write_daemon_config(os.path.join(wd, "cfg%d.json" % counter[0]), sinks,
                                         registries=registries)
            e = tb.aws_env(os.path.join(wd, "unused-docker"), endpoint=moto.url)
            e.update(env or {})
            return daemon.run(list(args) + ["--config", cfg], env=e)

        pid_ns = PROJECT.split(":")[1]

        # 1. Project-scoped: created, with its Secret, and copied into the namespaces.
        fake.log(clear=True)
        r = run_once([sink(fake, pki, tokfile)])
        tb.check_exit(tap, r, 0, "create")
        st = fake.state()
        cred = st["creds"].get(pid_ns + ":ecr-pull")
        tap.ok(cred is not None and cred["kind"] == "project",
               "create: dockerCredential %s:ecr-pull exists" % pid_ns, json.dumps(st)[:2000])
        tap.ok(entry_ok(fake.secret(pid_ns, "ecr-pull"), HOST, ACCT),
               "create: the project's Secret holds AWS:<ECR password> (auth recomputed)",
               json.dumps(fake.secret(pid_ns, "ecr-pull")))
        tap.ok(entry_ok(fake.secret("team-a", "ecr-pull"), HOST, ACCT),
               "create: Rancher's copy in namespace team-a carries it too")
        tap.ok(cred and cred["labels"].get("app.kubernetes.io/managed-by") == "ecr-credd",
               "create: labelled app.kubernetes.io/managed-by=ecr-credd")
        log = fake.log(clear=True)
        tap.eq([(e["method"], e["path"]) for e in log],
               [("GET", "/v3/projects/" + PROJECT),
                ("GET", "/v3/projects/%s/dockercredentials" % PROJECT),
                ("POST", "/v3/projects/%s/dockercredentials" % PROJECT)],
               "create: GET project, GET collection, POST")
        tap.ok(log and log[1]["query"].get("name") == "ecr-pull",
               "create: the collection is filtered by name", json.dumps(log))
        tap.ok(all(e.get("auth") == "bearer" and e.get("key") == KEY1.split(":")[0]
                   for e in log), "create: every request carries the API key as a Bearer token")
        tap.ok(re.search(r"sink r2: created dockerCredential ecr-pull in project %s "
                         r"\(id %s:ecr-pull, 1 registry\)" % (PROJECT, pid_ns), r.err),
               "create: the log line says what was created", r.diag())
        uid = cred["uuid"] if cred else None

        # 2. Update in place: a stale password is replaced, same id and uuid, one PUT.
        fake.tamper(pid_ns + ":ecr-pull", HOST, "stale-password")
        r = run_once([sink(fake, pki, tokfile)])
        tb.check_exit(tap, r, 0, "update")
        st = fake.state()
        cred = st["creds"].get(pid_ns + ":ecr-pull") or {}
        tap.eq(cred.get("uuid"), uid, "update: the same object (uuid kept)")
        tap.eq([o["op"] for o in st["ops"]], ["create", "update"],
               "update: updated in place, never deleted and re-created")
        tap.ok(entry_ok(fake.secret(pid_ns, "ecr-pull"), HOST, ACCT),
               "update: the stale password is replaced")
        log = fake.log(clear=True)
        puts = [e for e in log if e["method"] == "PUT"]
        tap.ok(len(puts) == 1 and puts[0]["path"] ==
               "/v3/project/%s/dockercredentials/%s:ecr-pull" % (PROJECT, pid_ns),
               "update: one PUT to the credential's own link", json.dumps(log))
        tap.ok(puts and puts[0].get("registries_with_password") == puts[0].get("registries_sent")
               == [HOST], "update: every registry's password is resent (write-only fields)",
               json.dumps(puts))
        tap.ok(not [e for e in log if e["method"] in ("POST", "DELETE")],
               "update: no POST or DELETE")

        # 3. Several ECR hosts in one credential (two accounts, two regions).
        regs = [{"region": "us-east-1", "registry_ids": [ACCT, ACCT2]},
                {"region": "eu-west-1"}]
        r = run_once([sink(fake, pki, tokfile, credential="ecr-multi")], registries=regs)
        tb.check_exit(tap, r, 0, "three hosts")
        sec = fake.secret(pid_ns, "ecr-multi")
        tap.eq(sorted((sec or {}).get("auths", {})), sorted([HOST, HOST2, HOST3]),
               "three hosts: all in one credential", json.dumps(sec))
        tap.ok(entry_ok(sec, HOST, ACCT) and entry_ok(sec, HOST2, ACCT2) and
               entry_ok(sec, HOST3, ACCT), "three hosts: each with its own password")
        # Dropping a registry from the config drops it from a credential we manage.
        r = run_once([sink(fake, pki, tokfile, credential="ecr-multi")],
                     registries=[{"region": "us-east-1", "registry_ids": [ACCT, ACCT2]}])
        sec = fake.secret(pid_ns, "ecr-multi")
        tap.eq(sorted((sec or {}).get("auths", {})), sorted([HOST, HOST2]),
               "three hosts: a registry no longer configured is dropped (ours to manage)",
               r.diag())

        # 4. Namespaced credential in team-b; the project-scoped copies stay untouched.
        fake.log(clear=True)
        r = run_once([sink(fake, pki, tokfile, namespace="team-b", credential="ecr-ns")])
        tb.check_exit(tap, r, 0, "namespaced")
        st = fake.state()
        ns_cred = st["creds"].get("team-b:ecr-ns") or {}
        tap.eq(ns_cred.get("kind"), "namespaced", "namespaced: namespacedDockerCredential "
               "team-b:ecr-ns created", json.dumps(st)[:2000])
        tap.ok(entry_ok(fake.secret("team-b", "ecr-ns"), HOST, ACCT),
               "namespaced: its Secret holds the password")
        tap.eq(fake.secret("team-a", "ecr-ns"), None, "namespaced: not in another namespace")
        log = fake.log(clear=True)
        tap.ok(log and log[1]["path"].endswith("/namespaceddockercredentials") and
               log[1]["query"].get("namespaceId") == "team-b",
               "namespaced: listed with name and namespaceId filters", json.dumps(log))
        r = run_once([sink(fake, pki, tokfile, namespace="team-b", credential="ecr-ns")])
        st = fake.state()
        tap.ok(r.rc == 0 and [o["op"] for o in st["ops"] if o["id"] == "team-b:ecr-ns"] ==
               ["create", "update"], "namespaced: second run updates in place", r.diag())

        # 5. The name of a project-scoped credential in a namespace: that is Rancher's
        #    copy, never written.
        fake.log(clear=True)
        r = run_once([sink(fake, pki, tokfile, namespace="team-a")])
        tb.check_error(tap, r, "copy", ["Rancher's copy", "team-a/ecr-pull", PROJECT], rc=1)
        tap.eq(fake.state()["copy_writes"], 0, "copy: never written")
        tap.ok(not [e for e in fake.log() if e["method"] != "GET"], "copy: only GETs")

        # 6. A credential that also holds someone else's registry is left alone.
        fake.seed(project=PROJECT, name="shared",
                  registries={HOST: {"username": "AWS", "password": "old"},
                              "quay.io": {"username": "bob", "password": "quay-pw"}})
        fake.log(clear=True)
        r = run_once([sink(fake, pki, tokfile, credential="shared")])
        tb.check_error(tap, r, "foreign", ["quay.io", "write-only", "credential of its own"],
                       rc=1)
        tap.ok(not [e for e in fake.log() if e["method"] != "GET"], "foreign: nothing written")
        tap.eq((fake.secret(pid_ns, "shared") or {}).get("auths", {}).get("quay.io", {})
               .get("password"), "quay-pw", "foreign: the other registry's password is intact")
        # One that holds only our registry (made by hand in the UI) is adopted.
        fake.seed(project=PROJECT, name="by-hand",
                  registries={HOST: {"username": "AWS", "password": "old"}})
        r = run_once([sink(fake, pki, tokfile, credential="by-hand")])
        cred = fake.state()["creds"].get(pid_ns + ":by-hand") or {}
        tap.ok(r.rc == 0 and entry_ok(fake.secret(pid_ns, "by-hand"), HOST, ACCT) and
               cred.get("labels", {}).get("app.kubernetes.io/managed-by") == "ecr-credd",
               "adopt: a hand-made credential with only our registry is updated and labelled",
               r.diag())

        # 7. Errors: one line each, naming the action, the project and Rancher's words.
        bad = os.path.join(wd, "bad-token")
        tb.write_file(bad, "token-abc12:wrong-secret\n", 0o600)
        r = run_once([sink(fake, pki, bad)])
        tb.check_error(tap, r, "401", ["401 Unauthorized: must authenticate", bad,
                                       "reading project " + PROJECT], rc=1)
        ro = os.path.join(wd, "ro-token")
        tb.write_file(ro, RO_KEY, 0o600)
        r = run_once([sink(fake, pki, ro, credential="ro-new")])
        tb.check_error(tap, r, "403 write", ["403 PermissionDenied",
                                             "creating dockerCredential ro-new in project "
                                             + PROJECT, "needs a role in project " + PROJECT], rc=1)
        no = os.path.join(wd, "no-token")
        tb.write_file(no, NONE_KEY, 0o600)
        r = run_once([sink(fake, pki, no)])
        tb.check_error(tap, r, "403 project", ["403 Forbidden", "reading project " + PROJECT],
                       rc=1)
        r = run_once([sink(fake, pki, tokfile, project="c-abc12:p-nope")])
        tb.check_error(tap, r, "404", ["project c-abc12:p-nope not found", "404 NotFound"],
                       rc=1)
        r = run_once([sink(fake, pki, tokfile, namespace="team-z")])
        tb.check_error(tap, r, "422", ["422 InvalidBodyContent",
                                       "namespace team-z is not in project " + PROJECT,
                                       "creating namespacedDockerCredential team-z/ecr-pull"],
                       rc=1)
        fake.control(fail_status=500, fail_count=1)
        r = run_once([sink(fake, pki, tokfile)])
        tb.check_error(tap, r, "500", ["Rancher answered 500", "injected failure"], rc=1)
        r = run_once([sink(fake, pki, tokfile, ca_file=pki["wrong_ca"])])
        errs = tb.check_error(tap, r, "wrong CA", ["cannot reach Rancher", "ca_file"], rc=1)
        tap.ok(any(re.search(r"certificate|SSL|issuer", l) for l in errs),
               "wrong CA: the error is about the certificate", r.diag())
        r = run_once([sink(fake, pki, tokfile, ca_file=None)])
        tb.check_error(tap, r, "system CAs", ["cannot reach Rancher", "set ca_file"], rc=1)
        r = run_once([sink(fake, pki, os.path.join(wd, "missing-token"))])
        tb.check_error(tap, r, "no token file", ["missing-token", "No such file"], rc=1)
        tb.write_file(os.path.join(wd, "junk-token"), "just-a-word\n", 0o600)
        r = run_once([sink(fake, pki, os.path.join(wd, "junk-token"))])
        tb.check_error(tap, r, "junk token file", ["token-xxxxx:secret", "junk-token"], rc=1)

        # 8. The API key from the environment (token_env; default RANCHER_TOKEN).
        r = run_once([sink(fake, pki, None)], env={"RANCHER_TOKEN": KEY1})
        tb.check_exit(tap, r, 0, "RANCHER_TOKEN")
        r = run_once([sink(fake, pki, None, token_env="MY_KEY")], env={"MY_KEY": KEY1})
        tb.check_exit(tap, r, 0, "token_env MY_KEY")
        r = run_once([sink(fake, pki, None)])
        tb.check_error(tap, r, "RANCHER_TOKEN unset", ["RANCHER_TOKEN is not set"], rc=1)

        # 9. Config errors: exit 2, file and JSON path named, no request made.
        fake.log(clear=True)
        for label, kw, needles in (
                ("project id", {"project": "p-xyz34"},
                 ["sinks[0].project", "<cluster>:<project>", '"p-xyz34"']),
                ("plain http", {"url": "http://127.0.0.1:1"}, ["sinks[0].url", "https://"]),
                ("both token keys", {"token_env": "X"}, ["sinks[0].token_env", "not both"]),
                ("credential name", {"credential": "ECR Pull"}, ["sinks[0].credential"]),
                ("namespace", {"namespace": "Team_A"}, ["sinks[0].namespace"]),
                ("unknown key", {"projet": "x"}, ["sinks[0].projet", "unknown key"]),
                ("ca_file", {"ca_file": "/nonexistent/ca.pem"},
                 ["sinks[0].ca_file", "/nonexistent/ca.pem"])):
            r = run_once([sink(fake, pki, tokfile, **kw)])
            errs = tb.check_error(tap, r, "config " + label, needles, rc=2)
            tap.ok(any("cfg" in l and ".json" in l for l in errs),
                   "config %s: the error names the file" % label, r.diag())
        tap.eq(fake.log(), [], "config errors: no request reached Rancher")

        # 10. The shipped example passes --check, pointed at the fake (--check's dry run
        # reaches the server: read-only requests, nothing written).
        ex = os.path.join(SRC, "config", "rancher", "rancher2", "ecr-credd.json")

        def at_fake(text):
            doc = json.loads(text)
            for s in doc["sinks"]:
                s.update({"url": fake.url, "token_file": tokfile, "ca_file": pki["ca"],
                          "project": PROJECT})
            return json.dumps(doc)

        exf = os.path.join(wd, "example-at-fake.json")
        with open(ex) as f:
            tb.write_file(exf, at_fake(f.read()))
        fake.log()
        r = daemon.run(["--check", "--config", exf],
                       env=tb.aws_env(os.path.join(wd, "unused-docker"), endpoint=moto.url))
        tap.eq(r.rc, 0, "example: %s passes --check" % os.path.relpath(ex, SRC), r.diag())
        tap.ok("rancher2 https://" in r.out + r.err, "example: --check describes the sink",
               r.diag())
        tap.ok("sink rancher: reachable" in r.out, "example: --check's dry run reached Rancher",
               r.diag())
        writes = [e for e in fake.log() if e.get("method") not in ("GET", "HEAD")]
        tap.eq(writes, [], "example: --check wrote nothing")
        # The ConfigMap of deployment.yaml carries the same plus the health listener.
        try:
            import yaml
            with open(os.path.join(os.path.dirname(ex), "deployment.yaml")) as f:
                docs = [d for d in yaml.safe_load_all(f) if d]
            cm = [d for d in docs if d.get("kind") == "ConfigMap"][0]["data"]["config.json"]
        except (ImportError, OSError, ValueError, LookupError, AttributeError) as x:
            cm = None
            tap.ok(False, "example: deployment.yaml has a ConfigMap with config.json", str(x))
        if cm is not None:
            cmf = os.path.join(wd, "configmap.json")
            tb.write_file(cmf, at_fake(cm))
            r = daemon.run(["--check", "--config", cmf],
                           env=tb.aws_env(os.path.join(wd, "unused-docker"),
                                          endpoint=moto.url))
            if r.rc == 2 and "health" in r.err and ("support" in r.err or
                                                    "unknown key" in r.err):
                tap.skip("example: the ConfigMap's config passes --check",
                         "this build has no health listener")
            else:
                tap.eq(r.rc, 0, "example: the ConfigMap's config passes --check", r.diag())
            with open(ex) as f:
                same = json.load(f)
            got = json.loads(cm)
            got.pop("health", None)
            tap.eq(got, same, "example: the ConfigMap is ecr-credd.json plus health")

        # Daemon mode: 6 s tokens, so a refresh (and a push) every ~3 s.
        moto6 = tb.Moto(wd, expires_in=6)

        def start_daemon(name, sinks):
            cfg = tb.write_daemon_config(os.path.join(wd, name + ".json"), sinks, refresh=FAST)
            e = tb.aws_env(os.path.join(wd, "unused-docker"), endpoint=moto6.url)
            return tb.spawn(daemon, ["--config", cfg], env=e)

        def stop(bg, what):
            res = bg.stop()
            tap.eq(res.rc, 0, "%s: SIGTERM: exit 0" % what, res.diag())
            return res

        # 11. API key rotation: the file is read on every push.
        rot = os.path.join(wd, "rot-token")
        tb.write_file(rot, KEY1 + "\n", 0o600)
        fake.log(clear=True)
        bg = start_daemon("rotation", [sink(fake, pki, rot, credential="rot")])
        tap.ok(bg.wait_line(r"sink r2: (created|updated)", 10), "rotation: first push",
               bg.stderr())
        # Rancher revokes key 1 and issues key 2; the file still holds key 1.
        fake.control(tokens={KEY2.split(":")[0]: {"secret": KEY2.split(":")[1],
                                                  "perm": "owner"}})
        n = bg.nlines()
        tap.ok(bg.wait_line(r"401 Unauthorized", 10, since=n),
               "rotation: the revoked key is refused (401, logged)", bg.stderr())
        tap.ok(bg.wait_line(r"sink r2: attempt \d+ failed; next attempt in", 5, since=n),
               "rotation: the core retries the failed push", bg.stderr())
        tb.write_file(rot, KEY2 + "\n", 0o600)
        n = bg.nlines()
        tap.ok(bg.wait_line(r"sink r2: updated", 10, since=n),
               "rotation: the new key in the file is used without a restart", bg.stderr())
        used = [e.get("key") for e in fake.log() if e.get("key")]
        tap.ok(used and used[-1] == KEY2.split(":")[0] and KEY1.split(":")[0] in used,
               "rotation: key 1, then key 2 (fake's request log)", json.dumps(used))
        # Key 1 back too, for the cases below (the rotating daemon keeps key 2).
        fake.control(tokens={KEY1.split(":")[0]: {"secret": KEY1.split(":")[1],
                                                  "perm": "owner"},
                             KEY2.split(":")[0]: {"secret": KEY2.split(":")[1],
                                                  "perm": "owner"}})

        # 12. ECR token refresh: a password changed behind our back (what a rotated ECR
        #     token looks like to Rancher: moto's passwords are fixed per account) is
        #     replaced by the next refresh, in place.
        fake.tamper(pid_ns + ":rot", HOST, "rotated-away")
        tap.ok(tb.wait_until(lambda: entry_ok(fake.secret(pid_ns, "rot"), HOST, ACCT), 10),
               "refresh: the next push restores the current ECR password", bg.stderr())
        ops = [o["op"] for o in fake.state()["ops"] if o["id"] == pid_ns + ":rot"]
        tap.ok(ops[0] == "create" and set(ops[1:]) == {"update"} and len(ops) >= 3,
               "refresh: one create, then only updates (%d)" % len(ops), json.dumps(ops))
        stop(bg, "rotation")

        # 13. Server down at start, then back: the daemon retries and succeeds.
        fake.control(down=True)
        bg = start_daemon("down", [sink(fake, pki, tokfile, credential="after-outage")])
        tap.ok(bg.wait_line(r"cannot reach Rancher at .* while reading project", 10),
               "down: the failure is logged", bg.stderr())
        tap.ok(bg.wait_line(r"sink r2: attempt 2 failed", 10), "down: retried", bg.stderr())
        n = bg.nlines()
        fake.control(down=False)
        tap.ok(bg.wait_line(r"sink r2: created dockerCredential after-outage", 10, since=n),
               "down: created once the server is back", bg.stderr())
        tap.ok(entry_ok(fake.secret(pid_ns, "after-outage"), HOST, ACCT),
               "down: the Secret holds the password")
        stop(bg, "down")

        # 14. SIGTERM with a request in flight: cancelled, exit 0 at once.
        fake.control(slow=8)
        fake.log(clear=True)
        bg = start_daemon("cancel", [sink(fake, pki, tokfile, credential="cancel")])
        tap.ok(tb.wait_until(lambda: fake.log(), 10), "cancel: a request is in flight")
        t0 = time.monotonic()
        res = stop(bg, "cancel")
        took = time.monotonic() - t0
        tap.ok(took < 4, "cancel: exit within 4 s while Rancher takes 8 s (%.2fs)" % took)
        tap.ok("handles still open" not in res.err, "cancel: no handle left open", res.diag())
        fake.control(slow=0)

        # 15. End to end (optional: needs root and the registry tools): skopeo reads an
        #     image from a registry that wants AWS:<ECR password>, with the Secret Rancher
        #     would store for the credential, as a kubelet would.
        e2e_tools = ("ip", "docker-registry", "skopeo", "umoci", "htpasswd")
        missing = [t for t in e2e_tools if not shutil.which(t)]
        if missing or os.geteuid() != 0:
            tap.skip("e2e: skopeo pulls with the credential's Secret",
                     "needs root and " + ", ".join(e2e_tools))
        else:
            with tb.Netns({HOST: "127.0.1.1"}) as ns:
                reg = tb.Registry(ACCT, "127.0.1.1", pki, wd, ns)
                skhome = os.path.join(wd, "skopeo-home")
                os.makedirs(skhome)
                ref = "%s/team/tiny:1.0" % HOST
                p = tb.push_image(tb.build_tiny_image(wd), ref, ACCT, pki["certs_d"], ns, skhome)
                tap.eq(p.returncode, 0, "e2e: fixture push", p.stderr + reg.log())
                for ns_name in (pid_ns, "team-a"):
                    authfile = os.path.join(wd, "secret-%s.json" % ns_name)
                    tb.write_file(authfile, json.dumps(fake.secret(ns_name, "ecr-pull")), 0o600)
                    p = tb.skopeo_inspect(ref, authfile, pki["certs_d"], ns, skhome)
                    tap.eq(p.returncode, 0, "e2e: skopeo inspect with the Secret in namespace "
                           "%s succeeds" % ns_name, p.stderr)
                tb.write_file(authfile, json.dumps({"auths": {HOST: {
                    "auth": base64.b64encode(b"AWS:stale-password").decode()}}}), 0o600)
                p = tb.skopeo_inspect(ref, authfile, pki["certs_d"], ns, skhome)
                tap.ok(p.returncode != 0 and "unauthorized" in p.stderr.lower(),
                       "e2e: fixture: a stale password is refused", p.stderr)
                reg.stop()

        # 16. No secret anywhere in the output.
        secrets = {"API key 1": KEY1.split(":")[1], "API key 2": KEY2.split(":")[1],
                   "read-only key": RO_KEY.split(":")[1], "no-access key": NONE_KEY.split(":")[1],
                   "ECR token": TOKEN, "ECR password": tb.password_for(ACCT),
                   "ECR password 2": tb.password_for(ACCT2), "AWS secret": tb.EXAMPLE_SK}
        tb.check_no_secrets(tap, daemon.results, secrets)
        tap.eq(fake.state()["copy_writes"], 0, "Rancher's copies were never written")
        fake.stop()
        moto.stop()
        moto6.stop()
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
