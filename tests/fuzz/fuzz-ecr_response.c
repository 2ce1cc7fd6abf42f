/* SPDX-License-Identifier: MIT */
/* libFuzzer target for both GetAuthorizationToken parsers.  The first input byte
 * picks ECR or ECR Public (bit 0), whether the rest's first line is passed as the
 * x-amzn-ErrorType header (bit 1) and the HTTP status; the rest is the body.  Checks:
 * an accepted token set is well formed, and an error always has a bounded, printable
 * code and message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ecr_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long statuses[] = {400, 401, 403, 404, 429, 500, 502, 503};

static void check_tokens(const struct token_set *ts)
{
    if (!ts || !ts->n || ts->refs != 1)
        abort();
    for (size_t i = 0; i < ts->n; i++) {
        const struct registry_auth *ra = &ts->items[i];

        if (!ra->host || !*ra->host || strpbrk(ra->host, "/@?# "))
            abort();
        if (!ra->auth.ptr || !ra->auth.len || strlen(ra->auth.ptr) != ra->auth.len)
            abort();
        if (!(ra->expires_at > 0))
            abort();
    }
}

static void check_text(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);

    if (n == cap)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct token_set *ts = NULL;
    struct ecr_error err;
    char why[256], header[128];
    const char *body, *hdr = NULL;
    size_t len;
    uint8_t flags;

    if (!size)
        return 0;
    flags = data[0];
    body = (const char *)data + 1;
    len = size - 1;
    if (ecr_response_parse_token(body, len, flags & 1, NULL, &ts, why, sizeof(why)) == ECD_OK)
        check_tokens(ts);
    else if (ts || !why[0])
        abort();
    token_set_unref(ts);

    if (flags & 2) {
        const char *nl = memchr(body, '\n', len);
        size_t hl = nl ? (size_t)(nl - body) : len;

        if (hl >= sizeof(header))
            hl = sizeof(header) - 1;
        memcpy(header, body, hl);
        header[hl] = '\0';
        hdr = header;
        if (nl) {
            len -= (size_t)(nl - body) + 1;
            body = nl + 1;
        }
    }
    ecr_response_parse_error(body, len, statuses[(flags >> 2) % 8], hdr, &err);
    check_text(err.code, sizeof(err.code));
    if (strchr(err.code, ' ') && strncmp(err.code, "HTTP ", 5))
        abort(); /* only the "HTTP <status>" fallback has a space */
    check_text(err.message, sizeof(err.message));
    if (!err.code[0] || ecr_error_kind_name(err.kind)[0] == 'u')
        abort();
    return 0;
}
