/* SPDX-License-Identifier: MIT */
/* A growable byte buffer with a mandatory size cap (curl's dynbuf idea): response
 * bodies and built strings go through it, so no input can make us allocate without
 * bound.  The content is always NUL-terminated.  buf_wipe() clears before freeing,
 * for buffers that held secrets. */
#ifndef ECD_BUF_H
#define ECD_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "status.h"

struct buf {
    char *ptr;  /* owned; NULL until the first append */
    size_t len; /* bytes used, not counting the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* appends that would pass this many bytes fail with ECD_ENOMEM */
};

void buf_init(struct buf *b, size_t max);
/* Frees the storage; buf_wipe() also overwrites it first. Both leave b empty and reusable. */
void buf_free(struct buf *b);
void buf_wipe(struct buf *b);
void buf_reset(struct buf *b); /* length 0, storage kept */

ECD_MUST_CHECK enum ecd_status buf_append(struct buf *b, const void *data, size_t len);
ECD_MUST_CHECK enum ecd_status buf_append_str(struct buf *b, const char *s);
ECD_MUST_CHECK enum ecd_status buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
ECD_MUST_CHECK enum ecd_status buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/* The content as a C string ("" when empty); borrowed from b. */
const char *buf_str(const struct buf *b);

/* Hand the storage to the caller (who frees it) and leave b empty.  Never NULL on
 * success: an empty buffer yields a fresh "" allocation. */
ECD_MUST_CHECK enum ecd_status buf_steal(struct buf *b, char **out);

#endif
