/* SPDX-License-Identifier: MIT */
/* Capped growable buffer; see buf.h. */
#include "buf.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void buf_free(struct buf *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_wipe(struct buf *b)
{
    if (b->ptr)
        OPENSSL_cleanse(b->ptr, b->cap);
    buf_free(b);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

/* Grow to hold `need` bytes plus the NUL.  The old block is wiped before it is
 * freed, because any buffer may hold a secret and realloc would leave a copy. */
static enum ecd_status buf_reserve(struct buf *b, size_t need)
{
    size_t cap;
    char *p;

    if (need > b->max)
        return ECD_ENOMEM;
    if (need + 1 <= b->cap)
        return ECD_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need + 1)
        cap = cap > (size_t)-1 / 2 ? need + 1 : cap * 2;
    p = malloc(cap);
    if (!p)
        return ECD_ENOMEM;
    if (b->ptr) {
        memcpy(p, b->ptr, b->len + 1);
        OPENSSL_cleanse(b->ptr, b->cap);
        free(b->ptr);
    } else {
        p[0] = '\0';
    }
    b->ptr = p;
    b->cap = cap;
    return ECD_OK;
}

enum ecd_status buf_append(struct buf *b, const void *data, size_t len)
{
    enum ecd_status st;

    if (len > b->max || b->len > b->max - len)
        return ECD_ENOMEM;
    st = buf_reserve(b, b->len + len);
    if (st)
        return st;
    if (len)
        memcpy(b->ptr + b->len, data, len);
    b->len += len;
    b->ptr[b->len] = '\0';
    return ECD_OK;
}

enum ecd_status buf_append_str(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

enum ecd_status buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;
    enum ecd_status st;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return ECD_EINVAL;
    if ((size_t)n > b->max || b->len > b->max - (size_t)n)
        return ECD_ENOMEM;
    st = buf_reserve(b, b->len + (size_t)n);
    if (st)
        return st;
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return ECD_OK;
}

enum ecd_status buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    enum ecd_status st;

    va_start(ap, fmt);
    st = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return st;
}

const char *buf_str(const struct buf *b)
{
    return b->ptr ? b->ptr : "";
}

enum ecd_status buf_steal(struct buf *b, char **out)
{
    if (!b->ptr) {
        enum ecd_status st = buf_reserve(b, 0);
        if (st)
            return st;
    }
    *out = b->ptr;
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    return ECD_OK;
}
