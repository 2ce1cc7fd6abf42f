#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The kubernetes sink, through the real binary, against moto and the fake
API server (tests/fixtures/fake_kube.py, HTTPS with the test CA).

--once: namespace selection (names, globs + exclude, label selector, the
context's namespace by default), the secret's shape, idempotence (no write
when nothing changed), a stale secret updated in place, a foreign same-name
secret left alone and reported (and taken over with take_over), ServiceAccount
imagePullSecrets appended without removing others, a 403 naming the missing
RBAC rule, a terminating namespace skipped quietly, the API server down, and
config errors.  Daemon: a new namespace gets its secret within seconds, a
deleted one comes back, an edited one is restored (and our own writes cause
no loop), a dropped watch and a 410 (compaction) are recovered, and pushes
fail while the API server is down and succeed once it is back.  Finally the
secret's .dockerconfigjson opens a real registry with skopeo (network
namespace, root and tools needed; skipped otherwise).
Usage: test_kube_sink.py /path/to/ecr-credd
"""

import base64
import json
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed as tb  # noqa: E402
from fake_kube import FakeKube  # noqa: E402

SK = tb.EXAMPLE_SK
ACCT, HOST = tb.DEFAULT_ACCOUNT, tb.DEFAULT_HOST
TOKEN = tb.token_for(ACCT)
MANAGED = "app.kubernetes.io/managed-by"
EXPIRES = "ecr-credd/expires-at"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
WRITES = ("POST", "PUT", "PATCH", "DELETE")
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def decode_cfg(sec):
    try:
        return json.loads(base64.b64decode(sec["data"][".dockerconfigjson"]))
    except (KeyError, TypeError, ValueError):
        return None


def main():
    tap, binary = tb.start(modules=("moto",), tools=("openssl",))

    with tb.workdir() as wd:
        pki = tb.make_pki(os.path.join(wd, "pki"))
        moto = tb.Moto(wd)
        fk = FakeKube(wd, pki)
        daemon = tb.Daemon(binary, os.path.join(wd, "home"))
        kc = fk.kubeconfig(os.path.join(wd, "kubeconfig"))
        env = tb.aws_env(os.path.join(wd, "dc"), endpoint=moto.url)
        n_cfg = [0]
        # Every request the daemons made, kept across log clears (for the RBAC check).
        all_requests = []

        def clear_log():
            all_requests.extend(fk.log(clear=True))
        fk.clear_log = clear_log

        for name, labels in (("team-a", {"env": "prod"}), ("team-b", {"env": "dev"}),
                             ("team-old", {"env": "prod"}), ("ops", None), ("kube-extra", None)):
            fk.create_namespace(name, labels)

        def config(refresh=None, **sink):
            n_cfg[0] += 1
            s = {"type": "kubernetes", "name": "k8s", "kubeconfig": kc}
            s.update(sink)
            return tb.write_daemon_config(os.path.join(wd, "c%d.json" % n_cfg[0]), [s],
                                          refresh=refresh)

        def once(*extra, **sink):
            return daemon.run(["--once", "--config", config(**sink)] + list(extra), env=env)

        def secret(ns, name):
            st, o = fk.get("/api/v1/namespaces/%s/secrets/%s" % (ns, name))
            return o if st == 200 else None

        def where(name):
            return sorted(ns for ns in ("default", "team-a", "team-b", "team-old", "ops",
                                        "kube-extra", "kube-system", "kube-public")
                      if secret(ns, name))

        def writes():
            return [e for e in fk.log() if e.get("method") in WRITES and
                    "/secrets" in e.get("path", "")]

        # 1. Selection, --once.
        r = once(secret="sel-names", namespaces=["ops", "team-b"])
        tb.check_exit(tap, r, 0, "names")
        tap.eq(where("sel-names"), ["ops", "team-b"], "names: secrets in exactly those namespaces")
        r = once(secret="sel-glob", namespaces=["team-*", "kube-*"],
                 exclude=["team-old", "kube-[sp]*"])
        tb.check_exit(tap, r, 0, "globs")
        tap.eq(where("sel-glob"), ["kube-extra", "team-a", "team-b"],
               "globs with exclusions: matching namespaces only")
        r = once(secret="sel-label", namespace_selector="env=prod", exclude=["team-old"])
        tb.check_exit(tap, r, 0, "label selector")
        tap.eq(where("sel-label"), ["team-a"], "label selector env=prod minus exclude: team-a")
        r = once(secret="sel-set", namespace_selector="env in (prod, dev), env!=dev")
        tap.eq(where("sel-set"), ["team-a", "team-old"], "label selector: in and != together")
        r = once(secret="sel-default")
        tb.check_exit(tap, r, 0, "default namespace")
        tap.eq(where("sel-default"), ["default"], "no namespaces key: the context's namespace")

        # 2. The secret itself.
        sec = secret("team-a", "sel-glob") or {}
        md = sec.get("metadata") or {}
        tap.eq(sec.get("type"), "kubernetes.io/dockerconfigjson", "secret: type")
        tap.eq((md.get("labels") or {}).get(MANAGED), "ecr-credd", "secret: managed-by label")
        tap.ok(RFC3339.match((md.get("annotations") or {}).get(EXPIRES, "")),
               "secret: expiry annotation in RFC 3339", json.dumps(md.get("annotations")))
        cfg = decode_cfg(sec) or {}
        entry = (cfg.get("auths") or {}).get(HOST) or {}
        tap.eq(entry.get("auth"), TOKEN, "secret: auth of the registry")
        tap.eq((entry.get("username"), entry.get("password")), ("AWS", tb.password_for(ACCT)),
               "secret: username and password")
        tap.eq(list((cfg.get("auths") or {})), [HOST], "secret: only the pushed registry")

        # 3. Idempotence and in-place update.
        fk.clear_log()
        r = once(secret="sel-glob", namespaces=["team-*", "kube-*"],
                 exclude=["team-old", "kube-[sp]*"])
        tb.check_exit(tap, r, 0, "second run")
        tap.eq(writes(), [], "second run: no write at all")
        tap.ok("3 unchanged" in r.err, "second run: reported unchanged", r.err)
        tap.ok(not [e for e in fk.log() if e.get("watch")], "--once: no watch request")
        stale = json.loads(json.dumps(secret("team-b", "sel-glob")))
        uid = stale["metadata"]["uid"]
        stale["data"][".dockerconfigjson"] = base64.b64encode(b'{"auths":{}}').decode()
        stale["metadata"].setdefault("labels", {})["team"] = "b"
        stale["metadata"].pop("resourceVersion")
        fk.request("PUT", "/api/v1/namespaces/team-b/secrets/sel-glob", stale)
        fk.clear_log()
        r = once(secret="sel-glob", namespaces=["team-b"])
        tb.check_exit(tap, r, 0, "stale secret")
        sec = secret("team-b", "sel-glob") or {}
        tap.eq(((decode_cfg(sec) or {}).get("auths") or {}).get(HOST, {}).get("auth"), TOKEN,
               "stale secret: data restored")
        tap.eq(sec.get("metadata", {}).get("uid"), uid, "stale secret: updated in place (same uid)")
        tap.eq(sec.get("metadata", {}).get("labels", {}).get("team"), "b",
               "stale secret: other labels kept")
        tap.eq([(e["method"], e.get("ctype")) for e in writes()],
               [("PATCH", "application/merge-patch+json")],
               "stale secret: one conditional merge patch, no delete")

        # 4. A foreign secret of the same name.
        fk.put_object({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                       "metadata": {"name": "shared", "namespace": "team-a"},
                       "data": {"x": "eQ=="}})
        fk.put_object({"apiVersion": "v1", "kind": "Secret",
                       "type": "kubernetes.io/dockerconfigjson",
                       "metadata": {"name": "shared", "namespace": "ops",
                                    "labels": {"owner": "helm"}},
                       "data": {".dockerconfigjson": base64.b64encode(b'{"auths":{}}').decode()}})
        fk.clear_log()
        r = once(secret="shared", namespaces=["team-a", "ops"])
        tb.check_exit(tap, r, 0, "foreign secrets")
        tap.eq(writes(), [], "foreign secrets: nothing written")
        tap.ok(re.search(r"warning: sink k8s: namespace team-a: secret shared left alone: it has "
                         r"another type", r.err), "foreign secrets: other type reported", r.err)
        tap.ok(re.search(r"warning: sink k8s: namespace ops: secret shared left alone: it is not "
                         r"labelled app.kubernetes.io/managed-by=ecr-credd", r.err),
               "foreign secrets: unlabelled one reported", r.err)
        tap.eq((secret("team-a", "shared") or {}).get("type"), "Opaque",
               "foreign secrets: the Opaque one unchanged")
        r = once(secret="shared", namespaces=["team-a", "ops"], take_over=True)
        tb.check_exit(tap, r, 0, "take_over")
        for ns in ("team-a", "ops"):
            sec = secret(ns, "shared") or {}
            tap.ok(sec.get("type") == "kubernetes.io/dockerconfigjson" and
                   (sec.get("metadata", {}).get("labels") or {}).get(MANAGED) == "ecr-credd" and
                   ((decode_cfg(sec) or {}).get("auths") or {}).get(HOST, {}).get("auth") == TOKEN,
                   "take_over: %s now holds ours" % ns, json.dumps(sec.get("metadata")))
        tap.eq((secret("ops", "shared") or {}).get("metadata", {}).get("labels", {}).get("owner"),
               "helm", "take_over: the patched secret keeps its other labels")

        # 5. ServiceAccounts: appended, others kept, idempotent.
        fk.put_object({"apiVersion": "v1", "kind": "ServiceAccount",
                       "metadata": {"name": "builder", "namespace": "team-a"},
                       "imagePullSecrets": [{"name": "other"}]})
        fk.put_object({"apiVersion": "v1", "kind": "ServiceAccount",
                       "metadata": {"name": "builder", "namespace": "team-b"}})
        r = once(secret="sa-pull", namespaces=["team-a", "team-b", "ops"],
                 service_accounts=["builder"])
        tb.check_exit(tap, r, 0, "service accounts")
        tap.ok("info: sink k8s: service account builder not found in namespace ops" in r.err,
               "service accounts: a namespace without the account is noted, not a failure",
               r.err)

        def pulls(ns):
            st, o = fk.get("/api/v1/namespaces/%s/serviceaccounts/builder" % ns)
            return [x.get("name") for x in (o.get("imagePullSecrets") or [])] if st == 200 else None
        tap.eq(pulls("team-a"), ["other", "sa-pull"], "service account: appended, other kept")
        tap.eq(pulls("team-b"), ["sa-pull"], "service account without the list: created")
        fk.clear_log()
        r = once(secret="sa-pull", namespaces=["team-a", "team-b"], service_accounts=["builder"])
        tap.eq([e for e in fk.log() if e.get("method") == "PATCH"], [],
               "service accounts: second run patches nothing")
        tap.eq(pulls("team-a"), ["other", "sa-pull"], "service accounts: still listed once")

        # 6. 403: the message names verb, resource, namespace and the RBAC rule.
        fk.deny(verb="create", resource="secrets", namespace="team-b")
        r = once(secret="rbac", namespaces=["team-a", "team-b"])
        tb.check_exit(tap, r, 1, "403")
        tap.ok("error: sink k8s: cannot create secrets in namespace team-b: forbidden (RBAC: the "
               "service account needs create on secrets" in r.err, "403: message names it", r.err)
        tap.ok(re.search(r"sink k8s: 1 of 2 namespaces failed: team-b", r.err),
               "403: summary names the namespace", r.err)
        tap.ok(secret("team-a", "rbac") is not None, "403: the other namespace got its secret")
        fk.clear_denies()
        fk.deny(verb="list", resource="namespaces")
        r = once(secret="rbac2", namespaces=["team-*"])
        tb.check_exit(tap, r, 1, "403 on list")
        tap.ok("cannot list namespaces: forbidden (RBAC: the service account needs list on "
               "namespaces at cluster scope" in r.err, "403 on list: message", r.err)
        fk.clear_denies()

        # 7. A namespace being deleted is skipped quietly.
        fk.create_namespace("going")
        fk.delete_namespace("going", hold=True)
        r = once(secret="term", namespaces=["going", "ops"])
        tb.check_exit(tap, r, 0, "terminating namespace")
        tap.ok("error" not in r.err and "warning" not in r.err,
               "terminating namespace: no error or warning", r.err)
        tap.ok(secret("ops", "term") is not None, "terminating namespace: others written")

        # 8. API server down (every connection reset), --once.
        fk.fail_next(count=None, status="reset")
        r = once(secret="down", namespaces=["team-*"])
        tb.check_exit(tap, r, 1, "API down")
        tap.ok(re.search(r"error: sink k8s: cannot list (namespaces|secrets): ", r.err),
               "API down: the failing request is named", r.err)
        fk.clear_faults()
        tap.ok(r.secs < 20, "API down: --once ends", "%.1fs" % r.secs)

        # 9. Config errors name the file and the path.
        for sink, needle in (
                ({"namespaces": ["Bad_NS"]}, "sinks[0].namespaces[0]: expected a namespace name"),
                ({"exclude": "kube-*"}, "sinks[0].exclude: expected an array"),
                ({"namespace_selector": "env in prod"}, "sinks[0].namespace_selector: at offset"),
                ({"concurrency": 0}, "sinks[0].concurrency: expected a whole number from 1"),
                ({"secret": "Not/A/Name"}, "sinks[0].secret: expected a secret name"),
                ({"service_accounts": [""]}, "sinks[0].service_accounts[0]: expected a service"),
                ({"leader_election": {"lease_duration": "1s"}},
                 "sinks[0].leader_election.lease_duration: expected a duration from 3s"),
                ({"in_cluster": True}, "sinks[0].in_cluster: true excludes"),
                ({"secrets": "x"}, "sinks[0].secrets: unknown key")):
            path = config(**sink)
            r = daemon.run(["--once", "--config", path], env=env)
            tb.check_error(tap, r, "config %s" % json.dumps(sink), (path + ": " + needle,), rc=2)

        # 9b. The example configuration passes --check (the kubeconfig from KUBECONFIG).
        example = os.path.join(SRC, "config", "kubernetes.conf.example")
        fk.clear_log()
        r = daemon.run(["--check", "--config", example], env=dict(env, KUBECONFIG=kc))
        tb.check_exit(tap, r, 0, "kubernetes.conf.example --check")
        tap.ok(re.search(r"^sink \S+: reachable, and a dry-run write was accepted$", r.out, re.M),
               "--check: the sink's dry run was accepted", r.diag())
        dry_writes = [e for e in fk.log() if e["method"] not in ("GET", "HEAD")]
        tap.ok(dry_writes and all("dryRun=All" in (e.get("query") or "") for e in dry_writes),
               "--check: every write was a server-side dry run (%d)" % len(dry_writes),
               json.dumps(dry_writes[:3]))
        verbs = sorted(set(e["method"] for e in dry_writes))
        for verb in ("create", "patch", "update"):
            fk.deny(verb=verb, resource="secrets")
        r = daemon.run(["--check", "--config", example], env=dict(env, KUBECONFIG=kc))
        tb.check_exit(tap, r, 2, "--check without RBAC to write secrets (it used %s)" % verbs)
        tap.ok("not usable" in r.out and "forbidden" in r.err.lower(),
               "--check names the missing permission", r.diag())
        fk.clear_denies()
        tap.ok("kubernetes secret ecr-pull in namespace * except kube-*, ecr-credd with labels "
               "ecr-pull != off, service accounts default, leader election on lease "
               "ecr-credd/ecr-credd" in r.out,
               "kubernetes.conf.example: described", r.diag())

        # 10. The daemon.
        refresh = {"retry_min": "1s", "retry_max": "2s"}
        dcfg = config(refresh=refresh, secret="live", namespaces=["live-*"],
                      service_accounts=["default"])
        for n in ("live-a", "live-b"):
            fk.create_namespace(n)
        # Short-lived tokens: a refresh, and so a push, every few seconds.
        moto.configure(expires_in=8)
        bg = tb.spawn(daemon, ["--config", dcfg], env=env)
        try:
            ok = tb.wait_until(lambda: secret("live-a", "live") and secret("live-b", "live"), 15)
            tap.ok(ok, "daemon: first push writes every selected namespace", bg.stderr())
            t0 = time.monotonic()
            fk.create_namespace("live-c")
            ok = tb.wait_until(lambda: secret("live-c", "live"), 10, 0.05)
            tap.ok(ok and time.monotonic() - t0 < 5, "daemon: a new namespace gets its secret "
                   "within seconds (%.2fs)" % (time.monotonic() - t0), bg.stderr())

            def sa_lists(ns):
                st, o = fk.get("/api/v1/namespaces/%s/serviceaccounts/default" % ns)
                return st == 200 and {"name": "live"} in (o.get("imagePullSecrets") or [])
            tap.ok(tb.wait_until(lambda: sa_lists("live-c"), 10),
                   "daemon: the new namespace's default service account lists it")
            fk.request("DELETE", "/api/v1/namespaces/live-a/secrets/live")
            t0 = time.monotonic()
            ok = tb.wait_until(lambda: secret("live-a", "live"), 10, 0.05)
            tap.ok(ok and time.monotonic() - t0 < 5, "daemon: a deleted secret comes back "
                   "(%.2fs)" % (time.monotonic() - t0), bg.stderr())
            sec = json.loads(json.dumps(secret("live-b", "live")))
            sec["data"][".dockerconfigjson"] = base64.b64encode(b'{"auths":{"x":{}}}').decode()
            sec["metadata"].pop("resourceVersion")
            fk.request("PUT", "/api/v1/namespaces/live-b/secrets/live", sec)
            t0 = time.monotonic()
            ok = tb.wait_until(lambda: ((decode_cfg(secret("live-b", "live") or {}) or {})
                                        .get("auths") or {}).get(HOST), 10, 0.05)
            tap.ok(ok and time.monotonic() - t0 < 5, "daemon: an edited secret is restored "
                   "(%.2fs)" % (time.monotonic() - t0), bg.stderr())
            time.sleep(0.5)
            fk.clear_log()
            time.sleep(3)
            tap.eq([(e["method"], e["path"]) for e in writes()], [],
                   "daemon: no writes while nothing changes (no loop on our own writes)")

            # A watch dropped mid-stream (RST), then a new namespace.
            n0 = bg.nlines()
            tap.ok(fk.drop_watches("rst").get("dropped", 0) >= 2, "fixture: watches dropped")
            fk.create_namespace("live-d")
            ok = tb.wait_until(lambda: secret("live-d", "live"), 10, 0.05)
            tap.ok(ok, "daemon: watch dropped mid-stream: resumed, new namespace served",
                   bg.stderr())
            # Compaction: the resume version is gone, the server answers 410.
            fk.compact()
            fk.drop_watches("fin")
            fk.create_namespace("live-e")
            ok = tb.wait_until(lambda: secret("live-e", "live"), 15, 0.05)
            tap.ok(ok, "daemon: 410 after compaction: listed again, new namespace served",
                   bg.stderr())
            tap.ok(bg.matching(r"resource version too old, listing again", n0),
                   "daemon: the 410 was seen and logged", bg.stderr())

            # API server down: pushes fail and are retried, then succeed.
            fk.create_namespace("live-f")
            time.sleep(0.5)
            n0 = bg.nlines()
            fk.fail_next(count=None, status="reset")
            fk.drop_watches("rst")
            fk.request("DELETE", "/api/v1/namespaces/live-f/secrets/live")
            ok = bg.wait_line(r"sink k8s: attempt \d+ failed", 20, n0)
            tap.ok(ok, "daemon: API down: the push fails and is retried", bg.stderr())
            fk.clear_faults()
            ok = tb.wait_until(lambda: secret("live-f", "live"), 20, 0.1)
            tap.ok(ok, "daemon: API back: the secret is written", bg.stderr())
            n0 = bg.nlines()
            ok = bg.wait_line(r"sink k8s: \d+ namespaces: ", 20, n0)
            tap.ok(ok, "daemon: API back: pushes succeed again", bg.stderr())
            r = bg.stop()
            tap.eq(r.rc, 0, "daemon: clean exit on SIGTERM", r.diag())
        finally:
            if bg.alive():
                bg.stop()
            moto.configure(expires_in=43200)

        # 10b. Plain names only (the namespaced RBAC variant): nothing cluster-wide is
        # read, and the daemon still restores a deleted secret.
        for n in ("lit-a", "lit-b"):
            fk.create_namespace(n)
        fk.clear_log()
        bg = tb.spawn(daemon, ["--config", config(secret="lit", namespaces=["lit-a", "lit-b"])],
                      env=env)
        try:
            ok = tb.wait_until(lambda: secret("lit-a", "lit") and secret("lit-b", "lit"), 15)
            tap.ok(ok, "plain names, daemon: both secrets written", bg.stderr())
            fk.request("DELETE", "/api/v1/namespaces/lit-b/secrets/lit")
            ok = tb.wait_until(lambda: secret("lit-b", "lit"), 10, 0.05)
            tap.ok(ok, "plain names, daemon: a deleted secret comes back", bg.stderr())
            r = bg.stop()
            tap.eq(r.rc, 0, "plain names, daemon: clean exit", r.diag())
        finally:
            if bg.alive():
                bg.stop()
        wide = sorted({e["path"] for e in fk.log() if e.get("path") in
                       ("/api/v1/namespaces", "/api/v1/secrets", "/api/v1/serviceaccounts")})
        tap.eq(wide, [], "plain names: no cluster-wide list or watch")

        # 11. The secret opens a real registry (skopeo), in a network namespace.
        registry_e2e(tap, binary, wd, pki)

        # 12. The cluster-wide RBAC manifest grants every verb the sink used above.
        rbac_covers(tap, all_requests + fk.log())

        tb.check_no_secrets(tap, daemon.results, {
            "secret key": SK, "token": TOKEN, "password": tb.password_for(ACCT),
            "kube token": fk.token})
        tb.stop_all(fk, moto)
    tap.done()


def verb_of(e):
    """(verb, resource) of a logged API request, as RBAC names them."""
    parts = e.get("path", "").strip("/").split("/")
    if parts[:2] != ["api", "v1"]:
        return None
    rest = parts[2:]
    if rest[:1] == ["namespaces"] and len(rest) >= 3:
        rest = rest[2:]  # namespaced: resource[/name]
    res, named = rest[0], len(rest) > 1
    m = e.get("method")
    verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(m)
    if m == "GET":
        verb = "watch" if e.get("watch") else ("get" if named else "list")
    return verb, res


def rbac_covers(tap, entries):
    try:
        import yaml
    except ImportError:
        tap.skip("RBAC manifest covers the requests", "python3-yaml missing")
        return
    with open(os.path.join(SRC, "config", "kubernetes", "rbac-cluster.yaml")) as f:
        docs = list(yaml.safe_load_all(f))
    granted = set()
    for d in docs:
        if d and d.get("kind") == "ClusterRole":
            for rule in d.get("rules", []):
                for res in rule.get("resources", []):
                    for v in rule.get("verbs", []):
                        granted.add((v, res))
    used = {verb_of(e) for e in entries if e.get("user") != "system:admin"} - {None}
    tap.ok(used and used <= granted, "rbac-cluster.yaml grants every verb used (%s)"
           % ", ".join("%s %s" % u for u in sorted(used)),
           "missing: %s" % sorted(used - granted))


def registry_e2e(tap, binary, wd, pki):
    need = [t for t in ("ip", "docker-registry", "skopeo", "umoci", "htpasswd")
            if not shutil.which(t)]
    if os.geteuid() != 0:
        need.append("root")
    if need:
        if os.environ.get("CI", "").lower() == "true":
            tap.ok(False, "registry e2e: missing %s" % ", ".join(need))
        else:
            tap.skip("registry e2e with skopeo", "missing %s" % ", ".join(need))
        return
    hosts = {HOST: "127.0.1.1"}
    skhome = os.path.join(wd, "skopeo-home")
    os.makedirs(skhome, exist_ok=True)
    with tb.Netns(hosts) as ns:
        moto = tb.Moto(wd, netns=ns)
        fk = FakeKube(wd, pki, netns=ns)
        reg = tb.Registry(ACCT, "127.0.1.1", pki, wd, ns)
        ref = "%s/team/tiny:1.0" % HOST
        p = tb.push_image(tb.build_tiny_image(wd), ref, ACCT, pki["certs_d"], ns, skhome)
        tap.eq(p.returncode, 0, "registry e2e: fixture image pushed", p.stderr + reg.log())
        d = tb.Daemon(binary, os.path.join(wd, "home-e2e"))
        kc = fk.kubeconfig(os.path.join(wd, "kubeconfig-e2e"))
        path = tb.write_daemon_config(os.path.join(wd, "e2e.json"), [
            {"type": "kubernetes", "kubeconfig": kc, "namespaces": ["default"]}])
        r = d.run(["--once", "--config", path],
                  env=tb.aws_env(os.path.join(wd, "dc-e2e"), endpoint=moto.url), netns=ns)
        tb.check_exit(tap, r, 0, "registry e2e: --once")
        st, sec = fk.get("/api/v1/namespaces/default/secrets/ecr-pull")
        authfile = os.path.join(wd, "from-secret.json")
        tb.write_file(authfile, base64.b64decode(sec["data"][".dockerconfigjson"]).decode()
                      if st == 200 else "{}", 0o600)
        p = tb.skopeo_inspect(ref, authfile, pki["certs_d"], ns, skhome)
        tap.eq(p.returncode, 0, "registry e2e: skopeo inspect with the secret's "
               ".dockerconfigjson succeeds", p.stderr)
        empty = os.path.join(wd, "empty-e2e.json")
        tb.write_file(empty, '{"auths":{}}')
        p = tb.skopeo_inspect(ref, empty, pki["certs_d"], ns, skhome)
        tap.ok(p.returncode != 0, "registry e2e: and fails without it", p.stderr)
        tb.stop_all(reg, fk, moto)


if __name__ == "__main__":
    tb.run_main(main)
