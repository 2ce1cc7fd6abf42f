/* SPDX-License-Identifier: MIT */
/* STS XML replies; see sts_response.h.  expat streams the document; each element whose
 * (parent, name) pair is one of the fields below collects its character data into a
 * capped buffer, which is wiped when the field is secret. */
#include "sts_response.h"

#include <expat.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "awsconfig.h"
#include "buf.h"

enum field {
    F_KEY_ID,
    F_SECRET,
    F_TOKEN,
    F_EXPIRATION,
    F_ROLE_ARN,
    F_ID_ARN,
    F_ID_ACCOUNT,
    F_ERR_CODE,
    F_ERR_MESSAGE,
    F_COUNT_
};

static const struct {
    const char *parent, *name;
    int secret;
} fields[F_COUNT_] = {
    [F_KEY_ID] = {"Credentials", "AccessKeyId", 0},
    [F_SECRET] = {"Credentials", "SecretAccessKey", 1},
    [F_TOKEN] = {"Credentials", "SessionToken", 1},
    [F_EXPIRATION] = {"Credentials", "Expiration", 0},
    [F_ROLE_ARN] = {"AssumedRoleUser", "Arn", 0},
    [F_ID_ARN] = {"GetCallerIdentityResult", "Arn", 0},
    [F_ID_ACCOUNT] = {"GetCallerIdentityResult", "Account", 0},
    [F_ERR_CODE] = {"Error", "Code", 0},
    [F_ERR_MESSAGE] = {"Error", "Message", 0},
};

#define NAME_MAX_LEN 48

struct parse_state {
    XML_Parser parser;
    char stack[STS_RESPONSE_MAX_DEPTH][NAME_MAX_LEN]; /* local names; "" when too long */
    int depth;                                        /* elements open */
    int capture;                                      /* field being read, or -1 */
    int capture_depth;                                /* depth of that field's element */
    struct buf text;                                  /* owned; wiped */
    struct buf value[F_COUNT_];                       /* owned; wiped */
    int seen[F_COUNT_];
    int seen_error; /* an <Error> element was opened */
    enum ecd_status st;
    const char *reason;
};

static void fail(struct parse_state *s, enum ecd_status st, const char *reason)
{
    if (!s->st) {
        s->st = st;
        s->reason = reason;
    }
    (void)XML_StopParser(s->parser, XML_FALSE); /* fails only when already stopped */
}

/* The name without a namespace prefix ("sts:Arn" -> "Arn"). */
static const char *local_name(const char *name)
{
    const char *colon = strrchr(name, ':');

    return colon ? colon + 1 : name;
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct parse_state *s = ud;
    const char *local = local_name(name);
    const char *parent = s->depth ? s->stack[s->depth - 1] : "";

    (void)attrs;
    if (s->depth >= STS_RESPONSE_MAX_DEPTH) {
        fail(s, ECD_EPROTO, "the STS reply nests too deeply");
        return;
    }
    if (strlen(local) < NAME_MAX_LEN)
        memcpy(s->stack[s->depth], local, strlen(local) + 1);
    else
        s->stack[s->depth][0] = '\0';
    s->depth++;
    if (!strcmp(local, "Error"))
        s->seen_error = 1;
    if (s->capture >= 0)
        return; /* markup inside a field: its text is not part of the value */
    for (int f = 0; f < F_COUNT_; f++) {
        if (!strcmp(parent, fields[f].parent) && !strcmp(s->stack[s->depth - 1], fields[f].name)) {
            s->capture = f;
            s->capture_depth = s->depth;
            buf_wipe(&s->text);
            return;
        }
    }
}

static void on_end(void *ud, const XML_Char *name)
{
    struct parse_state *s = ud;

    (void)name;
    if (s->capture >= 0 && s->depth == s->capture_depth) {
        struct buf *v = &s->value[s->capture];

        buf_wipe(v); /* a repeated field: the last one counts */
        if (buf_append(v, s->text.ptr ? s->text.ptr : "", s->text.len))
            fail(s, ECD_ENOMEM, "out of memory");
        s->seen[s->capture] = 1;
        buf_wipe(&s->text);
        s->capture = -1;
    }
    s->depth--;
}

static void on_text(void *ud, const XML_Char *text, int len)
{
    struct parse_state *s = ud;

    if (s->capture < 0 || s->depth != s->capture_depth)
        return;
    if (s->text.len + (size_t)len > STS_RESPONSE_MAX_FIELD) {
        fail(s, ECD_EPROTO, "a field of the STS reply is too long");
        return;
    }
    if (buf_append(&s->text, text, (size_t)len))
        fail(s, ECD_ENOMEM, "out of memory");
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                       int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    fail(ud, ECD_EPROTO, "the STS reply has a DOCTYPE, which STS never sends");
}

/* A copy of a field's text with surrounding XML whitespace removed; NULL if absent. */
static enum ecd_status take(struct parse_state *s, enum field f, char **out)
{
    const char *p = buf_str(&s->value[f]);
    size_t n;

    *out = NULL;
    if (!s->seen[f])
        return ECD_OK;
    p += strspn(p, " \t\r\n");
    n = strlen(p);
    while (n && strchr(" \t\r\n", p[n - 1]))
        n--;
    *out = strndup(p, n);
    return *out ? ECD_OK : ECD_ENOMEM;
}

static enum ecd_status take_secret(struct parse_state *s, enum field f, struct secret *out)
{
    char *v = NULL;
    enum ecd_status st = take(s, f, &v);

    if (!st && v)
        secret_adopt(out, v, strlen(v));
    return st;
}

static enum ecd_status finish(struct parse_state *s, struct sts_response *out)
{
    char *expiration = NULL;
    enum ecd_status st;

    if (s->seen_error || s->seen[F_ERR_CODE]) {
        out->kind = STS_RESPONSE_ERROR;
        if ((st = take(s, F_ERR_CODE, &out->error_code)) ||
            (st = take(s, F_ERR_MESSAGE, &out->error_message)))
            return st;
        if (!out->error_code || !*out->error_code) {
            s->reason = "the STS error reply has no Code";
            return ECD_EPROTO;
        }
        return ECD_OK;
    }
    if (s->seen[F_KEY_ID] || s->seen[F_SECRET] || s->seen[F_TOKEN] || s->seen[F_EXPIRATION]) {
        out->kind = STS_RESPONSE_CREDENTIALS;
        if ((st = take(s, F_KEY_ID, &out->creds.access_key_id)) ||
            (st = take_secret(s, F_SECRET, &out->creds.secret_key)) ||
            (st = take_secret(s, F_TOKEN, &out->creds.session_token)) ||
            (st = take(s, F_EXPIRATION, &expiration)) || (st = take(s, F_ROLE_ARN, &out->arn)))
            goto out;
        st = ECD_EPROTO;
        if (!out->creds.access_key_id || !*out->creds.access_key_id)
            s->reason = "the STS reply's Credentials have no AccessKeyId";
        else if (!out->creds.secret_key.len)
            s->reason = "the STS reply's Credentials have no SecretAccessKey";
        else if (!out->creds.session_token.len)
            s->reason = "the STS reply's Credentials have no SessionToken";
        else if (!expiration || !awsconfig_parse_time(expiration, &out->creds.expiration))
            s->reason = "the STS reply's Credentials have no valid Expiration (ISO 8601)";
        else
            st = ECD_OK;
        goto out;
    }
    if (s->seen[F_ID_ARN]) {
        out->kind = STS_RESPONSE_IDENTITY;
        if ((st = take(s, F_ID_ARN, &out->arn)) || (st = take(s, F_ID_ACCOUNT, &out->account)))
            return st;
        return ECD_OK;
    }
    s->reason = "the STS reply has no Credentials, caller identity or Error";
    return ECD_EPROTO;
out:
    free(expiration);
    return st;
}

enum ecd_status sts_response_parse(const char *body, size_t len, struct sts_response *out,
                                   const char **reason)
{
    struct parse_state s;
    enum ecd_status st;

    memset(out, 0, sizeof(*out));
    memset(&s, 0, sizeof(s));
    s.capture = -1;
    buf_init(&s.text, STS_RESPONSE_MAX_FIELD + 1);
    for (int f = 0; f < F_COUNT_; f++)
        buf_init(&s.value[f], STS_RESPONSE_MAX_FIELD + 1);
    s.reason = "out of memory";
    if (len > INT_MAX) {
        st = ECD_EPROTO;
        s.reason = "the STS reply is too long";
        goto out;
    }
    s.parser = XML_ParserCreate("UTF-8");
    if (!s.parser) {
        st = ECD_ENOMEM;
        goto out;
    }
    XML_SetUserData(s.parser, &s);
    XML_SetElementHandler(s.parser, on_start, on_end);
    XML_SetCharacterDataHandler(s.parser, on_text);
    XML_SetStartDoctypeDeclHandler(s.parser, on_doctype);
    if (XML_Parse(s.parser, body, (int)len, XML_TRUE) != XML_STATUS_OK) {
        if (!s.st) {
            s.st = XML_GetErrorCode(s.parser) == XML_ERROR_NO_MEMORY ? ECD_ENOMEM : ECD_EPROTO;
            s.reason =
                s.st == ECD_ENOMEM ? "out of memory" : "the STS reply is not well-formed XML";
        }
        st = s.st;
        goto out;
    }
    st = finish(&s, out);
out:
    if (s.parser)
        XML_ParserFree(s.parser);
    buf_wipe(&s.text);
    for (int f = 0; f < F_COUNT_; f++)
        buf_wipe(&s.value[f]);
    if (st)
        sts_response_clear(out);
    if (reason)
        *reason = st ? s.reason : NULL;
    return st;
}

void sts_response_clear(struct sts_response *r)
{
    if (!r)
        return;
    aws_credentials_clear(&r->creds);
    free(r->arn);
    free(r->account);
    free(r->error_code);
    free(r->error_message);
    memset(r, 0, sizeof(*r));
    r->kind = STS_RESPONSE_CREDENTIALS;
}
