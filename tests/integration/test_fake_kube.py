#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/fixtures/fake_kube.py proven with the real kubectl (and raw HTTPS).

The Kubernetes sink tests and benchmarks run against this fake, so it must
behave like the API server where the sink relies on it: discovery and OpenAPI
for kubectl, kubectl create (protobuf bodies), client-side apply, server-side
apply (create 201 / update 200 / no-op / conflicts / immutable type), PUT optimistic concurrency, Secret validation, terminating
namespaces, RBAC denials, list paging and selectors, watches (events, selector
transitions, bookmarks, 410 after compaction, dropped streams), token rotation,
client-certificate auth, JSON patch on ServiceAccount imagePullSecrets, fault
injection (429 + Retry-After), keep-alive.  kubectl runs with a throw-away
KUBECONFIG and --cache-dir.  Also times one `kubectl apply --server-side` of
1000 objects and a 32-connection raw load (reported as diagnostics only).
Usage: test_fake_kube.py [ignored]
"""

import base64
import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed as tb  # noqa: E402
import fake_kube  # noqa: E402

KUBECTL = "kubectl"


def dcj(password, host="123456789012.dkr.ecr.us-east-1.amazonaws.com"):
    auth = base64.b64encode(("AWS:" + password).encode()).decode()
    inner = {"auths": {host: {"username": "AWS", "password": password, "auth": auth}}}
    return base64.b64encode(json.dumps(inner).encode()).decode(), inner


def secret(name, ns, password, typ="kubernetes.io/dockerconfigjson", labels=None):
    data, _ = dcj(password)
    md = {"name": name, "namespace": ns}
    if labels:
        md["labels"] = labels
    return {"apiVersion": "v1", "kind": "Secret", "metadata": md, "type": typ,
            "data": {".dockerconfigjson": data}}


class Kubectl:
    def __init__(self, wd, fk):
        self.wd, self.fk = wd, fk
        self.cache = os.path.join(wd, "kcache")
        self.kc = fk.kubeconfig(os.path.join(wd, "kubeconfig"))
        self.env = {"PATH": tb.CLEAN_PATH, "HOME": os.path.join(wd, "home"),
                    "KUBECONFIG": self.kc}

    def run(self, *args, kc=None, stdin=None, timeout=120):
        cmd = [KUBECTL, "--kubeconfig", kc or self.kc, "--cache-dir", self.cache,
               "--request-timeout=20s"] + list(args)
        t0 = time.monotonic()
        p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=dict(self.env, KUBECONFIG=kc or self.kc),
                           timeout=timeout)
        return tb.Result(cmd, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)

    def popen(self, *args):
        cmd = [KUBECTL, "--kubeconfig", self.kc, "--cache-dir", self.cache] + list(args)
        return tb._track(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, env=self.env))


def parse_json(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


class RawWatch:
    """A watch over a raw TLS socket with its own chunked decoder, so a clean
    end (the zero chunk: "EOF") and a cut connection ("ERR:...") differ.  A
    thread collects (time, event or marker)."""

    def __init__(self, fk, path, token=True):
        self.items = queue.Queue()
        self.seen = []
        raw = socket.create_connection((fk.host, fk.port), timeout=30)
        self.sock = fk.ssl_context().wrap_socket(raw, server_hostname=fk.host)
        tok = fk.token if token is True else token
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
                           "Accept: application/json\r\n\r\n" % (path, fk.host, tok)).encode())
        self.f = self.sock.makefile("rb")
        self.status = int(self.f.readline().split()[1])
        self.headers = {}
        while True:
            line = self.f.readline().strip()
            if not line:
                break
            k, _, v = line.decode().partition(":")
            self.headers[k.lower()] = v.strip()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        buf = b""
        try:
            if self.headers.get("transfer-encoding") != "chunked":
                self.items.put((time.monotonic(), "BODY:" + self.f.read(
                    int(self.headers.get("content-length", 0))).decode()))
                return
            while True:
                size = self.f.readline()
                if not size.endswith(b"\n"):
                    raise ConnectionError("stream cut inside a chunk header")
                n = int(size.strip(), 16)
                if n == 0:
                    self.f.readline()
                    self.items.put((time.monotonic(), "EOF"))
                    return
                data = self.f.read(n)
                if len(data) != n or self.f.read(2) != b"\r\n":
                    raise ConnectionError("stream cut inside a chunk")
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    self.items.put((time.monotonic(), json.loads(line)))
        except Exception as ex:  # dropped connection
            self.items.put((time.monotonic(), "ERR:%s" % type(ex).__name__))

    def wait_for(self, pred, timeout):
        deadline = time.monotonic() + timeout
        for t, ev in self.seen:
            if pred(ev):
                return t, ev
        while time.monotonic() < deadline:
            try:
                t, ev = self.items.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append((t, ev))
            if pred(ev):
                return t, ev
        return None, None

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def is_type(typ, name=None):
    def pred(ev):
        return isinstance(ev, dict) and ev.get("type") == typ and \
            (name is None or ev["object"]["metadata"].get("name") == name)
    return pred


def main():
    tap = tb.Tap()
    tb.require(tap, tools=(KUBECTL, "openssl"))
    with tb.workdir("ecd-fk-") as wd:
        pki = tb.make_pki(os.path.join(wd, "pki"))
        fk = fake_kube.FakeKube(wd, pki, tokens=["tok-1"], bookmark_interval=1.0)
        k = Kubectl(wd, fk)
        try:
            run_cases(tap, wd, pki, fk, k)
        finally:
            fk.stop()
            if tap.failed:
                tap.diag("fake_kube log:\n" + fk.stderr())
    tap.done()


def run_cases(tap, wd, pki, fk, k):
    # -- discovery and get -------------------------------------------------
    r = k.run("get", "ns", "-o", "json")
    tb.check_exit(tap, r, 0, "kubectl get ns -o json")
    names = [i["metadata"]["name"] for i in (parse_json(r.out) or {}).get("items", [])]
    tap.eq(sorted(names), ["default", "kube-public", "kube-system"],
           "kubectl get ns: the three start namespaces", r.diag())
    fk.create_namespace("team-a", {"ecr-credd/sync": "true", "tier": "gold"})
    r = k.run("get", "ns", "team-a", "-o", "json")
    obj = parse_json(r.out) or {}
    tap.eq((obj.get("metadata") or {}).get("labels"),
           {"ecr-credd/sync": "true", "tier": "gold", "kubernetes.io/metadata.name": "team-a"},
           "namespace labels (plus kubernetes.io/metadata.name) through kubectl", r.diag())
    tap.eq((obj.get("status") or {}).get("phase"), "Active", "new namespace is Active")

    # -- kubectl create (protobuf bodies) and the create | apply pipeline ---
    fk.clear_log()
    r = k.run("create", "secret", "docker-registry", "created", "-n", "team-a",
              "--docker-server=123456789012.dkr.ecr.us-east-1.amazonaws.com",
              "--docker-username=AWS", "--docker-password=pw-create")
    tb.check_exit(tap, r, 0, "kubectl create secret docker-registry")
    posts = [e["ctype"] for e in fk.log() if e["method"] == "POST"]
    tap.eq(posts, ["application/vnd.kubernetes.protobuf"], "kubectl create posted protobuf")
    st, out = fk.get("/api/v1/namespaces/team-a/secrets/created")
    inner = json.loads(base64.b64decode(out["data"][".dockerconfigjson"]))
    tap.eq(inner, dcj("pw-create")[1], "protobuf secret decoded: the dockerconfigjson matches")
    r = k.run("create", "secret", "docker-registry", "created", "-n", "team-a",
              "--docker-server=x", "--docker-username=AWS", "--docker-password=pw")
    tap.ok(r.rc != 0 and 'secrets "created" already exists' in r.err,
           "kubectl create of an existing secret: AlreadyExists", r.diag())
    r = k.run("create", "ns", "team-c")
    r2 = k.run("create", "sa", "robot", "-n", "team-c")
    st, out = fk.get("/api/v1/namespaces/team-c/serviceaccounts/robot")
    tap.ok(r.rc == 0 and r2.rc == 0 and st == 200, "kubectl create ns / create sa",
           r.diag() + "\n" + r2.diag())
    st, out = fk.get("/api/v1/namespaces/team-c/serviceaccounts/default")
    tap.eq(st, 200, "a new namespace gets its default ServiceAccount")
    for pw in ("pw-pipe-1", "pw-pipe-2"):
        gen = k.run("create", "secret", "docker-registry", "piped", "-n", "team-a",
                    "--docker-server=123456789012.dkr.ecr.us-east-1.amazonaws.com",
                    "--docker-username=AWS", "--docker-password=" + pw,
                    "--dry-run=client", "-o", "json")
        r = k.run("apply", "-f", "-", stdin=gen.out)
        tb.check_exit(tap, r, 0, "create --dry-run=client -o json | kubectl apply -f - (%s)" % pw)
    st, out = fk.get("/api/v1/namespaces/team-a/secrets/piped")
    tap.eq(json.loads(base64.b64decode(out["data"][".dockerconfigjson"])), dcj("pw-pipe-2")[1],
           "client-side apply (strategic merge patch) updated the data")

    # -- server-side apply: create, update, no-op -------------------------
    fk.clear_log()
    s1 = secret("ecr-pull", "team-a", "pw-one")
    path1 = os.path.join(wd, "s1.json")
    tb.write_file(path1, json.dumps(s1))
    r = k.run("apply", "--server-side", "--field-manager=ecr-credd", "-f", path1)
    tb.check_exit(tap, r, 0, "apply --server-side (create)")
    tap.ok("serverside-applied" in r.out, "kubectl says serverside-applied", r.diag())
    patches = [e for e in fk.log() if e["method"] == "PATCH"]
    tap.eq([(e["status"], e["ctype"], e["fm"]) for e in patches],
           [(201, "application/apply-patch+yaml", "ecr-credd")],
           "one apply PATCH answered 201 with fieldManager ecr-credd")
    st, cur = fk.get("/api/v1/namespaces/team-a/secrets/ecr-pull")
    rv1 = cur["metadata"]["resourceVersion"]
    s2 = secret("ecr-pull", "team-a", "pw-two")
    tb.write_file(path1, json.dumps(s2))
    fk.clear_log()
    r = k.run("apply", "--server-side", "--field-manager=ecr-credd", "-f", path1)
    tb.check_exit(tap, r, 0, "apply --server-side (update)")
    tap.eq([e["status"] for e in fk.log() if e["method"] == "PATCH"], [200],
           "update PATCH answered 200")
    r = k.run("get", "secret", "ecr-pull", "-n", "team-a", "-o", "json")
    got = parse_json(r.out) or {}
    inner = json.loads(base64.b64decode((got.get("data") or {}).get(".dockerconfigjson", "e30=")))
    tap.eq(inner, dcj("pw-two")[1], "kubectl get secret -o json shows the new data", r.diag())
    tap.eq(got.get("type"), "kubernetes.io/dockerconfigjson", "secret type kept")
    rv2 = (got.get("metadata") or {}).get("resourceVersion")
    tap.ok(rv2 and rv2 != rv1, "resourceVersion changed on update (%s -> %s)" % (rv1, rv2))
    r = k.run("apply", "--server-side", "--field-manager=ecr-credd", "-f", path1)
    st, cur = fk.get("/api/v1/namespaces/team-a/secrets/ecr-pull")
    tap.eq(cur["metadata"]["resourceVersion"], rv2, "identical re-apply is a no-op (same RV)")
    mgrs = fk.managers("/api/v1/namespaces/team-a/secrets/ecr-pull")
    tap.eq([(m["manager"], m["operation"]) for m in mgrs], [("ecr-credd", "Apply")],
           "field manager recorded", mgrs)

    # stringData through apply becomes data
    sd = {"apiVersion": "v1", "kind": "Secret",
          "metadata": {"name": "sd", "namespace": "team-a"},
          "type": "kubernetes.io/dockerconfigjson",
          "stringData": {".dockerconfigjson": json.dumps(dcj("pw-sd")[1])}}
    st, out = fk.https("PATCH", "/api/v1/namespaces/team-a/secrets/sd?fieldManager=ecr-credd",
                       sd, "application/apply-patch+yaml")
    tap.eq(st, 201, "raw apply with stringData: 201 created")
    tap.ok("stringData" not in out and
           json.loads(base64.b64decode(out["data"][".dockerconfigjson"])) == dcj("pw-sd")[1],
           "stringData converted to data", out)
    st, out = fk.https("PATCH", "/api/v1/namespaces/team-a/secrets/sd", sd,
                       "application/apply-patch+yaml")
    tap.ok(st == 422 and "fieldManager" in out.get("message", ""),
           "apply without fieldManager: 422 naming fieldManager", out)

    # a second manager applying only a label: no type/data claimed, both co-own
    st, out = fk.https("PATCH", "/api/v1/namespaces/team-a/secrets/ecr-pull?fieldManager=labeler",
                       {"apiVersion": "v1", "kind": "Secret",
                        "metadata": {"name": "ecr-pull", "labels": {"team": "a"}}},
                       "application/apply-patch+yaml")
    mgrs = fk.managers("/api/v1/namespaces/team-a/secrets/ecr-pull")
    tap.ok(st == 200 and out.get("type") == "kubernetes.io/dockerconfigjson" and
           out["metadata"].get("labels") == {"team": "a"} and
           [(m["manager"], m["fields"]) for m in mgrs] ==
           [("ecr-credd", [".data..dockerconfigjson", ".type"]),
            ("labeler", [".metadata.labels.team"])],
           "label-only apply by a second manager: type and data untouched", (out, mgrs))
    st, out = fk.https("PATCH", "/api/v1/namespaces/team-a/secrets/ecr-pull?fieldManager=labeler",
                       {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ecr-pull"}},
                       "application/apply-patch+yaml")
    tap.ok(st == 200 and not out["metadata"].get("labels"),
           "re-apply without the label: the manager's field is removed", out)

    # another manager with a different value: conflict unless forced
    s3 = secret("ecr-pull", "team-a", "pw-other")
    tb.write_file(path1, json.dumps(s3))
    r = k.run("apply", "--server-side", "--field-manager=someone-else", "-f", path1)
    tap.ok(r.rc != 0 and "conflict" in r.err.lower() and "someone-else" not in r.err.split(
        "conflict with")[0], "apply by another manager: conflict", r.diag())
    st, out = fk.https("PATCH", "/api/v1/namespaces/team-a/secrets/ecr-pull?fieldManager=other",
                       s3, "application/apply-patch+yaml")
    causes = (out.get("details") or {}).get("causes") or []
    tap.ok(st == 409 and out.get("reason") == "Conflict" and
           any(c.get("type") == "FieldManagerConflict" and
               c.get("field") == ".data..dockerconfigjson" for c in causes),
           "raw apply conflict: 409 FieldManagerConflict on .data..dockerconfigjson", out)
    st, out = fk.https("PATCH", "/api/v1/namespaces/team-a/secrets/ecr-pull?fieldManager=ecr-credd"
                       "&force=true", s2, "application/apply-patch+yaml")
    tap.eq(st, 200, "force=true by the owner: 200")

    # -- PUT: stale RV 409, type change 422 ------------------------------
    st, cur = fk.https("GET", "/api/v1/namespaces/team-a/secrets/ecr-pull")
    stale = json.loads(json.dumps(cur))
    stale["metadata"]["resourceVersion"] = str(int(cur["metadata"]["resourceVersion"]) - 1)
    st, out = fk.https("PUT", "/api/v1/namespaces/team-a/secrets/ecr-pull", stale)
    tap.ok(st == 409 and out.get("reason") == "Conflict" and
           "the object has been modified" in out.get("message", ""),
           "PUT with a stale resourceVersion: 409 Conflict", out)
    good = json.loads(json.dumps(cur))
    good["data"][".dockerconfigjson"] = dcj("pw-put")[0]
    st, out = fk.https("PUT", "/api/v1/namespaces/team-a/secrets/ecr-pull", good)
    tap.ok(st == 200 and out["metadata"]["resourceVersion"] != cur["metadata"]["resourceVersion"],
           "PUT with the current resourceVersion: 200, new RV", out)
    st, out = fk.https("PUT", "/api/v1/namespaces/team-a/secrets/absent",
                       secret("absent", "team-a", "x"))
    tap.ok(st == 404 and out.get("reason") == "NotFound", "PUT of an absent secret: 404", out)
    opaque = {"apiVersion": "v1", "kind": "Secret",
              "metadata": {"name": "ecr-pull", "namespace": "team-a"}, "type": "Opaque",
              "data": {"x": "eA=="}}
    st, out = fk.https("PUT", "/api/v1/namespaces/team-a/secrets/ecr-pull", opaque)
    tap.ok(st == 422 and out.get("reason") == "Invalid" and
           "field is immutable" in out.get("message", "") and
           (out.get("details") or {}).get("causes", [{}])[0].get("field") == "type",
           "PUT changing the type: 422 field is immutable (field type)", out)
    tb.write_file(path1, json.dumps(opaque))
    r = k.run("apply", "--server-side", "--force-conflicts", "--field-manager=ecr-credd",
              "-f", path1)
    tap.ok(r.rc != 0 and "field is immutable" in r.err and "Invalid" in r.err,
           "kubectl apply changing the type: Invalid, field is immutable", r.diag())

    # -- Secret validation: 422 ------------------------------------------
    bad = secret("bad", "team-a", "x")
    bad["data"][".dockerconfigjson"] = base64.b64encode(b"not json").decode()
    tb.write_file(path1, json.dumps(bad))
    r = k.run("apply", "--server-side", "--field-manager=ecr-credd", "-f", path1)
    tap.ok(r.rc != 0 and 'Secret "bad" is invalid' in r.err and
           "data[.dockerconfigjson]" in r.err, "kubectl apply of invalid dockerconfigjson: 422",
           r.diag())
    nokey = secret("nokey", "team-a", "x")
    nokey["data"] = {"other": "eA=="}
    st, out = fk.https("POST", "/api/v1/namespaces/team-a/secrets", nokey)
    tap.ok(st == 422 and "data[.dockerconfigjson]: Required value" in out.get("message", ""),
           "POST without .dockerconfigjson: 422 Required value", out)
    arr = secret("arr", "team-a", "x")
    arr["data"][".dockerconfigjson"] = base64.b64encode(b"[]").decode()
    st, out = fk.https("POST", "/api/v1/namespaces/team-a/secrets", arr)
    tap.eq(st, 422, "POST with a JSON array as .dockerconfigjson: 422")
    st, out = fk.https("POST", "/api/v1/namespaces/team-a/secrets",
                       secret("ecr-pull", "team-a", "x"))
    tap.ok(st == 409 and out.get("reason") == "AlreadyExists", "POST of an existing name: 409",
           out)
    st, out = fk.https("POST", "/api/v1/namespaces/nope/secrets", secret("s", "nope", "x"))
    tap.ok(st == 404 and out.get("message") == 'namespaces "nope" not found',
           "POST into a missing namespace: 404 namespaces not found", out)

    # -- the decoder: wrong types 400, unknown fields dropped or strict 400 --
    wrong = secret("wrong", "team-a", "x")
    wrong["metadata"]["labels"] = {"a": 1}
    st, out = fk.https("POST", "/api/v1/namespaces/team-a/secrets", wrong)
    tap.ok(st == 400 and "cannot unmarshal number" in out.get("message", ""),
           "a label value that is a number: 400 from the decoder", out)
    extra = secret("extra", "team-a", "x")
    extra["bogus"] = 1
    st, hd, out = fk.https_full("POST", "/api/v1/namespaces/team-a/secrets", extra)
    tap.ok(st == 201 and "bogus" not in out and 'unknown field \\"bogus\\"' in
           hd.get("warning", ""), "unknown field: dropped, with a Warning header", (hd, out))
    st, out = fk.https("POST", "/api/v1/namespaces/team-a/secrets?fieldValidation=Strict",
                       dict(extra, metadata={"name": "extra2"}))
    tap.ok(st == 400 and 'strict decoding error: unknown field "bogus"' in out.get("message", ""),
           "unknown field with fieldValidation=Strict: 400", out)
    st, out = fk.https("PATCH", "/api/v1/namespaces/team-a/secrets/extra3?fieldManager=m",
                       dict(extra, metadata={"name": "extra3"}), "application/apply-patch+yaml")
    tap.ok(st == 400 and "field not declared in schema" in out.get("message", ""),
           "unknown field in an apply: 400 field not declared in schema", out)

    # -- terminating namespace: 403 --------------------------------------
    fk.create_namespace("team-t")
    fk.delete_namespace("team-t", hold=True)
    st, ns = fk.get("/api/v1/namespaces/team-t")
    tap.ok(ns["status"]["phase"] == "Terminating" and ns["metadata"].get("deletionTimestamp"),
           "deleted namespace is Terminating", ns)
    tb.write_file(path1, json.dumps(secret("ecr-pull", "team-t", "pw")))
    r = k.run("apply", "--server-side", "--field-manager=ecr-credd", "-f", path1)
    tap.ok(r.rc != 0 and "Forbidden" in r.err and "because it is being terminated" in r.err,
           "kubectl apply into a terminating namespace: Forbidden", r.diag())
    st, out = fk.https("POST", "/api/v1/namespaces/team-t/secrets", secret("x", "team-t", "p"))
    tap.ok(st == 403 and out.get("reason") == "Forbidden" and
           out.get("message") == 'secrets "x" is forbidden: unable to create new content in '
           "namespace team-t because it is being terminated",
           "POST into a terminating namespace: 403 with the real message", out)
    tap.ok(fk.finalize_namespace("team-t"), "finalize removes the namespace")
    st, out = fk.get("/api/v1/namespaces/team-t")
    tap.eq(st, 404, "finalized namespace is gone")
    fk.create_namespace("team-q")
    r = k.run("delete", "ns", "team-q", "--wait=true", "--timeout=10s")
    tb.check_exit(tap, r, 0, "kubectl delete ns (Terminating, then removed after the delay)")
    st, out = fk.get("/api/v1/namespaces/team-q")
    tap.eq(st, 404, "namespace removed after kubectl delete")

    st, _ = fk.https("POST", "/api/v1/namespaces/team-a/secrets", secret("gone", "team-a", "x"))
    r = k.run("delete", "secret", "gone", "-n", "team-a")
    st, out = fk.get("/api/v1/namespaces/team-a/secrets/gone")
    tap.ok(r.rc == 0 and st == 404, "kubectl delete secret: removed", r.diag())
    r = k.run("delete", "secret", "gone", "-n", "team-a")
    tap.ok(r.rc != 0 and 'secrets "gone" not found' in r.err, "deleting it again: NotFound",
           r.diag())

    # -- RBAC deny ---------------------------------------------------------
    fk.deny("patch", "secrets", namespace="team-a")
    tb.write_file(path1, json.dumps(s2))
    r = k.run("apply", "--server-side", "--field-manager=ecr-credd", "-f", path1)
    tap.ok(r.rc != 0 and "Forbidden" in r.err and
           'cannot patch resource "secrets" in API group "" in the namespace "team-a"' in r.err,
           "kubectl apply with a deny rule: Forbidden", r.diag())
    st, out = fk.https("PATCH", "/api/v1/namespaces/team-a/secrets/ecr-pull?fieldManager=x",
                       {"data": {}}, "application/merge-patch+json")
    tap.ok(st == 403 and out.get("message") ==
           'secrets "ecr-pull" is forbidden: User "system:serviceaccount:ecr:ecr-credd" cannot '
           'patch resource "secrets" in API group "" in the namespace "team-a"' and
           out.get("details") == {"name": "ecr-pull", "kind": "secrets"},
           "raw PATCH with a deny rule: 403, real message and details", out)
    st, _ = fk.https("GET", "/api/v1/namespaces/team-a/secrets/ecr-pull")
    tap.eq(st, 200, "a deny rule for patch leaves get allowed")
    fk.deny("list", "namespaces")
    st, out = fk.https("GET", "/api/v1/namespaces")
    tap.ok(st == 403 and out.get("message", "").endswith(
        'cannot list resource "namespaces" in API group "" at the cluster scope'),
        "cluster-scope deny: 'at the cluster scope'", out)
    fk.clear_denies()
    # (the raw PUT above made its manager own .data, hence --force-conflicts)
    r = k.run("apply", "--server-side", "--force-conflicts", "--field-manager=ecr-credd",
              "-f", path1)
    tb.check_exit(tap, r, 0, "apply works again after clearing deny rules")

    # -- JSON patch on the ServiceAccount ---------------------------------
    r = k.run("patch", "sa", "default", "-n", "team-a", "--type=json",
              "-p", '[{"op":"add","path":"/imagePullSecrets/-","value":{"name":"first"}}]')
    tap.ok(r.rc != 0 and "The request is invalid" in r.err,
           "json patch add /imagePullSecrets/- without the field: 422", r.diag())
    r = k.run("patch", "sa", "default", "-n", "team-a", "--type=json",
              "-p", '[{"op":"add","path":"/imagePullSecrets","value":[{"name":"other"}]}]')
    tb.check_exit(tap, r, 0, "json patch add /imagePullSecrets")
    r = k.run("patch", "sa", "default", "-n", "team-a", "--type=json",
              "-p", '[{"op":"add","path":"/imagePullSecrets/-","value":{"name":"ecr-pull"}}]')
    tb.check_exit(tap, r, 0, "kubectl patch sa default --type=json (append /-)")
    r = k.run("get", "sa", "default", "-n", "team-a", "-o", "json")
    sa = parse_json(r.out) or {}
    tap.eq(sa.get("imagePullSecrets"), [{"name": "other"}, {"name": "ecr-pull"}],
           "imagePullSecrets appended, other entry kept", r.diag())
    rv = sa["metadata"]["resourceVersion"]
    st, out = fk.https("PATCH", "/api/v1/namespaces/team-a/serviceaccounts/default", [
        {"op": "test", "path": "/metadata/resourceVersion", "value": str(int(rv) - 1)},
        {"op": "replace", "path": "/imagePullSecrets", "value": []}],
        "application/json-patch+json")
    tap.ok(st == 422 and out.get("reason") == "Invalid",
           "json patch with a failing test op: 422 Invalid", out)
    st, out = fk.https("PATCH", "/api/v1/namespaces/team-a/serviceaccounts/default", [
        {"op": "test", "path": "/metadata/resourceVersion", "value": rv},
        {"op": "add", "path": "/metadata/annotations", "value": {"a~b/c": "1"}},
        {"op": "replace", "path": "/metadata/annotations/a~0b~1c", "value": "2"}],
        "application/json-patch+json")
    tap.ok(st == 200 and out["metadata"]["annotations"] == {"a~b/c": "2"},
           "json patch with test + ~0 ~1 escapes: 200", out)
    st, out = fk.https("PATCH", "/api/v1/namespaces/team-a/serviceaccounts/default",
                       {"imagePullSecrets": [{"name": "only"}]}, "application/merge-patch+json")
    tap.eq(out.get("imagePullSecrets"), [{"name": "only"}], "merge patch replaces the list")
    st, out = fk.https("PATCH", "/api/v1/namespaces/team-a/secrets/ecr-pull",
                       {"metadata": {"resourceVersion": "1"}, "data": {}},
                       "application/merge-patch+json")
    tap.eq(st, 409, "merge patch with a stale resourceVersion: 409")

    # -- LIST: paging and selectors --------------------------------------
    fk.create_namespace("team-l")
    for i in range(7):
        labels = {"app": "a%d" % (i % 3)}
        if i % 2:
            labels["odd"] = "yes"
        typ = "Opaque" if i == 6 else "kubernetes.io/dockerconfigjson"
        obj = secret("s%d" % i, "team-l", "p%d" % i, typ=typ, labels=labels)
        if typ == "Opaque":
            obj["data"] = {"k": "dg=="}
        st, out = fk.https("POST", "/api/v1/namespaces/team-l/secrets", obj)
        if st != 201:
            tap.ok(False, "seed secret s%d" % i, out)
    names, cont, pages = [], "", 0
    while True:
        q = "limit=3" + ("&continue=" + urllib.parse.quote(cont) if cont else "")
        st, out = fk.https("GET", "/api/v1/namespaces/team-l/secrets?" + q)
        if st != 200:
            break
        pages += 1
        names += [i["metadata"]["name"] for i in out["items"]]
        cont = out["metadata"].get("continue")
        if not cont or pages > 5:
            break
    tap.eq((names, pages), (["s%d" % i for i in range(7)], 3), "limit=3 pages through 7 items")
    sels = {"app=a1": 2, "app==a1": 2, "app!=a1": 5, "app in (a0,a2)": 5,
            "app notin (a0)": 4, "odd": 3, "!odd": 4, "odd,app=a0": 1}
    got = {}
    for sel, _ in sels.items():
        st, out = fk.https("GET", "/api/v1/namespaces/team-l/secrets?labelSelector=" +
                           urllib.parse.quote(sel))
        got[sel] = len(out.get("items", [])) if st == 200 else st
    tap.eq(got, sels, "label selectors: =, ==, !=, in, notin, exists, !exists, AND")
    st, out = fk.https("GET", "/api/v1/secrets?fieldSelector=" +
                       urllib.parse.quote("type=kubernetes.io/dockerconfigjson,"
                                          "metadata.namespace=team-l"))
    tap.eq(len(out.get("items", [])), 6, "cluster-wide fieldSelector type= and namespace")
    st, out = fk.https("GET", "/api/v1/namespaces/team-l/secrets?fieldSelector=metadata.name%3Ds3")
    tap.eq([i["metadata"]["name"] for i in out.get("items", [])], ["s3"],
           "fieldSelector metadata.name")
    fk.create_namespace("team-z")
    fk.delete_namespace("team-z", hold=True)
    st, out = fk.https("GET", "/api/v1/namespaces?fieldSelector=status.phase%21%3DTerminating")
    tap.ok("team-z" not in [i["metadata"]["name"] for i in out.get("items", [])] and
           "team-a" in [i["metadata"]["name"] for i in out.get("items", [])],
           "namespaces fieldSelector status.phase!=Terminating")
    st, out = fk.https("GET", "/api/v1/namespaces/team-l/secrets?labelSelector=a%20in%20b")
    tap.ok(st == 400 and out.get("reason") == "BadRequest", "bad label selector: 400", out)
    st, out = fk.https("GET", "/api/v1/namespaces/team-l/secrets?fieldSelector=spec.x%3D1")
    tap.ok(st == 400 and "field label not supported" in out.get("message", ""),
           "unsupported field selector: 400", out)
    st, first = fk.https("GET", "/api/v1/namespaces/team-l/secrets?limit=2")
    fk.https("PATCH", "/api/v1/namespaces/team-l/secrets/s0", {"metadata": {"labels": {"x": "1"}}},
             "application/merge-patch+json")
    fk.compact()
    st, out = fk.https("GET", "/api/v1/namespaces/team-l/secrets?limit=2&continue=" +
                       urllib.parse.quote(first["metadata"]["continue"]))
    tap.ok(st == 410 and out.get("reason") == "Expired", "continue after compaction: 410", out)

    # -- watches -----------------------------------------------------------
    st, lst = fk.https("GET", "/api/v1/namespaces")
    list_rv = lst["metadata"]["resourceVersion"]
    fk.clear_log()
    kw = k.popen("get", "ns", "--watch", "--output-watch-events", "-o", "json")
    seen = queue.Queue()

    def read_kubectl():
        dec, buf = json.JSONDecoder(), ""
        for line in kw.stdout:
            buf += line.decode()
            while True:
                s = buf.lstrip()
                if not s:
                    buf = ""
                    break
                try:
                    obj, end = dec.raw_decode(s)
                except ValueError:
                    break
                seen.put(obj)
                buf = s[end:]
    threading.Thread(target=read_kubectl, daemon=True).start()
    ok = tb.wait_until(lambda: any(e["watch"] for e in fk.log()), 20)
    tap.ok(ok, "kubectl get ns --watch opened a watch", fk.log())
    t0 = time.monotonic()
    fk.create_namespace("watched", {"w": "1"})
    found = None
    while time.monotonic() - t0 < 10:
        try:
            ev = seen.get(timeout=0.5)
        except queue.Empty:
            continue
        if ev.get("type") == "ADDED" and ev["object"]["metadata"]["name"] == "watched":
            found = time.monotonic() - t0
            break
    tap.ok(found is not None, "kubectl watch printed ADDED for a namespace created later")
    tb.kill_proc(kw)

    w = RawWatch(fk, "/api/v1/namespaces?watch=1&allowWatchBookmarks=true&resourceVersion=" +
                 list_rv + "&labelSelector=w")
    tap.eq(w.status, 200, "raw watch with labelSelector: 200")
    t, ev = w.wait_for(is_type("ADDED", "watched"), 5)
    tap.ok(ev is not None, "raw watch from the list RV replays ADDED watched")
    t_create = time.monotonic()
    fk.create_namespace("watched2", {"w": "2"})
    t, ev = w.wait_for(is_type("ADDED", "watched2"), 5)
    tap.ok(ev is not None and t - t_create < 1.0,
           "ADDED delivered with low latency (%.1f ms)" % ((t - t_create) * 1000 if t else -1))
    fk.request("PATCH", "/api/v1/namespaces/watched2", {"metadata": {"labels": {"w": None}}},
               "application/merge-patch+json")
    t, ev = w.wait_for(is_type("DELETED", "watched2"), 5)
    tap.ok(ev is not None, "label removed: DELETED for a selector watch")
    fk.request("PATCH", "/api/v1/namespaces/watched2", {"metadata": {"labels": {"w": "3"}}},
               "application/merge-patch+json")
    got_re = w.wait_for(lambda e: isinstance(e, dict) and e["type"] == "ADDED" and
                        e["object"]["metadata"]["name"] == "watched2" and
                        e["object"]["metadata"]["labels"].get("w") == "3", 5)[1]
    tap.ok(got_re is not None, "label back: ADDED again")
    t, bm = w.wait_for(is_type("BOOKMARK"), 4)
    tap.ok(bm is not None and bm["object"]["metadata"].get("resourceVersion") and
           bm["object"]["kind"] == "Namespace", "BOOKMARK arrives with a resourceVersion", bm)
    n = fk.drop_watches()["dropped"]
    t, ev = w.wait_for(lambda e: isinstance(e, str), 5)
    tap.ok(n >= 1 and ev is not None and ev.startswith("ERR"),
           "drop_watches cuts the stream abruptly (%s, %d dropped)" % (ev, n))
    w.close()

    # secrets watch, per namespace and cluster-wide with selectors, timeoutSeconds
    st, lst = fk.https("GET", "/api/v1/namespaces/team-l/secrets")
    ws = RawWatch(fk, "/api/v1/secrets?watch=true&resourceVersion=%s&fieldSelector=%s"
                  "&timeoutSeconds=3" % (lst["metadata"]["resourceVersion"],
                                         urllib.parse.quote("type=kubernetes.io/dockerconfigjson")))
    wn = RawWatch(fk, "/api/v1/namespaces/team-l/secrets?watch=1&resourceVersion=" +
                  lst["metadata"]["resourceVersion"])
    st, out = fk.https("PATCH", "/api/v1/namespaces/team-l/secrets/s1?fieldManager=ecr-credd",
                       secret("s1", "team-l", "new"), "application/apply-patch+yaml")
    tap.ok(st == 409 and "unknown" in out.get("message", ""),
           "apply over a POSTed secret's data without force: conflict with its creator", out)
    fk.https("PATCH", "/api/v1/namespaces/team-l/secrets/s1?fieldManager=ecr-credd&force=true",
             secret("s1", "team-l", "new"), "application/apply-patch+yaml")
    fk.https("DELETE", "/api/v1/namespaces/team-l/secrets/s6")
    fk.https("DELETE", "/api/v1/namespaces/team-l/secrets/s2")
    t, ev = ws.wait_for(is_type("MODIFIED", "s1"), 5)
    tap.ok(ev is not None, "cluster-wide secrets watch: MODIFIED s1")
    t, ev = ws.wait_for(is_type("DELETED", "s2"), 5)
    tap.ok(ev is not None, "cluster-wide secrets watch: DELETED s2")
    tap.ok(not any(isinstance(e, dict) and e["object"]["metadata"]["name"] == "s6"
                   for _, e in ws.seen), "fieldSelector type= hides the Opaque s6")
    t, ev = wn.wait_for(is_type("DELETED", "s6"), 5)
    tap.ok(ev is not None, "namespaced secrets watch: DELETED s6")
    t, ev = ws.wait_for(lambda e: e == "EOF", 6)
    tap.ok(ev == "EOF", "timeoutSeconds=3 ends the watch cleanly")
    ws.close()
    wn.close()

    # sendInitialEvents: ADDED for what exists, then the initial-events-end bookmark
    w = RawWatch(fk, "/api/v1/namespaces?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"
                 "&resourceVersionMatch=NotOlderThan&resourceVersion=" + list_rv)
    t, ev = w.wait_for(is_type("BOOKMARK"), 5)
    added = [e["object"]["metadata"]["name"] for _, e in w.seen
             if isinstance(e, dict) and e["type"] == "ADDED"]
    tap.ok(ev is not None and "team-a" in added and
           ev["object"]["metadata"].get("annotations") == {"k8s.io/initial-events-end": "true"},
           "sendInitialEvents: ADDED then BOOKMARK k8s.io/initial-events-end", (added, ev))
    w.close()

    # deleting a namespace: a secrets watch sees its secrets DELETED
    fk.create_namespace("team-w")
    fk.https("POST", "/api/v1/namespaces/team-w/secrets", secret("doomed", "team-w", "x"))
    st, lst = fk.https("GET", "/api/v1/secrets")
    w = RawWatch(fk, "/api/v1/secrets?watch=1&resourceVersion=" + lst["metadata"]["resourceVersion"])
    r = k.run("delete", "ns", "team-w", "--wait=false")
    t, ev = w.wait_for(is_type("DELETED", "doomed"), 5)
    tap.ok(r.rc == 0 and ev is not None, "namespace removal: DELETED for its secrets", r.diag())
    w.close()

    # 410 after compaction
    old_rv = list_rv
    fk.compact()
    w = RawWatch(fk, "/api/v1/namespaces?watch=1&resourceVersion=" + old_rv)
    t, ev = w.wait_for(is_type("ERROR"), 5)
    obj = (ev or {}).get("object", {})
    tap.ok(w.status == 200 and obj.get("code") == 410 and obj.get("reason") == "Expired" and
           "too old resource version" in obj.get("message", ""),
           "watch from a compacted RV: ERROR event 410 Expired", ev)
    w.close()
    fk.configure(watch_expired_http=True)
    st, _ = fk.https("GET", "/api/v1/namespaces?watch=1&resourceVersion=" + old_rv)
    tap.eq(st, 410, "watch_expired_http: HTTP 410 on the request")
    fk.configure(watch_expired_http=False)

    # -- tokens and client certificates --------------------------------
    fk.set_tokens(["tok-2"])
    r = k.run("get", "ns")
    tap.ok(r.rc != 0 and "Unauthorized" in r.err, "rotated token: kubectl Unauthorized",
           r.diag())
    st, out = fk.https("GET", "/api/v1/namespaces", token="tok-1")
    tap.ok(st == 401 and out.get("reason") == "Unauthorized" and out.get("kind") == "Status",
           "old token: 401 Status", out)
    st, out = fk.https("GET", "/api/v1/namespaces", token=None)
    tap.eq(st, 401, "no credentials: 401")
    kc2 = fk.kubeconfig(os.path.join(wd, "kubeconfig-2"), token="tok-2")
    r = k.run("get", "ns", "-o", "name", kc=kc2)
    tb.check_exit(tap, r, 0, "new token works")
    cert, key = fake_kube.make_client_cert(pki, "cert-user", groups=("devs",))
    kc3 = fk.kubeconfig(os.path.join(wd, "kubeconfig-3"), token=None, cert=cert, key=key)
    with open(kc3) as f:
        cfg = json.load(f)
    tap.ok("client-certificate-data" in cfg["users"][0]["user"] and
           "token" not in cfg["users"][0]["user"], "kubeconfig holds client-certificate-data")
    fk.clear_log()
    r = k.run("get", "ns", "-o", "json", kc=kc3)
    tb.check_exit(tap, r, 0, "kubectl with a client certificate")
    users = {(e["user"], e["auth"]) for e in fk.log()}
    tap.eq(users, {("cert-user", "cert")}, "client certificate: user is its CN")
    fk.deny("get", "namespaces", user="cert-user")
    r = k.run("get", "ns", "default", kc=kc3)
    tap.ok(r.rc != 0 and 'User "cert-user" cannot get resource "namespaces"' in r.err,
           "deny rule per user applies to the certificate user", r.diag())
    fk.clear_denies()
    wcert, wkey = fake_kube.make_client_cert(pki, "intruder", ca="wrong-ca")
    st, out = fk.https("GET", "/api/v1/namespaces", token=None, cert=wcert, key=wkey)
    tap.eq(st, 401, "client certificate from another CA: 401")
    fk.set_tokens({"tok-alice": "alice"}, mode="add")
    fk.clear_log()
    st, _ = fk.https("GET", "/api/v1/namespaces/default", token="tok-alice")
    tap.ok(st == 200 and fk.log()[-1]["user"] == "alice", "a token mapped to its own user")
    fk.set_tokens(["tok-1"])

    # -- faults: 429 with Retry-After, 500 --------------------------------
    fk.clear_log()
    fk.fail_next(1, 429, match=r"^/api/v1/namespaces$", retry_after=1)
    r = k.run("get", "ns", "-o", "name")
    lst_codes = [e["status"] for e in fk.log() if e["path"] == "/api/v1/namespaces"]
    tap.ok(r.rc == 0 and lst_codes == [429, 200],
           "kubectl honours 429 + Retry-After and retries (%s)" % lst_codes, r.diag())
    fk.fail_next(2, 503, match="/secrets/", method="GET", retry_after=2)
    conn = http.client.HTTPSConnection(fk.host, fk.port, context=fk.ssl_context(), timeout=10)
    codes, ra = [], []
    for _ in range(3):
        conn.request("GET", "/api/v1/namespaces/team-a/secrets/ecr-pull",
                     headers={"Authorization": "Bearer tok-1"})
        resp = conn.getresponse()
        resp.read()
        codes.append(resp.status)
        ra.append(resp.getheader("Retry-After"))
    conn.close()
    tap.eq((codes, ra), ([503, 503, 200], ["2", "2", None]),
           "fail_next(2, 503, retry_after=2): two 503 with Retry-After, then 200")
    conns = {e["conn"] for e in fk.log() if "/secrets/ecr-pull" in e["path"]}
    tap.eq(len(conns), 1, "keep-alive: the three requests used one connection")

    fk.delay(0.6, match=r"^/api/v1/namespaces/default$", count=1)
    t0 = time.monotonic()
    st, _ = fk.https("GET", "/api/v1/namespaces/default")
    slow = time.monotonic() - t0
    t0 = time.monotonic()
    st2, _ = fk.https("GET", "/api/v1/namespaces/default")
    tap.ok(st == 200 and st2 == 200 and slow >= 0.6,
           "delay(0.6, count=1) delays one request (%.2f s, then %.2f s)"
           % (slow, time.monotonic() - t0))
    fk.fail_next(1, "reset", match=r"^/api/v1/namespaces/default$")
    try:
        fk.https("GET", "/api/v1/namespaces/default")
        cut = False
    except (OSError, http.client.HTTPException):
        cut = True
    st, _ = fk.https("GET", "/api/v1/namespaces/default")
    tap.ok(cut and st == 200, "fail_next(reset) cuts one request, the next one works")

    # -- leases ---------------------------------------------------------
    fk.create_namespace("ecr")
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "ecr-credd", "namespace": "ecr"},
             "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15,
                      "acquireTime": "2026-01-15T12:00:00.000000Z",
                      "renewTime": "2026-01-15T12:00:00.000000Z", "leaseTransitions": 0}}
    lp = "/apis/coordination.k8s.io/v1/namespaces/ecr/leases"
    st, out = fk.https("POST", lp, lease)
    tap.eq(st, 201, "lease created")
    badl = json.loads(json.dumps(lease))
    badl["metadata"]["name"] = "bad"
    badl["spec"]["renewTime"] = "2026-01-15T12:00:00Z"
    st, _ = fk.https("POST", lp, badl)
    tap.eq(st, 400, "lease renewTime without 6 fractional digits: 400")
    upd = json.loads(json.dumps(out))
    upd["spec"]["holderIdentity"] = "b"
    st, _ = fk.https("PUT", lp + "/ecr-credd", upd)
    tap.eq(st, 200, "lease PUT with the current RV: 200")
    st, _ = fk.https("PUT", lp + "/ecr-credd", upd)
    tap.eq(st, 409, "lease PUT with the previous RV: 409")
    r = k.run("get", "leases", "-n", "ecr", "-o", "json")
    tap.ok(r.rc == 0 and [i["spec"]["holderIdentity"] for i in
                          (parse_json(r.out) or {}).get("items", [])] == ["b"],
           "kubectl get leases (coordination.k8s.io discovery)", r.diag())

    # -- timing: 1000 objects in one kubectl apply --server-side -----------
    fk.create_namespace("bench")
    docs = [json.dumps(secret("bench-%04d" % i, "bench", "pw-%d" % i)) for i in range(1000)]
    big = os.path.join(wd, "bench.yaml")
    tb.write_file(big, "---\n" + "\n---\n".join(docs) + "\n")
    fk.clear_log()
    r = k.run("apply", "--server-side", "--field-manager=ecr-credd", "-f", big, timeout=600)
    log = fk.log()
    p = [e for e in log if e["method"] == "PATCH"]
    tap.ok(r.rc == 0 and len(p) == 1000 and all(e["status"] == 201 for e in p),
           "kubectl apply --server-side of 1000 secrets: 1000 PATCH 201", r.diag())
    tap.diag("TIMING kubectl apply --server-side 1000 new secrets: %.2f s wall, %d requests, "
             "%d connections, server time per PATCH: median %.2f ms"
             % (r.secs, len(log), len({e["conn"] for e in log}),
                sorted(e["ms"] for e in p)[len(p) // 2] if p else -1))
    docs = [json.dumps(secret("bench-%04d" % i, "bench", "pw2-%d" % i)) for i in range(1000)]
    tb.write_file(big, "---\n" + "\n---\n".join(docs) + "\n")
    fk.clear_log()
    r = k.run("apply", "--server-side", "--field-manager=ecr-credd", "-f", big, timeout=600)
    p = [e for e in fk.log() if e["method"] == "PATCH"]
    tap.ok(r.rc == 0 and len(p) == 1000 and all(e["status"] == 200 for e in p),
           "second apply of 1000: 1000 PATCH 200", r.diag())
    tap.diag("TIMING kubectl apply --server-side 1000 updated secrets: %.2f s wall" % r.secs)

    # -- raw load: 2000 requests over 32 keep-alive connections -----------
    fk.clear_log()
    errors = []
    per = 2000 // 32

    def worker(n):
        c = http.client.HTTPSConnection(fk.host, fk.port, context=fk.ssl_context(), timeout=30)
        try:
            for i in range(per):
                name = "bench-%04d" % ((n * per + i) % 1000)
                body = json.dumps(secret(name, "bench", "pw3-%d-%d" % (n, i)))
                c.request("PATCH", "/api/v1/namespaces/bench/secrets/%s?fieldManager=ecr-credd"
                          "&force=true" % name, body=body,
                          headers={"Authorization": "Bearer tok-1",
                                   "Content-Type": "application/apply-patch+yaml"})
                resp = c.getresponse()
                resp.read()
                if resp.status != 200:
                    errors.append(resp.status)
        except Exception as ex:
            errors.append(repr(ex))
        finally:
            c.close()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(32)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    secs = time.monotonic() - t0
    log = fk.log()
    tap.ok(not errors and len(log) == per * 32,
           "32 connections x %d apply PATCHes: all 200" % per, errors[:5])
    tap.diag("TIMING raw load: %d apply PATCHes over 32 keep-alive TLS connections in %.2f s "
             "(%.0f req/s; python client in the same 2-core VM), %d server connections"
             % (per * 32, secs, per * 32 / secs, len({e["conn"] for e in log})))
    tap.eq(fk.state()["objects"]["secrets"] >= 1000, True, "state() counts objects")
    tap.ok("Traceback" not in fk.stderr(), "no exception in the fake's log", fk.stderr())


if __name__ == "__main__":
    tb.run_main(main)
