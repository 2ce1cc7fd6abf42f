/* SPDX-License-Identifier: MIT */
/* Secret strings; see secret.h. */
#include "secret.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

enum ecd_status secret_set(struct secret *s, const char *src, size_t len)
{
    char *p = malloc(len + 1);

    if (!p)
        return ECD_ENOMEM;
    memcpy(p, src, len);
    p[len] = '\0';
    secret_wipe(s);
    s->ptr = p;
    s->len = len;
    return ECD_OK;
}

enum ecd_status secret_copy(struct secret *dst, const struct secret *src)
{
    if (!src->ptr) {
        secret_wipe(dst);
        return ECD_OK;
    }
    return secret_set(dst, src->ptr, src->len);
}

void secret_adopt(struct secret *s, char *str, size_t len)
{
    secret_wipe(s);
    s->ptr = str;
    s->len = len;
}

void secret_wipe(struct secret *s)
{
    if (s->ptr) {
        OPENSSL_cleanse(s->ptr, s->len);
        free(s->ptr);
    }
    s->ptr = NULL;
    s->len = 0;
}

int secret_is_set(const struct secret *s)
{
    return s->ptr != NULL;
}

int secret_equal(const struct secret *a, const struct secret *b)
{
    if (!a->ptr || !b->ptr)
        return a->ptr == b->ptr;
    if (a->len != b->len)
        return 0;
    return CRYPTO_memcmp(a->ptr, b->ptr, a->len) == 0;
}
