#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The container image, built from the Dockerfile's runtime stage and run with runc.

There is no docker engine here, so tests/container/ocibuild.py replays the runtime stage:
debootstrap for `FROM debian:12-slim` (cached under /var/cache/ecr-credd-test), its RUN
lines in a chroot, the binary under test where `COPY --from=build` puts it, and ENV, USER,
WORKDIR and ENTRYPOINT as the image config of an OCI layout (umoci).  `umoci unpack`
gives the bundle; runc runs it with a read-only root, docker's default capabilities and
the network namespace of the test, where
  api.ecr.us-east-1.amazonaws.com -> 127.0.0.2:443 (socat TLS -> moto)
  <account>.dkr.ecr.us-east-1.amazonaws.com -> 127.0.1.1:443 (docker-registry)
The container gets only environment variables (keys, region, AWS_ECR_REGISTRY_IDS,
AWS_CA_BUNDLE for the test CA) and a writable bind mount for its docker config.

Checks: the image config (numeric non-root USER, ENTRYPOINT, ENV), every library the
binary needs is in the image, `--once` writes working credentials (skopeo reads an image
with them), the daemon as the image runs it: non-root, no capabilities, read-only root
even for root in the container, HEALTHCHECK through `runc exec` (when the binary has the
health listener), SIGTERM stops it, no secret in any output.
Without the Debian archive (debootstrap fails) the test is skipped, or fails under CI=true.
Usage: test_container.py /path/to/ecr-credd
"""

import json
import os
import re
import shlex
import stat
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
sys.path.insert(0, os.path.join(HERE, "..", "container"))
import testbed as tb  # noqa: E402
import ocibuild  # noqa: E402

SK = tb.EXAMPLE_SK
REGION = "us-east-1"
ACCOUNTS = [tb.DEFAULT_ACCOUNT, "222222222222"]
API = "api.ecr.%s.amazonaws.com" % REGION
IMAGE = "team/tiny:1.0"
CA_IN_CTR = "/run/ecd-test/ca.pem"
WRONG_CA_IN_CTR = "/run/ecd-test/wrong-ca.pem"


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def http_get(ns, url):
    def go():
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")
        except OSError as e:
            return None, str(e)
    return ns.call(go)


def compose_env(services, answers):
    """The environment docker-compose.yml gives the ecr-credd service, its ${VAR}s
    filled from answers (blank when not answered, as Rancher does)."""
    env = services["ecr-credd"].get("environment") or {}
    return {k: re.sub(r"\$\{(\w+)\}", lambda m: answers.get(m.group(1), ""), str(v))
            for k, v in env.items()}


def check_rancher(tap, stage, compose, rcompose, manpage):
    """Static agreement of config/rancher/*.yml with the Dockerfile and the man page."""
    svc = (compose.get("services") or {}).get("ecr-credd") or {}
    labels = svc.get("labels") or {}
    tap.eq(labels.get("io.rancher.container.create_agent"), "true",
           "rancher: label io.rancher.container.create_agent 'true'")
    tap.eq(labels.get("io.rancher.container.agent.role"), "environment",
           "rancher: label io.rancher.container.agent.role environment")
    env = svc.get("environment") or {}
    for k in ("AWS_REGION", "AWS_ECR_REGISTRY_IDS", "AWS_ROLE_ARN", "AUTO_CREATE",
              "LISTEN_PORT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        tap.ok(k in env, "rancher: the old updater's variable %s is passed" % k)
    undocumented = [k for k in env if not re.search(r"\b%s\b" % k, manpage)]
    tap.eq(undocumented, [], "rancher: every variable passed is documented in ecr-credd(8)")
    tap.eq(svc.get("read_only"), True, "rancher: read_only root filesystem")
    hc = ((rcompose.get("services") or {}).get("ecr-credd") or {}).get("health_check") or {}
    tap.eq(str(hc.get("port")), str(env.get("LISTEN_PORT")),
           "rancher: health_check port is the LISTEN_PORT passed")
    tap.eq(str(env.get("LISTEN_PORT")), stage.env.get("LISTEN_PORT"),
           "rancher: LISTEN_PORT is the image's")
    tap.ok(re.fullmatch(r'GET "?/healthz"? "?HTTP/1\.[01]"?', str(hc.get("request_line", ""))),
           "rancher: health_check asks GET /healthz", repr(hc.get("request_line")))
    hcmd = " ".join((stage.healthcheck or {}).get("test") or [])
    tap.ok("/healthz" in hcmd and "LISTEN_PORT" in hcmd,
           "Dockerfile HEALTHCHECK asks /healthz on $LISTEN_PORT", hcmd)


def main():
    tap, binary = tb.start(tools=("ip", "socat", "openssl", "umoci", "runc", "debootstrap",
                                  "unshare", "chroot", "docker-registry", "skopeo",
                                  "htpasswd"),
                           modules=("moto", "yaml"), root=True)
    if tb.sanitized(binary):
        # The image never carries a sanitizer build, and its runtime libraries are not in
        # the image: nothing to learn from it.
        print("1..0 # SKIP sanitizer build: the image carries the release binary only")
        sys.exit(0)
    try:
        stage = ocibuild.runtime_stage(os.path.join(SRCDIR, "Dockerfile"))
    except (OSError, ValueError) as e:
        tap.ok(False, "the Dockerfile's runtime stage can be replayed", str(e))
        tap.done()

    import yaml
    try:
        rdir = os.path.join(SRCDIR, "config", "rancher")
        with open(os.path.join(rdir, "docker-compose.yml")) as f:
            compose = yaml.safe_load(f)
        with open(os.path.join(rdir, "rancher-compose.yml")) as f:
            rcompose = yaml.safe_load(f)
        with open(os.path.join(SRCDIR, "doc", "ecr-credd.8")) as f:
            manpage = f.read()
        check_rancher(tap, stage, compose, rcompose, manpage)
    except (OSError, ValueError, yaml.YAMLError, AttributeError) as e:
        tap.ok(False, "config/rancher/*.yml load", str(e))
        compose = {"services": {"ecr-credd": {}}}

    t0 = time.monotonic()
    # ECD_CONTAINER_IMAGE=DIR:TAG runs the same checks on an image built elsewhere (an
    # OCI layout, e.g. `buildah push IMAGE oci:DIR:TAG` after building the Dockerfile).
    given = os.environ.get("ECD_CONTAINER_IMAGE")
    if not given:
        try:
            rootfs, built, secs = ocibuild.ensure_rootfs(stage, log=tap.diag)
        except ocibuild.ArchiveUnreachable as e:
            lines = [l for l in str(e).splitlines() if l.strip()]
            reason = "the Debian archive is out of reach (%s: %s)" % (e.step, lines[-1][:200])
            if os.environ.get("CI", "").lower() == "true":
                tap.ok(False, "Debian archive reachable for debootstrap (CI=true)", str(e))
            else:
                tap.skip("container image built from the Dockerfile and run", reason)
            tap.done()
        except (ocibuild.BuildError, OSError) as e:
            tap.ok(False, "runtime stage FROM + RUN replayed", str(e))
            tap.done()
        tap.diag("rootfs %s %s in %.1fs" % (rootfs, "built" if built else "reused", secs))

    with tb.workdir("ecd-ctr-") as wd:
        t1 = time.monotonic()
        try:
            if given:
                ref = given
                tap.diag("image %s (ECD_CONTAINER_IMAGE); the binary argument is not used" % ref)
            else:
                copies = {(c["from"], c["src"]): binary for c in stage.copies}
                ref = ocibuild.build_image(stage, rootfs, copies, os.path.join(wd, "image"))
            cfg, manifest = ocibuild.image_config(*ref.rsplit(":", 1))
            bundle = ocibuild.Bundle(ref, os.path.join(wd, "bundle"),
                                     os.path.join(wd, "runc-state"))
        except (ocibuild.BuildError, OSError, ValueError) as e:
            tap.ok(False, "OCI image built and unpacked with umoci", str(e))
            tap.done()
        tap.diag("image + bundle in %.1fs" % (time.monotonic() - t1))

        # 1. The image config says what the Dockerfile says.
        c = cfg.get("config", {})
        user = c.get("User", "")
        uid, gid = ocibuild.parse_user(user) if re.fullmatch(r"\d+(:\d+)?", user) else (0, 0)
        tap.ok(re.fullmatch(r"\d+:\d+", user) is not None and uid != 0 and gid != 0,
               "image User is a numeric non-root uid:gid (%s)" % user)
        tap.eq(c.get("Entrypoint"), ["ecr-credd"], "image Entrypoint is [\"ecr-credd\"]")
        tap.eq(c.get("Cmd"), None, "image has no Cmd: the daemon runs by default")
        env = dict(e.split("=", 1) for e in c.get("Env") or [])
        for k, v in stage.env.items():
            tap.eq(env.get(k), v, "image Env %s from the Dockerfile" % k)
        if not given:
            tap.eq(len(manifest.get("layers") or []), 1 + len(stage.copies),
                   "image has the base layer and one layer per COPY")
        copy = [x for x in stage.copies if x["from"] == "build"]
        tap.eq(len(copy), 1, "runtime stage copies exactly one file from the build stage")
        dest = copy[0]["dest"] if copy else "/usr/local/bin/ecr-credd"
        tap.eq(dest, "/usr/local/bin/ecr-credd", "binary installed at /usr/local/bin/ecr-credd")
        try:
            st = os.lstat(os.path.join(bundle.path, "rootfs", dest.lstrip("/")))
            tap.ok(stat.S_ISREG(st.st_mode) and st.st_uid == 0 and
                   stat.S_IMODE(st.st_mode) == 0o755,
                   "binary in the image: root-owned, mode 0755, not writable by the user",
                   "uid %d mode %o" % (st.st_uid, st.st_mode))
        except OSError as e:
            tap.ok(False, "binary present in the unpacked image", str(e))

        pk = tb.make_pki(os.path.join(wd, "pki"))
        hosts = {API: "127.0.0.2", "sts.%s.amazonaws.com" % REGION: "127.0.0.2",
                 tb.ecr_host(ACCOUNTS[0], REGION): "127.0.1.1"}
        skhome = os.path.join(wd, "skopeo-home")
        os.makedirs(skhome)
        results = []
        n = [0]
        # Built with the health listener (meson feature 'health') iff the binary links
        # libmicrohttpd: known after ldd ran in the image (step 2).
        state = {"health": True}

        with tb.Netns(hosts) as ns:
            moto = tb.Moto(wd, netns=ns)
            tls = tb.TlsTerminator(pk["pem"], moto.port, wd, bind="127.0.0.2", port=443,
                                   netns=ns)
            registry = tb.Registry(ACCOUNTS[0], "127.0.1.1", pk, wd, ns)
            src = tb.build_tiny_image(wd)
            ref0 = "%s/%s" % (tb.ecr_host(ACCOUNTS[0], REGION), IMAGE)
            p = tb.push_image(src, ref0, ACCOUNTS[0], pk["certs_d"], ns, skhome)
            if p.returncode != 0:
                tap.ok(False, "fixture: push to %s" % ref0, p.stderr + "\n" + registry.log())

            def docker_dir():
                n[0] += 1
                d = os.path.join(wd, "docker%d" % n[0])
                os.makedirs(d, mode=0o700)
                os.chown(d, uid, gid)  # what a user does for a bind-mounted volume
                return d

            def configure(dc, args=None, argv=None, **kw):
                e = {"AWS_ACCESS_KEY_ID": tb.EXAMPLE_AK, "AWS_SECRET_ACCESS_KEY": SK,
                     "AWS_REGION": REGION, "AWS_CA_BUNDLE": CA_IN_CTR,
                     "AWS_EC2_METADATA_DISABLED": "true"}
                if not state["health"]:
                    e["LISTEN_PORT"] = None
                e.update(kw)
                mounts = [(pk["ca"], CA_IN_CTR, False), (pk["wrong_ca"], WRONG_CA_IN_CTR, False)]
                if dc:
                    mounts.append((dc, env.get("HOME", "/root") + "/.docker", True))
                bundle.configure(ns.name, env=e, args=args, argv=argv, mounts=mounts,
                                 hosts_dir=ns.etc)

            def once(dc, args=("--once",), argv=None, **kw):
                configure(dc, args=list(args), argv=argv, **kw)
                cid = "ecd-%d-%d" % (os.getpid(), len(results))
                rc, out, err, secs = ocibuild.run_once(bundle, cid)
                r = tb.Result(bundle.runc("run", cid) + list(argv or args), rc, out, err, secs)
                results.append(r)
                return r

            # 2. Every library the binary links is in the image.
            r = once(None, args=("--version",))
            tap.eq(r.rc, 0, "ecr-credd --version runs in the image", r.diag())
            tap.ok("ecr-credd" in r.out + r.err, "--version names the program", r.diag())
            r = once(None, argv=["/usr/bin/ldd", dest])
            rc, out, err = r.rc, r.out, r.err
            tap.ok(rc == 0 and "not found" not in out + err,
                   "ldd in the image: every shared library found",
                   "rc %s\n%s%s" % (rc, out, err))
            health = state["health"] = "libmicrohttpd" in out

            # 3. --once with the environment docker-compose.yml passes (answers for the
            #    region, keys and ids, the rest blank as Rancher leaves them; no CATTLE_*
            #    without the agent, so the docker sink), the default endpoint over TLS.
            dc = docker_dir()
            moto.clear_log()
            cenv = compose_env(compose.get("services") or {}, {
                "AWS_REGION": REGION, "AWS_ACCESS_KEY_ID": tb.EXAMPLE_AK,
                "AWS_SECRET_ACCESS_KEY": SK, "AWS_ECR_REGISTRY_IDS": ",".join(ACCOUNTS)})
            tap.diag("compose environment: " + " ".join(
                "%s=%s" % (k, shlex.quote(v if "SECRET" not in k else "..."))
                for k, v in cenv.items()))
            r = once(dc, **cenv)
            tap.eq(r.rc, 0, "container --once with docker-compose.yml's variables: exit 0",
                   r.diag())
            reqs = moto.token_requests(clear=True)
            tap.ok(len(reqs) >= 1 and all(e.get("Host") == API for e in reqs),
                   "token requests went to https://%s" % API,
                   json.dumps([e.get("Host") for e in reqs]))
            cfgp = os.path.join(dc, "config.json")
            got = tb.read_json(cfgp, default={})
            for acct in ACCOUNTS:
                tap.eq(tb.find_auth(got, tb.ecr_host(acct, REGION)).get(tb.ecr_host(acct, REGION)),
                       tb.token_for(acct), "config.json entry for %s" % acct, json.dumps(got))
            try:
                st = os.stat(cfgp)
                tap.eq((st.st_uid, st.st_gid, oct(stat.S_IMODE(st.st_mode))),
                       (uid, gid, oct(0o600)),
                       "config.json written by the image's user, mode 0600")
            except OSError as e:
                tap.ok(False, "config.json exists", str(e))
            p = tb.skopeo_inspect(ref0, cfgp, pk["certs_d"], ns, skhome)
            tap.eq(p.returncode, 0, "skopeo reads the image with what the container wrote",
                   p.stderr)

            # 4. The daemon, as `docker run --read-only IMAGE` starts it.
            port = env.get("LISTEN_PORT", "8080")
            dc = docker_dir()
            cfgp = os.path.join(dc, "config.json")
            configure(dc, args=None, AWS_ECR_REGISTRY_IDS=ACCOUNTS[0])
            cid = "ecd-%d-daemon" % os.getpid()
            ctr = ocibuild.Container(bundle, cid, track=tb._track)
            tb._cleanups.append(ctr.delete)
            ok = tb.wait_until(lambda: tb.read_json(cfgp, default=None), 20)
            tap.ok(ok, "daemon container writes config.json", ctr.stderr())
            pid = (ctr.state() or {}).get("pid")
            if pid:
                s = proc_status(pid)
                tap.eq(s.get("Uid", "").split(), [str(uid)] * 4,
                       "daemon runs as uid %d (real, effective, saved, fs)" % uid)
                tap.eq(s.get("Gid", "").split(), [str(gid)] * 4, "daemon runs as gid %d" % gid)
                tap.eq(s.get("CapEff"), "0000000000000000", "daemon has no effective capability")
                tap.eq(s.get("CapPrm"), "0000000000000000", "daemon has no permitted capability")
                tap.eq(s.get("NoNewPrivs"), "1", "no_new_privs is set")
                with open("/proc/%d/mountinfo" % pid) as f:
                    root = [l.split() for l in f if l.split()[4] == "/"]
                tap.ok(root and "ro" in root[-1][5].split(","),
                       "the container's / is mounted read-only", json.dumps(root))
            else:
                tap.ok(False, "runc state gives the daemon's pid", ctr.stderr())
            p = ctr.exec(["/bin/sh", "-c", "touch /usr/local/bin/probe"], user=(0, 0))
            tap.ok(p.returncode != 0 and "Read-only file system" in p.stderr,
                   "root inside the container cannot write the image (read-only root)",
                   "rc %s: %s" % (p.returncode, p.stderr))
            p = ctr.exec(["/bin/sh", "-c", 'touch "$HOME/probe"'])
            tap.ok(p.returncode != 0, "the image's user cannot write $HOME outside the mount",
                   "rc %s: %s" % (p.returncode, p.stderr))
            hc = stage.healthcheck
            if hc is None:
                tap.ok(False, "the Dockerfile has a HEALTHCHECK")
            elif not health:
                tap.skip("HEALTHCHECK succeeds inside the container",
                         "binary built without the health listener")
            else:
                ready = tb.wait_until(lambda: http_get(ns, "http://127.0.0.1:%s/healthz"
                                                       % port)[0] == 200, 20)
                p = ctr.exec(hc["test"])
                tap.ok(ready and p.returncode == 0,
                       "HEALTHCHECK (%s) succeeds inside the container"
                       % " ".join(hc["test"][2:] or hc["test"]),
                       "rc %s: %s%s\n%s" % (p.returncode, p.stdout, p.stderr, ctr.stderr()))
                st, body = http_get(ns, "http://127.0.0.1:%s/metrics" % port)
                tap.eq(st, 200, "GET /metrics from outside the container: 200", body[:500])
            t2 = time.monotonic()
            rc = ctr.stop()
            tap.eq(rc, 0, "SIGTERM stops the daemon container: exit 0", ctr.stderr())
            tap.ok(time.monotonic() - t2 < 10, "it stops within 10 s")
            results.append(tb.Result(bundle.runc("run", cid), rc, ctr.stdout(), ctr.stderr(),
                                     time.monotonic() - t2))

            # 5. A daemon that cannot get credentials (AWS_CA_BUNDLE names a CA that did not
            #    sign the endpoint's certificate): /healthz 503, the HEALTHCHECK fails.
            if hc is not None and health:
                dc = docker_dir()
                configure(dc, args=None, AWS_CA_BUNDLE=WRONG_CA_IN_CTR)
                cid = "ecd-%d-unhealthy" % os.getpid()
                bad = ocibuild.Container(bundle, cid, track=tb._track)
                tb._cleanups.append(bad.delete)
                got = tb.wait_until(lambda: (lambda g: g if g[0] else None)(
                    http_get(ns, "http://127.0.0.1:%s/healthz" % port)), 20) or (None, "")
                tap.eq(got[0], 503, "daemon without credentials: GET /healthz 503",
                       "%s\n%s" % (got[1][:500], bad.stderr()))
                tap.ok("no credentials yet" in got[1],
                       "503 body says there are no credentials yet", got[1][:500])
                p = bad.exec(hc["test"])
                tap.ok(p.returncode not in (0, "timeout"),
                       "HEALTHCHECK fails inside the unhealthy container",
                       "rc %s: %s%s" % (p.returncode, p.stdout, p.stderr))
                t3 = time.monotonic()
                rc = bad.stop()
                tap.eq(rc, 0, "SIGTERM stops the unhealthy container: exit 0", bad.stderr())
                results.append(tb.Result(bad.cmd, rc, bad.stdout(), bad.stderr(),
                                         time.monotonic() - t3))
                tap.ok(not os.path.exists(os.path.join(dc, "config.json")),
                       "unhealthy container wrote nothing")

            tb.check_no_secrets(tap, results, {
                "secret key": SK, "token": tb.token_for(ACCOUNTS[0]),
                "password": tb.password_for(ACCOUNTS[0]),
                "token 2": tb.token_for(ACCOUNTS[1]),
                "password 2": tb.password_for(ACCOUNTS[1])}, "the container's output")
            tb.stop_all(registry, tls, moto)
    tap.diag("total %.1fs" % (time.monotonic() - t0))
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
