/* SPDX-License-Identifier: MIT */
/* execcred.c: the ExecCredential a client-go credential plugin prints, and RFC 3339. */
#include <string.h>

#include "execcred.h"
#include "tap.h"

#define V1 "client.authentication.k8s.io/v1"

static void bad(const char *text, const char *want)
{
    struct execcred c = {0};
    char why[256];
    enum ecd_status st = execcred_parse(text, strlen(text), V1, &c, why, sizeof(why));

    tap_ok(st == ECD_EPROTO && !c.token.ptr && !c.client_cert_pem && !c.client_key_pem.ptr,
           "rejected: %s", want);
    tap_str_eq(why, want, "why: %s", want);
    tap_ok(!strstr(why, "SECRET"), "why quotes no secret");
}

static void test_good(void)
{
    static const char tok[] = "{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
                              "\"spec\":{\"interactive\":false},"
                              "\"status\":{\"token\":\"k8s-aws-v1.abc\","
                              "\"expirationTimestamp\":\"2030-01-01T00:00:00Z\"}}";
    static const char cert[] = "{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
                               "\"kind\":\"ExecCredential\",\"status\":{"
                               "\"clientCertificateData\":\"-----BEGIN CERTIFICATE-----\\n\","
                               "\"clientKeyData\":\"-----BEGIN EC PRIVATE KEY-----\\n\"}}";
    struct execcred c = {0};
    char why[256] = "x";
    enum ecd_status st;

    st = execcred_parse(tok, strlen(tok), V1, &c, why, sizeof(why));
    tap_ok(st == ECD_OK && !why[0], "token credential parses");
    tap_str_eq(c.token.ptr, "k8s-aws-v1.abc", "token");
    tap_ok(c.expires == 1893456000, "expirationTimestamp");
    tap_ok(!c.client_cert_pem, "no certificate");
    st = execcred_parse(cert, strlen(cert), "client.authentication.k8s.io/v1beta1", &c, why,
                        sizeof(why));
    tap_ok(st == ECD_OK && !c.token.ptr && c.expires == 0, "certificate credential, no expiry");
    tap_str_eq(c.client_cert_pem, "-----BEGIN CERTIFICATE-----\n", "certificate");
    tap_str_eq(c.client_key_pem.ptr, "-----BEGIN EC PRIVATE KEY-----\n", "key");
    st = execcred_parse(tok, strlen(tok), NULL, &c, why, sizeof(why));
    tap_ok(st == ECD_OK && c.token.ptr, "no expected apiVersion: any");
    execcred_clear(&c);
    tap_ok(!c.token.ptr && !c.client_cert_pem, "clear");
}

static void test_bad(void)
{
    bad("", "empty document, expected JSON");
    bad("token", "line 1, column 1: invalid JSON");
    bad("[]", "expected an object");
    bad("{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"SECRET\"}}",
        "apiVersion: missing, expected a string");
    bad("{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
        "\"status\":{\"token\":\"SECRET\"}}",
        "apiVersion: the plugin answered client.authentication.k8s.io/v1beta1, expected " V1);
    bad("{\"apiVersion\":\"" V1 "\",\"kind\":\"Secret\",\"status\":{\"token\":\"SECRET\"}}",
        "kind: expected ExecCredential, found Secret");
    bad("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\"}",
        "status: missing, expected an object");
    bad("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{}}",
        "status: expected a token or clientCertificateData and clientKeyData");
    bad("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"\"}}",
        "status: expected a token or clientCertificateData and clientKeyData");
    bad("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":5}}",
        "status.token: expected a string");
    bad("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{"
        "\"clientCertificateData\":\"SECRET\"}}",
        "status.clientKeyData: missing: the plugin returned only half of a certificate and key "
        "pair");
    bad("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{"
        "\"clientKeyData\":\"SECRET\"}}",
        "status.clientCertificateData: missing: the plugin returned only half of a certificate "
        "and key pair");
    bad("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"SECRET\","
        "\"expirationTimestamp\":\"tomorrow\"}}",
        "status.expirationTimestamp: expected an RFC 3339 time like 2024-01-15T12:00:00Z");
    bad("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"SECRET\","
        "\"token\":\"SECRET\"}}",
        "status.token: duplicate key");
}

static void test_time(void)
{
    time_t t = 0;

    tap_ok(execcred_parse_time("2024-01-15T12:00:00Z", &t) && t == 1705320000, "Z");
    tap_ok(execcred_parse_time("2024-01-15T12:00:00.123456Z", &t) && t == 1705320000, "fraction");
    tap_ok(execcred_parse_time("2024-01-15T14:00:00+02:00", &t) && t == 1705320000, "offset");
    tap_ok(!execcred_parse_time("2024-01-15 12:00Z", &t), "no seconds: not RFC 3339");
    tap_ok(!execcred_parse_time("2024-01-15T12:00:00", &t), "no zone");
    tap_ok(!execcred_parse_time("", &t) && !execcred_parse_time(NULL, &t), "empty");
}

int main(void)
{
    test_good();
    test_bad();
    test_time();
    return tap_done();
}
