#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The optional health and metrics listener ("health" in the config).

Against plain-HTTP moto on loopback with 30 s tokens (refresh at half the
lifetime, stale_before 10 s), one background daemon with a docker sink:
  off-by-default  a daemon without "health" has no listening TCP socket at all;
                  the one with "health" has exactly one, on the configured port
  fresh           GET /healthz is 200 "ok", HEAD too (no body); /metrics is
                  Prometheus text 0.0.4 that a strict checker (written here, and
                  shown to reject broken samples) accepts, with the sink's expiry
                  for the registry host, the refresh counter and zeroed failures
  values-move     between two scrapes without a refresh the expiry seconds fall
                  by the time between them; after the next refresh the refresh
                  counter has grown and the expiry timestamp moved on
  outage          unlimited throttling: once the sink's credentials are within
                  stale_before of expiry /healthz is 503 naming the sink, the host,
                  the time left and "refresh failing: throttled"; /metrics counts
                  throttled failures and says not healthy; when moto recovers,
                  /healthz is 200 again
  malformed       garbage bytes, a missing Host, a 100 KB header, a 100 KB URL,
                  wrong methods, an unknown path, more connections than the limit
                  and a client that stops mid-request (dropped after the 10 s
                  timeout): each gets a 4xx (or a closed connection where no
                  answer is possible) and the daemon keeps answering
  reload          SIGHUP with the same "health" keeps the very same socket; with
                  another port the new one answers and the old one is closed
  config          bad "health" objects are refused with exit 2 and a message
                  naming health.listen / health.stale_before and what was
                  expected; a port already in use stops the daemon at start
Every daemon ends with SIGTERM: exit 0, no libuv handles left; no secret in any
output or HTTP body.
Usage: test_health.py /path/to/ecr-credd
"""

import http.client
import json
import math
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import daemoncase as dc  # noqa: E402
import testbed as tb  # noqa: E402

ACCT, HOST, TOKEN = dc.ACCT, dc.HOST, dc.TOKEN
FAST = dict(dc.FAST)
LIFETIME = 30
STALE = 10

# ---------------------------------------------------------------------------
# A strict checker of the Prometheus text exposition format 0.0.4
# ---------------------------------------------------------------------------
METRIC_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
FLOAT_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")


def _float(s):
    if s in ("NaN", "+Inf", "-Inf", "Inf"):
        return float(s.replace("Inf", "inf").replace("NaN", "nan"))
    if not FLOAT_RE.match(s):
        raise ValueError("not a float: %r" % s)
    return float(s)


def _labels(s, i, where):
    """Parse '{a="x",b="y"}' starting at s[i] == '{'; (dict, index after '}')."""
    out = {}
    i += 1
    while True:
        if s[i:i + 1] == "}":
            return out, i + 1
        m = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*").match(s, i)
        if not m:
            raise ValueError("%s: bad label name at %r" % (where, s[i:i + 20]))
        name = m.group(0)
        if name.startswith("__"):
            raise ValueError("%s: reserved label name %s" % (where, name))
        if name in out:
            raise ValueError("%s: label %s twice" % (where, name))
        i = m.end()
        if s[i:i + 2] != '="':
            raise ValueError("%s: expected =\" after label %s" % (where, name))
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise ValueError("%s: unterminated label value" % where)
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ('\\', '"', 'n'):
                    raise ValueError("%s: bad escape \\%s in a label value" % (where, nxt))
                val.append({"\\": "\\", '"': '"', "n": "\n"}[nxt])
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ValueError("%s: raw newline in a label value" % where)
            else:
                val.append(c)
                i += 1
        out[name] = "".join(val)
        if s[i:i + 1] == ",":
            i += 1
        elif s[i:i + 1] != "}":
            raise ValueError("%s: expected , or } after a label value" % where)


def parse_prometheus(text):
    """Check text strictly; {(name, frozenset(labels.items())): value} and {name: type}.
    Raises ValueError naming the line on the first problem."""
    if not text.endswith("\n"):
        raise ValueError("the exposition must end with a newline")
    types, helps, samples = {}, {}, {}
    seen_sample_of = set()
    finished = set()  # names whose group of samples is over
    current = None
    for n, line in enumerate(text[:-1].split("\n"), 1):
        where = "line %d" % n
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not METRIC_RE.match(name):
                    raise ValueError("%s: bad metric name %r" % (where, name))
                if parts[1] == "TYPE":
                    typ = parts[3] if len(parts) > 3 else ""
                    if typ not in TYPES:
                        raise ValueError("%s: unknown type %r" % (where, typ))
                    if name in types:
                        raise ValueError("%s: second TYPE for %s" % (where, name))
                    if name in seen_sample_of:
                        raise ValueError("%s: TYPE for %s after its samples" % (where, name))
                    types[name] = typ
                else:
                    if name in helps:
                        raise ValueError("%s: second HELP for %s" % (where, name))
                    doc = parts[3] if len(parts) > 3 else ""
                    if re.sub(r"\\[\\n]", "", doc).count("\\"):
                        raise ValueError("%s: bad escape in HELP (only \\\\ and \\n)" % where)
                    helps[name] = doc
            continue
        m = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*").match(line)
        if not m:
            raise ValueError("%s: bad sample line %r" % (where, line[:60]))
        name, i = m.group(0), m.end()
        labels = {}
        if line[i:i + 1] == "{":
            labels, i = _labels(line, i, where)
        if line[i:i + 1] != " ":
            raise ValueError("%s: expected a space before the value" % where)
        rest = line[i + 1:].split(" ")
        if not 1 <= len(rest) <= 2 or "" in rest:
            raise ValueError("%s: expected 'value [timestamp]', got %r" % (where, line[i:]))
        try:
            value = _float(rest[0])
            if len(rest) == 2 and not re.match(r"-?\d+\Z", rest[1]):
                raise ValueError("bad timestamp %r" % rest[1])
        except ValueError as e:
            raise ValueError("%s: %s" % (where, e))
        base = name
        if name not in types:
            for suf in ("_sum", "_count", "_bucket"):
                if name.endswith(suf) and name[:-len(suf)] in types:
                    base = name[:-len(suf)]
        if base not in types:
            raise ValueError("%s: sample of %s without a TYPE line before it" % (where, name))
        if base != current:
            if base in finished:
                raise ValueError("%s: samples of %s are not together" % (where, base))
            if current is not None:
                finished.add(current)
            current = base
        if types[base] == "counter" and (value < 0 or math.isnan(value)):
            raise ValueError("%s: counter %s is %r" % (where, name, value))
        key = (name, frozenset(labels.items()))
        if key in samples:
            raise ValueError("%s: duplicate series %s%s" % (where, name, labels))
        samples[key] = value
        seen_sample_of.add(base)
    return samples, types


CHECKER_MUST_REJECT = [
    ("no TYPE", "x 1\n"),
    ("duplicate series", "# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n"),
    ("bad escape", "# TYPE x gauge\nx{a=\"\\t\"} 1\n"),
    ("unescaped quote", "# TYPE x gauge\nx{a=\"a\"b\"} 1\n"),
    ("bad value", "# TYPE x gauge\nx 1,5\n"),
    ("bad metric name", "# TYPE 1x gauge\n1x 1\n"),
    ("bad label name", "# TYPE x gauge\nx{a-b=\"1\"} 1\n"),
    ("TYPE after sample", "# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\n# TYPE x gauge\n"),
    ("split group", "# TYPE x gauge\n# TYPE y gauge\nx{a=\"1\"} 1\ny 1\nx{a=\"2\"} 1\n"),
    ("negative counter", "# TYPE x_total counter\nx_total -1\n"),
    ("no final newline", "# TYPE x gauge\nx 1"),
    ("two TYPEs", "# TYPE x gauge\n# TYPE x counter\nx 1\n"),
]


def checker_self_test(tap):
    bad = []
    for what, text in CHECKER_MUST_REJECT:
        try:
            parse_prometheus(text)
            bad.append(what)
        except ValueError:
            pass
    ok_text = ('# HELP x a \\\\ b\n# TYPE x gauge\nx{a="q\\"\\\\\\n",b="2"} -1.5e3\n'
               'x 1 1700000000000\n# TYPE y_total counter\ny_total 0\n')
    try:
        s, _ = parse_prometheus(ok_text)
        good = s.get(("x", frozenset({"a": 'q"\\\n', "b": "2"}.items()))) == -1500
    except ValueError as e:
        good = False
        bad.append("valid text rejected: %s" % e)
    tap.ok(not bad and good, "checker: the Prometheus checker rejects %d broken expositions "
           "and reads a valid one with escapes" % len(CHECKER_MUST_REJECT), repr(bad))


# ---------------------------------------------------------------------------
# HTTP helpers
# ---------------------------------------------------------------------------
BODIES = []  # every body received, for the secret scan


def get(port, path, method="GET", timeout=5):
    """(status, headers dict lower-cased, body text) or (None, {}, error)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path)
        r = c.getresponse()
        body = r.read().decode("utf-8", "replace")
        BODIES.append(body)
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    except OSError as e:
        return None, {}, "%s: %s" % (type(e).__name__, e)
    finally:
        c.close()


def raw(port, data, timeout=5, read_first=False):
    """Send raw bytes; the status code of the answer (None if the connection just
    closed) and the first bytes of it."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    got = b""
    try:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may answer and close before taking it all
        try:
            while len(got) < 65536:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
                if b"\r\n\r\n" in got and not read_first:
                    break
        except OSError:
            pass
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", got)
    return (int(m.group(1)) if m else None), got[:200]


def scrape(port):
    st, hdr, body = get(port, "/metrics")
    if st != 200:
        return None, "status %s: %s" % (st, body)
    try:
        return parse_prometheus(body)[0], body
    except ValueError as e:
        return None, "%s\n%s" % (e, body)


def val(samples, name, **labels):
    return samples.get((name, frozenset(labels.items()))) if samples else None


# ---------------------------------------------------------------------------
# /proc: listening sockets of a process
# ---------------------------------------------------------------------------
def listening(pid):
    """[(port, inode)] of TCP sockets in LISTEN state that pid holds."""
    inodes = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            m = re.match(r"socket:\[(\d+)\]", link)
            if m:
                inodes.add(m.group(1))
    except OSError:
        return None
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    p = line.split()
                    if p[3] == "0A" and p[9] in inodes:
                        out.append((int(p[1].rsplit(":", 1)[1], 16), p[9]))
        except OSError:
            pass
    return out


# ---------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------
def write_config(c, port, stale=STALE, listen=None):
    cfg = tb.read_json(c.config)
    cfg["health"] = {"listen": listen or "127.0.0.1:%d" % port, "stale_before": "%ds" % stale}
    tb.write_file(c.config, json.dumps(cfg, indent=2))


def case_off(tap, binary, wd, moto):
    c = dc.Case(tap, binary, wd, moto, "off", 31, refresh=FAST)
    c.start()
    ok = tb.wait_until(lambda: dc.sink_auth(c.sink) == TOKEN, 15)
    tap.ok(ok, "off-by-default: the daemon without \"health\" wrote the token", c.diag())
    socks = listening(c.bg.pid)
    tap.eq(socks, [], "off-by-default: no listening TCP socket")
    c.stop("off-by-default")


def case_main(tap, binary, wd, moto):
    port = tb.free_port()
    c = dc.Case(tap, binary, wd, moto, "main", 32, refresh=FAST)
    write_config(c, port)
    c.start()
    up = tb.wait_until(lambda: get(port, "/healthz")[0] is not None, 15)
    tap.ok(up, "fresh: the listener answers on 127.0.0.1:%d" % port, c.diag())
    socks = listening(c.bg.pid) or []
    tap.eq([p for p, _ in socks], [port], "off-by-default: exactly one listening socket, on "
           "the configured port")
    got = tb.wait_until(lambda: dc.sink_auth(c.sink) == TOKEN, 15)
    tap.ok(got, "fresh: the sink holds the token", c.diag())

    st, hdr, body = get(port, "/healthz")
    tap.eq((st, body), (200, "ok\n"), "fresh: GET /healthz is 200 \"ok\"", c.diag())
    tap.ok(hdr.get("content-type", "").startswith("text/plain"),
           "fresh: /healthz is text/plain (%s)" % hdr.get("content-type"))
    st, hdr, body = get(port, "/healthz", method="HEAD")
    tap.eq((st, body), (200, ""), "fresh: HEAD /healthz is 200 without a body")

    checker_self_test(tap)
    st, hdr, body = get(port, "/metrics")
    tap.eq(st, 200, "fresh: GET /metrics is 200")
    tap.eq(hdr.get("content-type"), "text/plain; version=0.0.4; charset=utf-8",
           "fresh: /metrics says text format 0.0.4")
    try:
        s, types = parse_prometheus(body)
        tap.ok(True, "fresh: /metrics passes the strict format check (%d series)" % len(s))
    except ValueError as e:
        s, types = {}, {}
        tap.ok(False, "fresh: /metrics passes the strict format check", "%s\n%s" % (e, body))
    exp = val(s, "ecr_credd_credentials_expiry_seconds", registry=HOST, sink="docker-0")
    tap.ok(exp is not None and STALE < exp <= LIFETIME,
           "fresh: expiry_seconds{registry=%s,sink=docker-0} = %s (in (%d, %d])"
           % (HOST, exp, STALE, LIFETIME), body)
    ts = val(s, "ecr_credd_credentials_expiry_timestamp_seconds", registry=HOST,
             sink="docker-0")
    tap.ok(ts is not None and exp is not None and abs(ts - time.time() - exp) < 2,
           "fresh: expiry_timestamp_seconds = now + expiry_seconds (%s)" % ts)
    tap.ok((val(s, "ecr_credd_refreshes_total", group="registries[0]") or 0) >= 1,
           "fresh: refreshes_total{group=registries[0]} >= 1", body)
    fails = [val(s, "ecr_credd_failures_total", kind=k)
             for k in ("throttled", "auth", "transport", "other")]
    tap.eq(fails, [0, 0, 0, 0], "fresh: failures_total by kind all 0")
    tap.eq(val(s, "ecr_credd_sink_failures_total", sink="docker-0"), 0,
           "fresh: sink_failures_total{sink=docker-0} is 0")
    last = val(s, "ecr_credd_last_success_timestamp_seconds", sink="docker-0")
    tap.ok(last is not None and abs(last - time.time()) < LIFETIME,
           "fresh: last_success_timestamp_seconds{sink=docker-0} is recent (%s)" % last)
    tap.eq(val(s, "ecr_credd_healthy"), 1, "fresh: ecr_credd_healthy 1")
    tap.ok(any(n == "ecr_credd_build_info" for n, _ in s), "fresh: ecr_credd_build_info")
    tap.eq(types.get("ecr_credd_refreshes_total"), "counter", "fresh: refreshes_total is a "
           "counter, expiry_seconds a gauge (%s)" % types.get("ecr_credd_credentials_expiry_"
                                                              "seconds"))

    # values-move: two scrapes a second apart with no refresh between them.
    moved = None
    for _ in range(10):
        a, _ = scrape(port)
        time.sleep(1.0)
        b, _ = scrape(port)
        ra = val(a, "ecr_credd_refreshes_total", group="registries[0]")
        rb = val(b, "ecr_credd_refreshes_total", group="registries[0]")
        ea = val(a, "ecr_credd_credentials_expiry_seconds", registry=HOST, sink="docker-0")
        eb = val(b, "ecr_credd_credentials_expiry_seconds", registry=HOST, sink="docker-0")
        if None not in (ra, rb, ea, eb) and ra == rb:
            moved = (ea, eb)
            break
    tap.ok(moved and 0.8 <= moved[0] - moved[1] <= 1.6,
           "values-move: expiry_seconds fell by the ~1 s between scrapes: %s" % (moved,))
    r0 = val(b, "ecr_credd_refreshes_total", group="registries[0]") or 0
    t0 = val(b, "ecr_credd_credentials_expiry_timestamp_seconds", registry=HOST,
             sink="docker-0") or 0

    def refreshed():
        s2, _ = scrape(port)
        r = val(s2, "ecr_credd_refreshes_total", group="registries[0]")
        t = val(s2, "ecr_credd_credentials_expiry_timestamp_seconds", registry=HOST,
                sink="docker-0")
        return (r, t) if r and r > r0 and t and t > t0 else None
    got = tb.wait_until(refreshed, LIFETIME, 0.5)
    tap.ok(got, "values-move: after the next refresh refreshes_total grew (%s -> %s) and the "
           "expiry timestamp moved on" % (r0, got and got[0]), c.diag())

    case_malformed(tap, c, port)
    case_outage(tap, c, moto, port)
    case_reload(tap, c, port)
    c.stop("health")


def case_outage(tap, c, moto, port):
    s0, _ = scrape(port)
    thr0 = val(s0, "ecr_credd_failures_total", kind="throttled") or 0
    moto.fault("throttle", count=-1, match=c.ak)
    t0 = time.monotonic()

    def unhealthy():
        st, _, body = get(port, "/healthz")
        return (st, body) if st == 503 else None
    got = tb.wait_until(unhealthy, LIFETIME, 0.25)
    tap.ok(got, "outage: /healthz turns 503 while refreshes fail (after %.1f s)"
           % (time.monotonic() - t0), c.diag())
    if got:
        want = re.compile(r"^sink docker-0: %s expires in \d+s \(refresh failing: throttled\)$"
                          % re.escape(HOST))
        lines = got[1].splitlines()
        tap.ok(len(lines) == 1 and want.match(lines[0]),
               "outage: the 503 body names the sink, host, time left and the reason: %r"
               % got[1])
        left = re.search(r"expires in (\d+)s", got[1])
        tap.ok(left and int(left.group(1)) <= STALE,
               "outage: ... within stale_before (%ss <= %ds)" % (left and left.group(1), STALE))
    s1, _ = scrape(port)
    tap.ok((val(s1, "ecr_credd_failures_total", kind="throttled") or 0) > thr0,
           "outage: failures_total{kind=throttled} grew (%s -> %s)"
           % (thr0, val(s1, "ecr_credd_failures_total", kind="throttled")))
    tap.eq((val(s1, "ecr_credd_healthy"),
            val(s1, "ecr_credd_refresh_failing", group="registries[0]")), (0, 1),
           "outage: ecr_credd_healthy 0, refresh_failing{group=registries[0]} 1")
    moto.clear_fault()
    t1 = time.monotonic()
    back = tb.wait_until(lambda: get(port, "/healthz")[0] == 200, 15, 0.25)
    tap.ok(back, "outage: after moto recovers /healthz is 200 again (after %.1f s)"
           % (time.monotonic() - t1), c.diag())
    tap.eq(dc.sink_auth(c.sink), TOKEN, "outage: the sink holds the token")


def case_malformed(tap, c, port):
    checks = [
        ("a garbage request line", b"garbage garbage\r\n\r\n", (400,)),
        # MHD closes these without an answer (no request line it can answer).
        ("a request line without spaces", b"hello\r\n\r\n", (400, None)),
        ("a TLS ClientHello", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(range(64)),
         (400, None)),
        ("HTTP/1.1 without Host", b"GET /healthz HTTP/1.1\r\n\r\n", (400,)),
        ("a 100 KB header", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 +
         b"\r\n\r\n", (400, 413, 431)),
        ("a 100 KB URL", b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
         (400, 414, 431)),
        ("POST /metrics with a body", b"POST /metrics HTTP/1.1\r\nHost: x\r\n"
         b"Content-Length: 5\r\n\r\nhello", (405,)),
        ("DELETE /healthz", b"DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n", (405,)),
        ("an unknown path", b"GET /admin HTTP/1.1\r\nHost: x\r\n\r\n", (404,)),
        ("a bad HTTP version", b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", (400, 505)),
    ]
    for what, data, want in checks:
        code, head = raw(port, data)
        tap.ok(code in want, "malformed: %s: answered %s (want %s)"
               % (what, code, "/".join(map(str, want))), repr(head))
        st = get(port, "/healthz")[0]
        tap.ok(st in (200, 503) and c.bg.alive(), "malformed: %s: the daemon keeps answering"
               % what, c.diag())
    # Binary junk: MHD skips what reads as empty lines before a request and waits
    # for one; meanwhile everyone else is served.
    junk = socket.create_connection(("127.0.0.1", port), timeout=5)
    junk.sendall(b"\x00\x01\x02 garbage \xff\xfe\r\n\r\n" + bytes(range(256)))
    st = get(port, "/healthz")[0]
    tap.ok(st in (200, 503), "malformed: binary junk pending on one connection: the others "
           "are served (%s)" % st)
    junk.close()
    code, head = raw(port, b"DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    tap.ok(b"\r\nAllow: GET, HEAD\r\n" in head, "malformed: 405 carries Allow: GET, HEAD",
           repr(head))

    # More idle connections than the limit (32): the listener survives them.
    socks = []
    for _ in range(40):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        except OSError:
            break
    time.sleep(0.3)
    for s in socks:
        s.close()
    ok = tb.wait_until(lambda: get(port, "/healthz")[0] in (200, 503), 5)
    tap.ok(ok and c.bg.alive(), "malformed: after 40 idle connections (limit 32) the daemon "
           "still answers", c.diag())

    # A client that stops mid-request is dropped after the 10 s connection timeout
    # (the uv timer that follows MHD_get_timeout()).
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    t0 = time.monotonic()
    try:
        data = s.recv(4096)
    except OSError as e:
        data = repr(e).encode()
    took = time.monotonic() - t0
    s.close()
    tap.ok(8 <= took <= 15 and (data == b"" or data.startswith(b"HTTP/1.1 4")),
           "malformed: a stalled request is closed after the timeout (%.1f s, %r)"
           % (took, data[:40]))
    tap.ok(get(port, "/healthz")[0] in (200, 503), "malformed: still answering afterwards")


def case_reload(tap, c, port):
    before = listening(c.bg.pid) or []
    nl = c.bg.nlines()
    c.bg.send(signal.SIGHUP)
    ok = c.bg.wait_line(r"reload: new configuration in use", 10, since=nl)
    tap.ok(ok, "reload: SIGHUP with the same health settings applied", c.diag())
    after = listening(c.bg.pid) or []
    tap.ok(before and before == after, "reload: same listen address: the very same socket "
           "(%s -> %s)" % (before, after))
    tap.eq(get(port, "/healthz")[0], 200, "reload: still answering on %d" % port)

    port2 = tb.free_port()
    write_config(c, port2, listen="[::1]:%d" % port2 if socket.has_ipv6 else None)
    nl = c.bg.nlines()
    c.bg.send(signal.SIGHUP)
    ok = c.bg.wait_line(r"health: listening on ", 10, since=nl)
    tap.ok(ok, "reload: another listen address: 'listening on' logged (%s)" % ok, c.diag())
    c6 = http.client.HTTPConnection("::1" if socket.has_ipv6 else "127.0.0.1", port2,
                                    timeout=5)
    try:
        c6.request("GET", "/healthz")
        st2 = c6.getresponse().status
    except OSError as e:
        st2 = repr(e)
    finally:
        c6.close()
    tap.eq(st2, 200, "reload: the new address answers")
    tap.eq(get(port, "/healthz")[0], None, "reload: the old port is closed")
    tap.eq([p for p, _ in listening(c.bg.pid) or []], [port2],
           "reload: one listening socket, the new one")

    # "[::1]:P" to "P" (every address): the new socket overlaps the old one, so the
    # old one is let go first; no error is logged.
    write_config(c, port2, listen=str(port2))
    nl = c.bg.nlines()
    c.bg.send(signal.SIGHUP)
    ok = c.bg.wait_line(r"health: listening on %d " % port2, 10, since=nl)
    tap.ok(ok, "reload: overlapping address (every address, same port) taken over", c.diag())
    tap.eq(get(port2, "/healthz")[0], 200, "reload: ... answers on 127.0.0.1:%d" % port2)
    tap.eq(c.bg.matching(r"error:", since=nl), [], "reload: ... without an error logged")
    if socket.has_ipv6:
        tap.ok(c.bg.matching(r"health: closing \[::1\]:%d to try %d again" % (port2, port2),
                             since=nl), "reload: ... by closing the old socket first")


def case_config(tap, binary, wd, moto):
    d = tb.Daemon(binary, os.path.join(wd, "cfg-home"))
    sink = os.path.join(wd, "cfg-sink", "config.json")
    base = {"registries": [{"region": "us-east-1"}], "sinks": [{"type": "docker",
                                                                 "path": sink}]}
    bad = [
        ({"listen": "abc"}, r"health\.listen: \"abc\": expected \"PORT\", \"IPV4:PORT\" or "
                            r"\"\[IPV6\]:PORT\""),
        ({"listen": "70000"}, r"health\.listen: \"70000\": expected .*port from 1 to 65535"),
        ({"listen": "0"}, r"health\.listen: \"0\": expected "),
        ({"listen": "localhost:9100"}, r"health\.listen: \"localhost:9100\": expected a "
                                       r"numeric IPv4 address"),
        ({"listen": "::1:9100"}, r"IPv6 goes in brackets"),
        ({"listen": "[::1]9100"}, r"health\.listen: \"\[::1\]9100\": expected "),
        ({"listen": "[zz]:9100"}, r"health\.listen: .*expected a numeric IPv6 address"),
        ({"listen": ":9100"}, r"health\.listen: \":9100\": expected "),
        ({"listen": 9100}, r"health\.listen: expected a string"),
        ({}, r"health\.listen: missing"),
        ({"listen": "9100", "stale_before": "soon"}, r"health\.stale_before: invalid duration"),
        ({"listen": "9100", "port": 1}, r"health\.port: unknown key"),
    ]
    for i, (h, rx) in enumerate(bad):
        cfg = dict(base, health=h)
        path = tb.write_file(os.path.join(wd, "cfg-%d.json" % i), json.dumps(cfg)) or \
            os.path.join(wd, "cfg-%d.json" % i)
        r = d.run(["--check", "--config", path], env=tb.aws_env(os.path.dirname(sink),
                                                               endpoint=moto.url))
        tap.ok(r.rc == 2 and re.search(rx, r.err),
               "config: %s refused (exit 2, /%s/)" % (json.dumps(h), rx), r.diag())
    path = os.path.join(wd, "cfg-top.json")
    tb.write_file(path, json.dumps(dict(base, health="9100")))
    r = d.run(["--check", "--config", path], env=tb.aws_env(os.path.dirname(sink),
                                                           endpoint=moto.url))
    tap.ok(r.rc == 2 and "health: expected an object" in r.err,
           "config: \"health\": \"9100\" refused (expected an object)", r.diag())

    # A port that is taken: the daemon says so and exits.
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    taken = blocker.getsockname()[1]
    path = os.path.join(wd, "cfg-taken.json")
    tb.write_file(path, json.dumps(dict(base, health={"listen": "127.0.0.1:%d" % taken})))
    r = d.run(["--config", path], env=tb.aws_env(os.path.dirname(sink), endpoint=moto.url),
              timeout=20)
    blocker.close()
    tap.ok(r.rc == 1 and re.search(
        r"health: cannot listen on 127\.0\.0\.1:%d: Address already in use" % taken, r.err),
        "config: a port in use stops the daemon at start with the reason (exit %s)" % r.rc,
        r.diag())
    tap.ok("handles still open" not in r.err, "config: ... and no handles left open")
    return d


def main():
    tap, binary = tb.start(modules=("moto",))
    with tb.workdir() as wd:
        moto = tb.Moto(wd, expires_in=LIFETIME)
        try:
            case_off(tap, binary, wd, moto)
            case_main(tap, binary, wd, moto)
            d = case_config(tap, binary, wd, moto)
            results = [r for c in dc.CASES for r in c.daemon.results] + d.results
            tb.check_no_secrets(tap, results, {"token": TOKEN, "password": tb.password_for(ACCT)})
            leaked = [b for b in BODIES if TOKEN in b or tb.password_for(ACCT) in b]
            tap.ok(BODIES and not leaked, "no secret in any of %d HTTP bodies" % len(BODIES))
        finally:
            moto.stop()
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
