#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""TLS verification: moto behind a socat TLS terminator with a throw-away CA.

AWS_CA_BUNDLE naming the right CA must work (by IP SAN and by DNS SAN);
an unrelated CA, no bundle (system CAs), a missing bundle file and a name
that is not in the certificate must all fail with a TLS error, exit 1, and
leave config.json alone.
Usage: test_tls.py /path/to/ecr-credd
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import testbed as tb  # noqa: E402

AK = "AKIAIOSFODNN7EXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCT = tb.DEFAULT_ACCOUNT
HOST = tb.ecr_host(ACCT)
TLS_ERR = re.compile(r"(?i)tls|ssl|certificate|x509|verif|issuer|CA\b")


def main():
    tap = tb.Tap()
    binary = tb.binary_from_argv(tap)
    tb.require(tap, tools=("socat", "openssl", "curl"), modules=("moto",), binary=binary)

    with tb.workdir() as wd:
        pk = tb.make_pki(os.path.join(wd, "pki"))
        moto = tb.Moto(wd)
        tls = tb.TlsTerminator(pk["pem"], moto.port, wd)
        # A second terminator on another loopback address that is not in the
        # certificate's SANs, for the name-mismatch case.
        tls_other = tb.TlsTerminator(pk["pem"], moto.port, wd, bind="127.0.0.3")
        daemon = tb.Daemon(binary, os.path.join(wd, "home"))
        n = [0]

        # Fixture sanity with an independent client: curl trusts the CA.
        p = tb.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", pk["ca"],
                    "--aws-sigv4", "aws:amz:us-east-1:ecr", "--user", "%s:%s" % (AK, SK),
                    "-H", "Content-Type: application/x-amz-json-1.1",
                    "-H", "X-Amz-Target: " + tb.ECR_TOKEN_TARGET, "-d", "{}",
                    "https://127.0.0.1:%d/" % tls.port])
        tap.eq(p.stdout.strip(), "200", "fixture: curl --cacert through socat gets 200", p.stderr)

        def fresh_dir():
            n[0] += 1
            return os.path.join(wd, "dc%d" % n[0])

        def env(dc, url, **kw):
            e = {"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK, "AWS_REGION": "us-east-1",
                 "AWS_ENDPOINT_URL_ECR": url, "DOCKER_CONFIG": dc}
            e.update(kw)
            return e

        def good(label, url, **kw):
            dc = fresh_dir()
            moto.clear_log()
            r = daemon.run(env=env(dc, url, **kw))
            tap.eq(r.rc, 0, "%s: exit 0" % label, r.diag())
            try:
                auth = tb.read_json(os.path.join(dc, "config.json"))["auths"][HOST]["auth"]
            except (OSError, ValueError, KeyError, TypeError) as ex:
                auth = "<%s>" % ex
            tap.eq(auth, tb.token_for(ACCT), "%s: token written" % label)
            reqs = moto.token_requests(clear=True)
            tap.ok(len(reqs) >= 1, "%s: request reached moto through TLS" % label)
            if reqs:
                want_host = url.split("://", 1)[1].rstrip("/")
                tap.eq(reqs[0].get("Host"), want_host, "%s: Host header is %s" % (label, want_host))

        def bad(label, url, needle=TLS_ERR, rc=1, **kw):
            dc = fresh_dir()
            moto.clear_log()
            r = daemon.run(env=env(dc, url, **kw))
            if isinstance(rc, tuple):
                tap.ok(r.rc in rc, "%s: exit in %s" % (label, rc), r.diag())
            else:
                tap.eq(r.rc, rc, "%s: exit %d" % (label, rc), r.diag())
            errs = r.error_lines()
            tap.eq(len(errs), 1, "%s: one error line" % label, r.diag())
            tap.ok(any(needle.search(l) for l in errs),
                   "%s: error matches /%s/" % (label, needle.pattern), r.diag())
            tap.ok(not os.path.exists(os.path.join(dc, "config.json")),
                   "%s: config.json not created" % label)
            tap.eq(len(moto.token_requests(clear=True)), 0,
                   "%s: no request got past the TLS handshake" % label)
            return r

        url_ip = "https://127.0.0.1:%d" % tls.port
        url_name = "https://localhost:%d" % tls.port
        good("right CA, IP SAN", url_ip, AWS_CA_BUNDLE=pk["ca"])
        good("right CA, DNS SAN", url_name, AWS_CA_BUNDLE=pk["ca"])
        good("right CA, trailing slash in endpoint", url_ip + "/", AWS_CA_BUNDLE=pk["ca"])
        bundle = os.path.join(wd, "bundle.pem")
        with open(bundle, "wb") as out:
            for f in (pk["wrong_ca"], pk["ca"]):
                with open(f, "rb") as g:
                    out.write(g.read())
        good("bundle with two CAs", url_ip, AWS_CA_BUNDLE=bundle)

        bad("wrong CA", url_ip, AWS_CA_BUNDLE=pk["wrong_ca"])
        bad("no bundle (system CAs)", url_ip)
        # SSL_CERT_FILE is not an AWS variable; only AWS_CA_BUNDLE may widen trust.
        r = bad("wrong CA even with SSL_CERT_FILE=right CA", url_ip, AWS_CA_BUNDLE=pk["wrong_ca"],
                SSL_CERT_FILE=pk["ca"])
        missing = os.path.join(wd, "no-such-ca.pem")
        bad("missing bundle file", url_ip, needle=re.compile(re.escape(missing)), rc=(1, 2),
            AWS_CA_BUNDLE=missing)
        garbage = os.path.join(wd, "garbage-ca.pem")
        tb.write_file(garbage, "not a certificate\n")
        bad("bundle file without certificates", url_ip, AWS_CA_BUNDLE=garbage,
            needle=re.compile(r"(?i)tls|ssl|certificate|x509|verif|issuer|CA\b|" +
                              re.escape(garbage)))
        bad("name not in certificate (127.0.0.3)", "https://127.0.0.3:%d" % tls_other.port,
            AWS_CA_BUNDLE=pk["ca"])
        # Plain HTTP to a TLS port must fail cleanly too, and say what happened
        # (curl itself says "Recv failure: Connection reset by peer").
        r = bad("http:// to a TLS port", "http://127.0.0.1:%d" % tls.port,
                needle=re.compile(r"127\.0\.0\.1:%d" % tls.port), AWS_CA_BUNDLE=pk["ca"])
        tap.ok(any(re.search(r"(?i)reset|closed|recv|empty reply", l) and "select/poll" not in l
                   for l in r.error_lines()),
               "http:// to a TLS port: error names the cause (reset/closed), not select/poll",
               r.diag())

        leaks = tb.secret_leaks(daemon.results, {"secret key": SK, "token": tb.token_for(ACCT),
                                                 "password": tb.password_for(ACCT)})
        tap.ok(not leaks, "no secret in any output (%d runs)" % len(daemon.results),
               "\n".join("%s in output of %s" % l for l in leaks))
        tls.stop()
        tls_other.stop()
        moto.stop()
    tap.done()


if __name__ == "__main__":
    try:
        main()
    finally:
        tb.cleanup_all()
