/* SPDX-License-Identifier: MIT */
/* GetAuthorizationToken replies: tokens out of a 200, a classified error out of the
 * rest; see ecr_response.h. */
#include "ecr_response.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "jsonutil.h"

/* Host names are at most 253 characters; a port or brackets add a few. */
#define HOST_MAX    262
#define SNIPPET_MAX 200

static void set_why(char *why, size_t whylen, const char *msg)
{
    if (why && whylen)
        snprintf(why, whylen, "%s", msg);
}

/* The token must be base64 of "<user>:<password>" with both parts non-empty.  The
 * decoded bytes hold the password, so they are wiped straight away. */
static enum ecd_status check_token(struct jsonutil_err *e, const char *where, const char *tok)
{
    size_t len = strlen(tok);
    const char *colon;
    struct buf dec;
    enum ecd_status st;

    if (!len)
        return jsonutil_fail(e, where, "expected a token, got \"\"");
    buf_init(&dec, len); /* decoding only shrinks */
    st = base64_decode(tok, len, &dec);
    if (st == ECD_ENOMEM)
        goto out;
    if (st) {
        st = jsonutil_fail(e, where, "not valid base64");
        goto out;
    }
    colon = memchr(dec.ptr ? dec.ptr : "", ':', dec.len);
    if (!colon || colon == dec.ptr || (size_t)(colon - dec.ptr) + 1 == dec.len)
        st = jsonutil_fail(e, where, "does not decode to \"user:password\"");
out:
    buf_wipe(&dec);
    return st;
}

static int is_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
}

/* "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com" gives the host; a path,
 * query or fragment is cut off (docker keys are host[:port] only).  http:// and a
 * bare host are taken too, for test servers. */
static enum ecd_status endpoint_host(struct jsonutil_err *e, const char *where, const char *ep,
                                     char **out)
{
    size_t n;

    if (!strncasecmp(ep, "https://", 8))
        ep += 8;
    else if (!strncasecmp(ep, "http://", 7))
        ep += 7;
    n = strcspn(ep, "/?#");
    if (!n || n > HOST_MAX)
        return jsonutil_fail(e, where, "expected https://<registry host>");
    for (size_t i = 0; i < n; i++)
        if (!is_host_char(ep[i]))
            return jsonutil_fail(e, where, "expected https://<registry host>");
    *out = strndup(ep, n);
    return *out ? ECD_OK : ECD_ENOMEM;
}

static enum ecd_status parse_entry(struct jsonutil_err *e, const cJSON *node, const char *where,
                                   int is_public, const char *public_host, struct registry_auth *ra)
{
    char sub[JSONUTIL_PATH_MAX];
    const char *tok = NULL, *ep = NULL;
    double exp = 0;
    enum ecd_status st;

    st = jsonutil_expect(e, node, where, JSONUTIL_OBJECT);
    if (!st)
        st = jsonutil_get_string(e, node, where, "authorizationToken", JSONUTIL_REQUIRED, &tok);
    if (!st)
        st = jsonutil_get_number(e, node, where, "expiresAt", JSONUTIL_REQUIRED, &exp);
    if (!st && !is_public)
        st = jsonutil_get_string(e, node, where, "proxyEndpoint", JSONUTIL_REQUIRED, &ep);
    if (st)
        return st;
    jsonutil_path_key(sub, sizeof(sub), where, "authorizationToken");
    st = check_token(e, sub, tok);
    if (st)
        return st;
    /* 1e999 parses as infinity; a non-positive time is no expiry either. */
    if (!isfinite(exp) || exp <= 0) {
        jsonutil_path_key(sub, sizeof(sub), where, "expiresAt");
        return jsonutil_fail(e, sub, "expected a positive epoch time, got %g", exp);
    }
    if (is_public) {
        ra->host = strdup(public_host);
        st = ra->host ? ECD_OK : ECD_ENOMEM;
    } else {
        jsonutil_path_key(sub, sizeof(sub), where, "proxyEndpoint");
        st = endpoint_host(e, sub, ep, &ra->host);
    }
    if (!st)
        st = secret_set(&ra->auth, tok, strlen(tok));
    ra->expires_at = exp;
    return st;
}

enum ecd_status ecr_response_parse_token(const char *body, size_t len, int is_public,
                                         const char *public_host, struct token_set **out, char *why,
                                         size_t whylen)
{
    char where[JSONUTIL_PATH_MAX];
    struct jsonutil_err e;
    struct token_set *ts = NULL;
    const cJSON *data = NULL;
    cJSON *root = NULL;
    size_t n, i = 0;
    enum ecd_status st;

    set_why(why, whylen, "");
    if (!out || (!body && len))
        return ECD_EINVAL;
    *out = NULL;
    if (!public_host)
        public_host = ECR_RESPONSE_PUBLIC_HOST;
    jsonutil_err_init(&e, "body", ECD_EPROTO);
    st = jsonutil_parse(&e, body ? body : "", len, &root);
    if (st)
        goto out;
    e.name = NULL; /* from here on, messages start with the JSON path */
    if (!cJSON_IsObject(root)) {
        st = jsonutil_fail(&e, NULL, "expected a JSON object");
        goto out;
    }
    if (is_public) {
        /* ECR Public: one object, not an array (protocols.md 1.6). */
        st = jsonutil_get_object(&e, root, "", "authorizationData", JSONUTIL_REQUIRED, &data);
        n = 1;
    } else {
        st = jsonutil_get_array(&e, root, "", "authorizationData", JSONUTIL_REQUIRED, &data);
        n = st ? 0 : (size_t)cJSON_GetArraySize(data);
        if (!st && !n)
            st = jsonutil_fail(&e, "authorizationData", "expected at least one entry");
    }
    if (st)
        goto out;
    st = token_set_new(n, &ts);
    if (st)
        goto out;
    if (is_public) {
        st = parse_entry(&e, data, "authorizationData", 1, public_host, &ts->items[0]);
        goto out;
    }
    for (const cJSON *it = data->child; it && i < n; it = it->next, i++) {
        jsonutil_path_index(where, sizeof(where), "authorizationData", i);
        st = parse_entry(&e, it, where, 0, NULL, &ts->items[i]);
        if (st)
            goto out;
    }
out:
    if (st == ECD_ENOMEM)
        set_why(why, whylen, "out of memory");
    else if (st)
        set_why(why, whylen, e.msg);
    if (!st) {
        *out = ts;
        ts = NULL;
    }
    token_set_unref(ts);
    jsonutil_delete_wiped(root); /* it held the tokens */
    return st;
}

/* --- error replies --- */

static const char *const throttle_codes[] = {
    /* botocore retries/standard.py and _retry.json */
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "EC2ThrottledException",
    NULL,
};

static const char *const server_codes[] = {
    "ServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
    "InternalError",
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
    NULL,
};

static const char *const skew_codes[] = {
    "RequestTimeTooSkewed",
    "RequestExpired",
    "RequestInTheFuture",
    NULL,
};

static const char *const expired_codes[] = {
    "ExpiredTokenException",
    "ExpiredToken",
    NULL,
};

static const char *const auth_codes[] = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "InvalidClientTokenId",
    "AccessDeniedException",
    "AccessDenied",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "IncompleteSignature",
    "IncompleteSignatureException",
    "AuthFailure",
    "InvalidAccessKeyId",
    NULL,
};

static int in_list(const char *code, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(code, *list))
            return 1;
    return 0;
}

static enum ecr_error_kind classify(const char *code, const char *message, long status,
                                    int have_code)
{
    if (have_code) {
        if (in_list(code, throttle_codes))
            return ECR_ERR_THROTTLE;
        if (in_list(code, server_codes))
            return ECR_ERR_SERVER;
        if (in_list(code, skew_codes))
            return ECR_ERR_CLOCK_SKEW;
        /* The same code covers a wrong signature and a wrong clock; only the
         * message tells them apart (protocols.md 1.3). */
        if ((!strcmp(code, "InvalidSignatureException") ||
             !strcmp(code, "SignatureDoesNotMatch")) &&
            (!strncmp(message, "Signature expired", 17) ||
             !strncmp(message, "Signature not yet current", 25)))
            return ECR_ERR_CLOCK_SKEW;
        if (in_list(code, expired_codes))
            return ECR_ERR_EXPIRED_CREDS;
        if (in_list(code, auth_codes))
            return ECR_ERR_AUTH;
    }
    if (status == 429)
        return ECR_ERR_THROTTLE;
    if (status >= 500 && status <= 599)
        return ECR_ERR_SERVER;
    /* A bare 401/403 (no code at all) is most likely a front end refusing us. */
    if (!have_code && (status == 401 || status == 403))
        return ECR_ERR_AUTH;
    return ECR_ERR_BAD_REQUEST;
}

/* Normalise a code as botocore does: cut at the first ':', keep what follows the
 * last '#'; surrounding spaces go, anything unprintable becomes '?'. */
static void set_code(char *dst, size_t cap, const char *src, size_t n)
{
    const char *colon;
    size_t k = 0;

    n = strnlen(src, n);
    colon = memchr(src, ':', n);
    if (colon)
        n = (size_t)(colon - src);
    for (size_t i = n; i > 0; i--) {
        if (src[i - 1] == '#') {
            src += i;
            n -= i;
            break;
        }
    }
    while (n && (*src == ' ' || *src == '\t'))
        src++, n--;
    while (n &&
           (src[n - 1] == ' ' || src[n - 1] == '\t' || src[n - 1] == '\r' || src[n - 1] == '\n'))
        n--;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        dst[k++] = (src[i] > 0x20 && src[i] < 0x7f) ? src[i] : '?';
    dst[k] = '\0';
}

/* After a cut that may have split a UTF-8 sequence, drop its incomplete head. */
static void utf8_trim_tail(char *s, size_t len)
{
    size_t i = len, cont = 0, need;
    unsigned char lead;

    while (i > 0 && cont < 3 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
        i--;
        cont++;
    }
    if (!i)
        return;
    lead = (unsigned char)s[i - 1];
    need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
    if (lead >= 0xc0 && cont < need)
        s[i - 1] = '\0';
}

/* The part of a message worth logging: InvalidSignatureException texts go on, after
 * a blank line, with the canonical request and string to sign the server expected,
 * and those quote signed headers such as X-Amz-Security-Token. */
static size_t message_cut(const char *src, size_t n)
{
    static const char *const marks[] = {"\n\n", "\r\n\r\n", "The Canonical String",
                                        "The String-to-Sign", NULL};

    for (size_t i = 0; marks[i]; i++) {
        const char *m = memmem(src, n, marks[i], strlen(marks[i]));

        if (m)
            n = (size_t)(m - src);
    }
    return n;
}

/* Copy n bytes of server text into dst: control characters become spaces, and with
 * `xml` the five predefined entities are decoded.  Trailing spaces go. */
static void set_message(char *dst, size_t cap, const char *src, size_t n, int xml)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t k = 0, i = 0;
    int truncated = 0;

    n = message_cut(src, strnlen(src, n));
    while (i < n) {
        char c = src[i];
        size_t adv = 1;

        if (k + 1 >= cap) {
            truncated = 1;
            break;
        }
        if (xml && c == '&') {
            for (size_t j = 0; j < sizeof(ents) / sizeof(ents[0]); j++) {
                size_t el = strlen(ents[j].ent);

                if (n - i >= el && !memcmp(src + i, ents[j].ent, el)) {
                    c = ents[j].c;
                    adv = el;
                    break;
                }
            }
        }
        if ((unsigned char)c < 0x20 || c == 0x7f)
            c = ' ';
        dst[k++] = c;
        i += adv;
    }
    dst[k] = '\0';
    if (truncated)
        utf8_trim_tail(dst, k);
    k = strlen(dst);
    while (k && dst[k - 1] == ' ')
        dst[--k] = '\0';
}

/* The first SNIPPET_MAX characters of a body that is neither JSON nor XML: ASCII
 * only, runs of white space and control characters as one space. */
static void set_snippet(char *dst, size_t cap, const char *src, size_t n)
{
    size_t k = 0;
    int space = 1; /* drops leading white space */

    for (size_t i = 0; i < n && k < SNIPPET_MAX && k + 1 < cap; i++) {
        unsigned char c = (unsigned char)src[i];

        if (c <= 0x20 || c == 0x7f) {
            if (!space)
                dst[k++] = ' ';
            space = 1;
            continue;
        }
        dst[k++] = c < 0x7f ? (char)c : '?';
        space = 0;
    }
    while (k && dst[k - 1] == ' ')
        k--;
    dst[k] = '\0';
}

/* Bounded scan for <tag>text</tag> (the first one); CDATA wrapping is removed.
 * Enough for the fixed templates of AWS query-style and moto error bodies. */
static int xml_element(const char *body, size_t len, const char *tag, const char **text, size_t *n,
                       int *cdata)
{
    char open[32], close[32];
    const char *s, *t;
    size_t ol, cl;

    ol = (size_t)snprintf(open, sizeof(open), "<%s>", tag);
    cl = (size_t)snprintf(close, sizeof(close), "</%s>", tag);
    s = memmem(body, len, open, ol);
    if (!s)
        return 0;
    s += ol;
    t = memmem(s, len - (size_t)(s - body), close, cl);
    if (!t)
        return 0;
    *text = s;
    *n = (size_t)(t - s);
    *cdata = 0;
    if (*n >= 12 && !memcmp(s, "<![CDATA[", 9) && !memcmp(t - 3, "]]>", 3)) {
        *text = s + 9;
        *n -= 12;
        *cdata = 1;
    }
    return 1;
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

void ecr_response_parse_error(const char *body, size_t len, long http_status,
                              const char *x_amzn_errortype_header, struct ecr_error *out)
{
    struct jsonutil_err e;
    cJSON *root = NULL;
    const char *first, *text;
    size_t n;
    int have_code = 0, have_message = 0, cdata;

    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (!body) {
        body = "";
        len = 0;
    }
    first = skip_space(body, body + len);
    if (first < body + len && *first == '{') {
        jsonutil_err_init(&e, NULL, ECD_EPROTO);
        if (jsonutil_parse(&e, body, len, &root) || !cJSON_IsObject(root)) {
            cJSON_Delete(root);
            root = NULL;
        }
    }
    if (root) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "__type");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");

        if (!cJSON_IsString(msg))
            msg = cJSON_GetObjectItemCaseSensitive(root, "Message");
        if (cJSON_IsString(type) && type->valuestring) {
            set_code(out->code, sizeof(out->code), type->valuestring, strlen(type->valuestring));
            have_code = out->code[0] != '\0';
        }
        if (cJSON_IsString(msg) && msg->valuestring) {
            set_message(out->message, sizeof(out->message), msg->valuestring,
                        strlen(msg->valuestring), 0);
            have_message = 1;
        }
    }
    if (!have_code && x_amzn_errortype_header) {
        set_code(out->code, sizeof(out->code), x_amzn_errortype_header,
                 strlen(x_amzn_errortype_header));
        have_code = out->code[0] != '\0';
    }
    if (!root && first < body + len && *first == '<') {
        if (!have_code && xml_element(body, len, "Code", &text, &n, &cdata)) {
            set_code(out->code, sizeof(out->code), text, n);
            have_code = out->code[0] != '\0';
        }
        if (xml_element(body, len, "Message", &text, &n, &cdata)) {
            set_message(out->message, sizeof(out->message), text, n, !cdata);
            have_message = 1;
        }
    }
    if (!have_code)
        snprintf(out->code, sizeof(out->code), "HTTP %ld", http_status);
    /* A JSON error that names its code needs no raw echo; anything else may be
     * explained by its text. */
    if (!have_message && len && !(root && have_code))
        set_snippet(out->message, sizeof(out->message), body, len);
    out->kind = classify(out->code, out->message, http_status, have_code);
    cJSON_Delete(root);
}

enum ecd_status ecr_error_status(const struct ecr_error *err)
{
    return ecr_error_kind_status(err->kind);
}

enum ecd_status ecr_error_kind_status(enum ecr_error_kind kind)
{
    switch (kind) {
    case ECR_ERR_THROTTLE:
    case ECR_ERR_SERVER:
        return ECD_ETHROTTLE;
    case ECR_ERR_CLOCK_SKEW:
    case ECR_ERR_EXPIRED_CREDS:
    case ECR_ERR_AUTH:
        return ECD_EAUTH;
    case ECR_ERR_BAD_REQUEST:
        return ECD_EHTTP;
    }
    return ECD_EHTTP;
}

const char *ecr_error_kind_name(enum ecr_error_kind kind)
{
    switch (kind) {
    case ECR_ERR_THROTTLE:
        return "throttle";
    case ECR_ERR_SERVER:
        return "server";
    case ECR_ERR_CLOCK_SKEW:
        return "clock-skew";
    case ECR_ERR_EXPIRED_CREDS:
        return "expired-credentials";
    case ECR_ERR_AUTH:
        return "auth";
    case ECR_ERR_BAD_REQUEST:
        return "bad-request";
    }
    return "unknown";
}
