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

AK, SK = tb.EXAMPLE_AK, tb.EXAMPLE_SK
ACCT, HOST = tb.DEFAULT_ACCOUNT, tb.DEFAULT_HOST
TLS_ERR = re.compile(r"(?i)tls|ssl|certificate|x509|verif|issuer|CA\b")


def main():
    tap, binary = tb.start(tools=("socat", "openssl", "curl"), modules=("moto",))

    with tb.workdir() as wd:
        pk = tb.make_pki(os.path.join(wd, "pki"))
        moto = tb.Moto(wd)
        tls = tb.TlsTerminator(pk["pem"], moto.port, wd)
        # A second terminator on another loopback address that is not in the
        # certificate's SANs, for the name-mismatch case.
        tls_other = tb.TlsTerminator(pk["pem"], moto.port, wd, bind="127.0.0.3")
        daemon = tb.Daemon(binary, os.path.join(wd, "home"))
        fresh_dir = tb.dir_maker(wd)

        # Fixture sanity with an independent client: curl trusts the CA.
        p = tb.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", pk["ca"],
                    "--aws-sigv4", "aws:amz:us-east-1:ecr", "--user", "%s:%s" % (AK, SK),
                    "-H", "Content-Type: application/x-amz-json-1.1",
                    "-H", "X-Amz-Target: " + tb.ECR_TOKEN_TARGET, "-d", "{}",
                    "https://127.0.0.1:%d/" % tls.port])
        tap.eq(p.stdout.strip(), "200", "fixture: curl --cacert through socat gets 200", p.stderr)

        def env(dc, url, **kw):
            return tb.aws_env(dc, endpoint=url, **kw)

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
            tb.check_error(tap, r, label, [needle], rc=rc, one_line="one error line")
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

        tb.check_no_secrets(tap, daemon.results, {"secret key": SK, "token": tb.token_for(ACCT),
                                                  "password": tb.password_for(ACCT)})
        tb.stop_all(tls, tls_other, moto)
    tap.done()


if __name__ == "__main__":
    tb.run_main(main)
