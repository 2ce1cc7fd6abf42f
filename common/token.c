/* SPDX-License-Identifier: MIT */
/* Shared, reference-counted token sets and decoding of docker "auth" values; see token.h. */
#include "token.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"

/* ECR passwords are a few kilobytes ("the size ... is not fixed"); this only bounds
 * what a hostile value can make us allocate. */
#define AUTH_DECODED_MAX (1024 * 1024)

enum ecd_status token_set_new(size_t n, struct token_set **out)
{
    struct token_set *ts;

    *out = NULL;
    if (n > SIZE_MAX / sizeof(struct registry_auth))
        return ECD_ENOMEM;
    ts = calloc(1, sizeof(*ts));
    if (!ts)
        return ECD_ENOMEM;
    if (n) {
        ts->items = calloc(n, sizeof(*ts->items));
        if (!ts->items) {
            free(ts);
            return ECD_ENOMEM;
        }
    }
    ts->n = n;
    ts->refs = 1;
    *out = ts;
    return ECD_OK;
}

struct token_set *token_set_ref(struct token_set *ts)
{
    if (ts)
        ts->refs++;
    return ts;
}

void token_set_unref(struct token_set *ts)
{
    size_t i;

    if (!ts)
        return;
    if (--ts->refs > 0)
        return;
    for (i = 0; i < ts->n; i++) {
        free(ts->items[i].host);
        secret_wipe(&ts->items[i].auth);
    }
    if (ts->items)
        OPENSSL_cleanse(ts->items, ts->n * sizeof(*ts->items));
    free(ts->items);
    free(ts);
}

enum ecd_status registry_auth_decode(const struct registry_auth *ra, char **user,
                                     struct secret *password)
{
    struct buf plain;
    const char *colon;
    char *name = NULL;
    enum ecd_status st;

    if (!ra || !ra->auth.ptr || !user || !password)
        return ECD_EINVAL;
    buf_init(&plain, AUTH_DECODED_MAX);
    st = base64_decode(ra->auth.ptr, ra->auth.len, &plain);
    if (st == ECD_EINVAL) {
        st = ECD_EPROTO;
        goto out;
    }
    if (st)
        goto out;
    /* A NUL inside would silently cut the user name or password short. */
    colon = plain.len ? memchr(plain.ptr, ':', plain.len) : NULL;
    if (!colon || memchr(plain.ptr, '\0', plain.len)) {
        st = ECD_EPROTO;
        goto out;
    }
    name = strndup(plain.ptr, (size_t)(colon - plain.ptr));
    if (!name) {
        st = ECD_ENOMEM;
        goto out;
    }
    st = secret_set(password, colon + 1, plain.len - (size_t)(colon - plain.ptr) - 1);
    if (st)
        goto out;
    *user = name;
    name = NULL;
out:
    free(name);
    buf_wipe(&plain);
    return st;
}
