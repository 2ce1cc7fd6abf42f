#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Build the Dockerfile's runtime image without a docker engine, and run it with runc.

Only Debian's archive is reachable here, so the runtime stage of the Dockerfile is
replayed by hand, instruction by instruction:

  FROM debian:12-slim      debootstrap --variant=minbase bookworm, with the apt sources
                           of Debian's images (bookworm, -updates, -security)
  RUN ...                  the same shell line in a chroot of that tree (own mount
                           namespace, /proc mounted, services kept from starting)
  COPY --from=build S D    the freshly built binary given on the command line, as a layer
  ENV/USER/WORKDIR/...     the OCI image config (umoci config)

The tree after FROM + RUN depends only on those lines, so it is cached under
/var/cache/ecr-credd-test/rootfs-<hash of FROM, ENV and RUN lines> and reused by
later runs (a lock keeps parallel runs from building it twice).  The image is an OCI
layout made with umoci (base layer + one layer per COPY); `umoci unpack` gives a runtime
bundle that Bundle adapts the way `docker run --read-only --net=container:...` would
(docker's default capability set, read-only root, /etc/hosts and resolv.conf from a
test network namespace, bind mounts) before `runc run`.

As a command, it writes the OCI layout (for skopeo, podman or `runc` by hand):
  tests/container/ocibuild.py --dockerfile Dockerfile --binary build/daemon/ecr-credd \\
      --out /tmp/ecr-credd-oci      # then: skopeo copy oci:/tmp/ecr-credd-oci:ecr-credd ...
"""

import argparse
import fcntl
import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

CACHE_ROOT = os.environ.get("ECD_CONTAINER_CACHE", "/var/cache/ecr-credd-test")
MIRROR = os.environ.get("ECD_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SECURITY_MIRROR = os.environ.get("ECD_DEBIAN_SECURITY_MIRROR",
                                 "http://deb.debian.org/debian-security")
# What `FROM` may name, and the Debian suite debootstrap makes for it.  The -slim images
# differ from minbase only by excluding documentation, which nothing here reads.
BASES = {"debian:12-slim": "bookworm", "debian:bookworm-slim": "bookworm",
         "debian:12": "bookworm", "debian:bookworm": "bookworm"}
# Debian's images set no PATH of their own; docker's default applies.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# docker's default capability set (moby oci/caps/defaults.go).  A non-root process keeps
# none of them as effective after exec; the bounding set limits what setuid could regain.
DOCKER_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
               "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
               "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
# Bump when the way the tree is made changes, so old caches are not reused.
ROOTFS_RECIPE = 3
TAG = "ecr-credd"
MARKER = "complete.json"
# apt or debootstrap output that means the archive could not be reached.
APT_UNREACHABLE = re.compile(r"Could not resolve|Failed to fetch|Unable to fetch|"
                             r"Temporary failure resolving|Could not connect|"
                             r"Some index files failed|Failed getting release file|"
                             r"Couldn't download")


class BuildError(Exception):
    """The image could not be made; .step names what failed."""

    def __init__(self, step, msg):
        super().__init__("%s: %s" % (step, msg))
        self.step = step


class ArchiveUnreachable(BuildError):
    """debootstrap could not fetch from the Debian archive."""


# --------------------------------------------------------------------------
# Dockerfile
# --------------------------------------------------------------------------

class Stage:
    def __init__(self, base, name, line):
        self.base = base
        self.name = name
        self.line = line
        self.runs = []        # [(env dict at that point, shell command)]
        self.copies = []      # [{"from", "src", "dest", "chmod", "chown", "line"}]
        self.env = {}         # ENV, in order
        self.labels = {}
        self.user = None
        self.workdir = None
        self.entrypoint = None
        self.cmd = None
        self.healthcheck = None  # {"test": [...], "options": {...}} or None
        self.exposed = []
        self.unsupported = []  # [(line, instruction)]: an error in the runtime stage


def _logical_lines(text, path):
    """(line number, text) of each instruction: continuations joined, comments dropped."""
    out = []
    cur, start = [], None
    for no, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if not cur and (not s or s.startswith("#")):
            continue
        if cur and s.startswith("#"):
            continue  # a comment line inside a continuation is dropped by docker too
        if start is None:
            start = no
        if s.endswith("\\"):
            cur.append(s[:-1].rstrip())
            continue
        cur.append(s)
        out.append((start, " ".join(p for p in cur if p)))
        cur, start = [], None
    if cur:
        raise ValueError("%s:%d: the file ends inside a line continuation" % (path, start))
    return out


def _json_or_shell(arg):
    """An exec-form JSON array, or a shell-form string as ["/bin/sh", "-c", ...]."""
    a = arg.strip()
    if a.startswith("["):
        try:
            v = json.loads(a)
        except ValueError:
            v = None
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return v
    return ["/bin/sh", "-c", a]


def _pairs(arg, where):
    """KEY=VALUE words (shell quoting), as ENV and LABEL take them."""
    try:
        words = shlex.split(arg)
    except ValueError as e:
        raise ValueError("%s: %s" % (where, e))
    out = {}
    for w in words:
        if "=" not in w or w.startswith("="):
            raise ValueError("%s: expected KEY=VALUE, got %r" % (where, w))
        k, v = w.split("=", 1)
        out[k] = v
    return out


def _no_vars(value, where):
    if "$" in value:
        raise ValueError("%s: variable substitution is not supported here: %r" % (where, value))
    return value


def parse_dockerfile(path):
    """The stages of a Dockerfile; the runtime stage (the last one) fully parsed."""
    with open(path) as f:
        text = f.read()
    stages = []
    for no, line in _logical_lines(text, path):
        where = "%s:%d" % (path, no)
        m = re.match(r"(\w+)\s*(.*)$", line)
        instr, arg = m.group(1).upper(), m.group(2)
        if instr == "FROM":
            w = arg.split()
            name = w[2] if len(w) == 3 and w[1].upper() == "AS" else None
            if len(w) not in (1, 3) or (len(w) == 3 and name is None):
                raise ValueError("%s: expected FROM IMAGE [AS NAME], got %r" % (where, arg))
            stages.append(Stage(w[0], name, no))
            continue
        if not stages:
            raise ValueError("%s: %s before the first FROM" % (where, instr))
        st = stages[-1]
        if instr == "RUN":
            if arg.startswith("["):
                raise ValueError("%s: RUN in exec form is not supported" % where)
            if st.copies:  # the cached tree would depend on the copied files
                st.unsupported.append((no, "RUN after COPY"))
            st.runs.append((dict(st.env), arg))
        elif instr == "COPY":
            words = arg.split()
            opts = {}
            while words and words[0].startswith("--"):
                k, _, v = words.pop(0)[2:].partition("=")
                opts[k] = v
            bad = set(opts) - {"from", "chmod", "chown"}
            if bad or len(words) != 2:
                raise ValueError("%s: expected COPY [--from=STAGE] [--chmod=M] [--chown=U] "
                                 "SRC DEST, got %r" % (where, arg))
            st.copies.append({"from": opts.get("from"), "src": words[0], "dest": words[1],
                              "chmod": opts.get("chmod"), "chown": opts.get("chown"),
                              "line": no})
        elif instr == "ENV":
            if "=" not in arg.split()[0]:
                k, _, v = arg.partition(" ")
                pairs = {k: v.strip()}
            else:
                pairs = _pairs(arg, where)
            for k, v in pairs.items():
                st.env[k] = _no_vars(v, where)
        elif instr == "LABEL":
            st.labels.update(_pairs(arg, where))
        elif instr == "USER":
            st.user = _no_vars(arg.strip(), where)
        elif instr == "WORKDIR":
            st.workdir = _no_vars(arg.strip(), where)
        elif instr == "EXPOSE":
            st.exposed += arg.split()
        elif instr == "ENTRYPOINT":
            st.entrypoint = _json_or_shell(arg)
            st.cmd = None  # docker: a new ENTRYPOINT resets an inherited CMD
        elif instr == "CMD":
            st.cmd = _json_or_shell(arg)
        elif instr == "HEALTHCHECK":
            if arg.strip().upper() == "NONE":
                st.healthcheck = None
                continue
            words = arg.split(None)
            opts = {}
            while words and words[0].startswith("--"):
                k, _, v = words.pop(0)[2:].partition("=")
                opts[k] = v
            if not words or words[0].upper() != "CMD":
                raise ValueError("%s: expected HEALTHCHECK [OPTIONS] CMD ..., got %r"
                                 % (where, arg))
            test = _json_or_shell(re.split(r"\bCMD\b", arg, maxsplit=1, flags=re.I)[1])
            st.healthcheck = {"test": test, "options": opts}
        elif instr in ("ARG", "ADD", "VOLUME", "SHELL", "ONBUILD", "STOPSIGNAL"):
            st.unsupported.append((no, instr))  # fine in the build stage only
        else:
            raise ValueError("%s: unknown instruction %s" % (where, instr))
    if not stages:
        raise ValueError("%s: no FROM" % path)
    final = stages[-1]
    for no, instr in final.unsupported:
        raise ValueError("%s:%d: %s is not supported in the runtime stage (the container "
                         "test cannot replay it)" % (path, no, instr))
    if final.base not in BASES:
        raise ValueError("%s:%d: runtime stage FROM %s: only %s can be made with debootstrap"
                         % (path, final.line, final.base, ", ".join(sorted(BASES))))
    return stages


def runtime_stage(path):
    return parse_dockerfile(path)[-1]


# --------------------------------------------------------------------------
# Root filesystem: FROM + RUN, cached
# --------------------------------------------------------------------------

def _run(cmd, step, timeout=600, env=None, unreachable=False):
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        raise (ArchiveUnreachable if unreachable else BuildError)(
            step, "timed out after %ds\n%s" % (timeout, out[-3000:]))
    out = p.stdout.decode("utf-8", "replace")
    if p.returncode != 0:
        cls = ArchiveUnreachable if unreachable and APT_UNREACHABLE.search(out) else BuildError
        raise cls(step, "exit %d\n%s" % (p.returncode, out[-3000:]))
    return out


def rootfs_key(stage):
    """The cache key of the tree FROM + RUN make (hex)."""
    recipe = {"recipe": ROOTFS_RECIPE, "suite": BASES[stage.base],
              "slim": stage.base.endswith("-slim"), "mirror": MIRROR,
              "security": SECURITY_MIRROR, "runs": stage.runs, "arch": os.uname().machine}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def _apt_sources(suite):
    return ("Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
            "Types: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
            % (MIRROR, suite, suite, SECURITY_MIRROR, suite))


# What Debian's images (debuerreotype) add to a debootstrap tree: apt keeps no package
# caches, translations or uncompressed lists; -slim also keeps no documentation.
APT_IMAGE_CONF = {
    "docker-clean": 'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n'
                    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb '
                    '/var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n'
                    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb '
                    '/var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n',
    "docker-gzip-indexes": 'Acquire::GzipIndexes "true";\n',
    "docker-no-languages": 'Acquire::Languages "none";\n',
    "docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";\n',
}
SLIM_EXCLUDES = ["/usr/share/doc/*", "/usr/share/groff/*", "/usr/share/info/*",
                 "/usr/share/linda/*", "/usr/share/lintian/overrides/*", "/usr/share/locale/*",
                 "/usr/share/man/*"]


def _like_debian_image(tree, slim):
    for name, text in APT_IMAGE_CONF.items():
        with open(os.path.join(tree, "etc", "apt", "apt.conf.d", name), "w") as f:
            f.write(text)
    if not slim:
        return
    with open(os.path.join(tree, "etc", "dpkg", "dpkg.cfg.d", "docker"), "w") as f:
        f.write("".join("path-exclude %s\n" % p for p in SLIM_EXCLUDES))
        f.write("path-include /usr/share/doc/*/copyright\n")
    # The same for what debootstrap has already unpacked.
    for pat in SLIM_EXCLUDES:
        for p in glob.glob(tree + pat):
            if pat.startswith("/usr/share/doc/") and os.path.isdir(p) and \
                    not os.path.islink(p):
                for n in os.listdir(p):
                    if n != "copyright":
                        q = os.path.join(p, n)
                        shutil.rmtree(q) if os.path.isdir(q) and not os.path.islink(q) \
                            else os.unlink(q)
            elif os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            elif not pat.startswith("/usr/share/doc/"):
                os.unlink(p)


def _chroot_run(tree, env, command, step):
    """command under /bin/sh -c in a chroot of tree, in a private mount namespace with
    /proc mounted (gone with the namespace), with the stage's ENV at that point."""
    e = {"PATH": DEFAULT_PATH, "HOME": "/root", "LC_ALL": "C"}
    e.update(env)
    inner = 'mount -t proc proc "$1/proc" && exec chroot "$1" /bin/sh -c "$2"'
    return _run(["unshare", "--mount", "--propagation", "private", "--fork",
                 "/bin/sh", "-c", inner, "sh", tree, command], step, timeout=900, env=e)


def _prune(root, keep, log):
    """Remove half-built trees of dead runs, and trees unused for 14 days."""
    for n in os.listdir(root):
        p = os.path.join(root, n)
        m = re.match(r"tmp-(\d+)-", n)
        if m:
            try:
                os.kill(int(m.group(1)), 0)
                continue
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            log("removing half-built %s" % p)
            shutil.rmtree(p, ignore_errors=True)
        elif n.startswith("rootfs-") and p != keep:
            try:
                age = time.time() - os.stat(os.path.join(p, MARKER)).st_mtime
            except OSError:
                age = 1e9
            if age > 14 * 86400:
                log("removing unused %s" % p)
                shutil.rmtree(p, ignore_errors=True)


def ensure_rootfs(stage, cache_root=CACHE_ROOT, log=lambda m: None):
    """The tree FROM + RUN make, cached as <cache_root>/rootfs-<key>/tree (complete once
    rootfs-<key>/complete.json exists).  Returns (tree path, built now?, seconds)."""
    os.makedirs(cache_root, mode=0o755, exist_ok=True)
    final = os.path.join(cache_root, "rootfs-" + rootfs_key(stage))
    marker = os.path.join(final, MARKER)
    t0 = time.monotonic()
    say = log
    log = lambda m: say("[%5.1fs] %s" % (time.monotonic() - t0, m))  # noqa: E731
    with open(os.path.join(cache_root, ".lock"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        _prune(cache_root, final, log)
        if os.path.exists(marker):
            os.utime(marker)
            return os.path.join(final, "tree"), False, time.monotonic() - t0
        shutil.rmtree(final, ignore_errors=True)  # a tree without its marker is unfinished
        top = os.path.join(cache_root, "tmp-%d-%s" % (os.getpid(), os.path.basename(final)))
        tree = os.path.join(top, "tree")
        shutil.rmtree(top, ignore_errors=True)
        try:
            os.makedirs(top)
            suite = BASES[stage.base]
            log("debootstrap --variant=minbase %s from %s" % (suite, MIRROR))
            _run(["debootstrap", "--variant=minbase", "--components=main", suite, tree, MIRROR],
                 "debootstrap %s" % suite, timeout=900, unreachable=True)
            etc = os.path.join(tree, "etc")
            try:
                os.unlink(os.path.join(etc, "apt", "sources.list"))
            except FileNotFoundError:
                pass
            with open(os.path.join(etc, "apt", "sources.list.d", "debian.sources"), "w") as f:
                f.write(_apt_sources(suite))
            _like_debian_image(tree, slim=stage.base.endswith("-slim"))
            # Debian's images ship without package lists (RUN apt-get update fetches them).
            lists = os.path.join(tree, "var", "lib", "apt", "lists")
            for n in os.listdir(lists):
                p = os.path.join(lists, n)
                if os.path.isfile(p) and n != "lock":
                    os.unlink(p)
            shutil.copyfile("/etc/resolv.conf", os.path.join(etc, "resolv.conf"))
            prc = os.path.join(tree, "usr", "sbin", "policy-rc.d")
            with open(prc, "w") as f:
                f.write("#!/bin/sh\nexit 101\n")
            os.chmod(prc, 0o755)
            for i, (env, cmd) in enumerate(stage.runs, 1):
                log("RUN %d/%d: %s" % (i, len(stage.runs), cmd[:100]))
                step = "RUN %d of the runtime stage" % i
                try:
                    out = _chroot_run(tree, env, cmd, step)
                except BuildError as e:
                    if APT_UNREACHABLE.search(str(e)):
                        raise ArchiveUnreachable(e.step, str(e))
                    raise
                if APT_UNREACHABLE.search(out):
                    raise ArchiveUnreachable(step, out[-3000:])
            os.unlink(prc)
            # As in an image: no resolver configuration of the build host, no packages
            # left from debootstrap.
            with open(os.path.join(etc, "resolv.conf"), "w"):
                pass
            for pat in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin"):
                for f in glob.glob(os.path.join(tree, pat)):
                    os.unlink(f)
            log("base layer (umoci insert)")
            base_layout(stage, tree, os.path.join(top, "oci"))
            with open(os.path.join(top, MARKER), "w") as f:
                json.dump({"base": stage.base, "runs": [r for _, r in stage.runs],
                           "seconds": round(time.monotonic() - t0, 1)}, f, indent=1)
            os.rename(top, final)
        except BaseException:
            shutil.rmtree(top, ignore_errors=True)
            raise
    return os.path.join(final, "tree"), True, time.monotonic() - t0


# --------------------------------------------------------------------------
# OCI image (umoci)
# --------------------------------------------------------------------------

def parse_user(user):
    """"uid[:gid]" (numeric) -> (uid, gid); names would need the image's passwd."""
    m = re.fullmatch(r"(\d+)(?::(\d+))?", user or "0")
    if not m:
        raise ValueError("USER %r is not numeric uid[:gid]" % user)
    uid = int(m.group(1))
    return uid, int(m.group(2)) if m.group(2) is not None else uid


def base_layout(stage, tree, layout):
    """An OCI layout with tag "base": tree as the one layer (FROM + RUN)."""
    ref = layout + ":base"
    _run(["umoci", "init", "--layout", layout], "umoci init")
    _run(["umoci", "new", "--image", ref], "umoci new")
    _run(["umoci", "insert", "--image", ref, "--history.created_by",
          "FROM %s (debootstrap) + RUN x%d" % (stage.base, len(stage.runs)), tree, "/"],
         "umoci insert rootfs")


def _clone_layout(src, dst):
    """A copy of an OCI layout whose blobs (content-addressed, never rewritten) are hard
    links where possible; index.json and oci-layout are real copies."""
    os.makedirs(dst)
    for n in ("oci-layout", "index.json"):
        shutil.copyfile(os.path.join(src, n), os.path.join(dst, n))
    for root, dirs, files in os.walk(os.path.join(src, "blobs")):
        rel = os.path.relpath(root, src)
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for n in files:
            try:
                os.link(os.path.join(root, n), os.path.join(dst, rel, n))
            except OSError:
                shutil.copyfile(os.path.join(root, n), os.path.join(dst, rel, n))


def build_image(stage, rootfs, files, layout, log=lambda m: None):
    """An OCI layout at `layout`, tag TAG: the cached base layer of rootfs (FROM + RUN),
    then one layer per COPY with the host file files[(from, src)], then the stage's
    config."""
    ref = "%s:%s" % (layout, TAG)
    _clone_layout(os.path.join(os.path.dirname(rootfs), "oci"), layout)
    _run(["umoci", "tag", "--image", layout + ":base", TAG], "umoci tag")
    for c in stage.copies:
        key = (c["from"], c["src"])
        if key not in files:
            raise BuildError("COPY", "line %d: no file given for --from=%s %s"
                             % (c["line"], c["from"], c["src"]))
        sdir = tempfile.mkdtemp(prefix="ocibuild-copy-")
        try:
            staged = os.path.join(sdir, os.path.basename(c["dest"]))
            shutil.copy2(files[key], staged)
            mode = int(c["chmod"], 8) if c["chmod"] else os.stat(files[key]).st_mode & 0o7777
            os.chmod(staged, mode)
            uid, gid = parse_user(c["chown"]) if c["chown"] else (0, 0)
            os.chown(staged, uid, gid)
            _run(["umoci", "insert", "--image", ref, "--history.created_by",
                  "COPY --from=%s %s %s" % (c["from"], c["src"], c["dest"]), staged, c["dest"]],
                 "umoci insert %s" % c["dest"])
        finally:
            shutil.rmtree(sdir, ignore_errors=True)
    args = ["umoci", "config", "--image", ref, "--history.created_by", "config"]
    env = {"PATH": DEFAULT_PATH}
    env.update(stage.env)
    for k, v in env.items():
        args += ["--config.env", "%s=%s" % (k, v)]
    if stage.user:
        args += ["--config.user", stage.user]
    if stage.workdir:
        args += ["--config.workingdir", stage.workdir]
    for a in stage.entrypoint or []:
        args += ["--config.entrypoint", a]
    for a in stage.cmd or []:
        args += ["--config.cmd", a]
    for k, v in stage.labels.items():
        args += ["--config.label", "%s=%s" % (k, v)]
    for p in stage.exposed:
        args += ["--config.exposedports", p if "/" in p else p + "/tcp"]
    _run(args, "umoci config")
    return ref


def image_config(layout, tag=TAG):
    """The OCI image config of tag ({"config": {"User", "Env", "Entrypoint", ...}}) and
    its manifest."""
    with open(os.path.join(layout, "index.json")) as f:
        idx = json.load(f)

    def blob(digest):
        algo, h = digest.split(":", 1)
        with open(os.path.join(layout, "blobs", algo, h)) as f:
            return json.load(f)
    for m in idx.get("manifests", []):
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            man = blob(m["digest"])
            return blob(man["config"]["digest"]), man
    raise BuildError("image config", "tag %s not in %s" % (tag, layout))


# --------------------------------------------------------------------------
# Running it (runc)
# --------------------------------------------------------------------------

class Bundle:
    """`umoci unpack` of the image into a runtime bundle, made to look like
    `docker run --read-only` in a given network namespace."""

    def __init__(self, ref, path, state_dir):
        self.layout, self.tag = ref.rsplit(":", 1)
        self.path = path
        self.state_dir = state_dir
        _run(["umoci", "unpack", "--image", ref, path], "umoci unpack")
        with open(os.path.join(path, "config.json")) as f:
            self.unpacked = json.load(f)
        self.spec = None
        # The image's Env as docker applies it: umoci replaces HOME with the user's
        # passwd entry, docker keeps an ENV HOME and only fills in a missing one.
        cfg, _ = image_config(self.layout, self.tag)
        env = list(cfg.get("config", {}).get("Env") or [])
        if not any(e.startswith("HOME=") for e in env):
            env += [e for e in self.unpacked["process"]["env"] if e.startswith("HOME=")]
        self.image_env = env
        self.image_args = list(self.unpacked["process"]["args"])

    def configure(self, netns_name, env=None, args=None, mounts=(), readonly=True,
                  hosts_dir=None, argv=None):
        """env: variables to add or replace (None removes one); args: the argv after the
        entrypoint (docker run IMAGE ARGS) or None for the image's CMD; mounts: (host,
        container path, writable) bind mounts; hosts_dir: where hosts and resolv.conf come
        from (the netns's /etc/netns/NAME); argv: the whole command instead of the
        entrypoint and args (docker run --entrypoint)."""
        sp = self.spec = json.loads(json.dumps(self.unpacked))  # from the unpacked one
        proc = sp["process"]
        proc["terminal"] = False
        proc.pop("consoleSize", None)
        cur = dict(e.split("=", 1) for e in self.image_env)
        cur.pop("TERM", None)  # umoci adds TERM=xterm; docker does not without -t
        for k, v in (env or {}).items():
            if v is None:
                cur.pop(k, None)
            else:
                cur[k] = v
        proc["env"] = ["%s=%s" % kv for kv in cur.items()]
        ep = self._entrypoint()
        if argv is not None:
            proc["args"] = list(argv)
        else:
            proc["args"] = ep + list(args) if args is not None else self.image_args
        uid = proc["user"]["uid"]
        proc["capabilities"] = {k: list(DOCKER_CAPS) for k in
                                ("bounding", "effective", "permitted", "inheritable")}
        proc["capabilities"]["ambient"] = []
        if uid != 0:  # docker does not raise capabilities of a non-root user
            for k in ("effective", "permitted", "inheritable"):
                proc["capabilities"][k] = []
        proc["noNewPrivileges"] = True
        sp["root"]["readonly"] = bool(readonly)
        sp["hostname"] = "ecr-credd"
        for ns in sp["linux"]["namespaces"]:
            if ns["type"] == "network":
                ns["path"] = "/var/run/netns/" + netns_name
        ms = sp["mounts"]
        if hosts_dir:
            for n in ("hosts", "resolv.conf"):
                ms.append({"destination": "/etc/" + n, "type": "bind",
                           "source": os.path.join(hosts_dir, n),
                           "options": ["rbind", "ro", "nosuid", "nodev", "noexec"]})
        for host, ctr, writable in mounts:
            ms.append({"destination": ctr, "type": "bind", "source": host,
                       "options": ["rbind", "rw" if writable else "ro", "nosuid", "nodev"]})
        with open(os.path.join(self.path, "config.json"), "w") as f:
            json.dump(sp, f, indent=1)

    def _entrypoint(self):
        """The image's Entrypoint (umoci's config.json joins it with Cmd)."""
        cfg, _ = image_config(self.layout, self.tag)
        return list(cfg.get("config", {}).get("Entrypoint") or [])

    def runc(self, *args):
        return ["runc", "--root", self.state_dir] + list(args)


class Container:
    """runc run of a bundle in the foreground (stdio are the container's), stderr
    lines collected as they come."""

    def __init__(self, bundle, cid, track=None):
        self.bundle = bundle
        self.cid = cid
        self.lines = []
        self.out = []
        self.cond = threading.Condition()
        self.t0 = time.monotonic()
        self.cmd = bundle.runc("run", "--bundle", bundle.path, cid)
        self.proc = subprocess.Popen(self.cmd,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        if track:
            track(self.proc)
        self._threads = [threading.Thread(target=self._read, args=(self.proc.stderr, self.lines),
                                          daemon=True),
                         threading.Thread(target=self._read, args=(self.proc.stdout, self.out),
                                          daemon=True)]
        for t in self._threads:
            t.start()

    def _read(self, f, into):
        for raw in iter(f.readline, b""):
            with self.cond:
                into.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cond.notify_all()
        f.close()

    def stderr(self):
        with self.cond:
            return "\n".join(self.lines)

    def stdout(self):
        with self.cond:
            return "\n".join(self.out)

    def wait_line(self, pattern, timeout):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for l in self.lines:
                    if rx.search(l):
                        return l
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return None
                self.cond.wait(min(left, 0.2))

    def state(self):
        p = subprocess.run(self.bundle.runc("state", self.cid), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        if p.returncode != 0:
            return None
        return json.loads(p.stdout)

    def exec(self, argv, user=None, timeout=30):
        """runc exec with the container's process settings (env, caps, cwd) and argv;
        user (uid, gid) to run as someone else.  Returns CompletedProcess (text)."""
        proc = json.loads(json.dumps(self.bundle.spec["process"]))
        proc["args"] = list(argv)
        if user is not None:
            proc["user"] = {"uid": user[0], "gid": user[1]}
        pf = os.path.join(os.path.dirname(self.bundle.path), "exec-%s.json" % self.cid)
        with open(pf, "w") as f:
            json.dump(proc, f)
        try:
            return subprocess.run(self.bundle.runc("exec", "--process", pf, self.cid),
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            return subprocess.CompletedProcess(e.cmd, "timeout", e.stdout or "", e.stderr or "")
        finally:
            os.unlink(pf)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Signal the container's init (like `docker stop`) and wait; its exit code."""
        if self.proc.poll() is None:
            subprocess.run(self.bundle.runc("kill", self.cid, str(int(sig))),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            subprocess.run(self.bundle.runc("kill", self.cid, "KILL"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
            self.proc.wait(10)
            rc = "timeout"
        for t in self._threads:
            t.join(5)
        return rc

    def delete(self):
        """Remove the container if runc still knows it (a cleanup after the work
        directory went must not make runc's state directory again)."""
        if not os.path.isdir(os.path.join(self.bundle.state_dir, self.cid)):
            return
        subprocess.run(self.bundle.runc("delete", "--force", self.cid),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)


def run_once(bundle, cid, timeout=60):
    """runc run to completion: (exit code or "timeout", stdout, stderr, seconds)."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(bundle.runc("run", "--bundle", bundle.path, cid),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"), time.monotonic() - t0)
    except subprocess.TimeoutExpired as e:
        subprocess.run(bundle.runc("delete", "--force", cid), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)
        return ("timeout", (e.stdout or b"").decode("utf-8", "replace"),
                (e.stderr or b"").decode("utf-8", "replace"), time.monotonic() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dockerfile", help="build its runtime stage (with --binary, --out)")
    ap.add_argument("--binary", help="what COPY --from=build copies")
    ap.add_argument("--out", help="OCI layout directory to create")
    ap.add_argument("--base", metavar="IMAGE", choices=sorted(BASES),
                    help="only make the base IMAGE (cached); print its OCI reference")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("ocibuild: run as root (debootstrap, chroot)")
    log = lambda m: sys.stderr.write("ocibuild: %s\n" % m)  # noqa: E731
    try:
        if a.base:
            tree, built, secs = ensure_rootfs(Stage(a.base, None, 0), log=log)
            log("%s %s in %.1fs" % ("built" if built else "reused", tree, secs))
            print(os.path.join(os.path.dirname(tree), "oci") + ":base")
            return
        if not (a.dockerfile and a.binary and a.out):
            ap.error("--dockerfile, --binary and --out are needed (or --base)")
        if os.path.exists(a.out):
            sys.exit("ocibuild: %s exists" % a.out)
        stage = runtime_stage(a.dockerfile)
        tree, built, secs = ensure_rootfs(stage, log=log)
        log("%s %s in %.1fs" % ("built" if built else "reused", tree, secs))
        files = {(c["from"], c["src"]): a.binary for c in stage.copies}
        print(build_image(stage, tree, files, a.out, log=log))
    except (BuildError, ValueError, OSError) as e:
        sys.exit("ocibuild: %s" % e)


if __name__ == "__main__":
    main()
