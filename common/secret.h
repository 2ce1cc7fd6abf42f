/* SPDX-License-Identifier: MIT */
/* The secret type: passwords, secret keys, session tokens, registry tokens.  It is a
 * struct rather than a char * so that passing one to a printf-style logger fails to
 * compile (-Wformat -Werror).  secret_wipe() overwrites before freeing. */
#ifndef ECD_SECRET_H
#define ECD_SECRET_H

#include <stddef.h>

#include "status.h"

struct secret {
    char *ptr; /* owned, NUL-terminated; NULL when unset */
    size_t len;
};

/* Replace s's value with a copy of src[0..len); the old value is wiped. */
ECD_MUST_CHECK enum ecd_status secret_set(struct secret *s, const char *src, size_t len);
ECD_MUST_CHECK enum ecd_status secret_copy(struct secret *dst, const struct secret *src);
/* Take ownership of a malloc'ed, NUL-terminated string (the caller's pointer is then ours). */
void secret_adopt(struct secret *s, char *str, size_t len);
void secret_wipe(struct secret *s);
int secret_is_set(const struct secret *s);
/* Constant-time comparison; 1 when equal. */
int secret_equal(const struct secret *a, const struct secret *b);

#endif
