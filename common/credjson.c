/* SPDX-License-Identifier: MIT */
/* JSON credential documents; see credjson.h. */
#include "credjson.h"

#include <stdio.h>
#include <string.h>

#include "awsconfig.h"
#include "jsonutil.h"

static enum ecd_status copy_secret(struct secret *dst, const char *src)
{
    return src ? secret_set(dst, src, strlen(src)) : ECD_OK;
}

static enum ecd_status nonempty(struct jsonutil_err *e, const char *key, const char *v)
{
    if (v && !*v)
        return jsonutil_fail(e, key, "expected a non-empty string");
    return ECD_OK;
}

enum ecd_status credjson_parse(enum credjson_kind kind, const char *text, size_t len,
                               struct aws_credentials *out, char *why, size_t why_len)
{
    const char *ak = NULL, *sk = NULL, *tok = NULL, *exp = NULL, *code = NULL, *msg = NULL;
    enum jsonutil_need need = kind == CREDJSON_PROCESS ? JSONUTIL_OPTIONAL : JSONUTIL_REQUIRED;
    struct jsonutil_err e;
    cJSON *root = NULL;
    double version = 0;
    enum ecd_status st;

    aws_credentials_clear(out);
    jsonutil_err_init(&e, NULL, ECD_EPROTO);
    if ((st = jsonutil_parse(&e, text, len, &root)) ||
        (st = jsonutil_expect(&e, root, "", JSONUTIL_OBJECT)))
        goto out;
    if (kind == CREDJSON_IMDS) {
        if ((st = jsonutil_get_string(&e, root, "", "Code", JSONUTIL_OPTIONAL, &code)) ||
            (st = jsonutil_get_string(&e, root, "", "Message", JSONUTIL_OPTIONAL, &msg)))
            goto out;
        if (code && strcmp(code, "Success")) {
            snprintf(e.msg, sizeof(e.msg), "instance metadata answered Code %.64s: %.200s", code,
                     msg ? msg : "(no message)");
            for (char *p = e.msg; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                    *p = '?';
            st = ECD_EAUTH;
            goto out;
        }
    }
    if (kind == CREDJSON_PROCESS) {
        if ((st = jsonutil_get_number(&e, root, "", "Version", JSONUTIL_REQUIRED, &version)))
            goto out;
        if (version != 1) {
            st = jsonutil_fail(&e, "Version", "expected 1, the only version there is");
            goto out;
        }
    }
    if ((st = jsonutil_get_string(&e, root, "", "AccessKeyId", JSONUTIL_REQUIRED, &ak)) ||
        (st = nonempty(&e, "AccessKeyId", ak)) ||
        (st = jsonutil_get_string(&e, root, "", "SecretAccessKey", JSONUTIL_REQUIRED, &sk)) ||
        (st = nonempty(&e, "SecretAccessKey", sk)) ||
        (st = jsonutil_get_string(&e, root, "", kind == CREDJSON_PROCESS ? "SessionToken" : "Token",
                                  need, &tok)) ||
        (st = jsonutil_get_string(&e, root, "", "Expiration", need, &exp)))
        goto out;
    if (exp && !awsconfig_parse_time(exp, &out->expiration)) {
        st = jsonutil_fail(&e, "Expiration", "expected an ISO 8601 time like 2024-01-15T13:00:00Z");
        goto out;
    }
    if (!(out->access_key_id = strdup(ak))) {
        st = ECD_ENOMEM;
        goto out;
    }
    if ((st = copy_secret(&out->secret_key, sk)) ||
        (st = copy_secret(&out->session_token, tok && *tok ? tok : NULL)))
        goto out;
out:
    jsonutil_delete_wiped(root);
    if (st)
        aws_credentials_clear(out);
    if (why && why_len)
        snprintf(why, why_len, "%s", st ? (e.msg[0] ? e.msg : ecd_strerror(st)) : "");
    return st;
}
