/* SPDX-License-Identifier: MIT */
/* ExecCredential documents; see execcred.h. */
#include "execcred.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awsconfig.h"
#include "jsonutil.h"

void execcred_clear(struct execcred *c)
{
    secret_wipe(&c->token);
    free(c->client_cert_pem);
    secret_wipe(&c->client_key_pem);
    memset(c, 0, sizeof(*c));
}

int execcred_parse_time(const char *s, time_t *out)
{
    /* RFC 3339 requires the seconds and the 'T' (or 't'); awsconfig's ISO 8601 reader
     * is more lenient, so check the fixed part first. */
    if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return 0;
    return awsconfig_parse_time(s, out);
}

enum ecd_status execcred_parse(const char *text, size_t len, const char *api_version,
                               struct execcred *out, char *why, size_t why_len)
{
    static const char *const status_keys[] = {"token", "clientCertificateData", "clientKeyData",
                                              "expirationTimestamp", NULL};
    const char *av = NULL, *kind = NULL, *tok = NULL, *cert = NULL, *key = NULL, *exp = NULL;
    const cJSON *status = NULL;
    struct jsonutil_err e;
    cJSON *root = NULL;
    enum ecd_status st;

    execcred_clear(out);
    jsonutil_err_init(&e, NULL, ECD_EPROTO);
    if ((st = jsonutil_parse(&e, text, len, &root)) ||
        (st = jsonutil_expect(&e, root, "", JSONUTIL_OBJECT)) ||
        (st = jsonutil_get_string(&e, root, "", "apiVersion", JSONUTIL_REQUIRED, &av)) ||
        (st = jsonutil_get_string(&e, root, "", "kind", JSONUTIL_REQUIRED, &kind)))
        goto out;
    if (api_version && strcmp(av, api_version)) {
        st = jsonutil_fail(&e, "apiVersion", "the plugin answered %.80s, expected %.80s", av,
                           api_version);
        goto out;
    }
    if (strcmp(kind, "ExecCredential")) {
        st = jsonutil_fail(&e, "kind", "expected ExecCredential, found %.80s", kind);
        goto out;
    }
    if ((st = jsonutil_get_object(&e, root, "", "status", JSONUTIL_REQUIRED, &status)) ||
        (st = jsonutil_check_unique(&e, status, "status")) ||
        (st = jsonutil_get_string(&e, status, "status", status_keys[0], JSONUTIL_OPTIONAL, &tok)) ||
        (st =
             jsonutil_get_string(&e, status, "status", status_keys[1], JSONUTIL_OPTIONAL, &cert)) ||
        (st = jsonutil_get_string(&e, status, "status", status_keys[2], JSONUTIL_OPTIONAL, &key)) ||
        (st = jsonutil_get_string(&e, status, "status", status_keys[3], JSONUTIL_OPTIONAL, &exp)))
        goto out;
    if (tok && !*tok)
        tok = NULL;
    if (cert && !*cert)
        cert = NULL;
    if (key && !*key)
        key = NULL;
    if (!cert != !key) {
        st = jsonutil_fail(&e, cert ? "status.clientKeyData" : "status.clientCertificateData",
                           "missing: the plugin returned only half of a certificate and key pair");
        goto out;
    }
    if (!tok && !cert) {
        st = jsonutil_fail(&e, "status",
                           "expected a token or clientCertificateData and clientKeyData");
        goto out;
    }
    if (exp && *exp && !execcred_parse_time(exp, &out->expires)) {
        st = jsonutil_fail(&e, "status.expirationTimestamp",
                           "expected an RFC 3339 time like 2024-01-15T12:00:00Z");
        goto out;
    }
    if ((tok && (st = secret_set(&out->token, tok, strlen(tok)))) ||
        (key && (st = secret_set(&out->client_key_pem, key, strlen(key)))))
        goto out;
    if (cert && !(out->client_cert_pem = strdup(cert)))
        st = ECD_ENOMEM;
out:
    jsonutil_delete_wiped(root);
    if (st)
        execcred_clear(out);
    if (why && why_len)
        snprintf(why, why_len, "%s", st ? (e.msg[0] ? e.msg : ecd_strerror(st)) : "");
    return st;
}
