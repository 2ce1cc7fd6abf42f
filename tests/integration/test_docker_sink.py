#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The docker sink, through the real binary, against plain-HTTP moto.

Each case prepares a docker config directory, runs `ecr-credd --once` and
checks the file afterwards: merge rules, twin spellings, mode/owner, symlinks,
malformed files, credsStore/credHelpers warnings, temp files, the choice
between $DOCKER_CONFIG and $HOME, and partial sink failure (exit 3).
Usage: test_docker_sink.py /path/to/ecr-credd
"""

import json
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed as tb  # noqa: E402

SK = tb.EXAMPLE_SK
ACCT, HOST = tb.DEFAULT_ACCOUNT, tb.DEFAULT_HOST
TOKEN = tb.token_for(ACCT)
STALE = "QVdTOnN0YWxlLXBhc3N3b3Jk"  # AWS:stale-password


def listing(d):
    out = []
    for root, dirs, files in os.walk(d):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(root, n), d))
    return sorted(out)


def main():
    tap, binary = tb.start(modules=("moto",))

    with tb.workdir() as wd:
        moto = tb.Moto(wd, realistic_auth_errors=True)
        daemon = tb.Daemon(binary, os.path.join(wd, "home"))
        fresh_dir = tb.dir_maker(wd, create=True)

        def env(dc, **kw):
            return tb.aws_env(dc, endpoint=moto.url, **kw)

        def load(path, what):
            try:
                return tb.read_json(path)
            except (OSError, ValueError) as ex:
                tap.ok(False, "%s: %s is valid JSON" % (what, path), str(ex))
                return {}

        def no_temp_files(d, expected, what):
            got = listing(d)
            tap.eq(got, sorted(expected), "%s: no temp files left in %s" % (what, os.path.basename(d)))

        # 1. Merge: other entries and top-level keys kept, our entry updated.
        dc = fresh_dir()
        other = {
            "auths": {
                "quay.io": {"auth": "cXVheTpwdw=="},
                "https://index.docker.io/v1/": {"auth": "ZG9ja2VyOnB3", "email": "a@b.c"},
                "999999999999.dkr.ecr.us-east-1.amazonaws.com": {"auth": "b3RoZXI6YWNjdA=="},
                HOST: {"auth": STALE},
            },
            "psFormat": "table {{.ID}}",
            "HttpHeaders": {"User-Agent": "Docker-Client"},
            "proxies": {"default": {"httpProxy": "http://proxy:3128"}},
            "experimental": "enabled",
            "plugins": {"x": {"y": [1, 2, {"z": None}]}},
        }
        cfgp = os.path.join(dc, "config.json")
        tb.write_file(cfgp, json.dumps(other, indent="\t"), 0o600)
        r = daemon.run(env=env(dc))
        tap.eq(r.rc, 0, "merge: exit 0", r.diag())
        cfg = load(cfgp, "merge")
        tap.eq((cfg.get("auths") or {}).get(HOST, {}).get("auth"), TOKEN, "merge: entry updated")
        for k in ("quay.io", "https://index.docker.io/v1/",
                  "999999999999.dkr.ecr.us-east-1.amazonaws.com"):
            tap.eq((cfg.get("auths") or {}).get(k), other["auths"][k],
                   "merge: other entry %s kept unchanged" % k)
        for k in ("psFormat", "HttpHeaders", "proxies", "experimental", "plugins"):
            tap.eq(cfg.get(k), other[k], "merge: top-level key %s kept" % k)
        tap.eq(sorted(cfg.get("auths") or {}), sorted(other["auths"]),
               "merge: no extra auths keys")
        no_temp_files(dc, ["config.json"], "merge")

        # 2. Twin spellings of the same registry are all updated.
        dc = fresh_dir()
        twins = {"https://" + HOST: {"auth": STALE}, HOST + "/": {"auth": STALE}}
        tb.write_file(os.path.join(dc, "config.json"), json.dumps({"auths": twins}), 0o600)
        r = daemon.run(env=env(dc))
        tap.eq(r.rc, 0, "twins: exit 0", r.diag())
        cfg = load(os.path.join(dc, "config.json"), "twins")
        found = tb.find_auth(cfg, HOST)
        for k in twins:
            tap.eq(found.get(k), TOKEN, "twins: %s updated" % k, json.dumps(cfg))
        tap.ok(all(v == TOKEN for v in found.values()),
               "twins: no spelling keeps the stale token", json.dumps(found))
        no_temp_files(dc, ["config.json"], "twins")

        # 3. Mode 0640 and owner kept.
        dc = fresh_dir()
        p = os.path.join(dc, "config.json")
        tb.write_file(p, json.dumps({"auths": {HOST: {"auth": STALE}}}), 0o640)
        os.chown(p, 4321, 4322)
        r = daemon.run(env=env(dc))
        tap.eq(r.rc, 0, "mode/owner: exit 0", r.diag())
        st = os.stat(p)
        tap.eq(oct(stat.S_IMODE(st.st_mode)), oct(0o640), "mode/owner: mode 0640 kept")
        tap.eq((st.st_uid, st.st_gid), (4321, 4322), "mode/owner: uid/gid kept")
        tap.eq(load(p, "mode/owner").get("auths", {}).get(HOST, {}).get("auth"), TOKEN,
               "mode/owner: entry updated")
        no_temp_files(dc, ["config.json"], "mode/owner")

        # 4. Symlinked config.json: the target is updated, the link stays.
        dc = fresh_dir()
        real_dir = fresh_dir()
        target = os.path.join(real_dir, "real-config.json")
        tb.write_file(target, json.dumps({"auths": {"quay.io": {"auth": "cXVheTpwdw=="}}}), 0o600)
        link = os.path.join(dc, "config.json")
        os.symlink(os.path.join("..", os.path.basename(real_dir), "real-config.json"), link)
        r = daemon.run(env=env(dc))
        tap.eq(r.rc, 0, "symlink: exit 0", r.diag())
        tap.ok(os.path.islink(link), "symlink: config.json is still a symlink")
        if os.path.islink(link):
            tap.eq(os.readlink(link), os.path.join("..", os.path.basename(real_dir),
                                                   "real-config.json"),
                   "symlink: link target unchanged")
        cfg = load(target, "symlink")
        tap.eq(cfg.get("auths", {}).get(HOST, {}).get("auth"), TOKEN,
               "symlink: target file updated")
        tap.eq(cfg.get("auths", {}).get("quay.io"), {"auth": "cXVheTpwdw=="},
               "symlink: target's other entry kept")
        no_temp_files(dc, ["config.json"], "symlink (link dir)")
        no_temp_files(real_dir, ["real-config.json"], "symlink (target dir)")

        # 5. Malformed file: left byte-identical, non-zero exit, message names the file.
        for label, content in (("truncated JSON", b'{"auths": {"quay.io": {"auth": "x"'),
                               ("JSON array", b'[1, 2, 3]\n'),
                               ("auths not an object", b'{"auths": "nope"}\n')):
            dc = fresh_dir()
            p = os.path.join(dc, "config.json")
            tb.write_file(p, content, 0o600)
            r = daemon.run(env=env(dc))
            tap.ok(r.rc not in (0, "timeout"), "malformed (%s): non-zero exit" % label, r.diag())
            with open(p, "rb") as f:
                tap.ok(f.read() == content, "malformed (%s): file byte-identical" % label)
            tap.ok(any(p in l for l in r.error_lines()),
                   "malformed (%s): error line names %s" % (label, p), r.diag())
            no_temp_files(dc, ["config.json"], "malformed (%s)" % label)

        # 6. credsStore / credHelpers shadow the entry: warn (and still write).
        dc = fresh_dir()
        p = os.path.join(dc, "config.json")
        tb.write_file(p, json.dumps({"auths": {}, "credsStore": "desktop"}), 0o600)
        r = daemon.run(env=env(dc))
        tap.eq(r.rc, 0, "credsStore: exit 0", r.diag())
        tap.ok(any("credsStore" in l and "warning" in l.lower() for l in r.err.splitlines()),
               "credsStore: warning mentions credsStore", r.diag())
        tap.eq(load(p, "credsStore").get("credsStore"), "desktop", "credsStore: key kept")
        tap.eq(load(p, "credsStore").get("auths", {}).get(HOST, {}).get("auth"), TOKEN,
               "credsStore: entry still written")
        dc = fresh_dir()
        p = os.path.join(dc, "config.json")
        tb.write_file(p, json.dumps({"credHelpers": {HOST: "ecr-login"}}), 0o600)
        r = daemon.run(env=env(dc))
        tap.eq(r.rc, 0, "credHelpers: exit 0", r.diag())
        tap.ok(any("credHelpers" in l and "warning" in l.lower() for l in r.err.splitlines()),
               "credHelpers: warning mentions credHelpers", r.diag())
        tap.eq(load(p, "credHelpers").get("credHelpers"), {HOST: "ecr-login"},
               "credHelpers: key kept")
        dc = fresh_dir()
        p = os.path.join(dc, "config.json")
        tb.write_file(p, json.dumps({"credHelpers": {"gcr.io": "gcloud"}}), 0o600)
        r = daemon.run(env=env(dc))
        tap.ok(r.rc == 0 and "warning" not in r.err.lower(),
               "credHelpers for another host: no warning", r.diag())

        # 7. New file: 0600 in a new 0700 directory (umask 022 in effect).
        old_umask = os.umask(0o022)
        try:
            parent = fresh_dir()
            dc = os.path.join(parent, "new", "docker")
            r = daemon.run(env=env(dc))
        finally:
            os.umask(old_umask)
        tap.eq(r.rc, 0, "new file: exit 0", r.diag())
        p = os.path.join(dc, "config.json")
        if tap.ok(os.path.isfile(p), "new file: created", r.diag()):
            tap.eq(oct(stat.S_IMODE(os.stat(p).st_mode)), oct(0o600), "new file: mode 0600")
            tap.eq(oct(stat.S_IMODE(os.stat(dc).st_mode)), oct(0o700), "new file: dir mode 0700")
            cfg = load(p, "new file")
            tap.eq(cfg, {"auths": {HOST: {"auth": TOKEN}}},
                   "new file: exactly {auths:{host:{auth:token}}}")
            no_temp_files(dc, ["config.json"], "new file")

        # 8. DOCKER_CONFIG wins over HOME; HOME/.docker when DOCKER_CONFIG is unset.
        home = os.path.join(wd, "home8")
        os.makedirs(home)
        dc = fresh_dir()
        r = daemon.run(env=env(dc, HOME=home))
        tap.eq(r.rc, 0, "DOCKER_CONFIG set: exit 0", r.diag())
        tap.ok(os.path.isfile(os.path.join(dc, "config.json")),
               "DOCKER_CONFIG set: written to $DOCKER_CONFIG/config.json")
        tap.ok(not os.path.exists(os.path.join(home, ".docker")),
               "DOCKER_CONFIG set: $HOME/.docker untouched")
        r = daemon.run(env=env(None, HOME=home, DOCKER_CONFIG=None))
        tap.eq(r.rc, 0, "HOME only: exit 0", r.diag())
        hp = os.path.join(home, ".docker", "config.json")
        tap.ok(os.path.isfile(hp), "HOME only: written to $HOME/.docker/config.json", r.diag())
        if os.path.isfile(hp):
            tap.eq(load(hp, "HOME only").get("auths", {}).get(HOST, {}).get("auth"), TOKEN,
                   "HOME only: entry written")

        # 9. Neither DOCKER_CONFIG nor HOME: clear error, exit 2, no request needed.
        moto.clear_log()
        r = daemon.run(env=env(None, HOME=None, DOCKER_CONFIG=None))
        tap.eq(r.rc, 2, "neither DOCKER_CONFIG nor HOME: exit 2", r.diag())
        errs = r.error_lines()
        tap.ok(len(errs) == 1 and ("HOME" in errs[0] or "DOCKER_CONFIG" in errs[0]),
               "neither: one error line naming HOME/DOCKER_CONFIG", r.diag())

        # 10. Config file with two sinks, one malformed: partial failure, exit 3.
        good = os.path.join(fresh_dir(), "config.json")
        badd = fresh_dir()
        bad = os.path.join(badd, "config.json")
        tb.write_file(bad, b"{oops", 0o600)
        cfgfile = os.path.join(wd, "two-sinks.json")
        tb.write_file(cfgfile, json.dumps({
            "registries": [{"region": "us-east-1"}],
            "sinks": [{"type": "docker", "path": bad}, {"type": "docker", "path": good}]}))
        r = daemon.run(args=["--once", "--config", cfgfile], env=env(fresh_dir()))
        tap.eq(r.rc, 3, "two sinks, one malformed: exit 3 (partial)", r.diag())
        tap.eq(load(good, "two sinks").get("auths", {}).get(HOST, {}).get("auth"), TOKEN,
               "two sinks: the good sink is written")
        with open(bad, "rb") as f:
            tap.ok(f.read() == b"{oops", "two sinks: malformed sink untouched")
        tap.ok(any(bad in l for l in r.error_lines()), "two sinks: error names the bad file",
               r.diag())

        # 11. Unwritable directory: error names the path, nothing written.
        dc = fresh_dir()
        os.makedirs(os.path.join(dc, "config.json"))  # a directory where the file should be
        r = daemon.run(env=env(dc))
        tap.ok(r.rc not in (0, "timeout"), "config.json is a directory: non-zero exit", r.diag())
        tap.ok(any(os.path.join(dc, "config.json") in l for l in r.error_lines()),
               "config.json is a directory: error names the path", r.diag())
        no_temp_files(dc, ["config.json"], "config.json is a directory")

        # 11b. Eight overlapping runs on one file (cron overlap): valid JSON, no temp files.
        dc = fresh_dir()
        tb.write_file(os.path.join(dc, "config.json"),
                      json.dumps({"auths": {"quay.io": {"auth": "cXVheTpwdw=="}}}), 0o600)
        e = daemon.base_env()
        e.update(env(dc))
        procs = [subprocess.Popen([binary, "--once"], env=e, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, cwd=daemon.home) for _ in range(8)]
        outs = [(p.wait(30), p.stderr.read().decode("utf-8", "replace")) for p in procs]
        for p in procs:
            p.stderr.close()
        tap.eq([rc for rc, _ in outs], [0] * 8, "8 concurrent runs: all exit 0",
               "\n".join(err for _, err in outs))
        cfg = load(os.path.join(dc, "config.json"), "8 concurrent runs")
        tap.eq((cfg.get("auths") or {}).get(HOST, {}).get("auth"), TOKEN,
               "8 concurrent runs: entry written")
        tap.eq((cfg.get("auths") or {}).get("quay.io"), {"auth": "cXVheTpwdw=="},
               "8 concurrent runs: other entry kept")
        no_temp_files(dc, ["config.json"], "8 concurrent runs")

        # 12. Running twice is idempotent and the token is never printed.
        dc = fresh_dir()
        daemon.run(env=env(dc))
        with open(os.path.join(dc, "config.json"), "rb") as f:
            first = f.read()
        r = daemon.run(env=env(dc))
        tap.eq(r.rc, 0, "second run: exit 0", r.diag())
        tap.eq(load(os.path.join(dc, "config.json"), "second run"), json.loads(first),
               "second run: same content")
        tb.check_no_secrets(tap, daemon.results, {"secret key": SK, "token": TOKEN,
                                                  "password": tb.password_for(ACCT)})
        moto.stop()
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
