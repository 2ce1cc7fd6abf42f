#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Kubernetes client (daemon/kube/client.c, exec.c, common/kubeconfig.c) through
tests/tools/kube-get against tests/fixtures/fake_kube.py (HTTPS, test CA, bearer
tokens and client certificates):

  kubeconfig in YAML with a token, client certificates (data and files, relative
  paths), a token file rotated under the client (401, re-read, one retry), KUBECONFIG
  lists, in-cluster mode (in a private mount namespace, so the real
  /var/run/secrets is never touched; IPv6 host; token rotation), exec credential
  plugins (one run for concurrent requests, cached until expiry, re-run after a 401,
  env and KUBERNETES_EXEC_INFO, certificates, failures), malformed kubeconfigs (exit 2,
  message naming file, line and path), a dead API server, insecure-skip-tls-verify,
  and no secret in any output.
Usage: test_kube_client.py /path/to/kube-get
"""

import base64
import http.server
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import testbed as tb  # noqa: E402
import fake_kube  # noqa: E402

SA = "/var/run/secrets/kubernetes.io/serviceaccount"


class Tool:
    """kube-get runs: one-shot (run) or interactive (session)."""

    def __init__(self, binary, home):
        self.binary = binary
        self.home = home
        self.wrapper = os.environ.get("ECD_TEST_WRAPPER", "").split()
        self.slow = 6 if self.wrapper else 1  # valgrind
        self.results = []

    def env(self, extra=None):
        e = {"PATH": os.environ.get("PATH", tb.CLEAN_PATH), "HOME": self.home,
             "KUBE_GET_DEBUG": "1"}
        for k, v in (extra or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return e

    def run(self, args, env=None, timeout=30, prefix=()):
        timeout *= self.slow
        cmd = list(prefix) + self.wrapper + [self.binary] + list(args)
        t0 = time.monotonic()
        p = subprocess.run(cmd, env=self.env(env), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        r = tb.Result(cmd, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)
        self.results.append(r)
        return r

    def session(self, args, env=None, prefix=()):
        return Session(self, list(prefix) + self.wrapper + [self.binary] + list(args),
                       self.env(env))


class Session:
    """kube-get reading commands on stdin; each command's output up to 'done'."""

    def __init__(self, tool, cmd, env):
        self.tool = tool
        self.cmd = cmd
        self.errf = open(os.path.join(tool.home, "session-%d.err" % id(self)), "w+")
        self.p = tb._track(subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=self.errf,
                                            text=True, bufsize=1))
        self.head = [self.p.stdout.readline().rstrip("\n") for _ in range(2)]

    def do(self, line, timeout=20):
        timeout *= self.tool.slow
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        out = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ln = self.p.stdout.readline()
            if not ln:
                break
            ln = ln.rstrip("\n")
            if ln == "done":
                return out
            out.append(ln)
        raise RuntimeError("no 'done' for %r; got %r; stderr: %s" % (line, out, self.stderr()))

    def stderr(self):
        self.errf.flush()
        self.errf.seek(0)
        return self.errf.read()

    def close(self):
        self.p.stdin.close()
        try:
            rc = self.p.wait(20 * self.tool.slow)
        except subprocess.TimeoutExpired:
            tb.kill_proc(self.p)
            rc = -9
        out = self.p.stdout.read()
        r = tb.Result(self.cmd, rc, out, self.stderr(), 0)
        self.tool.results.append(r)
        self.errf.close()
        return r


def statuses(lines):
    return [int(m.group(1)) for m in (re.match(r"status=(\d+)", l) for l in lines) if m]


def yaml_kubeconfig(path, server, user_yaml, ca_line, namespace="ns-a", extra_cluster=""):
    """A kubeconfig in block YAML (the form kubectl writes), with comments."""
    tb.write_file(path,
                  "# written by test_kube_client.py\n"
                  "apiVersion: v1\nkind: Config\npreferences: {}\n"
                  "clusters:\n- name: fake\n  cluster:\n    server: %s\n%s%s"
                  "users:\n- name: me\n  user:\n%s"
                  "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: me\n"
                  "    namespace: %s\n"
                  "current-context: fake\n" % (server, ca_line, extra_cluster, user_yaml,
                                               namespace), mode=0o600)
    return path


PLUGIN = r'''#!/usr/bin/env python3
import datetime, json, os, sys
d = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(d, "runs"), "a") as f:
    f.write("1\n")
with open(os.path.join(d, "exec-info.json"), "w") as f:
    f.write(os.environ.get("KUBERNETES_EXEC_INFO", ""))
with open(os.path.join(d, "env-seen"), "w") as f:
    f.write(os.environ.get("PLUGIN_MODE", "") + "|" + " ".join(sys.argv[1:]))
mode = open(os.path.join(d, "mode")).read().strip() if os.path.exists(os.path.join(d, "mode")) else "token"
if mode == "fail":
    sys.stderr.write("\nboom: no credentials for you\nsecond line\n")
    sys.exit(3)
sys.stderr.write("plugin: mode %s\n" % mode)
if mode == "garbage":
    print("this is not json")
    sys.exit(0)
status = {}
if mode == "cert":
    status["clientCertificateData"] = open(os.path.join(d, "client.crt")).read()
    status["clientKeyData"] = open(os.path.join(d, "client.key")).read()
else:
    status["token"] = open(os.path.join(d, "token")).read().strip()
ttl = os.path.exists(os.path.join(d, "ttl")) and float(open(os.path.join(d, "ttl")).read())
if ttl:
    exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=ttl)
    status["expirationTimestamp"] = exp.strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps({"apiVersion": os.environ["API_VERSION"], "kind": "ExecCredential",
                  "status": status}))
'''


def main():
    tap, binary = tb.start(tools=("openssl", "unshare", "mount"))
    with tb.workdir("ecd-kube-") as wd:
        pki = tb.make_pki(os.path.join(wd, "pki"))
        fk = fake_kube.FakeKube(wd, pki, tokens=["tok-static-1"])
        home = os.path.join(wd, "home")
        os.makedirs(home)
        tool = Tool(binary, home)
        secrets = {"static token": "tok-static-1"}
        ca_line = "    certificate-authority: %s\n" % pki["ca"]

        # --- kubeconfig with a token ------------------------------------------
        kc = yaml_kubeconfig(os.path.join(wd, "kc-token.yaml"), fk.url,
                             "    token: tok-static-1\n", ca_line)
        fk.clear_log()
        r = tool.run(["--kubeconfig", kc, "--path", "/api/v1/namespaces/default"])
        tap.eq(r.rc, 0, "token: exit 0", r.diag())
        tap.ok("status=200" in r.out and '"name":"default"' in r.out, "token: 200 and the "
               "namespace object", r.diag())
        tap.ok("describe=%s (kubeconfig %s, context fake, user me)" % (fk.url, kc) in r.out,
               "token: describe names server, file, context and user", r.diag())
        tap.ok("namespace=ns-a" in r.out, "token: namespace from the context", r.diag())
        log = fk.log()
        tap.eq([(e["method"], e["path"], e["user"], e["status"]) for e in log],
               [("GET", "/api/v1/namespaces/default", fake_kube.DEFAULT_USER, 200)],
               "token: one authenticated request")

        kc_bad = yaml_kubeconfig(os.path.join(wd, "kc-badtoken.yaml"), fk.url,
                                 "    token: not-a-valid-token\n", ca_line)
        fk.clear_log()
        r = tool.run(["--kubeconfig", kc_bad, "--path", "/api/v1/namespaces/default"])
        tap.ok(r.rc == 1 and "status=401" in r.out, "wrong fixed token: 401 reaches the caller",
               r.diag())
        tap.eq(len(fk.log()), 1, "wrong fixed token: not retried (nothing to refresh)")

        r = tool.run(["--kubeconfig", kc, "--path", "/api/v1/namespaces/default", "--count",
                      "3"])
        tap.ok(r.rc == 0 and r.out.count("status=200") == 3, "three requests in sequence",
               r.diag())

        # --- client certificates ---------------------------------------------
        cert, key = fake_kube.make_client_cert(pki, "cert-user", groups=("ops",),
                                               out_dir=wd)
        kc_cd = fk.kubeconfig(os.path.join(wd, "kc-certdata.json"), token=None, cert=cert,
                              key=key)
        fk.clear_log()
        r = tool.run(["--kubeconfig", kc_cd, "--path", "/api/v1/namespaces"])
        tap.eq(r.rc, 0, "client certificate data: exit 0", r.diag())
        tap.eq([e["user"] for e in fk.log()], ["cert-user"],
               "client certificate data: the server saw the certificate's CN")
        certdir = os.path.join(wd, "certs")
        os.makedirs(certdir)
        for src, dst in ((cert, "client.crt"), (key, "client.key")):
            with open(src, "rb") as f:
                tb.write_file(os.path.join(certdir, dst), f.read(), mode=0o600)
        kc_cf = yaml_kubeconfig(os.path.join(wd, "kc-certfiles.yaml"), fk.url,
                                "    client-certificate: certs/client.crt\n"
                                "    client-key: certs/client.key\n",
                                "    certificate-authority-data: %s\n" %
                                base64.b64encode(open(pki["ca"], "rb").read()).decode())
        fk.clear_log()
        r = tool.run(["--kubeconfig", kc_cf, "--path", "/api/v1/namespaces"])
        tap.eq(r.rc, 0, "client certificate files (relative paths): exit 0", r.diag())
        tap.eq([e["user"] for e in fk.log()], ["cert-user"],
               "client certificate files: the server saw the certificate's CN")
        wrong_cert, wrong_key = fake_kube.make_client_cert(pki, "intruder", out_dir=wd,
                                                           ca="wrong-ca")
        kc_wc = fk.kubeconfig(os.path.join(wd, "kc-wrongcert.json"), token=None,
                              cert=wrong_cert, key=wrong_key)
        r = tool.run(["--kubeconfig", kc_wc, "--path", "/api/v1/namespaces"])
        tap.ok(r.rc == 1 and "status=401" in r.out, "certificate from another CA: 401",
               r.diag())

        # --- token file, rotated ---------------------------------------------
        fk.set_tokens(["tok-file-1"])
        secrets.update({"file token 1": "tok-file-1", "file token 2": "tok-file-2"})
        tb.write_file(os.path.join(wd, "tokens", "sa-token"), "tok-file-1\n", mode=0o600)
        kc_tf = yaml_kubeconfig(os.path.join(wd, "kc-tokenfile.yaml"), fk.url,
                                "    tokenFile: tokens/sa-token\n", ca_line)
        s = tool.session(["--kubeconfig", kc_tf])
        fk.clear_log()
        tap.eq(statuses(s.do("GET /api/v1/namespaces/default")), [200], "token file: 200")
        tb.write_file(os.path.join(wd, "tokens", "sa-token.new"), "tok-file-2\n", mode=0o600)
        os.rename(os.path.join(wd, "tokens", "sa-token.new"), os.path.join(wd, "tokens",
                                                                            "sa-token"))
        fk.set_tokens(["tok-file-2"])
        tap.eq(statuses(s.do("GET /api/v1/namespaces/default")), [200],
               "token file rotated: the caller sees 200")
        tap.eq([e["status"] for e in fk.log()], [200, 401, 200],
               "token file rotated: 401 with the cached token, re-read, one retry")
        fk.set_tokens(["tok-file-3"])
        tap.eq(statuses(s.do("GET /api/v1/namespaces/default")), [401],
               "token file stale on the server too: the retry's 401 goes to the caller")
        tap.eq([e["status"] for e in fk.log()][3:], [401, 401], "exactly one retry")
        r = s.close()
        tap.eq(r.rc, 1, "token file session: exit 1 after a 401", r.diag())
        tap.ok("401" in r.err and "retrying once" in r.err, "401 retry logged at debug",
               r.diag())
        fk.set_tokens(["tok-static-1"])

        tb.write_file(os.path.join(wd, "tokens", "empty"), "\n")
        kc_te = yaml_kubeconfig(os.path.join(wd, "kc-tokenempty.yaml"), fk.url,
                                "    tokenFile: tokens/empty\n", ca_line)
        r = tool.run(["--kubeconfig", kc_te, "--path", "/api/v1/namespaces"])
        tap.ok(r.rc == 2 and "token file %s: empty" % os.path.join(wd, "tokens", "empty")
               in r.err, "empty token file: clear error at start", r.diag())

        # --- KUBECONFIG lists ------------------------------------------------
        kc_other = os.path.join(wd, "kc-other.yaml")
        tb.write_file(kc_other, "clusters:\n- name: fake\n  cluster: {server: https://"
                      "127.0.0.1:1}\ncontexts:\n- name: other\n  context: {cluster: fake}\n"
                      "current-context: other\n")
        r = tool.run(["--path", "/api/v1/namespaces"],
                     env={"KUBECONFIG": "%s:%s:%s" % (os.path.join(wd, "missing"), kc,
                                                      kc_other)})
        tap.ok(r.rc == 0 and "context fake" in r.out, "KUBECONFIG list: missing file skipped, "
               "first file's context and cluster win", r.diag())
        r = tool.run(["--path", "/api/v1/namespaces", "--context", "other"],
                     env={"KUBECONFIG": "%s:%s" % (kc, kc_other)})
        tap.ok(r.rc == 1 and "describe=%s (kubeconfig %s, %s, context other)"
               % (fk.url, kc, kc_other) in r.out and "status=401" in r.out,
               "KUBECONFIG list: --context picks the second file's context; its cluster "
               "name is the first file's (first wins); no user: anonymous, 401", r.diag())
        os.makedirs(os.path.join(home, ".kube"))
        with open(kc) as f:
            tb.write_file(os.path.join(home, ".kube", "config"), f.read(), mode=0o600)
        r = tool.run(["--path", "/api/v1/namespaces"], env={"KUBECONFIG": None})
        tap.ok(r.rc == 0 and "kubeconfig %s/.kube/config" % home in r.out,
               "no KUBECONFIG, not in a pod: ~/.kube/config", r.diag())
        r = tool.run(["--path", "/api/v1/namespaces"],
                     env={"KUBECONFIG": os.path.join(wd, "nope1") + ":" +
                          os.path.join(wd, "nope2")})
        tap.ok(r.rc == 2 and "names no existing file" in r.err,
               "KUBECONFIG naming only missing files: clear error", r.diag())

        # --- in-cluster in a private mount namespace ------------------------
        sa = os.path.join(wd, "sa")
        tb.write_file(os.path.join(sa, "token"), "tok-sa-1\n", mode=0o600)
        with open(pki["ca"], "rb") as f:
            tb.write_file(os.path.join(sa, "ca.crt"), f.read())
        tb.write_file(os.path.join(sa, "namespace"), "ecr-system")
        secrets.update({"sa token 1": "tok-sa-1", "sa token 2": "tok-sa-2"})
        # A tmpfs over /run (= /var/run) inside the namespace, then the test's directory
        # bound where the kubelet mounts the service account: the real /run is untouched
        # and the test can rotate files from outside.
        ns_script = ("mount -t tmpfs tmpfs /run && mkdir -p %s && mount --bind %s %s && "
                     "exec \"$@\"" % (SA, sa, SA))
        prefix = ["unshare", "-m", "--propagation", "private", "sh", "-c", ns_script, "sh"]
        fk.set_tokens(["tok-sa-1"])
        ic_env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1",
                  "KUBERNETES_SERVICE_PORT": str(fk.port)}
        r = tool.run(["--in-cluster", "--path", "/api/v1/namespaces/default"], env=ic_env,
                     prefix=prefix)
        tap.eq(r.rc, 0, "in-cluster: exit 0", r.diag())
        tap.ok("describe=https://127.0.0.1:%d (in-cluster, namespace ecr-system)" % fk.port
               in r.out, "in-cluster: describe and the namespace file", r.diag())
        tap.ok(not os.path.exists("/run/secrets"), "in-cluster: the real /run/secrets was not "
               "created")
        r = tool.run(["--path", "/api/v1/namespaces/default"],
                     env=dict(ic_env, KUBECONFIG=None), prefix=prefix)
        tap.ok(r.rc == 0 and "in-cluster" in r.out, "no kubeconfig, KUBERNETES_SERVICE_HOST "
               "set: in-cluster is picked", r.diag())
        s = tool.session(["--in-cluster"], env=ic_env, prefix=prefix)
        fk.clear_log()
        tap.eq(statuses(s.do("GET /api/v1/namespaces/default")), [200], "in-cluster session: 200")
        tb.write_file(os.path.join(sa, "token.tmp"), "tok-sa-2\n", mode=0o600)
        os.rename(os.path.join(sa, "token.tmp"), os.path.join(sa, "token"))
        fk.set_tokens(["tok-sa-2"])
        tap.eq(statuses(s.do("GET /api/v1/namespaces/default")), [200],
               "in-cluster token rotated: 200 after a re-read")
        tap.eq([e["status"] for e in fk.log()], [200, 401, 200],
               "in-cluster token rotated: one 401, then the fresh token")
        tap.eq(statuses(s.do("GET /api/v1/namespaces/default")), [200],
               "in-cluster: the fresh token stays in use")
        tap.eq([e["status"] for e in fk.log()][3:], [200], "in-cluster: no further 401")
        r = s.close()
        tap.eq(r.rc, 0, "in-cluster session: exit 0", r.diag())

        # IPv6: fake_kube listens on IPv4 only, so a dead port shows the URL is right.
        r = tool.run(["--in-cluster", "--path", "/api"],
                     env={"KUBERNETES_SERVICE_HOST": "::1",
                          "KUBERNETES_SERVICE_PORT": "1"}, prefix=prefix)
        tap.ok(r.rc == 1 and re.search(r"describe=https://\[::1\]:\d+ \(in-cluster", r.out)
               and "error=ECD_ETRANSPORT" in r.out,
               "in-cluster with an IPv6 KUBERNETES_SERVICE_HOST: the host is bracketed", r.diag())
        r = tool.run(["--in-cluster", "--path", "/"], env={"KUBERNETES_SERVICE_HOST": None})
        tap.ok(r.rc == 2 and "KUBERNETES_SERVICE_HOST is not set" in r.err,
               "in-cluster without KUBERNETES_SERVICE_HOST: clear error", r.diag())
        r = tool.run(["--in-cluster", "--path", "/"], env=ic_env,
                     prefix=["unshare", "-m", "--propagation", "private", "sh", "-c",
                             "mount -t tmpfs tmpfs /run && exec \"$@\"", "sh"])
        tap.ok(r.rc == 2 and "token file %s/token: No such file or directory" % SA in r.err,
               "in-cluster without a service account token: clear error", r.diag())

        # --- exec plugins ----------------------------------------------------
        pd = os.path.join(wd, "plugin")
        tb.write_file(os.path.join(pd, "get-token"), PLUGIN, mode=0o755)
        tb.write_file(os.path.join(pd, "token"), "tok-exec-1")
        for src, dst in ((cert, "client.crt"), (key, "client.key")):
            with open(src, "rb") as f:
                tb.write_file(os.path.join(pd, dst), f.read(), mode=0o600)
        secrets.update({"exec token 1": "tok-exec-1", "exec token 2": "tok-exec-2",
                        "exec token 3": "tok-exec-3"})

        def exec_kc(name, api="client.authentication.k8s.io/v1", mode="Never", extra=""):
            return yaml_kubeconfig(
                os.path.join(wd, name), fk.url,
                "    exec:\n      apiVersion: %s\n      command: plugin/get-token\n"
                "      args: [--cluster, fake]\n"
                "      env:\n      - {name: API_VERSION, value: %s}\n"
                "      - {name: PLUGIN_MODE, value: from-kubeconfig}\n"
                "      interactiveMode: %s\n      provideClusterInfo: true\n%s"
                % (api, api, mode, extra), ca_line)

        def runs():
            p = os.path.join(pd, "runs")
            return len(open(p).read().split()) if os.path.exists(p) else 0

        kc_ex = exec_kc("kc-exec.yaml")
        fk.set_tokens(["tok-exec-1"])
        s = tool.session(["--kubeconfig", kc_ex])
        fk.clear_log()
        out = s.do("x3 GET /api/v1/namespaces/default")
        tap.eq(statuses(out), [200, 200, 200], "exec: three concurrent requests succeed")
        tap.eq(runs(), 1, "exec: one plugin run for three concurrent requests")
        tap.eq(statuses(s.do("GET /api/v1/namespaces")), [200], "exec: a later request")
        tap.eq(runs(), 1, "exec: the credential without expiry is cached")
        info = json.load(open(os.path.join(pd, "exec-info.json")))
        tap.eq((info.get("apiVersion"), info.get("kind"), info["spec"].get("interactive"),
                info["spec"].get("cluster", {}).get("server")),
               ("client.authentication.k8s.io/v1", "ExecCredential", False, fk.url),
               "exec: KUBERNETES_EXEC_INFO with the cluster (provideClusterInfo)")
        tap.eq(open(os.path.join(pd, "env-seen")).read(), "from-kubeconfig|--cluster fake",
               "exec: env entries and args from the kubeconfig")
        # Rotation: the server stops accepting the cached token -> 401 -> plugin re-run.
        tb.write_file(os.path.join(pd, "token"), "tok-exec-2")
        fk.set_tokens(["tok-exec-2"])
        fk.clear_log()
        tap.eq(statuses(s.do("GET /api/v1/namespaces")), [200], "exec: 401 then a re-run: 200")
        tap.eq(runs(), 2, "exec: the plugin ran again after the 401")
        tap.eq([e["status"] for e in fk.log()], [401, 200], "exec: one 401, one retry")
        r = s.close()
        tap.eq(r.rc, 0, "exec session: exit 0", r.diag())
        tap.ok("plugin: mode token" in r.err, "exec: the plugin's stderr is logged at debug",
               r.diag())

        # Expiry: a credential that expires in a few seconds is used until then, then renewed.
        os.unlink(os.path.join(pd, "runs"))
        ttl = 4 * tool.slow  # whole seconds on the wire: 3-4 s of validity
        tb.write_file(os.path.join(pd, "ttl"), str(ttl))
        kc_v1b = exec_kc("kc-exec-v1beta1.yaml", api="client.authentication.k8s.io/v1beta1",
                         mode="IfAvailable")
        s = tool.session(["--kubeconfig", kc_v1b])
        tap.eq(statuses(s.do("GET /api/v1/namespaces")), [200], "exec v1beta1 with expiry: 200")
        tap.eq(statuses(s.do("GET /api/v1/namespaces")), [200], "exec: second request")
        tap.eq(runs(), 1, "exec: credential reused before its expiry")
        time.sleep(ttl + 0.2)
        tap.eq(statuses(s.do("GET /api/v1/namespaces")), [200], "exec: after the expiry")
        tap.eq(runs(), 2, "exec: plugin re-run once the credential expired")
        tap.eq(s.close().rc, 0, "exec expiry session: exit 0")
        os.unlink(os.path.join(pd, "ttl"))

        # A client certificate from the plugin.
        tb.write_file(os.path.join(pd, "mode"), "cert")
        fk.clear_log()
        r = tool.run(["--kubeconfig", kc_ex, "--path", "/api/v1/namespaces"])
        tap.eq(r.rc, 0, "exec with a client certificate: exit 0", r.diag())
        tap.eq([e["user"] for e in fk.log()], ["cert-user"],
               "exec certificate: the server saw the plugin's certificate")

        # Failures.
        tb.write_file(os.path.join(pd, "mode"), "fail")
        r = tool.run(["--kubeconfig", kc_ex, "--path", "/api/v1/namespaces"])
        tap.ok(r.rc == 1 and "error=ECD_EAUTH" in r.out, "failing plugin: the request fails "
               "with ECD_EAUTH", r.diag())
        tap.ok(re.search(r"exec plugin \S*get-token exited with status 3: boom: no credentials "
                         r"for you$", r.err, re.M) is not None,
               "failing plugin: exit status and the first stderr line", r.diag())
        tb.write_file(os.path.join(pd, "mode"), "garbage")
        r = tool.run(["--kubeconfig", kc_ex, "--path", "/api/v1/namespaces"])
        tap.ok(r.rc == 1 and "printed no valid ExecCredential: line 1, column 1: invalid JSON"
               in r.err, "plugin printing garbage: clear error", r.diag())
        os.unlink(os.path.join(pd, "mode"))
        kc_nocmd = yaml_kubeconfig(
            os.path.join(wd, "kc-nocmd.yaml"), fk.url,
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
            "      command: no-such-plugin-xyz\n      installHint: get it from example.com\n",
            ca_line)
        r = tool.run(["--kubeconfig", kc_nocmd, "--path", "/api/v1/namespaces"])
        tap.ok(r.rc == 1 and "cannot run exec plugin no-such-plugin-xyz: no such file or "
               "directory; get it from example.com" in r.err,
               "missing plugin: error with the installHint", r.diag())
        tap.ok(r.secs < 5 * tool.slow, "missing plugin: fails fast (%.1fs)" % r.secs)

        # --- malformed kubeconfigs and unsupported settings -----------------
        def bad(name, text, needle, what):
            p = os.path.join(wd, name)
            tb.write_file(p, text)
            r = tool.run(["--kubeconfig", p, "--path", "/api/v1/namespaces"])
            tap.ok(r.rc == 2 and "error=ECD_ECONFIG" in r.out, "%s: exit 2" % what, r.diag())
            errs = [l for l in r.err.splitlines() if l.startswith("ecr-credd: error:")]
            tap.ok(len(errs) == 1 and needle % {"f": p} in errs[0],
                   "%s: one error line naming file and path" % what, r.diag())

        base_user = "users:\n- name: me\n  user: {token: tok-static-1}\n"
        base_ctx = "contexts:\n- name: c\n  context: {cluster: k, user: me}\ncurrent-context: c\n"
        base_cl = "clusters:\n- name: k\n  cluster: {server: '%s'}\n" % fk.url
        bad("m-yaml.yaml", "clusters:\n- name: k\n  cluster: {server: [\n",
            "%(f)s:4: invalid YAML", "broken YAML")
        bad("m-apiver.yaml", base_cl + "users:\n- name: me\n  user:\n    exec:\n"
            "      command: x\n      apiVersion: client.authentication.k8s.io/v1alpha1\n"
            + base_ctx, "%(f)s:9: users[0].user.exec.apiVersion: expected "
            "client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1",
            "exec apiVersion v1alpha1")
        bad("m-always.yaml", base_cl + "users:\n- name: me\n  user:\n    exec:\n"
            "      command: x\n      apiVersion: client.authentication.k8s.io/v1\n"
            "      interactiveMode: Always\n" + base_ctx,
            "%(f)s:10: users[0].user.exec.interactiveMode: Always needs a terminal",
            "exec interactiveMode Always")
        bad("m-insecure-ca.yaml", "clusters:\n- name: k\n  cluster:\n    server: %s\n"
            "    certificate-authority: %s\n    insecure-skip-tls-verify: true\n"
            % (fk.url, pki["ca"]) + base_user + base_ctx,
            "%(f)s:6: clusters[0].cluster.insecure-skip-tls-verify: insecure-skip-tls-verify "
            "cannot be combined with certificate-authority", "insecure with a CA")
        bad("m-noserver.yaml", "clusters:\n- name: k\n  cluster: {}\n" + base_user + base_ctx,
            "%(f)s:2: clusters[0]: cluster \"k\": server: missing", "no server")
        bad("m-authprov.yaml", base_cl + "users:\n- name: me\n  user:\n    auth-provider:\n"
            "      name: oidc\n" + base_ctx,
            "%(f)s:8: users[0].user.auth-provider: auth-provider oidc is not supported",
            "auth-provider")
        bad("m-b64.yaml", base_cl + "users:\n- name: me\n  user: {client-key-data: 'a b'}\n"
            + base_ctx, "%(f)s:6: users[0].user.client-key-data: expected standard base64",
            "bad base64")
        bad("m-type.yaml", "clusters: {k: v}\n", "%(f)s:1: clusters: expected a list, found a "
            "mapping", "clusters as a mapping")
        bad("m-ctx.yaml", base_cl + base_user + "current-context: nope\n",
            "%(f)s:7: current-context: context \"nope\" not found", "unknown current-context")
        bad("m-cafile.yaml", "clusters:\n- name: k\n  cluster:\n    server: %s\n"
            "    certificate-authority: missing-ca.crt\n" % fk.url + base_user + base_ctx,
            "%(f)s:2: clusters[0]: certificate-authority " + os.path.join(wd, "missing-ca.crt")
            + ": No such file or directory", "missing CA file")
        bad("m-sni.yaml", "clusters:\n- name: k\n  cluster:\n    server: %s\n"
            "    tls-server-name: kubernetes\n" % fk.url + base_user + base_ctx,
            "%(f)s:5: clusters[0].cluster.tls-server-name: not supported", "tls-server-name")
        r = tool.run(["--kubeconfig", os.path.join(wd, "absent.yaml"), "--path", "/"])
        tap.ok(r.rc == 2 and "kubeconfig %s: No such file or directory"
               % os.path.join(wd, "absent.yaml") in r.err,
               "an explicit kubeconfig that does not exist: clear error", r.diag())

        # --- server down, insecure ------------------------------------------
        dead = tb.free_port()
        kc_dead = yaml_kubeconfig(os.path.join(wd, "kc-dead.yaml"),
                                  "https://127.0.0.1:%d" % dead, "    token: tok-static-1\n",
                                  ca_line)
        r = tool.run(["--kubeconfig", kc_dead, "--path", "/api/v1/namespaces"])
        tap.ok(r.rc == 1 and re.search(r"error=ECD_ETRANSPORT errmsg=.*(refused|connect)",
                                       r.out), "API server down: ECD_ETRANSPORT with curl's "
               "reason", r.diag())
        tap.ok(r.secs < 5 * tool.slow, "API server down: fails fast (%.1fs)" % r.secs)
        fk.set_tokens(["tok-static-1"])
        kc_insec = yaml_kubeconfig(os.path.join(wd, "kc-insecure.yaml"), fk.url,
                                   "    token: tok-static-1\n",
                                   "    insecure-skip-tls-verify: true\n")
        r = tool.run(["--kubeconfig", kc_insec, "--path", "/api/v1/namespaces"])
        tap.eq(r.rc, 0, "insecure-skip-tls-verify: works without a CA", r.diag())
        tap.ok(re.search(r"ecr-credd: warning: .*insecure-skip-tls-verify: the API server's "
                         r"certificate is NOT checked", r.err) is not None,
               "insecure-skip-tls-verify: a loud warning", r.diag())
        kc_noca = yaml_kubeconfig(os.path.join(wd, "kc-noca.yaml"), fk.url,
                                  "    token: tok-static-1\n", "")
        r = tool.run(["--kubeconfig", kc_noca, "--path", "/api/v1/namespaces"])
        tap.ok(r.rc == 1 and "error=ECD_ETRANSPORT" in r.out and "certificate" in r.out,
               "no CA: the test CA is not trusted (verification is on)", r.diag())

        # --- headers: basic auth and impersonation (a plain-http echo server) -----
        seen = []

        class Echo(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                seen.append([(k, v) for k, v in self.headers.items()])
                body = b'{"kind":"Status","status":"Success"}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        echo = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
        threading.Thread(target=echo.serve_forever, daemon=True).start()
        secrets["basic password"] = "pw-secret-77"
        kc_basic = yaml_kubeconfig(os.path.join(wd, "kc-basic.yaml"),
                                   "http://127.0.0.1:%d" % echo.server_address[1],
                                   "    username: alice\n    password: pw-secret-77\n"
                                   "    as: bob\n    as-groups: [ops, dev]\n    as-uid: u-1\n", "")
        r = tool.run(["--kubeconfig", kc_basic, "--path", "/api"])
        hdrs = seen[-1] if seen else []
        tap.eq(r.rc, 0, "basic auth over http: exit 0", r.diag())
        tap.eq([v for k, v in hdrs if k.lower() == "authorization"],
               ["Basic " + base64.b64encode(b"alice:pw-secret-77").decode()],
               "basic auth: Authorization header")
        tap.eq([(k.lower(), v) for k, v in hdrs if k.lower().startswith("impersonate-")],
               [("impersonate-user", "bob"), ("impersonate-group", "ops"),
                ("impersonate-group", "dev"), ("impersonate-uid", "u-1")],
               "impersonation headers")
        tap.ok("credentials travel unencrypted" in r.err, "plain http: a warning", r.diag())
        echo.shutdown()

        # --- streaming (watch) -----------------------------------------------
        s = tool.session(["--kubeconfig", kc])
        out = s.do("STREAM GET /api/v1/namespaces?watch=1&timeoutSeconds=1")
        stream, events, dec = "".join(l[5:] for l in out if l.startswith("data=")), [], \
            json.JSONDecoder()
        pos = 0
        while stream[pos:].strip():
            while stream[pos] == " ":
                pos += 1
            ev, pos = dec.raw_decode(stream, pos)
            events.append(ev)
        tap.ok(out and out[-1].startswith("status=200") and
               {"default", "kube-system"} <= {e["object"]["metadata"]["name"] for e in events
                                              if e.get("type") == "ADDED"},
               "watch: ADDED events streamed to on_data with the caller's ud", out)
        s.close()

        # --- cancel ----------------------------------------------------------
        s = tool.session(["--kubeconfig", kc])
        out = s.do("CANCEL GET /api/v1/namespaces")
        tap.eq(out, ["error=ECD_ECANCELED errmsg="], "kube_cancel: done with ECD_ECANCELED")
        tb.write_file(os.path.join(pd, "mode"), "token")
        s.close()
        s = tool.session(["--kubeconfig", kc_ex])
        out = s.do("CANCEL GET /api/v1/namespaces")
        tap.ok(len(out) == 1 and out[0].startswith("error=ECD_ECANCELED"),
               "kube_cancel while waiting for the plugin: ECD_ECANCELED", out)
        r = s.close()
        tap.ok(r.rc in (0, 1) and "handles left open" not in r.err,
               "cancel: the loop closes cleanly", r.diag())

        tb.check_no_secrets(tap, tool.results, secrets)
        fk.stop()
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
